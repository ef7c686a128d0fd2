"""What `symderiv check` reads: answers as students write them, in LaTeX and plain text.

Each answer is paired with its meaning in explicit plain syntax. The test asserts that the checker
reads the answer as that meaning, and that its verdict is the one `sympy.diff` of the fully nested
cost gives for that meaning (`tests.verdicts`), not the engine.
"""

from __future__ import annotations

import re

import pytest

from symderiv.check.judge import check_answer, judge_for
from symderiv.check.result import Verdict
from symderiv.core.spec import NetworkSpec
from symderiv.parse.plain import parse_expression
from tests.verdicts import is_correct, same_expression

SEED = NetworkSpec()
TANH = NetworkSpec(hidden_activation="tanh")
RELU = NetworkSpec(hidden_activation="relu")
WIDE = NetworkSpec(layers=(2, 2, 1))
BRANCHING = NetworkSpec(layers=(2, 2, 2))

W2 = "2*(yhat - y)*yhat*(1 - yhat)*a1"  # ∂J/∂w2 of the seed network
W1 = "2*(yhat - y)*yhat*(1 - yhat)*w2*a1*(1 - a1)*x"
W2_PRIME = "2*(yhat - y)*sigmoid(z2)*(1 - sigmoid(z2))*a1"  # σ'(z2) written out
TANH_W1 = "delta2*w2*(1 - tanh(z1)^2)*x"

