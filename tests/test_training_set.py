"""Training sets and L2 weight decay: every numeric path against the batch oracle, and the
`[values]` batch form, the decay factor in the update, and the JSON additions.

`tests/data/oracle-batch.json` holds networks with batches of 1–4 examples and L2 strengths 0–0.5,
their costs and gradients from 60-digit central differences, with the convention
J = (1/m) Σ_i cost(x_i, y_i) + (l2/(2m)) Σ_l Σ_jk (W^l_jk)² (biases not decayed). A case runs when
its activations and cost are registered, and is skipped otherwise, so cases for functions added
later run as soon as their records exist.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import click
import pytest
import sympy as sp
from click.testing import CliRunner

from symderiv.api import write_handout
from symderiv.cli.numbers import codegen_command, example_command, gradcheck_command
from symderiv.core.costs import COSTS
from symderiv.core.errors import SymderivError
from symderiv.core.functions import ACTIVATIONS
from symderiv.core.network import build_network
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive
from symderiv.numbers.descent import descend
from symderiv.numbers.evaluate import evaluate, gradient_lists
from symderiv.numbers.gradcheck import check_gradients, float_network
from symderiv.numbers.training import evaluate_set, training_set
from symderiv.numbers.values import resolve_values, values_from_table
from symderiv.render.codegen import generate_module
from symderiv.render.example import worked_example
from tests import realtools
from tests.conftest import DATA
from tests.test_codegen import load

ORACLE = json.loads((DATA / "oracle-batch.json").read_text())
TOLERANCE = 1e-9
LEARNING_RATE = 0.1


def known(case: dict[str, Any]) -> bool:
    """Whether symderiv has the case's activations and cost."""
    activations = (case["hidden_activation"], case["output_activation"])
    return all(a in ACTIVATIONS for a in activations) and case["cost"] in COSTS


def case_id(case: dict[str, Any]) -> str:
    layers = "-".join(map(str, case["layers"]))
    return f"{layers}-{case['output_activation']}-{case['cost']}-m{len(case['x'])}-l2_{case['l2']}"


CASES = [pytest.param(case, id=case_id(case)) for case in ORACLE["cases"]]


def require_known(case: dict[str, Any]) -> None:
    if not known(case):
        pytest.skip(f"{case['output_activation']} with {case['cost']} is not registered")


def spec_of(case: dict[str, Any]) -> NetworkSpec:
    return NetworkSpec(
        layers=tuple(case["layers"]),
        hidden_activation=case["hidden_activation"],
        output_activation=case["output_activation"],
        cost=case["cost"],
        l2=str(case["l2"]),
    )


def table_of(case: dict[str, Any]) -> dict[str, Any]:
    return {**{key: case[key] for key in ("x", "y", "W", "b")}, "learning_rate": LEARNING_RATE}


def toml_spec(case: dict[str, Any]) -> str:
    """The case as a spec file: JSON arrays of floats and strings are valid TOML too."""
    network = "\n".join(
        f"{key} = {json.dumps(case[key])}"
        for key in ("layers", "hidden_activation", "output_activation", "cost")
    )
    values = "\n".join(f"{key} = {json.dumps(value)}" for key, value in table_of(case).items())
    return f'[network]\n{network}\nl2 = "{case["l2"]}"\n\n[values]\n{values}\n'


def flat(values: Any) -> list[float]:
    if isinstance(values, (list, tuple)):
        return [v for item in values for v in flat(item)]
    if hasattr(values, "ravel"):
        return [float(v) for v in values.ravel()]
    return [float(values)]


def assert_close(got: Any, want: Any, what: str, tolerance: float = TOLERANCE) -> None:
    got_flat, want_flat = flat(got), flat(want)
    assert len(got_flat) == len(want_flat), what
    for g, w in zip(got_flat, want_flat):
        assert abs(g - w) <= tolerance * max(abs(w), abs(g), 1e-12), (what, g, w)


