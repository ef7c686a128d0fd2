"""`python -m symderiv` runs the command-line interface."""

from symderiv.cli import main

main()