READ = [  # (category, spec, param, answer as written, its meaning in explicit plain syntax)
    # LaTeX spacing never changes the meaning: juxtaposition is a product
    ("spacing", SEED, "w2", r"2(\hat{y}-y)\hat{y}\,(1-\hat{y})a_1", W2),
    ("spacing", SEED, "w2", r"2(\hat{y}-y)\hat{y}\;(1-\hat{y})\,a_1", W2),
    ("spacing", SEED, "w2", r"2(\hat{y}-y)\hat{y}\!(1-\hat{y})a_1", W2),
    ("spacing", SEED, "w2", r"2\,(\hat{y}-y)\,\hat{y}\,\left(1-\hat{y}\right)\,a_1", W2),
    ("spacing", SEED, "w2", r"2(\hat{y}-y)\hat{y}\quad(1-\hat{y})~a_1", W2),
    ("spacing", SEED, "w2", "2 (yhat - y) yhat (1 - yhat) a1", W2),
    ("spacing", SEED, "w2", r"(\hat{y}-y)\hat{y}(1-\hat{y})a_1 2", W2),
    # implicit products: a name that is not a function, before "(", multiplies it
    ("implicit", SEED, "w2", "2*(yhat - y)*yhat(1 - yhat)*a1", W2),
    ("implicit", SEED, "w2", "2(ŷ−y)ŷ(1−ŷ)a1", W2),
    ("implicit", SEED, "w2", "2(yhat - y) yhat (1-yhat) a1", W2),
    ("implicit", SEED, "w1", "2(yhat - y)yhat(1 - yhat)w2 a1(1-a1)x", W1),
    ("implicit", SEED, "b2", "2(yhat - y)yhat(1 - yhat)", "2*(yhat - y)*yhat*(1 - yhat)"),
    ("implicit", SEED, "b2", "2y(1-y)", "2*y*(1 - y)"),
    ("implicit", SEED, "w2", r"2(\hat{y}-y)\hat{y}(1-\hat{y})a_1", W2),
    ("implicit", SEED, "w1", r"\delta_2 w_2 a_1(1-a_1) x", "delta2*w2*a1*(1 - a1)*x"),
    ("implicit", SEED, "w2", "[2(yhat - y)]yhat[1 - yhat]a1", W2),
    # a prime after any function is its derivative
    ("primes", SEED, "w2", "2(yhat - y)σ'(z2)a1", W2_PRIME),
    ("primes", SEED, "w2", "2(yhat - y)sigma'(z2)a1", W2_PRIME),
    ("primes", TANH, "w1", "delta2*w2*tanh′(z1)*x", TANH_W1),
    ("primes", SEED, "w2", r"2(\hat{y}-y)\sigma^{\prime}(z_2)a_1", W2_PRIME),
    ("primes", SEED, "w2", r"2(\hat{y}-y)\sigma^\prime(z_2)a_1", W2_PRIME),
    ("primes", SEED, "w2", r"2(\hat{y}-y)\sigma^{'}(z_2)a_1", W2_PRIME),
    ("primes", SEED, "w2", r"2(\hat{y}-y)σ'(z_2)a_1", W2_PRIME),
    ("primes", TANH, "w1", r"\delta_2 w_2 \tanh'(z_1) x", TANH_W1),
    (
        "primes",
        RELU,
        "w1",
        r"\delta_2 w_2 \operatorname{ReLU}'(z_1) x",
        "delta2*w2*Heaviside(z1, 0)*x",
    ),
    # sized delimiters
    ("delimiters", SEED, "w2", r"2\big(\hat{y}-y\big)\hat{y}\big(1-\hat{y}\big)a_1", W2),
    ("delimiters", SEED, "w2", r"2\Big[\hat{y}-y\Big]\hat{y}\Big[1-\hat{y}\Big]a_1", W2),
    ("delimiters", SEED, "w2", r"2\bigl(\hat{y}-y\bigr)\hat{y}\bigl(1-\hat{y}\bigr)a_1", W2),
    ("delimiters", SEED, "w2", r"2\Bigl(\hat{y}-y\Bigr)\hat{y}\Bigl(1-\hat{y}\Bigr)a_1", W2),
    ("delimiters", SEED, "w2", r"2\left[\hat{y}-y\right]\hat{y}\left[1-\hat{y}\right]a_1", W2),
    ("delimiters", SEED, "w2", "2[yhat - y]*yhat*[1 - yhat]*a1", W2),
    # layer superscripts in brackets (Ng's notation)
    ("brackets", SEED, "w2", r"\delta^{[2]} a^{[1]}", "delta2*a1"),
    (
        "brackets",
        SEED,
        "w1",
        r"\delta^{[2]} w^{[2]} a^{[1]}(1-a^{[1]}) x",
        "delta2*w2*a1*(1 - a1)*x",
    ),
    ("brackets", WIDE, "w2_1_2", r"\delta^{[2]}_1 a^{[1]}_2", "delta2_1*a1_2"),
    (
        "brackets",
        WIDE,
        "w1_1_2",
        r"\delta^{[2]}_{1} W^{[2]}_{11} a^{[1]}_1(1-a^{[1]}_1) x_2",
        "delta2_1*w2_1_1*a1_1*(1 - a1_1)*x_2",
    ),
    ("brackets", WIDE, "w1_1_2", r"\delta^{[1]}_1 a^{[0]}_2", "delta1_1*x_2"),
    # an answer written as an equation whose left side is the derivative checked
    ("equation", SEED, "w2", r"\frac{\partial J}{\partial w_2} = \delta_2 a_1", "delta2*a1"),
    ("equation", SEED, "w2", r"\frac{dJ}{dw_2} = 2(\hat{y}-y)\hat{y}(1-\hat{y})a_1", W2),
    (
        "equation",
        SEED,
        "w2",
        r"$\frac{\partial J}{\partial w_{2}} &= \delta_{2} a_{1}$",
        "delta2*a1",
    ),
    ("equation", SEED, "w2", r"\partial J/\partial w_2 = \delta_2 a_1", "delta2*a1"),
    ("equation", SEED, "w2", "dJ/dw2 = delta2*a1", "delta2*a1"),
    ("equation", SEED, "w2", "∂J/∂w2 = δ2·a1", "delta2*a1"),
    ("equation", SEED, "w2", "∂J/∂w₂ = 2(ŷ − y)ŷ(1 − ŷ)a₁", W2),
    ("equation", SEED, "w2", "dJ/dw_2 = delta2*a1", "delta2*a1"),
    ("equation", SEED, "w1", "dJ/dw1 = delta2*a1", "delta2*a1"),  # read, and wrong
    (
        "equation",
        WIDE,
        "w2_1_2",
        r"\frac{\partial J}{\partial W^{[2]}_{12}} = \delta^{[2]}_1 a^{[1]}_2",
        "delta2_1*a1_2",
    ),
    # ∂J/∂ŷ as a factor: the cost's derivative (a symbol of its own for the abstract cost)
    (
        "cost derivative",
        SEED,
        "w2",
        r"\frac{\partial J}{\partial \hat{y}}\hat{y}(1-\hat{y})a_1",
        W2,
    ),
    ("cost derivative", SEED, "w2", "∂J/∂ŷ·ŷ(1 − ŷ)·a1", W2),
    ("cost derivative", SEED, "w2", "dJ_dyhat*yhat*(1 - yhat)*a1", W2),
    (
        "cost derivative",
        NetworkSpec(cost="binary_cross_entropy"),
        "w2",
        r"\frac{\partial J}{\partial \hat{y}}\sigma'(z_2)a_1",
        "(-y/yhat + (1 - y)/(1 - yhat))*sigmoid(z2)*(1 - sigmoid(z2))*a1",
    ),
    ("cost derivative", SEED, "w2", r"\frac{\partial J}{\partial z_2} a_1", "delta2*a1"),
    (
        "cost derivative",
        NetworkSpec(cost="abstract"),
        "w2",
        r"\frac{\partial J}{\partial a_2}\sigma'(z_2) a_1",
        "dJ_dyhat*sigmoid(z2)*(1 - sigmoid(z2))*a1",
    ),
    ("cost derivative", SEED, "w2", r"\frac{\partial J}{\partial a_2}\sigma'(z_2) a_1", W2_PRIME),
    # LaTeX letters side by side that are each a name multiply
    ("products", SEED, "b2", r"$2xy$", "2*x*y"),
    # ReLU'(a) is ReLU'(z): a₁ > 0 exactly when z₁ > 0
    ("relu", RELU, "w1", "delta2*w2*relu'(a1)*x", "delta2*w2*Heaviside(a1, 0)*x"),
]


