"""The numbers of a worked example, as data: one step of back-propagation in full, then descent.

`example_numbers` evaluates the derivation at the given values, takes the value of every
chain-rule factor there, and runs gradient descent. `symderiv.render.example` writes these
numbers into the derivation; `ExampleJson` is the same numbers as floats, the object
`symderiv example --json` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import sympy as sp

from symderiv.core.network import Network, Node
from symderiv.engine.derivation import Backprop, Factor
from symderiv.numbers.assumptions import warn_broken_assumptions
from symderiv.numbers.descent import Descent, descend
from symderiv.numbers.evaluate import Evaluation, gradient_lists, to_float
from symderiv.numbers.values import Values, value_lists


@dataclass(frozen=True)
class FactorValue:
    """One chain-rule factor and its value at the example's point."""

    factor: Factor
    value: sp.Expr


@dataclass(frozen=True)
class ExampleNumbers:
    """Every number a worked example shows.

    `evaluation` (the descent's first) holds the forward pass, the deltas and the gradients at
    the given values; `factors` every distinct chain-rule factor there, from the cost back to
    the parameters; `descent` also the parameters after the first and the last step and the
    cost before and after each step.
    """

    backprop: Backprop
    values: Values
    descent: Descent
    factors: tuple[FactorValue, ...]

    @property
    def network(self) -> Network:
        return self.backprop.network

    @property
    def evaluation(self) -> Evaluation:
        return self.descent.first

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
    descent = descend(backprop, values, steps)
    factors = tuple(FactorValue(f, descent.first.factor(f)) for f in chain_factors(backprop))
    return ExampleNumbers(backprop, values, descent, factors)


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
class ExampleJson:
    """The numbers as floats, in the fields (and order) of `symderiv example --json`.

    The given `x`, `y`, `W`, `b`; the forward values `z`, `a` (per layer; the last layer's `a`
    is `yhat`), `yhat`, `J`; `delta` (per layer), `dJ_dW`, `dJ_db`; `W_next`, `b_next` (after
    all steps) and `history` (the cost before any step, then after each: steps + 1 numbers).
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

    @classmethod
    def of(cls, numbers: ExampleNumbers) -> ExampleJson:
        network, descent, evaluation = numbers.network, numbers.descent, numbers.evaluation
        values = evaluation.values

        def per_layer(symbol_of: Callable[[Node], sp.Symbol]) -> list[list[sp.Expr]]:
            return [[values[symbol_of(node)] for node in layer] for layer in network.layers]

        given = value_lists(network, values)
        after = value_lists(network, descent.final)
        d_w, d_b = gradient_lists(network, evaluation.gradients)
        spec = network.spec
        return cls(
            network=NetworkShape(
                tuple(spec.layers), spec.hidden_activation, spec.output_activation, spec.cost
            ),
            exact=descent.exact,
            learning_rate=to_float(descent.learning_rate, "the learning rate"),
            steps=descent.steps,
            x=_floats(given["x"], "x"),
            y=_floats(given["y"], "y"),
            W=_floats(given["W"], "W"),
            b=_floats(given["b"], "b"),
            z=_floats(per_layer(lambda node: node.z), "z"),
            a=_floats(per_layer(lambda node: node.a), "a"),
            yhat=_floats([values[s] for s in network.outputs], "ŷ"),
            J=to_float(evaluation.cost, "J"),
            delta=_floats(per_layer(lambda node: numbers.backprop.delta_of(node).symbol), "δ"),
            dJ_dW=_floats(d_w, "∂J/∂W"),
            dJ_db=_floats(d_b, "∂J/∂b"),
            W_next=_floats(after["W"], "W after the last step"),
            b_next=_floats(after["b"], "b after the last step"),
            history=numbers.history,
        )

    def to_json(self) -> dict[str, Any]:
        """The fields as a dict of JSON types (lists, not tuples), keys in field order."""
        return _as_lists(asdict(self))


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
