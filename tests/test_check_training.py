"""`symderiv check` under L2 weight decay (`--l2`) and over a training set (`--examples`).

Every verdict is also computed without the engine (`tests.training_verdicts`: `sympy.diff` of
the fully nested cost plus `(λ/2)·Σ w²`); the checker must agree with it, in plain text and in
LaTeX, and name the mistake in the decay term.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.check.batch import read_rows, run_batch, write_report
from symderiv.check.judge import check_answer
from symderiv.check.result import Mistake, Verdict
from symderiv.cli.main import cli
from symderiv.core.spec import NetworkSpec
from tests.training_verdicts import assert_judged_as_sympy_says

DECAY = NetworkSpec(l2="0.1")
WIDE = NetworkSpec(layers=(2, 2, 1), l2="1/4", hidden_activation="tanh")

# (spec, param, plain, LaTeX, right?, mistake when wrong, words of the message)
CASES = [
    (DECAY, "w2", "delta2*a1 + lambda*w2", r"\delta_2 a_1 + \lambda w_2", True, None, ""),
    (DECAY, "w2", "delta2*a1 + 0.1*w2", r"\delta_2 a_1 + 0.1 w_2", True, None, ""),
    (
        DECAY,
        "w2",
        "delta2*a1 + lambda/m*w2",
        r"\delta_2 a_1 + \frac{\lambda}{m} w_2",
        True,
        None,
        "",
    ),
    (DECAY, "w2", "δ₂·a₁ + λ·w₂", r"\delta_{2} a_{1} + \lambda\, w_{2}", True, None, ""),
    (
        DECAY,
        "w1",
        "delta2*w2*a1*(1 - a1)*x + lambda*w1",
        r"\delta_2 w_2 a_1(1-a_1) x + \lambda w_1",
        True,
        None,
        "",
    ),
    (DECAY, "b2", "delta2", r"\delta_2", True, None, ""),
    (
        DECAY,
        "w2",
        "delta2*a1",
        r"\delta_2 a_1",
        False,
        Mistake.MISSING_DECAY,
        "the weight-decay term λ·w₂ is missing",
    ),
    (
        DECAY,
        "w2",
        "delta2*a1 + lambda/2*w2",
        r"\delta_2 a_1 + \frac{\lambda}{2} w_2",
        False,
        Mistake.WRONG_DECAY,
        "(λ/2)·w₂ where λ·w₂ is meant",
    ),
    (
        DECAY,
        "w2",
        "delta2*a1 + 2*lambda*w2",
        r"\delta_2 a_1 + 2\lambda w_2",
        False,
        Mistake.WRONG_DECAY,
        "2λ·w₂ where λ·w₂ is meant",
    ),
    (
        DECAY,
        "w2",
        "delta2*a1 + lambda",
        r"\delta_2 a_1 + \lambda",
        False,
        Mistake.WRONG_DECAY,
        "λ where λ·w₂ is meant",
    ),
    (
        DECAY,
        "w2",
        "delta2*a1 - lambda*w2",
        r"\delta_2 a_1 - \lambda w_2",
        False,
        Mistake.WRONG_DECAY,
        "−λ·w₂ where λ·w₂ is meant",
    ),
    (
        DECAY,
        "b2",
        "delta2 + lambda*b2",
        r"\delta_2 + \lambda b_2",
        False,
        Mistake.WRONG_DECAY,
        "biases are not decayed",
    ),
    (
        DECAY,
        "w2",
        "2*(yhat - y)*a1 + lambda*w2",
        r"2(\hat{y}-y)a_1 + \lambda w_2",
        False,
        Mistake.MISSING_FACTOR,
        "the weight-decay term λ·w₂ is right; in the rest of the answer: missing factor ∂ŷ/∂z₂",
    ),
    (
        DECAY,
        "w2",
        "delta2*x",
        r"\delta_2 x",
        False,
        Mistake.WRONG_INPUT,
        "wrong input: x where ∂z₂/∂w₂ = a₁; and the weight-decay term λ·w₂ is missing",
    ),
    (
        WIDE,
        "w1_2_1",
        "delta1_2*x_1",
        r"\delta^{(1)}_2 x_1",
        False,
        Mistake.MISSING_DECAY,
        "λ·w⁽¹⁾₂₁ is missing: the L2 penalty (λ/2)·(w⁽¹⁾₂₁)²",
    ),
    (
        WIDE,
        "w1_2_1",
        "delta1_2*x_1 + lambda*w1_2_1",
        r"\delta^{(1)}_2 x_1 + \lambda w^{(1)}_{21}",
        True,
        None,
        "",
    ),
]


@pytest.mark.parametrize(
    ("spec", "param", "plain", "latex", "right", "mistake", "words"),
    CASES,
    ids=[f"{c[1]}:{c[2]}" for c in CASES],
)
def test_verdicts_agree_with_sympy_in_plain_text_and_latex(
    spec: NetworkSpec,
    param: str,
    plain: str,
    latex: str,
    right: bool,
    mistake: Mistake | None,
    words: str,
) -> None:
    assert_judged_as_sympy_says(spec, param, plain, latex, right, mistake, words)


def test_lambda_and_m_are_shown_as_names_and_judged_as_the_specs_numbers() -> None:
    result = check_answer(DECAY, "w2", r"\delta_2 a_1 + \frac{\lambda}{m} w_2")
    assert result.read_as == "a₁·δ₂ + λ·w₂/m"
    # without --l2, λ is 0: the answer without the decay term is the gradient
    assert check_answer(NetworkSpec(), "w2", "delta2*a1 + lambda*w2").verdict is Verdict.CORRECT
    assert check_answer(NetworkSpec(), "w2", "delta2*a1 + 0.1*w2").verdict is Verdict.INCORRECT


@pytest.mark.parametrize(
    ("param", "words"),
    [
        (
            "w2",
            "check the whole matrix, --param W2, as (1/m) Δ^{(2)} (A^{(1)})^\\top + (λ/m) W^{(2)}",
        ),
        ("w1", "--param W1, as (1/m) Δ^{(1)} X^\\top + (λ/m) W^{(1)}"),
        ("b2", "leave out --examples to check one example's gradient"),
    ],
)
def test_a_scalar_parameter_over_a_training_set_cannot_be_judged(param: str, words: str) -> None:
    spec = NetworkSpec(l2="0.1", examples=4)
    result = check_answer(spec, param, "delta2*a1 + lambda/m*w2")
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert "is a mean over the 4 examples, which a scalar answer cannot write" in result.reason
    assert words in result.reason
    assert "\n" not in result.reason


def test_without_decay_the_training_set_message_has_no_decay_term() -> None:
    result = check_answer(NetworkSpec(examples=3), "w2", "delta2*a1")
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert result.reason.endswith(
        "check the whole matrix, --param W2, as (1/m) Δ^{(2)} (A^{(1)})^\\top, "
        "or leave out --examples to check one example's gradient"
    )


# ---------------------------------------------------------------------------- command line


def test_command_line_one_liners() -> None:
    runner = CliRunner()
    wrong = runner.invoke(cli, ["check", "delta2*a1", "--param", "w2", "--l2", "0.1"])
    assert wrong.exit_code == 1, wrong.output
    assert "the weight-decay term λ·w₂ is missing" in wrong.output
    right = runner.invoke(cli, ["check", r"\delta_2 a_1 + \lambda w_2", "-p", "w2", "--l2", "0.1"])
    assert right.exit_code == 0, right.output
    assert "read as:        a₁·δ₂ + λ·w₂" in right.output
    plain = runner.invoke(cli, ["check", "delta2*a1 + lambda*w2", "-p", "w2", "--l2", "0.1"])
    assert plain.exit_code == 0, plain.output
    refused = runner.invoke(
        cli, ["check", "delta2*a1", "-p", "w2", "--l2", "0.1", "--examples", "3"]
    )
    assert refused.exit_code == 2, refused.output
    assert "--param W2" in refused.output
    assert "Traceback" not in refused.output


def test_batch_rows_under_weight_decay(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(
        "id,param,answer,format\n"
        "a,w2,delta2*a1 + lambda*w2,plain\n"
        "b,w2,\\delta_2 a_1,latex\n"
        "c,w2,delta2*a1 + lambda/2*w2,\n"
        "d,b2,delta2,\n",
        encoding="utf-8",
    )
    report = run_batch(DECAY, read_rows(answers), workers=1)
    assert [r.verdict for r in report.results] == [
        Verdict.CORRECT,
        Verdict.INCORRECT,
        Verdict.INCORRECT,
        Verdict.CORRECT,
    ]
    out = tmp_path / "out"
    write_report(report, out)
    with (out / "report.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["mistake"] for row in rows] == ["", "missing_decay", "wrong_decay", ""]
    assert "λ·w₂ is missing" in rows[1]["message"]
