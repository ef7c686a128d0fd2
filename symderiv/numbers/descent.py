"""Gradient descent on the derived gradients: `p ← p − η · ∂J/∂p` for every weight and bias.

`J` is the training-set cost (`symderiv.numbers.training`): the mean over the examples plus the L2
term, so with weight decay a weight's step is `w ← (1 − ηλ/m)·w − η·(1/m) Σ_i ∂J⁽ⁱ⁾/∂w`.
Each step evaluates the derivation's own local expressions (forward pass, deltas, gradients) at
the current parameters, for every example, so the numbers are the values of the expressions the
handout prints. Exact
input stays exact while the arithmetic stays rational and the fractions stay short (linear or ReLU
networks with a squared error), through `numbers.evaluate.evaluate`; otherwise the parameters
continue as PRECISION-digit decimals from that step on, through the same expressions compiled
once (`symderiv.numbers.evaluate.compile_numbers`), which keeps every step's work small and bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.engine.derivation import Backprop
from symderiv.numbers.evaluate import PRECISION, NumberProgram, as_sympy, compile_numbers, to_mpf
from symderiv.numbers.training import (
    SetEvaluation,
    TrainingSet,
    evaluate_set,
    run_set,
    training_set,
)
from symderiv.numbers.values import Values, display_name

#: Most steps one run may take, and most (steps × parameters): a run stays within seconds.
MAX_STEPS = 10_000
MAX_STEP_WORK = 200_000
#: Exact fractions longer than this many digits (numerator or denominator) become decimals.
MAX_EXACT_DIGITS = 40
#: A parameter beyond this magnitude means the descent diverged (the learning rate is too large).
DIVERGED = 10**100


@dataclass(frozen=True)
class Descent:
    """`steps` steps of gradient descent from the given values.

    `first` is the evaluation of the training set at the given values (what a worked example
    shows); `updated` the parameters after the first step; `history` the cost before any step,
    then after each step (steps + 1 entries); `final` every base variable (the first example's
    inputs and targets among them) after the last step.
    """

    first: SetEvaluation
    updated: Mapping[sp.Symbol, sp.Expr]
    history: tuple[sp.Expr, ...]
    final: Mapping[sp.Symbol, sp.Expr]
    learning_rate: sp.Expr
    steps: int
    exact: bool  # every step was computed exactly


def check_steps(backprop: Backprop, steps: int, examples: int = 1) -> None:
    """Refuse step counts outside 1..MAX_STEPS or beyond the work limit for this network and
    training set (each step evaluates every example)."""
    if steps < 1:
        raise SymderivError(f"--steps must be at least 1, got {steps}.")
    count = len(backprop.network.parameters)
    most = max(1, min(MAX_STEPS, MAX_STEP_WORK // (count * examples)))
    if steps > most:
        where = f"{count} parameters" + (f" and {examples} examples" if examples > 1 else "")
        raise SymderivError(
            f"{steps} steps is more than the limit of {most} for a network with {where}."
        )


def step(
    backprop: Backprop, evaluation: SetEvaluation, learning_rate: sp.Expr
) -> dict[sp.Symbol, sp.Expr]:
    """The parameters after one step from `evaluation`: `p − η · ∂J/∂p`."""
    values = evaluation.values
    return {
        p: values[p] - learning_rate * evaluation.gradients[p] for p in backprop.network.parameters
    }


def _keep_short(point: dict[sp.Symbol, sp.Expr]) -> tuple[dict[sp.Symbol, sp.Expr], bool]:
    """The point unchanged if every value is a short fraction; else all of it as decimals."""
    if all(v.is_Rational and _digits(v) <= MAX_EXACT_DIGITS for v in point.values()):
        return point, True
    return {s: v if v.is_Float else v.evalf(PRECISION) for s, v in point.items()}, False


def _digits(value: sp.Expr) -> int:
    numerator, denominator = value.as_numer_denom()
    return max(len(str(abs(int(numerator)))), len(str(int(denominator))))


def _check_converging(point: Mapping[sp.Symbol, sp.Expr], index: int) -> None:
    for symbol, value in point.items():
        if not abs(value) < DIVERGED:
            raise SymderivError(
                f"gradient descent diverged: after step {index}, |{display_name(symbol)}| is "
                f"above 1e100. Use a smaller learning rate."
            )


def descend(backprop: Backprop, values: Values, steps: int = 1) -> Descent:
    """Run `steps` steps of gradient descent from `values`, checking every value on the way."""
    check_steps(backprop, steps, values.m)
    network = backprop.network
    data = training_set(network, values)
    point: dict[sp.Symbol, sp.Expr] = dict(values.point)
    first = evaluate_set(backprop, point, data)
    evaluation = first
    history = [first.cost]
    updated: dict[sp.Symbol, sp.Expr] = {}
    exact = values.exact
    done = 0
    # Exact phase: SymPy arithmetic, while every parameter stays a short fraction.
    while exact and done < steps:
        done += 1
        new, exact = _keep_short(step(backprop, evaluation, values.learning_rate))
        _check_converging(new, done)
        point.update(new)
        updated = updated or dict(new)
        evaluation = _evaluate_after(backprop, point, data, done)
        history.append(evaluation.cost)
    # Decimal phase: the same expressions compiled once, at PRECISION digits.
    program = compile_numbers(backprop) if done < steps else None
    if program is not None:
        done, new_updated = _descend_compiled(
            program, point, data, evaluation, values.learning_rate, (done, steps), history
        )
        updated = updated or new_updated
    while done < steps:  # pragma: no cover - every registered function compiles
        done += 1
        new = step(backprop, evaluation, values.learning_rate)
        _check_converging(new, done)
        point.update(new)
        updated = updated or dict(new)
        evaluation = _evaluate_after(backprop, point, data, done)
        history.append(evaluation.cost)
    final = {s: point[s] for s in network.base_variables}
    return Descent(first, updated, tuple(history), final, values.learning_rate, steps, exact)


def _evaluate_after(
    backprop: Backprop, point: dict[sp.Symbol, sp.Expr], data: TrainingSet, index: int
) -> SetEvaluation:
    try:
        return evaluate_set(backprop, point, data)
    except SymderivError as err:
        raise SymderivError(
            f"after step {index}: {err} The learning rate may be too large."
        ) from None


def _descend_compiled(
    program: NumberProgram,
    point: dict[sp.Symbol, sp.Expr],
    data: TrainingSet,
    evaluation: SetEvaluation,
    learning_rate: sp.Expr,
    progress: tuple[int, int],
    history: list[sp.Expr],
) -> tuple[int, dict[sp.Symbol, sp.Expr]]:
    """Steps `done + 1 … steps` (`progress` is `(done, steps)`) in mpmath numbers; updates
    `point` and `history` in place.

    Returns the number of steps done and, if the first step was among them, its parameters.
    """
    done, steps = progress
    parameters = program.backprop.network.parameters
    updated: dict[sp.Symbol, sp.Expr] = {}
    with mpmath.workdps(PRECISION):
        env = {s: to_mpf(v) for s, v in point.items()}
        examples = [{s: to_mpf(v) for s, v in example.items()} for example in data.examples]
        gradients = {p: to_mpf(evaluation.gradients[p]) for p in parameters}
        rate = to_mpf(learning_rate)
        l2 = to_mpf(data.l2)
        limit = mpmath.mpf(DIVERGED)
        while done < steps:
            done += 1
            for p in parameters:
                env[p] = env[p] - rate * gradients[p]
                if not abs(env[p]) < limit:
                    _check_converging({p: as_sympy(env[p])}, done)
            if done == 1:
                updated = {p: as_sympy(env[p]) for p in parameters}
            cost, gradients = run_set(program, {p: env[p] for p in parameters}, examples, l2)
            if not (_finite(cost) and all(_finite(g) for g in gradients.values())):
                raise SymderivError(
                    f"after step {done}: the cost or a gradient is not a finite real number. "
                    "The learning rate may be too large."
                )
            history.append(as_sympy(cost))
        point.update({s: as_sympy(env[s]) for s in point})
    return done, updated


def _finite(value: Any) -> bool:
    return not isinstance(value, mpmath.mpc) and bool(mpmath.isfinite(value))
