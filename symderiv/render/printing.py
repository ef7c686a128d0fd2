"""Expressions to LaTeX and to readable Unicode text, in the handout's notation.

Both printers are SymPy's own, taught two things: network symbols are written as
`symderiv.core.naming` says, and terms keep the order they were built in (`ŷ − y`, not `−y + ŷ`).
Any other symbol name is escaped, so no name can inject LaTeX.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symderiv.core import functions, naming

_PLAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega",
}  # fmt: skip
#: Plain text written into LaTeX, in a document's prose or a formula's `\text{}`: the ten special
#: characters, the three that print other glyphs in LaTeX's default font encoding, line breaks,
#: and the Unicode the handouts' own prose uses.
_LATEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "$": r"\$",
        "&": r"\&",
        "#": r"\#",
        "^": r"\textasciicircum{}",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "%": r"\%",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
        "\n": " ",
        "\r": " ",
        "σ": r"$\sigma$",
        "δ": r"$\delta$",
        "η": r"$\eta$",
        "∂": r"$\partial$",
        "ŷ": r"$\hat{y}$",
        "·": r"$\cdot$",
        "−": "-",
        "–": "--",
        "—": "---",
        "’": "'",
    }
)


def escape_latex(text: str) -> str:
    """Text that LaTeX prints as written and cannot run: no command, group or math of its own.

    Other non-ASCII characters, which pdflatex cannot typeset without extra fonts, become `?`.
    """
    escaped = text.translate(_LATEX_ESCAPES)
    return "".join(c if ord(c) < 128 else "?" for c in escaped)


class HandoutLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the handout's symbol names and the order terms were built in."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"order": "none", "ln_notation": True, **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name = naming.latex_name(expr.name)
        if name is not None:
            return name
        return _latex_plain_symbol(expr.name)

    def _print_Heaviside(self, expr: sp.Heaviside, exp: Any = None) -> str:
        body = r"\mathbf{1}\left[%s > 0\right]" % self._print(expr.args[0])
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)

    def _print_Mul(self, expr: sp.Mul) -> str:
        """A written product led by a negative factor keeps it in brackets: `(−y/ŷ) ŷ (1 − ŷ)`,
        not `−y/ŷ ŷ (1 − ŷ)`, which after a `+` would read `+ −y/ŷ …`."""
        first, *rest = expr.args
        if rest and isinstance(first, sp.Mul) and first.could_extract_minus_sign():
            tail = sp.Mul(*rest, evaluate=False) if len(rest) > 1 else rest[0]
            shown = self.parenthesize(tail, PRECEDENCE["Mul"], strict=True)
            if shown.startswith("-"):
                shown = r"\left(%s\right)" % shown
            return r"\left(%s\right) %s" % (self._print(first), shown)
        return str(super()._print_Mul(expr))


def _latex_plain_symbol(name: str) -> str:
    """A user symbol: a Greek letter, a letter with a subscript, or escaped upright text."""
    stem, _, sub = name.partition("_")
    if _PLAIN_NAME.match(stem) and (not sub or _PLAIN_NAME.match(sub) or sub.isdigit()):
        head = f"\\{stem}" if stem in _GREEK else stem
        if len(stem) > 1 and stem not in _GREEK:
            head = rf"\mathrm{{{stem}}}"
        return f"{head}_{{{sub}}}" if sub else head
    return r"\text{%s}" % escape_latex(name)


class HandoutTextPrinter(StrPrinter):
    """SymPy's string printer with Unicode names (`ŷ`, `w₂`, `σ(z₁)`)."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"order": "none", **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = naming.text_name(expr.name)
        return name if name is not None else expr.name

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return "1[%s > 0]" % self._print(expr.args[0])

    def _print_Function(self, expr: sp.Function) -> str:
        record = functions.of(expr)
        name = record.text if record is not None else expr.func.__name__
        return "%s(%s)" % (name, self.stringify(expr.args, ", "))


def to_latex(expr: Any) -> str:
    """LaTeX for an expression (or number) in the handout's notation."""
    return HandoutLatexPrinter().doprint(_as_expr(expr))


def to_text(expr: Any) -> str:
    """Readable one-line Unicode: `2·(ŷ − y)·σ(z₂)` rather than `2*(yhat - y)*sigmoid(z2)`."""
    text = HandoutTextPrinter().doprint(_as_expr(expr))
    return text.replace("**", "^").replace("*", "·").replace(" - ", " − ")


def _as_expr(value: Any) -> sp.Basic:
    """An expression as is; a Python number as a SymPy number (never text: that would be parsed)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise TypeError(f"cannot print {type(value).__name__} as an expression")
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return sp.Integer(value) if isinstance(value, int) else sp.Float(value)


_COMMAND = re.compile(r"\\(left|right|mathrm|operatorname|text|mathbf)\b|[{}]")
_OTHER_COMMAND = re.compile(r"\\[A-Za-z]+")


def visible_width(latex: str) -> int:
    """Rough count of the characters a LaTeX formula shows (commands count as one)."""
    return len(_OTHER_COMMAND.sub("x", _COMMAND.sub("", latex)))


def latex_lines(expr: sp.Expr, width: int = 56) -> list[str]:
    """LaTeX for `expr` broken into lines of about `width` characters, for `aligned` blocks.

    Products break between factors and sums between terms, and a long sum inside a product
    breaks inside big parentheses; continuation lines start with their operator. A formula
    that fits, or cannot be broken, is one line.
    """
    return _lines(HandoutLatexPrinter(), expr, width)


def _lines(printer: HandoutLatexPrinter, expr: sp.Expr, width: int) -> list[str]:
    whole = printer.doprint(expr)
    if visible_width(whole) <= width or not isinstance(expr, (sp.Mul, sp.Add)):
        return [whole]
    is_sum = isinstance(expr, sp.Add)
    level = PRECEDENCE["Add" if is_sum else "Mul"]
    lines: list[str] = []
    current = ""
    for arg in expr.args:
        text = printer.parenthesize(arg, level, strict=False)
        join = "+ " if is_sum else r"\cdot "
        if is_sum and text.startswith("- "):
            text, join = text[2:], "- "
        if not is_sum and isinstance(arg, sp.Add) and visible_width(text) > width:
            inner = _lines(printer, arg, width - 4)
            if current:
                lines.append(current)
            prefix = join if lines else ""
            inner[0] = prefix + r"\Bigl(" + inner[0]
            inner[-1] = inner[-1] + r"\Bigr)"
            lines.extend(inner)
            current = ""
            continue
        if current and visible_width(current + text) > width:
            lines.append(current)
            current = join + text
        elif current:
            current += (" " + join if is_sum else " ") + text
        elif lines:
            current = join + text
        else:
            current = text
    if current:
        lines.append(current)
    return lines
