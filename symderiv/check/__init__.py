"""Judging a hand derivation: results (`result`), what an answer's names mean (`names`), random
points (`sample`), the verdict (`judge`), the diagnosis (`diagnose`), their wording
(`messages`), the limited child process (`sandbox`, `limited`) and class batches (`batch`).
"""
