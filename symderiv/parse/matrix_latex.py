r"""Reading a matrix-form answer written in LaTeX, by rewriting it into the matrix grammar.

The scalar translator (`symderiv.parse.latex`) does the work: its tokenizer, its whitelist of
commands, fractions, functions and primes, and the map from every character written back to the
LaTeX. This reader adds what the matrix form needs:

- `\odot` and `\circ` (the entrywise product, written `⊙`);
- a transpose as a superscript: `^T`, `^{T}`, `^\top`, `^{\top}`, `^\intercal`, `^{\mathsf{T}}`,
  also after a layer (`W^{(2)\top}`); a prime stays a derivative (`\sigma'(z)`);
- layers as superscripts or subscripts on every matrix name, `W^{(2)}`, `W^{[2]}`, `W_2`,
  `\delta^{(1)}`, `A^{[1]}`, `\Delta^{(2)}`, `Z_1`, with the capitals of a training set (`X`,
  `Y`, `\hat{Y}`) and bold letters (`\mathbf{W}^{(2)}`, `\boldsymbol{\delta}^{(1)}`);
- `\lambda` (the L2 strength), `m`, `\mathbf{1}` (a column of m ones), and `\operatorname{diag}`.
"""

from __future__ import annotations

from symderiv.core import notation
from symderiv.parse import latex
from symderiv.parse.latex import Piece, Translation, _Reader, _spaced, _Token
from symderiv.parse.matrix import HADAMARD, OUTPUT_LAYER, TRANSPOSE, Node, parse_matrix
from symderiv.parse.plain import MAX_INPUT_LENGTH, ParseError

_ENTRYWISE = frozenset({"odot", "circ"})
_TRANSPOSES = frozenset({"top", "intercal", "T"})
_BOLD = frozenset({"mathbf", "boldsymbol", "bm", "mathbb"})
_MATRIX_BASES = frozenset({"W", "A", "Z", "X", "Y", "Delta", "Yhat"})
#: Names of one layer's column (and Ng's `dz^{[2]}`, `dZ^{[L]}`, `da^{[2]}`, named with a d).
_LAYER_BASES = frozenset({"w", "b", "z", "a", "delta", "dz", "dZ", "da", "dA"})
#: What `\nabla` may be taken by: the prediction, or the output layer's activations.
_OUTPUT_SUBSCRIPTS = frozenset({"haty", "widehaty", "a", "a^L"})
_GREEK = {"Delta": "Delta", "lambda": "lambda", "delta": "delta"}


def translate_matrix(text: str) -> Translation:
    """Rewrite LaTeX into the matrix grammar; ParseError at the LaTeX position otherwise."""
    if len(text) > latex.MAX_LATEX_LENGTH:
        raise ParseError(
            text,
            latex.MAX_LATEX_LENGTH,
            f"LaTeX longer than {latex.MAX_LATEX_LENGTH} characters",
        )
    start, end = latex.strip_delimiters(text)
    tokens = latex._tokenize(text, start, end)
    matches = latex._match_braces(text, tokens)
    reader = _MatrixReader(text, tokens, matches)
    piece = reader.sequence(len(tokens), None)
    plain = "".join(part for part, _ in piece)
    positions = tuple(pos for part, pos in piece for _ in part)
    if len(plain) > MAX_INPUT_LENGTH:
        raise ParseError(text, positions[MAX_INPUT_LENGTH], "the expression is too long")
    return Translation(text, plain, positions)


def parse_matrix_latex(
    text: str, *, entrywise_as_product: bool = False
) -> tuple[Node, Translation]:
    """The tree of a LaTeX matrix answer (positions in the translation's plain text)."""
    translation = translate_matrix(text)
    try:
        return parse_matrix(translation.plain, entrywise_as_product=entrywise_as_product), (
            translation
        )
    except ParseError as error:
        raise ParseError(text, translation.source_position(error.position), error.reason) from None


