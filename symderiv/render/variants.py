"""What differs between students' exercise sheets: which gradients are asked, and the numbers.

A sheet without a seed asks the first weight and the bias of the first node of each layer and
uses the given numbers. A seeded sheet draws both from its own random generator, seeded by the
seed and the variant's number, so the same seed gives the same sheets on every machine: a node
and one of its weights per layer, and short decimals a student can compute with (inputs and
weights in tenths, never 0; biases in tenths up to ±0.5; targets 0 or 1). Drawn numbers that put
an input sum exactly on an activation's kink (ReLU at 0), where the slope is only a convention,
are drawn again.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop, Gradient
from symderiv.numbers.evaluate import evaluate
from symderiv.numbers.values import Values, resolve_values

#: Largest number of variants written at once.
MAX_VARIANTS = 500
#: Tenths drawn for inputs and weights (±0.1 … ±1.0 and ±0.1 … ±0.9) and for biases (±0.1 … ±0.5).
INPUT_TENTHS = tuple(t for t in range(-10, 11) if t != 0)
WEIGHT_TENTHS = tuple(t for t in range(-9, 10) if t != 0)
BIAS_TENTHS = tuple(t for t in range(-5, 6) if t != 0)
TARGETS = ("0", "1")
#: Draws tried before numbers on a kink are accepted all the same.
KINK_ATTEMPTS = 50


@dataclass(frozen=True)
class Variant:
    """One student's sheet: its number (None for a single sheet) and the generator it draws
    from (None: nothing is drawn; the first parameters and the given numbers are used)."""

    number: int | None
    rng: random.Random | None

    @property
    def label(self) -> str:
        """`variant-07` (two digits at least), the directory the variant is written into."""
        return "" if self.number is None else f"variant-{self.number:02d}"


def variants(seed: int | None, count: int | None) -> list[Variant]:
    """The sheets to write: one unseeded, one seeded, or `count` seeded by `seed` (0 if unset)."""
    if count is None:
        rng = None if seed is None else random.Random(f"symderiv exercises {seed}")
        return [Variant(None, rng)]
    if not 1 <= count <= MAX_VARIANTS:
        raise SymderivError(f"--variants must be from 1 to {MAX_VARIANTS}, not {count}.")
    base = 0 if seed is None else seed
    return [
        Variant(n, random.Random(f"symderiv exercises {base} variant {n}"))
        for n in range(1, count + 1)
    ]


def choose_gradients(
    backprop: Backprop, params: str | None, rng: random.Random | None
) -> list[Gradient]:
    """The gradients asked: those named (`w2,b2` or `all`), else one weight and one bias of one
    node per layer (the first node and input, or drawn by `rng`), output layer first."""
    network = backprop.network
    if params is not None and params.strip().lower() == "all":
        chosen = list(backprop.gradients)
    elif params is not None:
        names = [name.strip() for name in params.split(",") if name.strip()]
        if not names:
            raise SymderivError("--params is empty: name parameters such as w1,b2, or all.")
        chosen = [backprop.gradient_written(name) for name in dict.fromkeys(names)]
    else:
        chosen = []
        for layer in network.layers:
            node = layer[0] if rng is None else rng.choice(layer)
            weight = node.weights[0] if rng is None else rng.choice(node.weights)
            chosen += [backprop.gradient(weight.name), backprop.gradient(node.bias.name)]
    order = {g.parameter: i for i, g in enumerate(backprop.gradients)}
    return sorted(chosen, key=lambda g: (-g.node.layer, order[g.parameter]))


def random_table(network: Network, rng: random.Random) -> dict[str, Any]:
    """A `[values]` table of short decimals for `network` (one example), drawn by `rng`."""

    def tenths(choices: Sequence[int]) -> str:
        return f"{rng.choice(choices) / 10:g}"

    return {
        "x": [tenths(INPUT_TENTHS) for _ in network.inputs],
        "y": [rng.choice(TARGETS) for _ in network.targets],
        "W": [
            [[tenths(WEIGHT_TENTHS) for _ in node.weights] for node in layer]
            for layer in network.layers
        ],
        "b": [[tenths(BIAS_TENTHS) for _ in layer] for layer in network.layers],
    }


def on_a_kink(backprop: Backprop, point: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """Whether some input sum sits exactly where its activation has no derivative."""
    values = evaluate(backprop, point).values
    return any(
        node.activation.kink is not None and values[node.z] == node.activation.kink
        for node in backprop.network.nodes
    )


def sheet_values(
    backprop: Backprop, variant: Variant, table: Any = None, flag: str | None = None
) -> Values:
    """The numbers of a sheet: the `[values]` table or the defaults, or drawn for a seeded
    variant; `--values` (`flag`) changes single ones either way."""
    network = backprop.network
    if variant.rng is None:
        return resolve_values(network, table, flag)
    if table is not None:
        raise SymderivError(
            "--seed and --variants draw the numbers: leave out the [values] table "
            "(--values may still fix single ones)."
        )
    for _ in range(KINK_ATTEMPTS):
        values = resolve_values(network, random_table(network, variant.rng), flag)
        if not on_a_kink(backprop, values.point):
            break
    return values
