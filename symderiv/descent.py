"""Gradient descent on the derived gradients: `p ← p − η · ∂J/∂p` for every weight and bias.

Each step is one `symderiv.numeric.evaluate` (forward pass, deltas, gradients) at the current
parameters, so the numbers are the values of the expressions the handout prints. Exact input stays
exact while the arithmetic stays rational and the fractions stay short (linear or ReLU networks with
a squared error); otherwise the parameters continue as PRECISION-digit decimals from that step on,
which keeps every step's work bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from symderiv.derivation import Backprop
from symderiv.errors import SymderivError
from symderiv.numeric import PRECISION, Evaluation, checked, evaluate
from symderiv.values import Values

#: Most steps one run may take, and most (steps × parameters): a run stays within seconds.
MAX_STEPS = 10_000
MAX_STEP_WORK = 200_000
#: Exact fractions longer than this many digits (numerator or denominator) become decimals.
MAX_EXACT_DIGITS = 40


@dataclass(frozen=True)
class Descent:
    """`steps` steps of gradient descent from the given values.

    `first` is the evaluation at the given values (what a worked example shows); `updated` the
    parameters after the first step; `history` the cost before any step, then after each step
    (steps + 1 entries); `final` every base variable after the last step.
    """

    first: Evaluation
    updated: Mapping[sp.Symbol, sp.Expr]
    history: tuple[sp.Expr, ...]
    final: Mapping[sp.Symbol, sp.Expr]
    learning_rate: sp.Expr
    steps: int
    exact: bool  # every step was computed exactly


def check_steps(backprop: Backprop, steps: int) -> None:
    """Refuse step counts outside 1..MAX_STEPS or beyond the work limit for this network."""
    if steps < 1:
        raise SymderivError(f"--steps must be at least 1, got {steps}.")
    count = len(backprop.network.parameters)
    most = min(MAX_STEPS, MAX_STEP_WORK // count)
    if steps > most:
        raise SymderivError(
            f"{steps} steps is more than the limit of {most} for a network with {count} "
            "parameters."
        )


def step(
    backprop: Backprop, evaluation: Evaluation, learning_rate: sp.Expr
) -> dict[sp.Symbol, sp.Expr]:
    """The parameters after one step from `evaluation`: `p − η · ∂J/∂p`."""
    values = evaluation.values
    return {
        p: values[p] - learning_rate * evaluation.gradients[p]
        for p in backprop.network.parameters
    }


def _keep_short(point: dict[sp.Symbol, sp.Expr]) -> tuple[dict[sp.Symbol, sp.Expr], bool]:
    """The point unchanged if every value is a short fraction; else all of it as decimals."""
    if all(v.is_Rational and _digits(v) <= MAX_EXACT_DIGITS for v in point.values()):
        return point, True
    return {s: v if v.is_Float else v.evalf(PRECISION) for s, v in point.items()}, False


def _digits(value: sp.Expr) -> int:
    numerator, denominator = value.as_numer_denom()
    return max(len(str(abs(int(numerator)))), len(str(int(denominator))))


def descend(backprop: Backprop, values: Values, steps: int = 1) -> Descent:
    """Run `steps` steps of gradient descent from `values`, checking every value on the way."""
    check_steps(backprop, steps)
    network = backprop.network
    point: dict[sp.Symbol, sp.Expr] = dict(values.point)
    exact = values.exact
    first = checked(backprop, evaluate(backprop, point))
    evaluation = first
    history = [first.cost]
    updated: dict[sp.Symbol, sp.Expr] = {}
    for index in range(1, steps + 1):
        try:
            new = step(backprop, evaluation, values.learning_rate)
        except SymderivError as err:  # pragma: no cover - checked evaluations are finite
            raise SymderivError(f"step {index}: {err}") from None
        if exact:
            new, exact = _keep_short(new)
        point.update(new)
        if index == 1:
            updated = dict(new)
        try:
            evaluation = checked(backprop, evaluate(backprop, point))
        except SymderivError as err:
            raise SymderivError(
                f"after step {index}: {err} The learning rate may be too large."
            ) from None
        history.append(evaluation.cost)
    final = {s: point[s] for s in network.base_variables}
    return Descent(first, updated, tuple(history), final, values.learning_rate, steps, exact)