class _MatrixReader(_Reader):
    """The scalar translator, with the transpose, ⊙ and the names of whole layers."""

    def item(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        if self.is_char(token, "^"):
            following = self.next_index(stop, self.i + 1)
            end = self.transpose_end(following, stop)
            if end is not None:
                self.i = end
                return [(f" {TRANSPOSE} ", token.start)]
        if self.is_char(token, "'"):
            raise self.error(
                token.start,
                r"a prime means a derivative, as in \sigma'(z); write a transpose as a^\top",
            )
        return super().item(stop)

    def transpose_end(self, index: int, stop: int) -> int | None:
        """After `^`: the index past `T`, `\\top`, `{\\top}`, `{\\mathsf{T}}`, ...; else None."""
        if index >= stop:
            return None
        token = self.tokens[index]
        if self.is_transpose_mark(token):
            return index + 1
        if self.is_char(token, "{"):
            inside = self.braced_tokens(index)
            if self.is_transpose_group(inside):
                return self.matches[index] + 1
        return None

    def is_transpose_mark(self, token: _Token | None) -> bool:
        return (token is not None and token.kind == "char" and token.text == "T") or (
            token is not None and token.kind == "cmd" and token.text in _TRANSPOSES
        )

    def is_transpose_group(self, inside: list[_Token]) -> bool:
        """`{T}`, `{\\top}`, `{\\mathsf{T}}`, `{\\mathrm{T}}`, `{\\intercal}`."""
        if len(inside) == 1:
            return self.is_transpose_mark(inside[0])
        texts = [t.text for t in inside]
        return texts[1:] == ["{", "T", "}"] and texts[0] in ("mathsf", "mathrm", "rm", "text")

    def command(self, stop: int) -> Piece:
        token = self.tokens[self.i]
        name = token.text
        if name in _ENTRYWISE:
            self.i += 1
            return [(f" {HADAMARD} ", token.start)]
        if name in _TRANSPOSES:
            raise self.error(
                token.start, rf"\{name} is a transpose only as a superscript: a^\{name}"
            )
        if name in ("Delta", "lambda"):
            return self.name(stop)
        if name in _BOLD:
            return self.bold(stop)
        if name == "nabla":
            return self.gradient_of_cost(stop)
        if name == "operatorname" and self.braced_word(stop) == "diag":
            brace = self.next_index(stop, self.i + 1)
            self.i = self.matches[brace] + 1
            return [(" diag", token.start)]
        return super().command(stop)

    def gradient_of_cost(self, stop: int) -> Piece:
        """`\\nabla_{\\hat{y}} J` (as `derive --form matrix` writes it), `\\nabla_a C` (Nielsen's,
        by the output activations), with any cost letter: the cost's gradient."""
        token = self.tokens[self.i]
        self.i += 1
        following = self.peek(stop)
        by_output = True
        if self.is_char(following, "_"):
            self.i = self.next_index(stop) + 1
            brace = self.next_index(stop)
            if brace < stop and self.is_char(self.tokens[brace], "{"):
                written = [t.text for t in self.braced_tokens(brace) if t.kind != "space"]
                self.i = self.matches[brace] + 1
            else:
                written = [self.tokens[brace].text] if brace < stop else []
                self.i = brace + 1
            by_output = "".join(written).replace("{", "").replace("}", "") in _OUTPUT_SUBSCRIPTS
        cost = self.peek(stop)
        if not by_output or cost is None or not self.is_char(cost, "".join(notation.COST_LETTERS)):
            raise self.error(
                token.start,
                r"\nabla is understood as the cost's gradient, \nabla_{\hat{y}} "
                + notation.current().cost,
            )
        self.i = self.next_index(stop) + 1
        return self.product_before(stop, _spaced("dJ_dyhat", token.start))

    def braced_word(self, stop: int) -> str:
        brace = self.next_index(stop, self.i + 1)
        if brace >= stop or not self.is_char(self.tokens[brace], "{"):
            return ""
        return "".join(t.text for t in self.braced_tokens(brace))

    def bold(self, stop: int) -> Piece:
        r"""`\mathbf{W}^{(2)}` is W^(2), `\boldsymbol{\delta}` δ; `\mathbf{1}` a column of ones."""
        token = self.tokens[self.i]
        brace = self.next_index(stop, self.i + 1)
        if brace >= stop or not self.is_char(self.tokens[brace], "{"):
            raise self.error(token.end, rf"\{token.text} needs a letter in braces")
        inside = self.braced_tokens(brace)
        if [t.text for t in inside] == ["1"]:
            self.i = self.matches[brace] + 1
            self.skip_subscript(stop)
            return self.product_before(stop, _spaced("ones", token.start))
        close = self.matches[brace]
        self.i = self.next_index(close, brace + 1)
        base = self.base_name(close) if self.i < close else ""
        if not base or self.next_index(close) != close:
            raise self.error(self.tokens[brace].start, rf"\{token.text}{{...}} must hold a name")
        self.i = close + 1
        return self.layered(stop, token, base, product_follows=True)

    def skip_subscript(self, stop: int) -> None:
        """`\\mathbf{1}_m`: the ones' length, said by the subscript, is m anyway."""
        following = self.peek(stop)
        if self.is_char(following, "_"):
            self.i = self.next_index(stop) + 1
            self.subscript(stop)

    def base_name(self, stop: int) -> str:
        token = self.tokens[self.i]
        if token.kind == "cmd" and token.text in _GREEK:
            self.i += 1
            return _GREEK[token.text]
        if self.is_char(token, "d") and self.i + 1 < stop:
            hat = self.tokens[self.i + 1]
            if self.is_cmd(hat, "hat", "widehat"):  # `d\hat{y}`: the cost's gradient, named
                self.i += 1
                return "d" + self.base_name(stop)  # only ŷ and Ŷ have a hat
        if token.kind == "cmd" and token.text in ("hat", "widehat"):
            following = self.next_index(stop, self.i + 1)
            inside = []
            if following < stop and self.is_char(self.tokens[following], "{"):
                inside = [t.text for t in self.braced_tokens(following)]
            if inside == ["Y"]:
                self.i = self.matches[following] + 1
                return "Yhat"
        return super().base_name(stop)

    def name(self, stop: int, product_follows: bool = True) -> Piece:
        """A whole layer's name: `W^{(2)}`, `W_2`, `\\Delta^{[1]}` → `W2`, `Delta1`."""
        token = self.tokens[self.i]
        start = self.i
        base = self.base_name(stop)
        if base in ("lambda",):
            return self.product_before(stop, _spaced(base, token.start), product_follows)
        if base not in _MATRIX_BASES and base not in _LAYER_BASES:
            self.i = start
            return super().name(stop, product_follows)
        return self.layered(stop, token, base, product_follows)

    def layered(self, stop: int, token: _Token, base: str, product_follows: bool) -> Piece:
        """The layer (and a transpose) after a base name, written in the plain scheme."""
        layer: str | None = None
        transposed = False
        following = self.peek(stop)
        if self.is_char(following, "^"):
            layer, transposed = self.layer_and_transpose(stop)
        following = self.peek(stop)
        if layer is None and self.is_char(following, "_"):
            self.i = self.next_index(stop) + 1
            indices = self.subscript(stop)
            if len(indices) != 1 or not indices[0].isdigit():
                raise self.error(
                    token.start, "in the matrix form a subscript is the layer only, as in W_2"
                )
            layer = indices[0]
        written = base + (layer or "")
        piece = _spaced(written, token.start)
        if transposed:
            piece.append((f" {TRANSPOSE} ", token.start))
        return self.product_before(stop, piece, product_follows)

    def layer_and_transpose(self, stop: int) -> tuple[str | None, bool]:
        """After a name: `^{(2)}`, `^{[2]}` (the layer) or `^{(2)\\top}` (and a transpose);
        Nielsen's `^{3}` and `^3`; `^L` (in any of these forms) the output layer."""
        caret = self.next_index(stop)
        brace = self.next_index(stop, caret + 1)
        if brace >= stop:
            return None, False
        plain_marks = notation.current().layers == "plain"
        single = self.tokens[brace]
        if self.is_char(single, "0123456789" if plain_marks else "") or self.is_char(
            single, OUTPUT_LAYER
        ):
            self.i = brace + 1  # `\delta^3`, `a^L`: one character, as TeX reads a superscript
            return single.text, False
        if not self.is_char(single, "{"):
            return None, False
        inside = self.braced_tokens(brace)
        bare = "".join(t.text for t in inside)
        if (bare.isdigit() and plain_marks) or bare == OUTPUT_LAYER:
            self.i = self.matches[brace] + 1  # Nielsen's W^{3}: a whole layer is never squared
            return bare, False
        if len(inside) < 3 or not self.is_char(inside[0], "(["):
            return None, False
        closer = ")" if inside[0].text == "(" else "]"
        end = next((k for k, t in enumerate(inside) if self.is_char(t, closer)), None)
        digits = "".join(t.text for t in inside[1:end])
        if end is None or not (digits.isdigit() or digits == OUTPUT_LAYER):
            return None, False
        rest = inside[end + 1 :]
        if rest and not (len(rest) == 1 and self.is_transpose_mark(rest[0])):
            return None, False
        self.i = self.matches[brace] + 1
        return digits, bool(rest)
