"""Worked examples of a calculus course: each derivation's shape and result, kept as golden files.

A golden file holds the rule of every step, depth-first, and the final result. After a deliberate
change, regenerate with `python -m tests.regen_steps_golden` and review the diff.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symderiv.calculus import RULES, differentiate, iter_steps, to_json
from symderiv.calculus import rules as r
from symderiv.core.functions import FUNCTIONS, relu, sigmoid, softplus
from symderiv.parse.plain import parse_expression
from symderiv.render.steps import explain, to_text
from tests.regen_steps_golden import Case, golden_text, load_cases
from tests.steps_checks import agree, bad_steps

CASES = load_cases()
# Reading trusted test output back with SymPy's own parser, as an independent check of ours.
_NAMESPACE = {"sigmoid": sigmoid, "relu": relu, "softplus": softplus}
x, z, g = sp.symbols("x z g")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case) -> None:
    assert case.path.exists(), "missing golden file: run python -m tests.regen_steps_golden"
    assert golden_text(case) == case.path.read_text(encoding="utf-8"), (
        "derivation changed: if intended, run python -m tests.regen_steps_golden and review"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_claims_are_true(case: Case) -> None:
    step = differentiate(parse_expression(case.text), sp.Symbol(case.wrt))
    assert bad_steps(step) == []


def test_at_least_forty_cases_cover_every_rule() -> None:
    assert len(CASES) >= 40
    seen = set()
    for case in CASES:
        step = differentiate(parse_expression(case.text), sp.Symbol(case.wrt))
        seen |= {type(s) for _, s in iter_steps(step)}
    assert set(RULES) - seen == set()


def test_no_stale_golden_files() -> None:
    names = {c.name for c in CASES} | {"cases"}
    stale = [p.name for p in CASES[0].path.parent.glob("*.txt") if p.stem not in names]
    assert stale == []


def test_warm_up_chain_names_outer_and_inner() -> None:
    """ln(2 + cos x) = f(g(x)): f(g) = ln g, g(x) = 2 + cos x, f'(g) = 1/g, g'(x) = −sin x."""
    step = differentiate(parse_expression("ln(2 + cos(x))"), x)
    assert isinstance(step, r.ChainRule)
    assert step.variable == g
    assert step.outer == sp.log(g)
    assert step.inner == 2 + sp.cos(x)
    assert step.substitutions == ((g, 2 + sp.cos(x)),)
    assert isinstance(step.outer_step, r.FunctionRule) and step.outer_step.result == 1 / g
    assert isinstance(step.inner_step, r.SumRule) and step.inner_step.result == -sp.sin(x)
    assert step.result == -sp.sin(x) / (2 + sp.cos(x))
    text = to_text(step)
    assert "let g = 2 + cos(x): outer function f(g) = ln(g), inner function g(x) = 2 + cos(x)" in (
        text
    )
    assert "put g = 2 + cos(x) back: -sin(x)/(2 + cos(x))" in text


def test_sigmoid_is_derived_from_its_definition_then_rewritten() -> None:
    step = differentiate(sigmoid(z), z)
    assert isinstance(step, r.DefinitionRule) and step.rule_id == "sigmoid"
    assert step.definition == 1 / (1 + sp.exp(-z))
    assert step.definition_step.expr == step.definition
    assert step.definition_step.result == sp.exp(-z) / (1 + sp.exp(-z)) ** 2
    rewrite = step.rewrite_step
    assert isinstance(rewrite, r.Rewrite)
    assert rewrite.expr == step.definition_step.result
    assert rewrite.result == step.result
    assert sp.expand(step.result - sigmoid(z) * (1 - sigmoid(z))) == 0
    assert "σ(z)·(1 − σ(z))" in to_text(step)


def test_relu_states_its_convention_at_zero() -> None:
    step = differentiate(parse_expression("relu(z)"), z)
    assert isinstance(step, r.CasesRule) and step.rule_id == "relu"
    assert step.result == sp.Heaviside(z, 0)
    assert "ReLU'(0) = 0" in step.convention
    assert "not differentiable at 0" in to_text(step)


def test_softplus_derivative_is_rewritten_into_sigmoid() -> None:
    step = differentiate(parse_expression("softplus(z)"), z)
    assert isinstance(step, r.DefinitionRule) and step.rule_id == "softplus"
    assert step.result == sigmoid(z)
    assert isinstance(step.rewrite_step, r.Rewrite)
    assert step.rewrite_step.expr == sp.exp(z) / (1 + sp.exp(z))


def test_partial_derivative_says_what_is_held_constant() -> None:
    step = differentiate(parse_expression("x^2 y + sin(y)"), x)
    held = [s for _, s in iter_steps(step) if isinstance(s, r.HeldConstantRule)]
    assert [h.held for h in held] == [(sp.Symbol("y"),)]
    text = to_text(step)
    assert text.startswith("sum rule: ∂/∂x")
    assert "y is held constant" in text


def test_quotient_rule_shows_its_tidying() -> None:
    step = differentiate(parse_expression("(x + 1)/(x - 1)"), x)
    assert isinstance(step, r.QuotientRule)
    tidy = step.tidy_step
    assert isinstance(tidy, r.Rewrite)
    assert step.combined == tidy.expr
    assert tidy.result == step.result == -2 / (x - 1) ** 2


def test_fallback_is_marked_and_right() -> None:
    step = differentiate(sp.Heaviside(x), x)
    assert isinstance(step, r.Fallback)
    assert step.result == sp.diff(sp.Heaviside(x), x)
    assert "no named rule" in to_text(step)


def test_substitution_variables_avoid_the_expression_symbols() -> None:
    step = differentiate(parse_expression("sin(g + u) + cos(v x)"), x)
    variables = {s.variable.name for _, s in iter_steps(step) if isinstance(s, r.ChainRule)}
    assert variables and variables.isdisjoint({"g", "u", "v", "x"})


def test_rule_classes_are_frozen_slotted_and_named() -> None:
    fixed = [rule for rule in RULES if not issubclass(rule, r.FunctionRule)]
    ids = [rule.rule_id for rule in fixed] + [f.rule_id for f in FUNCTIONS if f.typed]
    assert len(set(ids)) == len(ids)
    titles = [rule.title for rule in fixed] + [f.step_title for f in FUNCTIONS]
    assert all(title and title.isascii() for title in titles)
    for rule in RULES:
        assert rule.__doc__ and "\n" not in rule.__doc__.strip()
        assert "__dict__" not in dir(rule) and rule.__dataclass_params__.frozen  # type: ignore[attr-defined]
    step = differentiate(x**2, x)
    with pytest.raises(AttributeError):
        step.result = sp.S.Zero  # type: ignore[misc]
    assert hash(step) == hash(differentiate(x**2, x))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_explanation_prose_is_plain_ascii(case: Case) -> None:
    """Prose goes to LaTeX as text: ASCII only; every expression sits in a placeholder."""
    for line in explain(differentiate(parse_expression(case.text), sp.Symbol(case.wrt))):
        for part in line.parts():
            if isinstance(part, str):
                assert part.isascii(), (line.rule_id, part)
            else:
                assert isinstance(part, sp.Basic)
        assert line.depth >= 0 and line.kind in ("claim", "note", "conclusion")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_json_expressions_parse_back(case: Case) -> None:
    root = differentiate(parse_expression(case.text), sp.Symbol(case.wrt))
    pending = [to_json(root)]
    while pending:
        node = pending.pop()
        pending.extend(node["substeps"])
        for key in ("expr", "result"):
            text = node[key]
            if "Piecewise" in text or "DiracDelta" in text:
                continue
            assert agree(parse_expression(text), sp.sympify(text, locals=_NAMESPACE))
