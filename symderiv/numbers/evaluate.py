"""Plugging numbers into a derivation: forward values, factor values, deltas and gradients.

Values go through the same local expressions the handout prints (`z2 = w2·a1 + b2`,
`δ1 = δ2·w2·a1(1 − a1)`), one node at a time, so every number in a worked example is the value
of an expression shown beside it. Exact input (integers, fractions) stays exact; floating-point
input is carried at `PRECISION` significant digits.

Where the same expressions are evaluated at many points (gradient descent, the checker), they go
through the package's one mpmath evaluator instead (`Evaluator`): a SymPy tree compiled into a
list of mpmath operations over numbered value slots. Nothing is turned into Python code
(`lambdify` runs generated source, so a crafted symbol name would run), anything it does not know
is refused (`Unsupported`), and a value that is not a finite real number, or whose computation
would not stay bounded (`exp` of a huge argument), is reported as `Undefined`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symderiv.core import functions
from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop, Factor

#: Significant digits carried when any input is a float (far more than float64 needs), and of
#: every evaluation by `Evaluator` unless it is asked for more.
PRECISION = 30
RTOL = mpmath.mpf("1e-15")  # relative tolerance: room for 15 digits lost to cancellation
ATOL = mpmath.mpf("1e-24")  # absolute tolerance, for values that are (nearly) zero
MAX_MAGNITUDE_BITS = 20_000  # |value| above 2**this counts as overflow (not finite)
MAX_EXPONENT = 2**14  # exp of more than this would overflow the bound
MAX_CACHED_PROGRAMS = 20_000  # compiled expressions kept per evaluator


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
    # Forward pass: z then a, node by node, layer by layer (a softmax layer's z all first).
    for symbol, definition in network.forward:
        values[symbol] = number(definition.xreplace(values))
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


# ---------------------------------------------------------------------------- the evaluator


class Undefined(Exception):
    """The expression has no finite real value at this point."""


class Unsupported(SymderivError):
    """An expression with a function, constant or symbol the evaluator does not know."""


def close(a: Any, b: Any) -> bool:
    """Equal within the tolerance: |a − b| ≤ ATOL + RTOL·max(|a|, |b|)."""
    return bool(abs(a - b) <= ATOL + RTOL * max(abs(a), abs(b)))


class Program:
    """An expression compiled to mpmath operations over numbered value slots.

    Each instruction appends one value: a slot's value, a constant, or a function of earlier
    values. Shared sub-expressions are computed once.
    """

    __slots__ = ("code",)

    def __init__(self, code: list[tuple[int, Any]]) -> None:
        self.code = code

    def run(self, slots: Sequence[Any]) -> Any:
        values: list[Any] = []
        push = values.append
        try:
            for kind, arg in self.code:
                if kind == 0:
                    push(slots[arg])
                elif kind == 1:
                    push(arg)
                else:
                    function, indices = arg
                    push(function(*[values[i] for i in indices]))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            raise Undefined from None
        return values[-1]


class Evaluator:
    """Compiles SymPy expressions into `Program`s computed at `digits` significant digits.

    `slots` numbers the symbols an expression may use; a program reads their values from a
    sequence in that order. Each evaluator has an mpmath context of its own, so evaluations at
    different precisions never disturb each other or mpmath's global context.
    """

    def __init__(self, digits: int, slots: Mapping[sp.Symbol, int]) -> None:
        self.ctx = mpmath.MPContext()
        self.ctx.dps = digits
        self.slots = slots
        self.cache: dict[sp.Basic, Program] = {}
        self.limit = self.ctx.mpf(MAX_EXPONENT)
        self.forms = _Forms(self)

    def compile(self, expr: sp.Basic) -> Program:
        """`expr` as a program; `Unsupported` if it has anything this evaluator does not know."""
        cached = self.cache.get(expr)
        if cached is not None:
            return cached
        code: list[tuple[int, Any]] = []
        index: dict[sp.Basic, int] = {}

        def visit(node: sp.Basic) -> int:
            found = index.get(node)
            if found is not None:
                return found
            if isinstance(node, sp.Symbol):
                if node not in self.slots:
                    raise Unsupported(f"no value for the symbol {node.name!r}")
                code.append((0, self.slots[node]))
            elif node.is_Number or isinstance(
                node, (sp.NumberSymbol, sp.core.numbers.ImaginaryUnit)
            ):
                code.append((1, self.constant(node)))
            else:
                function = self.operation(node)
                indices = tuple(visit(arg) for arg in self.operands(node))
                code.append((2, (function, indices)))
            index[node] = len(code) - 1
            return index[node]

        visit(expr)
        program = Program(code)
        if len(self.cache) >= MAX_CACHED_PROGRAMS:  # a long-lived checker sees endless answers
            self.cache.clear()
        self.cache[expr] = program
        return program

    def constant(self, node: sp.Basic) -> Any:
        ctx = self.ctx
        if node is sp.E:
            return ctx.e
        if node is sp.pi:
            return ctx.pi
        if node is sp.I:
            return ctx.mpc(0, 1)
        if isinstance(node, sp.Rational):
            return ctx.mpf(int(node.p)) / int(node.q)
        if isinstance(node, sp.Float):
            return ctx.mpf(str(node))
        raise Unsupported(f"cannot evaluate the constant {node}")

    @staticmethod
    def operands(node: sp.Basic) -> tuple[sp.Basic, ...]:
        if isinstance(node, sp.Pow) and node.exp.is_Integer:
            return (node.base,)  # the integer exponent is part of the operation
        return tuple(node.args)

    def operation(self, node: sp.Basic) -> Callable[..., Any]:
        if isinstance(node, sp.Add):
            return self.add
        if isinstance(node, sp.Mul):
            return _multiply
        if isinstance(node, sp.Pow):
            if node.exp.is_Integer:
                n = int(node.exp)
                return lambda b: self.bounded(b**n)
            if node.exp == sp.S.Half:
                return self.ctx.sqrt
            return self.power
        for kind in type(node).__mro__:
            function = MPMATH_FUNCTIONS.get(kind)
            if function is not None:
                return functools.partial(function, self)
        name = getattr(node, "func", type(node)).__name__
        raise Unsupported(f"cannot evaluate {name}(...)")

    # -- operations that keep the work bounded and report what has no finite real value

    def add(self, *terms: Any) -> Any:
        """The sum, rounded once (two terms: one rounding anyway, and faster)."""
        if len(terms) == 2:
            return terms[0] + terms[1]
        return self.ctx.fsum(terms)

    def real(self, value: Any) -> Any:
        if isinstance(value, self.ctx.mpc):
            if value.imag != 0:
                raise Undefined
            return value.real
        return value

    def check_exponent(self, x: Any) -> Any:
        if abs(x.real if isinstance(x, self.ctx.mpc) else x) > self.limit:
            raise Undefined
        return x

    def exp(self, x: Any) -> Any:
        return self.ctx.exp(self.check_exponent(x))

    def log(self, x: Any) -> Any:
        if x == 0:
            raise Undefined
        return self.ctx.log(x)

    def power(self, base: Any, exponent: Any) -> Any:
        if base == 0:
            if self.real(exponent) <= 0:
                raise Undefined
            return self.ctx.zero
        self.check_exponent(exponent * self.ctx.log(abs(base)))
        return self.ctx.power(base, exponent)

    def bounded(self, value: Any) -> Any:
        if value != 0 and self.ctx.mag(value) > MAX_MAGNITUDE_BITS:
            raise Undefined
        return value

    def finite_real(self, value: Any) -> Any:
        """The value as a finite real number, or `Undefined`."""
        ctx = self.ctx
        if isinstance(value, ctx.mpc):
            if abs(value.imag) > ATOL + RTOL * abs(value.real):
                raise Undefined
            value = value.real
        if not ctx.isfinite(value) or (value != 0 and ctx.mag(value) > MAX_MAGNITUDE_BITS):
            raise Undefined
        return value

    def value(self, program: Program, slots: Sequence[Any]) -> Any:
        """The program's finite real value at `slots`, or `Undefined`."""
        return self.finite_real(program.run(slots))


