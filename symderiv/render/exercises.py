"""An exercise sheet and its solutions, as plain data: numbered questions over the handout's pieces.

The sheet gives what a handout begins with (the diagram, the notation, the forward pass) and asks,
in numbered questions, for what the handout derives: (1) the output deltas, (2) each hidden delta
from the deltas above it, (3) the gradients of the chosen parameters, optionally (4) all of it with
numbers and (5) the layer equations BP1–BP4. The solutions answer under the same numbers with the
handout's own derivations (its delta views, factor reasons and appendix), the worked example's
lines and the matrix form's equations; nothing here derives anything anew.

`symderiv check` judges gradients only (`∂J/∂param` for a weight or bias), so the answer files list
the questions of (3): each with the gradient written out in the forward pass's symbols, as the
checker reads plain text.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.core.naming import shown_name
from symderiv.core.written import product, substitute, total
from symderiv.engine.derivation import Backprop, FactorKind, Gradient
from symderiv.engine.layers import LayerDerivation
from symderiv.parse.plain import parse_expression
from symderiv.render.example import WorkedExample
from symderiv.render.handout import DeltaView, FactorView, Handout, LocalDerivation
from symderiv.render.printing import to_answer
from symderiv.render.views import fits_page

#: The columns of `symderiv check --batch`.
CSV_COLUMNS = ("id", "param", "answer")

Item = TypeVar("Item")


@dataclass(frozen=True)
class DeltaItem:
    """One delta asked for: its label on the page (`(a)`, or empty when it is the only one), its
    id (`2a`) and the handout's view of it, which the solution renders."""

    label: str
    id: str
    view: DeltaView


@dataclass(frozen=True)
class GradientItem:
    """One gradient asked for, and its solution: `∂J/∂z · ∂z/∂p`, the reason for `∂z/∂p`, the
    gradient written out in the forward pass's symbols (when it fits a page), and the answer in
    the plain text `symderiv check` reads."""

    label: str
    id: str
    gradient: Gradient
    local: FactorView
    written: sp.Expr | None
    answer: str


@dataclass(frozen=True)
class Question(Generic[Item]):
    number: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class NumbersQuestion:
    """The derivation with numbers: the worked example, cut to the gradients asked."""

    number: int
    example: WorkedExample


@dataclass(frozen=True)
class MatrixQuestion:
    """The backward pass for whole layers: the forward pass is given, BP1–BP4 are asked."""

    number: int
    derivation: LayerDerivation


@dataclass(frozen=True)
class Sheet:
    """Everything the exercise and solution templates render for one variant."""

    title: str
    solutions_title: str
    variant: int | None
    handout: Handout  # the network's pieces: diagram, notation, deltas, appendix
    outputs: Question[DeltaItem]
    hidden: Question[DeltaItem] | None
    gradients: Question[GradientItem]
    numbers: NumbersQuestion | None
    matrix: MatrixQuestion | None

    @property
    def network(self) -> Any:
        return self.handout.network

    @property
    def hidden_written(self) -> bool:
        """Every hidden delta fits a page written out, so the sheet may ask for that."""
        items = self.hidden.items if self.hidden is not None else ()
        return bool(items) and all(item.view.expanded is not None for item in items)

    @property
    def gradients_written(self) -> bool:
        """Every gradient asked fits a page written out, so the sheet may ask for that."""
        return all(item.written is not None for item in self.gradients.items)

    def answer_rows(self) -> list[tuple[str, str, str]]:
        """`(id, param, answer)` for every question `symderiv check` can judge."""
        items = self.gradients.items
        return [(item.id, shown_name(item.gradient.parameter.name), item.answer) for item in items]


def build_sheet(
    handout: Handout,
    gradients: Sequence[Gradient],
    *,
    title: str,
    variant: int | None = None,
    example: WorkedExample | None = None,
    matrix: LayerDerivation | None = None,
) -> Sheet:
    """The sheet for a handout built over every gradient (so it holds every delta), asking for
    `gradients`, with the numbers of `example` and the layer equations of `matrix` if given."""
    backprop = handout.backprop
    numbers = iter(range(1, 6))
    outputs = [dv for dv in handout.deltas if dv.delta.is_output]
    hidden = [dv for dv in handout.deltas if not dv.delta.is_output]
    output_question = _delta_question(next(numbers), outputs)
    hidden_question = _delta_question(next(numbers), hidden) if hidden else None
    gradient_number = next(numbers)
    written = _written_deltas(handout.deltas)
    linear = _linear_derivation(handout)
    seen: set[FactorKind] = set()
    items = []
    for (label, key), gradient in zip(_labels(gradient_number, len(gradients)), gradients):
        first = gradient.local.kind not in seen
        seen.add(gradient.local.kind)
        full = substitute(gradient.value, written)
        items.append(
            GradientItem(
                label, key, gradient, FactorView(gradient.local, linear, None, first),
                fits_page(full), plain_answer(backprop, gradient, full),
            )
        )  # fmt: skip
    variant_text = "" if variant is None else f" (variant {variant})"
    return Sheet(
        title=title + variant_text,
        solutions_title=f"{title}{variant_text}: solutions",
        variant=variant,
        handout=handout,
        outputs=output_question,
        hidden=hidden_question,
        gradients=Question(gradient_number, tuple(items)),
        numbers=None if example is None else _numbers_question(next(numbers), example),
        matrix=None if matrix is None else MatrixQuestion(next(numbers), matrix),
    )


