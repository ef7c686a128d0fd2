"""Cost functions: one small frozen record each, registered in one table.

Each cost gives its value over all outputs and, per output, `∂J/∂ŷ_j` in the form a lecture
writes it (`2(ŷ − y)`, not SymPy's distributed `2ŷ − 2y`). Tests check that form against
`sympy.diff` of the value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.core.errors import SpecError, did_you_mean
from symderiv.core.functions import canonical

Pair = tuple[sp.Symbol, sp.Symbol]  # (target y_j, prediction ŷ_j)


def _mul(*factors: sp.Expr) -> sp.Expr:
    """A product kept as written, so the coefficient is not distributed into the sum."""
    return sp.Mul(*factors, evaluate=False)


@dataclass(frozen=True)
class Cost:
    """A cost `J(y, ŷ)`: its per-output term and that term's derivative in lecture form."""

    name: str
    title: str
    term: Callable[[sp.Symbol, sp.Symbol], sp.Expr] | None  # None: kept abstract
    derivative: Callable[[sp.Symbol, sp.Symbol, sp.Symbol], sp.Expr]  # (y, ŷ, J's symbol)
    formula: str  # LaTeX of J for one output, for the notation table

    @property
    def is_abstract(self) -> bool:
        return self.term is None

    def expression(self, pairs: Sequence[Pair]) -> sp.Expr:
        """`J` as a function of the targets and predictions (an undefined `J(y, ŷ)` if abstract)."""
        if self.term is None:
            flat = [s for pair in pairs for s in pair]
            return sp.Function("J")(*flat)
        return sp.Add(*(self.term(y, yhat) for y, yhat in pairs))

    def gradient(self, pair: Pair, symbol: sp.Symbol) -> sp.Expr:
        """`∂J/∂ŷ_j` for one output, in lecture form; `symbol` names it when abstract."""
        return self.derivative(pair[0], pair[1], symbol)


COSTS: dict[str, Cost] = {
    c.name: c
    for c in (
        Cost(
            name="squared_error",
            title="squared error",
            term=lambda y, yhat: (yhat - y) ** 2,
            derivative=lambda y, yhat, _: _mul(sp.Integer(2), yhat - y),
            formula=r"J = \left(\hat{y} - y\right)^{2}",
        ),
        Cost(
            name="half_squared_error",
            title="half squared error",
            term=lambda y, yhat: sp.Rational(1, 2) * (yhat - y) ** 2,
            derivative=lambda y, yhat, _: yhat - y,
            formula=r"J = \frac{1}{2}\left(\hat{y} - y\right)^{2}",
        ),
        Cost(
            name="binary_cross_entropy",
            title="binary cross-entropy",
            term=lambda y, yhat: -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)),
            derivative=lambda y, yhat, _: (yhat - y) / _mul(yhat, 1 - yhat),
            formula=r"J = -\left[y \ln \hat{y} + (1 - y) \ln\left(1 - \hat{y}\right)\right]",
        ),
        Cost(
            name="abstract",
            title="abstract cost",
            term=None,
            derivative=lambda y, yhat, symbol: symbol,
            formula=r"J = J\left(y, \hat{y}\right)",
        ),
    )
}


def get_cost(name: str) -> Cost:
    """The registered cost called `name`, or a SpecError naming the valid ones."""
    key = canonical(name)
    if key not in COSTS:
        raise SpecError(did_you_mean("cost", name, COSTS))
    return COSTS[key]
