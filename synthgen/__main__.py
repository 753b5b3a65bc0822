"""python -m synthgen"""

from synthgen.cli import main

main()
