"""The mistakes `symderiv check` names, in plain text and LaTeX, with tanh and ReLU hidden layers.

Every answer here is wrong by `sympy.diff` of the fully nested cost (`tests.verdicts`), and its
counterexample is checked against the same independent evaluation; the test then asserts which
mistake the diagnosis names, and what it says.
"""

from __future__ import annotations

import pytest

from symderiv.check.judge import check_answer, judge_for
from symderiv.check.result import Mistake, Verdict
from symderiv.core.spec import NetworkSpec
from symderiv.parse.plain import parse_expression
from tests.verdicts import answer_at, gradient_at, is_correct, same_expression

SEED = NetworkSpec()
WIDE = NetworkSpec(layers=(2, 2, 1))
ACTIVATIONS = ("sigmoid", "tanh", "relu")


def prime(activation: str, node: int | None = None) -> tuple[str, str]:
    """The hidden activation's derivative at z of node `node` of layer 1 (None: a chain
    network's z1), written out in plain text and in LaTeX."""
    a, z = ("a1", "z1") if node is None else (f"a1_{node}", f"z1_{node}")
    la, lz = ("a_1", "z_1") if node is None else (f"a^{{(1)}}_{node}", f"z^{{(1)}}_{node}")
    return {
        "sigmoid": (f"{a}*(1 - {a})", rf"{la}\left(1-{la}\right)"),
        "tanh": (f"(1 - {a}^2)", rf"\left(1-({la})^2\right)"),
        "relu": (f"Heaviside({z}, 0)", rf"\operatorname{{ReLU}}'({lz})"),
    }[activation]


def chain(activation: str) -> NetworkSpec:
    return NetworkSpec(hidden_activation=activation)


def wide(activation: str, hidden: int = 2, outputs: int = 2) -> NetworkSpec:
    return NetworkSpec(layers=(2, hidden, outputs), hidden_activation=activation)


