"""Judging a hand-derived gradient: correct, incorrect (with the mistake named) or cannot judge.

Equivalence is decided by evaluation, not by `simplify` (too slow on real gradients) or
`.equals()` (can freeze on some inputs). The answer and the derived gradient are evaluated at
random points (`symderiv.check.sample`) with `PRECISION` significant digits and compared with a
relative and an absolute tolerance:

- If too many points are skipped (either side not a finite real number there) the verdict is
  *cannot judge*, never a guess. So is a gradient that vanishes at nearly every point (inactive
  ReLU units).
- A difference is confirmed at 60 digits before the verdict is *incorrect*, and the point is
  shown as a counterexample; the diagnosis (`symderiv.check.diagnose`) names the mistake.
- The evaluator is the package's one (`symderiv.numbers.evaluate.Evaluator`): nothing is turned
  into Python code, and anything it does not know is refused as *cannot judge*.
- With L2 weight decay the truth is the one-example gradient plus `λ·w` for a weight
  (`symderiv.check.decay`); `lambda` and `m` in an answer are the spec's numbers. Over a training
  set (`examples` > 1) a parameter's gradient is a mean over examples that a scalar answer cannot
  write: *cannot judge*, saying what to check instead.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Sequence
from typing import Any

import sympy as sp

from symderiv.check import decay, messages
from symderiv.check.diagnose import Diagnoser
from symderiv.check.names import Names
from symderiv.check.result import CheckResult, Counterexample, Diagnosis, Verdict, cannot_judge
from symderiv.check.sample import MIN_INFORMATIVE, Sample, Sampler, seed
from symderiv.core import notation
from symderiv.core.errors import SymderivError
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import Backprop, Gradient, cost_symbol, derive
from symderiv.numbers.evaluate import (
    PRECISION,
    Evaluator,
    Passes,
    Undefined,
    Unsupported,
    close,
)
from symderiv.parse.plain import ParseError
from symderiv.render.printing import to_text

CONFIRM_PRECISION = 60  # digits a difference is confirmed with
MIN_POINTS = 8  # fewer comparable points than this: cannot judge


class Judge:
    """Everything needed to judge answers for one network: names, points, evaluators, truths."""

    def __init__(self, backprop: Backprop) -> None:
        self.backprop = backprop
        network = backprop.network
        self.network = network
        outputs = range(1, len(network.outputs) + 1)
        cost_symbols = (
            tuple(cost_symbol(network, j) for j in outputs) if network.cost.is_abstract else ()
        )
        self.passes = Passes(backprop, (*network.base_variables, *cost_symbols))
        self.names = Names(network, self.passes.order)
        zs = [node.z for node in network.nodes]
        # Targets a derivation assumes to sum to a total (softmax with the cross-entropy, where
        # δ = ŷ − y needs Σ y = 1) are drawn that way, so that an answer using it is judged right.
        assumed = dict.fromkeys(d.assumed.assumption for d in backprop.deltas if d.assumed)
        sums = [(sp.Add.make_args(eq.lhs), int(eq.rhs)) for eq in assumed if eq is not None]
        self.assuming = network.cost.assumption if sums else ""
        switches = [(*n.weights, n.bias) for n in network.nodes if n.activation.kink is not None]
        self.sampler = Sampler(self.passes, frozenset(network.targets), zs, sums, switches)
        self.diagnoser = Diagnoser(network, backprop.deltas)
        self.evaluators: dict[int, Evaluator] = {}

    def gradient(self, param: str) -> Gradient:
        """The gradient for `param`, also written `w_2` or in LaTeX (`w^{(2)}_{11}`)."""
        return self.backprop.gradient(self.names.parameter(param))

    def prepare(self, param: str, *, diagnosis: bool = False) -> None:
        """Compile what checking `param` needs now, so that forked children inherit it.

        With `diagnosis`, also the models of every mistake (worth it for a batch, where many
        answers share a parameter; a single correct answer never needs them).
        """
        from symderiv.check import matrix

        if (target := matrix.target(self, param)) is not None:
            return matrix.prepare(self, target)
        try:
            gradient = self.gradient(param)
        except SymderivError:
            return
        evaluator = self.evaluator(PRECISION)
        for _, expr in self.passes.steps:
            evaluator.compile(expr)
        evaluator.compile(decay.truth(self.network, gradient).value)
        if diagnosis:
            self.diagnoser.prepare(gradient, evaluator)

    def evaluator(self, digits: int) -> Evaluator:
        if digits not in self.evaluators:
            self.evaluators[digits] = Evaluator(digits, self.passes.slots)
        return self.evaluators[digits]

    def check(self, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        """The verdict on `answer` for `∂J/∂param`; user errors become *cannot judge*.

        Names are read and written in the notation the judge was made in, whatever thread or
        process runs this."""
        with notation.using(self.names.notation):
            return self._check(param, _sentence_end_removed(answer), fmt)

    def _check(self, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        from symderiv.check import matrix  # W2, b2, delta1: the matrix form, entry by entry

        if (target := matrix.target(self, param)) is not None:
            return matrix.check(self, target, answer, fmt)
        try:
            gradient = self.gradient(param)
        except SymderivError as error:
            return cannot_judge(param, str(error))
        name = gradient.parameter.name
        examples = self.network.spec.examples
        if examples > 1:
            reason = messages.examples_scalar(
                name, examples, gradient.node.layer, gradient.is_weight, bool(self.network.spec.l2)
            )
            return cannot_judge(name, reason)
        try:
            reading = self.names.read(answer, fmt, parameter=name)
        except ParseError as error:
            return cannot_judge(name, str(error), error_position=error.position)
        except (SymderivError, RecursionError) as error:
            return cannot_judge(name, str(error) or messages.NESTED_TOO_DEEPLY)
        result = self.judged(gradient, reading.expr, answer, reading.input_format)
        for step, written in reading.steps:  # ∂J/∂w = A = B: every side must be the gradient
            if result.verdict is not Verdict.CORRECT:
                break
            later = self.judged(gradient, step, f"{answer}\x00{written}", reading.input_format)
            if later.verdict is not Verdict.CORRECT:
                note = messages.chained_step(written)
                read_as = f"{later.read_as}   ({note})" if later.read_as else None
                return dataclasses.replace(later, reason=f"{note}: {later.reason}", read_as=read_as)
        return result

    def judged(
        self, gradient: Gradient, expr: sp.Expr, text: str, input_format: str
    ) -> CheckResult:
        """The verdict on one expression read from an answer."""
        read_as = to_text(expr)
        try:
            expr = expr.xreplace(self.names.constants)
            return self.judge(gradient, expr, text, input_format, read_as)
        except Unsupported as error:
            return cannot_judge(
                gradient.parameter.name, str(error), read_as=read_as, input_format=input_format
            )

    def judge(
        self, gradient: Gradient, answer: sp.Expr, text: str, input_format: str, read_as: str
    ) -> CheckResult:
        name = gradient.parameter.name
        truth = decay.truth(self.network, gradient)
        evaluator = self.evaluator(PRECISION)
        answer_program = evaluator.compile(answer)
        truth_program = evaluator.compile(truth.value)
        rng = random.Random(seed(self.network.spec, name, text))
        found = self.sampler.sample(evaluator, truth_program, answer_program, rng)
        samples = found.samples
        common: dict[str, Any] = {
            "read_as": read_as,
            "input_format": input_format,
            "points": len(samples),
        }
        if len(samples) < MIN_POINTS:
            reason = messages.too_many_skipped(found.skipped, len(samples))
            return cannot_judge(name, reason, **common)
        confirmed = self.confirm(truth.value, answer, samples)
        if confirmed is not None:
            return CheckResult(
                Verdict.INCORRECT,
                name,
                messages.incorrect(messages.gradient(name)),
                diagnosis=self.diagnose(truth, evaluator, samples),
                counterexample=self.counterexample(*confirmed),
                **common,
            )
        if found.informative < MIN_INFORMATIVE:
            reason = messages.mostly_zero(messages.gradient(name), found.informative, len(samples))
            return cannot_judge(name, reason, **common)
        message = messages.correct(name, len(samples), self.assuming)
        return CheckResult(Verdict.CORRECT, name, message, **common)

    def diagnose(
        self, truth: decay.Truth, evaluator: Evaluator, samples: Sequence[Sample]
    ) -> Diagnosis:
        """The mistake behind a wrong answer; under weight decay, the decay term's first."""
        gradient = truth.gradient
        if not truth.strength:
            return self.diagnoser.diagnose(gradient, evaluator, samples)
        return decay.diagnose(
            truth,
            evaluator,
            samples,
            functools.partial(self.diagnoser.diagnose, gradient, evaluator),
            functools.partial(self.diagnoser.equal, evaluator),
        )

    def confirm(
        self, truth: sp.Expr, answer: sp.Expr, samples: Sequence[Sample]
    ) -> tuple[Sample, Any, Any] | None:
        """The worst differing point, confirmed at higher precision, or None if none differ."""
        differing = [s for s in samples if not close(s.answer, s.truth)]
        if not differing:
            return None
        differing.sort(key=lambda s: _relative_difference(s.answer, s.truth), reverse=True)
        precise = self.evaluator(CONFIRM_PRECISION)
        for sample in differing[:3]:
            slots = self.sampler.forward(precise, sample.draws)
            if slots is None:
                continue
            try:
                answer_value = precise.value(precise.compile(answer), slots)
                truth_value = precise.value(precise.compile(truth), slots)
            except Undefined:
                continue
            if not close(answer_value, truth_value):
                return sample, answer_value, truth_value
        return None

    def counterexample(self, sample: Sample, answer: Any, truth: Any) -> Counterexample:
        """The point with both values, to as many digits as it takes to tell them apart."""
        ctx = self.evaluator(CONFIRM_PRECISION).ctx
        digits = 10
        while digits < 30 and ctx.nstr(answer, digits) == ctx.nstr(truth, digits):
            digits += 5
        point = self.sampler.point(sample.draws)
        return Counterexample(point, ctx.nstr(answer, digits), ctx.nstr(truth, digits))


def _sentence_end_removed(answer: str) -> str:
    """The answer without the full stop or comma that ends it as a sentence (`δ₂a₁.`, `$…$,`)."""
    text = answer.rstrip()
    return text[:-1].rstrip() if text[-1:] in (".", ",", ";") else answer


def _relative_difference(a: Any, b: Any) -> Any:
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else abs(a - b)


def judge_for(spec: NetworkSpec) -> Judge:
    """The judge for a network in the notation in force, built once per spec and notation
    (deriving the network is the costly part)."""
    return _judge_for(spec, notation.current())


@functools.lru_cache(maxsize=8)
def _judge_for(spec: NetworkSpec, written: notation.Notation) -> Judge:
    return Judge(derive(spec))


def check_answer(
    spec: NetworkSpec | None, param: str, answer: str, *, fmt: str = "auto"
) -> CheckResult:
    """Judge `answer` in this process (bounded by the parser's limits, but not by time)."""
    return judge_for(spec or NetworkSpec()).check(param, answer, fmt)
