"""The numbers of a worked example, as data: one step of back-propagation in full, then descent.

`example_numbers` evaluates the derivation at the given values (every example of a training
set), takes the value of every chain-rule factor there, and runs gradient descent.
`symderiv.render.example` writes these numbers into the derivation; `ExampleJson` is the same
numbers as floats, the object `symderiv example --json` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import sympy as sp

from symderiv.core.network import Network, Node
from symderiv.engine.derivation import Backprop, Factor
from symderiv.numbers.assumptions import warn_broken_assumptions
from symderiv.numbers.descent import Descent, descend
from symderiv.numbers.evaluate import Evaluation, gradient_lists, to_float
from symderiv.numbers.training import SetEvaluation
from symderiv.numbers.values import Values, value_lists


@dataclass(frozen=True)
class FactorValue:
    """One chain-rule factor and its value at the example's point."""

    factor: Factor
    value: sp.Expr


@dataclass(frozen=True)
class ExampleNumbers:
    """Every number a worked example shows.

    `evaluation` (the descent's first) holds the forward pass, the deltas and the gradients of
    every example at the given values, and the training-set cost and gradients; `factors` every
    distinct chain-rule factor, from the cost back to the parameters, with its value for the
    first example, and `example_factors(i)` the same for example i + 1; `descent` also the
    parameters after the first and the last step and the cost before and after each step.
    """

    backprop: Backprop
    values: Values
    descent: Descent

    @cached_property
    def chain(self) -> tuple[Factor, ...]:
        """Every distinct chain-rule factor, from the cost back to the parameters."""
        return tuple(chain_factors(self.backprop))

    def example_factors(self, index: int) -> tuple[FactorValue, ...]:
        """Every chain-rule factor with its value for example `index + 1`."""
        example = self.evaluation.examples[index]
        return tuple(FactorValue(f, example.factor(f)) for f in self.chain)

    @cached_property
    def factors(self) -> tuple[FactorValue, ...]:
        """Every chain-rule factor with its value for the first example."""
        return self.example_factors(0)

    @property
    def network(self) -> Network:
        return self.backprop.network

    @property
    def evaluation(self) -> SetEvaluation:
        return self.descent.first

    @property
    def averaged(self) -> bool:
        """Whether the cost is a training set's: several examples, or weight decay."""
        return self.evaluation.averaged

    @property
    def history(self) -> tuple[float, ...]:
        """The cost before any step, then after each, as floats."""
        return tuple(to_float(c, f"J after step {i}") for i, c in enumerate(self.descent.history))

    def to_json(self) -> dict[str, Any]:
        """The numbers as a JSON-ready dict (see `ExampleJson`)."""
        return ExampleJson.of(self).to_json()


def example_numbers(backprop: Backprop, values: Values, steps: int = 1) -> ExampleNumbers:
    """The numbers at `values`, and after `steps` steps of gradient descent from there."""
    warn_broken_assumptions(backprop, values.point)
    return ExampleNumbers(backprop, values, descend(backprop, values, steps))


def chain_factors(backprop: Backprop) -> list[Factor]:
    """Every distinct chain-rule factor, from the cost back to the parameters."""
    seen: set[tuple[sp.Basic, sp.Basic]] = set()
    found: list[Factor] = []
    candidates: list[Factor] = []
    for delta in backprop.deltas:
        if delta.cost is not None:
            candidates.append(delta.cost)
        candidates.append(delta.activation)
        candidates.extend(factor for pair in delta.jacobian for factor in pair)  # softmax output
        candidates.extend(factor for _, factor in delta.downstream)
    candidates.extend(g.local for g in backprop.gradients)
    for factor in candidates:
        key = (factor.of, factor.wrt)
        if key not in seen:
            seen.add(key)
            found.append(factor)
    return found


#: Floats nested as tuples, per layer in the `W[l][j][k]` convention.
Nested = Any


@dataclass(frozen=True)
class NetworkShape:
    """The network of an example, as its spec names it."""

    layers: tuple[int, ...]
    hidden_activation: str
    output_activation: str
    cost: str


@dataclass(frozen=True)
class ExampleValues:
    """One training example's numbers: its inputs and targets, forward pass, cost J⁽ⁱ⁾, deltas
    and gradients ∂J⁽ⁱ⁾/∂W, ∂J⁽ⁱ⁾/∂b (shapes as in `ExampleJson`)."""

    x: Nested
    y: Nested
    z: Nested
    a: Nested
    yhat: Nested
    J: float
    delta: Nested
    dJ_dW: Nested
    dJ_db: Nested

    @classmethod
    def of(cls, backprop: Backprop, evaluation: Evaluation) -> ExampleValues:
        network, values = backprop.network, evaluation.values

        def per_layer(symbol_of: Callable[[Node], sp.Symbol]) -> list[list[sp.Expr]]:
            return [[values[symbol_of(node)] for node in layer] for layer in network.layers]

        given = value_lists(network, values)
        d_w, d_b = gradient_lists(network, evaluation.gradients)
        return cls(
            x=_floats(given["x"], "x"),
            y=_floats(given["y"], "y"),
            z=_floats(per_layer(lambda node: node.z), "z"),
            a=_floats(per_layer(lambda node: node.a), "a"),
            yhat=_floats([values[s] for s in network.outputs], "ŷ"),
            J=to_float(evaluation.cost, "J"),
            delta=_floats(per_layer(lambda node: backprop.delta_of(node).symbol), "δ"),
            dJ_dW=_floats(d_w, "∂J/∂W"),
            dJ_db=_floats(d_b, "∂J/∂b"),
        )


