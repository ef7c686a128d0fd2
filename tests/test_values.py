"""Numbers for worked examples: parsed as data only, shapes checked, defaults as documented."""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.core.network import build_network
from symderiv.core.spec import NetworkSpec
from symderiv.numbers.evaluate import PRECISION
from symderiv.numbers.values import (
    default_values,
    parse_number,
    parse_values_flag,
    resolve_values,
    values_from_table,
)

SEED = build_network()


def seed_table(**changes: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "x": [0.5],
        "y": [1.0],
        "W": [[[0.3]], [[-0.2]]],
        "b": [[0.1], [0.4]],
        "learning_rate": 0.5,
    }
    table.update(changes)
    return {k: v for k, v in table.items() if v is not None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", sp.Integer(3)),
        ("-3", sp.Integer(-3)),
        ("+7", sp.Integer(7)),
        ("1/2", sp.Rational(1, 2)),
        ("-3/10", sp.Rational(-3, 10)),
        (" 4/8 ", sp.Rational(1, 2)),
    ],
)
def test_integers_and_fractions_stay_exact(text: str, expected: sp.Expr) -> None:
    value = parse_number(text, "test")
    assert value == expected and value.is_Rational


@pytest.mark.parametrize("text", ["0.3", "-1.25", ".5", "5.", "1e-3", "-2.5E+2"])
def test_decimals_are_carried_at_full_precision(text: str) -> None:
    value = parse_number(text, "test")
    assert isinstance(value, sp.Float)
    assert value == sp.Float(text, PRECISION)  # 0.3 is 0.3, not the nearest binary float


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not a number"),
        ("__import__('os').system('true')", "is not a number"),
        ("1+1", "is not a number"),
        ("2**10", "is not a number"),
        ("0x10", "is not a number"),
        ("1_000", "is not a number"),
        ("", "is not a number"),
        ("nan", "not a finite number"),
        ("-inf", "not a finite number"),
        ("1/0", "divides by zero"),
        ("1e400", "larger than the limit"),
        ("1e99999", "is not a number"),  # exponents of five digits are refused outright
        ("9" * 80, "too long"),
        ("1/1e3", "is not a number"),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SymderivError, match=message):
        parse_number(text, "here")


def test_seed_defaults_are_the_documented_ones() -> None:
    values = default_values(SEED)
    by_name = {s.name: v for s, v in values.point.items()}
    expected = {"x": 0.5, "y": 1, "w1": 0.3, "b1": 0.1, "w2": -0.2, "b2": 0.4}
    assert by_name == {k: parse_number(str(v), k) for k, v in expected.items()}
    assert values.learning_rate == sp.Float("0.5", PRECISION)
    assert values.source == "the defaults" and not values.exact


@pytest.mark.parametrize("layers", [(2, 3, 1), (4, 4, 4), (3, 7, 2), (1, 1, 1, 1, 1)])
def test_defaults_exist_for_every_network_and_break_symmetry(layers: tuple[int, ...]) -> None:
    network = build_network(NetworkSpec(layers=layers))
    point = default_values(network).point
    assert set(point) == set(network.base_variables)
    for layer in network.layers:
        rows = [tuple(point[w] for w in (*node.weights, node.bias)) for node in layer]
        assert len(set(rows)) == len(rows)  # no two nodes of a layer start out identical


def test_table_gives_every_value() -> None:
    table = seed_table(x=["1/2"], y=[1], learning_rate="1/4")
    values = values_from_table(SEED, table)
    by_name = {s.name: v for s, v in values.point.items()}
    assert by_name["x"] == sp.Rational(1, 2) and by_name["y"] == 1
    assert by_name["w2"] == sp.Float("-0.2", PRECISION)
    assert values.learning_rate == sp.Rational(1, 4)


def test_scalar_x_and_y_are_accepted_for_one_input_and_output() -> None:
    values = values_from_table(SEED, seed_table(x=0.5, y=1))
    assert values.point[SEED.inputs[0]] == sp.Float("0.5", PRECISION)


