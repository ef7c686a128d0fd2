"""The engine's numbers against gradients computed independently by an autodiff library.

`tests/data/oracle-gradients.json` holds random networks with their inputs,
weights, cost and gradients from PyTorch autograd in float64, in the `W[l][j][k]` convention.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sympy as sp

from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers.evaluate import evaluate, gradient_lists, point_from_lists
from tests.conftest import DATA

ORACLE = json.loads((DATA / "oracle-gradients.json").read_text())
TOLERANCE = 1e-9


def flat(values: Any) -> list[float]:
    if isinstance(values, list):
        return [v for item in values for v in flat(item)]
    return [float(values)]


def close(got: float, want: float) -> bool:
    return abs(got - want) <= TOLERANCE * max(abs(want), 1e-12)


def test_oracle_states_its_convention() -> None:
    assert "W^l[j][k] weights input k" in ORACLE["convention"]
    assert len(ORACLE["cases"]) >= 50


@pytest.mark.parametrize("case", ORACLE["cases"], ids=lambda c: "-".join(map(str, c["layers"])))
def test_gradients_match_the_oracle(case: dict[str, Any]) -> None:
    spec = NetworkSpec(
        layers=tuple(case["layers"]),
        hidden_activation=case["hidden_activation"],
        output_activation=case["output_activation"],
        cost=case["cost"],
    )
    backprop = derive(spec)

    def floats(values: Any) -> Any:
        return [floats(v) for v in values] if isinstance(values, list) else sp.Float(values, 30)

    point = point_from_lists(
        backprop.network, floats(case["x"]), floats(case["y"]), floats(case["W"]),
        floats(case["b"]),
    )  # fmt: skip
    result = evaluate(backprop, point)
    d_w, d_b = gradient_lists(backprop.network, result.gradients)
    assert close(float(result.cost), case["J"])
    yhat = [float(result.values[s]) for s in backprop.network.outputs]
    assert all(close(g, w) for g, w in zip(yhat, case["yhat"], strict=True))
    for got, want in zip(
        flat(d_w) + flat(d_b), flat(case["dJ_dW"]) + flat(case["dJ_db"]), strict=True
    ):
        assert close(got, want), (got, want)
