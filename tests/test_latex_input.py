"""The LaTeX translator: what it reads, what it refuses and where, and that it runs nothing."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symderiv.core.functions import relu, sigmoid, softplus
from symderiv.parse.latex import (
    MAX_LATEX_LENGTH,
    looks_like_latex,
    parse_latex,
    translate,
)
from symderiv.parse.plain import ParseError, parse_expression

S = sp.Symbol
x, y, z, yhat, a1, a2, z1, z2 = sp.symbols("x y z yhat a1 a2 z1 z2")

# LaTeX -> the plain text that means the same (parsed by the safe parser for comparison)
EQUIVALENT = [
    (r"2(\hat{y}-y)\hat{y}(1-\hat{y})a_1", "2*(yhat - y)*yhat*(1 - yhat)*a1"),
    (
        r"2\left(\hat{y} - y\right)\hat{y}\left(1-\hat{y}\right) a_{1}",
        "2*(yhat-y)*yhat*(1-yhat)*a1",
    ),
    (r"\sigma(z_2)", "sigmoid(z2)"),
    (r"\sigma\left(w_2 a_1 + b_2\right)", "sigmoid(w2*a1 + b2)"),
    (r"\frac{1}{2}(\hat{y}-y)^{2}", "(yhat - y)^2/2"),
    (r"\frac12 x", "x/2"),
    (r"\dfrac{\hat{y}-y}{\hat{y}(1-\hat{y})}", "(yhat - y)/(yhat*(1 - yhat))"),
    (r"x \cdot y", "x*y"),
    (r"x \times y", "x*y"),
    (r"x \ast y \div 2", "x*y/2"),
    (r"x^{2}", "x^2"),
    (r"x^2 y", "x^2*y"),
    (r"a_{1}^{2}", "a1^2"),
    (r"w_2", "w2"),
    (r"w_{2}", "w2"),
    (r"\delta_2 a_1", "delta2*a1"),
    (r"\delta_{2}", "delta2"),
    (r"w^{(2)}_{11}", "w2_1_1"),
    (r"w^{(2)}_{1,2}", "w2_1_2"),
    (r"w^{(2)}_{1 2}", "w2_1_2"),
    (r"w_{11}^{(2)}", "w2_1_1"),
    (r"w^{(12)}_{10,3}", "w12_10_3"),
    (r"b^{(1)}_{2}", "b1_2"),
    (r"a^{(1)}_{2}", "a1_2"),
    (r"z^{(2)}_1", "z2_1"),
    (r"\delta^{(2)}_{1}", "delta2_1"),
    (r"w_{2,1,1}", "w2_1_1"),
    (r"\hat{y}_1", "yhat_1"),
    (r"\hat y_{1}", "yhat_1"),
    (r"\widehat{y}", "yhat"),
    (r"x_{2}", "x_2"),
    (r"y_1", "y_1"),
    (r"x^{(2)}", "x^2"),  # a layer superscript only on w, b, z, a and δ
    (r"e^{-z}", "exp(-z)"),
    (r"e^{-z_1}", "exp(-z1)"),
    (r"\mathrm{e}^{x}", "exp(x)"),
    (r"\exp(-z)", "exp(-z)"),
    (r"\exp{-z}", "exp(-z)"),
    (r"\ln \hat{y}", "ln(yhat)"),
    (r"\ln(1-\hat{y})", "ln(1 - yhat)"),
    (r"\log x", "ln(x)"),
    (r"\ln 2", "ln(2)"),
    (r"-\left[y\ln\hat{y} + (1-y)\ln(1-\hat{y})\right]", "-(y ln(yhat) + (1-y) ln(1-yhat))"),
    (r"[x + 1]", "(x + 1)"),
    (r"\bigl(x + 1\bigr) y", "(x + 1)*y"),
    (r"\sigma'(z_2)", "sigmoid(z2)*(1 - sigmoid(z2))"),
    (r"\sigma^{\prime}(z_2) a_1", "sigmoid(z2)*(1 - sigmoid(z2))*a1"),
    (r"\sigma^2(z_2)", "sigmoid(z2)^2"),
    (r"\tanh'(z)", "1 - tanh(z)^2"),
    (r"\tanh^{\prime}(z_1)", "tanh'(z1)"),
    (r"\operatorname{ReLU}'(z_1)", "Heaviside(z1, 0)"),
    (r"\tanh^{2}(z)", "tanh(z)^2"),
    (r"\operatorname{ReLU}(z_1)", "relu(z1)"),
    (r"\mathrm{softplus}(z)", "softplus(z)"),
    (r"\text{sigmoid}(z)", "sigmoid(z)"),
    (r"\sqrt{x}", "sqrt(x)"),
    (r"\sqrt[3]{x}", "x^(1/3)"),
    (r"\pi x", "pi*x"),
    (
        r"\frac{\partial J}{\partial \hat{y}} \sigma'(z_2) a_1",
        "dJ_dyhat*sigmoid(z2)*(1-sigmoid(z2))*a1",
    ),
    (r"\frac{\partial J}{\partial \hat{y}_{2}}", "dJ_dyhat_2"),
    (r"\hat{y}\frac{1}{2}", "yhat/2"),
    (r"x\sqrt{x}", "x*sqrt(x)"),
    (r"a_1\sigma'(z)", "a1*sigmoid(z)*(1 - sigmoid(z))"),
    (r"yhat(1-yhat)", "yhat*(1 - yhat)"),  # adjacent letters form one name, as in plain text
    (r"\sigma(z2)", "sigmoid(z2)"),
    (r"sigmoid(z_2)", "sigmoid(z2)"),
    (r"2\,x\;y\:\!\quad\qquad~z", "2*x*y*z"),
    (r"$2\hat{y}$", "2*yhat"),
    (r"$$2\hat{y}$$", "2*yhat"),
    (r"\(2\hat{y}\)", "2*yhat"),
    (r"\[2\hat{y}\]", "2*yhat"),
    (r"{x + 1}^2", "(x + 1)^2"),
    ("σ(z₂)·{ŷ}", "σ(z₂)·ŷ"),  # Unicode goes through to the plain parser
    # spacing never changes the meaning: juxtaposition is a product
    (r"\hat{y}\,(1-\hat{y})", "yhat*(1 - yhat)"),
    (r"\hat{y}\;(1-\hat{y})", "yhat*(1 - yhat)"),
    (r"\hat{y}\!(1-\hat{y})", "yhat*(1 - yhat)"),
    (r"\hat{y}\:(1-\hat{y})\ a_1", "yhat*(1 - yhat)*a1"),
    (r"\hat{y}\,\left(1-\hat{y}\right)", "yhat*(1 - yhat)"),
    (r"a_1~(1-a_1)", "a1*(1 - a1)"),
    (r"\sigma\,(z_2)", "sigmoid(z2)"),
    (r"(1-\hat{y})2", "2*(1 - yhat)"),
    (r"2\hat{y}3", "6*yhat"),
    (r"f(x)", "f*x"),
    # sized delimiters
    (r"\hat{y}\big(1-\hat{y}\big)", "yhat*(1 - yhat)"),
    (r"2\Big[\hat{y}-y\Big]", "2*(yhat - y)"),
    (r"\bigl(x + 1\bigr)\Bigl(x - 1\Bigr)", "(x + 1)*(x - 1)"),
    (r"\left[x\right]\biggl[y\biggr]", "x*y"),
    (r"\sigma\big(z_2\big)", "sigmoid(z2)"),
    # primes
    (r"\sigma^\prime(z_2)", "sigmoid'(z2)"),
    (r"\sigma^{'}(z_2)", "sigmoid'(z2)"),
    (r"\sigma^{ \prime }(z_2)", "sigmoid'(z2)"),
    (r"\sigma′(z_2)", "sigmoid'(z2)"),
    ("σ'(z_2)", "sigmoid'(z2)"),
    (r"sigmoid'(z_2)", "sigmoid'(z2)"),
    (r"\tanh'(z_1)", "tanh'(z1)"),
    # layer superscripts in brackets (Ng's notation), W for w
    (r"\delta^{[2]}", "delta2"),
    (r"a^{[1]}", "a1"),
    (r"w^{[2]}_{12}", "w2_1_2"),
    (r"W^{[2]}_{12}", "w2_1_2"),
    (r"W_{12}^{[2]}", "w2_1_2"),
    (r"W^{(2)}_{1,2}", "w2_1_2"),
    (r"\delta^{[2]}_1 a^{[1]}_2", "delta2_1*a1_2"),
    (r"b^{[1]}_{2} + z^{[2]}", "b1_2 + z2"),
    # derivatives of the cost, each one name
    (r"\frac{\partial J}{\partial w_2}", "dJ_dw2"),
    (r"\frac{dJ}{dw_2}", "dJ_dw2"),
    (r"\frac{\partial J}{\partial W^{[2]}_{12}}", "dJ_dw2_1_2"),
    (r"\frac{dJ}{d\hat{y}}\hat{y}", "dJ_dyhat*yhat"),
    (r"\frac{dx}{2}", "dx/2"),
]


@pytest.mark.parametrize(("latex", "plain"), EQUIVALENT)
def test_latex_means_what_the_plain_text_means(latex: str, plain: str) -> None:
    assert parse_latex(latex) == parse_expression(plain)


def test_functions_and_names_come_out_as_the_project_s_objects() -> None:
    assert parse_latex(r"\sigma(z)") == sigmoid(z)
    assert parse_latex(r"\operatorname{ReLU}(z)") == relu(z)
    assert parse_latex(r"\operatorname{softplus}(z)") == softplus(z)
    assert parse_latex(r"\hat{y}") == yhat
    assert parse_latex(r"w^{(2)}_{11}") == S("w2_1_1")


# ---------------------------------------------------------------------------- refusals

REFUSED = [  # (LaTeX, position of the error, words of the message)
    (r"\input{/etc/passwd}", 0, r"\input is not allowed"),
    (r"x + \include{a}", 4, r"\include is not allowed"),
    (r"\def\a{\a}\a", 0, r"\def is not allowed"),
    (r"\write18{rm -rf /}", 0, r"\write is not allowed"),
    (r"\immediate\write18{ls}", 0, r"\immediate is not allowed"),
    (r"\csname foo\endcsname", 0, r"\csname is not allowed"),
    (r"\openout5=evil.tex", 0, r"\openout is not allowed"),
    (r"\catcode`\^=7", 0, r"\catcode is not allowed"),
    (r"\newcommand{\x}{1}", 0, r"\newcommand is not allowed"),
    (r"\begin{tabular}x\end{tabular}", 0, r"\begin is not allowed"),
    (r"x + \sigmaa(z)", 4, r"Did you mean \sigma?"),
    (r"\foo", 0, r"unknown LaTeX command \foo"),
    (r"{x + 1", 0, "unbalanced '{'"),
    (r"x + 1}", 5, "unbalanced '}'"),
    (r"(x + 1", 0, "unbalanced '('"),
    (r"x + 1)", 5, "unbalanced ')'"),
    (r"\left( x", 0, r"unbalanced \left"),
    (r"\left( x \right]", 15, r"\right must be followed by )"),
    (r"x \right)", 2, r"\right without a matching \left"),
    (r"\left| x \right|", 5, r"\left must be followed by"),
    (r"x = 2", 2, "without '='"),
    (r"x % comment", 2, "comment"),
    (r"x & y", 2, "alignment"),
    (r"#1", 0, "macro parameter"),
    (r"|x|", 0, "absolute values"),
    (r"x_", 2, "needs an index"),
    (r"_1", 0, "must follow a variable"),
    (r"x_{1+2}", 4, "indices only"),
    (r"\hat{x}", 0, r"only \hat{y}"),
    (r"\ln 2x", 5, "ambiguous argument of ln"),
    (r"\ln x y", 6, "ambiguous argument of ln"),
    (r"\ln", 3, "needs an argument"),
    (r"\exp^{-1}(x)", 0, "ambiguous"),
    (r"x'", 1, "a prime"),
    (r"\frac{1}", 8, r"\frac needs an argument"),
    (r"\frac{}{2}", 5, "empty argument"),
    (r"x^", 2, "^ needs an argument"),
    (r"x^\alpha", 2, "put the argument of ^ in braces"),
    (r"\partial x", 0, r"\partial is understood only"),
    (r"\frac{\partial J}{\partial w_2 + 1}", 18, r"write one name after \partial"),
    (r"\frac{\partial J}{\partial}", 18, r"write one name after \partial"),
    (r"\frac{\partial K}{\partial \hat{y}}", 6, "write the chain rule's other factors out"),
    (r"\frac{\partial J}{2}", 17, r"expected \partial and a name"),
    (r"\big x", 0, "must be followed by a parenthesis or bracket"),
    (r"\hat{y}\,(1-\hat{y}", 9, "unbalanced '('"),
    (r"\delta^{[2}", 8, "unbalanced '['"),
    (r"w^{(2)}_{123}", 0, "node indices of w"),
    (r"b^{(2)}_{1,2}", 0, "node indices of b"),
    (r"\operatorname{foo}(x)", 14, "unknown function 'foo'"),
    (r"\operatorname x", 13, "needs a name in braces"),
    (r"\bigl x", 0, "must be followed by a parenthesis"),
    ("x\\", 1, "a backslash must start a command"),
    (r"x \& y", 2, r"'\&' is not understood"),
    (r"x < y", 2, "unexpected '<'"),
    (r"\sqrt[3{x}", 5, "unbalanced '['"),
    (r"9^{9^{9^{9}}}", 4, "exceeds 1000"),  # the plain parser's bound, shown in the LaTeX
    (r"\frac{1}{0}", 0, "undefined value"),
    (r"2\,3", 3, "a number cannot follow"),
    (r"1/2x", 3, r"write \frac{1}{2x} or \frac{x}{2}"),  # advice in LaTeX, never a '*'
]


@pytest.mark.parametrize(("latex", "position", "words"), REFUSED)
def test_refused_with_the_latex_position(latex: str, position: int, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_latex(latex)
    assert words in caught.value.reason
    assert caught.value.position == position
    assert caught.value.text == latex  # the caret picture shows what the user typed


def test_long_input_is_refused_before_any_work() -> None:
    start = time.perf_counter()
    with pytest.raises(ParseError, match="longer than"):
        parse_latex("x" * 1_000_000)
    with pytest.raises(ParseError, match="longer than"):
        parse_latex("{" * (MAX_LATEX_LENGTH + 1))
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "latex",
    [
        "{" * 60 + "x" + "}" * 60,
        r"\left(" * 60 + "x" + r"\right)" * 60,
        "(" * 60 + "x" + ")" * 60,
        r"\frac{" * 60 + "x" + "}{2}" * 60,
        r"\sigma'(" * 12 + "x" + ")" * 12,  # each prime doubles its argument
        r"\sqrt{" * 60 + "x" + "}" * 60,
        "x^{" * 60 + "2" + "}" * 60,
        "+".join(["x"] * 1_500),
    ],
)
def test_deep_or_explosive_input_fails_fast_with_a_clear_error(latex: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ParseError):
        parse_latex(latex)
    assert time.perf_counter() - start < 1


def test_translation_keeps_a_position_for_every_character() -> None:
    translation = translate(r"2\left(\hat{y} - y\right)\sigma'(z_2) a_1")
    assert len(translation.positions) == len(translation.plain)
    assert all(0 <= p < len(translation.latex) for p in translation.positions)
    assert translation.source_position(len(translation.plain)) == len(translation.latex)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        (r"2\hat{y}", True),
        ("a_{1}", True),
        ("x}", True),
        ("$x$", True),
        ("2*(yhat - y)*a1", False),
        ("a_1 σ(z₂)", False),
    ],
)
def test_latex_is_recognised_by_backslashes_braces_or_dollars(text: str, latex: bool) -> None:
    assert looks_like_latex(text) is latex


# ---------------------------------------------------------------------------- nothing runs


HOSTILE = [
    r"\input{{marker}}",
    r"\immediate\write18{{touch {marker}}}",
    r"\openout5={marker}",
    r"__import__('os').system('touch {marker}')",
    r"\text{__import__('os').system('touch {marker}')}",
    r"\operatorname{__import__}(x)",
    r"x.__class__",
    r"\mathrm{eval}('1')",
    r"\frac{import}{x}",
    r"{}^{\csname x\endcsname}",
    r"\def\a{\a}\a",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_latex_is_refused_and_runs_nothing(
    template: str, tmp_path: Path, tripwires: list[str]
) -> None:
    marker = tmp_path / "PWNED"
    with pytest.raises(ParseError):
        parse_latex(template.replace("{marker}", str(marker)))
    assert tripwires == []
    assert not marker.exists()


TOKENS = st.sampled_from(
    [
        "x", "y", "a", "w", "2", "0", ".", "_", "^", "{", "}", "(", ")", "[", "]", "+", "-",
        "*", "/", "'", " ", ",", r"\hat", r"\sigma", r"\frac", r"\left", r"\right", r"\cdot",
        r"\ln", r"\exp", r"\sqrt", r"\delta", r"\partial", r"\input", r"\foo", "{(2)}", "$",
        "%", "=", "σ", "ŷ", "₂", r"\operatorname", "e",
    ]
)  # fmt: skip


@given(st.lists(TOKENS, max_size=40))
def test_any_token_soup_gives_an_expression_or_a_parse_error(parts: list[str]) -> None:
    text = "".join(parts)
    try:
        result = parse_latex(text)
    except ParseError as error:
        assert 0 <= error.position <= len(text)
        assert not re.search(r"write [^;]*\*", error.reason), error.reason  # LaTeX needs no '*'
    else:
        assert isinstance(result, sp.Basic)
