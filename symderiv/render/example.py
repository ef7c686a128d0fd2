"""A worked example as the templates show it: the derivation with its numbers written in.

Every line is `name = formula = formula with the numbers in = value`, so a reader can redo each
step on a calculator: the forward pass, each chain-rule factor, each delta, each gradient and
the gradient-descent update. The numbers substituted are the rounded ones shown on the page
(see `written_numbers`); the numbers themselves come from `symderiv.numbers.example`.

A training set (several examples, or L2 weight decay) is worked example by example, each
example's quantities marked with its number (`ŷ⟨2⟩`, `J⟨2⟩`, `∂J⟨2⟩/∂w₂`), then the training-set
cost `J = (1/m)·Σᵢ J⟨i⟩ + λ·Σ‖W‖²/(2·m)`, the averaged gradients with their decay term, and the
update `w ← (1 − η·λ/m)·w − η·(1/m)·Σᵢ ∂J⟨i⟩/∂w`. Up to MAX_DETAILED_EXAMPLES examples are
worked in full; beyond that the first is, and the others by their predictions and costs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symderiv.core import functions, notation
from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.core.written import product, substitute, total
from symderiv.engine.derivation import Backprop, Factor, FactorKind
from symderiv.numbers.evaluate import PRECISION, Evaluation, to_float
from symderiv.numbers.example import ExampleNumbers, FactorValue, example_numbers
from symderiv.numbers.training import weights
from symderiv.numbers.values import Values
from symderiv.render.cost_curve import Plot, evenly_spaced, tikz_plot
from symderiv.render.printing import to_latex, to_text, visible_width
from symderiv.render.templating import Math
from symderiv.render.written_numbers import (
    DEFAULT_DIGITS,
    MAX_DIGITS,
    BareNumber,
    Number,
    Partial,
    Substituted,
    bare_where_unbound,
    format_number,
)

#: Name the Markdown partial gives the cost-curve SVG, saved beside the Markdown file.
PLOT_FILE = "cost-curve.svg"
#: Rows of the cost table: the first and last step and evenly spaced ones between.
MAX_COST_ROWS = 11
#: In LaTeX, a line wider than this (visible characters) gets one row per form, and a form
#: wider than ROW_WIDTH is broken between the terms of its sum.
LONG_LINE_WIDTH = 75
ROW_WIDTH = 56

#: A training set of at most this many examples is worked in full, example by example.
MAX_DETAILED_EXAMPLES = 4

_SAFE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.svg$")
ETA = sp.Symbol("eta")
J = sp.Symbol("J")
M = sp.Symbol("m")


class OfExample(sp.Symbol):
    """A per-example quantity of a training set, marked with the example's number: `ŷ⟨2⟩`."""

    def __new__(cls, symbol: sp.Symbol, index: int) -> OfExample:
        return super().__new__(cls, f"{symbol.name}<{index}>")

    @property
    def parts(self) -> tuple[sp.Symbol, str]:
        name, _, index = self.name.rpartition("<")
        return sp.Symbol(name), index[:-1]

    def _latex(self, printer: Any, **settings: Any) -> str:
        symbol, index = self.parts
        return r"{%s}^{\langle %s\rangle}" % (printer._print(symbol), index)

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        symbol, index = self.parts
        return f"{printer._print(symbol)}⟨{index}⟩"


class ExamplePartial(sp.Symbol):
    """`∂J⟨i⟩/∂p`: one example's gradient, as one symbol."""

    def __new__(cls, parameter: sp.Symbol, index: int) -> ExamplePartial:
        return super().__new__(cls, f"dJ<{index}>/{parameter.name}")

    @property
    def parts(self) -> tuple[sp.Symbol, str]:
        head, _, name = self.name.partition("/")
        return sp.Symbol(name), head[3:-1]

    def _latex(self, printer: Any, **settings: Any) -> str:
        parameter, index = self.parts
        return r"\frac{\partial %s^{\langle %s\rangle}}{\partial %s}" % (
            notation.current().cost,
            index,
            printer._print(parameter),
        )

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        parameter, index = self.parts
        return f"∂{notation.current().cost}⟨{index}⟩/∂{printer._print(parameter)}"


