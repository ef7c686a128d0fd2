r"""Reading answers written in LaTeX, by rewriting them into the plain grammar of the parser.

SymPy's LaTeX parsers are unfit for user text (one silently drops junk and turns a layer
superscript into a power, the other cannot read `\hat{y}`). This module is a small translator
instead: a tokenizer, a whitelist of math commands, and a recursive reader that writes the
equivalent plain text (`\frac{a}{b}` → `((a)/(b))`, `w^{(2)}_{11}` → `w2_1_1`). The plain text
then goes through `parse_expression`, so every bound of the safe parser applies, and an error
found there is reported at the matching place in the LaTeX.

Understood:

- `\frac{..}{..}` (also `\dfrac`, `\tfrac`, `\frac12`), `\sqrt{..}`, `\sqrt[n]{..}`, braces as
  grouping, `( )` and `[ ]`, `\left( \right)`, `\left[ \right]`, and sized delimiters
  (`\big( \big)`, `\Big[ \Big]`, `\bigl( \bigr)`, `\Bigl`, ...: the size is dropped), `^{..}`
  or `^2`.
- `\cdot`, `\times`, `\ast` (products), `\div`; spaces `\, \; \: \> \! \ \quad \qquad ~`,
  which never change the meaning: `\hat{y}\,(1-\hat{y})` is a product like `\hat{y}(1-\hat{y})`.
- Juxtaposition multiplies, as on the page, unless the name is a known function: a name
  before `(`, `[`, `{` or a bracketed form (`\hat{y}(1-\hat{y})`, `a_1\left(..\right)`), and a
  number after a name or a bracket (`(1-y)2`). Adjacent letters form one name, as in the plain
  grammar (`yhat`, `a1`); the checker reads a run of its one-letter names as their product.
- Functions: every function of `symderiv.core.functions`, by its LaTeX command (`\sigma`,
  `\tanh`, `\ln`, `\log` natural), its name in `\operatorname{..}` (`\operatorname{ReLU}`), or
  typed in letters (`sigmoid(z)`, `σ(z)`); a prime for its derivative (`\sigma'(z)`,
  `\sigma^{\prime}(z)`, `\sigma^\prime(z)`, `\sigma^{'}(z)`, `σ′(z)`); `\ln \hat{y}` (one
  variable without parentheses), `\sigma^2(z)` (a power of the value).
- Names: `x`, `y`, `\hat{y}`, `\delta`, and subscripts and layer superscripts as the handouts
  write them: `a_1`, `a_{1}`, `w_2`, `\delta_2` (layer only), `w^{(2)}_{11}` or `w^{(2)}_{1,1}`
  (layer and node indices), `\hat{y}_1`, `x_{2}`; layers also in brackets (`\delta^{[2]}`,
  `a^{[1]}`), and `W` for `w` (`W^{[2]}_{12}`: row = receiving node, column = input).
- `e^{..}`, `\mathrm{e}`, `\pi`, `\lambda` (the name `lambda`: the weight decay's strength);
  derivatives of the cost, `\frac{\partial J}{\partial \hat{y}}` or `\frac{dJ}{dw_2}`, each
  read as one name (`dJ_dyhat`, `dJ_dw2`) whose meaning the checker decides
  (`symderiv.check.names`).
- Surrounding `$..$`, `$$..$$`, `\(..\)` and `\[..\]` are ignored.

Everything else is refused with its position: unknown commands (with a did-you-mean), and by
name the TeX primitives that read or write files or define macros (`\input`, `\def`,
`\write18`, `\csname`, ...), unbalanced braces, `%`, `&`, `#`, `=`, and input longer than
``MAX_LATEX_LENGTH`` characters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import sympy as sp

from symderiv.core import functions, naming, notation
from symderiv.parse.plain import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_INPUT_LENGTH,
    ParseError,
    parse_expression,
)

MAX_LATEX_LENGTH = 4_000
COST_DERIVATIVE = "dJ_d"  # `\frac{\partial J}{\partial w_2}` is read as the name `dJ_dw2`

# \command -> plain function name: every record's LaTeX name that is one command (\sigma, \ln)
_FUNCTION_COMMANDS = {
    latex[1:]: latex[1:] if latex[1:] in (record.name, *record.spellings) else record.name
    for record in functions.FUNCTIONS
    if record.typed
    for latex in (record.latex, *record.latex_spellings)
    if re.fullmatch(r"\\[A-Za-z]+", latex)
}
# words inside \operatorname{..}, \mathrm{..}, \text{..} -> plain function name
_NAMED_FUNCTIONS = {
    word.lower(): record.name for word, record in functions.typed_names() if word.isascii()
}
_TYPED_NAMES = ", ".join(
    sorted({r.text for r in functions.FUNCTIONS if r.typed and r.text.isascii()})
)
_NAMING_COMMANDS = frozenset({"operatorname", "mathrm", "text", "textrm", "mathit", "rm"})
_PRODUCTS = {"cdot": "*", "times": "*", "ast": "*", "div": "/"}
# spacing commands: read as a space, so they never change what is multiplied by what; `\\`
# (a line break inside an aligned environment) too
_SPACES = frozenset(
    {",", ";", ":", ">", "!", " ", "quad", "qquad", "thinspace", "medspace", "thickspace"}
    | {"enspace", "negthinspace", "\\"}
)
_ENVIRONMENT = re.compile(
    r"\s*\\begin\{(?P<open>aligned|align\*?|split|gathered|equation\*?)\}"
    r"(?P<body>.*?)\\end\{(?P<close>[a-z]+\*?)\}\s*",
    re.DOTALL,
)
# sizes of a delimiter (\big( ... \big)): dropped, the delimiter is read as if written alone
_SIZES = frozenset(
    {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl"}
    | {"Biggr", "bigm", "Bigm"}
)
_SIZED = "()[]"
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac"})
_HATS = frozenset({"hat", "widehat"})
_OPENERS = {"(": ")", "[": "]"}
_LEFT_DELIMITERS = {"(": ")", "[": "]"}
# TeX primitives and macros that read files, write files or define code: named in the error.
_DANGEROUS = frozenset(
    {
        "input", "include", "InputIfFileExists", "openin", "openout", "read", "readline",
        "write", "immediate", "special", "directlua", "latelua", "def", "edef", "gdef",
        "xdef", "let", "futurelet", "newcommand", "renewcommand", "providecommand",
        "DeclareRobustCommand", "csname", "endcsname", "expandafter", "catcode", "usepackage",
        "documentclass", "loop", "repeat", "jobname", "shipout", "includegraphics", "href",
        "url", "newread", "newwrite", "scantokens", "detokenize", "begin", "end",
    }
)  # fmt: skip
_KNOWN = sorted(
    set(_FUNCTION_COMMANDS)
    | _NAMING_COMMANDS
    | set(_PRODUCTS)
    | _FRACTIONS
    | _HATS
    | _SIZES
    | {"left", "right", "sqrt", "delta", "pi", "lambda", "partial", "prime", "quad", "qquad"}
)
_LAYERED = frozenset(naming.LAYERED)
_COSTS = frozenset(notation.COST_LETTERS)
#: Commands a student writes that an answer cannot hold, with what to write instead.
_WRITE_OUT = {
    "sum": r"\sum is not understood: write the sum out term by term, as "
    r"\delta^{(2)}_1 w^{(2)}_{11} + \delta^{(2)}_2 w^{(2)}_{21}",
    "prod": r"\prod is not understood: write the product out factor by factor",
    "max": r"\max is not understood: write \operatorname{ReLU}(z) for max(0, z), and "
    r"\operatorname{ReLU}'(z) for its slope",
}
#: `dz^{[2]}`, `dW^{[2]}_{12}`: a delta or gradient named with a d (Ng's notation); the name
#: keeps its d (`dz2`), and what it means is for the reader of the names to say.
_D_NAMED = {"d" + stem: stem for stem in ("w", "b", "z", "a")} | {"dW": "w", "dZ": "z", "dA": "a"}
# commands whose translation may start with "(": a name before them multiplies explicitly
_BRACKETING = frozenset({"left", "sqrt", *_FRACTIONS, *_FUNCTION_COMMANDS, *_NAMING_COMMANDS})
_ALLOWED_PUNCTUATION = frozenset("+-*/,")
_PRIMES = "'\u2032"  # ' and ′
_DIGITS = frozenset("0123456789")
_SUBSCRIPT_DIGITS = frozenset("₀₁₂₃₄₅₆₇₈₉")


def looks_like_latex(text: str) -> bool:
    """True when `text` is evidently LaTeX: a backslash, a brace, or `$` delimiters."""
    return "\\" in text or "{" in text or "}" in text or text.strip().startswith("$")


@dataclass(frozen=True)
class Translation:
    """The plain-grammar text for a LaTeX answer, and where each of its characters came from.

    `positions[i]` is the index in the LaTeX of the character that produced `plain[i]`, so an
    error the plain parser finds can be shown under the LaTeX the user wrote.
    """

    latex: str
    plain: str
    positions: tuple[int, ...]

    def source_position(self, plain_position: int) -> int:
        """The LaTeX index for an index into `plain` (the end maps to the end)."""
        if 0 <= plain_position < len(self.positions):
            return self.positions[plain_position]
        return len(self.latex)


def translate(latex: str) -> Translation:
    """Rewrite LaTeX math into the plain grammar; raises ParseError at the LaTeX position."""
    if not isinstance(latex, str):
        raise TypeError("translate takes text")
    if len(latex) > MAX_LATEX_LENGTH:
        raise ParseError(
            latex, MAX_LATEX_LENGTH, f"LaTeX longer than {MAX_LATEX_LENGTH} characters"
        )
    start, end = strip_delimiters(latex)
    tokens = _tokenize(latex, start, end)
    matches = _match_braces(latex, tokens)
    reader = _Reader(latex, tokens, matches)
    piece = reader.sequence(len(tokens), None)
    plain = "".join(text for text, _ in piece)
    positions = tuple(pos for text, pos in piece for _ in text)
    if len(plain) > MAX_INPUT_LENGTH:
        raise ParseError(
            latex, positions[MAX_INPUT_LENGTH], "the expression is too long once translated"
        )
    return Translation(latex, plain, positions)


def parse_latex(latex: str) -> sp.Expr:
    """The SymPy expression a LaTeX answer denotes, read through the safe parser."""
    translation = translate(latex)
    return parse_translation(translation)


def parse_translation(translation: Translation) -> sp.Expr:
    """Parse the plain text of a translation, reporting errors at their LaTeX position."""
    try:
        return parse_expression(translation.plain, latex=True)
    except ParseError as error:
        raise ParseError(
            translation.latex, translation.source_position(error.position), error.reason
        ) from None


# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "cmd" (without the backslash), "char" or "space"
    text: str
    start: int
    end: int


def strip_delimiters(text: str) -> tuple[int, int]:
    """Bounds of `text` inside `$..$`, `$$..$$`, `\\(..\\)` or `\\[..\\]`, if it is wrapped."""
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if (
            end - start >= len(opener) + len(closer)
            and text.startswith(opener, start)
            and text.endswith(closer, 0, end)
        ):
            start, end = start + len(opener), end - len(closer)
            break
    # An environment copied from notes around the whole answer: \begin{aligned} … \end{aligned}
    match = _ENVIRONMENT.fullmatch(text, start, end)
    if match is not None and match["open"] == match["close"]:
        return match.start("body"), match.end("body")
    return start, end


def _tokenize(text: str, start: int, end: int) -> list[_Token]:
    tokens: list[_Token] = []
    i = start
    while i < end:
        char = text[i]
        if char == "\\":
            j = i + 1
            if j >= end:
                raise ParseError(text, i, "a backslash must start a command")
            if text[j].isascii() and text[j].isalpha():
                while j < end and text[j].isascii() and text[j].isalpha():
                    j += 1
            else:
                j += 1
            name = text[i + 1 : j]
            if name in _SPACES:
                tokens.append(_Token("space", " ", i, j))
            elif name in _SIZES:
                _check_sized(text, i, j, end)  # \big( is (: nothing of its own to read
            else:
                tokens.append(_Token("cmd", name, i, j))
            i = j
        elif char == "~":
            tokens.append(_Token("space", " ", i, i + 1))
            i += 1
        elif char.isspace():
            j = i
            while j < end and text[j].isspace():
                j += 1
            tokens.append(_Token("space", " ", i, j))
            i = j
        else:
            tokens.append(_Token("char", char, i, i + 1))
            i += 1
    return _without_remarks(text, tokens)


#: Commands whose words may be a remark beside the mathematics: `\text{(chain rule)}`.
_PROSE = frozenset({"text", "textrm", "mbox"})


def _without_remarks(text: str, tokens: list[_Token]) -> list[_Token]:
    """The tokens with each remark in words (`\text{(by BP4)}`, `\text{ since }`) made a space:
    words with spaces or punctuation are prose, not a name (`\text{sigmoid}` stays a name)."""
    kept: list[_Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        close = _remark_end(text, tokens, index) if token.kind == "cmd" else None
        if close is None:
            kept.append(token)
            index += 1
            continue
        kept.append(_Token("space", " ", token.start, tokens[close].end))
        index = close + 1
    return kept


def _remark_end(text: str, tokens: list[_Token], index: int) -> int | None:
    """Where the remark `tokens[index]` starts ends (its closing brace), or None if it is none."""
    if tokens[index].text not in _PROSE:
        return None
    brace = index + 1
    while brace < len(tokens) and tokens[brace].kind == "space":
        brace += 1
    if brace >= len(tokens) or tokens[brace].text != "{":
        return None
    depth = 0
    for close in range(brace, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[close].text, 0) if tokens[close].kind == "char" else 0
        if depth == 0:
            words = text[tokens[brace].end : tokens[close].start]
            prose = any(not (c.isascii() and c.isalnum()) for c in words.strip()) or (
                " " in words.strip()
            )
            if any(c in words for c in "\\{}$"):
                return None  # commands inside are read (and refused) as everywhere else
            return close if prose or words != words.strip() else None
    return None


def _check_sized(text: str, start: int, end: int, stop: int) -> None:
    """A size command (`\\big`, `\\Bigl`, ...) must be followed by a parenthesis or bracket."""
    following = end
    while following < stop and text[following].isspace():
        following += 1
    if following >= stop or text[following] not in _SIZED:
        name = text[start + 1 : end]
        raise ParseError(text, start, rf"\{name} must be followed by a parenthesis or bracket")


def _match_braces(text: str, tokens: list[_Token]) -> dict[int, int]:
    """Index of the `}` closing each `{` (by token index); unbalanced braces are errors."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind != "char":
            continue
        if token.text == "{":
            stack.append(index)
            if len(stack) > MAX_DEPTH:
                raise ParseError(text, token.start, f"braces nested more than {MAX_DEPTH} deep")
        elif token.text == "}":
            if not stack:
                raise ParseError(text, token.start, "unbalanced '}': no '{' opens it")
            matches[stack.pop()] = index
    if stack:
        raise ParseError(text, tokens[stack[-1]].start, "unbalanced '{': no '}' closes it")
    return matches


