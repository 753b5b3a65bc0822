"""python -m synthgen"""

from synthgen.console import main

main()
