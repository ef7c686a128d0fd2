"""`python -m symderiv` runs the command-line interface."""

from symderiv.cli.main import main

main()
