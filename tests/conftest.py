"""Shared test settings: hypothesis profiles, and the path to the test data kept in `tests/data`."""

from __future__ import annotations

import builtins
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy as sp
import sympy.parsing.latex as sympy_latex
import sympy.parsing.sympy_parser as sympy_parser
from hypothesis import HealthCheck, settings

DATA = Path(__file__).resolve().parent / "data"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=40
)
# CI runs the same examples every time, so a red run is reproducible from its log.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=40,
    derandomize=True,
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and fail) any call that would mean user text ran as code or reached SymPy's
    own parsers: the tests of hostile input assert that this list stays empty."""
    calls: list[str] = []

    def wire(name: str) -> Callable[..., None]:
        def tripped(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return tripped

    def on_text(name: str, original: Callable[..., object]) -> Callable[..., object]:
        """Python's imports exec code objects; only running text would mean user input ran."""

        def guarded(source: object, *args: object, **kwargs: object) -> object:
            if isinstance(source, (str, bytes)):
                calls.append(name)
                raise AssertionError(f"{name} was called on text")
            return original(source, *args, **kwargs)

        return guarded

    monkeypatch.setattr(builtins, "eval", on_text("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", on_text("exec", builtins.exec))
    monkeypatch.setattr(os, "system", wire("os.system"))
    monkeypatch.setattr(subprocess, "Popen", wire("subprocess.Popen"))
    monkeypatch.setattr(sympy_parser, "parse_expr", wire("parse_expr"))
    monkeypatch.setattr(sympy_parser, "eval_expr", wire("eval_expr"))
    monkeypatch.setattr(sympy_latex, "parse_latex", wire("parse_latex"))
    monkeypatch.setattr(sp, "lambdify", wire("lambdify"))
    return calls
