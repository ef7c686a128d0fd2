"""What `symderiv derive` shows, as plain data: the matrix form, the scalar form, or both.

One gradient (`--param w1`) is shown with its whole chain rule and the deltas it needs. Every
gradient (`--param all`) is shown as each delta once, with its recursion, then each gradient in
delta form (`∂J/∂w = δ · input`): the output grows with the network, not with the number of
parameters times the depth. Expanded forms are built only where they will be shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.core.network import Network
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import Backprop, Delta, Gradient
from symderiv.engine.layers import LayerDerivation
from symderiv.render.views import GradientForms, deltas_needed_by, small

#: What `--form` chooses between: the index (node-by-node) form, the layer equations, or both.
FORMS = ("scalar", "matrix", "both")
#: The most gradients shown with their expanded forms (in local symbols, in base variables)
#: without `--expand`; every expanded form is shown only when it is small (`views.small`).
MAX_EXPANDED_GRADIENTS = 64


def default_form(spec: NetworkSpec) -> str:
    """The scalar form for a chain network (one node per layer), both forms for a wider one."""
    return "scalar" if spec.is_chain else "both"


@dataclass(frozen=True)
class DeltaLine:
    """A delta, and its expansion in local symbols when it is shown."""

    delta: Delta
    local: sp.Expr | None


@dataclass(frozen=True)
class GradientLine:
    """A gradient in delta form, and its expanded forms when they are shown."""

    gradient: Gradient
    local: sp.Expr | None
    base: sp.Expr | None


@dataclass(frozen=True)
class DeriveText:
    """Everything `templates/text/derive.txt.jinja` renders (and `--format json` writes)."""

    network: Network | None  # None when only the matrix form is shown
    gradients: tuple[GradientForms, ...]  # one gradient's layout: chain rule and its deltas
    matrix: LayerDerivation | None = None
    every: bool = False  # every gradient: each delta once, then each gradient in delta form
    deltas: tuple[DeltaLine, ...] = ()
    lines: tuple[GradientLine, ...] = ()


def derive_text(backprop: Backprop, gradients: Iterable[Gradient]) -> DeriveText:
    """The view of `gradients`, each with its chain rule; expanded forms kept when small."""
    return DeriveText(backprop.network, tuple(GradientForms.of(backprop, g) for g in gradients))


def derive_view(
    backprop: Backprop | None,
    gradients: Sequence[Gradient],
    matrix: LayerDerivation | None,
    *,
    every: bool,
    expand: bool = False,
) -> DeriveText:
    """The view of `derive`: the matrix form when given, the scalar form when `backprop` is.

    `every` lays the scalar form out as each delta once, then each gradient; otherwise each
    gradient comes with its chain rule. Expanded forms are shown for at most
    MAX_EXPANDED_GRADIENTS gradients, or for any number with `expand`.
    """
    if backprop is None:
        return DeriveText(None, (), matrix)
    shown = expand or len(gradients) <= MAX_EXPANDED_GRADIENTS
    # Every node has a bias, so every gradient together needs every delta.
    everything = len(gradients) == len(backprop.gradients)
    needed = backprop.deltas if everything else deltas_needed_by(backprop, gradients)
    deltas = tuple(
        DeltaLine(d, small(backprop.expanded_deltas[d.symbol]) if shown else None) for d in needed
    )
    lines = tuple(_line(backprop, g, shown) for g in gradients)
    singles = () if every else tuple(GradientForms.of(backprop, g) for g in gradients)
    return DeriveText(backprop.network, singles, matrix, every, deltas, lines)


def _line(backprop: Backprop, gradient: Gradient, shown: bool) -> GradientLine:
    if not shown:
        return GradientLine(gradient, None, None)
    local = small(backprop.in_local_symbols(gradient))
    base = small(backprop.in_base_variables(gradient)) if local is not None else None
    return GradientLine(gradient, local, base)
