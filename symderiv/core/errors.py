"""Errors a user can cause, each carrying the one clear message the CLI prints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SymderivError(Exception):
    """Bad input from a user: shown as one clear message, exit status 2, never a traceback."""


class SpecError(SymderivError):
    """A network specification (flags or TOML) that cannot describe a network."""


class SymderivWarning(UserWarning):
    """Input that works but deserves a word: the command line shows it as one line on stderr."""


def did_you_mean(kind: str, given: str, valid: Iterable[str]) -> str:
    """Message naming the valid choices and, when one is close, suggesting it."""
    choices = sorted(valid)
    close = difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {given!r}.{hint} Valid: {', '.join(choices)}."
