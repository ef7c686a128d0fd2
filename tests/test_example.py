"""`symderiv example`: worked examples with numbers, gradient descent, JSON, SVG, partials."""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import click
import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.cli.numbers import example_command
from symderiv.core.costs import COSTS
from symderiv.core.errors import SymderivError
from symderiv.core.functions import ACTIVATIONS, ELEMENTWISE
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers.evaluate import compile_numbers, evaluate
from symderiv.numbers.values import resolve_values
from symderiv.render.cost_curve import cost_curve_svg
from symderiv.render.example import worked_example
from symderiv.render.printing import to_latex, to_text
from symderiv.render.templating import render
from symderiv.render.written_numbers import Number, Substituted, format_number
from tests import realtools
from tests.conftest import DATA

ORACLE = json.loads((DATA / "oracle-gradients.json").read_text())
TOLERANCE = 1e-9
CONCRETE = [name for name, cost in COSTS.items() if not cost.is_abstract]
EXACT_SEED = "x=1/2,y=1,w1=3/10,b1=1/10,w2=-1/5,b2=2/5,eta=1/2"


def run(command: click.Command, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def toml_spec(case: dict[str, Any], learning_rate: float = 0.1) -> str:
    """The case as a spec file: JSON arrays of floats and strings are valid TOML too."""
    network = "\n".join(
        f"{key} = {json.dumps(case[key])}"
        for key in ("layers", "hidden_activation", "output_activation", "cost")
    )
    values = "\n".join(f"{key} = {json.dumps(case[key])}" for key in ("x", "y", "W", "b"))
    return f"[network]\n{network}\n\n[values]\n{values}\nlearning_rate = {learning_rate}\n"


def flat(values: Any) -> list[float]:
    if isinstance(values, list):
        return [v for item in values for v in flat(item)]
    return [float(values)]


def assert_close(got: Any, want: Any, what: str) -> None:
    got_flat, want_flat = flat(got), flat(want)
    assert len(got_flat) == len(want_flat), what
    for g, w in zip(got_flat, want_flat):
        assert abs(g - w) <= TOLERANCE * max(abs(w), abs(g), 1e-12), (what, g, w)


def shape(values: Any) -> Any:
    return [shape(v) for v in values] if isinstance(values, list) else None


@pytest.mark.parametrize("case", ORACLE["cases"], ids=lambda c: "-".join(map(str, c["layers"])))
def test_every_oracle_case_through_the_command(case: dict[str, Any], tmp_path: Path) -> None:
    spec = tmp_path / "case.toml"
    spec.write_text(toml_spec(case))
    code, out, err = run(example_command, str(spec), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert_close(data["yhat"], case["yhat"], "yhat")
    assert_close(data["J"], case["J"], "J")
    assert_close(data["dJ_dW"], case["dJ_dW"], "dJ_dW")
    assert_close(data["dJ_db"], case["dJ_db"], "dJ_db")
    w_next = [
        [[w - 0.1 * g for w, g in zip(row, grow)] for row, grow in zip(layer, glayer)]
        for layer, glayer in zip(case["W"], case["dJ_dW"])
    ]
    b_next = [
        [b - 0.1 * g for b, g in zip(layer, gl)] for layer, gl in zip(case["b"], case["dJ_db"])
    ]
    assert_close(data["W_next"], w_next, "W_next")
    assert_close(data["b_next"], b_next, "b_next")
    assert shape(data["W_next"]) == shape(case["W"]) and shape(data["delta"]) == shape(case["b"])
    assert shape(data["z"]) == shape(data["a"]) == shape(case["b"])
    assert_close(data["a"][-1], data["yhat"], "a[L] is yhat")
    assert len(data["history"]) == 2 and data["history"][0] == data["J"]


def test_json_has_the_documented_keys() -> None:
    code, out, _ = run(example_command, "--json", "--steps", "3")
    data = json.loads(out)
    required = {"yhat", "J", "delta", "dJ_dW", "dJ_db", "W_next", "b_next", "z", "a", "history"}
    assert required <= set(data)
    assert code == 0 and len(data["history"]) == 4
    assert data["network"]["layers"] == [1, 1, 1] and data["learning_rate"] == 0.5


def test_json_keeps_its_key_order_and_plain_lists() -> None:
    _, out, _ = run(example_command, "--json", "--layers", "2-2-1", "--steps", "2")
    data = json.loads(out)
    assert list(data) == [
        "network", "exact", "learning_rate", "steps", "x", "y", "W", "b", "z", "a", "yhat", "J",
        "delta", "dJ_dW", "dJ_db", "W_next", "b_next", "history",
    ]  # fmt: skip
    assert list(data["network"]) == ["layers", "hidden_activation", "output_activation", "cost"]
    assert shape(data["W"]) == [[[None, None], [None, None]], [[None, None]]]
    backprop = derive(NetworkSpec(layers=(2, 2, 1)))
    example = worked_example(backprop, resolve_values(backprop.network), 2)
    assert example.to_json() == data  # lists, as JSON reads them back, not tuples


def test_the_numbers_do_not_import_the_renderers() -> None:
    """numbers/ is data: turning it into text, LaTeX or SVG is render/'s job."""
    program = (
        "import importlib, pkgutil, sys, symderiv.numbers as n\n"
        "for m in pkgutil.iter_modules(n.__path__):\n"
        "    importlib.import_module(f'symderiv.numbers.{m.name}')\n"
        "print(sorted(m for m in sys.modules if m.startswith('symderiv.render')))"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_seed_example_reads_as_the_lecture() -> None:
    code, out, err = run(example_command)
    assert code == 0, err
    for line in (
        "z₁ = w₁·x + b₁ = 0.3·0.5 + 0.1 = 0.25",
        "ŷ = σ(z₂) = σ(0.2876) = 0.5714",
        "J = (ŷ − y)^2 = (0.5714 − 1)^2 = 0.1837",
        "∂ŷ/∂z₂ = ŷ·(1 − ŷ) = 0.5714·(1 − 0.5714) = 0.2449",
        "δ₂ = 2·(ŷ − y)·ŷ·(1 − ŷ) = 2·(0.5714 − 1)·0.5714·(1 − 0.5714) = −0.2099",
        "δ₁ = δ₂·w₂·a₁·(1 − a₁) = (−0.2099)·(−0.2)·0.5622·(1 − 0.5622) = 0.01033",
        "∂J/∂w₂ = δ₂·a₁ = (−0.2099)·0.5622 = −0.1180",  # a rounded value keeps its digits
        "w₂ ← w₂ − η·∂J/∂w₂ = −0.2 − 0.5·(−0.1180) = −0.1410",
    ):
        assert line in out, line


def test_numbers_match_the_engine() -> None:
    backprop = derive()
    values = resolve_values(backprop.network)
    example = worked_example(backprop, values, digits=6)
    evaluation = evaluate(backprop, dict(values.point))
    for line in example.gradients:
        assert line.wrt is not None
        assert math.isclose(line.number, float(evaluation.gradients[line.wrt]), rel_tol=1e-12)
    for line in example.updates:
        want = values.point[line.of] - values.learning_rate * evaluation.gradients[line.of]
        assert math.isclose(line.number, float(want), rel_tol=1e-12)


def test_negative_numbers_keep_their_parentheses() -> None:
    backprop = derive(NetworkSpec(hidden_activation="tanh"))
    values = resolve_values(backprop.network, None, "y=-1,x=-2")
    example = worked_example(backprop, values)
    text = render("text", "example.txt.jinja", example=example)
    assert "2·(0.5714 − (−1))" not in text  # the numbers differ; the form is checked below
    delta = example.deltas[0]
    numbers = delta.forms[-1]
    assert isinstance(numbers, Substituted)
    assert " − (−1))" in to_text(numbers)
    assert r"- \left(-1\right)" in to_latex(numbers) and "- -" not in to_latex(numbers)
    z1 = example.forward[0]
    assert "0.3·(−2) + 0.1" in to_text(z1.forms[-1])
    assert r"0.3 \cdot \left(-2\right) + 0.1" in to_latex(z1.forms[-1])
    for section in (example.forward, example.factors, example.deltas, example.gradients):
        for line in section:
            for form in line.forms:
                assert "- -" not in to_latex(form) and "−−" not in to_text(form)


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (sp.Float("0.61999", 30), 4, "0.6200"),  # rounded: its four digits shown
        (sp.Float("-0.1790123", 30), 3, "-0.179"),
        (sp.Float("123456.7", 30), 4, "1.235e5"),
        (sp.Float("99999.4", 30), 4, "1.000e5"),
        (sp.Float("0.00012345", 30), 3, "0.000123"),
        (sp.Float("0.0000123", 30), 3, "1.23e-5"),
        (sp.Float("0", 30), 4, "0"),
        (sp.Rational(3, 10), 4, "3/10"),
        (sp.Integer(-7), 4, "-7"),
        (sp.Rational(1, 3_000_000), 3, "3.33e-7"),  # long fractions become decimals
    ],
)
def test_format_number(value: sp.Expr, digits: int, text: str) -> None:
    assert format_number(value, digits) == text


def test_numbers_print_as_written() -> None:
    assert to_latex(Number("1.2e-7")) == r"\left(1.2 \times 10^{-7}\right)"
    assert to_latex(Number("-3/10")) == r"\left(-\frac{3}{10}\right)"
    assert to_text(Number("-0.5")) == "(−0.5)" and to_text(Number("0.5")) == "0.5"


def test_exact_input_gives_exact_results() -> None:
    spec = ["--activation", "linear", "--output-activation", "linear"]
    code, out, _ = run(example_command, *spec, "--values", EXACT_SEED)
    assert code == 0
    assert "J = (ŷ − y)^2 = (7/20 − 1)^2 = 169/400" in out
    assert "∂J/∂w₁ = δ₁·x = (13/50)·(1/2) = 13/100" in out
    assert "w₁ ← w₁ − η·∂J/∂w₁ = 3/10 − (1/2)·(13/100) = 47/200" in out
    assert "≈" not in out.split("Given")[1].split("Cost")[0]
    code, out, _ = run(example_command, *spec, "--values", EXACT_SEED, "--json")
    data = json.loads(out)
    assert data["exact"] is True and data["J"] == 169 / 400
    assert data["W_next"][0][0][0] == 47 / 200


def test_exact_input_through_a_sigmoid_marks_rounded_values() -> None:
    code, out, _ = run(example_command, "--values", EXACT_SEED)
    assert code == 0 and "exact arithmetic" in out
    assert "z₁ = w₁·x + b₁ = (3/10)·(1/2) + 1/10 = 1/4" in out
    assert "a₁ = σ(z₁) = σ(1/4) ≈ 0.5622" in out


def test_steps_descend_and_report_every_cost() -> None:
    code, out, _ = run(example_command, "--steps", "20", "--json")
    history = json.loads(out)["history"]
    assert code == 0 and len(history) == 21
    assert all(later < earlier for earlier, later in itertools.pairwise(history))
    code, out, _ = run(example_command, "--steps", "20")
    assert "Cost over 20 steps" in out and "Parameters after 20 steps" in out
    rows = out.split("Cost over 20 steps")[1].split("Parameters")[0].strip().splitlines()[1:]
    assert rows[0].split()[0] == "0" and rows[-1].split()[0] == "20" and len(rows) == 11


def test_steps_match_repeated_engine_steps() -> None:
    backprop = derive()
    values = resolve_values(backprop.network)
    point = dict(values.point)
    for _ in range(3):
        evaluation = evaluate(backprop, point)
        for p in backprop.network.parameters:
            point[p] = point[p] - values.learning_rate * evaluation.gradients[p]
    example = worked_example(backprop, values, steps=3)
    data = example.to_json()
    assert math.isclose(data["W_next"][1][0][0], float(point[backprop.network.parameters[2]]))
    assert math.isclose(example.history[-1], float(evaluate(backprop, point).cost))


@pytest.mark.parametrize(
    ("hidden", "output", "cost"),
    [
        *((h, "sigmoid", c) for h in sorted(ELEMENTWISE) for c in CONCRETE),
        *(("tanh", o, "half_squared_error") for o in sorted(ACTIVATIONS)),
        *(("relu", "softmax", c) for c in CONCRETE),
    ],
)
def test_compiled_numbers_agree_with_evaluate(hidden: str, output: str, cost: str) -> None:
    """Gradient descent's fast path computes what `evaluate` computes, to 25 digits."""
    for layers in [(1, 1, 1), (2, 3, 2)] if output in ELEMENTWISE else [(2, 3, 2), (1, 2, 3)]:
        spec = NetworkSpec(
            layers=layers, hidden_activation=hidden, output_activation=output, cost=cost
        )
        backprop = derive(spec)
        program = compile_numbers(backprop)
        assert program is not None
        point = dict(
            resolve_values(
                backprop.network, None, "b1=-0.4" if layers[1] == 1 else "b1_2=-0.4"
            ).point
        )
        want = evaluate(backprop, point)
        got = program.evaluate(point)
        pairs = [(got.cost, want.cost)]
        pairs += [(got.values[s], v) for s, v in want.values.items()]
        pairs += [(got.gradients[p], g) for p, g in want.gradients.items()]
        for g, w in pairs:
            assert abs(float(g - w)) <= 1e-25 * max(1.0, abs(float(w))), (g, w)


def test_a_saturated_output_during_descent_is_an_error_not_a_crash() -> None:
    """tanh reaches 1 at 30 digits, so ∂J/∂ŷ of the cross-entropy divides by zero."""
    backprop = derive(
        NetworkSpec(
            layers=(2, 3, 2),
            hidden_activation="relu",
            output_activation="tanh",
            cost="binary_cross_entropy",
        )
    )
    values = resolve_values(backprop.network, None, "eta=3")
    with pytest.raises(SymderivError, match="after step 1: the cost or a gradient is not a finite"):
        worked_example(backprop, values, steps=5)


def test_digits_option() -> None:
    _, out, _ = run(example_command, "--digits", "2")
    assert "ŷ = σ(z₂) = σ(0.29) = 0.57" in out
    _, out, _ = run(example_command, "--digits", "8")
    assert "ŷ = σ(z₂) = σ(0.28756470) = 0.57139983" in out


def test_saturated_sigmoid_is_flagged_not_hidden() -> None:
    code, out, _ = run(example_command, "--values", "x=1000")
    assert code == 0
    assert "a₁ = σ(z₁) = σ(300.1) = 1" in out
    assert "note: ∂a₁/∂z₁ is 0 to 30 digits: the activation has saturated" in out


def spec_file(tmp_path: Path, values: str) -> str:
    path = tmp_path / "spec.toml"
    path.write_text("[network]\nlayers = [1, 1, 1]\n\n[values]\n" + values)
    return str(path)


GOOD = "x = [0.5]\ny = [1.0]\nW = [[[0.3]], [[-0.2]]]\nb = [[0.1], [0.4]]\n"


@pytest.mark.parametrize(
    ("values", "args", "message"),
    [
        ("x = [0.5]\ny = [1.0]\nW = [[[0.3]], [[-0.2]]]\n", (), r"\[values\] lacks b"),
        (GOOD.replace("[[[0.3]], [[-0.2]]]", "[[[0.3]]]"), (), "W has 1 layers, expected 2"),
        (GOOD.replace("[[0.1], [0.4]]", "[[0.1, 2], [0.4]]"), (), "b.0. has 2 values, expected 1"),
        (GOOD.replace("[0.5]", '["half"]'), (), r"x\[0\] \(x\): 'half' is not a number"),
        (GOOD.replace("[0.5]", "[nan]"), (), "nan is not a finite number"),
        (GOOD.replace("[0.5]", "[1e300]"), (), "larger than the limit"),
        (GOOD, ("--values", "x=1000,w2=1000", "--cost", "binary_cross_entropy"), "undefined"),
        (GOOD, ("--values", "q=1"), "unknown name 'q'"),
        (GOOD, ("--values", "x=__import__('os')"), "is not a number"),
        (GOOD, ("--layers", "2-1"), "x has 1 values, expected 2"),
        (GOOD, ("--cost", "abstract"), "abstract cost"),
        (GOOD, ("--steps", "0"), "at least 1"),
        (GOOD, ("--steps", "100000"), "more than the limit"),
        (GOOD, ("--digits", "0"), "--digits must be between 1 and 15"),
        (
            GOOD,
            (
                "--values",
                "eta=100",
                "--activation",
                "linear",
                "--output-activation",
                "linear",
                "--steps",
                "50",
            ),
            "diverged",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, values: str, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(example_command, spec_file(tmp_path, values), *args)
    assert code == 2 and out == ""
    assert err.startswith("symderiv: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_long_sums_break_into_rows_that_keep_the_written_form() -> None:
    backprop = derive(NetworkSpec(layers=(4, 4, 3), cost="binary_cross_entropy"))
    example = worked_example(backprop, resolve_values(backprop.network))
    cost = example.forward[-1]
    assert cost.long and all(len(pieces) > 1 for pieces in cost.rows)
    numbers = cost.rows[-1]
    assert all(isinstance(piece.expr, Substituted) for piece in numbers)
    assert numbers[0].lead == "" and all(p.lead in ("", "+") for p in numbers[1:])
    joined = "".join(f"{p.lead}{to_latex(p.expr)}" for p in numbers).replace(" ", "")
    assert joined == to_latex(cost.forms[-1]).replace(" ", "")  # the rows make up the form
    short = example.forward[0]
    assert all(len(pieces) == 1 for pieces in example.forward[1].rows) and short.rows


def test_cost_curve_svg_is_small_valid_and_numbers_only() -> None:
    history = [0.9 * 0.8**i for i in range(301)]
    svg = cost_curve_svg(history)
    root = ET.fromstring(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    points = root.find(f"{namespace}polyline")
    assert points is not None and len(points.attrib["points"].split()) <= 201
    texts = [t.text or "" for t in root.iter(f"{namespace}text")]
    assert texts == ["0.9", "7.607e−30", "0", "300", "step", "J"]
    assert len(svg) < 10_000
    with pytest.raises(Exception, match="at least two finite costs"):
        cost_curve_svg([1.0])


def test_plot_and_plot_file_only_with_several_steps() -> None:
    backprop = derive()
    values = resolve_values(backprop.network)
    one = worked_example(backprop, values, 1)
    assert one.plot is None and one.plot_file is None
    several = worked_example(backprop, values, 5, plot_file="seed-cost.svg")
    assert several.plot is not None and several.plot_file == "seed-cost.svg"
    assert several.plot.path.count("--") == 5
    with pytest.raises(Exception, match="not a plain name"):
        worked_example(backprop, values, 5, plot_file="../evil.svg")


PARTIAL_CASES = [
    (NetworkSpec(), None, 8),
    (NetworkSpec(layers=(2, 3, 1), hidden_activation="tanh", cost="binary_cross_entropy"), None, 1),
    (NetworkSpec(hidden_activation="relu"), EXACT_SEED, 3),
    (NetworkSpec(), "x=1000", 1),
    (NetworkSpec(layers=(3, 3, 3), hidden_activation="relu", cost="binary_cross_entropy"), None, 2),
]


def _examples() -> list[Any]:
    examples = []
    for spec, flag, steps in PARTIAL_CASES:
        backprop = derive(spec)
        examples.append(
            worked_example(backprop, resolve_values(backprop.network, None, flag), steps)
        )
    return examples


@pytest.mark.realtool
def test_latex_partial_compiles(tmp_path: Path) -> None:
    parts = [render("latex", "example.tex.jinja", example=e) for e in _examples()]
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath,amssymb,booktabs,tikz,xcolor}\n"
        "\\allowdisplaybreaks\n\\begin{document}\n"
        + "\n\\clearpage\n".join(parts)
        + "\\end{document}\n"
    )
    tex = tmp_path / "example.tex"
    tex.write_text(document)
    realtools.assert_latex_ok(
        tex, expect_text=["Forward pass.", "0.5714", "Cost over 8 steps", "0.2099", "saturated"]
    )


@pytest.mark.realtool
def test_markdown_partial_renders_with_katex() -> None:
    for example in _examples():
        markdown = render("markdown", "example.md.jinja", example=example)
        realtools.assert_markdown_math_ok(markdown)
        if example.steps > 1:
            assert f"]({example.plot_file})" in markdown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-0.117999999", "-0.1180"),
        ("0.5", "0.5"),
        ("0.30000000001", "0.3000"),
        ("2.5e-7", "2.5e-7"),
    ],
)
def test_a_rounded_number_keeps_its_promised_digits(value: str, shown: str) -> None:
    assert format_number(sp.Float(value, 30), 4) == shown
