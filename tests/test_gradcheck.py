"""`symderiv gradcheck`: derived gradients against float64 central differences of the cost."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

import click
import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.core.costs import COSTS
from symderiv.core.functions import ACTIVATIONS, ELEMENTWISE
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers import gradcheck
from symderiv.numbers.evaluate import evaluate
from symderiv.numbers.gradcheck import (
    FLOAT_ACTIVATIONS,
    TOLERANCE,
    check_gradients,
    compare,
    float_network,
)
from symderiv.numbers.values import resolve_values, values_from_table
from tests.conftest import DATA

ORACLE = json.loads((DATA / "oracle-gradients.json").read_text())
CONCRETE = [name for name, cost in COSTS.items() if not cost.is_abstract]


def run(command: click.Command, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def gradcheck_command() -> click.Command:
    from symderiv.cli.numbers import gradcheck_command as command

    return command


def test_seed_network_passes() -> None:
    code, out, err = run(gradcheck_command())
    assert code == 0, err
    assert "PASS: all 4 gradients agree" in out
    for name in ("w₁", "b₁", "w₂", "b₂"):
        assert f"  {name} " in out


@pytest.mark.parametrize(
    ("hidden", "output", "cost"),
    [
        (h, o, c)
        for h, o, c in itertools.product(
            sorted(ELEMENTWISE), ["sigmoid", "tanh", "linear", "softmax"], CONCRETE
        )
        if not (
            c in ("binary_cross_entropy", "categorical_cross_entropy") and o in ("tanh", "linear")
        )
    ],
)
def test_every_activation_and_cost_passes(hidden: str, output: str, cost: str) -> None:
    spec = NetworkSpec(
        layers=(2, 3, 2), hidden_activation=hidden, output_activation=output, cost=cost
    )
    backprop = derive(spec)
    result = check_gradients(backprop, resolve_values(backprop.network))
    assert result.passed, [(c.name, c.error) for c in result.failures]


def test_every_oracle_case_passes() -> None:
    for case in ORACLE["cases"]:
        spec = NetworkSpec(
            layers=tuple(case["layers"]),
            hidden_activation=case["hidden_activation"],
            output_activation=case["output_activation"],
            cost=case["cost"],
        )
        backprop = derive(spec)
        values = values_from_table(backprop.network, {k: case[k] for k in ("x", "y", "W", "b")})
        result = check_gradients(backprop, values)
        assert result.passed, (case["layers"], [(c.name, c.error) for c in result.failures])
        assert abs(result.cost - case["J"]) <= 1e-12 * max(1.0, abs(case["J"]))


def test_a_wrong_gradient_fails_with_exit_status_1(monkeypatch: pytest.MonkeyPatch) -> None:
    real = gradcheck.symbolic_gradients

    def off_by_a_little(backprop: Any, values: Any) -> dict[sp.Symbol, float]:
        found = real(backprop, values)
        w2 = sp.Symbol("w2")
        found[w2] *= 1.001  # a 0.1% error must not pass
        return found

    monkeypatch.setattr(gradcheck, "symbolic_gradients", off_by_a_little)
    code, out, _ = run(gradcheck_command())
    assert code == 1
    assert "FAIL: 1 of 4 gradients disagree: w₂." in out
    assert [line.split()[-1] for line in out.splitlines() if line.startswith("  w₂ ")] == ["FAIL"]


def test_compare_separates_agreement_from_error() -> None:
    h = 6e-6
    assert compare(0.123456789, 0.123456789 * (1 + 1e-9), h, 1.0, TOLERANCE)[1]
    assert not compare(0.1234, 0.1235, h, 1.0, TOLERANCE)[1]
    # Far below what differencing float64 costs of size 1 can resolve: agreement, not failure.
    assert compare(1e-13, -2e-12, h, 1.0, TOLERANCE)[1]
    assert not compare(1e-3, -1e-3, h, 1.0, TOLERANCE)[1]
    assert compare(0.0, 0.0, h, 0.0, TOLERANCE) == (0.0, True)


def test_float_cost_is_stable_where_the_naive_formula_overflows() -> None:
    backprop = derive(NetworkSpec(cost="binary_cross_entropy"))
    values = resolve_values(backprop.network, None, "x=1000,w1=1,w2=800,b2=0,y=0")
    floats, theta = float_network(backprop.network, values)
    with np.errstate(all="ignore"):
        naive_yhat = 1 / (1 + np.exp(-800.0))
        assert not np.isfinite(-np.log(1 - naive_yhat))
    assert floats.cost(theta) == pytest.approx(800.0)  # −ln(1 − σ(800)) = softplus(800)
    sigmoid = FLOAT_ACTIVATIONS["sigmoid"]
    with np.errstate(over="raise"):
        assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_float_cost_matches_the_engine() -> None:
    for hidden, output in [("softplus", "tanh"), ("relu", "linear"), ("tanh", "sigmoid")]:
        backprop = derive(
            NetworkSpec(layers=(3, 2, 2), hidden_activation=hidden, output_activation=output)
        )
        values = resolve_values(backprop.network)
        floats, theta = float_network(backprop.network, values)
        engine = float(evaluate(backprop, dict(values.point)).cost)
        assert floats.cost(theta) == pytest.approx(engine, rel=1e-13)


def test_every_registered_activation_has_a_float_version() -> None:
    assert set(FLOAT_ACTIVATIONS) == set(ACTIVATIONS)


def test_large_inputs_are_evaluated_stably() -> None:
    code, out, _ = run(gradcheck_command(), "--values", "x=1000")
    assert code == 0 and "PASS" in out


def test_relu_kink_is_noted() -> None:
    code, out, _ = run(gradcheck_command(), "--activation", "relu", "--values", "b1=-3/20")
    assert "ReLU's kink" in out  # z1 = 0.3·0.5 − 0.15 = 0 exactly
    assert code in (0, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cost", "abstract"), "abstract cost"),
        (("--values", "x=1000,w2=1000", "--cost", "binary_cross_entropy"), "undefined"),
        (("--values", "x=oops"), "'oops' is not a number"),
        (
            ("--output-activation", "linear", "--cost", "binary_cross_entropy", "--values", "b2=5"),
            "needs 0 < ŷ < 1",
        ),
    ],
)
def test_bad_input_is_one_clear_line(args: tuple[str, ...], message: str) -> None:
    code, out, err = run(gradcheck_command(), *args)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("symderiv: error: ") and message in err, err


def test_without_numpy_the_command_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "symderiv.numbers.gradcheck")
    monkeypatch.setitem(sys.modules, "numpy", None)
    code, _, err = run(gradcheck_command())
    assert code == 2 and err == "symderiv: error: gradcheck needs NumPy: pip install numpy\n"
