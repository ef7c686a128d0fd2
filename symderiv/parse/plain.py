"""The one parser for every expression a user types.

SymPy's own parsers (`sympify`, `parse_expr`) run Python on their input, and even a pure parser
can hang SymPy by asking it to build `9**9**9`. This module reads user text with its own tokenizer
and precedence-climbing parser and builds SymPy objects directly: nothing the user types is ever
evaluated as code, and every size that could make SymPy slow is checked before SymPy computes it.

Grammar (lowest precedence first)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary | implicit)*
    implicit   := power                  # juxtaposition, only before a name, "(" or "["
    unary      := ("-" | "+") unary | power
    power      := primary (("^" | "**") unary)?       # right-associative: 2^3^2 = 2^9
    primary    := number | name | function "(" expression ("," expression)? ")"
                | "(" expression ")" | "[" expression "]"

- Numbers: integers and decimals (`12`, `0.5`, `.5`), with an optional decimal exponent
  (`1.5e-3`, exponent at most ``MAX_SCIENTIFIC_EXPONENT``). Decimals become exact rationals
  (`0.5` is 1/2), so `x^0.5` is the square root it looks like. `2e` is 2·e and `2e-x` is 2·e − x:
  an `e` is an exponent only when a digit follows it.
- Square brackets group like parentheses: `2[ŷ − y]`, matched pair by pair.
- Implicit multiplication, where it cannot be misread: `2x`, `2(x + 1)`, `(a)(b)`, `(x + 1)y`,
  `x y` (names separated by a space; `xy` is one name), `sin(x)cos(x)`, `x²y`, `x^2 y`. It
  binds like `*`. A name that is not a function, followed by `(`, multiplies it: `a1(1 - a1)`,
  `ŷ(1 − ŷ)`, `yhat (1 - yhat)`, `2y(1 - y)`, `f(x)` (f·x); a name spelled like a function
  (`sigmod(z)`, `Tanh(z)`) is refused with a did-you-mean instead. Rejected as ambiguous: `1/2x`
  and `1/x(y)` (1/(2x) or x/2?), `e^2x` and `2^x(x + 1)` (e^(2x) or e^2·x?), a number after
  anything (`x 2`, `(x)2`) and a function without parentheses (`sin x`, `sin^2(x)`).
- Functions (whitelist): every function of the table in `symderiv.core.functions`, by its name
  or another spelling it lists (`ln`, `arcsin`, `ReLU`, `σ`), each with its number of arguments
  (`log(x, b)` is base b); a prime after one is its derivative (`σ'(z)`, `tanh′(z)`). Also sqrt,
  and sign, re, im so that what SymPy prints (derivatives; `abs(e^x)` is
  `exp(re(x))`) reads back.
- Constants: `e` and `E` are Euler's number, `pi` and `π` are π. Every other name is a symbol.
- Names: ASCII letters, digits and `_`, starting with a letter, at most ``MAX_NAME_LENGTH``
  characters, no leading, trailing or double underscore (no dunders), not a Python keyword or
  builtin (symbol names can reach code generators later) other than `lambda`, the fixed name of
  the weight decay's strength λ. With `symbols=`, any other name is an error with a did-you-mean.
- Unicode, mapped without NFKC normalisation (NFKC turns fullwidth letters into dunders): a
  function's one-letter spelling (`σ`), `ŷ` (or `y` + combining circumflex) yhat, `δ` delta, `η`
  eta, `λ` lambda, `π` pi, `·` `×` `⋅` times, `−` `–` minus, superscripts `x²`, `x⁻¹`. Subscript
  digits end a name: they are glued on when that spells a network name of `symderiv.core.naming`
  (`w₂` is `w2`, `δ₂` is `delta2`), and joined with `_` otherwise (`x₁` is `x_1`, `ŷ₁` is
  `yhat_1`, `t₁` is `t_1`). A Greek letter is a name of its own, so `ηx` is η·x. `∂J/∂ŷ` is the
  one name `dJ_dyhat` (`∂J/∂w₂` is `dJ_dw2`): a derivative of the cost, whose meaning the checker
  decides. Any other non-ASCII character is an error.

Bounds, so that parsing (and differentiating what it returns) stays fast on any input: the text's
length, its number of tokens, the nesting depth, the digits of a literal, the size of any number
SymPy would compute (`2^1000` is fine, `9^9^9` is refused before SymPy sees it), constant exponents,
and the total size of numbers under roots (SymPy factors them when it multiplies roots together).
"""

