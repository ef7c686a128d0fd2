"""Building expressions the way they are written, not the way SymPy normalises them.

SymPy distributes `2·(ŷ − y)` into `2ŷ − 2y` and reorders products; a handout shows the factors
of the chain rule as they were multiplied. These helpers build unevaluated products and
substitute without re-evaluating. The values are unchanged: only the written form is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sympy as sp


def product(*factors: sp.Expr) -> sp.Expr:
    """`f1 · f2 · …` as written: nested products flattened, factors of 1 dropped."""
    flat: list[sp.Expr] = []
    for f in factors:
        if f == 1:
            continue
        flat.extend(f.args if isinstance(f, sp.Mul) and _is_plain_product(f) else (f,))
    if not flat:
        return sp.S.One
    if len(flat) == 1:
        return flat[0]
    return sp.Mul(*flat, evaluate=False)


def _is_plain_product(expr: sp.Mul) -> bool:
    """A product with no reciprocal factor, so flattening it keeps its meaning when printed."""
    return not any(isinstance(a, sp.Pow) and a.exp.is_negative for a in expr.args)


def total(terms: Iterable[sp.Expr]) -> sp.Expr:
    """`t1 + t2 + …` as written."""
    items = list(terms)
    if len(items) == 1:
        return items[0]
    return sp.Add(*items, evaluate=False)


def substitute(expr: sp.Expr, mapping: Mapping[sp.Basic, sp.Expr]) -> sp.Expr:
    """`expr` with symbols replaced, keeping the written form of everything around them.

    Shared sub-expressions are visited once, so the work stays linear in the size of the
    expression graph.
    """
    memo: dict[sp.Basic, sp.Expr] = {}

    def walk(node: sp.Basic) -> sp.Expr:
        if node in mapping:
            return mapping[node]
        if not node.args:
            return node
        if node in memo:
            return memo[node]
        args = [walk(a) for a in node.args]
        if isinstance(node, sp.Mul):
            result = product(*args)
        elif isinstance(node, (sp.Add, sp.Pow)):
            result = node.func(*args, evaluate=False)
        else:
            result = node.func(*args)
        memo[node] = result
        return result

    return walk(expr)
