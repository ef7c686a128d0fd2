"""Numbers as a worked example writes them: rounded text, and SymPy symbols that print as it.

Numbers are SymPy symbols of a class of their own (`Number`) that print as their rounded text:
SymPy would otherwise fold `2·(0.62 − 1)` into `−0.76` and print `0.62 - -1` for a negative
target. A negative, fractional or scientific number is parenthesised inside products and powers
(`2·(−0.3)`, `(1/2)^2`) and bare where nothing binds tighter (a function's argument, a whole
line). `Substituted` prints its expression with an explicit `·` between factors, since
juxtaposed numbers (`0.3 0.5`) would read as one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sympy as sp

from symderiv.core import notation
from symderiv.core.errors import SymderivError
from symderiv.numbers.evaluate import PRECISION
from symderiv.render.printing import HandoutLatexPrinter

#: Significant digits shown unless asked otherwise, and the most that may be asked for.
DEFAULT_DIGITS = 4
MAX_DIGITS = 15
#: Fractions with more digits than this are shown as rounded decimals.
MAX_FRACTION_DIGITS = 6


def format_number(value: sp.Expr, digits: int) -> str:
    """Text of a number: a short fraction as `p/q`, anything else to `digits` significant digits.

    Plain decimals from 1e-4 up to where rounding would need trailing zeros (`0.6215`, `-12.5`),
    scientific beyond (`1.2e-7`, `1.235e5` rather than a falsely precise `123500`). A rounded
    value shows all its digits, trailing zeros included (`-0.1180`).
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
    # A rounded value keeps its trailing zeros (−0.1180: four digits promised, four shown); a
    # value the digits show exactly drops them (0.5, not 0.5000).
    shown = Decimal(f"{mantissa}e{power}")
    rounded = shown != Decimal(format(exact, ".14e"))  # beyond a float's own noise
    if -4 <= power < digits:
        text = format(shown, "f")
        return text if rounded else _strip_zeros(text)
    return f"{mantissa if rounded else _strip_zeros(mantissa)}e{power}"


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
        return notation.current().gradient_latex(printer._print(sp.Symbol(self.name)))

    def _sympystr(self, printer: Any, **settings: Any) -> str:
        return notation.current().gradient_text(printer._print(sp.Symbol(self.name)))


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


def bare_where_unbound(expr: sp.Basic, alone: bool = True) -> sp.Basic:
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
        args = [bare_where_unbound(a, i == 0 or not _negative(a)) for i, a in enumerate(expr.args)]
        return sp.Add(*args, evaluate=False)
    if isinstance(expr, sp.Mul):
        return sp.Mul(*[bare_where_unbound(a, False) for a in expr.args], evaluate=False)
    if isinstance(expr, sp.Pow):
        base = bare_where_unbound(expr.base, False)
        return sp.Pow(base, bare_where_unbound(expr.exp, True), evaluate=False)
    return expr.func(*[bare_where_unbound(a, True) for a in expr.args])


def _negative(expr: sp.Basic) -> bool:
    return isinstance(expr, Number) and expr.text.startswith("-")
