"""Expressions to LaTeX and to readable Unicode text, in the handout's notation.

Both printers are SymPy's own, taught two things: network symbols are written as
`symderiv.core.naming` says, and terms keep the order they were built in (`ŷ − y`, not `−y + ŷ`).
Any other symbol name is escaped, so no name can inject LaTeX.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symderiv.core import functions, naming, notation

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
        written = notation.current()
        base: dict[str, Any] = {"order": "none", "ln_notation": written.log == "ln"}
        if written.named_gradients or written.delta == "dz":
            # dz w: a thin space keeps dz w from reading as d·z·w (`\thinspace`, not `\,`,
            # which Markdown turns into a comma)
            base["mul_symbol"] = r" \thinspace "
        super().__init__({**base, **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if _is_depth(expr):
            return notation.current().depth
        name = naming.latex_name(expr.name)
        if name is not None:
            return name
        return _latex_plain_symbol(expr.name)

    def _hprint_Function(self, func: str) -> str:
        """`f'` is f′: a function's name with a prime, from a rule's formula; `J(y, ŷ)`, the
        cost as a function, has the notation's letter."""
        if func == "J":
            return notation.current().cost
        if func.endswith("'") and _PLAIN_NAME.match(func[:-1]):
            return self._hprint_Function(func[:-1]) + "^{\\prime}"
        return str(super()._hprint_Function(func))

    def _print_Heaviside(self, expr: sp.Heaviside, exp: Any = None) -> str:
        body = r"\mathbf{1}\left[%s > 0\right]" % self._print(expr.args[0])
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)

    # Whole layers (the matrix form): W^{(2)}, (W^{(2)})^{\top}, ⊙, σ'(z^{(1)}), ‖W‖²_F.

    def _print_Size(self, expr: Any) -> str:
        return f"n_{{{_shown_layer(expr.layer)}}}"

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol, style: str = "plain") -> str:
        name = naming.matrix_latex_name(expr.name)
        return name if name is not None else _latex_plain_symbol(expr.name)

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        if _is_plain_matrix_name(expr.arg, inner, "^"):
            return r"%s^{\top}" % inner
        return r"\left(%s\right)^{\top}" % inner

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return r" \odot ".join(_factor(self, arg, r"\left(%s\right)") for arg in expr.args)

    def _print_Applied(self, expr: Any) -> str:
        prime = r"^{\prime}" if expr.order else ""
        return r"%s%s\left(%s\right)" % (expr.record.latex, prime, self._print(expr.arg))

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return r"\mathbf{1}^{\top}" if expr.rows == 1 and expr.cols != 1 else r"\mathbf{1}"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.args[0])

    def _print_MatrixSlice(self, expr: Any) -> str:
        return r"%s_{:,%s}" % (self._print(expr.parent), self._print(expr.colslice[0]))

    def _print_SquaredNorm(self, expr: Any) -> str:
        return r"\left\lVert %s \right\rVert_{F}^{2}" % self._print(expr.matrix)

    def _print_Sum(self, expr: sp.Sum) -> str:
        return str(super()._print_Sum(_layers_shown(expr)))

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
    """A user symbol: a Greek letter, a letter with a subscript, or escaped upright text; a
    trailing apostrophe is a prime (`f'` is f′, the derivative's name in a rule's formula)."""
    if name.endswith("'") and _PLAIN_NAME.match(name[:-1]):
        return _latex_plain_symbol(name[:-1]) + "^{\\prime}"
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
        if _is_depth(expr):
            return notation.current().depth
        return _symbol_text(expr.name)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return "1[%s > 0]" % self._print(expr.args[0])

    def _print_Function(self, expr: sp.Function) -> str:
        record = functions.of(expr)
        name = record.text_in(notation.current()) if record is not None else expr.func.__name__
        if name == "J":
            name = notation.current().cost  # the cost as a function, J(y, ŷ)
        return "%s(%s)" % (name, self.stringify(expr.args, ", "))

    # Whole layers (the matrix form): W⁽²⁾, (W⁽²⁾)ᵀ, ⊙, σ'(z⁽¹⁾), ‖W‖²_F.

    def _print_Size(self, expr: Any) -> str:
        shown = _shown_layer(expr.layer)
        return "n" + shown.translate(naming.SUBSCRIPT_DIGITS).replace("l", "ₗ")

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        name = naming.matrix_text_name(expr.name)
        return name if name is not None else expr.name

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        return inner + "ᵀ" if _is_plain_matrix_name(expr.arg, inner, "⁽") else f"({inner})ᵀ"

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return " ⊙ ".join(_factor(self, arg, "(%s)") for arg in expr.args)

    def _print_MatMul(self, expr: Any) -> str:
        """`−y`, not `−1·y`: a negative number leading a product is its sign."""
        args, sign = list(expr.args), ""
        if args and args[0].is_Number and args[0] < 0:
            sign, magnitude = "-", -args[0]
            args = args[1:] if magnitude == 1 else [magnitude, *args[1:]]
        return sign + "*".join(_factor(self, arg, "(%s)", scalars=True) for arg in args)

    def _print_Applied(self, expr: Any) -> str:
        prime = "'" if expr.order else ""
        return f"{expr.record.text}{prime}({self._print(expr.arg)})"

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return "1ᵀ" if expr.rows == 1 and expr.cols != 1 else "1"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return f"diag({self._print(expr.args[0])})"

    def _print_MatrixSlice(self, expr: Any) -> str:
        return f"{self._print(expr.parent)}[:, {self._print(expr.colslice[0])}]"

    def _print_SquaredNorm(self, expr: Any) -> str:
        return f"‖{self._print(expr.matrix)}‖²_F"

    def _print_UnevaluatedExpr(self, expr: Any) -> str:
        """A coefficient kept whole: `(1/m)·Σ …`, not `1/m·Σ …`."""
        inner = self._print(expr.args[0])
        return f"({inner})" if isinstance(expr.args[0], sp.Pow) else inner

    def _print_Sum(self, expr: sp.Sum) -> str:
        (index, low, high), term = _layers_shown(expr).limits[0], expr.function
        bounds = f"{self._print(index)}={self._print(low)}…{self._print(high)}"
        return f"Σ({bounds}) {self.parenthesize(term, PRECEDENCE['Mul'])}"


