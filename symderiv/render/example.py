"""A worked example as the templates show it: the derivation with its numbers written in.

Every line is `name = formula = formula with the numbers in = value`, so a reader can redo each
step on a calculator: the forward pass, each chain-rule factor, each delta, each gradient and
the gradient-descent update. The numbers substituted are the rounded ones shown on the page
(see `written_numbers`); the numbers themselves come from `symderiv.numbers.example`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symderiv.core import functions
from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.core.written import product, substitute
from symderiv.engine.derivation import Backprop, Factor, FactorKind
from symderiv.numbers.evaluate import to_float
from symderiv.numbers.example import ExampleNumbers, example_numbers
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

_SAFE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.svg$")
ETA = sp.Symbol("eta")
J = sp.Symbol("J")


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
    """Everything a worked example shows (see the `example` partials for the layout)."""

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
    by_symbol: dict[sp.Symbol, sp.Expr] = {**evaluation.values, ETA: values.learning_rate}
    by_symbol.update({Partial(p): g for p, g in evaluation.gradients.items()})
    show = _Shower(digits, values.exact, by_symbol)
    point = evaluation.values

    given = tuple(show.line(s, point[s]) for s in network.base_variables)
    forward = [show.line(symbol, point[symbol], formula) for symbol, formula in network.forward]
    forward.append(show.line(J, evaluation.cost, network.cost_expression))

    factors = tuple(
        show.line(f.factor.of, f.value, f.factor.value, wrt=f.factor.wrt) for f in numbers.factors
    )
    saturated = tuple(
        line
        for line, f in zip(factors, numbers.factors)
        if f.factor.kind is FactorKind.ACTIVATION and line.number == 0 and _never_flat(f.factor)
    )
    deltas = tuple(show.line(d.symbol, point[d.symbol], d.value) for d in backprop.deltas)
    gradients = tuple(
        show.line(J, evaluation.gradients[g.parameter], g.value, wrt=g.parameter)
        for g in backprop.gradients
    )
    updates = tuple(show.line(p, descent.updated[p], _update_rule(p)) for p in network.parameters)
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
        factors=factors,
        saturated=saturated,
        deltas=deltas,
        gradients=gradients,
        updates=updates,
        final=final,
        cost_rows=_cost_rows(descent.history, digits),
        history=history,
        plot=tikz_plot(history, digits) if steps > 1 else None,
        plot_file=Math(plot_file) if steps > 1 else None,
    )


def _never_flat(factor: Factor) -> bool:
    """Whether the activation's derivative is positive everywhere (σ, tanh), by its record."""
    record = functions.of(factor.definition)
    return record is not None and record.slope_never_zero


def _update_rule(parameter: sp.Symbol) -> sp.Expr:
    """`p − η · ∂J/∂p`, as written."""
    return sp.Add(parameter, product(sp.S.NegativeOne, ETA, Partial(parameter)), evaluate=False)


def _cost_rows(history: Sequence[sp.Expr], digits: int) -> tuple[CostRow, ...]:
    chosen = evenly_spaced(len(history), MAX_COST_ROWS)
    return tuple(CostRow(i, BareNumber(format_number(history[i], digits))) for i in chosen)