def stepped(case: dict[str, Any]) -> tuple[Any, Any]:
    """W and b after one step of gradient descent on the oracle's gradients."""
    w_next = [
        [[w - LEARNING_RATE * g for w, g in zip(row, grow)] for row, grow in zip(layer, glayer)]
        for layer, glayer in zip(case["W"], case["dJ_dW"])
    ]
    b_next = [
        [b - LEARNING_RATE * g for b, g in zip(layer, gl)]
        for layer, gl in zip(case["b"], case["dJ_db"])
    ]
    return w_next, b_next


def in_parameter_order(W: Any, b: Any) -> list[float]:
    """`W[l][j][k]`, `b[l][j]` as one list in `network.parameters` order: node by node, each
    node's weights and then its bias."""
    return [
        float(v)
        for w_layer, b_layer in zip(W, b)
        for row, bias in zip(w_layer, b_layer)
        for v in (*row, bias)
    ]


def run(command: click.Command, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------- the oracle


def test_the_oracle_states_the_convention_and_has_cases_to_run() -> None:
    assert "(l2 / (2m)) sum_l sum_jk (W^l_jk)^2" in ORACLE["convention"]
    assert "biases not" in ORACLE["convention"]
    runnable = [case for case in ORACLE["cases"] if known(case)]
    assert len(runnable) >= 6
    assert {len(case["x"]) for case in runnable} >= {1, 2, 3, 4}
    assert {case["l2"] for case in runnable} >= {0.0, 0.1}


@pytest.mark.parametrize("case", CASES)
def test_the_numbers_match_the_oracle(case: dict[str, Any]) -> None:
    require_known(case)
    backprop = derive(spec_of(case))
    network = backprop.network
    values = values_from_table(network, table_of(case))
    assert values.m == len(case["x"])
    evaluation = evaluate_set(backprop, values.point, training_set(network, values))
    assert_close(evaluation.cost, case["J"], "J")
    d_w, d_b = gradient_lists(network, evaluation.gradients)
    assert_close(d_w, case["dJ_dW"], "dJ_dW")
    assert_close(d_b, case["dJ_db"], "dJ_db")
    yhat = [[e.values[s] for s in network.outputs] for e in evaluation.examples]
    assert_close(yhat, case["yhat"], "yhat")


@pytest.mark.parametrize("case", CASES)
def test_descent_takes_the_oracle_step(case: dict[str, Any]) -> None:
    require_known(case)
    backprop = derive(spec_of(case))
    network = backprop.network
    descent = descend(backprop, values_from_table(network, table_of(case)), 1)
    assert_close(descent.first.cost, case["J"], "J")
    updated = [descent.updated[p] for p in network.parameters]
    assert_close(updated, in_parameter_order(*stepped(case)), "parameters after a step")


@pytest.mark.parametrize("case", CASES)
def test_example_json_matches_the_oracle(case: dict[str, Any], tmp_path: Path) -> None:
    require_known(case)
    spec = tmp_path / "case.toml"
    spec.write_text(toml_spec(case))
    code, out, err = run(example_command, str(spec), "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("J", "dJ_dW", "dJ_db"):
        assert_close(data[key], case[key], key)
    w_next, b_next = stepped(case)
    assert_close(data["W_next"], w_next, "W_next")
    assert_close(data["b_next"], b_next, "b_next")
    averaged = len(case["x"]) > 1 or case["l2"] != 0
    assert ("m" in data) is averaged
    if averaged:
        m, l2 = data["m"], data["l2"]
        assert m == len(case["x"]) and l2 == case["l2"]
        assert_close([e["yhat"] for e in data["examples"]], case["yhat"], "per-example yhat")
        assert_close([e["x"] for e in data["examples"]], case["x"], "per-example x")
        assert_close(data["J_mean"] + data["J_l2"], case["J"], "J = J_mean + J_l2")
        assert math.isclose(data["decay_factor"], 1 - LEARNING_RATE * l2 / m, rel_tol=1e-15)
        mean_dw = [sum(v) / m for v in zip(*(flat(e["dJ_dW"]) for e in data["examples"]))]
        decay = [l2 / m * w for w in flat(case["W"])]
        assert_close([g + d for g, d in zip(mean_dw, decay)], case["dJ_dW"], "mean + decay")
        assert data["yhat"] == data["examples"][0]["yhat"]
    else:
        assert_close(data["yhat"], case["yhat"][0], "yhat")


@pytest.mark.parametrize("case", CASES)
def test_gradcheck_differentiates_the_training_set_cost(case: dict[str, Any]) -> None:
    require_known(case)
    backprop = derive(spec_of(case))
    values = values_from_table(backprop.network, table_of(case))
    floats, theta = float_network(backprop.network, values)
    assert_close(floats.cost(theta), case["J"], "float64 J")
    result = check_gradients(backprop, values)
    assert result.passed, [(c.name, c.error) for c in result.failures]
    by_layer = in_parameter_order(case["dJ_dW"], case["dJ_db"])
    assert_close([c.symbolic for c in result.checks], by_layer, "derived gradients")
    assert_close([c.numeric for c in result.checks], by_layer, "finite differences", 1e-5)


@pytest.mark.parametrize("case", CASES)
def test_generated_code_matches_the_oracle(case: dict[str, Any], tmp_path: Path) -> None:
    require_known(case)
    module = load(generate_module(derive(spec_of(case))), tmp_path, "batch")
    cost, d_w, d_b = module.gradients(case["x"], case["y"], case["W"], case["b"], l2=case["l2"])
    assert_close(cost, case["J"], "J")
    assert_close(d_w, case["dJ_dW"], "dJ_dW")
    assert_close(d_b, case["dJ_db"], "dJ_db")


# ---------------------------------------------------------------------------- [values]

SEED = build_network()
SEED_PARAMETERS = {"W": [[[0.3]], [[-0.2]]], "b": [[0.1], [0.4]]}


def test_a_flat_list_is_still_one_example() -> None:
    flat_values = values_from_table(SEED, {"x": [0.5], "y": [1.0], **SEED_PARAMETERS})
    nested = values_from_table(SEED, {"x": [[0.5]], "y": [[1.0]], **SEED_PARAMETERS})
    assert flat_values.m == nested.m == 1
    assert flat_values.point == nested.point and not flat_values.later
    code, out, _ = run(example_command, "--json")
    assert code == 0 and "m" not in json.loads(out) and "examples" not in json.loads(out)


def test_examples_are_read_in_order() -> None:
    network = build_network(NetworkSpec(layers=(2, 1)))
    table = {"x": [[1, 2], ["1/2", -3]], "y": [[0], [1]], "W": [[[0.3, 0.1]]], "b": [[0]]}
    values = values_from_table(network, table)
    assert values.m == 2
    first, second = values.examples(network)
    assert list(first.values()) == [1, 2, 0]
    assert list(second.values()) == [sp.Rational(1, 2), -3, 1]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([[0.5], [0.2]], [[1]], r"x gives 2 examples and y gives 1 example: give one list"),
        ([[0.5]], [[1], [0]], r"x gives 1 example and y gives 2 examples"),
        ([[0.5], [0.2, 0.3]], [[1], [0]], r"x\[1\] \(example 2\) has 2 values, expected 1"),
        ([[0.5], [0.2]], [[1], []], r"y\[1\] \(example 2\) has 0 values, expected 1"),
        ([[0.5], 0.2], [[1], [0]], r"x mixes lists and numbers"),
        ([[0.5], ["a"]], [[1], [0]], r"x\[1\]\[0\] \(x\): 'a' is not a number"),
        ([[0.5]] * 1025, [[1]] * 1025, "x gives 1025 examples, more than the limit of 1024"),
    ],
)
def test_bad_training_sets_are_one_clear_error(x: Any, y: Any, message: str) -> None:
    with pytest.raises(SymderivError, match=message):
        values_from_table(SEED, {"x": x, "y": y, **SEED_PARAMETERS})


