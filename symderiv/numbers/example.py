"""A worked example: the derivation with numbers in it, as data for the templates and as JSON.

Every line is `name = formula = formula with the numbers in = value`, so a reader can redo each
step on a calculator: the forward pass, each chain-rule factor, each delta, each gradient and
the gradient-descent update. The numbers substituted are the rounded ones shown on the page.

Numbers are SymPy symbols of a class of their own (`Number`) that print as their rounded text:
SymPy would otherwise fold `2·(0.62 − 1)` into `−0.76` and print `0.62 - -1` for a negative
target. A negative, fractional or scientific number is parenthesised inside products and powers
(`2·(−0.3)`, `(1/2)^2`) and bare where nothing binds tighter (a function's argument, a whole
line). `Substituted` prints its expression with an explicit `·` between factors, since
juxtaposed numbers (`0.3 0.5`) would read as one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.core.written import product, substitute
from symderiv.engine.derivation import Backprop, Factor, FactorKind
from symderiv.numbers.descent import Descent, descend
from symderiv.numbers.evaluate import PRECISION, gradient_lists, to_float
from symderiv.numbers.values import Values, value_lists
from symderiv.render.printing import HandoutLatexPrinter, to_latex, to_text, visible_width
from symderiv.render.templating import Math

DEFAULT_DIGITS = 4
MAX_DIGITS = 15
#: Name the Markdown partial gives the cost-curve SVG, saved beside the Markdown file.
PLOT_FILE = "cost-curve.svg"
#: Rows of the cost table: the first and last step and evenly spaced ones between.
MAX_COST_ROWS = 11
#: Points of the cost curve drawn (TikZ and SVG).
MAX_PLOT_POINTS = 201
#: TikZ plot size in centimetres.
PLOT_WIDTH_CM = 9.0
PLOT_HEIGHT_CM = 4.5
#: Fractions with more digits than this are shown as rounded decimals.
MAX_FRACTION_DIGITS = 6
#: In LaTeX, a line wider than this (visible characters) gets one row per form, and a form
#: wider than ROW_WIDTH is broken between the terms of its sum.
LONG_LINE_WIDTH = 75
ROW_WIDTH = 56

_SAFE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.svg$")
ETA = sp.Symbol("eta")
#: Activations whose derivative is never 0: a 0 means the activation saturated.
NEVER_FLAT = ("sigmoid", "tanh", "softplus")
J = sp.Symbol("J")


# ---------------------------------------------------------------------------------------------
# Numbers as they are written


def format_number(value: sp.Expr, digits: int) -> str:
    """Text of a number: a short fraction as `p/q`, anything else to `digits` significant digits.

    Plain decimals from 1e-4 up to where rounding would need trailing zeros (`0.6215`, `-12.5`),
    scientific beyond (`1.2e-7`, `1.235e5` rather than a falsely precise `123500`).
    """
    if value.is_Rational and _fraction_digits(value) <= MAX_FRACTION_DIGITS:
        return str(value)
    exact = Decimal(str(sp.Float(value, PRECISION)))
    if not exact.is_finite():
        raise SymderivError(f"cannot show {value}: it is not a finite number.")
    if exact == 0:
        return "0"
    mantissa, exponent = format(exact, f".{digits - 1}e").split("e")
    power = int(exponent)
    if -4 <= power < digits:
        text = format(Decimal(f"{mantissa}e{power}"), "f")
        return _strip_zeros(text)
    return f"{_strip_zeros(mantissa)}e{power}"


def _strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fraction_digits(value: sp.Expr) -> int:
    numerator, denominator = value.as_numer_denom()
    return max(len(str(abs(int(numerator)))), len(str(int(denominator))))


def _number_latex(text: str) -> str:
    if "/" in text:
        sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
        numerator, denominator = body.split("/")
        return rf"{sign}\frac{{{numerator}}}{{{denominator}}}"
    if "e" in text:
        mantissa, power = text.split("e")
        return rf"{mantissa} \times 10^{{{power}}}"
    return text


class Number(sp.Symbol):
    """A number shown in a worked example; its name is its text (`-0.179`, `3/10`, `1.2e-7`).

    Never reaches `lambdify`: it exists only to be printed.
    """

    def __new__(cls, text: str) -> Number:
        return super().__new__(cls, text)

    @property
    def text(self) -> str:
        return self.name

    @property
    def compound(self) -> bool:
        """Whether the text needs parentheses inside a product or power."""
        return self.name.startswith("-") or "/" in self.name or "e" in self.name

    def _latex(self, printer: Any = None, **settings: Any) -> str:
        tex = _number_latex(self.name)
        return rf"\left({tex}\right)" if self.compound else tex

    def _sympystr(self, printer: Any = None, **settings: Any) -> str:
        text = self.name.replace("-", "−")
        return f"({text})" if self.compound else text


class BareNumber(Number):
    """A number where nothing binds tighter: no parentheses."""

    @property
    def compound(self) -> bool:
        return False


class Partial(sp.Symbol):
    """`∂J/∂p` as one symbol, for the update rule `p ← p − η ∂J/∂p`."""

    def __new__(cls, parameter: sp.Symbol) -> Partial:
        return super().__new__(cls, parameter.name)

    def _latex(self, printer: Any, **settings: Any) -> str:
        return r"\frac{\partial J}{\partial %s}" % printer._print(sp.Symbol(self.name))

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        return "∂J/∂" + printer._print(sp.Symbol(self.name))


class Substituted(sp.Basic):
    """An expression with numbers in place of its symbols, printed with `·` between factors."""

    def __new__(cls, expr: sp.Basic) -> Substituted:
        return sp.Basic.__new__(cls, expr)

    @property
    def expr(self) -> sp.Basic:
        return self.args[0]

    def _latex(self, printer: Any = None, **settings: Any) -> str:
        return HandoutLatexPrinter({"mul_symbol": "dot"}).doprint(self.args[0])

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        return printer._print(self.args[0])


def _bare(expr: sp.Basic, alone: bool = True) -> sp.Basic:
    """`expr` with its numbers bare wherever nothing binds tighter.

    A number is bare alone, as a function's argument, first in a sum, or later in a sum when it
    is not negative (`0.3 + 1/10`, but `0.3 + (−0.2)` keeps the sign visible); inside products
    and powers a negative, fractional or scientific number keeps its parentheses.
    """
    if isinstance(expr, Number):
        return BareNumber(expr.text) if alone else expr
    if not expr.args or not expr.has(Number):
        return expr
    if isinstance(expr, sp.Add):
        args = [_bare(a, i == 0 or not _negative(a)) for i, a in enumerate(expr.args)]
        return sp.Add(*args, evaluate=False)
    if isinstance(expr, sp.Mul):
        return sp.Mul(*[_bare(a, False) for a in expr.args], evaluate=False)
    if isinstance(expr, sp.Pow):
        return sp.Pow(_bare(expr.base, False), _bare(expr.exp, True), evaluate=False)
    return expr.func(*[_bare(a, True) for a in expr.args])


def _negative(expr: sp.Basic) -> bool:
    return isinstance(expr, Number) and expr.text.startswith("-")


# ---------------------------------------------------------------------------------------------
# The worked example as data


@dataclass(frozen=True)
class Piece:
    """One row of a long formula: `lead` is "+" when the row continues a sum, else ""."""

    lead: str
    expr: sp.Basic


@dataclass(frozen=True)
class Line:
    """`lhs = forms… = value`: the left side is `of`, or `∂of/∂wrt` when `wrt` is set.

    `forms` are the formula in symbols and then with the numbers in, each left out when it would
    only repeat what follows; `rows` has each form broken into rows that fit a page (LaTeX);
    `approximate` marks a value rounded from an exact one (`≈`); `long` says the line is too
    long for one row of a LaTeX page; `number` is the value as a float.
    """

    of: sp.Basic
    wrt: sp.Symbol | None
    forms: tuple[sp.Basic, ...]
    rows: tuple[tuple[Piece, ...], ...]
    value: Number
    approximate: bool
    long: bool
    number: float


@dataclass(frozen=True)
class CostRow:
    """The cost after `step` steps (0: at the given values)."""

    step: int
    cost: Number


@dataclass(frozen=True)
class Plot:
    """The cost curve scaled into a PLOT_WIDTH_CM × PLOT_HEIGHT_CM box, as TikZ coordinates."""

    path: Math  # "(0.000,4.500) -- (0.045,4.410) -- …"
    width: Math  # of the box, in cm
    height: Math
    middle_x: Math  # half the width and height, where the axis names go
    middle_y: Math
    top: Number  # the largest cost, at the top of the box
    bottom: Number  # the smallest, at the bottom
    last_step: int


@dataclass(frozen=True)
class WorkedExample:
    """Everything a worked example shows (see the `example` partials for the layout)."""

    backprop: Backprop
    descent: Descent
    label: str
    source: str
    digits: int
    exact: bool
    steps: int
    learning_rate: Line
    given: tuple[Line, ...]
    forward: tuple[Line, ...]
    factors: tuple[Line, ...]
    saturated: tuple[Line, ...]  # activation factors that are 0 only because σ etc. saturated
    deltas: tuple[Line, ...]
    gradients: tuple[Line, ...]
    updates: tuple[Line, ...]
    final: tuple[Line, ...]
    cost_rows: tuple[CostRow, ...]
    history: tuple[float, ...]
    plot: Plot | None
    plot_file: Math | None

    @property
    def network(self) -> Network:
        return self.backprop.network

    def to_json(self) -> dict[str, Any]:
        """The numbers as a JSON-ready dict (see `example_json`)."""
        return example_json(self.backprop, self.descent)


class _Shower:
    """Rounds numbers for display and substitutes them into formulas."""

    def __init__(self, digits: int, exact: bool, numbers: Mapping[sp.Symbol, sp.Expr]) -> None:
        self.digits = digits
        self.exact = exact
        self.values = numbers
        self.mapping = {s: self.number(v)[0] for s, v in numbers.items()}

    def number(self, value: sp.Expr) -> tuple[Number, bool]:
        text = format_number(value, self.digits)
        approximate = self.exact and not (value.is_Rational and text == str(value))
        return Number(text), approximate

    def line(
        self,
        of: sp.Basic,
        value: sp.Expr,
        formula: sp.Expr | None = None,
        wrt: sp.Symbol | None = None,
        name: str = "",
    ) -> Line:
        shown, approximate = self.number(value)
        shown = BareNumber(shown.text)
        forms: list[sp.Basic] = []
        texts = [to_text(shown)]
        if formula is not None:
            numbers = Substituted(_bare(substitute(formula, self.mapping)))
            for form in (numbers, formula):  # last first, so a repeat is recognised
                text = to_text(form)
                if text not in texts:
                    forms.insert(0, form)
                    texts.append(text)
        lhs = _partial_latex(of, wrt) if wrt is not None else to_latex(of)
        widths = [visible_width(lhs), *(visible_width(to_latex(f)) + 3 for f in (*forms, shown))]
        return Line(
            of=of,
            wrt=wrt,
            forms=tuple(forms),
            rows=tuple(_rows(form) for form in forms),
            value=shown,
            approximate=approximate,
            long=sum(widths) > LONG_LINE_WIDTH,
            number=to_float(value, name or to_text(of)),
        )


def _partial_latex(of: sp.Basic, wrt: sp.Basic) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (to_latex(of), to_latex(wrt))


def _rows(form: sp.Basic) -> tuple[Piece, ...]:
    """`form` as rows of at most ROW_WIDTH visible characters, broken between the terms of a sum.

    Each row keeps the written form; a row after the first that starts with a positive term is
    led by `+` (a negative one prints its own `−`).
    """
    if visible_width(to_latex(form)) <= ROW_WIDTH:
        return (Piece("", form),)
    wrap = isinstance(form, Substituted)
    inner = form.expr if isinstance(form, Substituted) else form
    if not isinstance(inner, sp.Add):
        return (Piece("", form),)
    groups: list[list[sp.Basic]] = [[]]
    for term in inner.args:
        trial = sp.Add(*groups[-1], term, evaluate=False) if groups[-1] else term
        shown = Substituted(trial) if wrap else trial
        if groups[-1] and visible_width(to_latex(shown)) > ROW_WIDTH:
            groups.append([term])
        else:
            groups[-1].append(term)
    pieces = []
    for index, group in enumerate(groups):
        row = sp.Add(*group, evaluate=False) if len(group) > 1 else group[0]
        negative = isinstance(group[0], sp.Mul) and group[0].args[0] == -1
        lead = "" if index == 0 or negative else "+"
        pieces.append(Piece(lead, Substituted(row) if wrap else row))
    return tuple(pieces)


def worked_example(
    backprop: Backprop,
    values: Values,
    steps: int = 1,
    *,
    digits: int = DEFAULT_DIGITS,
    plot_file: str = PLOT_FILE,
) -> WorkedExample:
    """The worked example at `values`: one step in full, then `steps` steps of gradient descent."""
    if not 1 <= digits <= MAX_DIGITS:
        raise SymderivError(f"--digits must be between 1 and {MAX_DIGITS}, got {digits}.")
    if not _SAFE_FILE.match(plot_file):
        raise SymderivError(f"plot file name {plot_file!r} is not a plain name ending in .svg.")
    network = backprop.network
    descent = descend(backprop, values, steps)
    evaluation = descent.first
    numbers: dict[sp.Symbol, sp.Expr] = {**evaluation.values, ETA: values.learning_rate}
    numbers.update({Partial(p): g for p, g in evaluation.gradients.items()})
    show = _Shower(digits, values.exact, numbers)
    point = evaluation.values

    given = tuple(show.line(s, point[s]) for s in network.base_variables)
    forward: list[Line] = []
    for node in network.nodes:
        forward.append(show.line(node.z, point[node.z], node.z_definition))
        forward.append(show.line(node.a, point[node.a], node.a_definition))
    forward.append(show.line(J, evaluation.cost, network.cost_expression))

    chain_factors = _factors(backprop)
    factors = tuple(
        show.line(f.of, evaluation.factor(f), f.value, wrt=f.wrt) for f in chain_factors
    )
    saturated = tuple(
        line
        for line, factor in zip(factors, chain_factors)
        if factor.kind is FactorKind.ACTIVATION and line.number == 0 and _never_flat(factor)
    )
    deltas = tuple(show.line(d.symbol, point[d.symbol], d.value) for d in backprop.deltas)
    gradients = tuple(
        show.line(J, evaluation.gradients[g.parameter], g.value, wrt=g.parameter)
        for g in backprop.gradients
    )
    updates = tuple(show.line(p, descent.updated[p], _update_rule(p)) for p in network.parameters)
    final = tuple(show.line(p, descent.final[p]) for p in network.parameters) if steps > 1 else ()
    history = tuple(to_float(c, f"J after step {i}") for i, c in enumerate(descent.history))
    return WorkedExample(
        backprop=backprop,
        descent=descent,
        label=network.spec.label,
        source=values.source,
        digits=digits,
        exact=values.exact,
        steps=steps,
        learning_rate=show.line(ETA, values.learning_rate),
        given=given,
        forward=tuple(forward),
        factors=factors,
        saturated=saturated,
        deltas=deltas,
        gradients=gradients,
        updates=updates,
        final=final,
        cost_rows=_cost_rows(descent.history, digits),
        history=history,
        plot=_plot(history, digits) if steps > 1 else None,
        plot_file=Math(plot_file) if steps > 1 else None,
    )


def _factors(backprop: Backprop) -> list[Factor]:
    """Every distinct chain-rule factor, from the cost back to the parameters."""
    seen: set[tuple[sp.Basic, sp.Basic]] = set()
    found: list[Factor] = []
    candidates: list[Factor] = []
    for delta in backprop.deltas:
        if delta.cost is not None:
            candidates.append(delta.cost)
        candidates.append(delta.activation)
        candidates.extend(factor for _, factor in delta.downstream)
    candidates.extend(g.local for g in backprop.gradients)
    for factor in candidates:
        key = (factor.of, factor.wrt)
        if key not in seen:
            seen.add(key)
            found.append(factor)
    return found


def _never_flat(factor: Factor) -> bool:
    """Whether the activation's derivative is positive everywhere (σ, tanh, softplus)."""
    definition = factor.definition
    return isinstance(definition, sp.Function) and definition.func.__name__ in NEVER_FLAT


