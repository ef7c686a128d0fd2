"""`symderiv steps`: text and JSON output, clear user errors with exit status 2, no code runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.cli.steps import steps_command
from symderiv.parse.plain import parse_expression


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(steps_command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_text_output_of_the_warm_up() -> None:
    code, out, err = run("ln(2 + cos(x))")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "chain rule: d/dx ln(2 + cos(x)) = -sin(x)/(2 + cos(x))"
    assert any("outer function f(g) = ln(g)" in line for line in lines)
    assert lines[-1].strip().endswith("put g = 2 + cos(x) back: -sin(x)/(2 + cos(x))")


def test_unicode_input_and_explicit_variable() -> None:
    code, out, _ = run("σ(w₂ a₁ + b₂)", "--wrt", "w₂")
    assert code == 0
    assert out.startswith("chain rule: ∂/∂w₂ σ(")
    assert "derivative of the sigmoid" in out
    assert "the factor a₁ does not depend on w₂: it is kept" in out


def test_json_output_is_a_tree_that_parses_back() -> None:
    code, out, _ = run("x^2 sin(x)", "--format", "json")
    assert code == 0
    tree = json.loads(out)
    assert tree["rule"] == "product"
    assert tree["title"] == "product rule"
    assert tree["wrt"] == "x"
    assert [s["rule"] for s in tree["substeps"]] == ["power", "sin"]
    assert tree["factors"] == ["x**2", "sin(x)"]
    assert parse_expression(tree["result"]) == parse_expression("2x sin(x) + x^2 cos(x)")


def test_json_chain_records_its_substitution() -> None:
    _, out, _ = run("sigmoid(3z)", "--format", "json")
    tree = json.loads(out)
    assert tree["rule"] == "chain"
    assert tree["substitutions"] == [["g", "3*z"]]
    assert tree["variable"] == "g"
    assert tree["substeps"][0]["rule"] == "sigmoid"


def test_several_variables_need_wrt() -> None:
    code, out, err = run("x y")
    assert code == 2 and out == ""
    assert err.startswith("symderiv: error: the expression has several variables (x, y)")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["x +"], "ends too early"),
        (["sin x"], "parentheses"),
        (["x^2", "--wrt", "z"], "unknown variable 'z'"),
        (["x^2", "--wrt", "x+1"], "one variable name"),
        (["9^9^9"], "exponent"),
    ],
)
def test_bad_input_exits_2_with_one_message(args: list[str], words: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.startswith("symderiv: error: ")
    assert words in err
    assert "Traceback" not in err


def test_parse_error_shows_a_caret() -> None:
    _, _, err = run("x + $")
    assert err.splitlines()[1:] == ["  x + $", "      ^"]


def test_bad_format_is_a_usage_error() -> None:
    code, _, err = run("x", "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_injection_through_the_cli_does_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    for text in (
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "().__class__.__base__.__subclasses__()",
    ):
        code, out, err = run(text)
        assert code == 2 and out == "" and "symderiv: error:" in err
    code, _, err = run("x", "--wrt", f"__import__('os').system('touch {marker}')")
    assert code == 2 and "--wrt" in err
    assert not marker.exists()


def test_help_has_examples() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert 'symderiv steps "ln(2 + cos(x))"' in out
    assert "--wrt" in out and "--format" in out
