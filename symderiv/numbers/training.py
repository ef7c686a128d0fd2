"""A training set: the cost averaged over m examples, plus L2 weight decay on the weights.

    J = (1/m) Σ_i J⁽ⁱ⁾ + (λ/(2m)) Σ_l ‖W^l‖²_F,   ∂J/∂w = (1/m) Σ_i ∂J⁽ⁱ⁾/∂w + (λ/m)·w

(biases are not decayed). Each example goes through the same per-example forward and backward
pass as a single example (`evaluate`, or the compiled `NumberProgram`), so every per-example
number is the value of an expression the derivation prints; this module only averages them and
adds the decay. With one example and λ = 0 it returns that example's numbers unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop, Factor
from symderiv.numbers.evaluate import PRECISION, Evaluation, NumberProgram, checked, evaluate
from symderiv.numbers.values import Values


@dataclass(frozen=True)
class TrainingSet:
    """Each example's inputs and targets, and the L2 strength λ (an exact rational)."""

    examples: tuple[Mapping[sp.Symbol, sp.Expr], ...]
    l2: sp.Rational

    @property
    def m(self) -> int:
        return len(self.examples)


def training_set(network: Network, values: Values) -> TrainingSet:
    """The examples of `values` and the spec's λ."""
    l2 = network.spec.l2
    return TrainingSet(values.examples(network), sp.Rational(l2.numerator, l2.denominator))


def weights(network: Network) -> tuple[sp.Symbol, ...]:
    """Every weight (the decayed parameters), layer by layer."""
    return tuple(w for node in network.nodes for w in node.weights)


@dataclass(frozen=True)
class SetEvaluation:
    """Numbers for a whole training set at one set of parameters.

    `examples` holds each example's own evaluation (its forward pass, deltas, cost J⁽ⁱ⁾ and
    gradients ∂J⁽ⁱ⁾/∂p); `mean_cost` is (1/m) Σ_i J⁽ⁱ⁾, `decay` the L2 term (λ/(2m)) Σ w², `cost`
    their sum J, and `gradients` ∂J/∂p: the mean of the examples' gradients plus (λ/m)·w.
    """

    examples: tuple[Evaluation, ...]
    l2: sp.Expr
    mean_cost: sp.Expr
    decay: sp.Expr
    cost: sp.Expr
    gradients: Mapping[sp.Symbol, sp.Expr]
    exact: bool

    @property
    def m(self) -> int:
        return len(self.examples)

    @property
    def averaged(self) -> bool:
        """Whether the cost differs from one example's: several examples, or weight decay."""
        return self.m > 1 or self.l2 != 0

    @property
    def values(self) -> Mapping[sp.Symbol, sp.Expr]:
        """The first example's values (every parameter among them)."""
        return self.examples[0].values

    def factor(self, factor: Factor) -> sp.Expr:
        """The value of one chain-rule factor for the first example."""
        return self.examples[0].factor(factor)


def combine(network: Network, examples: Sequence[Evaluation], l2: sp.Expr) -> SetEvaluation:
    """The training-set cost and gradients from each example's evaluation."""
    first = examples[0]
    exact = all(e.exact for e in examples) and not l2.has(sp.Float)
    if len(examples) == 1 and l2 == 0:
        return SetEvaluation(
            tuple(examples), l2, first.cost, sp.S.Zero, first.cost, first.gradients, exact
        )

    def number(expr: sp.Expr) -> sp.Expr:
        return expr if exact else expr.evalf(PRECISION)

    m = sp.Integer(len(examples))
    values = first.values
    decayed = set(weights(network))
    mean_cost = number(sp.Add(*(e.cost for e in examples)) / m)
    decay = number(l2 / (2 * m) * sp.Add(*(values[w] ** 2 for w in weights(network))))
    gradients = {
        p: number(
            sp.Add(*(e.gradients[p] for e in examples)) / m
            + (l2 / m * values[p] if p in decayed else 0)
        )
        for p in network.parameters
    }
    return SetEvaluation(
        tuple(examples), l2, mean_cost, decay, number(mean_cost + decay), gradients, exact
    )


def evaluate_set(
    backprop: Backprop, parameters: Mapping[sp.Symbol, sp.Expr], data: TrainingSet
) -> SetEvaluation:
    """Every example through `evaluate` at `parameters`, each checked finite, then combined."""
    examples = tuple(
        checked(backprop, evaluate(backprop, {**parameters, **example}))
        for example in data.examples
    )
    return combine(backprop.network, examples, data.l2)


def run_set(
    program: NumberProgram,
    parameters: Mapping[sp.Symbol, Any],
    data: Sequence[Mapping[sp.Symbol, Any]],
    l2: Any,
) -> tuple[Any, dict[sp.Symbol, Any]]:
    """The training-set cost and gradients in mpmath numbers, each example through the compiled
    passes (NaN where an example's value cannot be computed, as `NumberProgram.run`)."""
    network = program.backprop.network
    m = len(data)
    total = mpmath.mpf(0)
    sums = {p: mpmath.mpf(0) for p in network.parameters}
    for example in data:
        cost, gradients = program.run({**parameters, **example})
        total += cost
        for p, g in gradients.items():
            sums[p] += g
    decay = l2 / (2 * m) * mpmath.fsum(parameters[w] ** 2 for w in weights(network))
    decayed = set(weights(network))
    return total / m + decay, {
        p: s / m + (l2 / m * parameters[p] if p in decayed else 0) for p, s in sums.items()
    }