def test_unequal_x_and_y_are_refused_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        "[values]\nx = [[0.5], [0.2]]\ny = [[1]]\nW = [[[0.3]], [[-0.2]]]\nb = [[0.1], [0.4]]\n"
    )
    for command in (example_command, gradcheck_command):
        code, out, err = run(command, str(spec))
        assert code == 2 and out == "" and err.count("\n") == 1
        assert err.startswith("symderiv: error: [values]: x gives 2 examples and y gives 1")


def test_the_spec_examples_must_agree_with_the_values(tmp_path: Path) -> None:
    table = {"x": [[0.5], [0.2]], "y": [[1], [0]], **SEED_PARAMETERS}
    assert resolve_values(build_network(NetworkSpec(examples=2)), table).m == 2
    assert resolve_values(SEED, table).m == 2  # examples left at 1: the values decide
    with pytest.raises(SymderivError, match="examples = 3 but \\[values\\] gives 2 examples"):
        resolve_values(build_network(NetworkSpec(examples=3)), table)


def test_the_defaults_give_the_specs_number_of_examples() -> None:
    network = build_network(NetworkSpec(examples=3))
    values = resolve_values(network)
    assert [e[network.inputs[0]] for e in values.examples(network)] == [
        sp.Float(x, 30) for x in ("0.5", "-0.3", "0.8")
    ]
    assert [e[network.targets[0]] for e in values.examples(network)] == [1, 0, 1]