@pytest.mark.parametrize(
    ("category", "spec", "param", "answer", "meaning"),
    READ,
    ids=[f"{c}-{a}" for c, _, _, a, _ in READ],
)
def test_answers_are_read_as_written_and_judged_as_sympy_diff_judges_them(
    category: str, spec: NetworkSpec, param: str, answer: str, meaning: str
) -> None:
    reading = judge_for(spec).names.read(answer, parameter=param)
    assert same_expression(reading.expr, parse_expression(meaning)), (category, reading.expr)
    result = check_answer(spec, param, answer)
    expected = Verdict.CORRECT if is_correct(spec, param, meaning) else Verdict.INCORRECT
    assert result.verdict is expected, result.reason


REFUSED = [  # (category, spec, param, answer, words of the reason, where the caret points)
    ("equation", SEED, "w2", r"\frac{\partial J}{\partial w_1} = \delta_2 a_1", "∂J/∂w₁", 0),
    ("equation", SEED, "w2", "dJ/dw1 = delta2*a1", "checked as ∂J/∂w₂ (--param w2)", 0),
    ("equation", SEED, "w2", "∂J/∂ŷ = 2(ŷ − y)", "∂J/∂ŷ (not a parameter)", 0),
    ("equation", SEED, "w2", "delta2 = x", "the left side of '=' must be", 0),
    ("equation", SEED, "w2", "dJ/dw2 = ", "nothing after '='", 8),
    ("equation", SEED, "w2", "dJ/dw2 = 2*(yaht - y)", "Did you mean 'yhat'?", 12),
    ("equation", SEED, "w2", r"\frac{\partial J}{\partial w_2} = \hat{x}", r"only \hat{y}", 34),
    ("cost derivative", SEED, "w2", r"\frac{\partial J}{\partial w_2} a_1", "not a factor", 0),
    ("cost derivative", SEED, "w2", "∂J/∂w₂·a1", "write it only on the left of '='", 0),
    ("cost derivative", SEED, "w1", r"\frac{\partial J}{\partial a_1} x", "not understood", 0),
    ("brackets", SEED, "w2", r"\delta^{[3]} a_1", "Did you mean 'delta2'?", 0),
    ("brackets", WIDE, "w2_1_1", r"\delta^{[2]} a^{[1]}_1", "Did you mean 'delta2_1'?", 0),
    ("brackets", WIDE, "w2_1_1", r"w_{12}", "Did you mean 'w1_1_2'?", 0),
    ("names", SEED, "w2", "2*(a3 - y)", "Did you mean 'yhat'?", 3),
    ("names", SEED, "w2", "W2*a1", "Did you mean 'w2'?", 0),
    ("names", SEED, "w2", "sigmod(z2)", "did you mean sigmoid(...)?", 0),
    ("names", SEED, "w2", r"\hat{y} + sigmod(z_2)", r"write \sigma(z)", 10),
]


