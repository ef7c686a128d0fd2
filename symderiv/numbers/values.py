"""Numbers for a worked example: from a spec's `[values]` table, the `--values` flag or defaults.

Values are read as data, never as code: a number is an integer, a decimal (`0.25`, `-1e-3`) or a
fraction (`1/2`), matched by a strict pattern and converted with `fractions.Fraction` and
`decimal.Decimal`. Integers and fractions stay exact; decimals are carried at
`numbers.evaluate.PRECISION` significant digits (`0.3` is 0.3, not the nearest binary float).

Where the numbers come from, in order: the `[values]` table of the spec file, which must give every
input, target, weight and bias (`learning_rate` is optional); otherwise the defaults below. Then
`--values name=number,...` replaces single entries by the network's own symbol names
(`x`, `y`, `w1`, `b2` in a chain network; `x_1`, `y_2`, `w2_1_3`, `b1_2` in a wider one; `eta`
for the learning rate).

A training set: `x` and `y` in the table may be lists of examples, one inner list each
(`x = [[0.5, 0.1], [0.2, 0.3]]`); a flat list is one example. The number of examples m is the
number of inner lists, which x and y must agree on; the spec's `examples` must then be 1 (let the
values decide) or that same m. `--values` names the symbols of the first example. The defaults
give the spec's `examples` examples, the later ones continuing the input and target cycles.

Defaults, chosen so that the seed 1-1-1 network reads x = 0.5, y = 1, w1 = 0.3, b1 = 0.1,
w2 = −0.2, b2 = 0.4, η = 0.5: inputs cycle through INPUT_CYCLE, targets through TARGET_CYCLE (or
are one-hot, the first class, for a cost whose targets sum to 1), the weights (in the order
`network.parameters` lists them) through WEIGHT_CYCLE, the biases through BIAS_CYCLE. WEIGHT_CYCLE
has a prime length, so no two nodes of a layer get the same weights unless the layer before has a
multiple of 11 nodes.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import cycle, islice
from typing import Any

import sympy as sp

from symderiv.core import naming
from symderiv.core.costs import COSTS
from symderiv.core.errors import SymderivError, did_you_mean
from symderiv.core.network import Network
from symderiv.core.spec import MAX_EXAMPLES
from symderiv.numbers.evaluate import PRECISION, point_from_lists

INPUT_CYCLE = ("0.5", "-0.3", "0.8", "-0.6", "0.1")
TARGET_CYCLE = ("1", "0")
WEIGHT_CYCLE = ("0.3", "-0.2", "0.4", "-0.1", "0.2", "-0.4", "0.1", "-0.3", "0.5", "-0.5", "0.15")
BIAS_CYCLE = ("0.1", "0.4", "-0.2", "0.3", "-0.1")
DEFAULT_LEARNING_RATE = "0.5"

#: Largest magnitude accepted for any value (keeps float64 checks and exact arithmetic sane).
MAX_MAGNITUDE = 10**9
#: Longest text accepted for one number, and for the whole `--values` flag.
MAX_NUMBER_CHARS = 64
MAX_FLAG_CHARS = 200_000

TABLE_KEYS = ("x", "y", "W", "b", "learning_rate")
LEARNING_RATE_NAMES = ("eta", "learning_rate")

_DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_FRACTION = re.compile(r"^[+-]?\d+/\d+$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Values:
    """Every weight and bias of one network, the inputs and targets of each training example, the
    learning rate, and their source.

    `point` holds the parameters and the first example's inputs and targets (so a one-example
    set is just `point`); `later` holds the inputs and targets of examples 2 … m.
    """

    point: Mapping[sp.Symbol, sp.Expr]
    learning_rate: sp.Expr
    source: str  # "the defaults" or "the spec's [values] table", and whether flags changed it
    later: tuple[Mapping[sp.Symbol, sp.Expr], ...] = ()

    @property
    def m(self) -> int:
        """The number of training examples."""
        return 1 + len(self.later)

    @property
    def exact(self) -> bool:
        """No decimal anywhere: results are exact (as long as the arithmetic stays rational)."""
        numbers = (*self.point.values(), *(v for e in self.later for v in e.values()))
        return all(not v.has(sp.Float) for v in (*numbers, self.learning_rate))

    def examples(self, network: Network) -> tuple[dict[sp.Symbol, sp.Expr], ...]:
        """Each example's inputs and targets, the first example first."""
        data = (*network.inputs, *network.targets)
        return ({s: self.point[s] for s in data}, *(dict(e) for e in self.later))