def _update_rule(parameter: sp.Symbol) -> sp.Expr:
    """`p − η · ∂J/∂p`, as written."""
    return sp.Add(parameter, product(sp.S.NegativeOne, ETA, Partial(parameter)), evaluate=False)


def _cost_rows(history: Sequence[sp.Expr], digits: int) -> tuple[CostRow, ...]:
    steps = len(history) - 1
    count = min(steps + 1, MAX_COST_ROWS)
    chosen = sorted({round(i * steps / (count - 1)) for i in range(count)}) if count > 1 else [0]
    return tuple(CostRow(i, BareNumber(format_number(history[i], digits))) for i in chosen)


def _sample(count: int, limit: int) -> list[int]:
    """Up to `limit` evenly spaced indices of `range(count)`, first and last included."""
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def _plot(history: Sequence[float], digits: int) -> Plot:
    low, high = min(history), max(history)
    last = len(history) - 1
    points = []
    for i in _sample(len(history), MAX_PLOT_POINTS):
        x = PLOT_WIDTH_CM * i / last
        y = PLOT_HEIGHT_CM * ((history[i] - low) / (high - low) if high > low else 0.5)
        points.append(f"({x:.3f},{y:.3f})")
    rows = [" -- ".join(points[i : i + 6]) for i in range(0, len(points), 6)]
    return Plot(
        path=Math("\n  -- ".join(rows)),
        width=Math(f"{PLOT_WIDTH_CM:g}"),
        height=Math(f"{PLOT_HEIGHT_CM:g}"),
        middle_x=Math(f"{PLOT_WIDTH_CM / 2:g}"),
        middle_y=Math(f"{PLOT_HEIGHT_CM / 2:g}"),
        top=BareNumber(format_number(sp.Float(high, 17), digits)),
        bottom=BareNumber(format_number(sp.Float(low, 17), digits)),
        last_step=last,
    )


