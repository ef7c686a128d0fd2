"""Judging an answer in the matrix form: `∂J/∂W⁽²⁾`, `∂J/∂b⁽²⁾`, `δ⁽¹⁾` (Δ⁽¹⁾ over a training set).

`--param W2` asks for the whole gradient of a layer's weights, `b2` for its biases (in a network
that is not a chain: a chain's `b2` is its one bias, judged by the scalar check) and `delta1` for
its delta. The answer is read by `symderiv.parse.matrix` and built on the layer derivation's
matrices (`symderiv.check.matrix_build`). The verdict goes by shape first (a shape that does not
fit, or is not the target's, is incorrect, with the shapes), then by every entry at random
points, as the scalar check does:

- Each of the m examples of a training set has its own slots: example 0 uses the scalar engine's
  symbols, example i a copy of every symbol that is not a parameter, so one program reads the
  values of every example; the passes of the scalar derivation fill in each example's z, a, ŷ, δ.
- The truth is the scalar engine's: entry (j, k) of ∂J/∂W⁽ˡ⁾ is the mean over the examples of
  ∂J⁽ⁱ⁾/∂w⁽ˡ⁾ⱼₖ plus (λ/m)·w⁽ˡ⁾ⱼₖ, column i of Δ⁽ˡ⁾ holds example i's δ⁽ˡ⁾ⱼ.
- Entries are compared with the package's evaluator and tolerance, a difference is confirmed at
  higher precision, and the mistake is named by `symderiv.check.matrix_diagnose`.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from symderiv.check import matrix_messages as say
from symderiv.check import messages
from symderiv.check.matrix_build import (
    Builder,
    Built,
    Meanings,
    NotUnderstood,
    Shape,
    ShapeProblem,
    TooLarge,
    entries,
)
from symderiv.check.result import CheckResult, Counterexample, Verdict, cannot_judge
from symderiv.check.sample import MAX_ATTEMPTS, MIN_INFORMATIVE, seed
from symderiv.core import naming, notation
from symderiv.core.errors import SymderivError
from symderiv.engine.derivation import cost_symbol, delta_symbol
from symderiv.engine.layers import LayerDerivation, derive_layers
from symderiv.numbers.evaluate import ATOL, PRECISION, Evaluator, Program, Undefined, close
from symderiv.parse import matrix as tree
from symderiv.parse.equation import split_equation
from symderiv.parse.latex import looks_like_latex, strip_delimiters
from symderiv.parse.matrix_latex import parse_matrix_latex
from symderiv.parse.plain import ParseError
from symderiv.render.printing import to_text

if TYPE_CHECKING:
    from symderiv.check.judge import Judge

CONFIRM_PRECISION = 60
MIN_POINTS = 8
_DERIVATIVE = re.compile(r"^[d∂]J\s*/\s*[d∂]\s*")
_SCALAR_SPELLINGS = frozenset({"w", "b"})
_KINDS = {"W": "W", "w": "W", "b": "b", "delta": "delta", "Delta": "delta"}


@dataclass(frozen=True)
class Target:
    """What a matrix answer is checked against: ∂J/∂W⁽ˡ⁾, ∂J/∂b⁽ˡ⁾ or δ⁽ˡ⁾ (Δ⁽ˡ⁾)."""

    kind: str  # "W", "b" or "delta"
    layer: int
    batch: bool

    @property
    def name(self) -> str:
        stem = "Delta" if self.kind == "delta" and self.batch else self.kind
        return naming.matrix_name(stem, self.layer)

    @property
    def label(self) -> str:
        shown = naming.matrix_text_name(self.name) or self.name
        return shown if self.kind == "delta" else notation.current().gradient_text(shown)


def target(judge: Judge, param: str) -> Target | None:
    """The matrix target `param` names (`W2`, `W^{(2)}`, `δ1`, `b2` off a chain), or None for
    a scalar parameter (which keeps its own check) or a name that is not one."""
    try:
        if judge.names.parameter(param) in {p.name for p in judge.network.parameters}:
            return None
    except SymderivError:
        pass
    depth = judge.network.spec.depth
    parsed = _target_name(param, depth)
    if parsed is None and notation.current().named_gradients and param.strip()[:2] in _D_TARGETS:
        parsed = _target_name(param.strip()[1:], depth)  # dW2: the gradient named for its matrix
    if parsed is None or parsed[0] not in _KINDS:
        return None
    stem, layer = parsed
    if stem in _SCALAR_SPELLINGS and not 1 <= layer <= judge.network.spec.depth:
        return None  # `w9`, `b9`: the scalar check's unknown parameter, with its did-you-mean
    batch = judge.network.spec.examples > 1
    return Target(_KINDS[stem], layer, batch)


_D_TARGETS = ("dW", "db")


def _target_name(param: str, depth: int) -> tuple[str, int] | None:
    name = _one_name(param)
    return None if name is None else tree.layer_name(name.removeprefix("dJ_d"), depth)


def label(param: str) -> str | None:
    """How a result's parameter is shown when it is a matrix target (`∂J/∂W⁽²⁾`, `δ⁽¹⁾`), or
    None (a bias keeps the scalar check's `∂J/∂b₂`: the same name is a chain's one bias)."""
    with notation.using(notation.DEFAULT):  # a result's parameter is the target's own name
        parsed = tree.layer_name(param)
    if parsed is None or parsed[0] not in ("W", "delta", "Delta"):
        return None
    return Target(_KINDS[parsed[0]], parsed[1], parsed[0] == "Delta").label


def _one_name(text: str) -> str | None:
    """`text` as one name of the matrix form (after `dJ/d` or `∂J/∂`, if any), or None."""
    text = _DERIVATIVE.sub("", text.strip(), count=1)
    try:
        if looks_like_latex(text):
            node, _ = parse_matrix_latex(text)
        else:
            node = tree.parse_matrix(text)
    except ParseError:
        return None
    return node.name if isinstance(node, tree.Name) else None


@dataclass
class Point:
    """One comparable point: the draws of each example, every slot, answer and truth entries."""

    draws: tuple[tuple[int, ...], ...]
    slots: list[Any]
    answer: tuple[Any, ...]
    truth: tuple[Any, ...]


class Context:
    """Everything a matrix answer for one network needs: its derivation, slots and truths."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        network = judge.network
        self.network = network
        spec = network.spec
        self.derivation: LayerDerivation = derive_layers(spec)
        self.meanings = Meanings(self.derivation)
        self.m = spec.examples
        self.l2 = sp.Rational(spec.l2.numerator, spec.l2.denominator)
        passes = judge.passes
        self.width = len(passes.order)
        parameters = frozenset(network.parameters)
        self.param_positions = tuple(k for k, s in enumerate(passes.base) if s in parameters)
        self.copies: list[dict[sp.Symbol, sp.Symbol]] = [{}]
        slots = dict(passes.slots)
        for i in range(1, self.m):
            copy = {s: sp.Dummy(f"{s.name}_{i + 1}") for s in passes.order if s not in parameters}
            self.copies.append(copy)
            slots.update({c: i * self.width + passes.slots[s] for s, c in copy.items()})
        self.slots = slots
        self.values = self._values()
        self.evaluators: dict[int, Evaluator] = {}
        self.truths: dict[Target, list[sp.Expr]] = {}

    def evaluator(self, digits: int) -> Evaluator:
        if digits not in self.evaluators:
            self.evaluators[digits] = Evaluator(digits, self.slots)
        return self.evaluators[digits]

    def copied(self, expr: sp.Expr, example: int) -> sp.Expr:
        return expr.xreplace(self.copies[example]) if example else expr

    def columns(self, symbols: Sequence[sp.Expr]) -> sp.ImmutableMatrix:
        """The matrix whose column i holds `symbols` for example i."""
        return sp.ImmutableMatrix([[self.copied(s, i) for i in range(self.m)] for s in symbols])

    def _values(self) -> dict[Any, Any]:
        """Every matrix of the derivation as an explicit matrix of the examples' symbols."""
        network, derivation = self.network, self.derivation
        cost = network.cost
        pairs = zip(network.targets, network.outputs)
        gradient = [
            cost.gradient(pair, cost_symbol(network, j)) for j, pair in enumerate(pairs, start=1)
        ]
        values: dict[Any, Any] = {
            derivation.inputs: self.columns(network.inputs),
            derivation.targets: self.columns(network.targets),
            derivation.cost_gradient: self.columns(gradient),
        }
        for s, nodes in zip(derivation.layers, network.layers):
            values[s.weights] = sp.ImmutableMatrix([list(node.weights) for node in nodes])
            values[s.bias] = sp.ImmutableMatrix([[node.bias] for node in nodes])
            values[s.z] = self.columns([node.z for node in nodes])
            values[s.a] = self.columns([node.a for node in nodes])
            values[s.delta] = self.columns([delta_symbol(network, node) for node in nodes])
        return values

    def target_shape(self, target: Target) -> Shape:
        s = self.derivation.layers[target.layer - 1]
        matrix = {"W": s.weights, "b": s.bias, "delta": s.delta}[target.kind]
        return self.meanings.shape(matrix)

    def truth(self, target: Target) -> list[sp.Expr]:
        """The target's entries, row by row, from the scalar engine's derivation."""
        if target not in self.truths:
            self.truths[target] = self._truth(target)
        return self.truths[target]

    def _truth(self, target: Target) -> list[sp.Expr]:
        network, backprop = self.network, self.judge.backprop
        nodes = network.layers[target.layer - 1]
        if target.kind == "delta":
            matrix = self.columns([delta_symbol(network, node) for node in nodes])
            return list(matrix)
        m = sp.Integer(self.m)

        def mean(parameter: sp.Symbol) -> sp.Expr:
            value = backprop.gradient(parameter.name).value
            return sp.Add(*(self.copied(value, i) for i in range(self.m))) / m

        if target.kind == "b":
            return [mean(node.bias) for node in nodes]
        return [mean(w) + self.l2 / m * w for node in nodes for w in node.weights]

    # -- points

    def draw(self, rng: random.Random, attempt: int = 0) -> tuple[tuple[int, ...], ...]:
        """Draws for every example; the parameters are the same in all of them."""
        sampler = self.judge.sampler
        first = sampler.draw(rng, attempt)
        draws = [first]
        for _ in range(1, self.m):
            other = list(sampler.draw(rng, attempt))
            for k in self.param_positions:
                other[k] = first[k]
            draws.append(tuple(other))
        return tuple(draws)

    def forward(self, digits: int, draws: Sequence[Sequence[int]]) -> list[Any] | None:
        """Every slot of every example, or None where the network is undefined."""
        evaluator = self.judge.evaluator(digits)
        slots: list[Any] = []
        for example in draws:
            found = self.judge.sampler.forward(evaluator, example)
            if found is None:
                return None
            slots.extend(found)
        return slots

    def point(self, draws: Sequence[Sequence[int]]) -> tuple[tuple[str, str], ...]:
        """The drawn values by name: the parameters once, each example's inputs and targets."""
        sampler = self.judge.sampler
        first = sampler.point(draws[0])
        if self.m == 1:
            return first
        parameters = {self.judge.passes.base[k].name for k in self.param_positions}
        shown = [(name, value) for name, value in first if name in parameters]
        for i, example in enumerate(draws, start=1):
            shown.extend(
                (f"{name} (example {i})", value)
                for name, value in sampler.point(example)
                if name not in parameters
            )
        return tuple(shown)


