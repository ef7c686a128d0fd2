"""Putting documents on disk: the TeX build that turns a handout into a PDF (files are written
by `symderiv.core.files`).
"""
