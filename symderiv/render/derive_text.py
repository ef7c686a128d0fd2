"""What `symderiv derive` prints as text: the gradients asked for, with their deltas and forms."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop, Gradient
from symderiv.render.views import GradientForms


@dataclass(frozen=True)
class DeriveText:
    """Everything `templates/text/derive.txt.jinja` renders."""

    network: Network
    gradients: tuple[GradientForms, ...]


def derive_text(backprop: Backprop, gradients: Iterable[Gradient]) -> DeriveText:
    """The view of `gradients`; expanded forms are kept when small enough to print."""
    return DeriveText(backprop.network, tuple(GradientForms.of(backprop, g) for g in gradients))