def test_values_flag_names_the_first_example() -> None:
    table = {"x": [[0.5], [0.2]], "y": [[1], [0]], **SEED_PARAMETERS}
    values = resolve_values(SEED, table, "x=2,y=0")
    first, second = values.examples(SEED)
    assert (first[SEED.inputs[0]], first[SEED.targets[0]]) == (2, 0)
    assert second[SEED.inputs[0]] == sp.Float("0.2", 30)


# ---------------------------------------------------------------------------- numbers


def test_exact_input_gives_the_exact_training_set_cost() -> None:
    spec = NetworkSpec(
        layers=(1, 1), output_activation="linear", cost="half_squared_error", l2="1/10"
    )
    backprop = derive(spec)
    table = {"x": [[1], [2]], "y": [[0], [1]], "W": [[["1/2"]]], "b": [["1/4"]]}
    values = resolve_values(backprop.network, table)
    evaluation = evaluate_set(backprop, values.point, training_set(backprop.network, values))
    w, b = Fraction(1, 2), Fraction(1, 4)
    costs = [Fraction(1, 2) * (w * x + b - y) ** 2 for x, y in ((1, 0), (2, 1))]
    assert evaluation.cost == sp.Rational(sum(costs) / 2 + Fraction(1, 10) / 4 * w**2)
    dw = sum((w * x + b - y) * x for x, y in ((1, 0), (2, 1))) / 2 + Fraction(1, 10) / 2 * w
    assert evaluation.gradients[sp.Symbol("w1")] == sp.Rational(dw)
    assert evaluation.exact


def test_one_example_with_decay_adds_the_l2_term() -> None:
    plain = derive(NetworkSpec())
    decayed = derive(NetworkSpec(l2="1/2"))
    values = resolve_values(plain.network)
    one = evaluate(plain, dict(values.point))
    evaluation = evaluate_set(decayed, values.point, training_set(decayed.network, values))
    w1, w2 = (values.point[sp.Symbol(name)] for name in ("w1", "w2"))
    assert math.isclose(evaluation.cost, one.cost + (w1**2 + w2**2) / 4, rel_tol=1e-25)
    w2_gradient = one.gradients[sp.Symbol("w2")] + w2 / 2
    assert math.isclose(evaluation.gradients[sp.Symbol("w2")], w2_gradient, rel_tol=1e-25)
    assert evaluation.gradients[sp.Symbol("b2")] == one.gradients[sp.Symbol("b2")]


def test_compiled_steps_agree_with_evaluating_every_example() -> None:
    """Steps after the first run through the compiled passes; they must match `evaluate`."""
    backprop = derive(NetworkSpec(layers=(2, 2, 1), hidden_activation="tanh", l2="0.2"))
    network = backprop.network
    table = {
        "x": [[0.5, -0.1], [0.2, 0.7], [-0.4, 0.3]],
        "y": [[1], [0], [1]],
        "W": [[[0.3, -0.2], [0.4, 0.1]], [[0.2, -0.5]]],
        "b": [[0.1, -0.3], [0.2]],
    }
    values = resolve_values(network, table)
    descent = descend(backprop, values, 4)
    point = dict(values.point)
    data = training_set(network, values)
    for index in range(4):
        evaluation = evaluate_set(backprop, point, data)
        assert math.isclose(descent.history[index], evaluation.cost, rel_tol=1e-25)
        for p in network.parameters:
            point[p] = point[p] - values.learning_rate * evaluation.gradients[p]
    final = evaluate_set(backprop, point, data)
    assert math.isclose(descent.history[-1], final.cost, rel_tol=1e-25)


