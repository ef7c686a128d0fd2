"""Reading a step tree: one traversal, and the plain data every output format is made from.

`visit` is the only code that walks a tree. On top of it:

- `iter_steps` — every step depth-first, with its depth;
- `to_json` — nested plain data, expressions as SymPy strings (`sigmoid(z)`, `x**2`). They read
  back through `symderiv.parse.plain.parse_expression`, except ReLU's piecewise definition and
  what `sympy.diff` returns in a fallback step (`DiracDelta`, `Derivative`), which SymPy reads;
- `explain` — the explanation as a flat list of `Line`s. A line's `why` is prose with `{name}`
  placeholders for expressions in `math`, so a Unicode, LaTeX or HTML renderer prints the prose
  (escaped as it needs) and each expression with its own printer; `Line.parts()` gives the
  pieces in order. A derivative `d/dx f` appears as an unevaluated `sympy.Derivative`, which
  SymPy's LaTeX printer writes as a fraction (∂ when f has several variables);
- `to_text` — that explanation in readable Unicode, one line per sentence, indented by depth.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import sympy as sp

from symderiv.render import printing
from symderiv.steps import rules as r

Event = tuple[Literal["enter", "exit"], int, r.Step]
_BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(r.Step))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def visit(step: r.Step, depth: int = 0) -> Iterator[Event]:
    """("enter", depth, step) before a step's substeps and ("exit", depth, step) after them."""
    stack: list[tuple[bool, int, r.Step]] = [(False, depth, step)]
    while stack:
        done, level, current = stack.pop()
        if done:
            yield ("exit", level, current)
            continue
        yield ("enter", level, current)
        stack.append((True, level, current))
        stack.extend((False, level + 1, sub) for sub in reversed(current.substeps))


def iter_steps(step: r.Step) -> Iterator[tuple[int, r.Step]]:
    """(depth, step) for every step, depth-first, parents before children."""
    for event, depth, current in visit(step):
        if event == "enter":
            yield depth, current


def rule_ids(step: r.Step) -> list[str]:
    """The rule of every step, depth-first: the shape of a derivation at a glance."""
    return [current.rule_id for _, current in iter_steps(step)]


# ---------------------------------------------------------------------------- JSON


def to_json(step: r.Step) -> dict[str, Any]:
    """Nested plain data: rule, title, expr, wrt, result, substitutions, rule fields, substeps."""
    finished: list[list[dict[str, Any]]] = [[]]
    for event, _, current in visit(step):
        if event == "enter":
            finished.append([])
            continue
        children = finished.pop()
        node: dict[str, Any] = {
            "rule": current.rule_id,
            "title": current.title,
            "expr": _json_value(current.expr),
            "wrt": current.wrt.name,
            "result": _json_value(current.result),
            "substitutions": [[s.name, _json_value(e)] for s, e in current.substitutions],
        }
        for field in dataclasses.fields(current):
            if field.name not in _BASE_FIELDS:
                node[field.name] = _json_value(getattr(current, field.name))
        node["substeps"] = children
        finished[-1].append(node)
    return finished[0][0]


def _json_value(value: Any) -> Any:
    if isinstance(value, sp.Basic):
        return sp.sstr(value)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


