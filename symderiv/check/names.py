"""What the names in an answer mean: the network's symbols, their other spellings, the parameter.

An answer may use every name of the network (`x`, `y`, `w2`, `b1`, `z1`, `a1`, `yhat`, the deltas,
and `∂J/∂ŷ` when the cost is abstract) and the spellings a student uses for them: `a2` for the
output `ŷ`, `a0` for the input `x`, `w_2` for `w2` in a chain, `∂J/∂ŷ` for the cost's derivative
(`2(ŷ − y)` for the squared error) and `∂J/∂z` for the delta. In LaTeX, letters side by side that
are each a name multiply (`xy` is x·y). An answer may be written as an equation whose left side is
the derivative checked (`dJ/dw2 = …`). `lambda` (`λ`, `\\lambda`) is the weight decay's strength
and `m` the number of examples: numbers of the spec (`--l2`, `--examples`), kept as names in what
the answer is shown as and replaced by their values where it is judged. A name that means nothing
is a parse error pointing at it, with the nearest known name.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.check import messages
from symderiv.core import naming, notation
from symderiv.core.errors import SymderivError, did_you_mean
from symderiv.core.network import Network
from symderiv.engine.derivation import cost_symbol, delta_symbol
from symderiv.parse.equation import Equation, split_equation
from symderiv.parse.latex import COST_DERIVATIVE, looks_like_latex, parse_translation, translate
from symderiv.parse.plain import ParseError, parse_expression

FORMATS = ("auto", "plain", "latex")
DECAY = sp.Symbol("lambda")  # λ, the weight decay's strength (--l2)
EXAMPLES = sp.Symbol("m")  # the number of examples (--examples)


@dataclass(frozen=True)
class Reading:
    """An answer as understood: an expression in the network's symbols, and how it was written."""

    expr: sp.Expr
    input_format: str
    # The other right sides of a chain `∂J/∂w = A = B`, each (expression, as written).
    steps: tuple[tuple[sp.Expr, str], ...] = ()


