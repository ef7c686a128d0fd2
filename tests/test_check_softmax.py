"""`symderiv check` names the usual mistakes with a softmax output layer.

Every verdict is also computed without the engine (`tests.training_verdicts`: `sympy.diff` of
the fully nested cost, targets summing to 1 where the categorical cross-entropy assumes it); the
checker must agree, in plain text and LaTeX, and name the mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.check.batch import read_rows, run_batch
from symderiv.check.result import Mistake, Verdict
from symderiv.cli.main import cli
from symderiv.core.spec import NetworkSpec
from tests.training_verdicts import assert_judged_as_sympy_says


def softmax(*layers: int, cost: str = "categorical_cross_entropy", l2: str = "0") -> NetworkSpec:
    return NetworkSpec(layers=layers, output_activation="softmax", cost=cost, l2=l2)


TWO = softmax(1, 2)
THREE = softmax(2, 3)
SQUARED = softmax(1, 2, cost="squared_error")
DEEP = softmax(1, 2, 2)
DEEP_DECAY = softmax(1, 2, 2, l2="0.1")

YHAT1, Y1, Y2, X1 = r"\hat{y}_1", "y_1", "y_2", "x_1"
DIAGONAL = "softmax treated like an elementwise activation"

# (spec, param, plain, LaTeX, right?, mistake when wrong, words of the message)
CASES = [
    (TWO, "w1_1_1", "(yhat_1 - y_1)*x_1", rf"({YHAT1}-{Y1}){X1}", True, None, ""),
    (
        TWO,
        "w1_1_1",
        "(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*x_1",
        rf"({YHAT1}-{Y1}){YHAT1}(1-{YHAT1}){X1}",
        False,
        Mistake.JACOBIAN_DIAGONAL,
        DIAGONAL + ": (ŷ₁ − y₁)·ŷ₁·(1 − ŷ₁) multiplies ŷ₁ − y₁, which is already the whole delta",
    ),
    (
        TWO,
        "b1_1",
        "-y_1*(1 - yhat_1)",
        rf"-{Y1}(1-{YHAT1})",
        False,
        Mistake.JACOBIAN_DIAGONAL,
        "keeps only the diagonal entry ∂ŷ₁/∂z⁽¹⁾₁ = ŷ₁·(1 − ŷ₁) of its Jacobian",
    ),
    (
        TWO,
        "w1_1_1",
        "(y_1 - yhat_1)*x_1",
        rf"({Y1}-{YHAT1}){X1}",
        False,
        Mistake.SIGN,
        "sign error: the answer is −∂J/∂w⁽¹⁾₁₁ (δ⁽¹⁾₁ = ŷ₁ − y₁, not y₁ − ŷ₁)",
    ),
    (
        TWO,
        "w1_1_1",
        "-y_1/yhat_1*x_1",
        rf"-\frac{{{Y1}}}{{{YHAT1}}}{X1}",
        False,
        Mistake.MISSING_FACTOR,
        "missing the softmax's Jacobian ∂ŷₖ/∂z: -y₁/ŷ₁ is ∂J/∂ŷ₁ alone",
    ),
    (
        TWO,
        "w1_1_1",
        "(yhat_2 - y_1)*x_1",
        rf"(\hat{{y}}_2-{Y1}){X1}",
        False,
        Mistake.MIXED_INDICES,
        "ŷ₂ − y₁ where δ⁽¹⁾₁ = ŷ₁ − y₁",
    ),
    (
        THREE,
        "w1_2_1",
        "(yhat_2 - y_3)*x_1",
        r"(\hat{y}_2-y_3)x_1",
        False,
        Mistake.MIXED_INDICES,
        "ŷ₂ − y₃ where δ⁽¹⁾₂ = ŷ₂ − y₂ (output 2's own ŷ and y)",
    ),
    (
        THREE,
        "w1_2_1",
        "(yhat_1 - y_1)*x_1",
        r"(\hat{y}_1-y_1)x_1",
        False,
        Mistake.WRONG_DELTA,
        "wrong node's delta",
    ),
    (
        TWO,
        "w1_1_1",
        "yhat_1 - y_1",
        rf"{YHAT1}-{Y1}",
        False,
        Mistake.MISSING_FACTOR,
        "missing factor ∂z⁽¹⁾₁/∂w⁽¹⁾₁₁ = x₁",
    ),
    (
        SQUARED,
        "w1_1_1",
        "2*(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*x_1",
        rf"2({YHAT1}-{Y1}){YHAT1}(1-{YHAT1}){X1}",
        False,
        Mistake.JACOBIAN_DIAGONAL,
        "keeps only the diagonal entry",
    ),
    (
        SQUARED,
        "w1_1_1",
        "(yhat_1 - y_1)*x_1",
        rf"({YHAT1}-{Y1}){X1}",
        False,
        Mistake.WRONG_COST_DERIVATIVE,
        "the sum collapses to ŷ − y with the categorical cross-entropy, not with the squared error",
    ),
    (
        SQUARED,
        "w1_1_1",
        "2*(yhat_1 - y_1)*x_1",
        rf"2({YHAT1}-{Y1}){X1}",
        False,
        Mistake.MISSING_FACTOR,
        "missing the softmax's Jacobian",
    ),
    (
        SQUARED,
        "w1_1_1",
        "(2*(yhat_1 - y_1)*yhat_1*(1 - yhat_1) - 2*(yhat_2 - y_2)*yhat_2*yhat_1)*x_1",
        rf"\left(2({YHAT1}-{Y1}){YHAT1}(1-{YHAT1}) - 2(\hat{{y}}_2-{Y2})\hat{{y}}_2{YHAT1}\right)"
        rf"{X1}",
        True,
        None,
        "",
    ),
    (
        DEEP,
        "w1_1_1",
        "((yhat_1 - y_1)*w2_1_1 + (yhat_2 - y_2)*w2_2_1)*a1_1*(1 - a1_1)*x_1",
        r"\left((\hat{y}_1-y_1)w^{(2)}_{11} + (\hat{y}_2-y_2)w^{(2)}_{21}\right)"
        r"a^{(1)}_1(1-a^{(1)}_1)x_1",
        True,
        None,
        "",
    ),
    (
        DEEP,
        "w1_1_1",
        "(yhat_1 - y_1)*w2_1_1*a1_1*(1 - a1_1)*x_1",
        r"(\hat{y}_1-y_1)w^{(2)}_{11}a^{(1)}_1(1-a^{(1)}_1)x_1",
        False,
        Mistake.MISSING_TERMS,
        "forgotten sum over the 2 nodes that node 1 of layer 1 feeds",
    ),
    (
        DEEP,
        "w1_1_1",
        "((yhat_1 - y_1)*w2_1_1 + (yhat_2 - y_2)*w2_1_2)*a1_1*(1 - a1_1)*x_1",
        r"\left((\hat{y}_1-y_1)w^{(2)}_{11} + (\hat{y}_2-y_2)w^{(2)}_{12}\right)"
        r"a^{(1)}_1(1-a^{(1)}_1)x_1",
        False,
        Mistake.TRANSPOSED_INDICES,
        "w⁽²⁾₁₂ where w⁽²⁾₂₁ is meant",
    ),
    (
        DEEP,
        "b1_2",
        "((yhat_1 - y_1)*yhat_1*(1 - yhat_1)*w2_1_2"
        " + (yhat_2 - y_2)*yhat_2*(1 - yhat_2)*w2_2_2)*a1_2*(1 - a1_2)",
        r"\left((\hat{y}_1-y_1)\hat{y}_1(1-\hat{y}_1)w^{(2)}_{12}"
        r" + (\hat{y}_2-y_2)\hat{y}_2(1-\hat{y}_2)w^{(2)}_{22}\right)a^{(1)}_2(1-a^{(1)}_2)",
        False,
        Mistake.JACOBIAN_DIAGONAL,
        "(in the output deltas this gradient sums over)",
    ),
    (
        DEEP,
        "w1_1_1",
        "(-y_1/yhat_1*w2_1_1 - y_2/yhat_2*w2_2_1)*a1_1*(1 - a1_1)*x_1",
        r"\left(-\frac{y_1}{\hat{y}_1}w^{(2)}_{11} - \frac{y_2}{\hat{y}_2}w^{(2)}_{21}\right)"
        r"a^{(1)}_1(1-a^{(1)}_1)x_1",
        False,
        Mistake.MISSING_FACTOR,
        "missing the softmax's Jacobian",
    ),
    (
        DEEP_DECAY,
        "w2_2_1",
        "(yhat_2 - y_2)*a1_1",
        r"(\hat{y}_2-y_2)a^{(1)}_1",
        False,
        Mistake.MISSING_DECAY,
        "the weight-decay term λ·w⁽²⁾₂₁ is missing",
    ),
    (
        DEEP_DECAY,
        "w2_2_1",
        "(yhat_2 - y_2)*a1_1 + lambda*w2_2_1",
        r"(\hat{y}_2-y_2)a^{(1)}_1 + \lambda w^{(2)}_{21}",
        True,
        None,
        "",
    ),
    (
        DEEP_DECAY,
        "w2_2_1",
        "(yhat_2 - y_2)*yhat_2*(1 - yhat_2)*a1_1 + lambda*w2_2_1",
        r"(\hat{y}_2-y_2)\hat{y}_2(1-\hat{y}_2)a^{(1)}_1 + \lambda w^{(2)}_{21}",
        False,
        Mistake.JACOBIAN_DIAGONAL,
        "the weight-decay term λ·w⁽²⁾₂₁ is right; in the rest of the answer: " + DIAGONAL,
    ),
]


@pytest.mark.parametrize(
    ("spec", "param", "plain", "latex", "right", "mistake", "words"),
    CASES,
    ids=[f"{c[0].label}-{c[0].cost}:{c[1]}:{c[2]}" for c in CASES],
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


def test_command_line_one_liner() -> None:
    args = ["--layers", "1-2", "--output-activation", "softmax"]
    args += ["--cost", "categorical_cross_entropy", "-p", "w1_1_1"]
    result = CliRunner().invoke(cli, ["check", *args, "--", "-y_1/yhat_1*x_1"])
    assert result.exit_code == 1, result.output
    assert "missing the softmax's Jacobian" in result.output
    assert "unexplained" not in result.output


def test_batch_rows_name_the_softmax_mistakes(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(
        "id,param,answer,format\n"
        "a,w1_1_1,(yhat_1 - y_1)*x_1,\n"
        "b,w1_1_1,(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*x_1,plain\n"
        'c,w1_1_1,"(\\hat{y}_2-y_1)x_1",latex\n',
        encoding="utf-8",
    )
    report = run_batch(TWO, read_rows(answers), workers=1)
    assert [r.verdict for r in report.results] == [
        Verdict.CORRECT,
        Verdict.INCORRECT,
        Verdict.INCORRECT,
    ]
    mistakes = [r.diagnosis.mistake if r.diagnosis else None for r in report.results]
    assert mistakes == [None, Mistake.JACOBIAN_DIAGONAL, Mistake.MIXED_INDICES]