@functools.lru_cache(maxsize=8)
def context_for(judge: Judge) -> Context:
    return Context(judge)


def prepare(judge: Judge, found: Target) -> None:
    """Build what checking `found` needs now (the layer derivation, the examples' slots, the
    target's compiled entries), so that forked children inherit it."""
    ctx = context_for(judge)
    if 1 <= found.layer <= judge.network.spec.depth:
        programs(ctx, ctx.truth(found))


# ---------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Reading:
    """An answer as read: its tree, the text its positions refer to, how it was written."""

    node: tree.Node
    locate: Any  # position in the tree's text -> position in the answer
    input_format: str


def read(
    answer: str, fmt: str, target: Target, ctx: Context, *, entrywise_as_product: bool = False
) -> Reading:
    """The answer's tree; an equation's left side must be ∂J/∂ of the target (∂J/∂z for δ).
    `entrywise_as_product`: ⊙ as tight as the other products (`tree.parse_matrix`)."""
    if fmt not in ("auto", "plain", "latex"):
        raise SymderivError(messages.unknown_format(fmt))
    latex = fmt == "latex" or (fmt == "auto" and looks_like_latex(answer))
    start, end = 0, len(answer)
    depth = ctx.network.spec.depth
    named = _named_left_side(answer, latex, target, depth) if "=" in answer else None
    equation = split_equation(answer, latex) if "=" in answer and named is None else None
    if named is not None:
        start, end = named
    elif equation is not None:
        parsed = tree.layer_name(equation.variable, depth)
        wanted = {"W": ("W", "w"), "b": ("b",), "delta": ("z", "Z")}[target.kind]
        if parsed is None or parsed[0] not in wanted or parsed[1] != target.layer:
            raise ParseError(answer, equation.left_at, _wanted_left_side(target))
        start, end = equation.right_at, equation.right_end
    text = answer[start:end]
    try:
        tight = entrywise_as_product
        if latex:
            node, translation = parse_matrix_latex(text, entrywise_as_product=tight)
            return Reading(node, lambda p: start + translation.source_position(p), "latex")
        return Reading(
            tree.parse_matrix(text, entrywise_as_product=tight), lambda p: start + p, "plain"
        )
    except ParseError as error:
        if (start, end) == (0, len(answer)):
            raise
        raise ParseError(answer, start + error.position, error.reason) from None


