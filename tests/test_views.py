"""The piece every view of a derivation shares: deltas needed, and which forms are printed."""

from __future__ import annotations

import sympy as sp

from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.render.derive_text import derive_text
from symderiv.render.handout import build_handout
from symderiv.render.views import (
    MAX_PRINTED_NODES,
    GradientForms,
    deltas_needed,
    deltas_needed_by,
    fits_page,
    small,
)


def test_deltas_needed_run_from_the_output_to_the_gradients_own() -> None:
    backprop = derive(NetworkSpec(layers=(1, 1, 1, 1)))
    first = backprop.gradient("w1")
    assert [d.node.layer for d in deltas_needed(backprop, first)] == [3, 2, 1]
    assert deltas_needed(backprop, backprop.gradient("w3")) == [backprop.gradient("w3").delta]
    wanted = [backprop.gradient("b2"), backprop.gradient("w3")]
    assert [d.node.layer for d in deltas_needed_by(backprop, wanted)] == [3, 2]


def test_the_size_cut_off_is_one_for_every_document() -> None:
    x = sp.Symbol("x")
    long = sp.Add(*(sp.Symbol(f"x{i}") ** i for i in range(1, MAX_PRINTED_NODES)))
    assert small(x) == x and small(long) is None
    assert fits_page(x) == x and fits_page(long) is None


def test_the_base_form_is_printed_only_after_the_local_one() -> None:
    backprop = derive()
    gradient = backprop.gradient("w1")
    forms = GradientForms.of(backprop, gradient)
    assert forms.local == backprop.in_local_symbols(gradient)
    assert forms.base == backprop.in_base_variables(gradient)
    only_long = GradientForms.of(
        backprop, gradient, lambda e: e if e.has(sp.Symbol("b2")) else None
    )
    assert only_long.local is None and only_long.base is None


def test_a_handout_prints_the_derive_forms_that_fit_its_page() -> None:
    backprop = derive(NetworkSpec(layers=(2, 2, 1)))
    gradients = list(backprop.gradients)
    text = derive_text(backprop, gradients)
    handout = build_handout(backprop, gradients=gradients)
    for plain, page in zip(text.gradients, handout.gradients, strict=True):
        assert plain.gradient is page.gradient and plain.deltas == page.deltas
        assert page.local in (plain.local, None) and page.base in (plain.base, None)
        assert page.base is None or page.local is not None
    assert any(
        p.base is not None and h.base is None for p, h in zip(text.gradients, handout.gradients)
    )
