"""Reading an answer in the matrix form: `delta2 * a1^T`, `(W2)ᵀ δ2 ⊙ σ'(z1)`, `1/m Δ2 A1ᵀ`.

The scalar grammar (`symderiv.parse.plain`) builds SymPy scalars as it reads; a matrix answer
needs what it has no use for (a transpose, the entrywise product, products that do not commute)
and a record of where each part was written, so that a shape that does not fit can be shown at
its place. This module reads the text into a small tree of `Node`s instead; what each name means,
and whether the shapes fit, is for the checker to decide (`symderiv.check.matrix`).

Grammar (lowest precedence first)::

    expression := entrywise (("+" | "-") entrywise)*
    entrywise  := term ("⊙" term)*
    term       := unary (("*" | "/" | "@") unary | implicit)*
    unary      := ("-" | "+") unary | postfix
    postfix    := primary ("ᵀ" | "^" unary)*
    primary    := number | name | function "(" expression ("," expression)* ")"
                | "(" expression ")" | "[" expression "]"

- Products: `@` (NumPy's) is always the matrix product, `⊙`, `∘` and `.*` always the entrywise
  (Hadamard) product. `*`, `·`, `×` and juxtaposition are read as a person reads them, by shape
  (`Product.by_shape`): the matrix product where the shapes allow it, else the entrywise product
  of two matrices of one shape (Ng writes `dZ * g'(Z)`); a scalar times a matrix either way.
- Precedence: ⊙ binds looser than every other product, as the textbooks write it:
  `σ'(z1) ⊙ W2ᵀ δ2` is `σ'(z1) ⊙ (W2ᵀ δ2)`. A run of products read by shape (`a b * c`) is
  kept as written, left to right; the checker may group it otherwise where only another grouping
  fits (`Product.bracketed` marks a run closed by brackets, which it never regroups across).
- Transposes: `ᵀ`, `^T`, `.T` (NumPy's), `⊤`. A prime is never a transpose: `σ'(z)` is a
  derivative, and `a1'` is refused with the way to write a transpose.
- Names: the plain scheme's, by layer (`W2`, `W_2`, `W₂`, `b1`, `z1`, `a1`, `delta1`, `δ1`) and
  over a training set the capitals (`X`, `Y`, `Yhat`, `Ŷ`, `A1`, `Z1`, `Delta1`, `Δ1`), with `m`,
  `lambda` (`λ`), `ones` (a column of m ones), `∂J/∂ŷ` as `dJ_dyhat`, and `G`. Where the
  notation names them with a d, `dz2`/`dZ2` (the deltas), `da2` and `dyhat`; `L` for the
  output layer's number (`WL`, as `W^L` is read from LaTeX).
- Functions: every function of the table in `symderiv.core.functions` by the names the scalar
  grammar knows, a prime for the derivative (`σ'(z1)`), applied to each entry of a layer; and
  what the package's own plain output writes, `HadamardProduct(A, B)`, `OneMatrix(r, c)`,
  `DiagMatrix(v)` (also `diag(v)`).

LaTeX is first rewritten into this grammar by `symderiv.parse.matrix_latex`. Every bound of the
scalar parser applies: the length of the text, the number of tokens, the nesting depth, the
digits of a number.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import sympy as sp

from symderiv.core import functions, notation
from symderiv.parse import plain
from symderiv.parse.plain import (
    FUNCTIONS,
    MAX_INPUT_LENGTH,
    MAX_TOKENS,
    ParseError,
)

HADAMARD = "⊙"
MATRIX_PRODUCT = "@"
TRANSPOSE = "ᵀ"
#: What the package's own plain output writes for the matrix form, read back: name -> arity.
STRUCTURES = {"HadamardProduct": 2, "OneMatrix": 2, "DiagMatrix": 1, "diag": 1}
#: Letters that are names of their own in the matrix form, beside the scalar grammar's.
_LETTERS = {**plain._LETTERS, "Δ": "Delta", "λ": "lambda", "Ŷ": "Yhat"}
_OPERATORS = {
    **plain._OPERATORS,
    "@": MATRIX_PRODUCT,
    "∘": HADAMARD,
    "⊙": HADAMARD,
    "⊤": TRANSPOSE,
    "ᵀ": TRANSPOSE,
}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_RECORDS = dict(functions.typed_names())
_SPECIAL_NAMES = frozenset({"lambda"})
#: Names of numbers: after `1/2`, `m` may be meant below the line; a matrix (`1/m Δ2`) cannot.
SCALAR_NAMES = frozenset(
    {"m", "lambda", *plain.CONSTANTS}
)  # a Python keyword, but the L2 strength here


# ---------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Node:
    """A part of the answer and where it starts in the text read (the plain text, for LaTeX)."""

    position: int


@dataclass(frozen=True)
class Number(Node):
    value: sp.Rational


@dataclass(frozen=True)
class Constant(Node):
    value: sp.Expr  # e, π


@dataclass(frozen=True)
class Name(Node):
    name: str  # in the plain scheme: `W2`, `delta1`, `Yhat`, `lambda`, `dJ_dyhat`


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Negate(Node):
    arg: Node


@dataclass(frozen=True)
class Sum(Node):
    left: Node
    right: Node  # a difference is a sum with a Negate


@dataclass(frozen=True)
class Product(Node):
    left: Node
    right: Node
    entrywise: bool  # ⊙ rather than the matrix product
    by_shape: bool = False  # `*`, `·` or juxtaposition: which product the shapes allow
    bracketed: bool = False  # written in brackets: a run of products ends here


@dataclass(frozen=True)
class Quotient(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Power(Node):
    base: Node
    exponent: Node


@dataclass(frozen=True)
class Call(Node):
    """A function of the table (its record's name), or its derivative, applied to `args`."""

    function: str
    derivative: bool
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Structure(Node):
    """`HadamardProduct(A, B)`, `OneMatrix(r, c)`, `DiagMatrix(v)` as the package prints them."""

    kind: str
    args: tuple[Node, ...]


# ---------------------------------------------------------------------------- tokens


_Token = plain.Token


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    scalar: list[plain._Token] = []  # what the scalar grammar's readers append to
    i, n = 0, len(text)
    while i < n:
        if len(tokens) > MAX_TOKENS:
            raise ParseError(text, i, f"expression has more than {MAX_TOKENS} tokens")
        char = text[i]
        after = text[i + 1] if i + 1 < n else ""
        if char in " \t\r\n":
            i += 1
        elif char == "." and after == "*":
            tokens.append(_Token("op", HADAMARD, i, ".*"))
            i += 2
        elif char == "." and after == "T" and not _continues_name(text, i + 2) and tokens:
            tokens.append(_Token("op", TRANSPOSE, i, ".T"))
            i += 2
        elif char in plain._DIGITS or (char == "." and after in plain._DIGITS):
            i = plain._read_number(text, i, scalar)
            tokens.append(scalar.pop())
        elif char in plain._ASCII_LETTERS or char in _LETTERS:
            i = _read_name(text, i, tokens)
        elif char == "^" and _transpose_after(text, i + 1) is not None:
            end = _transpose_after(text, i + 1)
            assert end is not None
            tokens.append(_Token("op", TRANSPOSE, i, text[i:end]))
            i = end
        elif char == "*" and after == "*":
            tokens.append(_Token("op", "^", i, "**"))
            i += 2
        elif char in "+-*/^()[],":
            tokens.append(_Token("op", char, i, char))
            i += 1
        elif char in _OPERATORS:
            tokens.append(_Token("op", _OPERATORS[char], i, char))
            i += 1
        elif char in plain._SUPERSCRIPTS or char == plain._SUPERSCRIPT_MINUS:
            i = plain._read_superscript(text, i, scalar)
            tokens.extend(scalar)
            scalar.clear()
        elif char in plain._SUBSCRIPTS:
            raise ParseError(text, i, "subscript digits must follow a name, as in W₂")
        elif char == plain._PARTIAL:
            i = plain._read_cost_derivative(text, i, scalar)
            tokens.append(scalar.pop())
        elif char in plain._PRIMES:
            raise ParseError(text, i, _PRIME_ADVICE)
        else:
            raise ParseError(text, i, f"unexpected character {plain._describe(char)}")
    tokens.append(_Token("end", "", n, ""))
    return tokens


_PRIME_ADVICE = (
    "a prime means a derivative, after a function as in σ'(z1); write a transpose as a1^T or a1ᵀ"
)


def _continues_name(text: str, i: int) -> bool:
    return i < len(text) and text[i] in _NAME_CHARS


def _transpose_after(text: str, i: int) -> int | None:
    """Where `^T` ends when the `^` before `i` is a transpose (`T` alone, no name is T)."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "T" and not _continues_name(text, i + 1):
        return i + 1
    return None


def _read_name(text: str, i: int, tokens: list[_Token]) -> int:
    """A name, as the scalar grammar reads one, with the matrix form's letters (Δ, λ, Ŷ)."""
    start, n = i, len(text)
    if text[i] in _LETTERS:
        name = _LETTERS[text[i]]
        i += 1
    else:
        while i < n and text[i] in _NAME_CHARS:
            i += 1
        name = text[start:i]
        if i < n and text[i] == plain._COMBINING_HAT:
            if name not in ("y", "Y"):
                raise ParseError(text, i, "a combining hat is only understood on y and Y")
            name += "hat"
            i += 1
    while i < n and (text[i] in plain._DIGITS or text[i] == "_"):
        name += text[i]
        i += 1
    sub_start = i
    while i < n and text[i] in plain._SUBSCRIPTS:
        i += 1
    if i > sub_start:
        name += "".join(plain._SUBSCRIPTS[c] for c in text[sub_start:i])  # W₂ is W2
        if _continues_name(text, i):
            raise ParseError(text, i, "subscript digits must end a name")
    if name not in _SPECIAL_NAMES:
        plain._check_name(text, start, name)
    elif len(name) > plain.MAX_NAME_LENGTH:  # pragma: no cover - `lambda` is short
        raise ParseError(text, start, "name too long")
    if i < n and text[i] in plain._PRIMES:
        if name not in FUNCTIONS:
            raise ParseError(text, i, _PRIME_ADVICE)
        name += "'"
        i += 1
    tokens.append(_Token("name", name, start, text[start:i]))
    return i


# ---------------------------------------------------------------------------- parser


def parse_matrix(text: str, *, entrywise_as_product: bool = False) -> Node:
    """The tree of a matrix-form answer in the plain grammar; ParseError (only) otherwise.

    With `entrywise_as_product`, ⊙ binds as tightly as the other products, left to right: the
    other reading of `δ ⊙ σ'(z) aᵀ`, `(δ ⊙ σ'(z)) aᵀ`, for where the textbooks' reading, whose
    ⊙ binds looser, gives shapes that do not fit."""
    if not isinstance(text, str):
        raise TypeError("parse_matrix takes text")
    if len(text) > MAX_INPUT_LENGTH:
        raise ParseError(
            text, MAX_INPUT_LENGTH, f"expression longer than {MAX_INPUT_LENGTH} characters"
        )
    parser = _Parser(text, _tokenize(text))
    parser.entrywise_as_product = entrywise_as_product
    return parser.parse()


class _Parser(plain.Cursor):
    """Precedence climbing over the tokens, as in the scalar grammar, building `Node`s."""

    entrywise_as_product = False

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise self.error(0, "empty expression")
        result = self.expression()
        if self.token.kind != "end":
            raise self.error(self.token.position, f"unexpected {self.token.source!r}")
        return result

    def expression(self) -> Node:
        result = self.entrywise()
        while self.at_op("+", "-"):
            op = self.advance()
            right = self.entrywise()
            if op.text == "-":
                right = Negate(op.position, right)
            result = Sum(result.position, result, right)
        return result

    def entrywise(self) -> Node:
        """Terms joined by ⊙, which binds looser than the matrix product: `σ'(z) ⊙ Wᵀ δ`."""
        result = self.term()
        while self.at_op(HADAMARD):
            op = self.advance()
            result = Product(op.position, result, self.term(), True)
        return result

    def term(self) -> Node:
        result = self.unary()
        after_division = False
        while True:
            if self.entrywise_as_product and self.at_op(HADAMARD):
                op = self.advance()
                result = Product(op.position, result, self.unary(), True)
            elif self.at_op("*", "/", MATRIX_PRODUCT):
                op = self.advance()
                right = self.unary()
                if op.text == "/":
                    result = Quotient(op.position, result, right)
                else:
                    result = Product(op.position, result, right, False, op.text == "*")
                after_division = op.text == "/"
            elif self.token.kind == "name" or self.at_op("(", "["):
                if after_division and self.token.text in SCALAR_NAMES:
                    raise self.error(
                        self.token.position,
                        "ambiguous implicit product after '/': write 1/(2*m) or m/2",
                    )
                if self.token.position == self.loose_exponent_end:
                    raise self.error(
                        self.token.position,
                        "ambiguous implicit product after an exponent: use parentheses",
                    )
                position = self.token.position
                result = Product(position, result, self.postfix(), False, by_shape=True)
            elif self.token.kind == "number":
                raise self.error(
                    self.token.position, "a number cannot follow here: write an operator before it"
                )
            else:
                return result

    def unary(self) -> Node:
        if self.at_op("-", "+"):
            op = self.advance()
            self.enter(op.position)
            operand = self.unary()
            self.depth -= 1
            return operand if op.text == "+" else Negate(op.position, operand)
        return self.postfix()

    def postfix(self) -> Node:
        result = self.primary()
        while self.at_op(TRANSPOSE, "^"):
            op = self.advance()
            if op.text == TRANSPOSE:
                result = Transpose(op.position, result)
                continue
            self.enter(op.position)
            loose = not self.at_op("(", "[")
            exponent = self.unary()
            self.depth -= 1
            if loose:
                last = self.tokens[self.index - 1]
                self.loose_exponent_end = last.position + len(last.source)
            result = Power(op.position, result, exponent)
        return result

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            assert token.value is not None
            return Number(token.position, token.value)
        if token.kind == "name":
            self.advance()
            return self.name(token)
        if self.at_op("(", "["):
            self.advance()
            self.enter(token.position)
            inner = self.expression()
            self.depth -= 1
            closer = ")" if token.text == "(" else "]"
            if not self.at_op(closer):
                raise self.error(
                    self.token.position,
                    f"expected {closer!r} to close the {token.text!r} at character "
                    f"{token.position + 1}",
                )
            self.advance()
            if isinstance(inner, Product) and inner.by_shape:
                return dataclasses.replace(inner, bracketed=True)
            return inner
        if token.kind == "end":
            raise self.error(token.position, "expression ends too early")
        raise self.error(token.position, f"unexpected {token.source!r}")

    def name(self, token: _Token) -> Node:
        name = token.text
        if name in FUNCTIONS or name in STRUCTURES:
            if not self.at_op("("):
                raise self.error(token.position, f"function {name!r} needs parentheses")
            args = self.arguments()
            if name in STRUCTURES:
                if len(args) != STRUCTURES[name]:
                    raise self.error(token.position, f"{name} takes {STRUCTURES[name]} argument(s)")
                return Structure(token.position, name, args)
            derivative = name.endswith("'")
            record = _RECORDS.get(name.rstrip("'"))
            if record is None:  # sqrt, sign, re, im: not in the table
                return Call(token.position, name.rstrip("'"), derivative, args)
            arities = (1,) if derivative else record.arities
            if len(args) not in arities:
                raise self.error(token.position, f"{name} takes a different number of arguments")
            return Call(token.position, record.name, derivative, args)
        if name in plain.CONSTANTS:
            return Constant(token.position, plain.CONSTANTS[name])
        return Name(token.position, name)

    def arguments(self) -> tuple[Node, ...]:
        opening = self.advance()
        self.enter(opening.position)
        args = [self.expression()]
        while self.at_op(","):
            self.advance()
            args.append(self.expression())
        self.depth -= 1
        if not self.at_op(")"):
            raise self.error(self.token.position, "expected ')' to close the argument list")
        self.advance()
        return tuple(args)


# ---------------------------------------------------------------------------- names

_LAYER_NAME = re.compile(r"^(?P<stem>W|w|b|z|a|Z|A|delta|Delta|dz|dZ|da|dA)_?(?P<layer>[0-9]+|L)$")
#: Names with a d (Ng's, CS231n's): the deltas, and `da` (the output layer's: the cost's gradient).
_D_NAMED = {"dz": "delta", "dZ": "Delta", "da": "da", "dA": "da"}
#: The layer a superscript `L` names: the output layer, whatever its number.
OUTPUT_LAYER = "L"


def layer_name(name: str, output: int | None = None) -> tuple[str, int] | None:
    """A matrix-form name taken apart into stem and layer: `W_2` and `W2` are (`W`, 2),
    `Delta1` is (`Delta`, 1); None for a name without a layer (`X`, `m`). The name is read in
    the notation in force: its layer numbers (`W3` is layer 2 when the inputs are layer 1) and
    its names (`dZ2` is `Delta2` where gradients or deltas are named with a d, `da2` the
    gradient by a layer's activations). `WL` is the output layer's, `output`, when it is given."""
    match = _LAYER_NAME.match(name)
    if match is None:
        return None
    written = notation.current()
    stem = match["stem"]
    if stem in _D_NAMED:
        named = written.named_gradients or (written.delta == "dz" and stem in ("dz", "dZ"))
        if not named:
            return None
        stem = _D_NAMED[stem]
    if match["layer"] == OUTPUT_LAYER:
        return None if output is None else (stem, output)
    return stem, written.internal_layer(int(match["layer"]))
