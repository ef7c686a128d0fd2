"""A step tree in words: each rule's prose, the explanation as sentences, and plain text.

- `PROSE` — what each rule says besides its claim: notes before its substeps, conclusions
  after them. `prose_of(rule)` looks a rule up along its class's MRO, as SymPy's printers find
  `_print_<ClassName>`, so a subclass speaks like its base unless it has its own entry. `Step`
  itself has none: a new rule without prose fails loudly instead of explaining nothing;
- `explain` — the explanation as a flat list of `Line`s. A line's `why` is prose with `{name}`
  placeholders for expressions in `math`, so a Unicode, LaTeX or HTML renderer prints the prose
  (escaped as it needs) and each expression with its own printer; `Line.parts()` gives the
  pieces in order. A derivative `d/dx f` appears as an unevaluated `sympy.Derivative`, which
  SymPy's LaTeX printer writes as a fraction (∂ when f has several variables);
- `to_text` — that explanation in readable Unicode, one line per sentence, indented by depth.

LaTeX and Markdown come from the same lines through the templates (see `render.handout`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import sympy as sp

from symderiv.calculus import rules as r
from symderiv.calculus.walk import visit
from symderiv.render import printing

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Sentence = tuple[str, tuple[tuple[str, sp.Expr], ...]]
"""Plain ASCII prose with `{name}` placeholders, and the expression each name stands for."""

S = TypeVar("S", bound=r.Step)


def _nothing(step: r.Step) -> list[Sentence]:
    return []


@dataclass(frozen=True, slots=True)
class Prose(Generic[S]):
    """What a rule says besides its claim: `notes` before its substeps, `conclusions` after."""

    notes: Callable[[S], list[Sentence]] = _nothing
    conclusions: Callable[[S], list[Sentence]] = _nothing


def prose_of(rule: type[r.Step]) -> Prose[Any]:
    """The prose of `rule`: its own entry in `PROSE`, else that of its nearest base class."""
    for cls in rule.__mro__:
        found = PROSE.get(cls)
        if found is not None:
            return found
    raise LookupError(f"the rule {rule.__name__} has no prose in symderiv.render.steps.PROSE")


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
        said = prose_of(type(current))
        if event == "enter":
            partial = several and current.wrt == step.wrt and not current.is_equality
            lines.append(_claim(depth, current, partial))
            lines.extend(
                Line(depth + 1, current, "note", why, math) for why, math in said.notes(current)
            )
        else:
            lines.extend(
                Line(depth + 1, current, "conclusion", why, math)
                for why, math in said.conclusions(current)
            )
    return lines


def _claim(depth: int, step: r.Step, partial: bool) -> Line:
    lhs = step.expr if step.is_equality else sp.Derivative(step.expr, step.wrt)
    math = (("lhs", lhs), ("rhs", step.result))
    return Line(depth, step, "claim", "{lhs} = {rhs}", math, partial)


# ---------------------------------------------------------------------------- each rule's prose


def _held(symbols: tuple[sp.Symbol, ...]) -> Sentence:
    names = [f"h{i}" for i in range(len(symbols))]
    listed = ", ".join("{" + n + "}" for n in names)
    verb = "is" if len(symbols) == 1 else "are"
    return (f"{listed} {verb} held constant", tuple(zip(names, symbols, strict=True)))


def _held_constant(step: r.HeldConstantRule) -> list[Sentence]:
    return [_held(step.held)]


def _constant_multiple(step: r.ConstantMultipleRule) -> list[Sentence]:
    """One sentence: a factor with symbols of its own does not depend on the variable (they are
    held constant), a number is simply kept."""
    if step.constant.free_symbols:
        kept = (("c", step.constant), ("x", step.wrt))
        return [("the factor {c} does not depend on {x}: it is kept", kept)]
    return [("the constant factor {c} is kept", (("c", step.constant),))]


def _sum(step: r.SumRule) -> list[Sentence]:
    return [("differentiate term by term", ())]


_POWER_KINDS = {
    "reciprocal": "a reciprocal is a negative power, n = {n}",
    "square root": "a square root is the power n = {n}",
    "root": "a root is a fractional power, n = {n}",
}


def _power(step: r.PowerRule) -> list[Sentence]:
    why = _POWER_KINDS.get(step.kind, "n = {n}") + ": bring n down and lower the power by one"
    return [(why, (("n", step.exponent),))]


def _product(step: r.ProductRule) -> list[Sentence]:
    return [("differentiate one factor at a time, keeping the others", ())]


def _product_done(step: r.ProductRule) -> list[Sentence]:
    return [("add up the products: {result}", (("result", step.result),))]


# The names of the rules' formulas are math too (f(g), f'(g), (f'g - fg')/g^2): set in math
# with the expressions, never as prose with a straight apostrophe.
_F, _G = sp.Symbol("f"), sp.Symbol("g")
_QUOTIENT = sp.Mul(
    sp.Add(sp.Symbol("f'") * _G, -_F * sp.Symbol("g'"), evaluate=False),
    sp.Pow(_G, -2, evaluate=False),
    evaluate=False,
)


def _applied(name: str, argument: sp.Expr) -> sp.Expr:
    """`f(g)` or `f'(g)` as an expression: a function of that name applied to the argument."""
    return sp.Function(name)(argument)


def _quotient(step: r.QuotientRule) -> list[Sentence]:
    return [
        (
            "numerator {f} = {num}, denominator {g} = {den}; the derivative is {rule}",
            (
                ("f", _F),
                ("num", step.numerator),
                ("g", _G),
                ("den", step.denominator),
                ("rule", _QUOTIENT),
            ),
        )
    ]


def _quotient_done(step: r.QuotientRule) -> list[Sentence]:
    if step.tidy_step is not None:  # the tidying step shows the combined formula
        return []
    return [("combine as {rule}: {result}", (("rule", _QUOTIENT), ("result", step.result)))]


def _chain(step: r.ChainRule) -> list[Sentence]:
    u = step.variable
    return [
        (
            "let {u} = {inner}: outer function {fu} = {outer}, inner function {ux} = {inner}",
            (
                ("u", u),
                ("inner", step.inner),
                ("fu", _applied("f", u)),
                ("outer", step.outer),
                ("ux", _applied(u.name, step.wrt)),
            ),
        )
    ]


def _chain_done(step: r.ChainRule) -> list[Sentence]:
    product = step.outer_step.result * step.inner_step.result
    u = step.variable
    return [
        (
            "multiply {fu} by {ux}: {product}; put {u} = {inner} back: {result}",
            (
                ("fu", _applied("f'", u)),
                ("ux", _applied(f"{u.name}'", step.wrt)),
                ("product", product),
                ("u", u),
                ("inner", step.inner),
                ("result", step.result),
            ),
        )
    ]


def _logarithmic(step: r.LogarithmicDifferentiation) -> list[Sentence]:
    return [
        (
            "the exponent depends on {x} too: {f} = {e}, so differentiate the exponent {log}",
            (
                ("x", step.wrt),
                ("f", step.expr),
                ("e", sp.exp(step.logarithm, evaluate=False)),
                ("log", step.logarithm),
            ),
        )
    ]


def _logarithmic_done(step: r.LogarithmicDifferentiation) -> list[Sentence]:
    return [("multiply by {f}: {result}", (("f", step.expr), ("result", step.result)))]


def _exponential(step: r.ExponentialRule) -> list[Sentence]:
    if step.base == sp.E:
        return []
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


def _log_base(step: r.LogBaseRule) -> list[Sentence]:
    return [
        (
            "to base b = {b}: divide the natural logarithm by {lnb}",
            (("b", step.base), ("lnb", sp.log(step.base))),
        )
    ]


def _convention(step: r.FunctionRule) -> list[Sentence]:
    """A standard derivative's caveat, from the function's record (|x| at 0)."""
    if not step.function.convention:
        return []
    return [(step.function.convention, (("f", step.expr), ("x", step.wrt)))]


def _from_definition(step: r.DefinitionRule) -> list[Sentence]:
    return [("{f} = {d}: differentiate the definition", (("f", step.expr), ("d", step.definition)))]


def _by_cases(step: r.CasesRule) -> list[Sentence]:
    names = [(f"p{i}", f"c{i}") for i in range(len(step.definition.args))]
    pieces = " and ".join(
        "{%s} otherwise" % p if condition == sp.true else "{%s} for {%s}" % (p, c)
        for (p, c), (_, condition) in zip(names, step.definition.args, strict=True)
    )
    math = tuple(
        item
        for (p, c), (piece, condition) in zip(names, step.definition.args, strict=True)
        for item in ((p, piece), (c, condition))
    )
    return [("{f} = " + pieces + ": differentiate each piece", (("f", step.expr), *math))]


def _by_cases_done(step: r.CasesRule) -> list[Sentence]:
    return [(step.convention + ": {result}", (("result", step.result),))]


def _rewrite(step: r.Rewrite) -> list[Sentence]:
    names = [(f"a{i}", f"b{i}") for i in range(len(step.identities))]
    used = ", ".join("{%s} = {%s}" % pair for pair in names)
    math = tuple(
        item
        for (a, b), (lhs, rhs) in zip(names, step.identities, strict=True)
        for item in ((a, lhs), (b, rhs))
    )
    return [(step.reason + (f", using {used}" if used else ""), math)]


def _fallback(step: r.Fallback) -> list[Sentence]:
    return [(step.reason + ": the derivative is SymPy's", ())]


_CLAIM_ONLY: Prose[Any] = Prose()
"""For rules whose claim says it all (d/dx sin x = cos x)."""

PROSE: dict[type[r.Step], Prose[Any]] = {
    r.ConstantRule: _CLAIM_ONLY,
    r.VariableRule: _CLAIM_ONLY,
    r.HeldConstantRule: Prose(notes=_held_constant),
    r.ConstantMultipleRule: Prose(notes=_constant_multiple),
    r.SumRule: Prose(notes=_sum),
    r.PowerRule: Prose(notes=_power),
    r.ProductRule: Prose(notes=_product, conclusions=_product_done),
    r.QuotientRule: Prose(notes=_quotient, conclusions=_quotient_done),
    r.ChainRule: Prose(notes=_chain, conclusions=_chain_done),
    r.LogarithmicDifferentiation: Prose(notes=_logarithmic, conclusions=_logarithmic_done),
    r.ExponentialRule: Prose(notes=_exponential),
    r.LogBaseRule: Prose(notes=_log_base),
    r.FunctionRule: Prose(notes=_convention),
    r.DefinitionRule: Prose(notes=_from_definition),
    r.CasesRule: Prose(notes=_by_cases, conclusions=_by_cases_done),
    r.Rewrite: Prose(notes=_rewrite),
    r.Fallback: Prose(notes=_fallback),
}
"""Every rule's prose, keyed by rule class; `prose_of` looks a class up along its MRO."""


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
