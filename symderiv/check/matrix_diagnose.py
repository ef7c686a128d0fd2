"""Naming the mistake in a wrong matrix-form answer.

Two kinds of evidence, tried in turn:

- Factors: a wrong answer over a training set is fitted as α·(the data term) + β·W⁽ˡ⁾ at the
  points compared; α = 1 where 1/m is meant is a forgotten average, β = 0 a forgotten L2 term,
  another β a wrong L2 factor; an answer that is c times the target is a sign or a constant.
- Repairs: the answer's tree is changed in one place (a transpose added or dropped, ⊙ for a
  matrix product or the reverse, two factors swapped, σ' of another layer's z, σ for σ'), and
  a change that makes the shapes fit and every entry right at the points names the mistake.

A shape that does not fit is reported with both shapes (`n₂ × 1 (1 × 1) by n₁ × 1 (3 × 1)`) when
no single change explains it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from symderiv.check import matrix_messages as say
from symderiv.check.matrix_build import (
    Builder,
    Built,
    NotUnderstood,
    ShapeProblem,
    TooLarge,
)
from symderiv.check.result import Diagnosis, Mistake
from symderiv.core import naming, notation
from symderiv.core.errors import SymderivError
from symderiv.numbers.evaluate import ATOL, PRECISION, Undefined, close
from symderiv.parse import matrix as tree
from symderiv.render.printing import to_text

if TYPE_CHECKING:
    from symderiv.check.matrix import Context, Point, Target

POINTS = 4  # points a repair is tried at
MAX_REPAIRS = 60  # changed trees tried, at most

Path = tuple[tuple[str, int | None], ...]


# ---------------------------------------------------------------------------- entry points


def shape_problem(
    ctx: Context, target: Target, node: tree.Node, problem: ShapeProblem
) -> Diagnosis:
    """Why the shapes do not fit, and the one change that fixes the answer, if there is one."""
    described = describe(ctx, problem)
    repaired = repair(ctx, target, node, reference_points(ctx, target), described)
    return repaired or Diagnosis(Mistake.SHAPE, described)


def wrong_shape(ctx: Context, target: Target, node: tree.Node, built: Built) -> Diagnosis:
    """An answer of another shape than the target's: both shapes, and a fix if one works."""
    meanings = ctx.meanings
    described = say.shapes_differ(
        meanings.shown(built.shape), target.label, meanings.shown(ctx.target_shape(target))
    )
    repaired = repair(ctx, target, node, reference_points(ctx, target), described)
    return repaired or Diagnosis(Mistake.SHAPE, described)


def wrong_values(
    ctx: Context, target: Target, node: tree.Node, built: Built, points: Sequence[Point]
) -> Diagnosis | None:
    """The mistake in an answer of the right shape whose entries differ, or None."""
    chosen = [p for p in points if any(abs(t) > ATOL for t in p.truth)][:POINTS] or list(
        points[:POINTS]
    )
    return factors(ctx, target, chosen) or repair(ctx, target, node, chosen, "")


# ---------------------------------------------------------------------------- shapes


def text(built: Built) -> str:
    return to_text(built.expr)


def describe(ctx: Context, problem: ShapeProblem) -> str:
    shown = ctx.meanings.shown
    left, right = problem.left, problem.right
    if problem.what == "multiply" and right is not None:
        assert left.shape is not None and right.shape is not None
        either = isinstance(problem.node, tree.Product) and problem.node.by_shape
        columns, rows = left.shape[1], right.shape[0]
        meanings = ctx.meanings
        here = meanings.numeric(left.shape)[1] == meanings.numeric(right.shape)[0]
        return say.cannot_multiply(
            text(left),
            shown(left.shape),
            text(right),
            shown(right.shape),
            entrywise_too=either,
            only_here=(to_text(columns), to_text(rows)) if here else None,
        )
    if problem.what in ("add", "entrywise") and right is not None:
        return say.cannot_combine(
            problem.what, text(left), shown(left.shape), text(right), shown(right.shape)
        )
    if problem.what == "divide" and right is not None:
        return say.divide_by_matrix(text(right), shown(right.shape))
    if problem.what == "power":
        return say.matrix_power(text(left), shown(left.shape))
    return say.not_a_column(text(left), shown(left.shape))


