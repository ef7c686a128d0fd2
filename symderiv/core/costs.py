"""Cost functions: one small frozen record each, registered in one table.

Each cost gives its value over all outputs and, per output, `∂J/∂ŷ_j` in the form a lecture
writes it (`2(ŷ − y)`, not SymPy's distributed `2ŷ − 2y`). Tests check that form against
`sympy.diff` of the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from symderiv.core import notation
from symderiv.core.errors import SpecError, did_you_mean
from symderiv.core.functions import canonical, names

if TYPE_CHECKING:
    import sympy as sp

Pair = tuple["sp.Symbol", "sp.Symbol"]  # (target y_j, prediction ŷ_j)


@dataclass(frozen=True)
class Cost:
    """A cost `J(y, ŷ)`: its per-output term and that term's derivative in lecture form."""

    name: str
    title: str
    term: Callable[..., Any] | None  # (Names, y, ŷ) -> one output's term; None: kept abstract
    derivative: Callable[..., Any]  # (Names, y, ŷ, J's symbol) -> ∂J/∂ŷ in lecture form
    formula: str  # LaTeX of J for one output, for the notation table
    formula_sum: str = ""  # LaTeX of J summed over several outputs (index j)
    float64: Callable[[Any, Any, Any], Any] | None = None  # (numpy, y, ŷ) -> J in float64
    # (numpy, y, z) -> J straight from the output's input sum, for outputs where that is stable
    float64_from_z: Mapping[str, Callable[[Any, Any, Any], Any]] = field(default_factory=dict)
    # The targets are taken to sum to this (a probability distribution over the outputs): a
    # derivation may use it, saying so, and default and sampled targets obey it. None: no such rule.
    targets_sum_to: int | None = None

    @property
    def assumption(self) -> str:
        """The assumption about the targets, in words ("" when there is none)."""
        if self.targets_sum_to is None:
            return ""
        return f"the targets sum to {self.targets_sum_to}"

    @property
    def is_abstract(self) -> bool:
        return self.term is None

    def formula_for(self, outputs: int) -> str:
        """LaTeX of `J` for a network with `outputs` outputs: with the sum over j when several,
        in the notation in force (its cost letter and logarithm)."""
        written = notation.current()
        formula = self.formula_sum if outputs > 1 and self.formula_sum else self.formula
        if formula.startswith("J "):
            formula = written.cost + formula[1:]
        return formula.replace(r"\ln", rf"\{written.log}")

    def term_at(self, y: sp.Symbol, yhat: sp.Symbol) -> sp.Expr:
        """One output's term of `J`."""
        if self.term is None:
            raise ValueError(f"the {self.title} has no formula")
        return self.term(names(), y, yhat)

    def expression(self, pairs: Sequence[Pair]) -> sp.Expr:
        """`J` as a function of the targets and predictions (an undefined `J(y, ŷ)` if abstract)."""
        import sympy as sp

        if self.term is None:
            flat = [s for pair in pairs for s in pair]
            return sp.Function("J")(*flat)
        return sp.Add(*(self.term_at(y, yhat) for y, yhat in pairs))

    def gradient(self, pair: Pair, symbol: sp.Symbol) -> sp.Expr:
        """`∂J/∂ŷ_j` for one output, in lecture form; `symbol` names it when abstract."""
        return self.derivative(names(), pair[0], pair[1], symbol)


def _log_softmax(np: Any, z: Any) -> Any:
    shifted = z - np.max(z, axis=0)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0))


COSTS: dict[str, Cost] = {
    c.name: c
    for c in (
        Cost(
            name="squared_error",
            title="squared error",
            term=lambda f, y, yhat: (yhat - y) ** 2,
            derivative=lambda f, y, yhat, _: f.product(f.sp.Integer(2), yhat - y),
            formula=r"J = \left(\hat{y} - y\right)^{2}",
            formula_sum=r"J = \sum_{j} \left(\hat{y}_{j} - y_{j}\right)^{2}",
            float64=lambda np, y, yhat: np.sum((yhat - y) ** 2),
        ),
        Cost(
            name="half_squared_error",
            title="half squared error",
            term=lambda f, y, yhat: f.sp.Rational(1, 2) * (yhat - y) ** 2,
            derivative=lambda f, y, yhat, _: yhat - y,
            formula=r"J = \frac{1}{2}\left(\hat{y} - y\right)^{2}",
            formula_sum=r"J = \frac{1}{2} \sum_{j} \left(\hat{y}_{j} - y_{j}\right)^{2}",
            float64=lambda np, y, yhat: 0.5 * np.sum((yhat - y) ** 2),
        ),
        Cost(
            name="binary_cross_entropy",
            title="binary cross-entropy",
            term=lambda f, y, yhat: -(y * f.log(yhat) + (1 - y) * f.log(1 - yhat)),
            derivative=lambda f, y, yhat, _: (yhat - y) / f.product(yhat, 1 - yhat),
            formula=r"J = -\left[y \ln \hat{y} + (1 - y) \ln\left(1 - \hat{y}\right)\right]",
            formula_sum=r"J = -\sum_{j} \left[y_{j} \ln \hat{y}_{j} + (1 - y_{j}) "
            r"\ln\left(1 - \hat{y}_{j}\right)\right]",
            float64=lambda np, y, yhat: -np.sum(y * np.log(yhat) + (1.0 - y) * np.log1p(-yhat)),
            # ln σ(z) = −ln(1 + e^(−z)) and ln(1 − σ(z)) = −ln(1 + e^z): no log of a rounded 0 or 1
            float64_from_z={
                "sigmoid": lambda np, y, z: np.sum(
                    y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
                )
            },
        ),
        Cost(
            name="categorical_cross_entropy",
            title="categorical cross-entropy",
            term=lambda f, y, yhat: -y * f.log(yhat),
            derivative=lambda f, y, yhat, _: -y / yhat,
            formula=r"J = -\sum_{j} y_{j} \ln \hat{y}_{j}",
            float64=lambda np, y, yhat: -np.sum(y * np.log(yhat)),
            # ln softmax(z)_j = z_j − ln Σ_k e^(z_k), shifted by the largest z: no ln of a rounded 0
            float64_from_z={"softmax": lambda np, y, z: -np.sum(y * _log_softmax(np, z))},
            targets_sum_to=1,
        ),
        Cost(
            name="abstract",
            title="abstract cost",
            term=None,
            derivative=lambda f, y, yhat, symbol: symbol,
            formula=r"J = J\left(y, \hat{y}\right)",
            formula_sum=r"J = J\left(y_{1}, \ldots, \hat{y}_{1}, \ldots\right)",
        ),
    )
}


def get_cost(name: str) -> Cost:
    """The registered cost called `name`, or a SpecError naming the valid ones."""
    key = canonical(name)
    if key not in COSTS:
        raise SpecError(did_you_mean("cost", name, COSTS))
    return COSTS[key]