# ---------------------------------------------------------------------------- explanation


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence of an explanation.

    `kind` is "claim" (the step's equation, `d/dx f = f'`, or `f = g` for a rewrite), "note"
    (what the step sets up, before its substeps) or "conclusion" (how it combines them, after).
    `why` holds plain ASCII prose with `{name}` placeholders for the expressions in `math`.
    `partial` says whether a derivative in the line is a partial one (the tree's own variable,
    when the differentiated expression has several): SymPy's LaTeX printer decides that from
    the differentiated piece alone, so a renderer that wants `∂` throughout should use this.
    """

    depth: int
    step: r.Step
    kind: Literal["claim", "note", "conclusion"]
    why: str
    math: tuple[tuple[str, sp.Expr], ...] = ()
    partial: bool = False

    @property
    def rule_id(self) -> str:
        return self.step.rule_id

    @property
    def title(self) -> str:
        return self.step.title

    def parts(self) -> list[str | sp.Expr]:
        """Prose strings and expressions in reading order (empty strings left out)."""
        values = dict(self.math)
        pieces: list[str | sp.Expr] = []
        for i, piece in enumerate(_PLACEHOLDER.split(self.why)):
            if i % 2:
                pieces.append(values[piece])
            elif piece:
                pieces.append(piece)
        return pieces

    def render(self, math: Callable[[sp.Expr], str], prose: Callable[[str], str] = str) -> str:
        """The sentence with each expression printed by `math` and each prose piece by `prose`."""
        return "".join(prose(p) if isinstance(p, str) else math(p) for p in self.parts())


def explain(step: r.Step) -> list[Line]:
    """The derivation as sentences: each step's claim, its note, its substeps, its conclusion."""
    lines: list[Line] = []
    several = len(step.expr.free_symbols) > 1
    for event, depth, current in visit(step):
        if event == "enter":
            partial = several and current.wrt == step.wrt and not current.is_equality
            lines.append(_claim(depth, current, partial))
            lines.extend(
                Line(depth + 1, current, "note", why, math) for why, math in _notes(current)
            )
        else:
            lines.extend(
                Line(depth + 1, current, "conclusion", why, math)
                for why, math in _conclusions(current)
            )
    return lines


Sentence = tuple[str, tuple[tuple[str, sp.Expr], ...]]


def _claim(depth: int, step: r.Step, partial: bool) -> Line:
    lhs = step.expr if step.is_equality else sp.Derivative(step.expr, step.wrt)
    math = (("lhs", lhs), ("rhs", step.result))
    return Line(depth, step, "claim", "{lhs} = {rhs}", math, partial)


def _notes(step: r.Step) -> list[Sentence]:
    x = ("x", step.wrt)
    if isinstance(step, r.HeldConstantRule):
        return [_held(step.held)]
    if isinstance(step, r.ConstantMultipleRule):
        notes: list[Sentence] = [("the constant factor {c} is kept", (("c", step.constant),))]
        if step.constant.free_symbols:
            notes.append(_held(tuple(sorted(step.constant.free_symbols, key=str))))
        return notes
    if isinstance(step, r.SumRule):
        return [("differentiate term by term", ())]
    if isinstance(step, r.PowerRule):
        kinds = {
            "reciprocal": "a reciprocal is a negative power, n = {n}",
            "square root": "a square root is the power n = {n}",
            "root": "a root is a fractional power, n = {n}",
        }
        why = kinds.get(step.kind, "n = {n}") + ": bring n down and lower the power by one"
        return [(why, (("n", step.exponent),))]
    if isinstance(step, r.ProductRule):
        return [("differentiate one factor at a time, keeping the others", ())]
    if isinstance(step, r.QuotientRule):
        return [
            (
                "numerator f = {f}, denominator g = {g}; the derivative is (f' g - f g') / g^2",
                (("f", step.numerator), ("g", step.denominator)),
            )
        ]
    if isinstance(step, r.ChainRule):
        return [
            (
                "let {u} = {inner}: outer function f({u}) = {outer}, "
                "inner function {u}({x}) = {inner}",
                (("u", step.variable), ("inner", step.inner), ("outer", step.outer), x),
            )
        ]
    if isinstance(step, r.LogarithmicDifferentiation):
        return [
            (
                "the exponent depends on {x} too: {f} = {e}, so differentiate the exponent {log}",
                (
                    x,
                    ("f", step.expr),
                    ("e", sp.exp(step.logarithm, evaluate=False)),
                    ("log", step.logarithm),
                ),
            )
        ]
    if isinstance(step, r.ExponentialRule) and step.base != sp.E:
        return [
            (
                "{a} = {e}, so the derivative carries the factor {ln}",
                (
                    ("a", step.expr),
                    ("e", sp.exp(step.wrt * sp.log(step.base), evaluate=False)),
                    ("ln", sp.log(step.base)),
                ),
            )
        ]
    if isinstance(step, r.LogBaseRule):
        return [
            (
                "to base b = {b}: divide the natural logarithm by {lnb}",
                (("b", step.base), ("lnb", sp.log(step.base))),
            )
        ]
    if isinstance(step, r.AbsRule):
        return [("{a} has no derivative at {x} = 0", (("a", step.expr), x))]
    if isinstance(step, (r.SigmoidRule, r.SoftplusRule)):
        return [
            ("{f} = {d}: differentiate the definition", (("f", step.expr), ("d", step.definition)))
        ]
    if isinstance(step, r.ReluRule):
        return [
            (
                "{f} = {x} for {x} > 0 and 0 for {x} < 0: differentiate each piece",
                (("f", step.expr), x),
            )
        ]
    if isinstance(step, r.Rewrite):
        names = [(f"a{i}", f"b{i}") for i in range(len(step.identities))]
        used = ", ".join("{%s} = {%s}" % pair for pair in names)
        math = tuple(
            item
            for (a, b), (lhs, rhs) in zip(names, step.identities, strict=True)
            for item in ((a, lhs), (b, rhs))
        )
        return [(step.reason + (f", using {used}" if used else ""), math)]
    if isinstance(step, r.Fallback):
        return [(step.reason + ": the derivative is SymPy's", ())]
    return []


def _conclusions(step: r.Step) -> list[Sentence]:
    result = ("result", step.result)
    if isinstance(step, r.ChainRule):
        product = step.outer_step.result * step.inner_step.result
        return [
            (
                "multiply f'({u}) by {u}'({x}): {product}; put {u} = {inner} back: {result}",
                (
                    ("u", step.variable),
                    ("x", step.wrt),
                    ("product", product),
                    ("inner", step.inner),
                    result,
                ),
            )
        ]
    if isinstance(step, r.QuotientRule) and len(step.substeps) == 2:
        return [("combine as (f' g - f g') / g^2: {result}", (result,))]
    if isinstance(step, r.ProductRule):
        return [("add up the products: {result}", (result,))]
    if isinstance(step, r.LogarithmicDifferentiation):
        return [("multiply by {f}: {result}", (("f", step.expr), result))]
    if isinstance(step, r.ReluRule):
        return [(step.convention + ": {result}", (result,))]
    return []


def _held(symbols: tuple[sp.Symbol, ...]) -> Sentence:
    names = [f"h{i}" for i in range(len(symbols))]
    listed = ", ".join("{" + n + "}" for n in names)
    verb = "is" if len(symbols) == 1 else "are"
    return (f"{listed} {verb} held constant", tuple(zip(names, symbols, strict=True)))


# ---------------------------------------------------------------------------- text


def to_text(step: r.Step, indent: str = "  ") -> str:
    """The explanation in readable Unicode, one sentence a line, indented by depth."""
    out = []
    for line in explain(step):
        body = line.render(functools.partial(_text_math, partial=line.partial))
        if line.kind == "claim":
            body = f"{line.title}: {body}"
        out.append(indent * line.depth + body)
    return "\n".join(out) + "\n"


def _text_math(expr: sp.Expr, partial: bool) -> str:
    if isinstance(expr, sp.Derivative):
        inner, wrt = expr.expr, expr.variables[0]
        d = "∂" if partial else "d"
        body = printing.to_text(inner)
        if inner.is_Add or inner.is_Mul:
            body = f"({body})"
        return f"{d}/{d}{printing.to_text(wrt)} {body}"
    return printing.to_text(expr)
