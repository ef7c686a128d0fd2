"""Softmax outputs and the categorical cross-entropy, through every part that computes numbers.

The references are independent of the engine: the oracle's 60-digit central differences,
`sympy.diff` of the fully nested cost built from the definitions (`tests.numbers`), finite
differences in float64 and in mpmath, and the generated module run as a user would run it.
"""

from __future__ import annotations

import importlib.util
import json
import random
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.api import render_derivation, render_handout
from symderiv.check.judge import check_answer
from symderiv.check.result import Verdict
from symderiv.check.sample import parts
from symderiv.cli.main import cli
from symderiv.core.costs import COSTS
from symderiv.core.errors import SpecError, SymderivWarning
from symderiv.core.functions import (
    BY_NAME,
    ELEMENTWISE,
    MAX_COUPLED_OUTPUTS,
    rewrite_definitions,
)
from symderiv.core.spec import NetworkSpec, spec_from_table
from symderiv.engine.derivation import Backprop, StepKind, derive, jacobian_factor
from symderiv.numbers.evaluate import (
    Evaluator,
    Undefined,
    compile_numbers,
    evaluate,
    gradient_lists,
    point_from_lists,
)
from symderiv.numbers.example import example_numbers
from symderiv.numbers.gradcheck import check_gradients
from symderiv.numbers.values import resolve_values, value_lists
from symderiv.render.codegen import generate_module
from symderiv.render.handout import build_handout
from symderiv.render.printing import to_latex, to_text
from tests import numbers, realtools
from tests.conftest import DATA
from tests.test_engine import check_against_diff
from tests.test_oracle import close, flat

BATCH = json.loads((DATA / "oracle-batch.json").read_text())
SOFTMAX = BY_NAME["softmax"]
CE = COSTS["categorical_cross_entropy"]
CONCRETE = [name for name, cost in COSTS.items() if not cost.is_abstract]
SMALL = [(2, 2, 2), (2, 3, 3)]