from __future__ import annotations

import builtins
import difflib
import functools
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from symderiv.core import functions, naming
from symderiv.core.errors import SymderivError, did_you_mean

MAX_INPUT_LENGTH = 2_000
MAX_TOKENS = 1_000
MAX_DEPTH = 50
MAX_NAME_LENGTH = 32
MAX_LITERAL_DIGITS = 50
MAX_SCIENTIFIC_EXPONENT = 100
MAX_EXPONENT = 1_000  # |n| of a numeric exponent
MAX_NUMBER_DIGITS = 400  # digits of any number built, numerator or denominator
MAX_RADICAND_DIGITS = 100  # digits of all numbers put under roots, together


def _tree_size(expr: sp.Basic, cap: int) -> int:
    """Nodes of `expr` written out as a tree, counted up to `cap` (a derivative copies its
    argument, so nesting primes doubles the size each time)."""
    size, stack = 0, [expr]
    while stack and size <= cap:
        node = stack.pop()
        size += 1
        stack.extend(node.args)
    return size


def _derivative(record: functions.Function) -> Callable[[sp.Expr], sp.Expr]:
    return functools.partial(record.derivative_at, as_written=False)


# name typed -> (SymPy function, allowed argument counts): every record's names and primes
# (`sigmoid'(z)` is σ'(z)), and the few SymPy names its own printing uses.
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    **{name: (record.symbolic, record.arities) for name, record in functions.typed_names()},
    **{f"{name}'": (_derivative(record), (1,)) for name, record in functions.typed_names()},
    "sqrt": (sp.sqrt, (1,)),
    "sign": (sp.sign, (1,)),
    "re": (sp.re, (1,)),
    "im": (sp.im, (1,)),
}
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "E": sp.E, "pi": sp.pi}
RESERVED: frozenset[str] = frozenset(keyword.kwlist) | frozenset(
    name for name in dir(builtins) if not name.startswith("_")
)

_OPERATORS = {"·": "*", "×": "*", "⋅": "*", "−": "-", "–": "-"}
_LETTERS = {"ŷ": "yhat", "δ": "delta", "η": "eta", "λ": "lambda", "π": "pi"} | {
    name: record.name for name, record in functions.typed_names() if not name.isascii()
}
_PRIMES = "'\u2032"  # ' and ′
_COMBINING_HAT = "\u0302"
_PARTIAL = "∂"
_COST_DERIVATIVE = re.compile(r"∂\s*[JCLE]\s*/\s*∂\s*(?=[A-Za-zŷδ])")  # notation.COST_LETTERS
_SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)}
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4"} | {
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
}
_SUPERSCRIPT_MINUS = "⁻"
_WHITESPACE = " \t\r\n"
_CLOSERS = {"(": ")", "[": "]"}
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_UNDEFINED = (sp.nan, sp.zoo, sp.oo, -sp.oo)


class ParseError(SymderivError):
    """Text that is not an expression symderiv accepts; the message points at the culprit.

    `position` is the index (in characters) of the offending character in the text, `reason` the
    explanation without the caret picture.
    """

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(f"cannot parse expression: {reason}\n{_caret_picture(text, position)}")


def parse_expression(
    text: str, *, symbols: Collection[str] | None = None, latex: bool = False
) -> sp.Expr:
    """The SymPy expression `text` denotes; raises ParseError (and only that) otherwise.

    With `symbols`, a name outside that collection (constants aside) is an error. With `latex`,
    `text` is the translation of a LaTeX answer and advice in errors is worded in LaTeX.
    """
    if not isinstance(text, str):
        raise TypeError("parse_expression takes text")
    if len(text) > MAX_INPUT_LENGTH:
        raise ParseError(
            text, MAX_INPUT_LENGTH, f"expression longer than {MAX_INPUT_LENGTH} characters"
        )
    tokens = _tokenize(text)
    allowed = None if symbols is None else frozenset(symbols)
    return _Parser(text, tokens, allowed, latex).parse()


# ---------------------------------------------------------------------------- error picture


