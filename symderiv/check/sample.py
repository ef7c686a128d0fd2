"""Random points at which an answer is compared with the gradient.

A point gives values to every base variable (`x`, `y`, `w`, `b`, and `∂J/∂ŷ` when the cost is
abstract) as short decimals; the derivation's own forward and backward passes give every `z`,
`a`, `ŷ` and `δ` there, so an answer may use any of those names. A point where either side is
not a finite real number, or where a `z` is 0 (ReLU's kink), is skipped and counted.

In a network whose units switch off (ReLU: zero for a negative input sum), random points rarely
reach a deep unit, and a gradient that is zero at nearly every point cannot tell a right answer
from one that forgets a unit's slope. There every third point is drawn positive (inputs, weights
and biases above 0: every unit on) and every third positive but for one unit, drawn at random,
whose weights and bias are negated (each unit in turn): that unit alone off, the units after it
still on.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symderiv.core.spec import NetworkSpec
from symderiv.numbers.evaluate import ATOL, Evaluator, Passes, Program, Undefined

TARGET_POINTS = 16  # points compared when all goes well
MIN_INFORMATIVE = 4  # points where the gradient is not zero
MAX_ATTEMPTS = 200  # points tried before giving up


@dataclass(frozen=True)
class Sample:
    """One comparable point: the decimals drawn, every slot's value, answer and truth."""

    draws: tuple[int, ...]  # hundredths, one per base slot
    slots: tuple[Any, ...]
    answer: Any
    truth: Any


@dataclass
class Sampling:
    """The points compared, and how many were skipped for which side (network, truth, answer)."""

    samples: list[Sample] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: {"network": 0, "truth": 0, "answer": 0})
    informative: int = 0  # samples where the gradient is not zero


class Sampler:
    """Draws points for one network and fills in its values there.

    `sums` are groups of targets drawn so that each group adds up to its total (the targets of a
    softmax output with the cross-entropy, which its derivation assumes sum to 1).
    """

    def __init__(
        self,
        passes: Passes,
        targets: frozenset[sp.Symbol],
        zs: Sequence[sp.Symbol],
        sums: Sequence[tuple[tuple[sp.Symbol, ...], int]] = (),
        switches: Sequence[Sequence[sp.Symbol]] = (),
    ):
        self.passes = passes
        self.base = passes.base
        self.targets = targets
        self.z_slots = tuple(passes.slots[z] for z in zs)
        self.sums = tuple(sums)
        # The weights and bias of each unit that can switch off, as places among the draws.
        place = {symbol: k for k, symbol in enumerate(self.base)}
        self.switches = tuple(
            places for group in switches if (places := tuple(place[s] for s in group if s in place))
        )

    def sample(
        self, evaluator: Evaluator, truth: Program, answer: Program, rng: random.Random
    ) -> Sampling:
        """Points until enough are comparable and informative, or MAX_ATTEMPTS were tried."""
        found = Sampling()
        for attempt in range(MAX_ATTEMPTS):
            draws = self.draw(rng, attempt)
            slots = self.forward(evaluator, draws)
            if slots is None:
                found.skipped["network"] += 1
                continue
            try:
                truth_value = evaluator.value(truth, slots)
            except Undefined:
                found.skipped["truth"] += 1
                continue
            try:
                value = evaluator.value(answer, slots)
            except Undefined:
                found.skipped["answer"] += 1
                continue
            found.samples.append(Sample(draws, tuple(slots), value, truth_value))
            found.informative += abs(truth_value) > ATOL
            if len(found.samples) >= self.wanted and found.informative >= MIN_INFORMATIVE:
                break
        return found

    @property
    def wanted(self) -> int:
        """Points compared: enough for each unit that can switch off to be off once."""
        return min(max(TARGET_POINTS, 3 * len(self.switches)), MAX_ATTEMPTS // 2)

    def draw(self, rng: random.Random, attempt: int = 0) -> tuple[int, ...]:
        """Hundredths for every base variable: targets in [0.05, 0.95] (or positive parts of
        their group's total), others ±[0.1, 2]; for the `attempt`s that call for it, with every
        unit on, or all but one (see the module's note)."""
        mode = attempt % 3 if self.switches else 0
        grouped: dict[sp.Symbol, int] = {}
        for group, total in self.sums:
            grouped.update(zip(group, parts(rng, total, len(group))))
        draws = []
        for symbol in self.base:
            if symbol in grouped:
                draws.append(grouped[symbol])
            elif symbol in self.targets:
                draws.append(rng.randint(5, 95))
            else:
                sign = 1 if mode else rng.choice((-1, 1))
                draws.append(sign * rng.randint(10, 200))
        if mode == 2:  # each unit in turn
            for k in self.switches[(attempt // 3) % len(self.switches)]:
                draws[k] = -draws[k]
        return tuple(draws)

    def forward(self, evaluator: Evaluator, draws: Sequence[int]) -> list[Any] | None:
        """Every slot's value at a point, or None where the network itself is undefined."""
        ctx = evaluator.ctx
        try:
            slots = self.passes.run(evaluator, [ctx.mpf(k) / 100 for k in draws])
        except Undefined:
            return None
        if any(abs(slots[i]) < 1e-9 for i in self.z_slots):
            return None  # on a kink (ReLU at 0): derivatives there are a convention
        return slots

    def point(self, draws: Sequence[int]) -> tuple[tuple[str, str], ...]:
        """The base variables' names with the exact decimals drawn for them."""
        return tuple((s.name, _decimal(k)) for s, k in zip(self.base, draws))


def parts(rng: random.Random, total: int, count: int) -> list[int]:
    """`count` hundredths adding up to `total`: random cuts of [0, total], each part at least
    0.01 where there is room for that."""
    hundredths = 100 * total
    least = 1 if count <= hundredths else 0
    free = hundredths - least * count
    cuts = sorted(rng.randint(0, free) for _ in range(count - 1))
    return [least + b - a for a, b in zip([0, *cuts], [*cuts, free])]


def seed(spec: NetworkSpec, param: str, answer: str) -> int:
    """Points depend on the question and the answer only: the same input, the same report."""
    key = f"{spec!r}\x00{param}\x00{answer}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def _decimal(hundredths: int) -> str:
    """`-137` → `-1.37`, `50` → `0.5`: the exact value drawn."""
    sign = "-" if hundredths < 0 else ""
    whole, part = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{part:02d}".rstrip("0").rstrip(".")
