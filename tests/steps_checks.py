"""Independent checks of step trees: numbers at random points, never `simplify`.

Two expressions are taken as equal when they agree to 12 significant digits, evaluated with 30,
at every test point where both are finite and real. The reference derivative is `sympy.diff` of
the expression with σ, ReLU and softplus replaced by their definitions, so the check does not rely
on symderiv's own rules. Variables are taken as real, as in a calculus course.
"""

from __future__ import annotations

import sympy as sp

from symderiv.calculus import Step, iter_steps
from symderiv.core.functions import rewrite_definitions

VALUES = ("0.7", "-1.3", "1.9", "0.35", "-0.45", "2.6", "1.15", "-2.2")
POINTS = 3


def realified(expr: sp.Expr) -> sp.Expr:
    """The expression with every symbol real, so |x| and sign(x) differentiate as on paper."""
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


def _value(expr: sp.Expr, point: dict[str, sp.Float]) -> complex | None:
    subs = {s: point[s.name] for s in expr.free_symbols}
    try:
        value = complex(expr.evalf(30, subs=subs))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if (
        value != value
        or abs(value) == float("inf")
        or abs(value.imag) > 1e-12 * (1 + abs(value.real))
    ):
        return None
    return value


def points(*exprs: sp.Expr, count: int = POINTS) -> list[dict[str, sp.Float]]:
    names = sorted({s.name for e in exprs for s in e.free_symbols})
    return [
        {name: sp.Float(VALUES[(i * 3 + k) % len(VALUES)], 30) for i, name in enumerate(names)}
        for k in range(count)
    ]


def _real_inside(expr: sp.Expr, point: dict[str, sp.Float]) -> bool:
    """Every power and function inside `expr` is finite and real at `point` (the real domain)."""
    return all(
        _value(sub, point) is not None
        for sub in sp.preorder_traversal(expr)
        if sub.is_Pow or isinstance(sub, sp.Function)
    )


def agree(a: sp.Expr, b: sp.Expr, count: int = POINTS, domain: sp.Expr | None = None) -> bool:
    """True unless a and b differ at a point where both are finite and real.

    With `domain`, only points where every piece of `domain` is real count: |u|' = sign(u) and
    the like are claims about real u.
    """
    a, b = realified(a), realified(b)
    for point in points(a, b, *(() if domain is None else (domain,)), count=count):
        if domain is not None and not _real_inside(realified(domain), point):
            continue
        va, vb = _value(a, point), _value(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) > 1e-12 * max(1.0, abs(va), abs(vb)):
            return False
    return True


def reference_derivative(expr: sp.Expr, wrt: sp.Symbol) -> sp.Expr:
    """sympy.diff of the plain-SymPy form: independent of symderiv's derivative rules."""
    real = realified(rewrite_definitions(expr))
    return sp.diff(real, sp.Symbol(wrt.name, real=True))


def bad_steps(root: Step, count: int = POINTS) -> list[Step]:
    """Steps whose claim fails: `result ≠ d expr` (or `expr ≠ result` for a rewrite)."""
    bad = []
    for _, step in iter_steps(root):
        domain = rewrite_definitions(step.expr)
        if step.is_equality:
            ok = agree(domain, rewrite_definitions(step.result), count, domain)
        else:
            expected = reference_derivative(step.expr, step.wrt)
            ok = agree(rewrite_definitions(step.result), expected, count, domain)
        if not ok:
            bad.append(step)
    return bad