def _multiply(*factors: Any) -> Any:
    result = factors[0]
    for factor in factors[1:]:
        result = result * factor
    return result


class _Forms:
    """What a record's mpmath form is given: the evaluator's bounded `exp`, `log` and `re` (a
    value past the bounds, or complex where a real is needed, is `Undefined`), mpmath for the
    rest."""

    def __init__(self, evaluator: Any) -> None:
        self._evaluator = evaluator

    def exp(self, x: Any) -> Any:
        return self._evaluator.exp(x)

    def log(self, x: Any) -> Any:
        return self._evaluator.log(x)

    def re(self, x: Any) -> Any:
        return self._evaluator.real(x)

    def sinh(self, x: Any) -> Any:
        return self._evaluator.ctx.sinh(self._evaluator.check_exponent(x))

    def cosh(self, x: Any) -> Any:
        return self._evaluator.ctx.cosh(self._evaluator.check_exponent(x))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._evaluator.ctx, name)


def _by_record(record: functions.Function) -> Callable[..., Any]:
    return lambda m, *args: record.mpmath(m.forms, *args)


#: How each function is computed: SymPy function class → `f(evaluator, *argument values)`. Every
#: function of the table by its record's mpmath form, and the few SymPy names derivatives bring
#: in. A function missing here is `Unsupported`.
MPMATH_FUNCTIONS: dict[type, Callable[..., Any]] = {
    **{
        record.symbolic: _by_record(record)
        for record in functions.FUNCTIONS
        if isinstance(record.symbolic, type)
    },
    sp.sign: lambda m, x: m.ctx.sign(x),
    sp.re: lambda m, x: m.ctx.re(x),
    sp.im: lambda m, x: m.ctx.im(x),
}


