"""Assumptions a derivation states, checked against the numbers it is given.

A softmax output with the categorical cross-entropy gives `δ_j = ŷ_j − y_j` only when the targets
sum to 1: the engine derives the general `δ_j = ŷ_j Σ_k y_k − y_j`, computes with it, and states
the assumption as the last step. Targets that break it are allowed (the numbers stay right), with
a warning naming the general form, since the boxed `ŷ − y` does not hold for them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import sympy as sp

from symderiv.core.errors import SymderivWarning
from symderiv.core.written import substitute
from symderiv.engine.derivation import Backprop
from symderiv.numbers.values import display_name

#: A sum within this of the assumed value counts as equal (decimals are carried at 30 digits).
TOLERANCE = sp.Float("1e-20")


def broken_assumptions(backprop: Backprop, point: Mapping[sp.Symbol, sp.Expr]) -> list[str]:
    """One sentence for each assumption of the derivation that the numbers at `point` break."""
    found: list[str] = []
    for delta in backprop.deltas:
        assumed = delta.assumed
        if assumed is None or assumed.assumption is None:
            continue
        equation = assumed.assumption
        value = equation.lhs.xreplace(dict(point))
        if not value.is_number or abs(value - equation.rhs) <= TOLERANCE:
            continue
        name = display_name(delta.symbol)
        found.append(
            f"the targets sum to {_number(value)}, not {equation.rhs}, so "
            f"{name} = {_shown(assumed.value)} does not hold ({backprop.network.cost.title} "
            f"with {delta.node.activation.name} outputs); the numbers use the general "
            f"{name} = {_shown(delta.value)}, and likewise for every output."
        )
        break  # one sentence says it for every output
    return found


def warn_broken_assumptions(backprop: Backprop, point: Mapping[sp.Symbol, sp.Expr]) -> None:
    """A `SymderivWarning` for each assumption the numbers break (see `broken_assumptions`)."""
    for message in broken_assumptions(backprop, point):
        warnings.warn(message, SymderivWarning, stacklevel=3)


def _number(value: sp.Expr) -> str:
    return str(value) if value.is_Rational else sp.sstr(sp.Float(value, 6)).rstrip("0")


def _shown(expr: sp.Expr) -> str:
    """`ŷ₁·(y₁ + y₂) − y₁`: the expression with the network's readable names."""
    named = substitute(expr, {s: sp.Symbol(display_name(s)) for s in expr.free_symbols})
    return sp.sstr(named, order="none").replace("*", "·").replace(" - ", " − ")
