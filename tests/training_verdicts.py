"""Verdicts under weight decay and for softmax outputs, computed without the engine or the checker.

The truth is `sympy.diff` of the fully nested cost of `tests.verdicts` plus the L2 penalty
`(λ/2)·Σ w²` of one example (λ the spec's number, biases not decayed). An answer's `lambda` and
`m` are the spec's λ and 1, its local symbols and deltas put into the base variables as
`tests.verdicts` does (a delta is `∂J/∂b` of the cost without the penalty, which no bias is in).
Targets of a cost that assumes they sum to a total (the categorical cross-entropy) are drawn
that way: the derivation's `ŷ − y` holds only there.
"""

from __future__ import annotations

import random

import sympy as sp

from symderiv.check.judge import check_answer, judge_for
from symderiv.check.result import Mistake, Verdict
from symderiv.core.functions import rewrite_definitions
from symderiv.core.spec import NetworkSpec
from symderiv.parse.plain import parse_expression
from tests.verdicts import agree, in_base_variables, same_expression, truth_for, value_at

POINTS = 10


def cost(spec: NetworkSpec) -> sp.Expr:
    """The one-example cost with the L2 penalty, in the base variables."""
    truth = truth_for(spec)
    strength = sp.Rational(spec.l2.numerator, spec.l2.denominator)
    weights = [w for node in truth.network.nodes for w in node.weights]
    return truth.cost + strength / 2 * sp.Add(*(w**2 for w in weights))


def answer_in_base_variables(spec: NetworkSpec, answer: str) -> sp.Expr:
    strength = sp.Rational(spec.l2.numerator, spec.l2.denominator)
    constants = {sp.Symbol("lambda"): strength, sp.Symbol("m"): sp.Integer(spec.examples)}
    return in_base_variables(spec, parse_expression(answer).xreplace(constants))


def point(spec: NetworkSpec, rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    truth = truth_for(spec)
    targets = truth.network.targets
    values: dict[sp.Symbol, sp.Rational] = {}
    for symbol in truth.variables:
        if symbol in targets:
            values[symbol] = sp.Rational(rng.randint(5, 95), 100)
        else:
            values[symbol] = sp.Rational(rng.choice((-1, 1)) * rng.randint(10, 200), 100)
    if truth.network.cost.targets_sum_to is not None:
        total = sp.Add(*(values[y] for y in targets))
        for y in targets:
            values[y] = values[y] / total * truth.network.cost.targets_sum_to
    return values


def is_correct(spec: NetworkSpec, param: str, answer: str, seed: int = 0) -> bool:
    """Whether `answer` (plain text, read by the parser alone) equals ∂J/∂param of the cost
    with its penalty."""
    gradient = rewrite_definitions(sp.diff(cost(spec), sp.Symbol(param)))
    written = answer_in_base_variables(spec, answer)
    rng = random.Random(seed)
    for _ in range(POINTS):
        values = point(spec, rng)
        want, got = value_at(gradient, values), value_at(written, values)
        assert want is not None and got is not None
        if not agree(want, got):
            return False
    return True


def assert_judged_as_sympy_says(
    spec: NetworkSpec,
    param: str,
    plain: str,
    latex: str,
    right: bool,
    mistake: Mistake | None,
    words: str,
) -> None:
    """The checker's verdict on an answer, written in plain text and in LaTeX, is the one SymPy
    computes here; a wrong answer's mistake is the one named, in the words given."""
    assert is_correct(spec, param, plain) is right
    latex_reading = judge_for(spec).names.read(latex, parameter=param)
    assert latex_reading.input_format == "latex"
    assert same_expression(latex_reading.expr, parse_expression(plain))
    for answer in (plain, latex):
        result = check_answer(spec, param, answer)
        if right:
            assert result.verdict is Verdict.CORRECT, result.reason
            continue
        assert result.verdict is Verdict.INCORRECT, result.reason
        assert result.diagnosis is not None
        assert result.diagnosis.mistake is mistake, result.diagnosis.message
        assert words in result.diagnosis.message, result.diagnosis.message
