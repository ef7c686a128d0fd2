"""Putting documents on disk: the TeX build and the example gallery (files are written by
`symderiv.core.files`).
"""