class ExampleSum(sp.Symbol):
    """`Σᵢ J⟨i⟩`, or `Σᵢ ∂J⟨i⟩/∂p` for a parameter p: a sum over every example."""

    def __new__(cls, parameter: sp.Symbol | None = None) -> ExampleSum:
        return super().__new__(cls, "sum J" if parameter is None else f"sum dJ/{parameter.name}")

    @property
    def parameter(self) -> sp.Symbol | None:
        _, _, name = self.name.partition("/")
        return sp.Symbol(name) if name else None

    def _latex(self, printer: Any, **settings: Any) -> str:
        p, cost = self.parameter, notation.current().cost
        if p is None:
            return r"\sum_{i} %s^{\langle i\rangle}" % cost
        shown = printer._print(p)
        return r"\sum_{i} \frac{\partial %s^{\langle i\rangle}}{\partial %s}" % (cost, shown)

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        p, cost = self.parameter, notation.current().cost
        return f"(Σᵢ {cost}⟨i⟩)" if p is None else f"(Σᵢ ∂{cost}⟨i⟩/∂{printer._print(p)})"


class SquaredWeights(sp.Symbol):
    """`Σ‖W‖²`: the sum of every weight's square, what L2 weight decay penalises."""

    def __new__(cls) -> SquaredWeights:
        return super().__new__(cls, "sum W^2")

    def _latex(self, printer: Any, **settings: Any) -> str:
        return r"\sum_{l} \lVert W^{(l)} \rVert^{2}"

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        return "Σ‖W‖²"


class Lambda(sp.Symbol):
    """`λ`, the strength of the L2 weight decay."""

    def __new__(cls) -> Lambda:
        return super().__new__(cls, "l2 lambda")

    def _latex(self, printer: Any, **settings: Any) -> str:
        return r"\lambda"

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        return "λ"


LAMBDA = Lambda()


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
class WorkedExample:
    """Everything a worked example shows (see the `example` partials for the layout).

    For a training set (`averaged`), `given`, `forward`, `factors`, `deltas` and `gradients`
    hold every example's lines in turn (the first `detailed` examples in full, any others by
    their predictions and costs), `training_cost` the L2 sum and the training-set cost J,
    `training_gradients` each ∂J/∂p; both are empty for one example without decay.
    """

    numbers: ExampleNumbers
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
    linear: tuple[Line, ...]  # ∂z/∂w, ∂z/∂a, ∂z/∂b: an input, a weight or 1, set in one table
    deltas: tuple[Line, ...]
    gradients: tuple[Line, ...]
    updates: tuple[Line, ...]
    final: tuple[Line, ...]
    cost_rows: tuple[CostRow, ...]
    history: tuple[float, ...]
    plot: Plot | None
    plot_file: Math | None
    averaged: bool = False
    m: int = 1
    detailed: int = 1
    l2: Line | None = None  # λ, when there is weight decay
    training_cost: tuple[Line, ...] = ()
    training_gradients: tuple[Line, ...] = ()

    @property
    def network(self) -> Network:
        return self.numbers.network

    def to_json(self) -> dict[str, Any]:
        """The numbers as a JSON-ready dict (see `ExampleJson`)."""
        return self.numbers.to_json()


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
            numbers = Substituted(bare_where_unbound(substitute(formula, self.mapping)))
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
    numbers = example_numbers(backprop, values, steps)
    descent = numbers.descent
    evaluation = numbers.evaluation
    averaged = numbers.averaged
    m = evaluation.m
    detailed = m if m <= MAX_DETAILED_EXAMPLES else 1
    renames = [_renaming(backprop, i) if averaged else {} for i in range(1, m + 1)]
    by_symbol = _numbers_by_symbol(numbers, renames, values)
    show = _Shower(digits, values.exact, by_symbol)

    if averaged:
        data = [r.get(s, s) for r in renames for s in (*network.inputs, *network.targets)]
        given = tuple(show.line(s, by_symbol[s]) for s in (*data, *network.parameters))
    else:
        given = tuple(show.line(s, evaluation.values[s]) for s in network.base_variables)
    shown = [
        _example_lines(
            show, backprop, evaluation.examples[i], numbers.example_factors(i), renames[i]
        )
        for i in range(detailed)
    ]
    forward = [line for lines in shown for line in lines.forward]
    for example, rename in list(zip(evaluation.examples, renames))[detailed:]:
        forward.extend(_example_summary(show, network, example, rename))
    steps_lines = [
        show.line(p, descent.updated[p], _update_rule(p, numbers)) for p in network.parameters
    ]
    final = tuple(show.line(p, descent.final[p]) for p in network.parameters) if steps > 1 else ()
    history = numbers.history
    return WorkedExample(
        numbers=numbers,
        label=network.spec.label,
        source=values.source,
        digits=digits,
        exact=values.exact,
        steps=steps,
        learning_rate=show.line(ETA, values.learning_rate),
        given=given,
        forward=tuple(forward),
        factors=tuple(line for lines in shown for line in lines.factors),
        saturated=tuple(line for lines in shown for line in lines.saturated),
        linear=tuple(line for lines in shown for line in lines.linear),
        deltas=tuple(line for lines in shown for line in lines.deltas),
        gradients=tuple(line for lines in shown for line in lines.gradients),
        updates=tuple(steps_lines),
        final=final,
        cost_rows=_cost_rows(descent.history, digits),
        history=history,
        plot=tikz_plot(history, digits) if steps > 1 else None,
        plot_file=Math(plot_file) if steps > 1 else None,
        averaged=averaged,
        m=m,
        detailed=detailed,
        l2=show.line(LAMBDA, by_symbol[LAMBDA]) if evaluation.l2 != 0 else None,
        training_cost=_training_cost(show, numbers, detailed) if averaged else (),
        training_gradients=_training_gradients(show, numbers, detailed) if averaged else (),
    )


