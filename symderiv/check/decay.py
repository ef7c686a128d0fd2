"""A scalar answer under L2 weight decay: the gradient it must equal, and the decay's mistakes.

With the cost `J = J⁽¹⁾ + (λ/(2m)) Σ_l ‖W^l‖²` of one example (m = 1), a weight's gradient is
its per-example gradient plus `λ·w` (`δ·input + λ·w`); a bias is not decayed. The per-example
part is the engine's (`Gradient.value`); this module adds the decay term, and names what an
answer did with it: left it out, kept the ½ of the cost (`λ/2·w`), doubled it (`2λ·w`), dropped
the weight (`λ` alone) or flipped its sign. An answer whose decay term is right but whose
per-example part is wrong is diagnosed on that part, by the chain-rule diagnosis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.check import messages
from symderiv.check.result import Diagnosis, Mistake
from symderiv.check.sample import Sample
from symderiv.core.network import Network
from symderiv.engine.derivation import Gradient
from symderiv.numbers.evaluate import Evaluator, Undefined, Unsupported
from symderiv.render.printing import to_text


@dataclass(frozen=True)
class Truth:
    """What an answer for one parameter must equal: the per-example gradient plus `decay`."""

    gradient: Gradient
    strength: sp.Expr  # λ, the spec's number (0: no weight decay)

    @property
    def decay(self) -> sp.Expr:
        """`λ·w` for a weight; 0 for a bias, which is not decayed."""
        return self.strength * self.gradient.parameter if self.gradient.is_weight else sp.S.Zero

    @property
    def value(self) -> sp.Expr:
        return self.gradient.value + self.decay if self.decay else self.gradient.value


def truth(network: Network, gradient: Gradient) -> Truth:
    """The gradient of the one-example cost with the spec's weight decay."""
    l2 = network.spec.l2
    return Truth(gradient, sp.Rational(l2.numerator, l2.denominator))


def decay_models(truth: Truth) -> list[tuple[sp.Expr, str | None, str]]:
    """(what the answer would be, its decay term as shown, why) for each mistake in the decay
    term; for a weight the first has no decay term at all, for a bias the one model decays it."""
    p = truth.gradient.parameter
    shown = to_text(p)
    strength = truth.strength
    per_example = truth.gradient.value
    if not truth.gradient.is_weight:
        return [(per_example + strength * p, f"λ·{shown}", "bias")]
    written: list[tuple[sp.Expr, str | None, str]] = [
        (sp.S.Zero, None, "missing"),
        (strength * p / 2, f"(λ/2)·{shown}", "half"),
        (2 * strength * p, f"2λ·{shown}", "double"),
        (strength, "λ", "alone"),
        (-strength * p, f"−λ·{shown}", "sign"),
        (strength * p**2 / 2, messages.penalty(shown, "_" in p.name), "penalty"),
    ]
    return [(per_example + value, found, why) for value, found, why in written]


def diagnose(
    truth: Truth,
    evaluator: Evaluator,
    samples: Sequence[Sample],
    per_example: Callable[[Sequence[Sample]], Diagnosis],
    equal: Callable[[sp.Expr, Sequence[Sample]], bool],
) -> Diagnosis:
    """The mistake in the decay term if that explains the answer; else the per-example part's
    mistake, found on the answer less the right decay term, or — when that names nothing — on
    the answer as it is, the decay term then left out as well."""
    w = truth.gradient.parameter
    right = f"λ·{to_text(w)}"
    square = messages.penalty(to_text(w), "_" in w.name)
    for model, found, why in decay_models(truth):
        if not equal(model, samples):
            continue
        if found is None:
            message = messages.missing_decay(right, square, w.name)
            return Diagnosis(Mistake.MISSING_DECAY, message, None, right)
        message = messages.wrong_decay(found, right, square, why)
        return Diagnosis(Mistake.WRONG_DECAY, message, None, right, found)
    if not truth.gradient.is_weight:
        return per_example(samples)
    less_decay = _shifted(evaluator, truth.decay, samples)
    if less_decay is not None:
        rest = per_example(less_decay)
        if rest.mistake is not Mistake.UNEXPLAINED:
            return dataclasses.replace(rest, message=messages.decay_right(right, rest.message))
    without = per_example(samples)
    if without.mistake is Mistake.UNEXPLAINED:
        return Diagnosis(Mistake.UNEXPLAINED, messages.unexplained_decay(w.name, right))
    return dataclasses.replace(without, message=without.message + messages.and_missing_decay(right))


def _shifted(
    evaluator: Evaluator, decay: sp.Expr, samples: Sequence[Sample]
) -> list[Sample] | None:
    """The samples with the decay term taken off both the answer and the truth."""
    try:
        program = evaluator.compile(decay)
        shifted = []
        for sample in samples:
            value = evaluator.value(program, sample.slots)
            less = dataclasses.replace(sample, answer=sample.answer - value)
            shifted.append(dataclasses.replace(less, truth=sample.truth - value))
    except (Undefined, Unsupported):
        return None
    return shifted