@pytest.mark.parametrize(
    ("category", "spec", "param", "answer", "words", "position"),
    REFUSED,
    ids=[f"{c}-{a}" for c, _, _, a, _, _ in REFUSED],
)
def test_unreadable_answers_say_what_to_change(
    category: str, spec: NetworkSpec, param: str, answer: str, words: str, position: int
) -> None:
    result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert words in result.reason, result.reason
    assert result.error_position == position, result.reason


@pytest.mark.parametrize(
    ("spec", "answer"),
    [
        (SEED, "delta3*a1"),
        (SEED, "a3"),
        (SEED, "a"),
        (SEED, "delta"),
        (SEED, r"\delta^{[3]}"),
        (SEED, "W1"),
        (WIDE, "a1"),
        (WIDE, "delta3_1"),
        (WIDE, r"a^{[3]}_1"),
        (WIDE, "w2_2_1"),
        (WIDE, "yhat_2"),
        (NetworkSpec(layers=(3, 4, 4, 2)), "w4_1_1"),
    ],
)
def test_did_you_mean_suggests_only_names_from_its_known_list(
    spec: NetworkSpec, answer: str
) -> None:
    result = check_answer(spec, "b1" if spec.is_chain else "b1_1", answer)
    suggested = re.search(r"Did you mean '([^']+)'\?", result.reason)
    assert suggested is not None, result.reason
    known = judge_for(spec).names.names
    assert suggested[1] in known
    listed = re.search(r"Known: ([^.…]+)", result.reason)
    assert listed is not None
    if len(known) <= 30:
        assert suggested[1] in listed[1].split(", ")


@pytest.mark.parametrize(
    ("spec", "answer", "suggested"),
    [
        (SEED, r"\delta^{[3]} a_1", "delta2"),  # the nearest layer there is
        (SEED, "a3", "yhat"),  # the output, by its own name
        (WIDE, "delta3_1", "delta2_1"),
        (WIDE, "a1", "a1_1"),  # the layer kept, the node index added
        (WIDE, "x_3", "x_2"),
        (NetworkSpec(layers=(3, 4, 4, 2)), "w4_2_3", "w3_2_3"),  # same nodes, nearest layer
    ],
)
def test_did_you_mean_keeps_the_layer_and_the_indices(
    spec: NetworkSpec, answer: str, suggested: str
) -> None:
    result = check_answer(spec, "b1" if spec.is_chain else "b1_1", answer)
    assert f"Did you mean {suggested!r}?" in result.reason


# ---------------------------------------------------------------- as students copy them from notes


@pytest.mark.parametrize(
    ("spec", "param", "answer", "notation_name"),
    [
        (NetworkSpec(), "w3", r"\delta^3 a^2", "nielsen"),  # Nielsen's bare layer superscripts
        (NetworkSpec(), "w1", r"\frac{\mathrm{d}J}{\mathrm{d}w_1} = \delta_1 x", "default"),
        (NetworkSpec(), "w2", "delta2*a1.", "default"),  # the sentence's full stop
        (NetworkSpec(), "w2", r"$\delta_2 a_1$.", "default"),
        (NetworkSpec(), "w2", r"\delta_2 a_1,", "default"),
    ],
)
def test_read_as_written_in_notes(
    spec: NetworkSpec, param: str, answer: str, notation_name: str
) -> None:
    from symderiv.core import notation

    with notation.using(notation_name):
        result = check_answer(spec, param, answer)
    assert result.verdict is Verdict.CORRECT, result.reason


