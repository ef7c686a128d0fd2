"""Each rule's prose: found through the rule's class, never missing, and kept out of steps/."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
import sympy as sp

from symderiv.calculus import RULES, Step, differentiate
from symderiv.calculus import rules as r
from symderiv.render.steps import PROSE, explain, prose_of, to_text

x, g = sp.symbols("x g")


def _rule_classes() -> set[type[Step]]:
    """Every Step subclass the rules module defines, listed in RULES or not."""
    return {
        value
        for value in vars(r).values()
        if isinstance(value, type) and issubclass(value, Step) and value is not Step
    }


def test_every_rule_class_has_prose() -> None:
    classes = _rule_classes() | set(RULES)
    assert len(classes) == len(RULES)
    missing = []
    for rule in classes:
        try:
            prose_of(rule)
        except LookupError:
            missing.append(rule.__name__)
    assert missing == []


def test_the_base_step_has_no_prose_so_a_new_rule_cannot_borrow_it() -> None:
    assert Step not in PROSE
    with pytest.raises(LookupError, match="Step has no prose"):
        prose_of(Step)


def test_a_rule_without_prose_fails_to_explain() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Unexplained(Step):
        """d/dx f = f', by a rule nobody wrote prose for"""

    step = Unexplained(expr=x**2, wrt=x, result=2 * x)
    with pytest.raises(LookupError, match="Unexplained has no prose"):
        explain(step)


def test_a_subclass_speaks_like_its_base() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class NamedChainRule(r.ChainRule):
        """d/dx f(g(x)) = f'(g(x))·g'(x), with a name of its own"""

    plain = differentiate(sp.sin(x**2), x)
    assert isinstance(plain, r.ChainRule)
    named = NamedChainRule(
        expr=plain.expr,
        wrt=plain.wrt,
        result=plain.result,
        substeps=plain.substeps,
        outer=plain.outer,
        inner=plain.inner,
        variable=plain.variable,
    )
    assert prose_of(NamedChainRule) is prose_of(r.ChainRule)
    assert to_text(named) == to_text(plain)


def test_named_children_are_the_substeps_in_order() -> None:
    chain = differentiate(sp.log(2 + sp.cos(x)), x)
    assert isinstance(chain, r.ChainRule)
    assert (chain.outer_step, chain.inner_step) == chain.substeps
    product = differentiate(x * sp.sin(x) * sp.exp(x), x)
    assert isinstance(product, r.ProductRule)
    assert [s.expr for s in product.factor_steps] == list(product.factors)
    total = differentiate(x**2 + sp.sin(x), x)
    assert isinstance(total, r.SumRule)
    assert [s.expr for s in total.term_steps] == list(total.terms)
    plain = differentiate(sp.sin(x) / x, x)
    tidied = differentiate((x + 1) / (x - 1), x)
    assert isinstance(plain, r.QuotientRule) and isinstance(tidied, r.QuotientRule)
    assert plain.tidy_step is None and plain.combined == plain.result
    assert isinstance(tidied.tidy_step, r.Rewrite)
    assert tidied.combined == tidied.tidy_step.expr != tidied.result


def test_quotient_conclusion_only_when_nothing_tidies_it() -> None:
    plain = to_text(differentiate(sp.sin(x) / x, x))
    tidied = to_text(differentiate((x + 1) / (x - 1), x))
    assert "combine as (f'·g − f·g')/g^2" in plain
    assert "combine as" not in tidied and "tidy the numerator" in tidied


def test_the_step_engine_imports_no_renderer() -> None:
    code = (
        "import sys, sympy, symderiv.calculus as s; "
        "s.differentiate(sympy.sin(sympy.Symbol('x')), sympy.Symbol('x')); "
        "print(sorted(m for m in sys.modules if m.startswith('symderiv.render')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
