"""What the names in an answer mean: the network's symbols, their other spellings, the parameter.

An answer may use every name of the network (`x`, `y`, `w2`, `b1`, `z1`, `a1`, `yhat`, the deltas,
and `∂J/∂ŷ` when the cost is abstract) and the spellings a student uses for them: `a2` for the
output `ŷ`, and `w_2` for `w2` in a chain. A name that means nothing is a parse error pointing at
it, with the nearest known name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.check import messages
from symderiv.core import naming
from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.parse.latex import looks_like_latex, parse_translation, translate
from symderiv.parse.plain import ParseError, parse_expression

FORMATS = ("auto", "plain", "latex")


@dataclass(frozen=True)
class Reading:
    """An answer as understood: an expression in the network's symbols, and how it was written."""

    expr: sp.Expr
    input_format: str


class Names:
    """The names of one network's symbols, with the other spellings an answer may use."""

    def __init__(self, network: Network, symbols: Sequence[sp.Symbol]) -> None:
        self.network = network
        self.names: dict[str, sp.Symbol] = {s.name: s for s in symbols}
        self.aliases = self._aliases()

    def _aliases(self) -> dict[str, sp.Symbol]:
        """Other spellings of network names: `a2` for the output `ŷ`, and `w_2` for `w2`."""
        aliases: dict[str, sp.Symbol] = {}
        network = self.network
        last = network.depth
        for node in network.layers[-1]:
            indices = () if network.spec.is_chain else (node.index,)
            aliases[naming.layered("a", last, *indices)] = node.a
        if network.spec.is_chain:
            for name in [*self.names, *aliases]:
                parsed = naming.parse_name(name)
                if parsed is not None and parsed.layer is not None and not parsed.indices:
                    target = self.names.get(name) or aliases[name]
                    aliases[f"{parsed.stem}_{parsed.layer}"] = target
        return aliases

    def symbol(self, name: str) -> sp.Symbol | None:
        return self.names.get(name) or self.aliases.get(name)

    def parameter(self, param: str) -> str:
        """The parameter's own name for `param`, also written `w_2` or in LaTeX (`w^{(2)}_{11}`)."""
        text = param.strip()
        if looks_like_latex(text):
            with contextlib.suppress(ParseError):
                text = translate(text).plain.strip()
        symbol = self.symbol(text)
        return text if symbol is None else symbol.name

    def read(self, answer: str, fmt: str = "auto") -> Reading:
        """The answer as an expression in the network's symbols; ParseError otherwise."""
        if fmt not in FORMATS:
            raise SymderivError(messages.unknown_format(fmt))
        if fmt == "auto":
            fmt = "latex" if looks_like_latex(answer) else "plain"
        locate: Callable[[int], int] = _same_position
        plain = answer
        if fmt == "latex":
            translation = translate(answer)
            expr = parse_translation(translation)
            plain, locate = translation.plain, translation.source_position
        else:
            expr = parse_expression(answer)
        for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
            if self.symbol(symbol.name) is None:
                position = locate(_find_name(plain, symbol.name))
                raise ParseError(answer, position, self.unknown(symbol.name))
        mapping = {sp.Symbol(name): target for name, target in self.aliases.items()}
        return Reading(expr.xreplace(mapping), fmt)

    def unknown(self, name: str) -> str:
        """Why `name` cannot be read, with what it might have been meant as."""
        spells_product = len(name) > 1 and all(self.symbol(c) is not None for c in name)
        return messages.unknown_symbol(
            name, self.network.spec.label, list(self.names), list(self.aliases), spells_product
        )


def _same_position(position: int) -> int:
    return position


def _find_name(text: str, name: str) -> int:
    """Where `name` occurs in `text` as a whole word (0 when written another way, e.g. `δ₂`)."""
    match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
    return match.start() if match else 0