class PlainPrinter(StrPrinter):
    """SymPy's `str` syntax with the README's plain names, terms in the order they were built.

    What `--format json` prints: `2*(yhat - y)*yhat*(1 - yhat)`, `delta2*a1.T`; an activation
    applied to a whole layer is `sigmoid(z1)`, its derivative `sigmoid'(z1)` (the prime, as the
    checker reads it).
    """

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"order": "none", **(settings or {})})

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return f"OneMatrix({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_MatrixSlice(self, expr: Any) -> str:
        return f"{self._print(expr.parent)}[:, {self._print(expr.colslice[0])}]"


class AnswerPrinter(PlainPrinter):
    """The plain syntax with the names of the notation in force, as `symderiv check` reads them
    under that notation (`delta3*a2` under Nielsen's numbering is `delta2*a1` under the default)."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return naming.shown_name(expr.name)


def _layers_shown(expr: sp.Sum) -> sp.Sum:
    """A sum over the layers (index `l`) from the first layer's number in the notation: the
    weights start at layer 2 when the inputs are layer 1."""
    (index, low, high), offset = expr.limits[0], notation.current().input_layer
    if index.name != "l" or not index.is_integer or not low.is_Integer or not offset:
        return expr
    return sp.Sum(expr.function, (index, low + offset, high))


def _is_depth(symbol: sp.Symbol) -> bool:
    """The number of layers `L` of the matrix form (an integer symbol: a user's `L` is not)."""
    return symbol.name == "L" and bool(symbol.is_integer)


def _shown_layer(layer: str) -> str:
    """A layer number as the notation writes it (inputs are layer 0 or 1); `l` stays `l`."""
    return notation.current().shown_layer(int(layer)) if layer.isdigit() else layer


def _is_plain_matrix_name(arg: Any, printed: str, superscript: str) -> bool:
    """A vector or matrix whose name carries no superscript: `x` transposes as `xᵀ`."""
    return isinstance(arg, sp.MatrixSymbol) and superscript not in printed


def _factor(printer: Any, arg: Any, parens: str, scalars: bool = False) -> str:
    """A factor of a matrix product: products and sums inside it are parenthesized (so is a
    scalar coefficient that is not a plain symbol, when `scalars`)."""
    printed = printer._print(arg)
    compound = (sp.MatMul, sp.MatAdd, sp.HadamardProduct)
    if isinstance(arg, compound) or (scalars and not arg.is_Matrix and not arg.is_Atom):
        return parens % printed
    return printed


_SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)}
_SUPERSCRIPTS = {"⁽": "(", "⁾": ")", "¹": "1", "²": "2", "³": "3"} | {
    chr(0x2070 + d): str(d) for d in (0, 4, 5, 6, 7, 8, 9)
}


