"""Usage errors of every kind are one `symderiv: error:` line and exit 2; `--help` stays light."""

from __future__ import annotations

import shlex
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from symderiv.cli.main import cli

COMMANDS = ["derive", "handout", "gallery", "steps", "check", "example", "gradcheck", "codegen"]
COMMANDS += ["exercises"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="symderiv")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("symderiv: error: ")
    assert "Traceback" not in err and "Usage:" not in err and "Error:" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-2"], "no such option '-2'; try 'symderiv --help'"),
        (["--bogus"], "no such option '--bogus'"),
        ([], "give a command: check, codegen, derive, example, exercises, gallery, gradcheck"),
        (["drive"], "unknown command 'drive'. Did you mean 'derive'?"),
        (["chek"], "Did you mean 'check'?"),
        (["derive", "--fromat", "text"], "no such option '--fromat'. Did you mean '--format'"),
        (["derive", "--from", "matrix"], "no such option '--from'. Did you mean '--form'"),
        (["derive", "--form", "matrices"], "'matrices' is not one of 'scalar', 'matrix', 'both'"),
        (["derive", "-q"], "no such option '-q'; try 'symderiv derive --help'"),
        (["derive", "--format", "pdf"], "'pdf' is not one of 'text', 'latex', 'markdown', 'json'"),
        (["derive", "a.toml", "b"], "unexpected extra argument (b); try 'symderiv derive --help'"),
        (["derive", "--param"], "option '--param' requires an argument"),
        (["handout", "--steps", "x"], "invalid value for '--steps': 'x' is not a valid integer"),
        (["handout", "--digits", "1.5"], "invalid value for '--digits'"),
        (["example", "--steps", "many"], "invalid value for '--steps'"),
        (["example", "--digits", "x"], "try 'symderiv example --help'"),
        (["gallery", "--format"], "option '--format' requires an argument"),
        (["steps"], "missing argument 'EXPR'; try 'symderiv steps --help'"),
        (["steps", "x", "--format", "pdf"], "'pdf' is not one of"),
        (["steps", "x", "y"], "unexpected extra argument (y)"),
        (["check", "--parm", "w2", "x"], "Did you mean '--param'?"),
        (["check", "x", "-p", "w2", "--timeout", "0"], "'--timeout': 0.0 is not in the range"),
        (["check", "x", "-p", "w2", "--jobs", "0"], "invalid value for '--jobs'"),
        (["gradcheck", "--values"], "option '--values' requires an argument"),
        (["codegen", "--bogus"], "no such option '--bogus'"),
    ],
)
def test_click_usage_errors_are_one_line(args: list[str], words: str) -> None:
    line = assert_one_error_line(*invoke(*args))
    assert words in line


def test_symderiv_errors_stay_one_line() -> None:
    line = assert_one_error_line(*invoke("check", "x", "--param", "w2", "--out-dir", "d"))
    assert line == "symderiv: error: --out-dir goes with --batch"
    line = assert_one_error_line(*invoke("steps", "x y"))
    assert "choose one with --wrt" in line


def test_a_command_used_on_its_own_reports_the_same_way() -> None:
    from symderiv.cli.steps import steps_command

    result = CliRunner().invoke(steps_command, ["x", "--format", "pdf"], prog_name="steps")
    line = assert_one_error_line(result.exit_code, result.stdout, result.stderr)
    assert line.endswith("; try 'steps --help'")


# ------------------------------------------------------------- an answer starting with '-'


@pytest.mark.parametrize(
    ("args", "answer", "fixed"),
    [
        (["-2*x", "--param", "w2"], "-2*x", "symderiv check --param w2 -- '-2*x'"),
        (
            ["--param", "w2", "-delta2*a1"],
            "-delta2*a1",
            "symderiv check --param w2 -- '-delta2*a1'",
        ),
        (
            ["-(y - yhat)", "net.toml", "-p", "b2", "--json"],
            "-(y - yhat)",
            "symderiv check -p b2 --json -- '-(y - yhat)' net.toml",
        ),
    ],
)
def test_an_answer_starting_with_minus_is_told_to_go_after_double_dash(
    args: list[str], answer: str, fixed: str
) -> None:
    line = assert_one_error_line(*invoke("check", *args))
    assert line.startswith(f"symderiv: error: {answer!r} reads as an option (no such option")
    assert "an ANSWER that starts with '-' goes after '--'" in line
    assert line.endswith(f": {fixed}")


def test_the_suggested_command_judges_the_answer() -> None:
    answer = "-2*(y - yhat)*yhat*(1 - yhat)"
    line = assert_one_error_line(*invoke("check", answer, "--param", "b2"))
    suggestion = shlex.split(line.rpartition(": ")[2])
    assert suggestion[:2] == ["symderiv", "check"]
    code, out, _ = invoke(*suggestion[1:])
    assert code == 0 and out.startswith("correct: ∂J/∂b₂")


# ------------------------------------------------------------- exit status of the rest


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_and_version_exit_0(command: list[str]) -> None:
    code, out, err = invoke(*command, "--help")
    assert code == 0 and out.startswith("Usage: symderiv") and err == ""
    if not command:
        code, out, _ = invoke("--version")
        assert code == 0 and "version" in out


def test_ctrl_c_prints_interrupted_and_exits_130() -> None:
    result = python(
        """
        from symderiv.cli.main import cli, main

        @cli.command("wait")
        def wait() -> None:
            raise KeyboardInterrupt

        main()
        """,
        "wait",
    )
    assert result.returncode == 130
    assert result.stderr == "symderiv: interrupted\n"


def test_the_console_entry_point_prints_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symderiv", "check", "-2*x", "--param", "w2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_error_line(result.returncode, result.stdout, result.stderr)
    assert "goes after '--'" in result.stderr


# ------------------------------------------------------------- light start-up


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_imports_neither_sympy_nor_numpy_nor_dask(command: list[str]) -> None:
    result = python(
        """
        import sys
        from symderiv.cli.main import cli

        cli.main([*sys.argv[1:], "--help"], prog_name="symderiv", standalone_mode=False)
        heavy = ("sympy", "numpy", "jinja2", "dask", "distributed")
        print(sorted(name for name in heavy if name in sys.modules))
        """,
        *command,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: symderiv" in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"
