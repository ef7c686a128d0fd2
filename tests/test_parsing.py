"""The safe parser: what it accepts, what it refuses and where, and that it runs nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.core.errors import SymderivError
from symderiv.core.functions import relu, sigmoid, softplus
from symderiv.parse.plain import (
    MAX_DEPTH,
    MAX_INPUT_LENGTH,
    ParseError,
    parse_expression,
)

x, y, z, a, b, w = sp.symbols("x y z a b w")
S = sp.Symbol

ACCEPTED = [
    ("x", x),
    ("42", sp.Integer(42)),
    ("0.5", sp.Rational(1, 2)),
    (".25", sp.Rational(1, 4)),
    ("1.5e-3", sp.Rational(3, 2000)),
    ("2E3", sp.Integer(2000)),
    ("x + y - 3", x + y - 3),
    ("x*y/2", x * y / 2),
    ("x^2", x**2),
    ("x**2", x**2),
    ("2^3^2", sp.Integer(512)),  # right-associative
    ("-x^2", -(x**2)),
    ("(-x)^2", x**2),
    ("2^-x", 2 ** (-x)),
    ("e^-x y", sp.exp(-x) * y),
    ("--x", x),
    ("+x", x),
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("2(x + 1)", 2 * (x + 1)),
    ("(a)(b)", a * b),
    ("(x + 1)y", (x + 1) * y),
    ("x y", x * y),
    ("sin(x)cos(x)", sp.sin(x) * sp.cos(x)),
    ("2e", 2 * sp.E),
    ("2e-x", 2 * sp.E - x),
    ("e", sp.E),
    ("E", sp.E),
    ("pi", sp.pi),
    ("π r^2", sp.pi * S("r") ** 2),
    ("x^0.5", sp.sqrt(x)),
    ("sqrt(x)", sp.sqrt(x)),
    ("exp(x)", sp.exp(x)),
    ("ln(x)", sp.log(x)),
    ("log(x)", sp.log(x)),
    ("log(x, 2)", sp.log(x) / sp.log(2)),
    ("sin(x) + cos(x) + tan(x)", sp.sin(x) + sp.cos(x) + sp.tan(x)),
    ("sec(x) csc(x) cot(x)", sp.sec(x) * sp.csc(x) * sp.cot(x)),
    ("asin(x) + arccos(x) + arctan(x)", sp.asin(x) + sp.acos(x) + sp.atan(x)),
    ("sinh(x) + cosh(x) + tanh(x)", sp.sinh(x) + sp.cosh(x) + sp.tanh(x)),
    ("abs(x) + Abs(y)", sp.Abs(x) + sp.Abs(y)),
    ("sigmoid(z)", sigmoid(z)),
    ("σ(z)", sigmoid(z)),
    ("relu(z) + ReLU(x)", relu(z) + relu(x)),
    ("softplus(z)", softplus(z)),
    ("Heaviside(z, 0)", sp.Heaviside(z, 0)),
    ("sign(x)", sp.sign(x)),
    ("abs(e^x) + im(y)", sp.exp(sp.re(x)) + sp.im(y)),
    ("ŷ", S("yhat")),
    ("y\u0302", S("yhat")),
    ("ŷ₁ − y₁", S("yhat_1") - S("y_1")),
    ("w₂", S("w2")),
    ("δ₂", S("delta2")),
    ("η", S("eta")),
    ("ηx", S("eta") * x),
    ("t₁", S("t_1")),
    ("w2_1_3", S("w2_1_3")),
    ("2·x × y", 2 * x * y),
    ("x – y", x - y),
    ("x²", x**2),
    ("x³y", x**3 * y),
    ("x^2 y", x**2 * y),
    ("x^(2)y", x**2 * y),
    ("e^(2x)", sp.exp(2 * x)),
    ("x^2 (x + 1)", x**2 * (x + 1)),
    ("x⁻¹", 1 / x),
    ("σ(w₂ a₁ + b₂)", sigmoid(S("w2") * S("a1") + S("b2"))),
    ("(ŷ - y)^2/2", (S("yhat") - y) ** 2 / 2),
    ("2^1000", sp.Integer(2) ** 1000),
    ("x^1000", x**1000),
    ("  x\t+\ny ", x + y),
    ("((((x))))", x),
    ("ln(2 + cos(x))", sp.log(2 + sp.cos(x))),
    # a name that is not a function, before "(", multiplies it
    ("a1(1-a1)", S("a1") * (1 - S("a1"))),
    ("ŷ(1−ŷ)", S("yhat") * (1 - S("yhat"))),
    ("yhat (1-yhat)", S("yhat") * (1 - S("yhat"))),
    ("2y(1-y)", 2 * y * (1 - y)),
    ("x(y + 1)", x * (y + 1)),
    ("f(x)", S("f") * x),
    ("x^2 (x + 1)y", x**2 * (x + 1) * y),
    ("[(ŷ − y)]a₁", (S("yhat") - y) * S("a1")),
    ("[1 - σ(z)]σ(z)", (1 - sigmoid(z)) * sigmoid(z)),
    ("∂J/∂ŷ·ŷ", S("dJ_dyhat") * S("yhat")),
    ("∂J/∂ŷ₁", S("dJ_dyhat_1")),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted(text: str, expected: sp.Expr) -> None:
    assert parse_expression(text) == expected


REJECTED = [
    # (text, caret position, words the reason must contain)
    ("", 0, "empty"),
    ("x +", 3, "ends too early"),
    ("(x + 1", 6, "expected ')'"),
    ("x + 1)", 5, "unexpected"),
    ("sin x", 0, "parentheses"),
    ("sin^2(x)", 0, "sin(x)^2"),
    ("sin²(x)", 0, "parentheses"),
    ("sigmod(z)", 0, "did you mean sigmoid(...)?"),
    ("Tanh(z)", 0, "did you mean tanh(...)?"),
    ("1/2x", 3, "ambiguous"),
    ("1/x(y)", 3, "ambiguous"),
    ("e^2x", 3, "ambiguous"),
    ("x^-2y", 4, "ambiguous"),
    ("x^2(x + 1)", 3, "ambiguous"),
    ("2^x(x + 1)", 3, "ambiguous"),
    ("x 2", 2, "number cannot follow"),
    ("(x)2", 3, "number cannot follow"),
    ("[x + 1)", 6, "expected ']'"),
    ("sin[x]", 0, "parentheses"),
    ("∂x", 0, "derivative of the cost"),
    ("log(x, 2, 3)", 0, "takes 1 or 2"),
    ("sin(x, y)", 0, "takes 1"),
    ("x $ y", 2, "unexpected character"),
    ("x = 1", 2, "unexpected character"),
    ("x.y", 1, "unexpected character"),
    ("1.2.3", 3, "decimal point"),
    ("x__y", 0, "double underscore"),
    ("x_", 0, "underscore"),
    ("_x", 0, "unexpected character"),
    ("a" * 33, 0, "longer than 32"),
    ("1" * 51, 0, "more than 50 digits"),
    ("1e99999999", 1, "decimal exponent"),
    ("1e101", 1, "decimal exponent"),
    ("9^9^9", 1, "exponent"),
    ("10**10**10", 2, "exponent"),
    ("x^1001", 1, "exponent"),
    ("x^(10^999)", 5, "digits"),
    ("123456789^500", 9, "digits"),
    ("1/0", 1, "undefined"),
    ("x/0", 1, "undefined"),
    ("log(0)", 0, "undefined"),
    ("tan(pi/2)", 0, "undefined"),
    ("α + 1", 0, "U+03B1"),
    ("x ∗ y", 2, "U+2217"),
    ("ｘ", 0, "U+FF58"),
    ("a\u0302", 1, "combining hat"),
    ("x\u2081y", 2, "subscript digits must end"),
    ("₂", 0, "subscript"),
    ("⁻", 1, "superscript"),
    ("while", 0, "reserved"),
    ("sum(x)", 0, "reserved"),
    ("x, y", 1, "unexpected"),
    ("-" * (MAX_DEPTH + 1) + "x", MAX_DEPTH, "nested"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "nested"),
    ("x" * 10 + "+" + "x" * (MAX_INPUT_LENGTH), MAX_INPUT_LENGTH, "longer than"),
]


@pytest.mark.parametrize(
    ("text", "position", "reason"), REJECTED, ids=[t[:30] for t, _, _ in REJECTED]
)
def test_rejected_with_caret(text: str, position: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_expression(text)
    error = caught.value
    assert error.position == position
    assert reason in error.reason
    assert isinstance(error, SymderivError)
    _, shown, caret = str(error).split("\n")
    if len(text) < 70 and text.isascii() and text.isprintable():
        assert shown == "  " + text
        assert caret == "  " + " " * position + "^"


def test_caret_allows_for_wide_and_combining_characters() -> None:
    with pytest.raises(ParseError) as caught:
        parse_expression("ｘ + $")
    assert caught.value.position == 0
    with pytest.raises(ParseError) as caught:
        parse_expression("y\u0302 + $")
    assert str(caught.value).splitlines()[2] == "  " + " " * 4 + "^"


def test_message_never_carries_control_characters() -> None:
    with pytest.raises(ParseError) as caught:
        parse_expression("x\x1b[31m")
    assert "\x1b" not in str(caught.value)
    assert caught.value.position == 1


def test_long_input_is_shown_as_a_window_around_the_caret() -> None:
    text = "x + " * 300 + "$"
    with pytest.raises(ParseError) as caught:
        parse_expression(text)
    _, shown, caret = str(caught.value).split("\n")
    assert len(shown) < 90 and shown.startswith("  …")
    assert shown[caret.index("^")] == "$"


def test_known_symbols_with_did_you_mean() -> None:
    assert parse_expression("w2 a1", symbols={"w2", "a1"}) == S("w2") * S("a1")
    assert parse_expression("e^x pi", symbols={"x"}) == sp.exp(x) * sp.pi
    with pytest.raises(ParseError, match="Did you mean 'yhat'") as caught:
        parse_expression("a1 + yaht", symbols={"yhat", "a1"})
    assert caught.value.position == 5
    with pytest.raises(ParseError, match=r"x\*y"):
        parse_expression("xy", symbols={"x", "y"})


# ---------------------------------------------------------------------------- nothing runs

INJECTIONS = [
    "__import__('os').system('touch {marker}')",
    '__import__("os").system("touch {marker}")',
    "lambda: 1",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "().__ｃｌａｓｓ__",
    'eval("1")',
    'eval(\'open("{marker}", "w")\')',
    "exec('import os')",
    "exec",
    "getattr(x, 'y')",
    "getattr",
    "open('/etc/passwd')",
    "open('{marker}', 'w').write('x')",
    "compile('1', 'f', 'eval')",
    "globals()",
    "import os",
    "x; import os",
    "[c for c in ().__class__.__bases__]",
    "Symbol('x')",
    "S('x')",
    "sympify('x')",
    "{x: 1}",
    "x if x else y",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_is_rejected_and_runs_nothing(
    template: str, tmp_path: Path, tripwires: list[str]
) -> None:
    marker = tmp_path / "PWNED"
    with pytest.raises(ParseError):
        parse_expression(template.replace("{marker}", str(marker)))
    assert tripwires == []
    assert not marker.exists()


def test_valid_text_also_runs_nothing(tripwires: list[str]) -> None:
    parse_expression("σ(w₂ a₁ + b₂) + log(x, 2) + sqrt(8) x^0.5")
    assert tripwires == []


# ---------------------------------------------------------------------------- never hangs

HUGE = [
    "x+" * 500_000 + "x",
    "(" * 1_000 + "x" + ")" * 1_000,
    "-" * 1_900 + "x",
    "9^9^9",
    "10**10**10",
    "1e99999999",
    "2^2^2^2^2^2",
    "x^" * 600 + "x",
    "sin(" * 400 + "x" + ")" * 400,
    "*".join(["7^(1/3)"] * 240),
    "*".join(["123457^(1/3)"] * 150),
    "*".join(["exp(log(123457)/3)"] * 100),
    "*".join(["99999999999999999999^40"] * 20),
    "+".join(["x/" + "9" * 50] * 38),
    "x" + "+x" * 999,
    "sqrt(" + "7" * 50 + ")*" + "sqrt(" + "3" * 50 + ")*" + "sqrt(" + "1" * 50 + ")",
    "(" + "2^999" + ")^(1/7)",
]


@pytest.mark.parametrize("text", HUGE, ids=[f"{t[:20]}…{len(t)}" for t in HUGE])
def test_huge_or_slow_inputs_finish_fast(text: str) -> None:
    start = time.perf_counter()
    try:
        expr = parse_expression(text)
    except ParseError:
        expr = None
    assert time.perf_counter() - start < 1.0
    if expr is not None:
        sp.sstr(expr)  # printable: no number beyond Python's digit limit


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_any_text_gives_an_expression_or_a_parse_error(text: str) -> None:
    _parse_quickly(text)


GRAMMAR = "0123456789.xyze +-*/^(),πσŷ₂²⁻·−" + "sincoexplgqrtabhdu_"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=GRAMMAR, max_size=80))
def test_fuzz_grammar_like_text(text: str) -> None:
    _parse_quickly(text)


SOUP = ["x", "2", "9", "123457", "(", ")", "^", "*", "/", "+", "-", "sqrt(", "exp(", "log("]
SOUP += ["1/3", "0.5", "e", "pi", "sin(", ","]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=60).map("".join))
def test_fuzz_token_soup(text: str) -> None:
    _parse_quickly(text)


def _parse_quickly(text: str) -> None:
    start = time.perf_counter()
    try:
        result = parse_expression(text)
    except ParseError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert isinstance(result, sp.Expr)
    assert time.perf_counter() - start < 2.0, text


@pytest.mark.parametrize(
    ("primed", "plain"),
    [
        ("σ'(z2)", "sigmoid(z2)*(1 - sigmoid(z2))"),
        ("σ′(z2)", "sigmoid(z2)*(1 - sigmoid(z2))"),
        ("sigmoid'(z2)", "sigmoid(z2)*(1 - sigmoid(z2))"),
        ("tanh'(x)", "1 - tanh(x)^2"),
        ("relu'(x)", "Heaviside(x, 0)"),
        ("softplus'(x)", "sigmoid(x)"),
        ("ln'(x)", "1/x"),
    ],
)
def test_a_prime_after_a_function_is_its_derivative(primed: str, plain: str) -> None:
    assert parse_expression(primed) == parse_expression(plain)


def test_a_prime_after_a_symbol_is_refused_by_name() -> None:
    with pytest.raises(ParseError, match="a prime is understood after a function"):
        parse_expression("x'(2)")
