"""Judging a hand derivation: the verdict, the diagnosis, the sandbox it runs in, and class
batches.
"""