# ---------------------------------------------------------------------------------------------
# JSON and SVG


def example_json(backprop: Backprop, descent: Descent) -> dict[str, Any]:
    """The example's numbers as floats, per-layer lists in the `W[l][j][k]` convention.

    Keys: `network`, `exact`, `learning_rate`, `steps`, the given `x`, `y`, `W`, `b`; the forward
    values `z`, `a` (per layer; the last layer's `a` is `yhat`), `yhat`, `J`; `delta` (per layer),
    `dJ_dW`, `dJ_db`; `W_next`, `b_next` (after all steps) and `history` (the cost before any
    step, then after each: steps + 1 numbers).
    """
    network = backprop.network
    evaluation = descent.first
    values = evaluation.values

    def floats(nested: Any, name: str) -> Any:
        if isinstance(nested, list):
            return [floats(item, name) for item in nested]
        return to_float(nested, name)

    def per_layer(symbol_of: Any) -> list[list[sp.Expr]]:
        return [[values[symbol_of(node)] for node in layer] for layer in network.layers]

    given = value_lists(network, descent.first.values)
    after = value_lists(network, descent.final)
    d_w, d_b = gradient_lists(network, evaluation.gradients)
    spec = network.spec
    return {
        "network": {
            "layers": list(spec.layers),
            "hidden_activation": spec.hidden_activation,
            "output_activation": spec.output_activation,
            "cost": spec.cost,
        },
        "exact": descent.exact,
        "learning_rate": to_float(descent.learning_rate, "the learning rate"),
        "steps": descent.steps,
        "x": floats(given["x"], "x"),
        "y": floats(given["y"], "y"),
        "W": floats(given["W"], "W"),
        "b": floats(given["b"], "b"),
        "z": floats(per_layer(lambda node: node.z), "z"),
        "a": floats(per_layer(lambda node: node.a), "a"),
        "yhat": floats([values[s] for s in network.outputs], "ŷ"),
        "J": to_float(evaluation.cost, "J"),
        "delta": floats(per_layer(lambda node: backprop.delta_of(node).symbol), "δ"),
        "dJ_dW": floats(d_w, "∂J/∂W"),
        "dJ_db": floats(d_b, "∂J/∂b"),
        "W_next": floats(after["W"], "W after the last step"),
        "b_next": floats(after["b"], "b after the last step"),
        "history": [to_float(c, f"J after step {i}") for i, c in enumerate(descent.history)],
    }


