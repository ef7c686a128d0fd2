"""What every view of a derivation is built from: the deltas a gradient needs, and its long forms.

Templates do no mathematics, so the choices that need it are made here, once, for every document
type (`derive_text` for `symderiv derive`, `handout` for handouts): which deltas a gradient
depends on, and whether an expanded form is small enough to print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import sympy as sp

from symderiv.engine.derivation import Backprop, Delta, Gradient
from symderiv.render.printing import latex_lines, visible_width

#: Expanded forms larger than this many expression nodes are not printed (they would fill pages).
MAX_PRINTED_NODES = 400
#: Widest line (in characters) an expanded form may have on a page once broken, else not printed.
MAX_LINE_WIDTH = 72

#: A test of whether an expression is worth printing: the expression when it is, else None.
Fits = Callable[[sp.Expr], sp.Expr | None]
_Forms = TypeVar("_Forms", bound="GradientForms")


def expression_size(expr: sp.Basic, limit: int) -> int:
    """Number of nodes in `expr`'s tree, counting stops once past `limit`."""
    count = 0
    for _ in sp.preorder_traversal(expr):
        count += 1
        if count > limit:
            break
    return count


def small(expr: sp.Expr) -> sp.Expr | None:
    """`expr` when it is short enough to print, else None."""
    return expr if expression_size(expr, MAX_PRINTED_NODES) <= MAX_PRINTED_NODES else None


def fits_page(expr: sp.Expr) -> sp.Expr | None:
    """`expr` when it is short, and breaks into lines that fit a page; else None."""
    if small(expr) is None:
        return None
    return expr if all(visible_width(s) <= MAX_LINE_WIDTH for s in latex_lines(expr)) else None


def deltas_needed(backprop: Backprop, gradient: Gradient) -> list[Delta]:
    """The deltas a gradient's delta is computed from, its own last (output layer first)."""
    layer = gradient.node.layer
    needed = [d for d in backprop.deltas if d.node.layer > layer]
    return [*needed, gradient.delta]


def deltas_needed_by(backprop: Backprop, gradients: Iterable[Gradient]) -> list[Delta]:
    """Every delta any of `gradients` is computed from, in the derivation's order."""
    needed = {d.symbol for g in gradients for d in deltas_needed(backprop, g)}
    return [d for d in backprop.deltas if d.symbol in needed]


@dataclass(frozen=True)
class GradientForms:
    """A gradient, the deltas it is computed from, and its expanded forms where they fit."""

    gradient: Gradient
    deltas: tuple[Delta, ...]
    local: sp.Expr | None  # in local symbols, or None when too long to print
    base: sp.Expr | None  # in base variables, or None when too long to print

    @classmethod
    def of(
        cls: type[_Forms], backprop: Backprop, gradient: Gradient, fits: Fits = small, **more: Any
    ) -> _Forms:
        """The forms of `gradient` that pass `fits`; the base-variable form only after the local.

        `more` fills the fields a document type's subclass adds.
        """
        local = fits(backprop.in_local_symbols(gradient))
        base = fits(backprop.in_base_variables(gradient)) if local is not None else None
        deltas = tuple(deltas_needed(backprop, gradient))
        return cls(gradient=gradient, deltas=deltas, local=local, base=base, **more)