def _caret_picture(text: str, position: int, width: int = 72) -> str:
    """Two lines: (a window of) the text, and a caret under `position`.

    Control characters are shown as `�` so a message cannot drive the terminal, and the caret's
    column allows for wide and combining characters.
    """
    start = 0
    if len(text) > width:
        start = max(0, min(position - width // 2, len(text) - width))
    shown = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    safe = "".join("�" if unicodedata.category(c).startswith("C") else c for c in shown)
    column = len(prefix) + sum(_display_width(c) for c in safe[: position - start])
    return f"  {prefix}{safe}{suffix}\n  {' ' * column}^"


def _display_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "name", "op", "end"
    text: str  # canonical: "*" for "·", "yhat" for "ŷ", digits for a number
    position: int
    source: str  # as typed
    value: sp.Rational | None = None


Token = _Token  # the tokens of the matrix form's grammar too


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(text)
    while i < n:
        if len(tokens) > MAX_TOKENS:
            raise ParseError(text, i, f"expression has more than {MAX_TOKENS} tokens")
        char = text[i]
        if char in _WHITESPACE:
            i += 1
        elif char in _DIGITS or (char == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i = _read_number(text, i, tokens)
        elif char in _ASCII_LETTERS or char in _LETTERS:
            i = _read_name(text, i, tokens)
        elif char == "*" and text.startswith("**", i):
            tokens.append(_Token("op", "^", i, "**"))
            i += 2
        elif char in "+-*/^()[],":
            tokens.append(_Token("op", char, i, char))
            i += 1
        elif char in _OPERATORS:
            tokens.append(_Token("op", _OPERATORS[char], i, char))
            i += 1
        elif char in _SUPERSCRIPTS or char == _SUPERSCRIPT_MINUS:
            i = _read_superscript(text, i, tokens)
        elif char in _SUBSCRIPTS:
            raise ParseError(text, i, "subscript digits must follow a name, as in w₂")
        elif char == _PARTIAL:
            i = _read_cost_derivative(text, i, tokens)
        else:
            raise ParseError(text, i, f"unexpected character {_describe(char)}")
    tokens.append(_Token("end", "", n, ""))
    return tokens


def _describe(char: str) -> str:
    if char.isascii() and char.isprintable():
        return repr(char)
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _read_number(text: str, i: int, tokens: list[_Token]) -> int:
    start = i
    n = len(text)
    while i < n and text[i] in _DIGITS:
        i += 1
    whole = text[start:i]
    fraction = ""
    if i < n and text[i] == ".":
        i += 1
        frac_start = i
        while i < n and text[i] in _DIGITS:
            i += 1
        fraction = text[frac_start:i]
        if i < n and text[i] == ".":
            raise ParseError(text, i, "a number has at most one decimal point")
    if len(whole) + len(fraction) > MAX_LITERAL_DIGITS:
        raise ParseError(text, start, f"number with more than {MAX_LITERAL_DIGITS} digits")
    exponent = 0
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-−":
            j += 1
        if j < n and text[j] in _DIGITS:
            exp_start = j
            while j < n and text[j] in _DIGITS:
                j += 1
            digits = text[exp_start:j]
            if len(digits) > 3 or int(digits) > MAX_SCIENTIFIC_EXPONENT:
                raise ParseError(text, i, f"decimal exponent larger than {MAX_SCIENTIFIC_EXPONENT}")
            exponent = -int(digits) if text[i + 1] in "-−" else int(digits)
            i = j
    value = Fraction(int(whole + fraction or "0"), 10 ** len(fraction)) * Fraction(10) ** exponent
    number = sp.Rational(value.numerator, value.denominator)
    tokens.append(_Token("number", text[start:i], start, text[start:i], number))
    return i


def _read_name(text: str, i: int, tokens: list[_Token]) -> int:
    start = i
    n = len(text)
    if text[i] in _LETTERS:
        name = _LETTERS[text[i]]
        i += 1
    else:
        while i < n and (text[i] in _ASCII_LETTERS or text[i] in _DIGITS or text[i] == "_"):
            i += 1
        name = text[start:i]
        if i < n and text[i] == _COMBINING_HAT:
            if name != "y":
                raise ParseError(text, i, "a combining hat is only understood on y (ŷ)")
            name = "yhat"
            i += 1
    # An ASCII tail after a Greek letter or ŷ: δ2, ŷ_1.
    while i < n and (text[i] in _DIGITS or text[i] == "_"):
        name += text[i]
        i += 1
    sub_start = i
    while i < n and text[i] in _SUBSCRIPTS:
        i += 1
    if i > sub_start:
        digits = "".join(_SUBSCRIPTS[c] for c in text[sub_start:i])
        glued = name + digits
        name = glued if naming.parse_name(glued) is not None else f"{name}_{digits}"
        if i < n and (text[i] in _ASCII_LETTERS or text[i] in _DIGITS or text[i] == "_"):
            raise ParseError(text, i, "subscript digits must end a name")
    _check_name(text, start, name)
    if i < n and text[i] in _PRIMES:
        if name not in FUNCTIONS:
            raise ParseError(
                text, i, f"a prime is understood after a function, as in σ'(z), not {name!r}"
            )
        name += "'"
        i += 1
    tokens.append(_Token("name", name, start, text[start:i]))
    return i


def _read_cost_derivative(text: str, i: int, tokens: list[_Token]) -> int:
    """`∂J/∂ŷ` as the one name `dJ_dyhat` (`∂J/∂w₂` as `dJ_dw2`): a derivative of the cost."""
    match = _COST_DERIVATIVE.match(text, i)
    if match is None:
        raise ParseError(text, i, "'∂' is understood only in a derivative of the cost, as ∂J/∂ŷ")
    named: list[_Token] = []
    end = _read_name(text, match.end(), named)
    if named[0].text in FUNCTIONS:
        raise ParseError(text, match.end(), "∂J/∂ needs a variable after it, not a function")
    tokens.append(_Token("name", f"dJ_d{named[0].text}", i, text[i:end]))
    return end


def _check_name(text: str, position: int, name: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise ParseError(text, position, f"name longer than {MAX_NAME_LENGTH} characters")
    if name.endswith("_") or "__" in name:
        raise ParseError(
            text, position, f"name {name!r} has a trailing or double underscore; not allowed"
        )
    if name in RESERVED and name not in FUNCTIONS and name not in naming.SPECIAL:
        raise ParseError(text, position, f"{name!r} is a reserved word, not a math name")


def _read_superscript(text: str, i: int, tokens: list[_Token]) -> int:
    start = i
    n = len(text)
    negative = text[i] == _SUPERSCRIPT_MINUS
    if negative:
        i += 1
    digit_start = i
    while i < n and text[i] in _SUPERSCRIPTS:
        i += 1
    if i == digit_start:
        raise ParseError(text, i, "a superscript minus must be followed by superscript digits")
    digits = "".join(_SUPERSCRIPTS[c] for c in text[digit_start:i])
    if len(digits) > MAX_LITERAL_DIGITS:
        raise ParseError(text, start, f"number with more than {MAX_LITERAL_DIGITS} digits")
    tokens.append(_Token("op", "^", start, text[start:i]))
    if negative:
        tokens.append(_Token("op", "-", start, _SUPERSCRIPT_MINUS))
    number = sp.Integer(int(digits))
    tokens.append(_Token("number", digits, digit_start, text[digit_start:i], number))
    return i


# ---------------------------------------------------------------------------- parser


class Cursor:
    """A place in a token list, with the moves every grammar over such tokens makes (this one
    and the matrix form's): look, step, expect, and a bound on nesting."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.loose_exponent_end = -1  # where an exponent written without parentheses ends

    def error(self, position: int, reason: str) -> ParseError:
        return ParseError(self.text, position, reason)

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def expect(self, op: str, context: str) -> Token:
        if not self.at_op(op):
            raise self.error(self.token.position, f"expected {op!r} {context}")
        return self.advance()

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(position, f"expression nested more than {MAX_DEPTH} levels deep")


class _Parser(Cursor):
    """Precedence climbing over the token list, building SymPy objects as it goes."""

    def __init__(
        self, text: str, tokens: list[_Token], symbols: frozenset[str] | None, latex: bool
    ) -> None:
        super().__init__(text, tokens)
        self.latex = latex
        self.radicand_digits = 0
        self.symbols = symbols

    # -- grammar

    def parse(self) -> sp.Expr:
        if self.token.kind == "end":
            raise self.error(0, "empty expression")
        result = self.expression()
        if self.token.kind != "end":
            raise self.error(self.token.position, f"unexpected {self.shown(self.token)}")
        return result

    def shown(self, token: _Token) -> str:
        if token.kind == "end":
            return "end of expression"
        return repr(token.source)

    def expression(self) -> sp.Expr:
        start = self.token.position
        terms = [self.term()]
        while self.at_op("+", "-"):
            op = self.advance()
            term = self.term()
            terms.append(term if op.text == "+" else self.build(op.position, sp.Mul, -1, term))
        if len(terms) == 1:
            return terms[0]
        self.check_numbers(start, terms)
        return self.build(start, sp.Add, *terms)

    def term(self) -> sp.Expr:
        start = self.token.position
        factors = [self.unary()]
        after_division = False
        while True:
            if self.at_op("*", "/"):
                op = self.advance()
                factor = self.unary()
                if op.text == "/":
                    factor = self.power_of(factor, sp.S.NegativeOne, op.position)
                after_division = op.text == "/"
            elif self.token.kind == "name" or self.at_op("(", "["):
                if after_division:
                    advice = r"\frac{1}{2x} or \frac{x}{2}" if self.latex else "1/(2*x) or x/2"
                    raise self.error(
                        self.token.position,
                        f"ambiguous implicit product after '/': write {advice}",
                    )
                if self.token.position == self.loose_exponent_end:
                    raise self.error(
                        self.token.position,
                        "ambiguous implicit product after an exponent: "
                        "write e^(2*x) or e^2*x (or leave a space: e^2 x)",
                    )
                factor = self.power()
            elif self.token.kind == "number":
                raise self.error(
                    self.token.position, "a number cannot follow here: write an operator before it"
                )
            else:
                break
            factors.append(factor)
        if len(factors) == 1:
            return factors[0]
        self.check_numbers(start, factors)
        return self.build(start, sp.Mul, *factors)

    def unary(self) -> sp.Expr:
        if self.at_op("-", "+"):
            op = self.advance()
            self.enter(op.position)
            operand = self.unary()
            self.depth -= 1
            return operand if op.text == "+" else self.build(op.position, sp.Mul, -1, operand)
        return self.power()

    def power(self) -> sp.Expr:
        base = self.primary()
        if not self.at_op("^"):
            return base
        op = self.advance()
        self.enter(op.position)
        loose = op.source in ("^", "**") and not self.at_op("(", "[")
        exponent = self.unary()
        self.depth -= 1
        if loose:
            last = self.tokens[self.index - 1]
            self.loose_exponent_end = last.position + len(last.source)
        return self.power_of(base, exponent, op.position)

    def primary(self) -> sp.Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            assert token.value is not None
            return token.value
        if token.kind == "name":
            self.advance()
            return self.name(token)
        if self.at_op("(", "["):
            self.advance()
            self.enter(token.position)
            inner = self.expression()
            self.depth -= 1
            closer = _CLOSERS[token.text]
            self.expect(closer, f"to close the {token.text!r} at character {token.position + 1}")
            return inner
        if token.kind == "end":
            raise self.error(token.position, "expression ends too early")
        raise self.error(token.position, f"unexpected {self.shown(token)}")

    def name(self, token: _Token) -> sp.Expr:
        name = token.text
        if name in FUNCTIONS:
            if not self.at_op("("):
                raise self.error(
                    token.position,
                    f"function {name!r} needs parentheses: write {name}(x), and {name}(x)^2 "
                    "for a power",
                )
            return self.call(token)
        if self.at_op("(", "["):
            meant = _function_meant(name)
            if meant is not None:
                raise self.error(
                    token.position,
                    f"unknown function {name!r}: did you mean {meant}(...)? "
                    f"(for a product write {name}*(...))",
                )
        if name in CONSTANTS:
            return CONSTANTS[name]
        if self.symbols is not None and name not in self.symbols:
            message = did_you_mean("symbol", name, self.symbols)
            if len(name) > 1 and all(c in self.symbols for c in name):
                message += f" For a product write {'*'.join(name)}."
            raise self.error(token.position, message)
        return sp.Symbol(name)

    def call(self, token: _Token) -> sp.Expr:
        function, arities = FUNCTIONS[token.text]
        open_paren = self.advance()
        self.enter(open_paren.position)
        args = [self.expression()]
        while self.at_op(","):
            self.advance()
            args.append(self.expression())
        self.depth -= 1
        self.expect(")", f"to close {token.text}(")
        if len(args) not in arities:
            counts = " or ".join(str(a) for a in arities)
            raise self.error(token.position, f"{token.text} takes {counts} argument(s)")
        if function is sp.sqrt:
            return self.power_of(args[0], sp.S.Half, token.position)
        if function is sp.exp:
            self.count_radicands(token.position, args[0])
        if function is sp.log and len(args) == 2:
            self.check_numbers(token.position, args)
        if token.text.endswith("'") and _tree_size(args[0], MAX_TOKENS) * 4 > MAX_TOKENS:
            raise self.error(
                token.position, "the expression is too long once its derivatives are written out"
            )
        return self.build(token.position, function, *args)

    # -- building, with every size checked first

    def build(self, position: int, constructor: Callable[..., sp.Expr], *args: object) -> sp.Expr:
        try:
            result = constructor(*args)
        except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
            raise self.error(position, f"SymPy cannot build this ({type(exc).__name__})") from None
        if result in _UNDEFINED or any(arg in _UNDEFINED for arg in result.args):
            raise self.error(position, "undefined value (division by zero or similar)")
        largest = max((_digits(a) for a in (result, *result.args) if a.is_Rational), default=0)
        if largest > MAX_NUMBER_DIGITS:
            raise self.error(position, f"number with more than {MAX_NUMBER_DIGITS} digits")
        return result

    def power_of(self, base: sp.Expr, exponent: sp.Expr, position: int) -> sp.Expr:
        if isinstance(exponent, sp.Rational):
            if abs(exponent) > MAX_EXPONENT:
                raise self.error(
                    position, f"exponent {exponent} exceeds {MAX_EXPONENT} in absolute value"
                )
            raised = _raised_magnitude(base)
            if raised * abs(exponent) > MAX_NUMBER_DIGITS:
                raise self.error(position, f"number with more than {MAX_NUMBER_DIGITS} digits")
            if not exponent.is_integer and raised:
                self.add_radicand(position, raised)
        elif base == sp.E or base.is_number:
            self.count_radicands(position, exponent)
        return self.build(position, sp.Pow, base, exponent)

    def count_radicands(self, position: int, exponent: sp.Expr) -> None:
        """exp(r·ln n) becomes n^r: charge the numbers under logarithms to the root budget."""
        for log in exponent.atoms(sp.log):
            self.add_radicand(position, _raised_magnitude(log.args[0]))

    def add_radicand(self, position: int, digits: float) -> None:
        self.radicand_digits += int(digits) + 1
        if self.radicand_digits > MAX_RADICAND_DIGITS:
            raise self.error(
                position, f"numbers under roots have more than {MAX_RADICAND_DIGITS} digits"
            )

    def check_numbers(self, position: int, exprs: list[sp.Expr]) -> None:
        """Numbers combined by one operation: their digits add up at most."""
        total = 0.0
        for expr in exprs:
            for arg in (expr, *expr.args) if expr.is_Mul or expr.is_Add else (expr,):
                if isinstance(arg, sp.Rational):
                    total += _digits(arg)
        if total > MAX_NUMBER_DIGITS:
            raise self.error(position, f"number with more than {MAX_NUMBER_DIGITS} digits")


# lower-cased spellings of the functions, for names that look like a misspelt one
_FUNCTION_SPELLINGS = {
    name.lower(): name for name in FUNCTIONS if name.isascii() and not name.endswith("'")
}


def _function_meant(name: str) -> str | None:
    """The function a name before `(` is probably a misspelling of (`sigmod`, `Tanh`), or None.

    Such a name is read as a product otherwise, which would hide the typo.
    """
    word = name.lower()
    if len(word) < 3:
        return None
    if word in _FUNCTION_SPELLINGS:
        return _FUNCTION_SPELLINGS[word]
    close = difflib.get_close_matches(word, _FUNCTION_SPELLINGS, n=1, cutoff=0.75)
    return _FUNCTION_SPELLINGS[close[0]] if close else None


def _digits(number: sp.Rational) -> float:
    """Decimal digits of the larger of numerator and denominator (fractional, for estimates)."""
    return math.log10(max(abs(number.p), number.q, 1)) + 1


def _magnitude(number: sp.Rational) -> float:
    """log10 of the larger of numerator and denominator: the digits its powers grow by."""
    return math.log10(max(abs(number.p), number.q, 1))


def _raised_magnitude(base: sp.Expr) -> float:
    """log10 of the numbers a power of `base` would raise (SymPy distributes over products)."""
    if isinstance(base, sp.Rational):
        return _magnitude(base)
    if base.is_Pow and isinstance(base.base, sp.Rational) and isinstance(base.exp, sp.Rational):
        return _raised_magnitude(base.base) * float(abs(base.exp))
    if base.is_Mul:
        return sum(_raised_magnitude(arg) for arg in base.args)
    if base.is_number and base.is_Add:
        return sum(_magnitude(atom) for atom in base.atoms(sp.Rational))
    return 0.0