@dataclass(frozen=True)
class _ExampleLines:
    """The lines of one example worked in full."""

    forward: tuple[Line, ...]
    factors: tuple[Line, ...]
    saturated: tuple[Line, ...]
    deltas: tuple[Line, ...]
    gradients: tuple[Line, ...]
    linear: tuple[Line, ...] = ()


def _renaming(backprop: Backprop, index: int) -> dict[sp.Basic, sp.Basic]:
    """Each per-example symbol (inputs, targets, z, a, ŷ, δ, J) → the same marked `⟨index⟩`."""
    network = backprop.network
    symbols = (
        *network.inputs,
        *network.targets,
        *(s for node in network.nodes for s in (node.z, node.a)),
        *(d.symbol for d in backprop.deltas),
        J,
    )
    return {s: OfExample(s, index) for s in symbols}


def _numbers_by_symbol(
    numbers: ExampleNumbers, renames: Sequence[Mapping[sp.Basic, sp.Basic]], values: Values
) -> dict[sp.Symbol, sp.Expr]:
    """The value of every symbol a line may substitute: each example's, marked with its
    number, the parameters, η, every ∂J/∂p, and for a training set m, λ, the sums over the
    examples and Σ‖W‖²."""
    evaluation = numbers.evaluation
    by_symbol: dict[sp.Symbol, sp.Expr] = {ETA: values.learning_rate}
    for example, rename in zip(evaluation.examples, renames):
        by_symbol.update({rename.get(s, s): v for s, v in example.values.items()})
    by_symbol.update({Partial(p): g for p, g in evaluation.gradients.items()})
    if not numbers.averaged:
        return by_symbol
    network = numbers.network
    l2 = evaluation.l2 if values.exact else evaluation.l2.evalf(PRECISION)
    by_symbol.update({M: sp.Integer(evaluation.m), LAMBDA: l2})
    by_symbol[ExampleSum()] = sp.Add(*(e.cost for e in evaluation.examples))
    by_symbol[SquaredWeights()] = sp.Add(*(evaluation.values[w] ** 2 for w in weights(network)))
    for index, example in enumerate(evaluation.examples, start=1):
        by_symbol[OfExample(J, index)] = example.cost
        by_symbol.update({ExamplePartial(p, index): g for p, g in example.gradients.items()})
    for p in network.parameters:
        by_symbol[ExampleSum(p)] = sp.Add(*(e.gradients[p] for e in evaluation.examples))
    return by_symbol


def _example_lines(
    show: _Shower,
    backprop: Backprop,
    evaluation: Evaluation,
    factor_values: Sequence[FactorValue],
    rename: Mapping[sp.Basic, sp.Basic],
) -> _ExampleLines:
    """One example in full: forward pass and cost, factors, deltas and gradients."""
    network = backprop.network
    point = evaluation.values

    def named(expr: sp.Basic) -> Any:
        return substitute(expr, rename) if rename else expr

    forward: list[Line] = []
    for symbol, formula in network.forward:
        forward.append(show.line(named(symbol), point[symbol], named(formula)))
    forward.append(show.line(named(J), evaluation.cost, named(network.cost_expression)))
    lines = [
        show.line(named(f.factor.of), f.value, named(f.factor.value), wrt=named(f.factor.wrt))
        for f in factor_values
    ]
    trivial = [f.factor.kind in _LINEAR for f in factor_values]
    factors = tuple(line for line, t in zip(lines, trivial) if not t)
    factor_values = [f for f, t in zip(factor_values, trivial) if not t]
    linear = tuple(line for line, t in zip(lines, trivial) if t)
    saturated = tuple(
        line
        for line, f in zip(factors, factor_values)
        if f.factor.kind is FactorKind.ACTIVATION and line.number == 0 and _never_flat(f.factor)
    )
    deltas = tuple(
        show.line(named(d.symbol), point[d.symbol], named(d.value)) for d in backprop.deltas
    )
    gradients = tuple(
        show.line(named(J), evaluation.gradients[g.parameter], named(g.value), wrt=g.parameter)
        for g in backprop.gradients
    )
    return _ExampleLines(tuple(forward), factors, saturated, deltas, gradients, linear)