def _wanted_left_side(target: Target) -> str:
    written = notation.current()
    shown = written.gradient_text(naming.matrix_text_name(target.name) or target.name)
    if target.kind == "delta":
        z = naming.matrix_text_name(naming.matrix_name("z", target.layer)) or "z"
        shown = written.gradient_text(z)
        shown = shown if shown == target.label else f"{target.label} or {shown}"
    return f"the left side must be {shown}"


def _named_left_side(
    answer: str, latex: bool, target: Target, depth: int
) -> tuple[int, int] | None:
    """Where the right side is when the matrix reader reads the left as one layer's name: the
    delta itself (`\\delta^{(1)} = …`, `dZ^{[2]} = …`) or a derivative by a layer's matrix
    (`\\frac{\\partial C}{\\partial W^{3}} = …`, `∂J/∂z1 = …`). None when it is something else
    (`dJ/dW2`, for `split_equation`); ParseError when it names another target."""
    start, end = strip_delimiters(answer) if latex else (0, len(answer))
    signs = [i for i in range(start, end) if answer[i] == "="]
    if len(signs) != 1:
        return None
    sign = signs[0]
    left_end = sign - 1 if sign > start and answer[sign - 1] == "&" else sign
    left = answer[start:left_end]
    try:
        node = parse_matrix_latex(left)[0] if latex else tree.parse_matrix(left)
    except ParseError:
        return None
    if not isinstance(node, tree.Name):
        return None
    derivative = node.name.startswith("dJ_d")
    parsed = tree.layer_name(node.name.removeprefix("dJ_d"), depth)
    kinds = (
        {"W": "W", "w": "W", "b": "b", "z": "delta", "Z": "delta"}
        if derivative
        else {
            "delta": "delta",
            "Delta": "delta",
        }
    )
    if parsed is None or parsed[0] not in kinds:
        return None
    if kinds[parsed[0]] != target.kind or parsed[1] != target.layer:
        raise ParseError(answer, start + len(left) - len(left.lstrip()), _wanted_left_side(target))
    right_at = sign + 1
    while right_at < end and answer[right_at].isspace():
        right_at += 1
    if right_at >= end:
        raise ParseError(answer, sign + 1, "nothing after '=': write your answer there")
    return right_at, end