# ---------------------------------------------------------------------------- many points


class Passes:
    """The forward pass, then the backward pass, of a derivation as assignments to slots.

    Slots are numbered `base` first, then every node's `z` and `a`, then every δ (output layer
    first). Running the passes gives every `z`, `a`, `ŷ` and `δ` from the base values: the same
    as substituting the nested network and the expanded deltas, at a fraction of the cost.
    """

    def __init__(self, backprop: Backprop, base: Sequence[sp.Symbol]) -> None:
        network = backprop.network
        intermediates = [s for node in network.nodes for s in (node.z, node.a)]
        deltas = [d.symbol for d in backprop.deltas]
        self.base = tuple(base)
        self.order: tuple[sp.Symbol, ...] = (*self.base, *intermediates, *deltas)
        self.slots: dict[sp.Symbol, int] = {s: i for i, s in enumerate(self.order)}
        backward = [(d.symbol, d.value) for d in backprop.deltas]
        self.steps = tuple((self.slots[s], expr) for s, expr in (*network.forward, *backward))

    def run(self, evaluator: Evaluator, base_values: Sequence[Any]) -> list[Any]:
        """Every slot's value from the base values; `Undefined` where one is not finite and real."""
        slots: list[Any] = [*base_values, *([None] * (len(self.order) - len(base_values)))]
        for slot, expr in self.steps:
            slots[slot] = evaluator.value(evaluator.compile(expr), slots)
        return slots


@dataclass(frozen=True)
class NumberProgram:
    """The forward and backward pass of `evaluate`, compiled once for many points.

    Gradient descent evaluates the same expressions at thousands of points; walking SymPy trees
    with `xreplace` each time costs milliseconds per node, compiled programs at PRECISION digits
    cost microseconds. Same local expressions, same order, same precision.
    """

    backprop: Backprop
    passes: Passes
    evaluator: Evaluator
    cost: Program
    gradients: tuple[tuple[sp.Symbol, Program], ...]

    def run(self, env: dict[sp.Symbol, Any]) -> tuple[Any, dict[sp.Symbol, Any]]:
        """Fill `env` (mpmath numbers for every base variable) with every z, a and δ; return
        the cost and the gradients, as NaN where a value cannot be computed (a z, a or δ that is
        not a finite real number, a division by zero). A complex cost is returned as it is: the
        logarithm of a negative output is undefined even where a zero target multiplies it."""
        evaluator = self.evaluator
        base = len(self.passes.base)
        try:
            slots = self.passes.run(
                evaluator, [evaluator.ctx.convert(env[s]) for s in self.passes.base]
            )
            cost = self.cost.run(slots)
            gradients = {p: mpmath.mpmathify(program.run(slots)) for p, program in self.gradients}
        except Undefined:
            return mpmath.nan, {p: mpmath.nan for p, _ in self.gradients}
        env.update(zip(self.passes.order[base:], map(mpmath.mpmathify, slots[base:])))
        return mpmath.mpmathify(cost), gradients

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
    passes = Passes(backprop, network.base_variables)
    evaluator = Evaluator(PRECISION, passes.slots)
    try:
        for _, expr in passes.steps:
            evaluator.compile(expr)
        return NumberProgram(
            backprop,
            passes,
            evaluator,
            evaluator.compile(network.cost_expression),
            tuple((g.parameter, evaluator.compile(g.value)) for g in backprop.gradients),
        )
    except Unsupported:
        return None