def parse_number(text: str, where: str) -> sp.Expr:
    """A SymPy number from `text`: exact for integers and fractions, PRECISION digits otherwise."""
    shown = text if len(text) <= 40 else text[:40] + "…"
    stripped = text.strip()
    if len(stripped) > MAX_NUMBER_CHARS:
        raise SymderivError(f"{where}: {shown!r} is too long for a number.")
    if _INTEGER.match(stripped) or _FRACTION.match(stripped):
        try:
            fraction = Fraction(stripped)
        except ZeroDivisionError:
            raise SymderivError(f"{where}: {shown!r} divides by zero.") from None
        _check_magnitude(abs(fraction), where, shown)
        return sp.Rational(fraction.numerator, fraction.denominator)
    if _DECIMAL.match(stripped):
        try:
            decimal = Decimal(stripped)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise SymderivError(f"{where}: {shown!r} is not a number.") from None
        _check_magnitude(abs(decimal), where, shown)
        return sp.Float(str(decimal), PRECISION)
    if stripped.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise SymderivError(f"{where}: {shown!r} is not a finite number.")
    raise SymderivError(f"{where}: {shown!r} is not a number (write e.g. 0.25, -3, 1e-2 or 1/2).")


def _check_magnitude(size: Fraction | Decimal, where: str, shown: str) -> None:
    if size > MAX_MAGNITUDE:
        raise SymderivError(
            f"{where}: {shown} is larger than the limit of {MAX_MAGNITUDE:.0e} in magnitude."
        )


def number_from_toml(raw: Any, where: str) -> sp.Expr:
    """A value from a TOML table: an integer, a float or a string holding a number."""
    if isinstance(raw, bool):
        raise SymderivError(f"{where}: expected a number, got {str(raw).lower()}.")
    if isinstance(raw, int):
        return parse_number(str(raw), where)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise SymderivError(f"{where}: {raw} is not a finite number.")
        return parse_number(repr(raw), where)
    if isinstance(raw, str):
        return parse_number(raw, where)
    kinds = {list: "a list", dict: "a table"}
    kind = next((k for t, k in kinds.items() if isinstance(raw, t)), type(raw).__name__)
    raise SymderivError(f"{where}: expected a number, got {kind}.")


def default_values(network: Network) -> Values:
    """The documented defaults for any network (see the module docstring), with as many
    examples as the spec's `examples`."""
    weights = [p for node in network.nodes for p in node.weights]
    biases = [node.bias for node in network.nodes]
    m = network.spec.examples
    inputs = [s for _ in range(m) for s in network.inputs]
    targets = [s for _ in range(m) for s in network.targets]
    target_texts: tuple[str, ...] = TARGET_CYCLE
    if network.cost.targets_sum_to is not None:  # one-hot: the first class, in every example
        target_texts = (str(network.cost.targets_sum_to), *("0",) * (len(network.targets) - 1))
    numbers: list[tuple[sp.Symbol, sp.Expr]] = []
    for symbols, texts in (
        (inputs, INPUT_CYCLE),
        (targets, target_texts),
        (weights, WEIGHT_CYCLE),
        (biases, BIAS_CYCLE),
    ):
        for symbol, text in zip(symbols, islice(cycle(texts), len(symbols))):
            numbers.append((symbol, parse_number(text, symbol.name)))
    n_in, n_out = len(network.inputs), len(network.targets)
    x = [numbers[i * n_in : (i + 1) * n_in] for i in range(m)]
    y = [numbers[m * n_in + i * n_out : m * n_in + (i + 1) * n_out] for i in range(m)]
    point = dict(numbers[m * (n_in + n_out) :])
    point.update({**dict(x[0]), **dict(y[0])})
    ordered = {s: point[s] for s in network.base_variables}
    later = tuple({**dict(x[i]), **dict(y[i])} for i in range(1, m))
    return Values(ordered, parse_number(DEFAULT_LEARNING_RATE, "eta"), "the defaults", later)


