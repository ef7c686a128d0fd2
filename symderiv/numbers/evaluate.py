"""Plugging numbers into a derivation: forward values, factor values, deltas and gradients.

Values go through the same local expressions the handout prints (`z2 = w2·a1 + b2`,
`δ1 = δ2·w2·a1(1 − a1)`), one node at a time, so every number in a worked example is the value
of an expression shown beside it. Exact input (integers, fractions) stays exact; floating-point
input is carried at `PRECISION` significant digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop, Factor

#: Significant digits carried when any input is a float (far more than float64 needs).
PRECISION = 30


@dataclass(frozen=True)
class Evaluation:
    """Numbers for every symbol of the derivation, at one point."""

    values: Mapping[sp.Symbol, sp.Expr]  # inputs, targets, parameters, z, a, ŷ, δ
    cost: sp.Expr
    gradients: Mapping[sp.Symbol, sp.Expr]  # parameter -> ∂J/∂parameter
    exact: bool

    def factor(self, factor: Factor) -> sp.Expr:
        """The value of one chain-rule factor at this point."""
        return self._number(factor.value.xreplace(dict(self.values)))

    def _number(self, expr: sp.Expr) -> sp.Expr:
        return expr if self.exact else expr.evalf(PRECISION)


def evaluate(backprop: Backprop, point: Mapping[sp.Symbol, sp.Expr]) -> Evaluation:
    """Run the forward pass, then the backward pass, on the numbers in `point`.

    `point` gives every input, target, weight and bias (and `∂J/∂ŷ` when the cost is abstract).
    """
    network = backprop.network
    exact = all(not v.has(sp.Float) for v in point.values())

    def number(expr: sp.Expr) -> sp.Expr:
        return expr if exact else expr.evalf(PRECISION)

    values: dict[sp.Symbol, sp.Expr] = dict(point)
    # Forward pass: z then a, node by node, layer by layer.
    for node in network.nodes:
        values[node.z] = number(node.z_definition.xreplace(values))
        values[node.a] = number(node.a_definition.xreplace(values))
    cost = number(network.cost_expression.xreplace(values))
    # Backward pass: each delta from the ones above it (output layer first).
    for delta in backprop.deltas:
        values[delta.symbol] = number(delta.value.xreplace(values))
    gradients = {g.parameter: number(g.value.xreplace(values)) for g in backprop.gradients}
    return Evaluation(values, cost, gradients, exact)


Nested = list  # per-layer nested lists in the W[l][j][k] convention


def point_from_lists(
    network: Network,
    x: Sequence[sp.Expr],
    y: Sequence[sp.Expr],
    W: Sequence[Sequence[Sequence[sp.Expr]]],
    b: Sequence[Sequence[sp.Expr]],
) -> dict[sp.Symbol, sp.Expr]:
    """Map the `x, y, W[l][j][k], b[l][j]` lists (0-based, layer 1 first) onto the symbols.

    Shapes are checked against the network, saying what was expected and what was given.
    """
    _check_length("x", x, len(network.inputs))
    _check_length("y", y, len(network.targets))
    _check_length("W", W, network.depth, "layers")
    _check_length("b", b, network.depth, "layers")
    point: dict[sp.Symbol, sp.Expr] = dict(zip(network.inputs, x))
    point.update(zip(network.targets, y))
    for i, layer in enumerate(network.layers):
        _check_length(f"W[{i}]", W[i], len(layer), "rows (one per node)")
        _check_length(f"b[{i}]", b[i], len(layer))
        for j, node in enumerate(layer):
            _check_length(f"W[{i}][{j}]", W[i][j], len(node.weights), "columns (one per input)")
            point.update(zip(node.weights, W[i][j]))
            point[node.bias] = b[i][j]
    return point


def _check_length(name: str, given: Sequence[object], expected: int, what: str = "values") -> None:
    if not isinstance(given, (list, tuple)):
        raise SymderivError(f"{name} must be a list of {expected} {what}.")
    if len(given) != expected:
        raise SymderivError(f"{name} has {len(given)} {what}, expected {expected}.")


def gradient_lists(
    network: Network, gradients: Mapping[sp.Symbol, sp.Expr]
) -> tuple[Nested, Nested]:
    """`(dJ_dW, dJ_db)` as nested lists in the `W[l][j][k]` convention."""
    d_w = [[[gradients[w] for w in node.weights] for node in layer] for layer in network.layers]
    d_b = [[gradients[node.bias] for node in layer] for layer in network.layers]
    return d_w, d_b


def finite_value(expr: sp.Expr, name: str) -> sp.Expr:
    """`expr` as a real number (exact if rational, else PRECISION digits), or a clear error.

    Saturated activations are the usual cause: at 30 digits σ(1000) is 1, so `ln(1 − ŷ)` in the
    binary cross-entropy is −∞. The error names the quantity instead of printing `zoo`.
    """
    value = expr if expr.is_Rational or expr.is_Float else expr.evalf(PRECISION)
    if value.is_Number and value.is_finite:
        return value
    if value.is_Number or value.has(sp.zoo, sp.oo, -sp.oo):
        what = "undefined (NaN)" if value is sp.nan else "infinite"
        hint = "an activation saturated or the values are too large: use smaller inputs or weights"
    else:
        what = "not a real number"
        hint = "a logarithm of a negative number: binary cross-entropy needs 0 < ŷ < 1"
    raise SymderivError(f"{name} is {what} at these values ({hint}).")


def checked(backprop: Backprop, evaluation: Evaluation) -> Evaluation:
    """The evaluation with every value a finite real number, forward pass first, or an error."""
    from symderiv.core.naming import text_name

    def label(symbol: sp.Symbol) -> str:
        return text_name(symbol.name) or symbol.name

    network = backprop.network
    values = dict(evaluation.values)
    for node in network.nodes:
        for symbol in (node.z, node.a):
            values[symbol] = finite_value(values[symbol], label(symbol))
    cost = finite_value(evaluation.cost, "the cost J")
    for delta in backprop.deltas:
        values[delta.symbol] = finite_value(values[delta.symbol], label(delta.symbol))
    gradients = {p: finite_value(g, f"∂J/∂{label(p)}") for p, g in evaluation.gradients.items()}
    return Evaluation(values, cost, gradients, evaluation.exact)


def to_float(value: sp.Expr, name: str) -> float:
    """A checked number as a Python float, refusing what float64 cannot hold."""
    number = float(finite_value(value, name))
    if not math.isfinite(number):
        raise SymderivError(f"{name} = {sp.Float(value, 6)} is too large for a float64 number.")
    return number


class NotCompilable(Exception):
    """An expression outside what `compile_numbers` knows: use `evaluate` instead."""


Compiled = Callable[[Mapping[sp.Symbol, mpmath.mpf]], Any]


def _compile(expr: sp.Basic) -> Compiled:
    """`expr` as a closure over mpmath numbers; the tree is walked once, never turned into code."""
    if isinstance(expr, sp.Symbol):
        return lambda env: env[expr]
    if isinstance(expr, sp.Rational):
        constant = mpmath.mpf(expr.p) / expr.q
        return lambda env: constant
    if isinstance(expr, sp.Float):
        number = mpmath.mpf(expr)
        return lambda env: number
    parts = [_compile(arg) for arg in expr.args]
    if isinstance(expr, sp.Add):
        return lambda env: mpmath.fsum(part(env) for part in parts)
    if isinstance(expr, sp.Mul):
        return lambda env: mpmath.fprod(part(env) for part in parts)
    if isinstance(expr, sp.Pow):
        base, power = parts
        return lambda env: base(env) ** power(env)
    name = type(expr).__name__
    if name == "Heaviside":
        (argument, at_zero) = parts
        return lambda env: _step(argument(env), at_zero(env))
    if name in _FUNCTIONS and len(parts) == 1:
        (argument,) = parts
        function = _FUNCTIONS[name]
        return lambda env: function(argument(env))
    raise NotCompilable(name)


def _step(x: Any, at_zero: Any) -> Any:
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else at_zero


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "relu": lambda x: x if x > 0 else mpmath.mpf(0),
    "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
    "tanh": mpmath.tanh,
    "exp": mpmath.exp,
    "log": mpmath.log,
}


@dataclass(frozen=True)
class NumberProgram:
    """The forward and backward pass of `evaluate`, compiled once for many points.

    Gradient descent evaluates the same expressions at thousands of points; walking SymPy trees
    with `xreplace` each time costs milliseconds per node, closures over mpmath numbers at
    PRECISION digits cost microseconds. Same local expressions, same order, same precision.
    """

    backprop: Backprop
    forward: tuple[tuple[sp.Symbol, Compiled], ...]
    cost: Compiled
    backward: tuple[tuple[sp.Symbol, Compiled], ...]
    gradients: tuple[tuple[sp.Symbol, Compiled], ...]

    def run(self, env: dict[sp.Symbol, Any]) -> tuple[Any, dict[sp.Symbol, Any]]:
        """Fill `env` (mpmath numbers for every base variable) with every z, a and δ; return
        the cost and the gradients. Call inside `mpmath.workdps(PRECISION)`."""
        for symbol, compiled in self.forward:
            env[symbol] = compiled(env)
        cost = self.cost(env)
        for symbol, compiled in self.backward:
            env[symbol] = compiled(env)
        return cost, {p: compiled(env) for p, compiled in self.gradients}

    def evaluate(self, point: Mapping[sp.Symbol, sp.Expr]) -> Evaluation:
        """As `evaluate(backprop, point)` for decimal input, with values as SymPy Floats."""
        with mpmath.workdps(PRECISION):
            env = {s: to_mpf(v) for s, v in point.items()}
            cost, gradients = self.run(env)
            values = {s: as_sympy(v) for s, v in env.items()}
            return Evaluation(
                values, as_sympy(cost), {p: as_sympy(g) for p, g in gradients.items()}, False
            )


def to_mpf(value: sp.Expr) -> Any:
    """A SymPy number as an mpmath number at the current precision."""
    return mpmath.mpf(sp.Float(value, PRECISION))


def as_sympy(value: Any) -> sp.Expr:
    """An mpmath result as a SymPy number (a complex one becomes a complex SymPy number)."""
    if isinstance(value, mpmath.mpc):
        return sp.Float(value.real, PRECISION) + sp.I * sp.Float(value.imag, PRECISION)
    if mpmath.isnan(value):
        return sp.nan
    if mpmath.isinf(value):
        return sp.oo if value > 0 else -sp.oo
    return sp.Float(value, PRECISION)


def compile_numbers(backprop: Backprop) -> NumberProgram | None:
    """The backprop's expressions compiled for repeated evaluation, or None if one is unknown."""
    network = backprop.network
    try:
        with mpmath.workdps(PRECISION):
            forward = tuple(
                (symbol, _compile(definition))
                for node in network.nodes
                for symbol, definition in ((node.z, node.z_definition), (node.a, node.a_definition))
            )
            return NumberProgram(
                backprop,
                forward,
                _compile(network.cost_expression),
                tuple((d.symbol, _compile(d.value)) for d in backprop.deltas),
                tuple((g.parameter, _compile(g.value)) for g in backprop.gradients),
            )
    except NotCompilable:
        return None