def check(judge: Judge, found: Target, answer: str, fmt: str = "auto") -> CheckResult:
    """The verdict on a matrix-form `answer` for `found`; user errors become *cannot judge*."""
    ctx = context_for(judge)
    name = found.name
    spec = judge.network.spec
    if not 1 <= found.layer <= spec.depth:
        return cannot_judge(name, say.no_layer(name, spec.label, spec.depth))
    try:
        reading = read(answer, fmt, found, ctx)
    except ParseError as error:
        return cannot_judge(name, str(error), error_position=error.position)
    except (SymderivError, RecursionError) as error:
        return cannot_judge(name, str(error) or messages.NESTED_TOO_DEEPLY)
    from symderiv.check import matrix_diagnose

    builder = Builder(ctx.meanings)
    common: dict[str, Any] = {"input_format": reading.input_format}
    other = _other_reading(answer, fmt, found, ctx)  # ⊙ as tight as the products, if it fits
    if other is not None:
        reading, built = other
    try:
        if other is None:
            built = builder.build(reading.node)
    except NotUnderstood as error:
        position = reading.locate(error.node.position)
        reason = error.reason
        if isinstance(error.node, tree.Name):
            reason = say.unknown_name(error.node.name, spec.label, ctx.meanings.known())
        problem = ParseError(answer, position, reason)
        return cannot_judge(name, str(problem), error_position=position, **common)
    except TooLarge:
        return cannot_judge(name, say.too_large(), **common)
    except ShapeProblem as problem:
        common["read_as"] = _read_as(ctx, reading.node)
        diagnosis = matrix_diagnose.shape_problem(ctx, found, reading.node, problem)
        reason = say.wrong_shape(found.label)
        return CheckResult(Verdict.INCORRECT, name, reason, diagnosis=diagnosis, **common)
    common["read_as"] = to_text(built.expr)
    target_shape = ctx.target_shape(found)
    if not _same_shape(ctx, built, target_shape):
        diagnosis = matrix_diagnose.wrong_shape(ctx, found, reading.node, built)
        reason = say.wrong_shape(found.label)
        return CheckResult(Verdict.INCORRECT, name, reason, diagnosis=diagnosis, **common)
    try:
        return judge_values(ctx, found, reading.node, built, answer, common)
    except (SymderivError, TooLarge) as error:
        return cannot_judge(name, str(error) or say.too_large(), **common)


