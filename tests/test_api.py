"""The public API: every entry point at the top level, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy as sp

import symderiv
from symderiv.core.errors import SpecError, SymderivError


def test_importing_symderiv_loads_neither_sympy_nor_numpy() -> None:
    probe = "import sys, symderiv; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_listed_entry_point_is_there() -> None:
    for name in symderiv.__all__:
        assert getattr(symderiv, name) is not None
    assert set(dir(symderiv)) >= {"derive", "steps", "check_answer", "worked_example", "gradcheck"}
    with pytest.raises(AttributeError):
        symderiv.no_such_thing  # noqa: B018


def test_derive_takes_a_spec_or_its_fields() -> None:
    by_fields = symderiv.derive(layers=[2, 3, 1], hidden_activation="tanh")
    by_spec = symderiv.derive(symderiv.NetworkSpec(layers=(2, 3, 1), hidden_activation="tanh"))
    assert by_fields.network.spec == by_spec.network.spec
    assert str(symderiv.derive().gradient("w1").value) == "delta1*x"
    with pytest.raises(SpecError, match="Did you mean 'layers'"):
        symderiv.derive(layer=(1, 1))


def test_steps_reads_text_safely_and_picks_the_variable() -> None:
    x = sp.Symbol("x")
    assert symderiv.steps("ln(2 + cos(x))").result == -sp.sin(x) / (2 + sp.cos(x))
    assert symderiv.steps("x^2 y", wrt="y").result == x**2
    with pytest.raises(SymderivError, match="several variables"):
        symderiv.steps("x*y")
    assert symderiv.differentiate(x**3, x).result == 3 * x**2


def test_numbers_check_and_code() -> None:
    assert symderiv.check_answer("delta2*a1", "w2").verdict.value == "correct"
    assert symderiv.check_answer("delta2*x", "w2").verdict.value == "incorrect"
    example = symderiv.worked_example(values="x=1/2,w1=3/10")
    assert example is not None
    assert all(c.ok for c in symderiv.gradcheck().checks)
    assert "def backward" in symderiv.generate_code()