@pytest.mark.parametrize(
    ("layers", "param", "answer", "words"),
    [
        ((2, 1, 2), "w1_1_1", r"\sum_{i=1}^{2} \delta^{(2)}_i w^{(2)}_{i1} x_1",
         "write the sum out term by term"),  # no '=' read from the sum's bounds
        ((2, 1, 2), "w1_1_1", r"\max(0, z_1)", r"\operatorname{ReLU}(z)"),
        ((1, 1, 1), "w1", "y = delta1*x", "as dJ/dw1 or ∂J/∂w₁"),  # the gradient checked
        ((1, 1, 1), "w1", r"y = \delta_1 x", r"\frac{\partial J}{\partial w_{1}}"),
        ((2, 3, 1), "w2_1_1", r"w^{(2)}_{31}", "Did you mean 'w2_1_3'?"),  # indices swapped
        ((1, 1, 1), "w2", r"\frac{\partial \hat{y}}{\partial z_2} a_1",
         r"as \sigma'(z_2) for \frac{\partial \hat{y}}{\partial z_2}"),
    ],
)  # fmt: skip
def test_what_to_write_instead(
    layers: tuple[int, ...], param: str, answer: str, words: str
) -> None:
    result = check_answer(NetworkSpec(layers=layers), param, answer)
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert words in result.reason, result.reason


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("dJ/dw2 = delta2*a1 = 2*(yhat - y)*yhat*(1 - yhat)*a1", Verdict.CORRECT),
        ("dJ/dw2 = delta2*a1 = 2*(yhat - y)*yhat*a1", Verdict.INCORRECT),  # the later side
        ("dJ/dw2 = delta1*a1 = 2*(yhat - y)*yhat*(1 - yhat)*a1", Verdict.INCORRECT),
        (r"\frac{\partial J}{\partial w_2} &= \delta_2 a_1 \\ &= 2(\hat{y}-y)\hat{y}(1-\hat{y})a_1",
         Verdict.CORRECT),
        (r"\begin{aligned} \frac{\partial J}{\partial w_2} &= \delta_2 a_1 \\ "
         r"&= 2(\hat{y}-y)\hat{y}a_1 \end{aligned}", Verdict.INCORRECT),
    ],
)  # fmt: skip
def test_a_chain_of_equalities_is_right_when_every_side_is(answer: str, verdict: Verdict) -> None:
    result = check_answer(NetworkSpec(), "w2", answer)
    assert result.verdict is verdict, result.reason
    assert is_correct(NetworkSpec(), "w2", "delta2*a1")  # the first side, judged without the tool
    if verdict is Verdict.INCORRECT and "delta2" in answer.replace("\\delta_2", "delta2"):
        assert result.read_as is not None and "the first side after '=' is right" in result.read_as


@pytest.mark.parametrize(
    "answer",
    [
        r"\delta_2 a_1 \quad \text{(chain rule)}",
        r"\delta_2 \text{ times } a_1",
        r"\text{(by BP4)}\ \delta_2 a_1",
    ],
)
def test_a_remark_in_words_is_not_read_as_mathematics(answer: str) -> None:
    result = check_answer(NetworkSpec(), "w2", answer)
    assert result.verdict is Verdict.CORRECT, result.reason


def test_a_remark_holding_commands_is_read_and_refused() -> None:
    result = check_answer(NetworkSpec(), "w2", r"\text{(\input{/etc/passwd})} \delta_2 a_1")
    assert result.verdict is Verdict.CANNOT_JUDGE
    assert r"\text{...} must hold a word" in result.reason