def test_steps_are_limited_by_the_work_of_every_example() -> None:
    backprop = derive(NetworkSpec(examples=1024))
    values = resolve_values(backprop.network)
    with pytest.raises(SymderivError, match="4 parameters and 1024 examples"):
        descend(backprop, values, 1000)


# ---------------------------------------------------------------------------- the example


def decay_example(examples: int = 2) -> Any:
    backprop = derive(NetworkSpec(examples=examples, l2="0.1"))
    return worked_example(backprop, resolve_values(backprop.network))


def test_the_update_shows_the_weight_decay_factor() -> None:
    code, out, err = run(example_command, "--examples", "2", "--l2", "0.1")
    assert code == 0, err
    for line in (
        "J⟨2⟩ = (ŷ⟨2⟩ − y⟨2⟩)^2 = (0.5743 − 0)^2 = 0.3298",
        "Σ‖W‖² = w₁^2 + w₂^2 = 0.3^2 + (−0.2)^2 = 0.13",
        "J = (J⟨1⟩ + J⟨2⟩)/m + λ·Σ‖W‖²/(2·m) = (0.1837 + 0.3298)/2 + 0.1·0.13/(2·2) = 0.26",
        "∂J⟨2⟩/∂w₂ = δ₂⟨2⟩·a₁⟨2⟩ = 0.2808·0.5025 = 0.1411",
        "∂J/∂w₂ = (∂J⟨1⟩/∂w₂ + ∂J⟨2⟩/∂w₂)/m + λ·w₂/m = (−0.1180 + 0.1411)/2 + 0.1·(−0.2)/2",
        "∂J/∂b₂ = (∂J⟨1⟩/∂b₂ + ∂J⟨2⟩/∂b₂)/m = (−0.2099 + 0.2808)/2 = 0.03544",
        "w₂ ← (1 − η·λ/m)·w₂ − η·(Σᵢ ∂J⟨i⟩/∂w₂)/m = (1 − 0.5·0.1/2)·(−0.2) − 0.5·0.02309/2",
        "b₂ ← b₂ − η·∂J/∂b₂ = 0.4 − 0.5·0.03544 = 0.3823",
    ):
        assert line in out, line
    example = decay_example()
    numbers = example.numbers
    evaluation, rate = numbers.evaluation, numbers.values.learning_rate
    for line in example.updates:
        p = line.of
        mean = sum(e.gradients[p] for e in evaluation.examples) / 2
        factor = 1 - rate * sp.Rational(1, 10) / 2 if p.name.startswith("w") else 1
        want = factor * evaluation.values[p] - rate * mean
        assert math.isclose(line.number, float(want), rel_tol=1e-12), p


def test_json_shows_the_decay_factor() -> None:
    code, out, _ = run(example_command, "--examples", "2", "--l2", "1/10", "--json")
    data = json.loads(out)
    assert code == 0 and data["m"] == 2 and data["l2"] == 0.1
    assert data["decay_factor"] == 1 - 0.5 * 0.1 / 2
    assert list(data)[-6:] == ["m", "l2", "J_mean", "J_l2", "decay_factor", "examples"]
    mean = [sum(g) / 2 for g in zip(*(flat(e["dJ_dW"]) for e in data["examples"]))]
    want = [data["decay_factor"] * w - 0.5 * g for w, g in zip(flat(data["W"]), mean)]
    assert_close(data["W_next"], want, "W_next", 1e-12)