def softmax_spec(
    layers: tuple[int, ...], cost: str = "categorical_cross_entropy", hidden: str = "sigmoid"
) -> NetworkSpec:
    return NetworkSpec(
        layers=layers, hidden_activation=hidden, output_activation="softmax", cost=cost
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------ the oracle


def single_examples() -> list[dict[str, Any]]:
    """The oracle's softmax cases with the categorical cross-entropy, one example, no decay."""
    return [
        case
        for case in BATCH["cases"]
        if case["output_activation"] == "softmax"
        and case["cost"] == "categorical_cross_entropy"
        and len(case["x"]) == 1
        and case["l2"] == 0
    ]


def test_the_oracle_states_its_convention_and_has_single_examples() -> None:
    assert "categorical_cross_entropy = -sum y ln yhat" in BATCH["convention"]
    assert "W^l[j][k] weights input k into node j" in BATCH["convention"]
    assert len(single_examples()) >= 3


@pytest.mark.parametrize(
    "case",
    single_examples(),
    ids=lambda c: "-".join(map(str, c["layers"])) + c["hidden_activation"],
)
def test_every_single_example_matches_the_oracle(case: dict[str, Any]) -> None:
    spec = softmax_spec(tuple(case["layers"]), hidden=case["hidden_activation"])
    backprop = derive(spec)

    def floats(values: Any) -> Any:
        return [floats(v) for v in values] if isinstance(values, list) else sp.Float(values, 30)

    point = point_from_lists(
        backprop.network, floats(case["x"][0]), floats(case["y"][0]), floats(case["W"]),
        floats(case["b"]),
    )  # fmt: skip
    program = compile_numbers(backprop)
    assert program is not None
    for result in (evaluate(backprop, point), program.evaluate(point)):
        assert close(float(result.cost), case["J"])
        yhat = [float(result.values[s]) for s in backprop.network.outputs]
        assert all(close(g, w) for g, w in zip(yhat, case["yhat"][0], strict=True))
        d_w, d_b = gradient_lists(backprop.network, result.gradients)
        want = flat(case["dJ_dW"]) + flat(case["dJ_db"])
        for got, expected in zip(flat(d_w) + flat(d_b), want, strict=True):
            assert close(got, expected), (got, expected)


# ------------------------------------------------------------------------------ the derivation


@pytest.mark.parametrize("layers", SMALL)
def test_cross_entropy_collapse_is_derived_step_by_step(layers: tuple[int, ...]) -> None:
    backprop = derive(softmax_spec(layers))
    network = backprop.network
    total = sp.Add(*network.targets)
    outputs = [d for d in backprop.deltas if d.node.layer == network.depth]
    assert len(outputs) == layers[-1]
    for delta in outputs:
        yhat, y = delta.node.a, network.targets[delta.node.index - 1]
        kinds = [step.kind for step in delta.steps]
        assert kinds == [StepKind.JACOBIAN, StepKind.CANCEL, StepKind.COLLECT, StepKind.ASSUME]
        # the product as written has one term per output: ∂J/∂ŷ_k · ∂ŷ_k/∂z_j
        assert len(delta.steps[0].value.args) == layers[-1]
        assert [c.wrt for c, _ in delta.jacobian] == list(network.outputs)
        assert all(entry.wrt == delta.node.z for _, entry in delta.jacobian)
        # the general form holds for any targets; the collapse under Σ y = 1 only
        assert sp.expand(delta.value - (yhat * total - y)) == 0
        assumed = delta.assumed
        assert assumed is not None and assumed.value == yhat - y
        assert assumed.assumption == sp.Eq(total, 1)
        # every step equals the one before it (the last where the targets sum to 1)
        for before, after in zip(delta.steps, delta.steps[1:-1]):
            assert sp.simplify(before.value.doit() - after.value.doit()) == 0


@pytest.mark.parametrize("cost", ["squared_error", "half_squared_error", "abstract"])
def test_without_the_cross_entropy_the_jacobian_stays(cost: str) -> None:
    backprop = derive(softmax_spec((2, 3, 3), cost))
    network = backprop.network
    for delta in backprop.deltas[:3]:
        assert delta.assumed is None
        assert all(step.kind is not StepKind.ASSUME for step in delta.steps)
        j = delta.node.index
        product = sp.Add(*(c.value * e.value for c, e in delta.jacobian))
        assert sp.expand(delta.value.doit() - product) == 0
        yhat = network.outputs
        entries = [
            yhat[k] * ((1 if k + 1 == j else 0) - yhat[j - 1]) for k in range(len(network.outputs))
        ]
        assert [sp.expand(e.value - want) for (_, e), want in zip(delta.jacobian, entries)] == [
            0
        ] * 3


def test_jacobian_entries_are_the_derivatives_of_the_definition() -> None:
    network = derive(softmax_spec((2, 3, 3))).network
    layer = network.layers[-1]
    zs = [node.z for node in layer]
    at = {z: sp.Float(v, 30) for z, v in zip(zs, (0.3, -1.2, 2.0))}
    for k in layer:
        definition = rewrite_definitions(k.a_definition)
        for j in layer:
            factor = jacobian_factor(k, j)
            want = sp.N(sp.diff(definition, j.z).xreplace(at), 30)
            general = sp.N(rewrite_definitions(factor.general).xreplace(at), 30)
            local = factor.value.xreplace(
                {n.a: sp.N(rewrite_definitions(n.a_definition).xreplace(at), 30) for n in layer}
            )
            assert abs(general - want) < 1e-25 and abs(sp.N(local, 30) - want) < 1e-25


@pytest.mark.parametrize("layers", SMALL)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("cost", ["categorical_cross_entropy", "squared_error"])
def test_gradients_equal_sympy_diff_of_the_nested_cost(
    layers: tuple[int, ...], hidden: str, cost: str
) -> None:
    """Every parameter, with targets that need not sum to 1: the general delta is exact."""
    check_against_diff(softmax_spec(layers, cost, hidden), seed=sum(layers))


def test_the_collapsed_delta_is_the_gradient_where_the_targets_sum_to_1() -> None:
    backprop = derive(softmax_spec((2, 3, 3), hidden="tanh"))
    network = backprop.network
    point = numbers.random_point(network, random.Random(7))
    y1, y2, y3 = network.targets
    point[y3] = 1 - point[y1] - point[y2]
    nested, _ = numbers.nested_cost_function(network)
    values = evaluate(backprop, point).values
    for gradient in backprop.gradients:
        if gradient.node.layer != network.depth:
            continue
        assumed = gradient.delta.assumed
        assert assumed is not None
        collapsed = gradient.value.xreplace({gradient.delta.symbol: assumed.value})
        truth = sp.N(sp.diff(nested, gradient.parameter).xreplace(point), 30)
        assert numbers.relative_error(float(collapsed.xreplace(values)), float(truth)) < 1e-20


@st.composite
def softmax_networks(draw: st.DrawFn) -> NetworkSpec:
    depth = draw(st.integers(1, 3))
    layers = (
        *(draw(st.integers(1, 3)) for _ in range(depth)),
        draw(st.integers(2, 3)),
    )
    return softmax_spec(
        layers,
        cost=draw(st.sampled_from(CONCRETE)),
        hidden=draw(st.sampled_from(sorted(ELEMENTWISE))),
    )


@settings(max_examples=25)
@given(spec=softmax_networks(), seed=st.integers(0, 2**16))
def test_random_softmax_networks_match_diff_and_finite_differences(
    spec: NetworkSpec, seed: int
) -> None:
    check_against_diff(spec, seed, symbolic=2)


def test_cross_entropy_without_softmax_is_allowed_and_exact() -> None:
    for layers in [(1, 1, 1), (2, 2, 2)]:
        spec = NetworkSpec(layers=layers, cost="categorical_cross_entropy")
        check_against_diff(spec, seed=3)
    backprop = derive(NetworkSpec(cost="categorical_cross_entropy"))
    assert all(delta.assumed is None for delta in backprop.deltas)
    y, yhat = sp.symbols("y yhat")
    assert backprop.deltas[0].cost is not None
    assert backprop.deltas[0].cost.value == -y / yhat


# ------------------------------------------------------------------------------ the records


def test_softmax_prints_as_a_function_of_the_layer() -> None:
    node = derive(softmax_spec((2, 2, 3))).network.layers[-1][1]
    assert to_latex(node.a_definition) == r"\operatorname{softmax}\left(z^{(2)}\right)_{2}"
    assert to_text(node.a_definition) == "softmax(z⁽²⁾)₂"


def test_mpmath_form_is_stable_and_agrees_with_the_definition() -> None:
    with mpmath.workdps(30):
        zs = [mpmath.mpf("0.3"), mpmath.mpf("-1.2"), mpmath.mpf("2")]
        for j in (1, 2, 3):
            want = mpmath.exp(zs[j - 1]) / mpmath.fsum(mpmath.exp(z) for z in zs)
            assert abs(SOFTMAX.mpmath(mpmath, j, *zs) - want) < mpmath.mpf("1e-28")
        huge = [mpmath.mpf(100000), mpmath.mpf(99999), mpmath.mpf(-100000)]
        got = [SOFTMAX.mpmath(mpmath, j, *huge) for j in (1, 2, 3)]
        assert abs(mpmath.fsum(got) - 1) < mpmath.mpf("1e-28")
        assert abs(got[0] - 1 / (1 + mpmath.exp(-1))) < mpmath.mpf("1e-28")


def test_the_evaluator_computes_softmax_through_the_record_without_overflow() -> None:
    zs = sp.symbols("z2_1 z2_2 z2_3")
    evaluator = Evaluator(30, {z: i for i, z in enumerate(zs)})
    values = [evaluator.ctx.mpf(v) for v in (100000, 99999, -100000)]
    first = evaluator.value(evaluator.compile(SOFTMAX.in_layer(1, zs)), values)
    assert abs(first - 1 / (1 + evaluator.ctx.exp(-1))) < mpmath.mpf("1e-28")
    with pytest.raises(Undefined):  # e^(−200000) is past the evaluator's bound: ŷ₃ underflows
        evaluator.value(evaluator.compile(SOFTMAX.in_layer(3, zs)), values)


def test_float64_code_and_log_softmax_do_not_overflow() -> None:
    z = np.array([[1000.0, 0.3], [-1000.0, -1.2], [999.0, 2.0]])  # two examples, as columns
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = SOFTMAX.float64(np, z)
        cost = CE.float64_from_z["softmax"](np, np.array([0.0, 1.0, 0.0]), z[:, 0])
    assert np.allclose(got.sum(axis=0), 1.0) and np.all(np.isfinite(got))
    assert np.allclose(got[:, 1], np.exp(z[:, 1]) / np.exp(z[:, 1]).sum())
    assert cost == pytest.approx(2000.0 + np.log1p(np.exp(-1.0)), rel=1e-12)
    namespace: dict[str, Any] = {"np": np}
    assert SOFTMAX.code is not None
    exec(
        "def helper(z):\n" + "".join(f"    {line}\n" for line in SOFTMAX.code.splitlines()),
        namespace,
    )
    assert np.allclose(namespace["helper"](z), got)


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--activation", "softmax", "--layers", "2-3-2"],
         "softmax is not supported as the hidden activation"),
        (["--output-activation", "softmax", "--layers", "2-3-1"],
         "softmax needs two or more outputs: over one output it is the constant"),
        (["--output-activation", "softmax", "--layers", f"2-{MAX_COUPLED_OUTPUTS + 1}"],
         f"beyond the limit of {MAX_COUPLED_OUTPUTS}"),
    ],
)  # fmt: skip
def test_softmax_where_it_cannot_be_derived_is_refused_in_one_line(
    args: list[str], message: str
) -> None:
    code, out, err = invoke("derive", *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symderiv: error: ")
    assert message in lines[0]


def test_refusals_name_the_way_out() -> None:
    with pytest.raises(SpecError, match=r"pick an elementwise activation \(sigmoid, tanh"):
        NetworkSpec(layers=(2, 2, 2), hidden_activation="softmax", output_activation="softmax")
    with pytest.raises(SpecError, match="nothing could be learned"):
        spec_from_table({"layers": [3, 1], "output_activation": "softmax"})


# ------------------------------------------------------------------------------ numbers


def test_default_targets_are_one_hot() -> None:
    network = derive(softmax_spec((2, 3, 3))).network
    point = resolve_values(network).point
    assert [point[y] for y in network.targets] == [1, 0, 0]


def test_targets_that_do_not_sum_to_1_warn_in_one_line_and_keep_the_general_delta() -> None:
    args = ["--layers", "2-3-3", "--output-activation", "softmax", "--cost",
            "categorical_cross_entropy"]  # fmt: skip
    code, out, err = invoke("example", *args, "--values", "y_2=0.3", "--json")
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symderiv: warning: the targets sum to 1.3")
    assert "δ⁽²⁾₁ = ŷ₁ − y₁ does not hold" in lines[0]
    assert "general δ⁽²⁾₁ = ŷ₁·(y₁ + y₂ + y₃) − y₁" in lines[0]
    data = json.loads(out)
    yhat, y = np.array(data["yhat"]), np.array(data["y"])
    assert np.allclose(data["delta"][-1], yhat * y.sum() - y, rtol=1e-12)
    code, out, err = invoke("gradcheck", *args, "--values", "y_2=0.3")
    assert code == 0 and "PASS" in out and err.count("symderiv: warning:") == 1
    for values in ("y_1=0.2,y_2=0.3,y_3=1/2", "x_1=2"):
        code, _, err = invoke("example", *args, "--values", values)
        assert code == 0 and err == ""


def test_the_warning_is_a_python_warning_for_the_api() -> None:
    backprop = derive(softmax_spec((2, 2, 2)))
    values = resolve_values(backprop.network, None, "y_1=1,y_2=1")
    with pytest.warns(SymderivWarning, match="the targets sum to 2, not 1"):
        example_numbers(backprop, values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        example_numbers(backprop, resolve_values(backprop.network))


def test_worked_example_at_the_defaults() -> None:
    code, out, err = invoke("example", "--layers", "2-3-2", "--output-activation", "softmax",
                            "--cost", "categorical_cross_entropy", "--json")  # fmt: skip
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["y"] == [1.0, 0.0]
    assert np.allclose(data["delta"][-1], np.array(data["yhat"]) - np.array(data["y"]))
    assert data["J"] == pytest.approx(-np.log(data["yhat"][0]), rel=1e-12)
    assert data["history"][1] < data["history"][0]
    code, text, _ = invoke("example", "--layers", "2-2-2", "--output-activation", "softmax",
                           "--cost", "categorical_cross_entropy")  # fmt: skip
    assert code == 0
    forward = text[text.index("Forward pass") : text.index("Chain-rule factors")]
    assert forward.index("z⁽²⁾₂ =") < forward.index("ŷ₁ = softmax(z⁽²⁾)₁")  # every z first
    assert "∂ŷ₂/∂z⁽²⁾₁ = -ŷ₂·ŷ₁" in text


@pytest.mark.parametrize("cost", CONCRETE)
@pytest.mark.parametrize("layers", [(2, 3, 2), (1, 2, 3)])
def test_gradcheck_passes(cost: str, layers: tuple[int, ...]) -> None:
    backprop = derive(softmax_spec(layers, cost, "tanh"))
    result = check_gradients(backprop, resolve_values(backprop.network, None, "x_1=2"))
    assert result.passed, [(c.name, c.error) for c in result.failures]


def test_gradcheck_with_a_saturated_softmax() -> None:
    """z differing by hundreds: ŷ rounds to 0 in float64, the cost from z stays finite."""
    backprop = derive(softmax_spec((1, 2), "categorical_cross_entropy"))
    values = resolve_values(backprop.network, None, "w1_1_1=300,w1_2_1=-300,x_1=1,y_1=0,y_2=1")
    result = check_gradients(backprop, values)
    assert result.passed and result.cost == pytest.approx(599.7, rel=1e-9)


# ------------------------------------------------------------------------------ generated code


def load(source: str, directory: Path, name: str) -> ModuleType:
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cost", CONCRETE)
@pytest.mark.parametrize("layers", [(2, 3, 2), (1, 2, 3)])
def test_generated_code_matches_the_engine(
    tmp_path: Path, cost: str, layers: tuple[int, ...]
) -> None:
    backprop = derive(softmax_spec(layers, cost, "relu"))
    network = backprop.network
    source = generate_module(backprop)
    assert "def softmax(z):" in source and "np.max(z, axis=0)" in source
    module = load(source, tmp_path, "net")
    for text in ("b1_1=0.2", "y_1=0.3,y_2=0.9"):  # the second: targets that do not sum to 1
        values = resolve_values(network, None, text)
        lists = value_lists(network, values.point)
        w = [np.array(layer, dtype=float) for layer in lists["W"]]
        b = [np.array(layer, dtype=float) for layer in lists["b"]]
        cost_value, d_w, d_b = module.gradients(flat(lists["x"]), flat(lists["y"]), w, b)
        evaluation = evaluate(backprop, dict(values.point))
        want_w, want_b = gradient_lists(network, evaluation.gradients)
        assert close(float(cost_value), float(evaluation.cost))
        got = flat([array.tolist() for array in (*d_w, *d_b)])
        for value, want in zip(got, flat(want_w) + flat(want_b), strict=True):
            assert abs(value - want) <= 1e-9 * max(abs(want), 1e-9), (value, want)


def test_generated_code_matches_the_oracle(tmp_path: Path) -> None:
    for number, case in enumerate(single_examples()):
        spec = softmax_spec(tuple(case["layers"]), hidden=case["hidden_activation"])
        module = load(generate_module(derive(spec)), tmp_path, f"case{number}")
        cost, d_w, d_b = module.gradients(case["x"][0], case["y"][0], case["W"], case["b"])
        assert close(float(cost), case["J"])
        got = flat([x.tolist() for x in d_w]) + flat([x.tolist() for x in d_b])
        want = flat(case["dJ_dW"]) + flat(case["dJ_db"])
        assert all(close(g, w) for g, w in zip(got, want, strict=True))


def test_generated_delta_is_the_collapsed_form() -> None:
    source = generate_module(derive(softmax_spec((2, 3, 2))))
    assert "delta2 = -y + yhat * np.sum(y, axis=0)" in source


# ------------------------------------------------------------------------------ the checker

SPEC = softmax_spec((2, 3, 2))


@pytest.mark.parametrize(
    ("param", "answer"),
    [
        ("b2_1", "yhat_1 - y_1"),
        ("w2_1_2", "(yhat_1 - y_1)*a1_2"),
        ("w2_2_3", r"(\hat{y}_2 - y_2) a^{(1)}_3"),
        ("b2_1", "yhat_1*(y_1 + y_2) - y_1"),
    ],
)
def test_checker_accepts_the_collapsed_delta(param: str, answer: str) -> None:
    result = check_answer(SPEC, param, answer)
    assert result.verdict is Verdict.CORRECT, result.reason
    assert "assuming the targets sum to 1" in result.reason


@pytest.mark.parametrize(
    ("param", "answer"),
    [
        ("b2_1", "yhat_1 - y_2"),
        ("w2_1_2", "(yhat_1 - y_1)*yhat_1*(1 - yhat_1)*a1_2"),  # one factor, not the Jacobian row
        ("b2_1", "y_1 - yhat_1"),
    ],
)
def test_checker_rejects_what_is_not_the_gradient(param: str, answer: str) -> None:
    result = check_answer(SPEC, param, answer)
    assert result.verdict is Verdict.INCORRECT, result.reason
    assert result.counterexample is not None
    point = dict(result.counterexample.point)
    assert abs(float(point["y_1"]) + float(point["y_2"]) - 1) < 1e-12


def test_checker_draws_targets_that_sum_to_the_total() -> None:
    rng = random.Random(5)
    for count in (2, 3, 10, 100, 150):
        for _ in range(20):
            drawn = parts(rng, 1, count)
            assert len(drawn) == count and sum(drawn) == 100
            assert min(drawn) >= (1 if count <= 100 else 0)


def test_checker_without_the_assumption_says_nothing_of_it() -> None:
    spec = softmax_spec((2, 3, 2), "squared_error")
    answer = "(2*(yhat_1 - y_1)*yhat_1*(1 - yhat_1) - 2*(yhat_2 - y_2)*yhat_2*yhat_1)*a1_2"
    result = check_answer(spec, "w2_1_2", answer)
    assert result.verdict is Verdict.CORRECT and "assuming" not in result.reason


# ------------------------------------------------------------------------------ documents


def test_derive_text_shows_the_jacobian_and_the_collapse() -> None:
    text = render_derivation(SPEC, "b2_1")
    assert "Σₖ ∂J/∂ŷₖ · ∂ŷₖ/∂z⁽²⁾₁ = (-y₁/ŷ₁)·(ŷ₁·(1 − ŷ₁)) + (-y₂/ŷ₂)·(-ŷ₂·ŷ₁)" in text
    assert "= ŷ₁·(y₁ + y₂) − y₁ = ŷ₁ − y₁  (assuming y₁ + y₂ = 1)" in text


def test_handout_boxes_the_derived_collapse() -> None:
    handout = build_handout(derive(SPEC))
    for fmt in ("md", "tex"):
        text = render_handout(handout, fmt)
        assert text.count(r"\boxed{") == 2 + 3  # two output deltas, three hidden
        assert (
            r"\sum_{k=1}^{2} \frac{\partial J}{\partial \hat{y}_{k}} \frac{\partial \hat{y}_{k}}"
            r"{\partial z^{(2)}_{1}} = \hat{y}_{1} - y_{1} \quad \text{when } y_{1} + y_{2} = 1}"
        ) in text
        assert (
            r"\left(- \frac{y_{2}}{\hat{y}_{2}}\right) \left(- \hat{y}_{2} \hat{y}_{1}\right)"
            in text
        )
        assert r"\hat{y}_{1} \left(y_{1} + y_{2}\right) - y_{1}" in text
        assert "using that the targets sum to 1" in text
        assert r"\frac{e^{z^{(2)}_{2}}}{e^{z^{(2)}_{1}} + e^{z^{(2)}_{2}}}" in text  # appendix
    squared = render_handout(build_handout(derive(softmax_spec((2, 3, 2), "squared_error"))), "md")
    assert r"\text{when }" not in squared and "targets sum" not in squared


@pytest.mark.realtool
def test_softmax_handout_compiles_and_renders(tmp_path: Path) -> None:
    code, _, err = invoke(
        "handout", "--layers", "2-3-2", "--output-activation", "softmax", "--cost",
        "categorical_cross_entropy", "--out", str(tmp_path), "--format", "md,tex,pdf",
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "handout.pdf").stat().st_size > 0
    realtools.assert_latex_ok(
        tmp_path / "handout.tex", expect_text=["The deltas", "using that the targets sum to 1"]
    )
    realtools.assert_markdown_math_ok(tmp_path / "handout.md")


@pytest.mark.realtool
def test_softmax_handout_with_numbers_compiles(tmp_path: Path) -> None:
    code, _, err = invoke(
        "handout", "--layers", "2-2-2", "--output-activation", "softmax", "--cost",
        "squared_error", "--out", str(tmp_path), "--format", "md,tex", "--example",
    )  # fmt: skip
    assert code == 0, err
    realtools.assert_latex_ok(tmp_path / "handout.tex", expect_text=["The deltas"])
    realtools.assert_markdown_math_ok(tmp_path / "handout.md")


def test_backprop_type_is_unchanged_for_elementwise_outputs() -> None:
    backprop: Backprop = derive()
    assert all(not d.is_coupled and d.steps == () for d in backprop.deltas)