def values_from_table(network: Network, table: Any, source: str = "[values]") -> Values:
    """Values from a spec's `[values]` table, shapes checked against the network."""
    if not isinstance(table, Mapping):
        raise SymderivError(f"{source} must be a table.")
    for key in table:
        if key not in TABLE_KEYS:
            raise SymderivError(f"{source}: " + did_you_mean("key", str(key), TABLE_KEYS))
    missing = [key for key in ("x", "y", "W", "b") if key not in table]
    if missing:
        raise SymderivError(
            f"{source} lacks {', '.join(missing)}: give x, y, W and b "
            "(one list per layer, W[l][j][k] for input k into node j of layer l + 1)."
        )
    xs = _examples(table["x"], network.inputs, "x", source)
    ys = _examples(table["y"], network.targets, "y", source)
    if len(xs) != len(ys):
        raise SymderivError(
            f"{source}: x gives {_count(len(xs))} and y gives {_count(len(ys))}: give one list "
            "of targets per list of inputs."
        )
    try:
        raw = point_from_lists(network, xs[0], ys[0], table["W"], table["b"])
    except SymderivError as err:
        raise SymderivError(f"{source}: {err}") from None
    places = _places(network, batch=_nested(table["x"]))
    point = {s: number_from_toml(raw[s], f"{source} {places[s]}") for s in network.base_variables}
    later = tuple(
        {
            s: number_from_toml(raw_value, f"{source} {name}[{i}][{k}] ({s.name})")
            for name, symbols, lists in (("x", network.inputs, xs), ("y", network.targets, ys))
            for k, (s, raw_value) in enumerate(zip(symbols, lists[i]))
        }
        for i in range(1, len(xs))
    )
    rate: Any = table.get("learning_rate", DEFAULT_LEARNING_RATE)
    learning_rate = _learning_rate(
        number_from_toml(rate, f"{source} learning_rate"), f"{source} learning_rate"
    )
    return Values(point, learning_rate, "the spec's [values] table", later)


def _count(m: int) -> str:
    return f"{m} example" if m == 1 else f"{m} examples"


def _nested(raw: Any) -> bool:
    """Whether `x` (or `y`) is given as one list per example."""
    return (
        isinstance(raw, (list, tuple))
        and bool(raw)
        and all(isinstance(e, (list, tuple)) for e in raw)
    )


def _examples(raw: Any, symbols: Sequence[sp.Symbol], name: str, source: str) -> list[Any]:
    """`x` (or `y`) as a list of examples: a list of lists is one example per inner list, a flat
    list is one example, and a single number is accepted for `[number]` when the network has one
    input (or output). Each example's width is checked here, saying which one is wrong."""
    if _nested(raw):
        if len(raw) > MAX_EXAMPLES:
            raise SymderivError(
                f"{source}: {name} gives {len(raw)} examples, more than the limit of "
                f"{MAX_EXAMPLES}."
            )
        for i, example in enumerate(raw):
            if len(example) != len(symbols):
                raise SymderivError(
                    f"{source}: {name}[{i}] (example {i + 1}) has {len(example)} values, "
                    f"expected {len(symbols)}."
                )
        return list(raw)
    if isinstance(raw, (list, tuple)) and any(isinstance(e, (list, tuple)) for e in raw):
        raise SymderivError(
            f"{source}: {name} mixes lists and numbers: write one flat list for one example, "
            f"or one list per example such as [[…], […]]."
        )
    if len(symbols) == 1 and not isinstance(raw, (list, tuple, Mapping)):
        return [[raw]]
    return [raw]


def _places(network: Network, *, batch: bool = False) -> dict[sp.Symbol, str]:
    """Where each symbol sits in the `x, y, W, b` lists, for error messages: `W[1][0][2]`
    (`x[0][1]` for the first example of a training set)."""
    first = "[0]" if batch else ""
    places = {s: f"x{first}[{k}]" for k, s in enumerate(network.inputs)}
    places.update({s: f"y{first}[{j}]" for j, s in enumerate(network.targets)})
    for i, layer in enumerate(network.layers):
        for j, node in enumerate(layer):
            places.update({w: f"W[{i}][{j}][{k}]" for k, w in enumerate(node.weights)})
            places[node.bias] = f"b[{i}][{j}]"
    return {s: f"{where} ({s.name})" for s, where in places.items()}