def test_exact_only_when_every_value_is() -> None:
    exact = {"x": ["1/2"], "y": [1], "W": [[["3/10"]], [[-1]]], "b": [[0], ["2/5"]]}
    assert values_from_table(SEED, {**exact, "learning_rate": "1/2"}).exact
    assert not values_from_table(SEED, exact).exact  # the default learning rate is 0.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"b": None}, r"\[values\] lacks b"),
        ({"x": None, "W": None}, "lacks x, W"),
        ({"eta": 0.1}, "unknown key 'eta'"),
        ({"W": [[[0.3]]]}, "W has 1 layers, expected 2"),
        ({"W": [[[0.3, 0.1]], [[-0.2]]]}, r"W\[0\]\[0\] has 2 columns .*expected 1"),
        ({"b": [[0.1, 0.2], [0.4]]}, r"b\[0\] has 2 values, expected 1"),
        ({"W": [[0.3], [[-0.2]]]}, r"W\[0\]\[0\] must be a list of 1 columns"),
        ({"x": [[[0.5]]]}, r"x\[0\]\[0\] \(x\): expected a number, got a list"),
        ({"y": [True]}, r"y\[0\] \(y\): expected a number, got true"),
        ({"W": [[["abc"]], [[-0.2]]]}, r"W\[0\]\[0\]\[0\] \(w1\): 'abc' is not a number"),
        ({"b": [[float("nan")], [0.4]]}, r"b\[0\]\[0\] \(b1\): nan is not a finite number"),
        ({"b": [[0.1], [float("inf")]]}, "inf is not a finite number"),
        ({"learning_rate": -0.5}, "learning_rate must be positive"),
        ({"learning_rate": 0}, "learning_rate must be positive"),
    ],
)
def test_table_errors_say_what_is_wrong(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SymderivError, match=message):
        values_from_table(SEED, seed_table(**changes))


def test_table_must_be_a_table() -> None:
    with pytest.raises(SymderivError, match="must be a table"):
        values_from_table(SEED, [1, 2])


def test_flag_parses_name_number_pairs() -> None:
    parsed = parse_values_flag(" x=1/2, w2_1_3 = -0.25 ,eta=0.1,")
    assert parsed == {
        "x": sp.Rational(1, 2),
        "w2_1_3": sp.Float("-0.25", PRECISION),
        "eta": sp.Float("0.1", PRECISION),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x0.5", "cannot read 'x0.5'"),
        ("x=0.5,x=1", "gives x twice"),
        ("", "is empty"),
        (" , ", "is empty"),
        ("x=", "is not a number"),
        ("__class__=1", "cannot read"),
        ("x=0.5;import os", "is not a number"),
        ("w1=1e9999", "larger than the limit"),
        ("w1=1e99999", "is not a number"),
    ],
)
def test_flag_errors(text: str, message: str) -> None:
    with pytest.raises(SymderivError, match=message):
        parse_values_flag(text)


def test_flag_changes_single_values_of_the_defaults() -> None:
    values = resolve_values(SEED, None, "w2=1/2,eta=0.1")
    by_name = {s.name: v for s, v in values.point.items()}
    assert by_name["w2"] == sp.Rational(1, 2)
    assert by_name["w1"] == sp.Float("0.3", PRECISION)
    assert values.learning_rate == sp.Float("0.1", PRECISION)
    assert "changed on the command line" in values.source


def test_flag_changes_single_values_of_the_table() -> None:
    values = resolve_values(SEED, seed_table(), "x=2")
    assert values.point[SEED.inputs[0]] == 2
    assert values.source.startswith("the spec's [values] table")


def test_flag_knows_any_networks_parameter_names() -> None:
    network = build_network(NetworkSpec(layers=(2, 3, 1)))
    values = resolve_values(network, None, "x_2=1,w2_1_3=-1/3,b1_2=0")
    by_name = {s.name: v for s, v in values.point.items()}
    assert (by_name["x_2"], by_name["w2_1_3"], by_name["b1_2"]) == (1, sp.Rational(-1, 3), 0)


def test_flag_names_unknown_symbols_with_a_suggestion() -> None:
    network = build_network(NetworkSpec(layers=(2, 3, 1)))
    with pytest.raises(SymderivError, match=r"unknown name 'w2_1_4'\. Did you mean 'w2_1_3'"):
        resolve_values(network, None, "w2_1_4=1")
    wide = build_network(NetworkSpec(layers=(30, 30, 10)))
    with pytest.raises(SymderivError) as error:
        resolve_values(wide, None, "w3_1_1=1")
    assert len(str(error.value)) < 200 and "w<layer>_<j>_<k>" in str(error.value)


def test_abstract_cost_has_no_numbers() -> None:
    network = build_network(NetworkSpec(cost="abstract"))
    with pytest.raises(SymderivError, match="abstract cost J"):
        resolve_values(network)
