"""Slides: the handout's view model cut into frames, each chain-rule product in revealable pieces.

A Beamer deck shows what the handout shows, a frame at a time: the network and its notation, the
forward pass, one frame per delta and per gradient written out (every gradient of a chain
network; one representative per layer of a wider one, the rest in tables), the layer equations
(BP1–BP4 with their shapes) for a wider network, and the update. The mathematics is the
handout's (`render.handout`, `engine.layers`); what a frame needs beyond it is decided here, not
in the template: a product split into the factors revealed one overlay at a time (marked where a
factor's value is a sum and needs brackets), long products cut into rows, and long lists cut
into pages of one frame each. The worked example and the appendix stay in the handout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence_traditional

from symderiv.core.written import product
from symderiv.engine.layers import LayerDerivation
from symderiv.render.handout import DeltaView, FactorView, GradientView, Handout
from symderiv.render.printing import latex_lines

#: Factors of a chain-rule product on one row of a frame (a deep chain's run to two rows).
FACTORS_PER_ROW = 5
#: Terms of a hidden delta's sum over the nodes above on one row.
TERMS_PER_ROW = 3
#: Rows of a table of gradients in one column, and columns on one frame.
TABLE_ROWS = 9
TABLE_COLUMNS = 2
#: Rows of the summary (gradient, update) on one frame.
SUMMARY_ROWS = 8
#: Nodes of the forward pass, and layer equations, on one frame.
FORWARD_ROWS = 6
EQUATION_ROWS = 6
#: The network diagram's room on its frame, in the template's units (x = 2.2 cm, y = 0.9 cm).
DIAGRAM_WIDTH = 2.4
DIAGRAM_HEIGHT = 2.5

_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Page(Generic[_Item]):
    """One frame's share of a list too long for one frame: `suffix` numbers it, ` (2/3)`."""

    items: tuple[_Item, ...]
    number: int
    count: int

    @property
    def suffix(self) -> str:
        return f" ({self.number}/{self.count})" if self.count > 1 else ""

    @property
    def last(self) -> bool:
        return self.number == self.count


@dataclass(frozen=True)
class Piece:
    """One factor of a product, revealed on its own overlay: `∂of/∂wrt` and its value.

    `grouped` marks a value that must be bracketed inside a product (a sum, or a negative term).
    """

    of: sp.Expr
    wrt: sp.Expr
    value: sp.Expr
    grouped: bool
    overlay: int


@dataclass(frozen=True)
class Term:
    """One path of a hidden delta's sum: `δ_i ∂z_i/∂a`, written `δ_i w_i`, on its own overlay."""

    delta: sp.Symbol
    of: sp.Expr
    wrt: sp.Expr
    value: sp.Expr
    overlay: int


@dataclass(frozen=True)
class DeltaSlide:
    """A delta's frame: its recursion revealed factor by factor, then boxed."""

    view: DeltaView
    pieces: tuple[Piece, ...]  # output node: ∂J/∂ŷ, then ∂ŷ/∂z
    terms: tuple[tuple[Term, ...], ...]  # hidden node: the sum's paths, in rows
    slope: Piece  # ∂a/∂z, last
    result: int  # the overlay showing the boxed delta
    expanded: sp.Expr | None  # with the deltas above written out, when that fits one line


@dataclass(frozen=True)
class GradientSlide:
    """A gradient's frame: its chain-rule product in rows of pieces, then the delta form."""

    view: GradientView
    rows: tuple[tuple[Piece, ...], ...]
    local: sp.Expr | None  # in local symbols, when it fits one line and is not the product shown
    result: int


@dataclass(frozen=True)
class UpdateRow:
    """`p ← p − η g` for a parameter or a whole layer's matrix; `grouped` brackets `g`."""

    parameter: sp.Expr
    gradient: sp.Expr
    grouped: bool


@dataclass(frozen=True)
class Slides:
    """Everything the Beamer template renders."""

    handout: Handout
    diagram_scale: str  # the network diagram shrunk to fit its frame: "1", "0.62"
    forward: tuple[Page[Any], ...]  # the network's nodes
    deltas: tuple[DeltaSlide, ...]
    gradients: tuple[GradientSlide, ...]
    tables: tuple[Page[tuple[GradientView, ...]], ...]  # columns of every gradient (wide only)
    matrix: LayerDerivation | None  # the layer equations, for a wider network
    forward_equations: tuple[Page[Any], ...]  # the matrix form's forward pass (and cost)
    backward_equations: tuple[Page[Any], ...]  # BP1–BP4
    summary: tuple[Page[UpdateRow], ...]


def grouped(value: sp.Expr) -> bool:
    """Whether `value` needs brackets as a factor of a product (`1 − a²`, `ŷ − y`, `−w`)."""
    return bool(precedence_traditional(value) < PRECEDENCE["Mul"]) or bool(
        value.could_extract_minus_sign()
    )


def runs(items: Sequence[_Item], size: int) -> tuple[tuple[_Item, ...], ...]:
    """`items` in consecutive runs of at most `size` (none for no items)."""
    return tuple(tuple(items[i : i + size]) for i in range(0, len(items), size))