def _numbers_question(number: int, example: WorkedExample) -> NumbersQuestion:
    """The question with numbers; its solution says where the numbers come from."""
    source = f"the numbers of question {number}"
    return NumbersQuestion(number, dataclasses.replace(example, source=source))


def _delta_question(number: int, views: Sequence[DeltaView]) -> Question[DeltaItem]:
    labels = _labels(number, len(views))
    items = (DeltaItem(label, key, dv) for (label, key), dv in zip(labels, views))
    return Question(number, tuple(items))


def _labels(number: int, count: int) -> list[tuple[str, str]]:
    """`("(a)", "3a")`, … for several items; `("", "3")` for one."""
    if count == 1:
        return [("", str(number))]
    return [(f"({letters})", f"{number}{letters}") for letters in map(_letters, range(count))]


def _letters(index: int) -> str:
    """a … z, then aa, ab, …"""
    word = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        word = chr(ord("a") + rest) + word
    return word


def _written_deltas(views: Iterable[DeltaView]) -> dict[sp.Symbol, sp.Expr]:
    """Each delta as the solutions write it: an output delta as boxed (simplified where the
    handout simplifies it), a hidden one with the deltas above it written out."""
    written: dict[sp.Symbol, sp.Expr] = {}
    for dv in views:
        delta = dv.delta
        if delta.is_output:
            written[delta.symbol] = dv.boxed
            continue
        paths = total(product(written[s], f.value) for s, f in delta.downstream)
        written[delta.symbol] = product(paths, delta.activation.value)
    return written


def _linear_derivation(handout: Handout) -> LocalDerivation | None:
    """The appendix's derivation of a linear input sum, which every `∂z/∂p` refers to."""
    views = [fv for dv in handout.deltas for fv in dv.weights]
    views += [fv for gv in handout.gradients for fv in gv.factors]
    linear = (FactorKind.WEIGHT, FactorKind.INPUT, FactorKind.BIAS)
    return next((fv.derivation for fv in views if fv.factor.kind in linear), None)


def plain_answer(backprop: Backprop, gradient: Gradient, written: sp.Expr) -> str:
    """The gradient as `symderiv check` reads it: written out in the forward pass's symbols, or,
    where that is beyond what the checker reads, with the deltas of the layer above (or its own
    delta) left as symbols, which the checker also knows."""
    delta = gradient.delta
    recursion = substitute(gradient.value, {delta.symbol: delta.value})
    for form in (written, recursion, gradient.value):
        text = to_answer(form)
        try:
            parse_expression(text)
        except (SymderivError, RecursionError):
            continue
        return text
    raise SymderivError(f"no answer for {gradient.parameter.name} fits the checker")


def cut_example(example: WorkedExample, gradients: Sequence[Gradient]) -> WorkedExample:
    """The worked example with only the gradients asked: their factors `∂z/∂p`, gradients and
    updates (every forward value, other factor and delta stays: the gradients need them)."""
    asked = {g.parameter for g in gradients}
    parameters = set(example.network.parameters)

    def kept(wrt: sp.Basic | None) -> bool:
        return wrt not in parameters or wrt in asked

    return dataclasses.replace(
        example,
        factors=tuple(line for line in example.factors if kept(line.wrt)),
        saturated=tuple(line for line in example.saturated if kept(line.wrt)),
        gradients=tuple(line for line in example.gradients if line.wrt in asked),
        updates=tuple(line for line in example.updates if line.of in asked),
    )


def csv_text(rows: Iterable[tuple[str, str, str]], *, answers: bool) -> str:
    """A `symderiv check --batch` file: the header, then each row (its answer left empty unless
    `answers`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row_id, param, answer in rows:
        writer.writerow([row_id, param, answer if answers else ""])
    return buffer.getvalue()
