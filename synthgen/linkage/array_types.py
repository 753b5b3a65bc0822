"""Names for the numpy arrays the Fellegi-Sunter linker passes between its steps, so signatures say what they hold."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Int = NDArray[np.int64]
Code = NDArray[np.int32]
Bool = NDArray[np.bool_]
Float = NDArray[np.float64]
Levels = NDArray[np.int8]