def reference_points(ctx: Context, target: Target) -> list[Point]:
    """A few points with the target's values, for trying repairs of an answer never evaluated."""
    from symderiv.check.matrix import Point, programs

    evaluator = ctx.evaluator(PRECISION)
    truth = programs(ctx, ctx.truth(target))
    rng = random.Random(f"{target.name}")
    found: list[Point] = []
    for _ in range(40):
        draws = ctx.draw(rng)
        slots = ctx.forward(PRECISION, draws)
        if slots is None:
            continue
        try:
            values = tuple(evaluator.value(p, slots) for p in truth)
        except Undefined:
            continue
        found.append(Point(draws, slots, (), values))
        if len(found) >= POINTS:
            break
    return found


# ---------------------------------------------------------------------------- factors


def factors(ctx: Context, target: Target, points: Sequence[Point]) -> Diagnosis | None:
    """A forgotten 1/m or L2 term, a wrong L2 factor, a sign or a constant factor."""
    if not points:
        return None
    if target.kind != "delta" and (ctx.m > 1 or ctx.l2 != 0):
        found = average_and_decay(ctx, target, points)
        if found is not None:
            return found
    scale = _scale(points)
    return None if scale is None else scale_diagnosis(target, scale)


def _scale(points: Sequence[Point]) -> Any | None:
    """c when the answer is c times the target at every point, else None."""
    ratio = None
    for point in points:
        for a, t in zip(point.answer, point.truth):
            if abs(t) <= ATOL:
                if abs(a) > ATOL:
                    return None
                continue
            if ratio is None:
                ratio = a / t
            elif not close(a, ratio * t):
                return None
    return ratio


def scale_diagnosis(target: Target, ratio: Any) -> Diagnosis | None:
    nice = Fraction(float(ratio)).limit_denominator(100)
    if not close(ratio, nice.numerator / nice.denominator):
        return None
    if nice == -1:
        return Diagnosis(Mistake.SIGN, say.sign(target.label), constant="-1")
    if nice in (0, 1):
        return None
    return Diagnosis(Mistake.CONSTANT, say.constant(target.label, str(nice)), constant=str(nice))


def average_and_decay(ctx: Context, target: Target, points: Sequence[Point]) -> Diagnosis | None:
    """Fit answer = α·(data term) + β·W over the points' entries; name α and β if they are nice."""
    from symderiv.check.matrix import programs

    evaluator = ctx.evaluator(PRECISION)
    nodes = ctx.network.layers[target.layer - 1]
    weights = (
        [w for node in nodes for w in node.weights]
        if target.kind == "W"
        else [sp.S.Zero] * len(nodes)
    )
    weight_programs = programs(ctx, weights)
    m, l2 = sp.Integer(ctx.m), ctx.l2
    rows: list[tuple[Any, Any, Any]] = []
    for point in points:
        ws = [evaluator.value(p, point.slots) for p in weight_programs]
        for a, t, w in zip(point.answer, point.truth, ws):
            data = t - evaluator.ctx.mpf(float(l2 / m)) * w if l2 else t
            rows.append((a, data, w))
    alpha, beta = _least_squares(rows, evaluator.ctx)
    if alpha is None or not all(close(a, alpha * d + beta * w) for a, d, w in rows):
        return None
    # the data term is (1/m)·Σ already: α = 1 is right, α = m a forgotten 1/m
    average = Fraction(float(alpha)).limit_denominator(100)
    decay = Fraction(float(beta * ctx.m / l2)).limit_denominator(100) if l2 else None
    if not close(alpha, average.numerator / average.denominator):
        return None
    shown = naming.matrix_text_name(naming.matrix_name("W", target.layer)) or ""
    stems = ("Delta", "A") if ctx.m > 1 else ("delta", "a")
    below = (
        naming.matrix_text_name(naming.matrix_name(stems[1], target.layer - 1))
        if target.layer > 1
        else ("X" if ctx.m > 1 else "x")
    )
    delta = naming.matrix_text_name(naming.matrix_name(stems[0], target.layer))
    term = f"{delta}·({below})ᵀ" if target.kind == "W" else f"{delta}·1"
    said: list[str] = []
    mistake = None
    if average != 1:
        mistake = Mistake.MISSING_AVERAGE
        said.append(
            say.missing_average(term)
            if average == ctx.m
            else say.average_off(term, _decay_text(average / ctx.m, "1"))
        )
    if target.kind == "W":
        right = f"(λ/m)·{shown}"
        if l2 == 0 and abs(beta) > ATOL:
            found = Fraction(float(beta)).limit_denominator(1000)
            said.append(say.unwanted_decay(f"{found}·{shown}"))
        elif l2 and decay == 0:
            said.append(say.missing_decay(right))
        elif l2 and decay is not None and decay != 1:
            said.append(say.decay_off(right, f"{_decay_text(decay, 'λ', ctx.m)}·{shown}"))
        if len(said) > (average != 1):
            mistake = mistake or Mistake.WEIGHT_DECAY
    if mistake is None:
        return None
    return Diagnosis(mistake, "; ".join(said))


