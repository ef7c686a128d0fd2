"""What the templates are given: the derivation's data plus the forms worth printing.

Templates do no mathematics, so the choices that need it are made here: which deltas a gradient
depends on, and whether its expanded forms are small enough to print.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symderiv.engine.derivation import Backprop, Delta, Gradient

#: Expanded forms larger than this many expression nodes are not printed (they would fill pages).
MAX_PRINTED_NODES = 400


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


def deltas_needed(backprop: Backprop, gradient: Gradient) -> list[Delta]:
    """The deltas a gradient's delta is computed from, its own last (output layer first)."""
    layer = gradient.node.layer
    needed = [d for d in backprop.deltas if d.node.layer > layer]
    return [*needed, gradient.delta]


def derivation_context(backprop: Backprop, gradients: list[Gradient]) -> dict[str, Any]:
    """Context for the `derive` templates: the gradients asked for and their forms."""
    local = {g.parameter: small(backprop.in_local_symbols(g)) for g in gradients}
    base = {
        g.parameter: (
            small(backprop.in_base_variables(g)) if local[g.parameter] is not None else None
        )
        for g in gradients
    }
    return {
        "network": backprop.network,
        "gradients": gradients,
        "deltas_for": {g.parameter: deltas_needed(backprop, g) for g in gradients},
        "local_forms": local,
        "base_forms": base,
    }