def _other_reading(
    answer: str, fmt: str, found: Target, ctx: Context
) -> tuple[Reading, Any] | None:
    """The answer read with ⊙ as tight as the other products, left to right, when that gives
    the target's shape and the textbooks' reading (⊙ looser) gives no shape at all: a person
    reads `∇J ⊙ σ'(z) aᵀ` for ∂J/∂W as `(∇J ⊙ σ'(z)) aᵀ`, the one that multiplies."""
    if "⊙" not in answer and not any(s in answer for s in (r"\odot", r"\circ", "∘", ".*")):
        return None
    try:
        Builder(ctx.meanings).build(read(answer, fmt, found, ctx).node)
        return None  # the textbooks' reading fits: it stands
    except (ShapeProblem, NotUnderstood, TooLarge, ParseError, SymderivError, RecursionError):
        pass
    try:
        reading = read(answer, fmt, found, ctx, entrywise_as_product=True)
        built = Builder(ctx.meanings).build(reading.node)
    except (ShapeProblem, NotUnderstood, TooLarge, ParseError, SymderivError, RecursionError):
        return None
    return (reading, built) if _same_shape(ctx, built, ctx.target_shape(found)) else None


def _read_as(ctx: Context, node: tree.Node) -> str | None:
    """The answer as read, shapes that do not fit and all (None if even that cannot be built)."""
    try:
        return to_text(Builder(ctx.meanings, lenient=True).build(node).expr)
    except (ShapeProblem, NotUnderstood, TooLarge, ValueError, TypeError):
        return None


def _same_shape(ctx: Context, built: Built, shape: Shape) -> bool:
    if built.shape is None:  # a number: a 1 × 1 target in a chain, judged by value
        return ctx.meanings.numeric(shape) == (1, 1) and ctx.meanings.chain
    return built.shape == shape


def programs(ctx: Context, exprs: Sequence[sp.Expr], digits: int = PRECISION) -> list[Program]:
    evaluator = ctx.evaluator(digits)
    return [evaluator.compile(e) for e in exprs]


def answer_entries(ctx: Context, built: Built, count: int) -> list[sp.Expr]:
    """The answer's entries (a number repeated where the target is 1 × 1)."""
    found = entries(built.expr, ctx.values, ctx.derivation)
    return found * count if len(found) == 1 and count > 1 else found


def judge_values(
    ctx: Context,
    found: Target,
    node: tree.Node,
    built: Built,
    text: str,
    common: dict[str, Any],
) -> CheckResult:
    from symderiv.check import matrix_diagnose

    name, label = found.name, found.label
    truth = ctx.truth(found)
    answer = answer_entries(ctx, built, len(truth))
    truth_programs = programs(ctx, truth)
    answer_programs = programs(ctx, answer)
    rng = random.Random(seed(ctx.network.spec, name, text))
    points, skipped, informative = sample(ctx, truth_programs, answer_programs, rng)
    common["points"] = len(points)
    if len(points) < MIN_POINTS:
        return cannot_judge(name, messages.too_many_skipped(skipped, len(points)), **common)
    confirmed = confirm(ctx, truth, answer, points)
    if confirmed is not None:
        point, answer_values, truth_values = confirmed
        diagnosis = matrix_diagnose.wrong_values(ctx, found, node, built, points)
        return CheckResult(
            Verdict.INCORRECT,
            name,
            messages.incorrect(label),
            diagnosis=diagnosis,
            counterexample=counterexample(ctx, point, answer_values, truth_values, built),
            **common,
        )
    if informative < MIN_INFORMATIVE:
        return cannot_judge(name, messages.mostly_zero(label, informative, len(points)), **common)
    reason = say.correct(label, len(truth), len(points), ctx.judge.assuming)
    return CheckResult(Verdict.CORRECT, name, reason, **common)


