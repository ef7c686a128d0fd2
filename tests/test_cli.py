"""The command line: derive output, help everywhere, and bad input as one clear line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symderiv.cli.main import cli
from symderiv.core.errors import SymderivError


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symderiv", *args], capture_output=True, text=True, timeout=120
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_derive_prints_every_gradient_of_the_seed_network() -> None:
    code, out, _ = invoke("derive", "--param", "all")
    assert code == 0
    for name in ("w₁", "b₁", "w₂", "b₂"):
        assert f"∂J/∂{name}" in out
    assert "δ₁ = ∂J/∂z₁ = δ₂ · ∂z₂/∂a₁ · ∂a₁/∂z₁ = δ₂·w₂·a₁·(1 − a₁)" in out
    assert "∂J/∂w₁ = δ₁·x" in out


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown"])
def test_derive_formats(fmt: str) -> None:
    code, out, _ = invoke("derive", "--param", "w2", "--format", fmt)
    assert code == 0 and out.strip()


def test_spec_file_and_flag_override(tmp_path: Path) -> None:
    spec = tmp_path / "net.toml"
    spec.write_text(
        '[network]\nlayers = [1, 2, 1]\nhidden_activation = "tanh"\ncost = "abstract"\n'
    )
    code, out, _ = invoke("derive", str(spec), "--param", "w1_2_1")
    assert code == 0 and "tanh" in out
    code, out, _ = invoke("derive", str(spec), "--layers", "1-1-1", "--param", "w1")
    assert code == 0 and "∂J/∂w₁" in out


def test_names_accept_dashes_and_underscores() -> None:
    code, _, err = invoke(
        "derive", "--cost", "binary-cross-entropy", "--output-activation", "Sigmoid"
    )
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "1-x-1"], "cannot read layer sizes '1-x-1'"),
        (["--layers", "1--1"], "cannot read layer sizes"),
        (["--layers", "1-0-1"], "at least one node"),
        (["--layers", "3"], "at least two layer sizes"),
        (["--layers", "-".join(["1"] * 1100)], "deeper than the limit"),
        (["--layers", "1-2000-1"], "wider than the limit"),
        (["--layers", "1000-100-100-10"], "parameters, more than the limit"),
        (["--activation", "sigmod"], "Did you mean 'sigmoid'?"),
        (["--cost", "squared"], "unknown cost 'squared'"),
        (["--param", "w3"], "unknown parameter 'w3'"),
        (["--param", "w_2"], "Did you mean 'w2'?"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    code, out, err = invoke("derive", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[network]\nlayers = [1, 1\n", "invalid TOML"),
        ("[network]\nlayers = [1, 1]\ncosts = 'abstract'\n", "Did you mean 'cost'?"),
        ("[network]\nlayers = 'one'\n", "cannot read layer sizes"),
        ("[network]\nlayers = [1, -1]\n", "at least one node"),
        ("[network]\nlayers = [1, 1.5]\n", "whole numbers"),
        ("[network]\ncost = 3\n", "cost must be a string"),
    ],
)
def test_bad_spec_files(tmp_path: Path, text: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    code, _, err = invoke("derive", str(spec))
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text("[network]\nlayers = [1, 1, 1]\ncost = squared\n")
    code, _, err = invoke("derive", str(spec))
    assert code == 2 and "line 3" in err


def test_missing_spec_file(tmp_path: Path) -> None:
    code, _, err = invoke("derive", str(tmp_path / "nope.toml"))
    assert code == 2 and "no such file" in err


def test_console_entry_point_runs_without_traceback() -> None:
    good = run("derive", "--param", "b2")
    assert good.returncode == 0 and "∂J/∂b₂" in good.stdout
    bad = run("derive", "--activation", "sigmod")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "symderiv: error: unknown activation 'sigmod'. Did you mean 'sigmoid'? "
        "Valid: linear, relu, sigmoid, softmax, softplus, tanh."
    ]


@pytest.mark.parametrize("command", [[], ["derive"], ["steps"]])
def test_help_everywhere_with_examples(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert (code == 0 and "Examples" in out) or "example" in out.lower()


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--l2", "-0.1"], "l2 must be 0 or more"),
        (["--l2", "lots"], "l2 must be a number"),
        (["--examples", "0"], "examples must be a whole number"),
        (["--examples", "two"], "examples must be a whole number"),
    ],
)
def test_bad_l2_or_examples_is_one_clear_line(flags: list[str], words: str) -> None:
    result = CliRunner().invoke(cli, ["derive", *flags])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and words in result.stderr


def test_l2_and_examples_come_from_flags_or_the_spec_file(tmp_path: Path) -> None:
    from fractions import Fraction

    from symderiv.core.spec import load_spec

    path = tmp_path / "spec.toml"
    path.write_text('[network]\nlayers = [2, 2, 1]\nl2 = "1/10"\nexamples = 4\n')
    spec, _ = load_spec(path)
    assert spec.l2 == Fraction(1, 10) and spec.examples == 4
    path.write_text("[network]\nl2 = -1\n")
    with pytest.raises(SymderivError, match="l2 must be 0 or more"):
        load_spec(path)
