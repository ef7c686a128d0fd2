"""The function table: every record's forms agree with each other and with SymPy's own calculus."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symderiv.core import functions
from symderiv.core.functions import FUNCTIONS, DerivedBy, rewrite_definitions
from symderiv.render.printing import to_latex, to_text

z = sp.Symbol("z")
POINTS = (-1.7, -0.3, 0.45, 2.2)
ONE_ARGUMENT = [f for f in FUNCTIONS if 1 in f.arities]


def _inside_domain(record: functions.Function, x: float) -> bool:
    return not (record.name in ("asin", "acos") and abs(x) >= 1) and not (
        record.name == "log" and x <= 0
    )


@pytest.mark.parametrize("record", ONE_ARGUMENT, ids=lambda f: f.name)
def test_derivative_equals_sympy_diff_of_the_definition(record: functions.Function) -> None:
    """`derivative` is the record's claim; SymPy differentiates the plain definition itself."""
    r = sp.Symbol("r", real=True)  # |x| has a derivative only on the real line
    truth = sp.diff(rewrite_definitions(record.apply(r)), r).xreplace({r: z})
    claimed = rewrite_definitions(record.derivative_at(z))
    for x in POINTS:
        if not _inside_domain(record, x) or (record.kink is not None and x == record.kink):
            continue
        at = {z: sp.Float(x, 30)}
        want = sp.N(truth.xreplace(at).doit(), 30)
        if want.has(sp.DiracDelta):
            want = sp.S.Zero
        assert abs(sp.N(claimed.xreplace(at), 30) - want) < 1e-25


@pytest.mark.parametrize("record", [f for f in FUNCTIONS if f.local_derivative], ids=str)
def test_local_derivative_is_the_derivative(record: functions.Function) -> None:
    claimed = record.local_derivative_at(record.apply(z), z)
    for x in POINTS:
        at = {z: sp.Float(x, 30)}
        assert (
            abs(sp.N(claimed.xreplace(at), 30) - sp.N(record.derivative_at(z).xreplace(at), 30))
            < 1e-25
        )


@pytest.mark.parametrize("record", ONE_ARGUMENT, ids=lambda f: f.name)
def test_mpmath_and_float64_forms_agree_with_sympy(record: functions.Function) -> None:
    mpmath.mp.dps = 30
    for x in POINTS:
        if not _inside_domain(record, x):
            continue
        want = float(sp.N(rewrite_definitions(record.apply(sp.Float(x, 30))), 30))
        assert math.isclose(float(record.mpmath(mpmath, mpmath.mpf(x))), want, rel_tol=1e-12)
        if record.float64 is not None:
            got = record.float64(np, np.array([x]))[0]
            assert math.isclose(float(got), want, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("record", [f for f in FUNCTIONS if f.float64], ids=lambda f: f.name)
def test_float64_forms_do_not_overflow(record: functions.Function) -> None:
    with np.errstate(over="raise", invalid="raise"):
        values = record.float64(np, np.array([-800.0, 800.0])) if record.activation else None
    if values is not None:
        assert np.all(np.isfinite(values) | np.isinf(values))


@pytest.mark.parametrize("record", [f for f in FUNCTIONS if f.code], ids=lambda f: f.name)
def test_code_body_runs_and_matches_float64(record: functions.Function) -> None:
    """The generated helper's body, run as the module runs it, gives the float64 values."""
    namespace: dict[str, object] = {"np": np}
    source = "def helper(z):\n" + "".join(f"    {line}\n" for line in record.code.splitlines())
    compiled = compile(source, f"<{record.name}>", "exec")
    exec(compiled, namespace)
    xs = np.array(POINTS)
    assert np.allclose(namespace["helper"](xs), record.float64(np, xs))  # type: ignore[operator]


@pytest.mark.parametrize("record", [f for f in FUNCTIONS if f.typed], ids=lambda f: f.name)
def test_each_record_prints_by_its_names(record: functions.Function) -> None:
    application = record.apply(sp.Symbol("x") + 1)
    if not isinstance(application, sp.Function):  # SymPy may rewrite, e.g. sec in cos
        return
    assert to_text(application).startswith(record.text) or record.sympy is not None
    if record.sympy is None:
        assert to_latex(application).startswith(record.latex)


def test_step_rules_follow_the_record() -> None:
    by_way = {f.name: f.derived_by for f in FUNCTIONS}
    assert by_way["sigmoid"] is DerivedBy.DEFINITION
    assert by_way["relu"] is DerivedBy.CASES
    assert all(f.definition is not None for f in FUNCTIONS if f.derived_by is not DerivedBy.TABLE)


def test_names_are_unique_and_activations_are_listed_without_sympy() -> None:
    import subprocess
    import sys

    typed = [name for name, _ in functions.typed_names()]
    assert len(typed) == len(set(typed))
    probe = (
        "import sys; from symderiv.core.functions import ACTIVATIONS; "
        "print(sorted(ACTIVATIONS)); print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"