def sample(
    ctx: Context, truth: Sequence[Program], answer: Sequence[Program], rng: random.Random
) -> tuple[list[Point], dict[str, int], int]:
    """Points until enough are comparable and informative, or MAX_ATTEMPTS were tried."""
    evaluator = ctx.evaluator(PRECISION)
    found: list[Point] = []
    skipped = {"network": 0, "truth": 0, "answer": 0}
    informative = 0
    for attempt in range(MAX_ATTEMPTS):
        draws = ctx.draw(rng, attempt)
        slots = ctx.forward(PRECISION, draws)
        if slots is None:
            skipped["network"] += 1
            continue
        try:
            truth_values = tuple(evaluator.value(p, slots) for p in truth)
        except Undefined:
            skipped["truth"] += 1
            continue
        try:
            answer_values = tuple(evaluator.value(p, slots) for p in answer)
        except Undefined:
            skipped["answer"] += 1
            continue
        found.append(Point(draws, slots, answer_values, truth_values))
        informative += any(abs(v) > ATOL for v in truth_values)
        if len(found) >= ctx.judge.sampler.wanted and informative >= MIN_INFORMATIVE:
            break
    return found, skipped, informative


def agree(answer: Sequence[Any], truth: Sequence[Any]) -> bool:
    return all(close(a, t) for a, t in zip(answer, truth, strict=True))


def confirm(
    ctx: Context, truth: Sequence[sp.Expr], answer: Sequence[sp.Expr], points: Sequence[Point]
) -> tuple[Point, tuple[Any, ...], tuple[Any, ...]] | None:
    """The worst differing point, confirmed at higher precision, or None if none differ."""
    differing = [p for p in points if not agree(p.answer, p.truth)]
    if not differing:
        return None
    differing.sort(key=lambda p: max(_difference(a, t) for a, t in zip(p.answer, p.truth)))
    precise = ctx.evaluator(CONFIRM_PRECISION)
    truth_programs = programs(ctx, truth, CONFIRM_PRECISION)
    answer_programs = programs(ctx, answer, CONFIRM_PRECISION)
    for point in reversed(differing[-3:]):
        slots = ctx.forward(CONFIRM_PRECISION, point.draws)
        if slots is None:
            continue
        try:
            answer_values = tuple(precise.value(p, slots) for p in answer_programs)
            truth_values = tuple(precise.value(p, slots) for p in truth_programs)
        except Undefined:
            continue
        if not agree(answer_values, truth_values):
            return point, answer_values, truth_values
    return None


def _difference(a: Any, b: Any) -> Any:
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else abs(a - b)


def counterexample(
    ctx: Context, point: Point, answer: Sequence[Any], truth: Sequence[Any], built: Built
) -> Counterexample:
    """The point, with both matrices to as many digits as it takes to tell them apart."""
    ctx_mp = ctx.evaluator(CONFIRM_PRECISION).ctx
    digits = 6
    while digits < 30 and all(
        ctx_mp.nstr(a, digits) == ctx_mp.nstr(t, digits)
        for a, t in zip(answer, truth)
        if not close(a, t)
    ):
        digits += 4
    rows, cols = ctx.meanings.numeric(built.shape) if built.shape else (1, 1)
    if len(truth) != rows * cols:
        rows, cols = len(truth), 1

    def shown(values: Sequence[Any]) -> str:
        texts = [ctx_mp.nstr(v, digits) for v in values]
        if len(texts) == 1:
            return texts[0]
        lines = [", ".join(texts[r * cols : (r + 1) * cols]) for r in range(rows)]
        return "[" + "; ".join(lines) + "]"

    return Counterexample(ctx.point(point.draws), shown(answer), shown(truth))