# ---------------------------------------------------------------------------- reader

Piece = list[tuple[str, int]]  # fragments of plain text, each with its LaTeX position


def _text(piece: Piece) -> str:
    return "".join(text for text, _ in piece)


def _starts_number(piece: Piece) -> bool:
    text = _text(piece).lstrip()
    return bool(text) and (text[0] in _DIGITS or text[0] == ".")


def _ends_factor(piece: Piece) -> bool:
    """Whether `piece` ends with a name or a bracket, which a number after it multiplies.

    After a number it does not: `2 3` is 23 on the page, and the plain parser refuses it.
    """
    last = ""
    for text, _ in reversed(piece):
        if text.strip():
            last = text.strip().split(" ")[-1]
            break
    return bool(last) and (last[-1] == ")" or (last[-1].isalnum() and not _is_number(last)))


def _is_number(text: str) -> bool:
    return all(c in _DIGITS or c == "." for c in text)


def _spaced(text: str, position: int) -> Piece:
    """A name or constant, with spaces so that it never glues onto its neighbours."""
    return [(f" {text} ", position)]


class _Reader:
    """Recursive descent over the tokens, writing plain text pieces.

    Every method starts at `self.i` and leaves `self.i` after what it read; `stop` is the token
    index it must not pass (the `}` of the group being read, or the end).
    """

    def __init__(self, text: str, tokens: list[_Token], matches: dict[int, int]) -> None:
        self.text = text
        self.tokens = tokens
        self.matches = matches
        self.i = 0
        self.depth = 0

    # -- helpers

    def error(self, position: int, reason: str) -> ParseError:
        return ParseError(self.text, position, reason)

    def next_index(self, stop: int, start: int | None = None) -> int:
        """Index of the first token that is not a space, from `start` (or `self.i`)."""
        j = self.i if start is None else start
        while j < stop and self.tokens[j].kind == "space":
            j += 1
        return j

    def peek(self, stop: int) -> _Token | None:
        j = self.next_index(stop)
        return self.tokens[j] if j < stop else None

    def skip_spaces(self, stop: int) -> None:
        self.i = self.next_index(stop)

    def position(self, stop: int) -> int:
        """Where the next token starts, or where the stretch being read ends."""
        j = self.next_index(stop)
        if j < len(self.tokens):
            return self.tokens[j].start
        return self.tokens[-1].end if self.tokens else len(self.text)

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(position, f"expression nested more than {MAX_DEPTH} levels deep")

    def leave(self) -> None:
        self.depth -= 1

    @staticmethod
    def is_char(token: _Token | None, chars: str) -> bool:
        return token is not None and token.kind == "char" and token.text in chars

    @staticmethod
    def is_cmd(token: _Token | None, *names: str) -> bool:
        return token is not None and token.kind == "cmd" and token.text in names

    @staticmethod
    def is_letter(token: _Token | None) -> bool:
        return (
            token is not None
            and token.kind == "char"
            and token.text.isascii()
            and token.text.isalpha()
        )

    def braced_tokens(self, index: int) -> list[_Token]:
        """The tokens between the `{` at `index` and its `}`, spaces left out."""
        return [t for t in self.tokens[index + 1 : self.matches[index]] if t.kind != "space"]

    # -- sequences and groups

    def sequence(self, stop: int, closer: str | None, opened: _Token | None = None) -> Piece:
        """Items up to `stop`, or up to the `)`, `]` or `\right` named by `closer`.

        `opened` is the token that `closer` closes, where a missing closer is reported.
        """
        piece: Piece = []
        while self.i < stop:
            token = self.tokens[self.i]
            if token.kind == "space":
                piece.append((" ", token.start))
                self.i += 1
            elif token.kind == "char" and token.text in ")]":
                if closer == token.text:
                    return piece
                raise self.error(token.start, f"unbalanced {token.text!r}: nothing opens it")
            elif self.is_cmd(token, "right"):
                if closer == "right":
                    return piece
                raise self.error(token.start, r"\right without a matching \left")
            else:
                item = self.item(stop)
                if _starts_number(item) and _ends_factor(piece):
                    piece.append(("*", item[0][1]))  # juxtaposition multiplies: (1-y)2, \hat{y}2
                piece.extend(item)
        if closer is not None:
            expected = r"\right" if closer == "right" else repr(closer)
            if opened is None:  # pragma: no cover - every caller names its opener
                raise self.error(self.position(stop), f"expected {expected}")
            shown = r"\left" if opened.kind == "cmd" else repr(opened.text)
            raise self.error(opened.start, f"unbalanced {shown}: no {expected} closes it")
        return piece

    def group(self) -> Piece:
        """The content of the `{...}` at `self.i` (not parenthesised)."""
        open_index = self.i
        close_index = self.matches[open_index]
        self.enter(self.tokens[open_index].start)
        self.i = open_index + 1
        inner = self.sequence(close_index, None)
        self.leave()
        self.i = close_index + 1
        return inner

    def bracketed(self, stop: int) -> Piece:
        """The `( ... )` or `[ ... ]` at `self.i`, written with parentheses."""
        token = self.tokens[self.i]
        self.enter(token.start)
        self.i += 1
        inner = self.sequence(stop, _OPENERS[token.text], token)
        self.leave()
        closing = self.tokens[self.i]
        self.i += 1
        return [("(", token.start), *inner, (")", closing.start)]

    def left_right(self, stop: int) -> Piece:
        r"""The `\left( ... \right)` at `self.i`."""
        left = self.tokens[self.i]
        self.i += 1
        delimiter = self.peek(stop)
        if delimiter is None or not self.is_char(delimiter, "(["):
            raise self.error(self.position(stop), r"\left must be followed by ( or [")
        self.i = self.next_index(stop) + 1
        self.enter(left.start)
        inner = self.sequence(stop, "right", left)
        self.leave()
        self.i += 1  # \right
        closing = self.peek(stop)
        expected = _LEFT_DELIMITERS[delimiter.text]
        if closing is None or not self.is_char(closing, expected):
            raise self.error(
                self.position(stop),
                rf"\right must be followed by {expected} to match \left{delimiter.text}",
            )
        self.i = self.next_index(stop) + 1
        return [("(", left.start), *inner, (")", closing.start)]

    def argument(self, stop: int, what: str) -> Piece:
        r"""A command's argument: `{...}`, or one digit, letter or `\pi` (as TeX reads `x^2`)."""
        token = self.peek(stop)
        if token is None:
            raise self.error(self.position(stop), f"{what} needs an argument")
        self.skip_spaces(stop)
        if self.is_char(token, "{"):
            if self.matches[self.i] == self.next_index(stop, self.i + 1):
                raise self.error(token.start, f"{what} has an empty argument")
            return self.group()
        self.i += 1
        if self.is_char(token, "0123456789"):
            return [(token.text, token.start)]
        if self.is_letter(token):
            return _spaced(token.text, token.start)
        if self.is_cmd(token, "pi", "lambda"):
            return _spaced(token.text, token.start)
        raise self.error(token.start, f"put the argument of {what} in braces {{...}}")

    # -- items

    def item(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        if token.kind == "cmd":
            return self.command(stop)
        char = token.text
        if char == "{":
            inner = self.group()
            return [("(", token.start), *inner, (")", self.tokens[self.i - 1].start)]
        if char in _OPENERS:
            return self.bracketed(stop)
        if self.is_letter(token):
            return self.name(stop)
        if char in _DIGITS or char == ".":
            return self.number(stop)
        if char == "^":
            self.i += 1
            exponent = self.argument(stop, "^")
            return [("^(", token.start), *exponent, (")", token.start)]
        if char in _ALLOWED_PUNCTUATION:
            self.i += 1
            return [(f" {char} ", token.start)]
        if char in FUNCTIONS:
            self.i += 1  # σ: a function, whose prime and argument are read here
            return self.function(stop, char, token)
        if not char.isascii():
            self.i += 1  # ŷ, ·, −, subscript digits: the plain parser reads them
            return [(char, token.start)]
        raise self.error(token.start, _CHARACTER_ERRORS.get(char, f"unexpected {char!r}"))

    def number(self, stop: int) -> Piece:
        start = self.i
        while self.i < stop and self.is_char(self.tokens[self.i], "0123456789."):
            self.i += 1
        text = "".join(t.text for t in self.tokens[start : self.i])
        return [(text, self.tokens[start].start)]

    def command(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        name = token.text
        if name in _PRODUCTS:
            self.i += 1
            return [(f" {_PRODUCTS[name]} ", token.start)]
        if name == "left":
            return self.left_right(stop)
        if name in _FRACTIONS:
            return self.fraction(stop)
        if name == "sqrt":
            return self.root(stop)
        if name in _FUNCTION_COMMANDS:
            self.i += 1
            return self.function(stop, _FUNCTION_COMMANDS[name], token)
        if name in _NAMING_COMMANDS:
            return self.named(stop)
        if name in _HATS or name == "delta":
            return self.name(stop)
        if name in ("pi", "lambda"):
            self.i += 1
            return self.product_before(stop, _spaced(name, token.start))
        if name == "partial":
            raise self.error(
                token.start, r"\partial is understood only in \frac{\partial J}{\partial \hat{y}}"
            )
        if name in _DANGEROUS or name.startswith("write"):
            raise self.error(
                token.start, rf"\{name} is not allowed: only math commands are understood"
            )
        if len(name) == 1 and not name.isalpha():
            raise self.error(token.start, rf"'\{name}' is not understood in an answer")
        if name in _WRITE_OUT:
            raise self.error(token.start, _WRITE_OUT[name])
        close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.6)
        hint = rf" Did you mean \{close[0]}?" if close else ""
        raise self.error(token.start, rf"unknown LaTeX command \{name}.{hint}")

    def fraction(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        self.i += 1
        derivative = self.partial_derivative(stop)
        if derivative is not None:
            return self.product_before(stop, _spaced(derivative, token.start))
        self.enter(token.start)
        numerator = self.argument(stop, rf"\{token.text}")
        denominator = self.argument(stop, rf"\{token.text}")
        self.leave()
        at = token.start
        return [("((", at), *numerator, (")/(", at), *denominator, ("))", at)]

    def partial_derivative(self, stop: int) -> str | None:
        r"""After `\frac`: `{\partial J}{\partial w_2}` (or `{dJ}{dw_2}`) as the name `dJ_dw2`.

        `dJ_dyhat` is the abstract cost's `∂J/∂ŷ`; what the others mean (the left side of an
        answer written as an equation, `∂J/∂z = δ`) is for the reader of the names to say.
        """
        first = self.next_index(stop)
        if first >= stop or not self.is_char(self.tokens[first], "{"):
            return None
        numerator = self.braced_tokens(first)
        upright = self.upright_d(numerator)
        if upright and len(numerator) == upright + 1 and numerator[upright].text in _COSTS:
            pass  # \frac{\mathrm{d}J}{\mathrm{d}w_1}
        elif len(numerator) == 2 and numerator[0].text == "d" and numerator[1].text in _COSTS:
            pass  # \frac{dJ}{dw_2}; other fractions whose top starts with d are fractions
        elif not numerator or not self.is_cmd(numerator[0], "partial"):
            return None
        elif len(numerator) != 2 or numerator[1].text not in _COSTS:
            raise self.error(
                numerator[0].start,
                r"of the derivatives only the cost's (\frac{\partial J}{\partial ...}) are "
                r"understood: write the chain rule's other factors out, as \sigma'(z_2) for "
                r"\frac{\partial \hat{y}}{\partial z_2} and a_1 for "
                r"\frac{\partial z_2}{\partial w_2}",
            )
        second = self.next_index(stop, self.matches[first] + 1)
        if second >= stop or not self.is_char(self.tokens[second], "{"):
            raise self.error(
                self.tokens[self.matches[first]].end, r"\frac needs a denominator in braces"
            )
        close = self.matches[second]
        denominator = self.braced_tokens(second)
        marker = self.differential(denominator)
        if marker == 0:
            raise self.error(
                self.tokens[second].start, r"expected \partial and a name in the denominator"
            )
        self.i = self.tokens.index(denominator[marker - 1], second) + 1
        self.skip_spaces(close)
        starts_name = self.i < close and (
            self.is_letter(self.tokens[self.i]) or self.is_cmd(self.tokens[self.i], *_HATS, "delta")
        )
        piece = self.name(close, product_follows=False) if starts_name else []
        self.skip_spaces(close)
        name = _text(piece).strip()
        if self.i != close or not name or " " in name:
            raise self.error(
                denominator[0].start, r"write one name after \partial, as \partial w_2"
            )
        self.i = close + 1
        return COST_DERIVATIVE + name

    def upright_d(self, tokens: list[_Token]) -> int:
        r"""How many tokens an upright d takes at the start of `tokens`: `\mathrm{d}` (4), or 0."""
        if (
            len(tokens) >= 4
            and self.is_cmd(tokens[0], "mathrm", "operatorname", "text", "mathit")
            and self.is_char(tokens[1], "{")
            and tokens[2].text == "d"
            and self.is_char(tokens[3], "}")
        ):
            return 4
        return 0

    def differential(self, tokens: list[_Token]) -> int:
        """How many tokens `∂` or `d` takes at the start of `tokens` (0: neither)."""
        if tokens and self.is_cmd(tokens[0], "partial"):
            return 1
        upright = self.upright_d(tokens)
        if upright and len(tokens) > upright:
            return upright
        if (
            len(tokens) > 1
            and self.is_char(tokens[0], "d")
            and (self.is_letter(tokens[1]) or tokens[1].kind == "cmd")
        ):
            return 1
        return 0

    def root(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        self.i += 1
        index: Piece | None = None
        bracket = self.peek(stop)
        if bracket is not None and self.is_char(bracket, "["):
            self.i = self.next_index(stop) + 1
            self.enter(token.start)
            index = self.sequence(stop, "]", bracket)
            self.leave()
            self.i += 1
        radicand = self.argument(stop, r"\sqrt")
        at = token.start
        if index is None:
            return [("sqrt(", at), *radicand, (")", at)]
        return [("((", at), *radicand, (")^(1/(", at), *index, (")))", at)]

    def named(self, stop: int) -> Piece:
        r"""`\operatorname{ReLU}`, `\mathrm{e}`, `\text{sigmoid}`: a function or a constant."""
        token = self.tokens[self.i]
        self.i += 1
        brace = self.next_index(stop)
        if brace >= stop or not self.is_char(self.tokens[brace], "{"):
            raise self.error(token.end, rf"\{token.text} needs a name in braces")
        inside = self.braced_tokens(brace)
        if not inside or not all(self.is_letter(t) for t in inside):
            raise self.error(self.tokens[brace].start, rf"\{token.text}{{...}} must hold a word")
        word = "".join(t.text for t in inside)
        self.i = self.matches[brace] + 1
        if word.lower() in _NAMED_FUNCTIONS:
            return self.function(stop, _NAMED_FUNCTIONS[word.lower()], token)
        if word == "e":
            return self.product_before(stop, _spaced("e", token.start))
        raise self.error(
            inside[0].start,
            rf"unknown function {word!r} in \{token.text}: use one of "
            + ", ".join(
                sorted({r.text for r in functions.FUNCTIONS if r.typed and r.text.isascii()})
            ),
        )

    def function(self, stop: int, plain: str, token: _Token) -> Piece:
        r"""After a function's name: a prime (its derivative) or a power, then its argument."""
        at = token.start
        prime = False
        power: Piece | None = None
        following = self.peek(stop)
        if self.is_char(following, _PRIMES):
            prime = True
            self.i = self.next_index(stop) + 1
        elif self.is_char(following, "^"):
            self.i = self.next_index(stop) + 1
            prime = self.prime_superscript(stop)
            if not prime:
                power = self.argument(stop, f"the power of {plain}")
                if _text(power).replace(" ", "") == "-1":
                    raise self.error(at, f"{plain}^{{-1}} is ambiguous: write 1/{plain}(...)")
        argument = self.function_argument(stop, plain)
        name = f"{plain}'" if prime else plain
        call: Piece = [(f" {name}(", at), *argument, (")", at)]
        if power is not None:
            return [("(", at), *call, (")^(", at), *power, (")", at)]
        return call

    def prime_superscript(self, stop: int) -> bool:
        r"""After `^`: `\prime`, `{\prime}` or `{'}` (read, True), or a power (nothing read)."""
        index = self.next_index(stop)
        if index >= stop:
            return False
        token = self.tokens[index]
        if self.is_cmd(token, "prime"):
            self.i = index + 1
            return True
        if self.is_char(token, "{"):
            inside = self.braced_tokens(index)
            if len(inside) == 1 and (
                self.is_cmd(inside[0], "prime") or self.is_char(inside[0], _PRIMES)
            ):
                self.i = self.matches[index] + 1
                return True
        return False

    def function_argument(self, stop: int, plain: str) -> Piece:
        r"""`(...)`, `\left(...\right)`, `{...}`, or one variable or number without brackets."""
        following = self.peek(stop)
        if following is None:
            raise self.error(self.position(stop), f"{plain} needs an argument")
        self.skip_spaces(stop)
        if self.is_char(following, "{"):
            return self.group()
        if self.is_char(following, "(["):
            return self.bracketed(stop)[1:-1]
        if self.is_cmd(following, "left"):
            return self.left_right(stop)[1:-1]
        if self.is_char(following, "0123456789"):
            piece = self.number(stop)
        elif self.is_letter(following) or self.is_cmd(following, *_HATS, "delta"):
            piece = self.name(stop, product_follows=False)
        else:
            raise self.error(following.start, f"write the argument of {plain} in parentheses")
        after = self.peek(stop)
        if after is not None and self.starts_factor(after):
            raise self.error(
                after.start, f"ambiguous argument of {plain}: put the argument in parentheses"
            )
        return piece

    def starts_factor(self, token: _Token) -> bool:
        """Whether `token` begins something multiplied by juxtaposition."""
        if token.kind == "char":
            return token.text.isalnum() or token.text in "({[."
        return token.kind == "cmd" and (
            token.text in _FUNCTION_COMMANDS
            or token.text in _HATS
            or token.text in _FRACTIONS
            or token.text in _NAMING_COMMANDS
            or token.text in ("delta", "pi", "lambda", "sqrt", "left")
        )

    # -- names

    def name(self, stop: int, product_follows: bool = True) -> Piece:
        """A variable with its subscripts and layer superscript: `w^{(2)}_{11}` → `w2_1_1`."""
        token = self.tokens[self.i]
        base = self.base_name(stop)
        if base in FUNCTIONS:
            return self.function(stop, base, token)  # a function typed in letters: sigmoid(z)
        if base in ("e", "pi"):
            return self.product_before(stop, _spaced(base, token.start), product_follows)
        if base == "W":
            base = "w"  # the weight matrix's entries: W^{[2]}_{12}
        prefix = ""
        if base in _D_NAMED:
            prefix, base = "d", _D_NAMED[base]
        layer: str | None = None
        indices: list[str] | None = None
        while True:
            following = self.peek(stop)
            if self.is_char(following, "_") and indices is None:
                self.i = self.next_index(stop) + 1
                indices = self.subscript(stop)
            elif self.is_char(following, "^") and layer is None and base in _LAYERED:
                layer = self.layer_superscript(stop)
                if layer is None:
                    break
            else:
                break
        written = self.compose(token, base, layer, indices)
        if prefix:
            written = (
                prefix + written if layer is not None or indices is not None else prefix + base
            )
        return self.product_before(stop, _spaced(written, token.start), product_follows)

    def product_before(self, stop: int, piece: Piece, product_follows: bool = True) -> Piece:
        r"""A name before a bracket or a bracketed form multiplies it: `\hat{y}(1-\hat{y})`.

        The plain grammar reads `name(` as a call, so the product is written out.
        """
        following = self.peek(stop)
        if product_follows and (
            self.is_char(following, "([{") or self.is_cmd(following, *_BRACKETING)
        ):
            return [*piece, ("*", piece[-1][1])]
        return piece

    def base_name(self, stop: int) -> str:
        r"""A run of letters and digits (`yhat`, `a1`), `\delta`, or `\hat{y}`."""
        token = self.tokens[self.i]
        if token.kind == "cmd":
            self.i += 1
            if token.text == "delta":
                return "delta"
            following = self.next_index(stop)
            inside: list[str] = []
            if following < stop and self.is_char(self.tokens[following], "{"):
                inside = [t.text for t in self.braced_tokens(following)]
                self.i = self.matches[following] + 1
            elif following < stop and self.tokens[following].kind == "char":
                inside = [self.tokens[following].text]
                self.i = following + 1
            if inside != ["y"]:
                raise self.error(
                    token.start, rf"only \{token.text}{{y}} (the prediction ŷ) is understood"
                )
            return "yhat"
        start = self.i
        while self.i < stop:
            t = self.tokens[self.i]
            if t.kind == "char" and (
                (t.text.isascii() and t.text.isalnum()) or t.text in _SUBSCRIPT_DIGITS
            ):
                self.i += 1  # z2 and z₂ are names of their own, as in plain text
            else:
                break
        return "".join(t.text for t in self.tokens[start : self.i])

    def subscript(self, stop: int) -> list[str]:
        """The indices in `_1`, `_{12}`, `_{1,2}` or `_{1 2}`, as separate strings."""
        index = self.next_index(stop)
        if index >= stop:
            raise self.error(self.position(stop), "a subscript needs an index after '_'")
        token = self.tokens[index]
        if self.is_char(token, "{"):
            inside = self.tokens[index + 1 : self.matches[index]]
            self.i = self.matches[index] + 1
        else:
            inside = [token]
            self.i = index + 1
        chunks: list[str] = []
        current = ""
        for t in inside:
            if t.kind == "char" and t.text.isascii() and t.text.isalnum():
                current += t.text
            elif t.kind == "space" or self.is_char(t, ","):
                if current:
                    chunks.append(current)
                current = ""
            else:
                raise self.error(t.start, "a subscript holds indices only, as in _{1} or _{1,2}")
        if current:
            chunks.append(current)
        if not chunks:
            raise self.error(token.start, "empty subscript")
        return chunks

    def layer_superscript(self, stop: int) -> str | None:
        """`^{(2)}` or `^{[2]}` after w, b, z, a or δ: the layer; `^L` (`^{L}`, `^{(L)}`): the
        output layer; None (read nothing) if a power."""
        caret = self.next_index(stop)
        first = self.next_index(stop, caret + 1)
        if first >= stop:
            return None
        token = self.tokens[first]
        if self.is_char(token, "{"):
            inside, end = (
                "".join(t.text for t in self.braced_tokens(first)),
                self.matches[first] + 1,
            )
        elif token.kind == "char" and (token.text.isdigit() or token.text == "L"):
            inside, end = token.text, first + 1  # Nielsen's a^2_1, δ^L
        else:
            return None
        if len(inside) > 2 and inside[0] + inside[-1] in ("()", "[]"):
            inside = inside[1:-1]
            if inside.isdigit() or inside == "L":
                self.i = end
                return inside
            return None
        if inside == "L":
            self.i = end
            return inside
        # Nielsen's `w^{3}_{12}`, `a^2`: in a notation that writes layers so, bare digits on a
        # layered name are its layer (a square is written with brackets, `(a^2)^2`).
        if inside.isdigit() and notation.current().layers == "plain":
            self.i = end
            return inside
        return None

    def compose(
        self, token: _Token, base: str, layer: str | None, indices: list[str] | None
    ) -> str:
        """The plain name for a base, a layer and subscripts, in `symderiv.core.naming`'s scheme."""
        if base not in _LAYERED:
            return "_".join([base, *(indices or [])])
        if layer is None:
            # w_2, a_{1}, \delta_2: the subscript is the layer (a chain network's names).
            return base if indices is None else "_".join([f"{base}{indices[0]}", *indices[1:]])
        nodes = indices or []
        if base == "w" and len(nodes) == 1 and len(nodes[0]) == 2 and nodes[0].isdigit():
            nodes = [nodes[0][0], nodes[0][1]]  # w^{(2)}_{11}: node 1, input 1
        expected = 2 if base == "w" else 1
        if nodes and (len(nodes) != expected or not all(n.isdigit() for n in nodes)):
            shape = "_{jk} or _{j,k}" if base == "w" else "_{j}"
            raise self.error(token.start, f"write the node indices of {base} as {shape}")
        if layer == "L":  # the output layer, whichever it is: the reader of the names knows
            return "_".join([f"{base}L", *nodes])
        return naming.layered(base, int(layer), *(int(n) for n in nodes))


_CHARACTER_ERRORS = {
    "_": "a subscript must follow a variable name, as in a_1",
    "'": r"a prime is understood only after a function, as in \sigma'(z)",
    "=": "write only the expression, without '='",
    "%": "'%' starts a LaTeX comment; not allowed",
    "&": "'&' (alignment) is not allowed in an answer",
    "#": "'#' (a macro parameter) is not allowed in an answer",
    "$": "'$' is allowed only around the whole answer",
    "|": r"absolute values are not understood; write \operatorname{abs}(...)",
    "}": "unbalanced '}'",
}