def _least_squares(rows: Sequence[tuple[Any, Any, Any]], mp: Any) -> tuple[Any, Any]:
    """α, β minimising Σ (a − α·d − β·w)²; β = 0 where every w is 0."""
    dd = mp.fsum(d * d for _, d, _ in rows)
    ww = mp.fsum(w * w for _, _, w in rows)
    dw = mp.fsum(d * w for _, d, w in rows)
    ad = mp.fsum(a * d for a, d, _ in rows)
    aw = mp.fsum(a * w for a, _, w in rows)
    if ww == 0:
        return (ad / dd, mp.zero) if dd else (None, None)
    det = dd * ww - dw * dw
    if abs(det) <= ATOL * max(dd * ww, 1):
        return None, None
    return (ad * ww - aw * dw) / det, (aw * dd - ad * dw) / det


def _decay_text(factor: Fraction, top: str, m: int | None = None) -> str:
    """`factor`·top/m written plainly: 1 → `(λ/m)`, ½ → `(λ/(2m))`, m → `λ`, 3 → `(3λ/m)`."""
    if m is not None and factor == m:
        return top
    numerator = (str(factor.numerator) if factor.numerator != 1 else "") + (
        "" if top == "1" and factor.numerator != 1 else top
    )
    if factor.denominator == 1:
        return f"({numerator}/m)"
    return f"({numerator}/({factor.denominator}m))"


# ---------------------------------------------------------------------------- repairs


def repair(
    ctx: Context, target: Target, node: tree.Node, points: Sequence[Point], problem: str
) -> Diagnosis | None:
    """The first single change of the tree that makes the answer right at `points`."""
    if not points:
        return None
    builder = Builder(ctx.meanings)
    found = candidates(ctx, builder, node, target.label)
    for count, (mistake, wording, changed) in enumerate(found):
        if count >= MAX_REPAIRS:
            break
        if right_at(ctx, target, builder, changed, points):
            return Diagnosis(mistake, wording(problem))
    return None


def right_at(
    ctx: Context, target: Target, builder: Builder, node: tree.Node, points: Sequence[Point]
) -> bool:
    from symderiv.check.matrix import _same_shape, answer_entries, programs

    try:
        built = builder.build(node)
    except (ShapeProblem, NotUnderstood, TooLarge):
        return False
    if not _same_shape(ctx, built, ctx.target_shape(target)):
        return False
    evaluator = ctx.evaluator(PRECISION)
    try:
        compiled = programs(ctx, answer_entries(ctx, built, len(points[0].truth)))
        for point in points:
            values = [evaluator.value(p, point.slots) for p in compiled]
            if not all(close(v, t) for v, t in zip(values, point.truth, strict=True)):
                return False
    except (Undefined, SymderivError, ValueError, TypeError):  # a repair that fails is none
        return False
    return True


Candidate = tuple[Mistake, Any, tree.Node]