#: Factors of the linear input sum: each is an input, a weight or 1, read off in a table.
_LINEAR = (FactorKind.INPUT, FactorKind.WEIGHT, FactorKind.BIAS)


def _example_summary(
    show: _Shower, network: Network, evaluation: Evaluation, rename: Mapping[sp.Basic, sp.Basic]
) -> list[Line]:
    """An example not worked in full: its predictions, and its cost from them."""
    lines = [show.line(rename[s], evaluation.values[s]) for s in network.outputs]
    cost = substitute(network.cost_expression, rename)
    lines.append(show.line(rename[J], evaluation.cost, cost))
    return lines


def _mean(numbers: ExampleNumbers, detailed: int, parameter: sp.Symbol | None) -> sp.Expr:
    """`(J⟨1⟩ + … + J⟨m⟩)/m`, or the same of `∂J⟨i⟩/∂p` for a parameter, when every example is
    worked in full; else `(Σᵢ …)/m`."""
    m = numbers.evaluation.m
    if detailed == m:
        terms = total(
            OfExample(J, index) if parameter is None else ExamplePartial(parameter, index)
            for index in range(1, m + 1)
        )
    else:
        terms = ExampleSum(parameter)
    return sp.Mul(terms, sp.Pow(M, -1, evaluate=False), evaluate=False)


def _training_cost(show: _Shower, numbers: ExampleNumbers, detailed: int) -> tuple[Line, ...]:
    """Σ‖W‖² (with weight decay) and `J = (1/m)·Σᵢ J⟨i⟩ + λ·Σ‖W‖²/(2·m)`."""
    evaluation = numbers.evaluation
    mean = _mean(numbers, detailed, None)
    if evaluation.l2 == 0:
        return (show.line(J, evaluation.cost, mean),)
    squares = total(sp.Pow(w, 2, evaluate=False) for w in weights(numbers.network))
    decay = sp.Mul(
        LAMBDA,
        SquaredWeights(),
        sp.Pow(sp.Integer(2), -1, evaluate=False),
        sp.Pow(M, -1, evaluate=False),
        evaluate=False,
    )
    return (
        show.line(SquaredWeights(), show.values[SquaredWeights()], squares),
        show.line(J, evaluation.cost, sp.Add(mean, decay, evaluate=False)),
    )


def _training_gradients(show: _Shower, numbers: ExampleNumbers, detailed: int) -> tuple[Line, ...]:
    """Each `∂J/∂p = (1/m)·Σᵢ ∂J⟨i⟩/∂p`, plus `λ·w/m` for a weight under weight decay."""
    evaluation = numbers.evaluation
    decayed = set(weights(numbers.network)) if evaluation.l2 != 0 else set()
    lines = []
    for g in numbers.backprop.gradients:
        p = g.parameter
        formula = _mean(numbers, detailed, p)
        if p in decayed:
            decay = sp.Mul(LAMBDA, p, sp.Pow(M, -1, evaluate=False), evaluate=False)
            formula = sp.Add(formula, decay, evaluate=False)
        lines.append(show.line(J, evaluation.gradients[p], formula, wrt=p))
    return tuple(lines)


def _never_flat(factor: Factor) -> bool:
    """Whether the activation's derivative is positive everywhere (σ, tanh), by its record."""
    record = functions.of(factor.definition)
    return record is not None and record.slope_never_zero


def _update_rule(parameter: sp.Symbol, numbers: ExampleNumbers) -> sp.Expr:
    """`p − η · ∂J/∂p`, as written; under weight decay a weight's step shows the decay factor,
    `(1 − η·λ/m)·w − η·(1/m)·Σᵢ ∂J⟨i⟩/∂w`."""
    decayed = numbers.evaluation.l2 != 0 and parameter in weights(numbers.network)
    if not decayed:
        return sp.Add(parameter, product(sp.S.NegativeOne, ETA, Partial(parameter)), evaluate=False)
    over_m = sp.Pow(M, -1, evaluate=False)
    factor = sp.Add(sp.S.One, product(sp.S.NegativeOne, ETA, LAMBDA, over_m), evaluate=False)
    step = product(sp.S.NegativeOne, ETA, over_m, ExampleSum(parameter))
    return sp.Add(product(factor, parameter), step, evaluate=False)


def _cost_rows(history: Sequence[sp.Expr], digits: int) -> tuple[CostRow, ...]:
    chosen = evenly_spaced(len(history), MAX_COST_ROWS)
    return tuple(CostRow(i, BareNumber(format_number(history[i], digits))) for i in chosen)
