"""`symderiv check` from the command line: output, JSON, exit status, batch mode."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from symderiv.cli.check import check_command
from symderiv.cli.main import Group


@click.group(cls=Group)
def cli() -> None:
    """A group like the real one, holding only `check`."""


cli.add_command(check_command)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args])


def test_correct_answer_exits_0() -> None:
    result = run("2*(yhat - y)*yhat*(1 - yhat)*a1", "--param", "w2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("correct: ∂J/∂w₂")
    assert "read as:" in result.output


def test_incorrect_answer_exits_1_with_mistake_and_counterexample() -> None:
    result = run(r"2(\hat{y}-y)\hat{y}a_1", "-p", "w2")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "incorrect: ∂J/∂w₂"
    assert any(line.strip().startswith("mistake:") and "wrong activation" in line for line in lines)
    assert any("counterexample:" in line and "w₂ =" in line for line in lines)
    assert any("your answer =" in line for line in lines)


def test_unreadable_answer_exits_2_with_the_caret_picture() -> None:
    result = run("2*(yaht - y)", "--param", "w2")
    assert result.exit_code == 2
    assert "Did you mean 'yhat'?" in result.output
    assert "      ^" in result.output


def test_hostile_latex_exits_2() -> None:
    result = run(r"\input{/etc/passwd}", "--param", "w2")
    assert result.exit_code == 2
    assert r"\input is not allowed" in result.output


def test_json_output_carries_verdict_diagnosis_and_counterexample() -> None:
    result = run("2*(yhat - y)*a1", "--param", "w2", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["verdict"] == "incorrect"
    assert data["answer"] == "2*(yhat - y)*a1"
    assert data["diagnosis"]["mistake"] == "missing_factor"
    assert data["diagnosis"]["factor"] == "∂ŷ/∂z₂"
    assert set(data["counterexample"]["point"]) == {"x", "y", "w1", "b1", "w2", "b2"}
    assert data["counterexample"]["answer"] != data["counterexample"]["expected"]


def test_latex_flag_forces_latex() -> None:
    plain = json.loads(run("2*a1", "--param", "w2", "--json").output)
    forced = json.loads(run("2*a1", "--param", "w2", "--json", "--latex").output)
    assert plain["format"] == "plain" and forced["format"] == "latex"


def test_a_negative_answer_goes_after_double_dash() -> None:
    result = run("--param", "b2", "--", "-2*(y - yhat)*yhat*(1 - yhat)")
    assert result.exit_code == 0, result.output


def test_an_answer_written_as_an_equation() -> None:
    assert run("dJ/dw2 = delta2*a1", "--param", "w2").exit_code == 0
    result = run(r"\frac{\partial J}{\partial w_1} = \delta_2 a_1", "--param", "w2")
    assert result.exit_code == 2
    assert "the left side of '=' is ∂J/∂w₁ (another parameter)" in result.output


# ---------------------------------------------------------------------------- standard input


def run_with_input(text: str | bytes, *args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "-", *args], input=text)


def test_answer_from_standard_input() -> None:
    result = run_with_input("2*(yhat - y)*yhat*(1 - yhat)*a1\n", "--param", "w2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "correct"
    assert data["answer"] == "2*(yhat - y)*yhat*(1 - yhat)*a1"


def test_latex_on_several_lines_from_standard_input() -> None:
    answer = "\\frac{\\partial J}{\\partial w_2}\n  = 2\\left(\\hat{y} - y\\right)\n"
    answer += "  \\hat{y}\\,(1-\\hat{y})\\, a_1\n"
    result = run_with_input(answer, "--param", "w2")
    assert result.exit_code == 0, result.output
    wrong = run_with_input("2(\\hat{y}-y)\\sigma'(\\hat{y})a_1", "--param", "w2")
    assert wrong.exit_code == 1
    assert "activation derivative at the wrong argument" in wrong.output


def test_standard_input_up_to_the_parser_s_limit_then_one_clear_error() -> None:
    from symderiv.parse.latex import MAX_LATEX_LENGTH

    longest = "x" + " " * (MAX_LATEX_LENGTH - 1)  # a short answer, padded to the limit
    assert run_with_input(longest, "--param", "b2").exit_code == 1
    result = run_with_input("x" * (MAX_LATEX_LENGTH + 1) + "\n" * 10_000, "--param", "b2")
    assert result.exit_code == 2
    assert result.output == (
        f"symderiv: error: the answer on standard input is longer than {MAX_LATEX_LENGTH:,} "
        "characters\n"
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no answer on standard input"),
        ("  \n\t\n", "no answer on standard input"),
        (b"x\xff\xfe", "not UTF-8 text"),
    ],
)
def test_standard_input_that_holds_no_answer_exits_2(text: str | bytes, words: str) -> None:
    result = run_with_input(text, "--param", "w2")
    assert result.exit_code == 2
    assert result.output.startswith("symderiv: error: ") and words in result.output
    assert result.output.count("\n") == 1


def test_network_options_and_spec_file_choose_the_network(tmp_path: Path) -> None:
    assert run("(yhat - y)*a1", "-p", "w2", "--cost", "binary_cross_entropy").exit_code == 0
    assert run(r"\delta^{(1)}_{1} x_2", "-p", "w1_1_2", "--layers", "2-2-1").exit_code == 0
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\nlayers = "1-1-1-1"\ncost = "half_squared_error"\n')
    result = run("delta3*w3*a2*(1 - a2)*w2*a1*(1 - a1)*x", str(spec), "-p", "w1")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--param", "w2"], "give the ANSWER"),
        (["x"], "--param NAME"),
        (["x", "--param", "w2", "--cost", "cubic"], "unknown cost 'cubic'"),
        (["x", "--param", "w2", "--out-dir", "d"], "--out-dir goes with --batch"),
        (["x", "--param", "w2", "--jobs", "2"], "--jobs goes with --batch"),
        (["x", "--param", "w2", "--timeout", "0"], "0.1<=x<=600"),
        (["x", "--param", "w2", "nonexistent.toml"], "no such file"),
    ],
)
def test_bad_usage_exits_2(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert words in result.output


def test_unknown_parameter_exits_2() -> None:
    result = run("x", "--param", "w7")
    assert result.exit_code == 2
    assert "unknown parameter 'w7'" in result.output


def test_the_command_works_outside_the_group_too() -> None:
    result = CliRunner().invoke(check_command, ["x", "--param", "w2", "--cost", "cubic"])
    assert result.exit_code == 2
    assert "symderiv: error: unknown cost" in result.output


def test_help_shows_examples_and_exit_status() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Exit status" in result.output and "--batch answers.csv" in result.output


# ---------------------------------------------------------------------------- batch

ROWS = "id,param,answer\na,w2,delta2*a1\nb,w2,2*(yhat - y)*a1\n"


def test_batch_writes_the_report_and_exits_0_when_all_are_judged(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(ROWS)
    out = tmp_path / "reports"
    result = run("--batch", str(answers), "--out-dir", str(out), "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "checked 2 answers" in result.output
    assert "1 correct, 1 incorrect, 0 cannot judge" in result.output
    assert (out / "report.csv").exists() and (out / "report.json").exists()


def test_batch_defaults_to_the_current_directory_and_exits_1_on_unjudged_rows(
    tmp_path: Path,
) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(ROWS + "c,w2,yaht\n")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = runner.invoke(cli, ["check", "--batch", str(answers), "--json"])
        assert result.exit_code == 1, result.output
        summary = json.loads(result.output)
        assert summary["cannot judge"] == 1
        assert Path(cwd, "report.csv").exists()


def test_batch_takes_the_spec_as_its_positional_argument(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("id,param,answer\na,w2,(yhat - y)*a1\n")
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\ncost = "binary_cross_entropy"\n')
    result = run("--batch", str(answers), str(spec), "--out-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "1 correct" in result.output


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--param", "w2"], "--param is given per row"),
        (["--cost", "cubic"], "unknown cost"),
    ],
)
def test_batch_usage_errors_exit_2(tmp_path: Path, extra: list[str], words: str) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text(ROWS)
    result = run("--batch", str(answers), "--out-dir", str(tmp_path), *extra)
    assert result.exit_code == 2
    assert words in result.output


def test_batch_refuses_a_bad_file_or_a_foreign_report_without_judging(tmp_path: Path) -> None:
    assert "no such file" in run("--batch", str(tmp_path / "absent.csv")).output
    answers = tmp_path / "answers.csv"
    answers.write_text(ROWS)
    (tmp_path / "report.json").write_text("{}")
    result = run("--batch", str(answers), "--out-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "pass --force" in result.output
    assert not (tmp_path / "report.csv").exists()
    forced = run("--batch", str(answers), "--out-dir", str(tmp_path), "--force")
    assert forced.exit_code == 0
