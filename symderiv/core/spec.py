"""What network to derive: layer sizes, activations and cost, from flags or a TOML file.

A spec is plain validated data; building SymPy expressions from it is `symderiv.core.network`'s job.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from symderiv.core import files
from symderiv.core.costs import COSTS, get_cost
from symderiv.core.errors import SpecError, did_you_mean
from symderiv.core.functions import ACTIVATIONS, check_layers, get_activation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: Largest network symderiv accepts: deeper or wider input is refused before any SymPy work.
MAX_DEPTH = 1024
MAX_WIDTH = 1024
MAX_PARAMETERS = 50_000
#: Largest spec file read.
MAX_SPEC_BYTES = 1_000_000

NETWORK_KEYS = ("layers", "hidden_activation", "output_activation", "cost", "l2", "examples")
#: Largest training set a symbolic derivation is written for, and the largest L2 strength.
MAX_EXAMPLES = 1024
MAX_L2 = 10**6
_LAYERS = re.compile(r"^\s*\d+(\s*[-,x]\s*\d+)*\s*$")


@dataclass(frozen=True)
class NetworkSpec:
    """Layer sizes `[n0, n1, ..., nL]` (n0 inputs), the activations and the cost."""

    layers: tuple[int, ...] = (1, 1, 1)
    hidden_activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    cost: str = "squared_error"
    l2: Fraction = Fraction(0)  # λ of the weight decay (λ/(2m)) Σ ‖W‖²; 0: none
    examples: int = 1  # m, the training-set size the symbolic derivation is written for

    def __post_init__(self) -> None:
        validate_layers(self.layers)
        object.__setattr__(self, "l2", parse_l2(self.l2))
        object.__setattr__(self, "examples", parse_examples(self.examples))
        object.__setattr__(self, "hidden_activation", get_activation(self.hidden_activation).name)
        object.__setattr__(self, "output_activation", get_activation(self.output_activation).name)
        object.__setattr__(self, "cost", get_cost(self.cost).name)
        hidden, output = ACTIVATIONS[self.hidden_activation], ACTIVATIONS[self.output_activation]
        check_layers(hidden, output, self.layers[-1])

    @property
    def depth(self) -> int:
        """Number of layers with parameters (L)."""
        return len(self.layers) - 1

    @property
    def is_chain(self) -> bool:
        """One node in every layer: names carry the layer only (`w2`, `δ1`)."""
        return all(n == 1 for n in self.layers)

    @property
    def parameter_count(self) -> int:
        return sum(n * (m + 1) for m, n in zip(self.layers, self.layers[1:]))

    @property
    def label(self) -> str:
        """`1-1-1`, as on the command line."""
        return "-".join(map(str, self.layers))

    def with_options(self, **options: Any) -> NetworkSpec:
        """A copy with the options that were given (None means: keep this spec's value)."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})


def parse_l2(value: Any) -> Fraction:
    """λ as an exact fraction: a number or a text such as `0.1` or `1/10`, at least 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Fraction)):
        raise SpecError(f"l2 must be a number such as 0.1 or 1/10, not {value!r}.")
    try:
        strength = Fraction(value.strip()) if isinstance(value, str) else Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise SpecError(f"l2 must be a number such as 0.1 or 1/10, not {value!r}.") from None
    if strength < 0:
        raise SpecError(f"l2 must be 0 or more (it is a penalty), not {value}.")
    if strength > MAX_L2:
        raise SpecError(f"l2 must be at most {MAX_L2}, not {value}.")
    return strength


def parse_examples(value: Any) -> int:
    """m, the number of training examples: a whole number from 1 to MAX_EXAMPLES."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXAMPLES:
        raise SpecError(f"examples must be a whole number from 1 to {MAX_EXAMPLES}, not {value!r}.")
    return value


def validate_layers(layers: tuple[int, ...]) -> None:
    """Refuse layer sizes that describe no network or one beyond the documented limits."""
    if len(layers) < 2:
        raise SpecError(
            f"a network needs at least two layer sizes (inputs and outputs), got {len(layers)}."
        )
    for size in layers:
        if isinstance(size, bool) or not isinstance(size, int):
            raise SpecError(f"layer sizes must be whole numbers, got {size!r}.")
        if size < 1:
            raise SpecError(f"every layer needs at least one node, got a layer of size {size}.")
        if size > MAX_WIDTH:
            raise SpecError(f"a layer of {size} nodes is wider than the limit of {MAX_WIDTH}.")
    if len(layers) - 1 > MAX_DEPTH:
        raise SpecError(f"{len(layers) - 1} layers is deeper than the limit of {MAX_DEPTH}.")
    count = sum(n * (m + 1) for m, n in itertools.pairwise(layers))
    if count > MAX_PARAMETERS:
        raise SpecError(
            f"the network has {count} parameters, more than the limit of {MAX_PARAMETERS}."
        )


def parse_layers(text: str) -> tuple[int, ...]:
    """`"1-1-1"` (or `"2,3,1"`) to `(1, 1, 1)`, with a clear error for anything else."""
    if len(text) > 10_000 or not _LAYERS.match(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise SpecError(
            f"cannot read layer sizes {shown!r}: write the node counts joined by '-', e.g. 1-1-1."
        )
    sizes = tuple(int(part) for part in re.split(r"[-,x]", text.replace(" ", "")))
    validate_layers(sizes)
    return sizes


def read_toml(path: Path) -> dict[str, Any]:
    """A spec file's tables, with one-line errors for unreadable or malformed files."""
    text = files.read_text(path, limit=MAX_SPEC_BYTES, kind="spec file", error=SpecError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: invalid TOML: {err}.") from None


def spec_from_table(table: Mapping[str, Any], *, source: str = "[network]") -> NetworkSpec:
    """A spec from a `[network]` table (keys as in NETWORK_KEYS; unknown keys are refused)."""
    if not isinstance(table, Mapping):
        raise SpecError(f"{source} must be a table.")
    for key in table:
        if key not in NETWORK_KEYS:
            raise SpecError(f"{source}: " + did_you_mean("key", key, NETWORK_KEYS))
    fields: dict[str, Any] = {}
    if "layers" in table:
        layers = table["layers"]
        if isinstance(layers, str):
            fields["layers"] = parse_layers(layers)
        elif isinstance(layers, list):
            fields["layers"] = tuple(layers)
        else:
            raise SpecError(f"{source}: layers must be a list such as [1, 1, 1].")
    for key in ("hidden_activation", "output_activation", "cost"):
        if key in table:
            if not isinstance(table[key], str):
                raise SpecError(f"{source}: {key} must be a string.")
            fields[key] = table[key]
    for key in ("l2", "examples"):
        if key in table:
            fields[key] = table[key]
    try:
        return NetworkSpec(**fields)
    except SpecError as error:
        raise SpecError(f"{source}: {error}") from None


def load_spec(path: Path) -> tuple[NetworkSpec, dict[str, Any]]:
    """The network spec in a TOML file, and the file's other tables (e.g. `[values]`)."""
    data = read_toml(path)
    network = data.pop("network", {})
    return spec_from_table(network, source=f"{path}: [network]"), data


CHOICES = {"activation": sorted(ACTIVATIONS), "cost": sorted(COSTS)}
