"""The `symderiv` command: a thin layer over the Python API."""