def one_line(expr: sp.Expr | None) -> sp.Expr | None:
    """`expr` when it fits one line of a frame, else None: a frame has no room for more."""
    return expr if expr is not None and len(latex_lines(expr)) == 1 else None


def pages(items: Sequence[_Item], size: int) -> tuple[Page[_Item], ...]:
    """`items` on frames of at most `size` each, numbered."""
    chunks = runs(items, size)
    return tuple(Page(chunk, n, len(chunks)) for n, chunk in enumerate(chunks, start=1))


def _piece(of: sp.Expr, wrt: sp.Expr, value: sp.Expr, overlay: int) -> Piece:
    return Piece(of, wrt, value, grouped(value), overlay)


def _factor_piece(view: FactorView, overlay: int) -> Piece:
    factor = view.factor
    return _piece(factor.of, factor.wrt, factor.value, overlay)


def delta_slide(view: DeltaView) -> DeltaSlide:
    """The delta's factors on overlays 2, 3, …: the cost's derivative or each path above, then
    the slope of the activation; the boxed delta on the overlay after."""
    delta = view.delta
    pieces: tuple[Piece, ...] = ()
    terms: list[Term] = []
    if view.cost is not None:
        pieces = (_factor_piece(view.cost, 2),)
    for overlay, (symbol, factor) in enumerate(delta.downstream, start=2):
        terms.append(Term(symbol, factor.of, factor.wrt, product(symbol, factor.value), overlay))
    slope = _factor_piece(view.activation, 2 + len(pieces) + len(terms))
    rows = runs(terms, TERMS_PER_ROW)
    expanded = one_line(view.expanded)
    return DeltaSlide(view, pieces, rows, slope, slope.overlay + 1, expanded)


def gradient_slide(view: GradientView, network_cost: sp.Symbol) -> GradientSlide:
    """The chain from J down to the parameter when there is one path, else `∂J/∂z · ∂z/∂p`
    (the paths summed inside the delta), one factor per overlay from 2 on."""
    gradient = view.gradient
    if gradient.chain:
        pieces = [_factor_piece(fv, overlay) for overlay, fv in enumerate(view.factors, start=2)]
    else:
        local = gradient.local
        pieces = [
            _piece(network_cost, gradient.node.z, gradient.delta.symbol, 2),
            _piece(local.of, local.wrt, local.value, 3),
        ]
    shown = product(*(p.value for p in pieces))
    local_form = None if view.local == shown else one_line(view.local)
    return GradientSlide(view, runs(pieces, FACTORS_PER_ROW), local_form, len(pieces) + 2)


def _updates(handout: Handout, matrix: LayerDerivation | None) -> tuple[UpdateRow, ...]:
    """Each parameter's update for a chain network; each layer's W and b for a wider one."""
    if matrix is None:
        return tuple(
            UpdateRow(g.parameter, g.value, grouped(g.value))
            for g in (gv.gradient for gv in handout.gradients)
        )
    rows: list[UpdateRow] = []
    # BP3 then BP4 for each layer, output layer first.
    for layer, (bias, weights) in zip(reversed(matrix.layers), runs(matrix.gradients, 2)):
        for parameter, equation in ((layer.weights, weights), (layer.bias, bias)):
            rows.append(UpdateRow(parameter, equation.rhs, _grouped_matrix(equation.rhs)))
    return tuple(rows)


def _forward_equations(matrix: LayerDerivation | None) -> tuple[Any, ...]:
    if matrix is None:
        return ()
    return (*matrix.forward, *(() if matrix.cost is None else (matrix.cost,)))


def _grouped_matrix(expr: sp.Basic) -> bool:
    """A sum of matrices (the weight decay added) needs brackets after `η`."""
    return isinstance(expr, (sp.MatAdd, sp.Add))


def diagram_scale(handout: Handout) -> str:
    """How much the diagram shrinks so that its layers and tallest layer fit its room."""
    columns = max(n.column for n in handout.nodes)
    rows = max(float(n.row) for n in handout.nodes)
    scale = min(1.0, DIAGRAM_WIDTH / max(columns, 1), DIAGRAM_HEIGHT / max(rows, 1))
    return f"{scale:.2g}"


def build_slides(handout: Handout, matrix: LayerDerivation | None = None) -> Slides:
    """The frames of `handout`; `matrix` (the layer equations) adds their frames and gives the
    update by whole layers."""
    network = handout.network
    representatives = [gv for gv in handout.gradients if gv.representative]
    tables = () if network.spec.is_chain else runs(handout.gradients, TABLE_ROWS)
    return Slides(
        handout=handout,
        diagram_scale=diagram_scale(handout),
        forward=pages(network.nodes, FORWARD_ROWS),
        deltas=tuple(delta_slide(dv) for dv in handout.deltas),
        gradients=tuple(gradient_slide(gv, network.J) for gv in representatives),
        tables=pages(tables, TABLE_COLUMNS),
        matrix=matrix,
        forward_equations=pages(_forward_equations(matrix), EQUATION_ROWS),
        backward_equations=pages(
            () if matrix is None else (*matrix.deltas, *matrix.gradients), EQUATION_ROWS
        ),
        summary=pages(_updates(handout, matrix), SUMMARY_ROWS),
    )