@dataclass(frozen=True)
class TrainingJson:
    """What a training set adds to `symderiv example --json`, after `history`.

    `m` examples and the L2 strength `l2` (λ); `J_mean` = (1/m) Σ J⁽ⁱ⁾ and `J_l2` = (λ/(2m))
    Σ ‖W‖², whose sum is `J`; `decay_factor` = 1 − ηλ/m, what a step multiplies each weight
    by before subtracting η (1/m) Σ ∂J⁽ⁱ⁾/∂W; `examples`, each example's numbers (the first is
    also the top-level `x`, `y`, `z`, `a`, `yhat`, `delta`).
    """

    m: int
    l2: float
    J_mean: float
    J_l2: float
    decay_factor: float
    examples: tuple[ExampleValues, ...]


@dataclass(frozen=True)
class ExampleJson:
    """The numbers as floats, in the fields (and order) of `symderiv example --json`.

    The given `x`, `y`, `W`, `b`; the forward values `z`, `a` (per layer; the last layer's `a`
    is `yhat`), `yhat`, `J`; `delta` (per layer), `dJ_dW`, `dJ_db`; `W_next`, `b_next` (after
    all steps) and `history` (the cost before any step, then after each: steps + 1 numbers).

    For a training set (several examples, or L2 weight decay) `x`, `y`, `z`, `a`, `yhat` and
    `delta` are the first example's, `J`, `dJ_dW`, `dJ_db` and `history` the training set's, and
    the fields of `TrainingJson` follow `history`; for one example without decay they are absent.
    """

    network: NetworkShape
    exact: bool
    learning_rate: float
    steps: int
    x: Nested
    y: Nested
    W: Nested
    b: Nested
    z: Nested
    a: Nested
    yhat: Nested
    J: float
    delta: Nested
    dJ_dW: Nested
    dJ_db: Nested
    W_next: Nested
    b_next: Nested
    history: tuple[float, ...]
    training: TrainingJson | None = None

    @classmethod
    def of(cls, numbers: ExampleNumbers) -> ExampleJson:
        network, descent, evaluation = numbers.network, numbers.descent, numbers.evaluation
        examples = tuple(ExampleValues.of(numbers.backprop, e) for e in evaluation.examples)
        first = examples[0]
        given = value_lists(network, evaluation.values)
        after = value_lists(network, descent.final)
        d_w, d_b = gradient_lists(network, evaluation.gradients)
        spec = network.spec
        training = None
        if numbers.averaged:
            m = evaluation.m
            training = TrainingJson(
                m=m,
                l2=to_float(evaluation.l2, "l2"),
                J_mean=to_float(evaluation.mean_cost, "the mean cost"),
                J_l2=to_float(evaluation.decay, "the L2 term"),
                decay_factor=to_float(1 - descent.learning_rate * evaluation.l2 / m, "1 − ηλ/m"),
                examples=examples,
            )
        return cls(
            network=NetworkShape(
                tuple(spec.layers), spec.hidden_activation, spec.output_activation, spec.cost
            ),
            exact=descent.exact,
            learning_rate=to_float(descent.learning_rate, "the learning rate"),
            steps=descent.steps,
            x=first.x,
            y=first.y,
            W=_floats(given["W"], "W"),
            b=_floats(given["b"], "b"),
            z=first.z,
            a=first.a,
            yhat=first.yhat,
            J=to_float(evaluation.cost, "J"),
            delta=first.delta,
            dJ_dW=_floats(d_w, "∂J/∂W"),
            dJ_db=_floats(d_b, "∂J/∂b"),
            W_next=_floats(after["W"], "W after the last step"),
            b_next=_floats(after["b"], "b after the last step"),
            history=numbers.history,
            training=training,
        )

    def to_json(self) -> dict[str, Any]:
        """The fields as a dict of JSON types (lists, not tuples), keys in field order; a
        training set's fields follow `history`."""
        data = asdict(self)
        training = data.pop("training")
        return _as_lists({**data, **(training or {})})


def _floats(nested: Any, name: str) -> Nested:
    """Nested lists of numbers as nested tuples of floats; `name` says which in an error."""
    if isinstance(nested, list):
        return tuple(_floats(item, name) for item in nested)
    return to_float(nested, name)


def _as_lists(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _as_lists(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_as_lists(item) for item in data]
    return data
