"""`symderiv codegen`: the generated NumPy module runs and agrees with the engine and the oracle."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import numpy as np
import pytest
from click.testing import CliRunner

from symderiv.core.costs import COSTS
from symderiv.core.errors import SymderivError
from symderiv.core.functions import ELEMENTWISE
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers.evaluate import evaluate, gradient_lists
from symderiv.numbers.values import resolve_values, value_lists
from symderiv.render.codegen import generate_module, identifier, write_atomically
from tests.conftest import DATA

ORACLE = json.loads((DATA / "oracle-gradients.json").read_text())
TOLERANCE = 1e-9
CONCRETE = [name for name, cost in COSTS.items() if not cost.is_abstract]


def run(*args: str) -> tuple[int, str, str]:
    from symderiv.cli.numbers import codegen_command

    command: click.Command = codegen_command
    result = CliRunner().invoke(command, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def load(source: str, directory: Path, name: str) -> ModuleType:
    """Write `source` to directory/name.py and import it from there."""
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"generated_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flat(values: Any) -> list[float]:
    if isinstance(values, (list, tuple)):
        return [v for item in values for v in flat(item)]
    if isinstance(values, np.ndarray):
        return [float(v) for v in values.ravel()]
    return [float(values)]


def floats(nested: Any) -> Any:
    return [floats(item) for item in nested] if isinstance(nested, list) else float(nested)


def assert_close(got: Any, want: Any, what: str) -> None:
    got_flat, want_flat = flat(got), flat(want)
    assert len(got_flat) == len(want_flat), what
    for g, w in zip(got_flat, want_flat):
        assert abs(g - w) <= TOLERANCE * max(abs(w), abs(g), 1e-12), (what, g, w)


def test_seed_module_reads_as_the_lecture(tmp_path: Path) -> None:
    source = generate_module(derive())
    for line in (
        "def forward(x, y, w1, b1, w2, b2):",
        "    z1 = w1 * x + b1  # z₁ = w₁·x + b₁",
        "    yhat = sigmoid(z2)  # ŷ = σ(z₂): the prediction",
        "    J = (yhat - y) ** 2  # J = (ŷ − y)^2: the squared error",
        "def backward(cache, w2):",
        "    delta2 = 2 * (yhat - y) * yhat * (1 - yhat)  # δ₂ = ∂J/∂z₂ = 2·(ŷ − y)·ŷ·(1 − ŷ)",
        "    delta1 = delta2 * w2 * a1 * (1 - a1)  # δ₁ = ∂J/∂z₁ = δ₂·w₂·a₁·(1 − a₁)",
        '        "w1": delta1 * x,  # ∂J/∂w₁ = δ₁·x',
    ):
        assert line in source, line
    module = load(source, tmp_path, "seed")
    cache = module.forward(0.5, 1.0, 0.3, 0.1, -0.2, 0.4)
    grads = module.backward(cache, -0.2)
    assert set(grads) == {"w1", "b1", "w2", "b2"}
    assert float(grads["b2"]) == pytest.approx(-0.20993013, abs=1e-8)


def test_wide_module_uses_one_array_per_layer() -> None:
    source = generate_module(derive(NetworkSpec(layers=(2, 3, 1), hidden_activation="tanh")))
    assert "z1 = W[0] @ x + b[0]" in source
    assert "delta1 = (W[1].T @ delta2) * (1 - a1**2)" in source
    assert "np.outer(delta1, x)" in source
    assert "w1_" not in source  # no variable per weight


def test_only_numpy_is_imported_and_nothing_is_evaluated() -> None:
    for layers in [(1, 1, 1), (2, 3, 2)]:
        source = generate_module(derive(NetworkSpec(layers=layers, hidden_activation="relu")))
        tree = ast.parse(source)
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert [alias.name for n in imports for alias in n.names] == ["numpy"]
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert not calls & {"eval", "exec", "compile", "__import__", "open", "getattr"}


@pytest.mark.parametrize("name", ["__import__", "os.system", "w1; import os", "lambda", "x y", ""])
def test_names_that_are_not_the_engines_are_refused(name: str) -> None:
    with pytest.raises(SymderivError, match="refusing to generate code"):
        identifier(name)


@pytest.mark.parametrize(
    ("layers", "hidden", "output", "cost"),
    [
        (layers, h, o, c)
        for layers, (h, o, c) in itertools.product(
            [(1, 1, 1), (2, 3, 2)],
            [
                *((h, "sigmoid", c) for h in sorted(ELEMENTWISE) for c in CONCRETE),
                *(("sigmoid", o, "squared_error") for o in ("tanh", "relu", "softplus", "linear")),
            ],
        )
    ],
)
def test_generated_code_matches_the_engine(
    tmp_path: Path, layers: tuple[int, ...], hidden: str, output: str, cost: str
) -> None:
    spec = NetworkSpec(layers=layers, hidden_activation=hidden, output_activation=output, cost=cost)
    backprop = derive(spec)
    network = backprop.network
    values = resolve_values(network, None, "b2=0.7" if layers == (1, 1, 1) else "b1_2=0.2")
    module = load(generate_module(backprop), tmp_path, "net")
    given = {key: floats(lists) for key, lists in value_lists(network, values.point).items()}
    cost_value, d_w, d_b = module.gradients(given["x"], given["y"], given["W"], given["b"])
    evaluation = evaluate(backprop, dict(values.point))
    want_w, want_b = gradient_lists(network, evaluation.gradients)
    assert_close(cost_value, float(evaluation.cost), "J")
    assert_close(d_w, want_w, "dJ_dW")
    assert_close(d_b, want_b, "dJ_db")


def test_every_oracle_case(tmp_path: Path) -> None:
    modules: dict[NetworkSpec, ModuleType] = {}
    for number, case in enumerate(ORACLE["cases"]):
        spec = NetworkSpec(
            layers=tuple(case["layers"]),
            hidden_activation=case["hidden_activation"],
            output_activation=case["output_activation"],
            cost=case["cost"],
        )
        if spec not in modules:
            modules[spec] = load(generate_module(derive(spec)), tmp_path, f"case{number}")
        cost, d_w, d_b = modules[spec].gradients(case["x"], case["y"], case["W"], case["b"])
        assert_close(cost, case["J"], f"J of case {number}")
        assert_close(d_w, case["dJ_dW"], f"dJ_dW of case {number}")
        assert_close(d_b, case["dJ_db"], f"dJ_db of case {number}")


def test_prints_to_stdout_without_out() -> None:
    code, out, _ = run("--layers", "1-2-1")
    assert code == 0 and out.startswith('"""Forward and backward pass of the 1-2-1 network')
    ast.parse(out)


