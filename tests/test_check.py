"""Judging hand derivations: verdicts, diagnoses, counterexamples, hostile input, the sandbox."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy as sp

from symderiv.check import sandbox
from symderiv.check.judge import Judge, check_answer, judge_for
from symderiv.check.limited import check
from symderiv.check.result import CheckResult, Mistake, Verdict
from symderiv.core.functions import rewrite_definitions
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers.evaluate import Evaluator, Unsupported

SEED = NetworkSpec()
HALF = NetworkSpec(cost="half_squared_error")
BCE = NetworkSpec(cost="binary_cross_entropy")
ABSTRACT = NetworkSpec(cost="abstract")
DEEP = NetworkSpec(layers=(1, 1, 1, 1))
WIDE = NetworkSpec(layers=(2, 2, 1))
BRANCHING = NetworkSpec(layers=(2, 2, 2))
TANH = NetworkSpec(hidden_activation="tanh", cost="half_squared_error")
RELU = NetworkSpec(layers=(1, 1, 1, 1), hidden_activation="relu")

# w2 of the seed network, ∂J/∂w2 = 2(ŷ − y)·ŷ(1 − ŷ)·a1, written every way a student might
SEED_W2 = [
    "2*(yhat - y)*yhat*(1 - yhat)*a1",
    "2 (yhat - y) * yhat*(1 - yhat) a1",
    "2*(a2 - y)*a2*(1 - a2)*a1",  # a_L is ŷ
    "2*(a_2 - y)*a_2*(1 - a_2)*a_1",
    "2(ŷ − y)·ŷ·(1 − ŷ)·a₁",
    "-2*(y - yhat)*yhat*(1 - yhat)*a1",
    "2*yhat^2*a1 - 2*yhat^3*a1 - 2*y*yhat*a1 + 2*y*yhat^2*a1",  # multiplied out
    "2*(σ(z2) - y)*σ(z2)*(1 - σ(z2))*σ(z1)",
    "2*(sigmoid(z2) - y)*sigmoid(z2)*(1 - sigmoid(z2))*a1",
    "2*(1/(1 + e^(-z2)) - y)*e^(-z2)/(1 + e^(-z2))^2*a1",  # σ' from its definition
    "2*(1/(1 + exp(-z2)) - y)*exp(-z2)/(1 + exp(-z2))^2*a1",
    "2*(σ(w2*σ(w1*x + b1) + b2) - y)*σ(w2*σ(w1*x + b1) + b2)*(1 - σ(w2*σ(w1*x + b1) + b2))"
    "*σ(w1*x + b1)",  # base variables only
    "delta2*a1",
    "δ₂·a₁",
    "δ2 a1",
    "(yhat - y)*yhat*(1 - yhat)*a1*2",
    "(yhat - y)*yhat*(1 - yhat)*a1/(1/2)",
    "exp(ln(2))*(yhat - y)*yhat*(1 - yhat)*a1",
    r"2(\hat{y}-y)\hat{y}(1-\hat{y})a_1",
    r"2\left(\hat{y} - y\right)\cdot\hat{y}\left(1 - \hat{y}\right)\cdot a_{1}",
    r"2(\hat{y}-y)\sigma'(z_2) a_1",
    r"2(\sigma(z_2)-y)\sigma(z_2)(1-\sigma(z_2))\,\sigma(z_1)",
    r"\frac{2(\hat{y}-y)\hat{y}(1-\hat{y})a_1}{1}",
    r"2(\hat{y}-y)\frac{e^{-z_2}}{(1+e^{-z_2})^{2}} a_1",
    r"2(\hat{y}-y)\frac{\exp(-z_2)}{\left(1+\exp(-z_2)\right)^2} a_1",
    r"\delta_2 a_1",
    r"\delta_{2} \times a_{1}",
    r"$2(\hat{y}-y)\hat{y}(1-\hat{y})a_1$",
]


@pytest.mark.parametrize("answer", SEED_W2)
def test_equivalent_forms_are_correct(answer: str) -> None:
    result = check_answer(SEED, "w2", answer)
    assert result.verdict is Verdict.CORRECT, result.reason
    assert result.exit_code == 0
    assert result.points >= 8
    assert result.diagnosis is None and result.counterexample is None


CORRECT = [  # (spec, parameter, answer): other networks and costs
    (SEED, "w1", "2*(yhat - y)*yhat*(1 - yhat)*w2*a1*(1 - a1)*x"),
    (SEED, "w1", "delta1*x"),
    (SEED, "w1", "delta2*w2*a1*(1 - a1)*x"),
    (SEED, "w_1", r"\delta_2 w_2 \sigma'(z_1) x"),
    (SEED, "b1", "delta1"),
    (SEED, "b2", "2*(yhat - y)*yhat*(1 - yhat)"),
    (HALF, "w2", "(yhat - y)*yhat*(1 - yhat)*a1"),
    (HALF, "b1", r"(\hat{y}-y)\hat{y}(1-\hat{y})w_2 a_1(1-a_1)"),
    (BCE, "w2", "(yhat - y)*a1"),  # σ' cancels against the cost's denominator
    (BCE, "w2", r"\frac{\hat{y}-y}{\hat{y}(1-\hat{y})}\hat{y}(1-\hat{y})a_1"),
    (BCE, "w2", "(-y/yhat + (1 - y)/(1 - yhat))*yhat*(1 - yhat)*a1"),
    (BCE, "w1", "(yhat - y)*w2*a1*(1 - a1)*x"),
    (ABSTRACT, "w2", "dJ_dyhat*yhat*(1 - yhat)*a1"),
    (ABSTRACT, "w2", r"\frac{\partial J}{\partial \hat{y}}\sigma'(z_2)a_1"),
    (ABSTRACT, "b1", "delta2*w2*a1*(1 - a1)"),
    (DEEP, "w1", "delta3*w3*a2*(1 - a2)*w2*a1*(1 - a1)*x"),
    (DEEP, "w1", "2*(yhat - y)*yhat*(1 - yhat)*w3*a2*(1 - a2)*w2*a1*(1 - a1)*x"),
    (DEEP, "b2", "delta2"),
    (DEEP, "w3", r"2(\hat{y}-y)\hat{y}(1-\hat{y})a_2"),
    (WIDE, "w1_1_2", "2*(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*w2_1_1*a1_1*(1 - a1_1)*x_2"),
    (WIDE, "w1_1_2", r"\delta^{(1)}_{1} x_{2}"),
    (WIDE, r"w^{(1)}_{12}", r"\delta^{(2)}_{1} w^{(2)}_{11} a^{(1)}_{1}(1-a^{(1)}_{1}) x_2"),
    (WIDE, "w2_1_2", r"2(\hat{y}_1-y_1)\hat{y}_1(1-\hat{y}_1) a^{(1)}_{2}"),
    (WIDE, "w2_1_2", "delta2_1*a1_2"),
    (WIDE, "w2_1_2", "2*(a2_1 - y_1)*a2_1*(1 - a2_1)*a1_2"),
    (BRANCHING, "w1_1_1", "(delta2_1*w2_1_1 + delta2_2*w2_2_1)*a1_1*(1 - a1_1)*x_1"),
    (BRANCHING, "b1_2", "delta1_2"),
    (TANH, "w1", "(yhat - y)*yhat*(1 - yhat)*w2*(1 - a1^2)*x"),
    (TANH, "w1", r"(\hat{y}-y)\sigma'(z_2) w_2 (1-\tanh^2(z_1)) x"),
    (RELU, "w1", "delta3*w3*Heaviside(z2)*w2*Heaviside(z1)*x"),
    (RELU, "w2", "delta2*a1"),
]


@pytest.mark.parametrize(("spec", "param", "answer"), CORRECT)
def test_correct_answers_on_other_networks_and_costs(
    spec: NetworkSpec, param: str, answer: str
) -> None:
    result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.CORRECT, result.reason


WRONG = [  # (spec, parameter, answer, mistake, words of the message)
    (SEED, "w2", "2*(y - yhat)*yhat*(1 - yhat)*a1", Mistake.SIGN, "sign error"),
    (SEED, "w2", "-delta2*a1", Mistake.SIGN, "sign error"),
    (SEED, "w2", "(yhat - y)*yhat*(1 - yhat)*a1", Mistake.CONSTANT, "the 2 from"),
    (SEED, "w2", "4*(yhat - y)*yhat*(1 - yhat)*a1", Mistake.CONSTANT, "2 × ∂J/∂w₂"),
    (HALF, "w2", "2*(yhat - y)*yhat*(1 - yhat)*a1", Mistake.CONSTANT, "½"),
    (SEED, "w2", "0", Mistake.ZERO, "0 everywhere"),
    (SEED, "w2", "2*(yhat - y)*a1", Mistake.MISSING_FACTOR, "σ'(z₂)"),
    (SEED, "w2", r"2(\hat{y}-y)a_1", Mistake.MISSING_FACTOR, "∂ŷ/∂z₂"),
    (SEED, "w2", "yhat*(1 - yhat)*a1", Mistake.MISSING_FACTOR, "∂J/∂ŷ = 2·(ŷ − y)"),
    (SEED, "w2", "delta2", Mistake.MISSING_FACTOR, "∂z₂/∂w₂ = a₁"),
    (SEED, "w1", "2*(yhat - y)*yhat*(1 - yhat)*a1*(1 - a1)*x", Mistake.MISSING_FACTOR, "w₂"),
    (SEED, "w1", "delta2*w2*x", Mistake.MISSING_FACTOR, "σ'(z₁)"),
    (SEED, "b2", "delta2*a1", Mistake.EXTRA_FACTOR, "extra factor a₁"),
    (SEED, "w2", "delta2*a1*a1", Mistake.EXTRA_FACTOR, "appears twice"),
    (SEED, "w2", "2*(yhat - y)*yhat*(1 - yhat)*x", Mistake.WRONG_INPUT, "x where ∂z₂/∂w₂ = a₁"),
    (SEED, "w2", r"\delta_2 x", Mistake.WRONG_INPUT, "wrong input"),
    (SEED, "w1", "delta1*a1", Mistake.WRONG_INPUT, "a₁ where ∂z₁/∂w₁ = x"),
    (SEED, "w1", "delta2*w1*a1*(1 - a1)*x", Mistake.WRONG_WEIGHT, "w₁ where ∂z₂/∂a₁ = w₂"),
    (SEED, "w2", "2*(yhat - y)*yhat^2*a1", Mistake.WRONG_ACTIVATION_DERIVATIVE, "ŷ^2"),
    (SEED, "w2", "2*(yhat - y)*yhat*a1", Mistake.WRONG_ACTIVATION_DERIVATIVE, "ŷ where"),
    (SEED, "w2", r"2(\hat{y}-y)\sigma^2(z_2)a_1", Mistake.WRONG_ACTIVATION_DERIVATIVE, "σ'"),
    (SEED, "w2", "2*(yhat - y)*z2*(1 - z2)*a1", Mistake.WRONG_ACTIVATION_DERIVATIVE, "z₂"),
    (SEED, "w1", "delta2*w2*yhat*(1 - yhat)*x", Mistake.WRONG_ACTIVATION_DERIVATIVE, "σ'(z₁)"),
    (BCE, "w2", "(yhat - y)*yhat*(1 - yhat)*a1", Mistake.WRONG_COST_DERIVATIVE, "∂J/∂ŷ"),
    (BCE, "w2", "-y/yhat*yhat*(1 - yhat)*a1", Mistake.WRONG_COST_DERIVATIVE, "wrong cost"),
    (
        TANH,
        "w1",
        "(yhat - y)*yhat*(1 - yhat)*w2*(1 - z1^2)*x",
        Mistake.WRONG_ACTIVATION_DERIVATIVE,
        "tanh'(z₁)",
    ),
    (RELU, "w1", "delta3*w3*z2*w2*Heaviside(z1)*x", Mistake.WRONG_ACTIVATION_DERIVATIVE, "ReLU'"),
    (DEEP, "w1", "delta3*w3*w2*a1*(1 - a1)*x", Mistake.MISSING_FACTOR, "∂a₂/∂z₂"),
    (DEEP, "w1", "delta3*w3*w2*x", Mistake.MISSING_FACTOR, "missing factors"),
    (WIDE, "w1_1_2", r"\delta^{(1)}_{1} x_{1}", Mistake.WRONG_INPUT, "x₁ where"),
    (WIDE, "w1_1_2", "delta2_1*w2_1_2*a1_1*(1 - a1_1)*x_2", Mistake.WRONG_WEIGHT, "w⁽²⁾₁₂"),
    (BRANCHING, "w1_1_1", "(delta2_1*w2_1_1 + delta2_2*w2_2_1)*x_1", Mistake.MISSING_FACTOR, "σ'"),
    (
        BRANCHING,
        "w1_1_1",
        "delta2_1*w2_1_1*a1_1*(1 - a1_1)*x_1",
        Mistake.MISSING_TERMS,
        "missing δ⁽²⁾₂·w⁽²⁾₂₁",
    ),
    (SEED, "w2", "dJ_dyhat*a1", Mistake.MISSING_FACTOR, "σ'(z₂)"),  # ∂J/∂ŷ of the cost
    (SEED, "w2", "2*(y - yhat)*a1", Mistake.MISSING_FACTOR, "and a sign error"),
    (SEED, "w2", "sin(x)", Mistake.UNEXPLAINED, "no single chain-rule mistake"),
]


@pytest.mark.parametrize(("spec", "param", "answer", "mistake", "words"), WRONG)
def test_wrong_answers_are_diagnosed(
    spec: NetworkSpec, param: str, answer: str, mistake: Mistake, words: str
) -> None:
    result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.INCORRECT, result.reason
    assert result.exit_code == 1
    assert result.diagnosis is not None
    assert result.diagnosis.mistake is mistake, result.diagnosis.message
    assert words in result.diagnosis.message
    assert result.counterexample is not None


def test_diagnosis_names_the_factor_its_value_and_what_was_found() -> None:
    result = check_answer(SEED, "w2", "2*(yhat - y)*yhat^2*a1")
    assert result.diagnosis is not None
    assert result.diagnosis.factor == "∂ŷ/∂z₂"
    assert result.diagnosis.expected == "ŷ·(1 − ŷ)"
    assert result.diagnosis.found == "ŷ^2"
    constant = check_answer(SEED, "w2", "(yhat - y)*yhat*(1 - yhat)*a1").diagnosis
    assert constant is not None and constant.constant == "1/2"


@pytest.mark.parametrize(
    ("spec", "param", "answer"),
    [
        (SEED, "w2", "2*(yhat - y)*a1"),
        (SEED, "w1", "delta2*w1*a1*(1 - a1)*x"),
        (BCE, "w2", "(yhat - y)*yhat*(1 - yhat)*a1"),
        (WIDE, "w1_1_2", "delta1_1*x_1"),
        (ABSTRACT, "w2", "dJ_dyhat*a1"),
    ],
)
def test_counterexample_values_agree_with_an_independent_evaluation(
    spec: NetworkSpec, param: str, answer: str
) -> None:
    """Plug the counterexample into `sympy.diff` of the nested cost and into the answer."""
    result = check_answer(spec, param, answer)
    example = result.counterexample
    assert example is not None
    backprop = derive(spec)
    network = backprop.network
    point = {sp.Symbol(name): sp.Rational(value) for name, value in example.point}
    nested = rewrite_definitions(network.nested_cost())
    truth = sp.diff(nested, sp.Symbol(result.param))
    judge = judge_for(spec)
    read = judge.names.read(answer).expr.xreplace(dict(backprop.expanded_deltas))
    read = rewrite_definitions(read.xreplace(network.nested))
    if network.cost.is_abstract:  # ∂J/∂ŷ is a variable of its own
        symbol = sp.Symbol("dJ_dyhat")
        truth = rewrite_definitions(backprop.in_base_variables(backprop.gradient(param)))
        truth = truth.xreplace({symbol: point[symbol]})
        read = read.xreplace({symbol: point[symbol]})
    expected = sp.N(truth.xreplace(point), 30)
    got = sp.N(read.xreplace(point), 30)
    assert abs(expected - sp.Float(example.expected, 30)) <= 1e-9 * abs(expected)
    assert abs(got - sp.Float(example.answer, 30)) <= 1e-9 * max(abs(got), 1e-30)
    assert abs(expected - got) > 1e-6 * abs(expected)


@pytest.mark.parametrize(
    ("spec", "param"),
    [(SEED, "w1"), (SEED, "b2"), (BCE, "w1"), (DEEP, "w1"), (WIDE, "w1_2_1"), (TANH, "b1")],
)
def test_the_judge_s_truth_is_sympy_diff_of_the_nested_cost(spec: NetworkSpec, param: str) -> None:
    """The forward/backward evaluation equals differentiating the fully nested cost."""
    judge = judge_for(spec)
    gradient = judge.gradient(param)
    evaluator = judge.evaluator(30)
    draws = tuple(37 * (i + 1) % 150 + 10 for i in range(len(judge.sampler.base)))
    slots = judge.sampler.forward(evaluator, draws)
    assert slots is not None
    value = evaluator.value(evaluator.compile(gradient.value), slots)
    network = judge.network
    point = {s: sp.Rational(k, 100) for s, k in zip(judge.sampler.base, draws)}
    nested = rewrite_definitions(network.nested_cost())
    expected = sp.N(sp.diff(nested, gradient.parameter).xreplace(point), 30)
    assert abs(float(value) - float(expected)) <= 1e-20 + 1e-15 * abs(float(expected))


# ---------------------------------------------------------------------------- cannot judge

CANNOT_JUDGE = [  # (spec, parameter, answer, words of the reason)
    (SEED, "w2", "2*(yaht - y)*yhat*(1 - yhat)*a1", "Did you mean 'yhat'?"),
    (SEED, "w2", "2*(yhat - y)*eta*a1", "unknown symbol 'eta'"),
    (SEED, "w2", "xy", "For a product write x*y"),
    (SEED, "w2", "a3", "unknown symbol 'a3'"),
    (SEED, "w2", "delta3*a1", "Did you mean 'delta2'?"),
    (SEED, "w2", "dJ_dw2*a1", "a gradient, not a factor"),
    (WIDE, "w1_1_1", "delta1*x_1", "Did you mean"),
    (SEED, "w2", r"2(\hat{y}-y)\hat{x}", r"only \hat{y}"),
    (SEED, "w2", "ln(-x^2 - 1)", "not a finite real number"),
    (SEED, "w2", "1/(x - x)", "undefined value"),
    (SEED, "w2", "", "empty expression"),
    (SEED, "w9", "x", "unknown parameter 'w9'"),
    (SEED, "w2", "2*(yhat - y)", "time"),  # replaced below: the time limit case is separate
]


@pytest.mark.parametrize(("spec", "param", "answer", "words"), CANNOT_JUDGE[:-1])
def test_cannot_judge_with_the_reason(
    spec: NetworkSpec, param: str, answer: str, words: str
) -> None:
    result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert result.exit_code == 2
    assert words in result.reason


def test_unknown_symbol_points_at_it() -> None:
    result = check_answer(SEED, "w2", "2*(yhat - y)*yhat*(1 - yhat)*aa1")
    assert result.error_position == 29
    latex = check_answer(SEED, "w2", r"2(\hat{y}-y)\hat{y}(1-\hat{y}) q_1")
    assert latex.error_position == 31
    assert "q_1" in latex.reason


def test_a_deep_relu_gradient_is_judged_at_points_that_switch_each_unit() -> None:
    """Eight ReLU layers: ∂J/∂w1 vanishes unless every unit is on (about 1 random point in 256),
    so points are also drawn with every unit on, and with each unit in turn off."""
    spec = NetworkSpec(layers=(1,) * 10, hidden_activation="relu")
    right = check_answer(spec, "w1", "delta1*x")
    assert right.verdict is Verdict.CORRECT, right.reason
    slope_forgotten = check_answer(spec, "w1", "delta2*w2*x")
    assert slope_forgotten.verdict is Verdict.INCORRECT, slope_forgotten.reason
    assert slope_forgotten.diagnosis is not None
    assert "ReLU'(z₁)" in slope_forgotten.diagnosis.message
    deep_slope_forgotten = check_answer(spec, "w1", "delta3*w3*w2*relu'(z1)*x")
    assert deep_slope_forgotten.verdict is Verdict.INCORRECT


def test_unknown_functions_are_refused_by_the_evaluator() -> None:
    evaluator = Evaluator(30, {sp.Symbol("x"): 0})
    with pytest.raises(Unsupported, match="gamma"):
        evaluator.compile(sp.gamma(sp.Symbol("x")))
    with pytest.raises(Unsupported, match="no value"):
        evaluator.compile(sp.Symbol("q"))


def test_tolerance_tells_rounding_from_a_real_difference() -> None:
    truth = "2*(yhat - y)*yhat*(1 - yhat)*a1"
    assert check_answer(SEED, "w2", f"{truth}*(1 + 10^(-25))").verdict is Verdict.CORRECT
    assert check_answer(SEED, "w2", f"{truth} + 10^(-10)").verdict is Verdict.INCORRECT
    assert check_answer(SEED, "w2", f"{truth}*(1 + 10^(-12))").verdict is Verdict.INCORRECT


def test_same_input_same_report() -> None:
    first = check_answer(SEED, "w1", "delta1*a1")
    assert check_answer(SEED, "w1", "delta1*a1") == first
    assert CheckResult.from_json(first.to_json()) == first


def test_json_keeps_its_keys_and_their_order() -> None:
    """The JSON that `--json`, batch reports and the judging child share."""
    result = check_answer(SEED, "w2", "2*(yhat - y)*a1")
    data = json.loads(json.dumps(result.to_json()))
    assert list(data) == [
        "verdict",
        "param",
        "reason",
        "read_as",
        "format",
        "points",
        "diagnosis",
        "counterexample",
        "error_position",
    ]
    assert data["verdict"] == "incorrect" and data["format"] == "plain"
    assert list(data["diagnosis"]) == [
        "mistake",
        "message",
        "factor",
        "expected",
        "found",
        "constant",
    ]
    assert data["diagnosis"]["mistake"] == "missing_factor"
    assert list(data["counterexample"]) == ["point", "answer", "expected"]
    assert list(data["counterexample"]["point"]) == [s.name for s in judge_for(SEED).sampler.base]
    assert CheckResult.from_json(data) == result


def test_a_judge_is_built_once_per_network() -> None:
    assert judge_for(SEED) is judge_for(NetworkSpec())
    assert isinstance(judge_for(SEED), Judge)


# ---------------------------------------------------------------------------- hostile input


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    '__import__("os").system("touch {marker}")',
    "lambda: 1",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "().__ｃｌａｓｓ__",
    'eval(\'open("{marker}", "w")\')',
    "exec('import os')",
    "getattr(x, '__globals__')",
    "open('{marker}', 'w').write('x')",
    "x; import os",
    "[c for c in ().__class__.__bases__]",
    'Symbol(\'__import__("os").system("touch {marker}")\')',
    r"\input{/etc/passwd}",
    r"\input{{marker}}",
    r"\def\a{\a}\a",
    r"\immediate\write18{{touch {marker}}}",
    r"\csname x\endcsname",
    r"{x + 1",
    r"x + 1}}",
    r"9^{9^{9^{9}}}",
    "9^9^9",
    "10**10**10",
    "1e99999999",
    "x" * 1_000_000,
    "x+" * 500_000 + "x",
    "(" * 1_000 + "x" + ")" * 1_000,
    r"\frac{" * 300 + "x" + "}{2}" * 300,
    r"\sigma'(" * 20 + "x" + ")" * 20,
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_answer_gives_a_clear_error_runs_nothing_within_the_limit(
    template: str, tmp_path: Path, tripwires: list[str]
) -> None:
    marker = tmp_path / "PWNED"
    start = time.perf_counter()
    result = check(SEED, "w2", template.replace("{marker}", str(marker)), timeout=5)
    assert time.perf_counter() - start < 5
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert result.reason.startswith("cannot parse expression: ")
    assert tripwires == []
    assert not marker.exists()


@pytest.mark.parametrize(
    "answer",
    ["exp(exp(exp(exp(x))))", "x^1000 * exp(1000*w1)", "(1 + x)^1000 - (1 + x)^999", "e^(e^(e^9))"],
)
def test_huge_values_are_skipped_not_computed(answer: str) -> None:
    start = time.perf_counter()
    result = check(SEED, "w2", answer, timeout=5)
    assert time.perf_counter() - start < 5
    assert result.verdict is not Verdict.CORRECT


def test_the_time_limit_ends_a_slow_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(self: Judge, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        time.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(Judge, "check", slow)
    start = time.perf_counter()
    result = check(SEED, "w2", "delta2*a1", timeout=0.5)
    assert time.perf_counter() - start < 3
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert "time limit of 0.5 s exceeded" in result.reason


def test_an_internal_error_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Judge, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        raise KeyError("boom")

    monkeypatch.setattr(Judge, "check", broken)
    result = check(SEED, "w2", "delta2*a1")
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert "internal error" in result.reason and "KeyError" in result.reason


def test_the_sandboxed_check_agrees_with_the_in_process_one() -> None:
    for answer in ("delta2*a1", "2*(yhat - y)*a1", "yaht"):
        assert check(SEED, "w2", answer) == check_answer(SEED, "w2", answer)


# ---------------------------------------------------------------------------- sandbox


def _double(value: int) -> dict[str, int]:
    return {"value": 2 * value}


def _spin() -> None:
    while True:
        pass


def _sleep() -> None:
    time.sleep(60)


def _hog() -> None:
    blocks = []
    while True:
        blocks.append(bytearray(64 << 20))


def _raise() -> None:
    raise ValueError("bad input")


def _not_json() -> object:
    return object()


def _abort() -> None:
    os.abort()


def _chatty() -> str:
    return "x" * 5_000


def _no_zombies() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


LIMITS = sandbox.Limits(seconds=1, memory_bytes=256 << 20)


@pytest.mark.parametrize(
    ("function", "status", "words"),
    [
        (_spin, sandbox.TIMEOUT, "time limit of 1 s"),
        (_sleep, sandbox.TIMEOUT, "time limit of 1 s"),
        (_hog, sandbox.MEMORY, "memory"),
        (_raise, sandbox.ERROR, "ValueError: bad input"),
        (_not_json, sandbox.ERROR, "not JSON"),
        (_abort, sandbox.CRASHED, "SIGABRT"),
    ],
)
def test_sandbox_contains_runaway_functions(
    function: Callable[[], object], status: str, words: str
) -> None:
    start = time.perf_counter()
    outcome = sandbox.run_limited(function, limits=LIMITS)
    assert time.perf_counter() - start < 4
    assert outcome.status == status
    assert words in outcome.message
    _no_zombies()


def test_sandbox_returns_json_results_and_limits_their_size() -> None:
    assert sandbox.run_limited(_double, 21) == sandbox.Outcome("ok", {"value": 42})
    small = sandbox.Limits(seconds=1, output_bytes=1_000)
    assert sandbox.run_limited(_chatty, limits=small).status == sandbox.ERROR


def test_sandbox_map_runs_every_job_in_parallel_and_cleans_up() -> None:
    outcomes = dict(sandbox.map_limited(_double, [(i,) for i in range(20)], workers=3))
    assert {i: o.value["value"] for i, o in outcomes.items()} == {i: 2 * i for i in range(20)}
    start = time.perf_counter()
    jobs = sandbox.map_limited(_sleep_briefly, [(0.3,)] * 4, workers=4)
    assert len(list(jobs)) == 4
    assert time.perf_counter() - start < 1.0  # four 0.3 s jobs side by side
    _no_zombies()


def _sleep_briefly(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def test_sandbox_kills_children_when_the_caller_stops_early() -> None:
    jobs = sandbox.map_limited(_double_or_sleep, [(i,) for i in range(6)], workers=3)
    first = next(jobs)
    assert first[1].ok
    jobs.close()  # the sleeping children are killed, not left behind
    _no_zombies()


def _double_or_sleep(value: int) -> dict[str, int]:
    if value:
        time.sleep(60)
    return _double(value)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        sandbox.Limits(seconds=0)
    with pytest.raises(ValueError):
        sandbox.Limits(seconds=float("inf"))
    with pytest.raises(ValueError):
        sandbox.Limits(memory_bytes=0)
    with pytest.raises(ValueError):
        list(sandbox.map_limited(_double, [(1,)], workers=0))
