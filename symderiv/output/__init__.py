"""Putting documents on disk: the atomic writer, the TeX build and the example gallery."""
