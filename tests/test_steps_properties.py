"""Property tests: on random expressions every step of the tree makes a true claim."""

from __future__ import annotations

import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symderiv.calculus import differentiate, iter_steps, to_json
from symderiv.calculus.rules import Fallback
from symderiv.core.functions import relu, sigmoid, softplus
from symderiv.parse.plain import parse_expression
from symderiv.render.steps import to_text
from tests.steps_checks import agree, bad_steps, reference_derivative

x, y = sp.symbols("x y")

UNARY = (
    sp.sin, sp.cos, sp.tan, sp.sec, sp.csc, sp.cot, sp.asin, sp.acos, sp.atan,
    sp.sinh, sp.cosh, sp.tanh, sp.exp, sp.log, sp.sqrt, sp.Abs, sigmoid, relu, softplus,
    lambda e: -e,
)  # fmt: skip
EXPONENTS = (2, 3, -1, -2, sp.Rational(1, 2), sp.Rational(-1, 3), sp.Rational(3, 2))

leaves = st.sampled_from([x, y, x, sp.Integer(2), sp.Integer(3), sp.Rational(1, 2), sp.pi])


def _extend(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
    return st.one_of(
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0](t[1])),
        st.tuples(children, children).map(lambda t: t[0] + t[1]),
        st.tuples(children, children).map(lambda t: t[0] - t[1]),
        st.tuples(children, children).map(lambda t: t[0] * t[1]),
        st.tuples(children, children).map(lambda t: t[0] / t[1]),
        st.tuples(children, st.sampled_from(EXPONENTS)).map(lambda t: t[0] ** t[1]),
        st.tuples(children, children).map(lambda t: t[0] ** t[1]),
        st.tuples(children, st.sampled_from([2, 10])).map(lambda t: sp.log(t[0], t[1])),
    )


# Symbols are complex to SymPy, so |2^x| becomes 2^re(x): keep to what a course differentiates.
expressions = st.recursive(leaves, _extend, max_leaves=8).filter(
    lambda e: not e.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I, sp.re, sp.im, sp.arg)
)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(expressions, st.sampled_from([x, y]))
def test_result_is_the_derivative(expr: sp.Expr, wrt: sp.Symbol) -> None:
    step = differentiate(expr, wrt)
    assert step.expr == expr and step.wrt == wrt
    assert agree(step.result, reference_derivative(expr, wrt), domain=expr)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.sampled_from([x, y]))
def test_every_step_claims_the_truth(expr: sp.Expr, wrt: sp.Symbol) -> None:
    step = differentiate(expr, wrt)
    assert bad_steps(step, count=2) == []


@FAST
@given(expressions, st.sampled_from([x, y]))
def test_tree_is_well_formed(expr: sp.Expr, wrt: sp.Symbol) -> None:
    step = differentiate(expr, wrt)
    for _, current in iter_steps(step):
        assert type(current) is not Fallback, current  # every generated form has a rule
        for variable, value in current.substitutions:
            assert variable not in expr.free_symbols
            assert not value.has(variable)
    assert to_text(step).startswith(step.title)
    assert to_json(step)["rule"] == step.rule_id


@FAST
@given(expressions)
def test_printed_expressions_parse_back(expr: sp.Expr) -> None:
    """What the JSON output writes (sstr) reads back through the safe parser to the same value."""
    text = sp.sstr(expr)
    assume(len(text) < 300)
    back = parse_expression(text)
    assert agree(back, expr)