def cases() -> list[tuple[str, NetworkSpec, str, str, str, Mistake, str]]:
    """(name, spec, param, plain answer, LaTeX answer, mistake, words of the message)."""
    found = []
    for act in ACTIVATIONS:
        d, dl = prime(act)
        d1, dl1 = prime(act, 1)
        d2, dl2 = prime(act, 2)
        found += [
            (
                f"{act}-wrong-argument-output",
                chain(act),
                "w1",
                f"2*(yhat - y)*sigmoid'(yhat)*w2*{d}*x",
                rf"2(\hat{{y}}-y)\sigma'(\hat{{y}})w_2 {dl} x",
                Mistake.WRONG_ARGUMENT,
                "σ'(ŷ) where ∂ŷ/∂z₂ = σ'(z₂)",
            ),
            (
                f"{act}-wrong-argument-output-input",
                chain(act),
                "w2",
                "2*(yhat - y)*sigmoid'(a1)*a1",
                r"2(\hat{y}-y)\sigma'(a_1)a_1",
                Mistake.WRONG_ARGUMENT,
                "taken at the input sum z₂, not at a₁",
            ),
            (
                f"{act}-missing-activation-derivative",
                chain(act),
                "w1",
                "delta2*w2*x",
                r"\delta_2 w_2 x",
                Mistake.MISSING_FACTOR,
                "∂a₁/∂z₁",
            ),
            (
                f"{act}-wrong-weight",
                chain(act),
                "w1",
                f"delta2*w1*{d}*x",
                rf"\delta_2 w_1 {dl} x",
                Mistake.WRONG_WEIGHT,
                "w₁ where ∂z₂/∂a₁ = w₂",
            ),
            (
                f"{act}-slip-1-minus-z-squared",
                chain(act),
                "w1",
                "delta2*w2*(1 - z1^2)*x",
                r"\delta_2 w_2 (1-z_1^2) x",
                Mistake.WRONG_ACTIVATION_DERIVATIVE,
                "1 − z₁^2 where ∂a₁/∂z₁",
            ),
            (
                f"{act}-transposed-parameter",
                wide(act),
                "w1_1_2",
                "delta1_2*x_1",
                r"\delta^{(1)}_{2} x_{1}",
                Mistake.TRANSPOSED_INDICES,
                "δ⁽¹⁾₂·x₁ is ∂J/∂w⁽¹⁾₂₁; w⁽¹⁾₁₂ joins x₂ to node 1",
            ),
            (
                f"{act}-transposed-parameter-expanded",
                wide(act, outputs=1),
                "w1_1_2",
                f"2*(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*w2_1_2*{d2}*x_1",
                rf"2(\hat{{y}}_1-y_1)\hat{{y}}_1(1-\hat{{y}}_1)W^{{[2]}}_{{12}}{dl2} x_1",
                Mistake.TRANSPOSED_INDICES,
                "is ∂J/∂w⁽¹⁾₂₁",
            ),
            (
                f"{act}-wrong-delta",
                wide(act),
                "w1_1_2",
                "delta1_2*x_2",
                r"\delta^{[1]}_2 x_2",
                Mistake.WRONG_DELTA,
                "δ⁽¹⁾₂ where w⁽¹⁾₁₂ belongs to node 1 of layer 1, whose delta is δ⁽¹⁾₁",
            ),
            (
                f"{act}-wrong-delta-bias",
                wide(act),
                "b1_2",
                "delta1_1",
                r"\delta^{(1)}_{1}",
                Mistake.WRONG_DELTA,
                "whose delta is δ⁽¹⁾₂",
            ),
            (
                f"{act}-forgotten-sum",
                wide(act),
                "w1_1_1",
                f"delta2_1*w2_1_1*{d1}*x_1",
                rf"\delta^{{(2)}}_1 w^{{(2)}}_{{11}} {dl1} x_1",
                Mistake.MISSING_TERMS,
                "has only δ⁽²⁾₁·w⁽²⁾₁₁ (missing δ⁽²⁾₂·w⁽²⁾₂₁)",
            ),
            (
                f"{act}-forgotten-sum-of-three",
                wide(act, outputs=3),
                "w1_2_1",
                f"(delta2_1*w2_1_2 + delta2_3*w2_3_2)*{d2}*x_1",
                r"\left(\delta^{[2]}_1 W^{[2]}_{12} + \delta^{[2]}_3 W^{[2]}_{32}\right)"
                + dl2
                + " x_1",
                Mistake.MISSING_TERMS,
                "(missing δ⁽²⁾₂·w⁽²⁾₂₂)",
            ),
            (
                f"{act}-transposed-weight-in-the-sum",
                wide(act),
                "w1_1_1",
                f"(delta2_1*w2_1_1 + delta2_2*w2_1_2)*{d1}*x_1",
                r"\left(\delta^{(2)}_1 w^{(2)}_{11} + \delta^{(2)}_2 w^{(2)}_{12}\right)"
                + dl1
                + " x_1",
                Mistake.TRANSPOSED_INDICES,
                "w⁽²⁾₁₂ where w⁽²⁾₂₁ is meant",
            ),
            (
                f"{act}-transposed-sum",
                wide(act, hidden=3, outputs=3),
                "w1_1_1",
                f"(delta2_1*w2_1_1 + delta2_2*w2_1_2 + delta2_3*w2_1_3)*{d1}*x_1",
                r"\bigl(\delta^{[2]}_1 W^{[2]}_{11} + \delta^{[2]}_2 W^{[2]}_{12}"
                r" + \delta^{[2]}_3 W^{[2]}_{13}\bigr)\," + dl1 + r"\,x_1",
                Mistake.TRANSPOSED_INDICES,
                "δ⁽²⁾₁·w⁽²⁾₁₁ + δ⁽²⁾₂·w⁽²⁾₁₂ + δ⁽²⁾₃·w⁽²⁾₁₃ where ∂J/∂a⁽¹⁾₁ =",
            ),
        ]
    found += [
        (
            "sigmoid-formula-for-relu",
            chain("relu"),
            "w1",
            "delta2*w2*a1*(1 - a1)*x",
            r"\delta_2 w_2 a_1(1-a_1) x",
            Mistake.WRONG_ACTIVATION_DERIVATIVE,
            "(the derivative of the logistic sigmoid) where ∂a₁/∂z₁ = ReLU'(z₁)",
        ),
        (
            "tanh-formula-for-relu",
            chain("relu"),
            "w1",
            "delta2*w2*(1 - a1^2)*x",
            r"\delta_2 w_2 (1-a_1^2) x",
            Mistake.WRONG_ACTIVATION_DERIVATIVE,
            "(the derivative of the hyperbolic tangent)",
        ),
        (
            "wrong-argument-abstract-cost",
            NetworkSpec(cost="abstract"),
            "w2",
            "dJ_dyhat*sigmoid'(yhat)*a1",
            r"\frac{\partial J}{\partial \hat{y}}\,\sigma'\big(\hat{y}\big)\,a_1",
            Mistake.WRONG_ARGUMENT,
            "σ'(ŷ) where ∂ŷ/∂z₂ = σ'(z₂)",
        ),
        (
            "wrong-argument-tanh",
            chain("tanh"),
            "w1",
            "delta2*w2*tanh'(a1)*x",
            r"\delta_2 w_2 \tanh'(a_1) x",
            Mistake.WRONG_ARGUMENT,
            "tanh'(a₁) where ∂a₁/∂z₁ = tanh'(z₁)",
        ),
        (
            "wrong-argument-sigmoid-hidden",
            SEED,
            "w1",
            "delta2*w2*σ'(a1)*x",
            r"\delta_2 w_2 \sigma^{\prime}(a_1) x",
            Mistake.WRONG_ARGUMENT,
            "σ'(a₁) where ∂a₁/∂z₁ = σ'(z₁)",
        ),
    ]
    return found