SVG_WIDTH, SVG_HEIGHT = 480, 260
_SVG_BOX = (60.0, 20.0, 450.0, 220.0)  # left, top, right, bottom of the plotting area


def cost_curve_svg(history: Sequence[float], digits: int = DEFAULT_DIGITS) -> str:
    """A small standalone SVG of the cost over the steps (numbers only, no user text)."""
    costs = [float(c) for c in history]
    if len(costs) < 2 or not all(abs(c) < float("inf") for c in costs):
        raise SymderivError("a cost curve needs at least two finite costs.")
    left, top, right, bottom = _SVG_BOX
    low, high = min(costs), max(costs)
    last = len(costs) - 1
    points = []
    for i in _sample(len(costs), MAX_PLOT_POINTS):
        x = left + (right - left) * i / last
        fraction = (costs[i] - low) / (high - low) if high > low else 0.5
        points.append(f"{x:.2f},{bottom - (bottom - top) * fraction:.2f}")

    def label(value: float) -> str:
        return format_number(sp.Float(value, 17), digits).replace("-", "\u2212")

    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<!-- Generated by symderiv. -->",
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" '
            f'viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" font-family="sans-serif" font-size="12">',
            "  <title>cost J over the gradient-descent steps</title>",
            f'  <rect x="0" y="0" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" fill="white"/>',
            f'  <path d="M{left},{top} V{bottom} H{right}" fill="none" stroke="black"/>',
            f'  <polyline points="{" ".join(points)}" fill="none" stroke="#1f5fbf" '
            'stroke-width="2"/>',
            f'  <text x="{left - 6}" y="{top + 4}" text-anchor="end">{label(high)}</text>',
            f'  <text x="{left - 6}" y="{bottom + 4}" text-anchor="end">{label(low)}</text>',
            f'  <text x="{left}" y="{bottom + 18}" text-anchor="middle">0</text>',
            f'  <text x="{right}" y="{bottom + 18}" text-anchor="middle">{last}</text>',
            f'  <text x="{(left + right) / 2}" y="{bottom + 34}" text-anchor="middle">step</text>',
            f'  <text x="{left - 44}" y="{(top + bottom) / 2}" text-anchor="middle" '
            'font-style="italic">J</text>',
            "</svg>",
            "",
        ]
    )