_BRACKET_MARK = re.compile(r"\^\[([0-9l]+)\]")


def index_runs(text: str) -> list[tuple[str, str]]:
    """Readable text split into runs of ("", plain), ("sub", digits) and ("sup", digits), for
    pictures that set indices themselves (`a₁⁽²⁾` → a, sub 1, sup (2); `a^[2]` → a, sup [2])."""
    runs: list[tuple[str, str]] = []
    pieces: list[tuple[str, str]] = []
    last = 0
    for mark in _BRACKET_MARK.finditer(text):
        pieces.extend(_char_runs(text[last : mark.start()]))
        pieces.append(("sup", f"[{mark[1]}]"))
        last = mark.end()
    pieces.extend(_char_runs(text[last:]))
    for kind, shown in pieces:
        if runs and runs[-1][0] == kind:
            runs[-1] = (kind, runs[-1][1] + shown)
        else:
            runs.append((kind, shown))
    return runs


def _char_runs(text: str) -> list[tuple[str, str]]:
    return [_char_run(char) for char in text]


def _char_run(char: str) -> tuple[str, str]:
    if char in _SUBSCRIPTS:
        return "sub", _SUBSCRIPTS[char]
    if char in _SUPERSCRIPTS:
        return "sup", _SUPERSCRIPTS[char]
    return "", char


def to_latex(expr: Any) -> str:
    """LaTeX for an expression (or number) in the handout's notation."""
    return HandoutLatexPrinter().doprint(_as_expr(expr))


def to_plain(expr: Any) -> str:
    """SymPy's `str` syntax with the plain names (`delta2_1*a1_3`), for machine-readable output."""
    return PlainPrinter().doprint(_as_expr(expr))


def to_answer(expr: Any) -> str:
    """The plain syntax in the notation's names: what a student types for `symderiv check`."""
    return AnswerPrinter().doprint(_as_expr(expr))


def to_text(expr: Any) -> str:
    """Readable one-line Unicode: `2·(ŷ − y)·σ(z₂)` rather than `2*(yhat - y)*sigmoid(z2)`."""
    text = _flat_text(expr)
    if text is None:
        text = HandoutTextPrinter().doprint(_as_expr(expr))
    return text.replace("**", "^").replace("*", "·").replace(" - ", " − ")


def _symbol_text(name: str) -> str:
    return _symbol_text_in(name, notation.current())


@functools.lru_cache(maxsize=1 << 16)
def _symbol_text_in(name: str, written: notation.Notation) -> str:
    """Cached per notation: `written` is the key only (`text_name` reads the one in force)."""
    text = naming.text_name(name)
    return text if text is not None else name


def _product_text(expr: Any) -> str | None:
    """A symbol, or a product of plain symbols, as the text printer writes it; else None."""
    if type(expr) is sp.Symbol:
        return _symbol_text(expr.name)
    if type(expr) is sp.Mul and all(type(a) is sp.Symbol for a in expr.args):
        return "*".join(_symbol_text(a.name) for a in expr.args)
    return None


def _flat_text(expr: Any) -> str | None:
    """What the text printer writes for a symbol, a product of symbols or a sum of those, made
    directly: a wide network has tens of thousands of them (`δ⁽¹⁾₁·x₁`, `w·x + … + b`), and
    the general printer's precedence checks dominate the time. None for anything else."""
    if type(expr) is sp.Add:
        terms = [_product_text(term) for term in expr.args]
        return None if None in terms else " + ".join(terms)  # type: ignore[arg-type]
    return _product_text(expr)


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