CASES = cases()


@pytest.mark.parametrize(
    ("spec", "param", "plain", "latex", "mistake", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_mistake_is_named_in_plain_text_and_latex(
    spec: NetworkSpec, param: str, plain: str, latex: str, mistake: Mistake, words: str
) -> None:
    assert not is_correct(spec, param, plain)
    latex_reading = judge_for(spec).names.read(latex, parameter=param)
    assert latex_reading.input_format == "latex"
    assert same_expression(latex_reading.expr, parse_expression(plain))
    for answer in (plain, latex):
        result = check_answer(spec, param, answer)
        assert result.verdict is Verdict.INCORRECT, result.reason
        assert result.diagnosis is not None
        assert result.diagnosis.mistake is mistake, result.diagnosis.message
        assert words in result.diagnosis.message, result.diagnosis.message
        example = result.counterexample
        assert example is not None
        point = dict(example.point)
        expected, got = gradient_at(spec, param, point), answer_at(spec, plain, point)
        assert abs(expected - float(example.expected)) <= 1e-8 * max(abs(expected), 1e-12)
        assert abs(got - float(example.answer)) <= 1e-8 * max(abs(got), 1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_right_sum_is_correct_with_every_hidden_activation(activation: str) -> None:
    d1 = prime(activation, 1)[0]
    answer = f"(delta2_1*w2_1_1 + delta2_2*w2_2_1)*{d1}*x_1"
    spec = wide(activation)
    assert is_correct(spec, "w1_1_1", answer)
    assert check_answer(spec, "w1_1_1", answer).verdict is Verdict.CORRECT


def test_a_forgotten_sum_names_every_missing_term() -> None:
    spec = NetworkSpec(layers=(2, 2, 4))
    result = check_answer(spec, "b1_1", "delta2_2*w2_2_1*a1_1*(1 - a1_1)")
    assert result.diagnosis is not None
    assert result.diagnosis.mistake is Mistake.MISSING_TERMS
    message = result.diagnosis.message
    assert "the 4 nodes that node 1 of layer 1 feeds" in message
    assert "missing δ⁽²⁾₁·w⁽²⁾₁₁ and δ⁽²⁾₃·w⁽²⁾₃₁ and δ⁽²⁾₄·w⁽²⁾₄₁" in message
    assert result.diagnosis.found == "δ⁽²⁾₂·w⁽²⁾₂₁"


def test_a_diagnosis_in_json_names_the_new_mistakes_by_value() -> None:
    result = check_answer(WIDE, "w1_1_2", "delta1_2*x_1")
    assert result.diagnosis is not None
    data = result.to_json()
    assert data["diagnosis"]["mistake"] == "transposed_indices"
    assert data["diagnosis"]["expected"] == "δ⁽¹⁾₁·x₂"
    assert data["diagnosis"]["found"] == "δ⁽¹⁾₂·x₁"


@pytest.mark.parametrize(
    ("spec", "param", "answer", "words"),
    [
        (NetworkSpec(), "w2", "2*(yhat - y)*y*(1 - y)*a1", "the target in place of the prediction"),
        (NetworkSpec(layers=(2, 3, 1)), "w2_1_2", "2*(yhat_1 - y_1)*y_1*(1 - y_1)*a1_2",
         "written with ŷ₁, not with y₁"),
        (NetworkSpec(), "w2", "delta2*w2", "wrong input: w₂ where ∂z₂/∂w₂ = a₁"),
        (NetworkSpec(layers=(2, 3, 1)), "w2_1_2", "delta2_1*w2_1_2", "wrong input: w⁽²⁾₁₂"),
    ],
)  # fmt: skip
def test_the_target_for_the_output_and_the_weight_for_its_input(
    spec: NetworkSpec, param: str, answer: str, words: str
) -> None:
    assert not is_correct(spec, param, answer)
    result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.INCORRECT
    assert result.diagnosis is not None and words in result.diagnosis.message