def candidates(ctx: Context, builder: Builder, root: tree.Node, target: str) -> Iterator[Candidate]:
    """Every tree one change away from `root`, with the mistake that change would undo."""

    def label(node: tree.Node) -> str:
        if isinstance(node, tree.Name):
            meaning = ctx.meanings.meaning(node.name)
            if meaning is not None:
                return to_text(meaning)
        try:
            return to_text(builder.build(node).expr)
        except (ShapeProblem, NotUnderstood, TooLarge):
            return "the factor"

    def is_matrix(node: tree.Node) -> bool:
        try:
            return builder.build(node).is_matrix
        except (ShapeProblem, NotUnderstood, TooLarge):
            return True

    parents: dict[Path, tree.Node] = {}
    for path, node in walk(root):
        parents[path] = node
    transposed = tree.Transpose(root.position, root)
    yield Mistake.TRANSPOSE, _bind(say.transposed_answer, target), transposed
    for path, node in walk(root):
        parent = parents.get(path[:-1]) if path else None
        if isinstance(node, tree.Name) and not isinstance(parent, tree.Transpose):
            if is_matrix(node):
                changed = replace(root, path, tree.Transpose(node.position, node))
                yield Mistake.TRANSPOSE, _bind(say.missing_transpose, label(node)), changed
        elif isinstance(node, tree.Transpose):
            yield (
                Mistake.TRANSPOSE,
                _bind(say.extra_transpose, label(node.arg)),
                replace(root, path, node.arg),
            )
        elif isinstance(node, tree.Product) and is_matrix(node.left) and is_matrix(node.right):
            # `*` read by shape as the matrix product is tried as ⊙ (where the shapes are square)
            toggled = dataclasses.replace(node, entrywise=not node.entrywise, by_shape=False)
            left, right = label(node.left), label(node.right)
            wording = say.entrywise_for_product if node.entrywise else say.product_for_entrywise
            yield Mistake.PRODUCT_KIND, _bind(wording, left, right), replace(root, path, toggled)
            if not node.entrywise:
                swapped = dataclasses.replace(node, left=node.right, right=node.left)
                yield (
                    Mistake.WRONG_ORDER,
                    _bind(say.swapped_factors, left, right),
                    replace(root, path, swapped),
                )
        elif isinstance(node, tree.Structure) and node.kind == "HadamardProduct":
            left_node, right_node = node.args
            product = tree.Product(node.position, left_node, right_node, False)
            yield (
                Mistake.PRODUCT_KIND,
                _bind(say.entrywise_for_product, label(left_node), label(right_node)),
                replace(root, path, product),
            )
        elif isinstance(node, tree.Call) and len(node.args) == 1:
            yield from _arguments(ctx, builder, root, path, node, label)


def _arguments(
    ctx: Context, builder: Builder, root: tree.Node, path: Path, node: tree.Call, label: Any
) -> Iterator[Candidate]:
    """σ' of another layer's z (or of z where a is written), and σ for σ' or the reverse."""
    from symderiv.core.functions import get_activation

    try:
        record = get_activation(node.function)
    except SymderivError:  # not an activation: nothing to try
        return
    prime = "'" if node.derivative else ""
    written = f"{record.text}{prime}({label(node.args[0])})"
    (arg,) = node.args
    if isinstance(arg, tree.Name):
        parsed = tree.layer_name(arg.name, ctx.network.spec.depth)
        if parsed is not None and parsed[0] in ("z", "Z", "a", "A"):
            stem, layer = parsed
            z = "Z" if stem.isupper() else "z"
            for other in range(1, ctx.network.spec.depth + 1):
                if other == layer and stem in ("z", "Z"):
                    continue
                shown = notation.current().shown_layer(other)
                name = tree.Name(arg.position, f"{z}{shown}")
                changed_call = dataclasses.replace(node, args=(name,))
                meant = f"{record.text}{prime}({label(name)})"
                yield (
                    Mistake.WRONG_ARGUMENT,
                    _bind(say.wrong_argument, written, meant),
                    replace(root, path, changed_call),
                )
    toggled = dataclasses.replace(node, derivative=not node.derivative)
    meant = f"{record.text}{'' if node.derivative else chr(39)}({label(arg)})"
    yield (
        Mistake.WRONG_ACTIVATION_DERIVATIVE,
        _bind(say.wrong_argument, written, meant),
        replace(root, path, toggled),
    )


def _bind(wording: Any, *args: str) -> Any:
    return lambda problem: wording(*args, problem)


# ---------------------------------------------------------------------------- tree paths


def children(node: tree.Node) -> Iterator[tuple[str, int | None, tree.Node]]:
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tree.Node):
            yield field.name, None, value
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                if isinstance(item, tree.Node):
                    yield field.name, index, item


def walk(node: tree.Node, path: Path = ()) -> Iterator[tuple[Path, tree.Node]]:
    yield path, node
    for name, index, child in children(node):
        yield from walk(child, (*path, (name, index)))


def replace(node: tree.Node, path: Path, new: tree.Node) -> tree.Node:
    """`node` with the part at `path` replaced by `new`."""
    if not path:
        return new
    (name, index), rest = path[0], path[1:]
    value = getattr(node, name)
    changes: dict[str, Any] = {}
    if index is None:
        changes[name] = replace(value, rest, new)
    else:
        items = list(value)
        items[index] = replace(items[index], rest, new)
        changes[name] = tuple(items)
    return dataclasses.replace(node, **changes)