class Names:
    """The names of one network's symbols, with the other spellings an answer may use."""

    def __init__(self, network: Network, symbols: Sequence[sp.Symbol]) -> None:
        self.network = network
        self.notation = notation.current()
        # Keyed by the names of the notation in force (`w3` is w2 when the inputs are layer 1).
        self.names: dict[str, sp.Symbol] = {naming.shown_name(s.name): s for s in symbols}
        self.aliases = self._aliases()
        self.derivatives = self._derivatives()
        spec = network.spec
        self.constants: dict[sp.Symbol, sp.Expr] = {
            DECAY: sp.Rational(spec.l2.numerator, spec.l2.denominator),
            EXAMPLES: sp.Integer(spec.examples),
        }

    def _aliases(self) -> dict[str, sp.Symbol]:
        """Other spellings of network names: `a2` for the output `ŷ`, `a0` for the input `x`,
        and `w_2` for `w2`."""
        aliases: dict[str, sp.Symbol] = {}
        network = self.network
        chain = network.spec.is_chain
        offset = self.notation.input_layer
        last = network.depth + offset
        for node in network.layers[-1]:
            aliases[naming.layered("a", last, *(() if chain else (node.index,)))] = node.a
        for k, x in enumerate(network.inputs, start=1):
            aliases[naming.layered("a", offset, *(() if chain else (k,)))] = x
        for node in network.layers[-1]:  # the output layer as L: a^L, δ^L_j, w^L_{jk}
            own = () if chain else (node.index,)
            named = [("a", node.a), ("z", node.z), ("b", node.bias)]
            named.append(("delta", delta_symbol(network, node)))
            for stem, symbol in named:
                aliases["_".join([f"{stem}L", *map(str, own)])] = symbol
                aliases[f"{stem}L_{node.index}"] = symbol
            for k, weight in enumerate(node.weights, start=1):
                aliases["_".join(["wL", *map(str, (*own, k) if own else ())])] = weight
                aliases[f"wL_{node.index}_{k}"] = weight
        if chain and self.notation.layers == "plain":
            # Nielsen's numbering writes a chain's one node too: a²₁ is a², w³₁₁ is w³.
            for name, symbol in [*self.names.items(), *aliases.items()]:
                parsed = naming.parse_name(name)
                if parsed is not None and parsed.layer is not None:
                    ones = (1, 1) if parsed.stem == "w" else (1,)
                    aliases[naming.layered(parsed.stem, parsed.layer, *ones)] = symbol
        if chain:
            for name in [*self.names, *aliases]:
                parsed = naming.parse_name(name)
                if parsed is not None and parsed.layer is not None and not parsed.indices:
                    target = self.names.get(name) or aliases[name]
                    aliases[f"{parsed.stem}_{parsed.layer}"] = target
        return aliases

    def _derivatives(self) -> dict[sp.Symbol, sp.Expr]:
        """What `∂J/∂ŷ` and `∂J/∂z` stand for: the cost's derivative and the delta."""
        network = self.network
        meaning: dict[sp.Symbol, sp.Expr] = {}
        for j, (y, yhat) in enumerate(zip(network.targets, network.outputs), start=1):
            symbol = cost_symbol(network, j)  # the abstract cost's own variable
            meaning[yhat] = network.cost.gradient((y, yhat), symbol)
        for node in network.nodes:
            meaning[node.z] = delta_symbol(network, node)
        return meaning

    @property
    def gradients_named(self) -> bool:
        """Whether `dz2` names ∂J/∂z2 here: in a notation that names gradients or deltas so."""
        return self.notation.named_gradients or self.notation.delta == "dz"

    def symbol(self, name: str) -> sp.Symbol | None:
        return self.names.get(name) or self.aliases.get(name)

    def parameter(self, param: str) -> str:
        """The parameter's own name for `param`, also written `w_2` or in LaTeX (`w^{(2)}_{11}`)."""
        text = param.strip()
        if looks_like_latex(text):
            with contextlib.suppress(ParseError):
                text = translate(text).plain.strip()
        symbol = self.symbol(text)
        if symbol is None and text.startswith("d") and self.gradients_named:
            symbol = self.symbol(text[1:])  # --param dw2: the gradient named for its parameter
        if symbol is None or symbol not in self.network.parameters:
            shown = [naming.shown_name(p.name) for p in self.network.parameters]
            raise SymderivError(did_you_mean("parameter", text, shown))
        return symbol.name

    def read(self, answer: str, fmt: str = "auto", parameter: str | None = None) -> Reading:
        """The answer as an expression in the network's symbols; ParseError otherwise.

        With `parameter`, an answer may be an equation whose left side is `∂J/∂parameter`.
        """
        if fmt not in FORMATS:
            raise SymderivError(messages.unknown_format(fmt))
        if fmt == "auto":
            fmt = "latex" if looks_like_latex(answer) else "plain"
        latex = fmt == "latex"
        start, end = 0, len(answer)
        equation = (
            split_equation(answer, latex, parameter, chained=True)
            if parameter is not None
            else None
        )
        steps: tuple[tuple[sp.Expr, str], ...] = ()
        if equation is not None and parameter is not None:
            self.check_left_side(equation, parameter)
            start, end = equation.right_at, equation.right_end
            steps = tuple(
                (self.expression(answer, at, stop, latex), answer[at:stop].strip())
                for at, stop in equation.more
            )
        return Reading(self.expression(answer, start, end, latex), fmt, steps)

    def expression(self, answer: str, start: int, end: int, latex: bool) -> sp.Expr:
        """`answer[start:end]` read in the network's symbols; errors point into `answer`."""
        try:
            expr, plain, locate = _parse(answer[start:end], latex)
        except ParseError as error:
            if start == 0 and end == len(answer):
                raise
            raise ParseError(answer, start + error.position, error.reason) from None
        mapping: dict[sp.Symbol, sp.Expr] = {}
        for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
            meaning = self.meaning(symbol.name, latex)
            if isinstance(meaning, str):
                position = start + locate(_find_name(plain, symbol.name))
                raise ParseError(answer, position, meaning)
            if meaning != symbol:
                mapping[symbol] = meaning
        return expr.xreplace(mapping)

    def meaning(self, name: str, latex: bool) -> sp.Expr | str:
        """What `name` stands for in an answer, or why it cannot be read."""
        symbol = self.symbol(name)
        if symbol is not None:
            return symbol
        if sp.Symbol(name) in self.constants:
            return sp.Symbol(name)
        if name.startswith(COST_DERIVATIVE):
            return self.derivative(name[len(COST_DERIVATIVE) :])
        if name.startswith("d") and self.gradients_named and self.symbol(name[1:]) is not None:
            return self.derivative(name[1:])  # dz2 is ∂J/∂z2, the delta, under Ng's names
        if latex and name.isalpha() and all(self.symbol(c) is not None for c in name):
            return sp.Mul(*(self.names.get(c) or self.aliases[c] for c in name))  # xy: x·y
        return self.unknown(name, latex)

    def derivative(self, name: str) -> sp.Expr | str:
        """`∂J/∂name` as a factor of an answer: the cost's derivative or a delta, if either."""
        symbol = self.symbol(name)
        if symbol is not None and symbol in self.derivatives:
            return self.derivatives[symbol]
        shown = naming.text_name(symbol.name if symbol else naming.internal_name(name)) or name
        if symbol is not None and symbol in self.network.parameters:
            return messages.gradient_as_factor(shown)
        return messages.derivative_not_understood(shown)

    def check_left_side(self, equation: Equation, parameter: str) -> None:
        """The left side of an equation must be `∂J/∂parameter`."""
        symbol = self.symbol(equation.variable)
        variable = equation.variable
        named = naming.text_name(symbol.name if symbol else naming.internal_name(variable))
        if symbol is not None and symbol.name == parameter:
            return
        is_parameter = symbol is not None and symbol in self.network.parameters
        raise ParseError(
            equation.text,
            equation.left_at,
            messages.other_left_side(named or equation.variable, parameter, is_parameter),
        )

    def unknown(self, name: str, latex: bool = False) -> str:
        """Why `name` cannot be read, with what it might have been meant as."""
        spells_product = not latex and len(name) > 1 and all(self.symbol(c) for c in name)
        return messages.unknown_symbol(
            name,
            self.network.spec.label,
            list(self.names),
            self.nearest(name),
            spells_product,
            latex,
            self.needs_indices(name),
        )

    def nearest(self, name: str) -> str | None:
        """The known name `name` most likely means: the same quantity in the nearest layer with
        the same node indices, else the closest spelling (aliases give the name they stand for)."""
        spellings = {**self.names, **self.aliases}  # the network's own names first
        parsed = naming.parse_name(name) or naming.parse_name(name[:1].lower() + name[1:])
        pool: dict[str, sp.Symbol] = spellings
        if parsed is None and name in naming.LAYERED:
            parsed, pool = naming.ParsedName(name, None, ()), self.names  # δ without its layer
        elif self.needs_indices(name) and parsed is not None and parsed.stem == "w":
            digits = str(parsed.layer)  # w_{12} in a wide network: node indices, layer unsaid
            if len(digits) == 2:
                parsed = naming.ParsedName("w", None, (int(digits[0]), int(digits[1])))
        if parsed is not None and parsed.stem == "w" and len(parsed.indices) == 2:
            j, k = parsed.indices  # w_{kj} for w_{jk}: the indices swapped
            swapped = naming.layered("w", parsed.layer or 0, k, j)
            if swapped in pool:
                return naming.shown_name(pool[swapped].name)
        if parsed is not None:
            ranked = [
                (_distance(parsed, other), order, spelling)
                for order, spelling in enumerate(pool)
                if (other := naming.parse_name(spelling)) is not None and other.stem == parsed.stem
            ]
            if ranked:
                return naming.shown_name(pool[min(ranked)[2]].name)
        close = difflib.get_close_matches(name, list(spellings), n=1, cutoff=0.6)
        return naming.shown_name(spellings[close[0]].name) if close else None

    def needs_indices(self, name: str) -> bool:
        """Whether `name` is a layered quantity written without the node indices it needs here."""
        parsed = naming.parse_name(name)
        return (
            not self.network.spec.is_chain
            and parsed is not None
            and parsed.layer is not None
            and not parsed.indices
        )


def _parse(text: str, latex: bool) -> tuple[sp.Expr, str, Callable[[int], int]]:
    """The expression `text` denotes, the plain text it was read from, and the map from places
    in that plain text to places in `text`."""
    if latex:
        translation = translate(text)
        return parse_translation(translation), translation.plain, translation.source_position
    return parse_expression(text), text, _same_position


def _distance(wanted: naming.ParsedName, other: naming.ParsedName) -> tuple[int, int, int]:
    """How far a known name is from the one written: layers apart, then differing indices."""
    layers = 0 if wanted.layer is None else abs(wanted.layer - (other.layer or 0))
    differing = sum(a != b for a, b in zip(wanted.indices, other.indices))
    differing += abs(len(wanted.indices) - len(other.indices))
    spread = sum(abs(a - b) for a, b in zip(wanted.indices, other.indices))
    return layers, differing, spread


def _same_position(position: int) -> int:
    return position


def _find_name(text: str, name: str) -> int:
    """Where `name` occurs in `text` as a whole word (0 when written another way, e.g. `δ₂`)."""
    match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
    return match.start() if match else 0