def _learning_rate(value: sp.Expr, where: str) -> sp.Expr:
    if not value > 0:
        raise SymderivError(f"{where} must be positive, got {value}.")
    return value


def parse_values_flag(text: str) -> dict[str, sp.Expr]:
    """`"x=0.5, w1=1/2"` as {name: number}; names are checked against a network later."""
    if len(text) > MAX_FLAG_CHARS:
        raise SymderivError(f"--values is longer than {MAX_FLAG_CHARS} characters.")
    found: dict[str, sp.Expr] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, number = item.partition("=")
        name = name.strip()
        shown = item.strip() if len(item.strip()) <= 40 else item.strip()[:40] + "…"
        if not sep or not _NAME.match(name):
            raise SymderivError(
                f"--values: cannot read {shown!r}: write name=number pairs separated by commas, "
                "e.g. x=0.5,y=1,w1=1/2."
            )
        if name in found:
            raise SymderivError(f"--values gives {name} twice.")
        found[name] = parse_number(number, f"--values {name}")
    if not found:
        raise SymderivError("--values is empty: write name=number pairs, e.g. x=0.5,w1=0.3.")
    return found


def resolve_values(network: Network, table: Any = None, flag: str | None = None) -> Values:
    """The values a command works with: the `[values]` table or the defaults, then `--values`
    (which names the first example's inputs and targets)."""
    require_concrete_cost(network)
    base = values_from_table(network, table) if table is not None else default_values(network)
    wanted = network.spec.examples
    if wanted not in (1, base.m):
        raise SymderivError(
            f"the spec says examples = {wanted} but [values] gives {_count(base.m)}: make them "
            "agree, or leave examples at 1 to let the values decide."
        )
    if flag is None:
        return base
    given = parse_values_flag(flag)
    by_name = {naming.shown_name(s.name): s for s in network.base_variables}  # as the user writes
    point = dict(base.point)
    learning_rate = base.learning_rate
    for name, number in given.items():
        if name in LEARNING_RATE_NAMES:
            learning_rate = _learning_rate(number, f"--values {name}")
        elif name in by_name:
            point[by_name[name]] = number
        else:
            raise SymderivError("--values: " + _unknown_name(name, [*by_name, "eta"]))
    return Values(point, learning_rate, f"{base.source}, changed on the command line", base.later)


def _unknown_name(name: str, valid: list[str]) -> str:
    """did_you_mean, without listing thousands of names for a wide network."""
    if len(valid) <= 24:
        return did_you_mean("name", name, valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"unknown name {name!r}.{hint} Names are x_k, y_j, w<layer>_<j>_<k>, b<layer>_<j> "
        "(as in w2_1_3) and eta."
    )


def require_concrete_cost(network: Network) -> None:
    """Numbers need a cost with a formula: the abstract `J(y, ŷ)` has none."""
    if network.cost.is_abstract:
        raise SymderivError(
            "the abstract cost J(y, ŷ) has no formula to put numbers into: choose a concrete "
            f"--cost ({', '.join(name for name, c in COSTS.items() if not c.is_abstract)})."
        )


def value_lists(network: Network, point: Mapping[sp.Symbol, sp.Expr]) -> dict[str, Any]:
    """`x, y, W, b` as nested lists in the `W[l][j][k]` convention (the oracle's)."""
    return {
        "x": [point[s] for s in network.inputs],
        "y": [point[s] for s in network.targets],
        "W": [[[point[w] for w in node.weights] for node in layer] for layer in network.layers],
        "b": [[point[node.bias] for node in layer] for layer in network.layers],
    }


def display_name(symbol: sp.Symbol) -> str:
    """The readable name of a network symbol, for messages (`w₂`, `x₁`)."""
    return naming.text_name(symbol.name) or symbol.name