def test_writes_the_file_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    target = tmp_path / "backprop.py"
    code, out, err = run("--out", str(target))
    assert code == 0 and out == "" and "wrote" in err
    first = target.read_text(encoding="utf-8")
    assert first == generate_module(derive())
    code, _, err = run("--layers", "2-2-1", "--out", str(target))
    assert code == 2 and "already exists; use --force" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == first
    code, _, _ = run("--layers", "2-2-1", "--out", str(target), "--force")
    assert code == 0 and "2-2-1" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.py"]  # no temporary left


def test_refuses_a_directory_and_a_missing_directory(tmp_path: Path) -> None:
    code, _, err = run("--out", str(tmp_path), "--force")
    assert code == 2 and "is a directory" in err
    code, _, err = run("--out", str(tmp_path / "missing" / "m.py"))
    assert code == 2 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "module.py"
    link.symlink_to(victim)
    code, _, err = run("--out", str(link))
    assert code == 2 and "already exists" in err
    code, _, _ = run("--out", str(link), "--force")
    assert code == 0
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text(encoding="utf-8").startswith('"""Forward')


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "m.py"
    write_atomically(target, "x = 1\n")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_abstract_cost_is_refused() -> None:
    code, out, err = run("--cost", "abstract")
    assert code == 2 and out == "" and "abstract cost" in err and err.count("\n") == 1


def test_generated_code_is_lint_clean(tmp_path: Path) -> None:
    """The module reads like hand-written code: ruff finds nothing to change."""
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff not installed")
    networks = [
        ((1, 1, 1), "sigmoid", "squared_error"),
        ((1, 1, 1, 1), "softplus", "binary_cross_entropy"),
        ((2, 3, 2), "relu", "binary_cross_entropy"),
        ((3, 1, 2), "tanh", "half_squared_error"),
    ]
    for number, (layers, hidden, cost) in enumerate(networks):
        spec = NetworkSpec(layers=layers, hidden_activation=hidden, cost=cost)
        (tmp_path / f"m{number}.py").write_text(generate_module(derive(spec)), encoding="utf-8")
    settings = ["--isolated", "--line-length", "100"]
    for command in (["check", "--select", "E,F,W,B,I"], ["format", "--check"]):
        result = subprocess.run(
            [ruff, *command, *settings, str(tmp_path)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