def test_many_examples_are_shown_by_their_predictions_and_costs() -> None:
    code, out, err = run(example_command, "--examples", "6", "--layers", "2-2-1")
    assert code == 0, err
    assert "Example 1 is worked in full; examples 2 to 6 are shown by their predictions" in out
    assert "ŷ₁⟨6⟩ = 0.4144" in out and "J⟨6⟩ = (ŷ₁⟨6⟩ − y₁⟨6⟩)^2" in out
    assert "∂J⟨1⟩/∂b⁽²⁾₁ = δ⁽²⁾₁⟨1⟩" in out and "∂J⟨2⟩/∂" not in out
    assert "J = (Σᵢ J⟨i⟩)/m = 1.537/6 = 0.2561" in out
    assert "∂J/∂b⁽²⁾₁ = (Σᵢ ∂J⟨i⟩/∂b⁽²⁾₁)/m" in out


def test_gradcheck_reports_what_the_cost_averages() -> None:
    code, out, err = run(gradcheck_command, "--examples", "3", "--l2", "0.5", "--layers", "2-3-1")
    assert code == 0, err
    assert "(the mean over 3 examples + the L2 term with λ = 0.5)" in out
    assert "PASS: all 13 gradients agree" in out


@pytest.mark.realtool
@pytest.mark.parametrize(
    ("spec", "flag", "expect"),
    [
        (NetworkSpec(examples=2, l2="1/10"), "x=1/2,w1=3/10,eta=1/2", "(1 - \\eta \\lambda / m)"),
        (NetworkSpec(layers=(2, 3, 1), examples=6, l2="1/20"), None, "examples 2 to 6"),
        (NetworkSpec(output_activation="linear", examples=3), None, "3 examples"),
    ],
)
def test_training_set_handouts_compile_and_render(
    spec: NetworkSpec, flag: str | None, expect: str, tmp_path: Path
) -> None:
    write_handout(spec, tmp_path, "md,tex", example=True, values_flag=flag, steps=3)
    markdown = (tmp_path / "handout.md").read_text(encoding="utf-8")
    assert "**Training-set cost.**" in markdown and expect in markdown
    realtools.assert_markdown_math_ok(markdown)
    realtools.assert_latex_ok(
        tmp_path / "handout.tex", expect_text=["Training-set cost.", "Training-set gradients."]
    )


# ---------------------------------------------------------------------------- generated code


def test_generated_gradients_take_a_batch_or_one_example(tmp_path: Path) -> None:
    code, source, _ = run(codegen_command, "--layers", "2-2-1")
    assert code == 0 and "def gradients(x, y, W, b, l2=0.0):" in source
    assert "one row per example i; a flat list is one example" in source
    module = load(source, tmp_path, "wide")
    chain = load(generate_module(derive()), tmp_path, "chain")
    W, b = [[[0.3, -0.2], [0.4, 0.1]], [[0.2, -0.5]]], [[0.1, -0.3], [0.2]]
    x, y = [[0.5, -0.1], [0.2, 0.7]], [[1], [0]]
    cost, d_w, d_b = module.gradients(x, y, W, b, l2=0.3)
    singles = [module.gradients(x_i, y_i, W, b) for x_i, y_i in zip(x, y)]
    assert_close(cost, sum(s[0] for s in singles) / 2 + 0.3 / 4 * sum(w**2 for w in flat(W)), "J")
    mean = [sum(g) / 2 for g in zip(*(flat(s[1]) for s in singles))]
    assert_close(d_w, [g + 0.3 / 2 * w for g, w in zip(mean, flat(W))], "dJ_dW")
    assert_close(d_b, [sum(g) / 2 for g in zip(*(flat(s[2]) for s in singles))], "dJ_db")
    one = chain.gradients([0.5], [1], [[[0.3]], [[-0.2]]], [[0.1], [0.4]])
    assert math.isclose(one[0], 0.18369810840678702, rel_tol=1e-12)
    with pytest.raises(ValueError, match="x has 2 examples but y has 1"):
        module.gradients(x, [[1]], W, b)
    with pytest.raises(ValueError, match="x needs one row of 2 values per example"):
        module.gradients([[0.5, 0.1, 0.2]], [[1]], W, b)
