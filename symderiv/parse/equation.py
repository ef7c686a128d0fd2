r"""An answer written as an equation: `∂J/∂w₂ = δ₂·a₁`, `dJ/dw2 = …`, `\frac{\partial J}{\partial
w_2} = …`.

Students write the gradient they derive as an equation more often than as a bare expression. The
left side must be a derivative of the cost `J` by one name; this module finds that name (in the
plain naming scheme: `w2`, `w2_1_2`, `yhat`) and where the right side starts, so the right side can
be read like any answer and an error in it shown at its place in the whole text. Whether the name
is the parameter being checked is for the caller to say.

Left sides understood: `dJ/dw2`, `∂J/∂w₂`, `dJ/dw_2` (plain), and in LaTeX
`\frac{\partial J}{\partial w_2}`, `\frac{dJ}{dw_2}`, `\partial J/\partial w_2`, with any name
the readers understand (`w^{(2)}_{11}`, `W^{[2]}_{12}`, `\hat{y}`). An `&=` copied from an
`align` environment counts as `=`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symderiv.core import naming, notation
from symderiv.parse.latex import COST_DERIVATIVE, strip_delimiters, translate
from symderiv.parse.plain import ParseError, parse_expression

# d J / d <name>, with d, ∂ or \partial, spaces anywhere between
_QUOTIENT = re.compile(
    r"(?:d|∂|\\partial)\s*[JCLE]\s*/\s*(?:d|∂|\\partial)\s*(?P<name>.+?)\s*", re.DOTALL
)
# `dw2`, `dW^{[2]}`: a gradient named with a d, under a notation that names gradients so
_NAMED = re.compile(r"d\s*(?P<name>[A-Za-z\\].*?)\s*", re.DOTALL)


@dataclass(frozen=True)
class Equation:
    """`∂J/∂<variable> = <right side>`: the name on the left, and the right side's place."""

    text: str  # the whole answer
    variable: str  # the name the left side differentiates J by, in the plain scheme
    left_at: int  # where the left side starts in `text`
    right_at: int  # where the right side starts in `text`
    right_end: int  # where it ends (before closing `$` or `\]`)
    # A chain `∂J/∂w = A = B`: where each right side after the first starts and ends.
    more: tuple[tuple[int, int], ...] = ()

    @property
    def right(self) -> str:
        return self.text[self.right_at : self.right_end]


def split_equation(
    text: str, latex: bool, parameter: str | None = None, *, chained: bool = False
) -> Equation | None:
    r"""The equation `text` is, None when it holds no `=`; ParseError for an unreadable one.

    An `=` inside braces (`\sum_{i=1}`) is not the equation's; `parameter`, the name of the
    gradient checked, makes the advice for a wrong left side name it. With `chained`, the
    derivative may be followed by several right sides, as in notes (`∂J/∂w₂ = δ₂a₁ = …`)."""
    start, end = strip_delimiters(text) if latex else (0, len(text))
    signs = _signs(text, start, end)
    if not signs:
        return None
    if len(signs) > 1 and not chained:
        raise ParseError(
            text, signs[1], "one '=' at most: write the derivative, '=', then your answer"
        )
    sides: list[tuple[int, int]] = []
    for sign, after in zip(signs, [*signs[1:], end]):
        right_at = sign + 1
        while right_at < after and text[right_at].isspace():
            right_at += 1
        right_end = after - 1 if after < end and text[after - 1] == "&" else after
        if right_at >= right_end:
            raise ParseError(text, sign + 1, "nothing after '=': write your answer there")
        sides.append((right_at, right_end))
    sign = signs[0]
    left_end = sign - 1 if sign > start and text[sign - 1] == "&" else sign
    left_at = start
    while left_at < left_end and text[left_at].isspace():
        left_at += 1
    variable = _left_variable(text, left_at, left_end, latex, parameter)
    (right_at, right_end), *more = sides
    return Equation(text, variable, left_at, right_at, right_end, tuple(more))


def _signs(text: str, start: int, end: int) -> list[int]:
    """Where each `=` outside braces is, in one pass."""
    signs, depth = [], 0
    for i in range(start, end):
        char = text[i]
        depth += 1 if char == "{" else -1 if char == "}" else 0
        if char == "=" and depth == 0:
            signs.append(i)
    return signs


def _left_variable(text: str, start: int, end: int, latex: bool, parameter: str | None) -> str:
    """The name `∂J/∂<name>` on the left of `=` differentiates by."""
    left = text[start:end]
    reason = (
        f"the left side of '=' must be the derivative you give, as {_example(latex, parameter)}"
    )
    if not left.strip():
        raise ParseError(text, start, reason)
    match = _QUOTIENT.fullmatch(left.strip())
    if match is not None:
        offset = start + len(left) - len(left.lstrip()) + match.start("name")
        return _one_name(text, match["name"], offset, latex, reason)
    named = _NAMED.fullmatch(left.strip()) if notation.current().named_gradients else None
    if named is not None:
        offset = start + len(left) - len(left.lstrip()) + named.start("name")
        return _one_name(text, named["name"], offset, latex, reason)
    if latex:
        try:
            plain = translate(left).plain.strip()
        except ParseError:
            plain = ""
        if plain.startswith(COST_DERIVATIVE) and " " not in plain:
            return plain[len(COST_DERIVATIVE) :]
    raise ParseError(text, start, reason)


def _example(latex: bool, parameter: str | None) -> str:
    """The left side wanted, in the notation in force: the checked gradient's, else `w2`'s."""
    written, name = notation.current(), parameter or "w2"
    if latex:
        return written.gradient_latex(naming.latex_name(name) or "w_2")
    shown = naming.shown_name(name)
    if written.named_gradients:
        return f"d{shown}"
    return f"d{written.cost}/d{shown} or ∂{written.cost}/∂{naming.text_name(name) or shown}"


def _one_name(text: str, name: str, offset: int, latex: bool, reason: str) -> str:
    """`name` read as one symbol (`w₂`, `w_2`, `\\hat{y}`), or a ParseError at `offset`."""
    try:
        if latex:
            expr = parse_expression(translate(name).plain, latex=True)
        else:
            expr = parse_expression(name)
    except ParseError:
        raise ParseError(text, offset, reason) from None
    if not isinstance(expr, sp.Symbol):
        raise ParseError(text, offset, reason)
    return expr.name
