"""The matrix form against the index form, entry by entry, and against `sympy.diff`.

Every layer equation is written out with explicit matrices of the scalar engine's symbols
(`W2` becomes the matrix of `w2_j_k`, `delta1` the column of `delta1_j`) and multiplied out;
each entry must equal, symbolically, what the scalar engine derived node by node. The training
set form and a coupled output (a stand-in record with `coupled=True`) are checked against
`sympy.diff` of the cost written out in full, at random points.
"""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction
from typing import Any

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symderiv.core import functions
from symderiv.core.costs import COSTS, get_cost
from symderiv.core.functions import ACTIVATIONS, rewrite_definitions
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import Backprop, derive
from symderiv.engine.layers import (
    EXAMPLE,
    LayerDerivation,
    Reason,
    ShapeMismatch,
    derive_layers,
    explicit,
    network_matrices,
    shape_of,
    size,
)
from symderiv.render.printing import to_latex, to_plain

LAYOUTS = [(2, 3, 2), (3, 2, 2, 1), (1, 1, 1), (2, 2)]


def same(a: Any, b: Any) -> bool:
    return sp.cancel(sp.expand(sp.sympify(a) - sp.sympify(b))) == 0


def delta_entries(backprop: Backprop, layer: int) -> list[sp.Expr]:
    return [d.value for d in backprop.deltas if d.node.layer == layer]


def check_entry_by_entry(spec: NetworkSpec) -> None:
    """Every matrix equation, written out, against the scalar engine's node-by-node result."""
    backprop = derive(spec)
    network = backprop.network
    matrix = derive_layers(spec)
    values = network_matrices(matrix, network)
    checked = set()
    for eq in matrix.equations:
        rhs = explicit(eq.rhs, values, matrix)
        assert rhs.shape == eq.rhs_shape.numbers == eq.lhs_shape.numbers
        nodes = network.layers[eq.layer - 1]
        if eq.reason is Reason.INPUT_SUM:
            expected = [[n.z_definition] for n in nodes]
            assert explicit(eq.lhs, values, matrix) == sp.ImmutableMatrix([[n.z] for n in nodes])
        elif eq.reason in (Reason.ACTIVATION, Reason.COUPLED_ACTIVATION):
            expected = [[n.a_definition] for n in nodes]
            assert explicit(eq.lhs, values, matrix) == sp.ImmutableMatrix([[n.a] for n in nodes])
        elif eq.reason in (Reason.OUTPUT_DELTA, Reason.COUPLED_OUTPUT_DELTA, Reason.HIDDEN_DELTA):
            expected = [[value] for value in delta_entries(backprop, eq.layer)]
            symbols = [backprop.delta_of(n).symbol for n in nodes]
            assert explicit(eq.lhs, values, matrix) == sp.ImmutableMatrix([[s] for s in symbols])
        elif eq.reason is Reason.BIAS_GRADIENT:
            expected = [[backprop.gradient(n.bias.name).value] for n in nodes]
        else:
            assert eq.reason is Reason.WEIGHT_GRADIENT
            expected = [[backprop.gradient(w.name).value for w in n.weights] for n in nodes]
        for row, expected_row in zip(rhs.tolist(), expected, strict=True):
            for entry, wanted in zip(row, expected_row, strict=True):
                assert same(entry, wanted), (eq.label, eq.layer, entry, wanted)
        checked.add(eq.reason)
    coupled = network.layers[-1][0].activation.coupled
    assert checked >= {
        Reason.INPUT_SUM,
        Reason.COUPLED_ACTIVATION if coupled else Reason.ACTIVATION,
        Reason.COUPLED_OUTPUT_DELTA if coupled else Reason.OUTPUT_DELTA,
        Reason.BIAS_GRADIENT,
        Reason.WEIGHT_GRADIENT,
    }


ELEMENTWISE = sorted(name for name, record in ACTIVATIONS.items() if not record.coupled)


@pytest.mark.parametrize("layers", LAYOUTS)
@pytest.mark.parametrize("activation", ELEMENTWISE)
@pytest.mark.parametrize("cost", sorted(COSTS))
def test_matrix_form_agrees_with_the_index_form_entry_by_entry(
    layers: tuple[int, ...], activation: str, cost: str
) -> None:
    spec = NetworkSpec(
        layers=layers, hidden_activation=activation, output_activation=activation, cost=cost
    )
    check_entry_by_entry(spec)


@pytest.mark.parametrize("layers", [(2, 2, 2), (2, 3, 3)])
@pytest.mark.parametrize("cost", ["categorical_cross_entropy", "squared_error"])
def test_a_softmax_output_agrees_entry_by_entry(layers: tuple[int, ...], cost: str) -> None:
    spec = NetworkSpec(
        layers=layers, hidden_activation="tanh", output_activation="softmax", cost=cost
    )
    check_entry_by_entry(spec)


def test_the_sum_over_every_node_above_is_in_bp2() -> None:
    """Entry j of BP2 is Σ_i W_ij δ_i f'(z_j): every node of the layer above appears."""
    spec = NetworkSpec(layers=(2, 3, 4))
    matrix = derive_layers(spec)
    values = network_matrices(matrix, derive(spec).network)
    (bp2,) = [eq for eq in matrix.deltas if eq.label == "BP2"]
    entry = explicit(bp2.rhs, values, matrix)[1, 0]
    for i in range(1, 5):
        assert entry.has(sp.Symbol(f"w2_{i}_2"), sp.Symbol(f"delta2_{i}"))
    assert not entry.has(sp.Symbol("w2_1_1"))


def test_equations_are_the_four_of_back_propagation() -> None:
    matrix = derive_layers(NetworkSpec(layers=(2, 3, 3, 2)))
    assert [(eq.label, eq.layer) for eq in matrix.deltas] == [("BP1", 3), ("BP2", 2), ("BP2", 1)]
    assert [(eq.label, eq.layer) for eq in matrix.gradients] == [
        ("BP3", 3), ("BP4", 3), ("BP3", 2), ("BP4", 2), ("BP3", 1), ("BP4", 1),
    ]  # fmt: skip
    assert matrix.cost is None and not matrix.batch and not matrix.decay
    assert [s.function.name for s in matrix.slopes] == ["sigmoid"]


# ---------------------------------------------------------------------------------------------
# Shapes


@given(
    sizes=st.lists(st.integers(1, 7), min_size=2, max_size=6),
    examples=st.integers(1, 5),
    decay=st.booleans(),
    coupled_free=st.sampled_from(ELEMENTWISE),
)
def test_shapes_of_both_sides_agree_for_any_sizes(
    sizes: list[int], examples: int, decay: bool, coupled_free: str
) -> None:
    spec = NetworkSpec(
        layers=tuple(sizes), hidden_activation=coupled_free, examples=examples, l2=int(decay)
    )
    matrix = derive_layers(spec)
    m = examples if examples > 1 else 1
    for eq in matrix.equations:
        assert (eq.lhs_shape.rows, eq.lhs_shape.cols) == (eq.rhs_shape.rows, eq.rhs_shape.cols)
        assert eq.lhs_shape.numbers == eq.rhs_shape.numbers
        layer = eq.layer
        if eq.reason is Reason.WEIGHT_GRADIENT:
            assert (eq.lhs_shape.rows, eq.lhs_shape.cols) == (size(layer), size(layer - 1))
            assert eq.lhs_shape.numbers == (sizes[layer], sizes[layer - 1])
        elif eq.reason is Reason.BIAS_GRADIENT:
            assert eq.lhs_shape.numbers == (sizes[layer], 1)
        elif eq.reason is Reason.COST:
            assert eq.lhs_shape.numbers == (1, 1)
        else:
            assert eq.lhs_shape.rows == size(layer)
            assert eq.lhs_shape.numbers == (sizes[layer], m)
    assert (matrix.cost is not None) == (examples > 1 or decay)


def test_an_equation_whose_sides_differ_is_refused() -> None:
    good = derive_layers(NetworkSpec(layers=(2, 3, 2))).gradients[1]
    with pytest.raises(ShapeMismatch, match="BP4 of layer 2"):
        dataclasses.replace(good, rhs_shape=good.lhs_shape.__class__(size(1), size(2), (3, 2)))


def test_a_missing_transpose_is_caught_even_where_the_numbers_agree() -> None:
    """With sizes as symbols, W^(l+1) δ^(l+1) does not type-check where (W^(l+1))ᵀ δ does."""
    matrix = derive_layers(NetworkSpec(layers=(2, 2, 2)))
    above = matrix.layers[1]
    with pytest.raises(ShapeMismatch, match="cannot multiply"):
        shape_of(sp.MatMul(above.weights, above.delta))
    assert shape_of(sp.MatMul(sp.Transpose(above.weights), above.delta)) == (size(1), 1)
    slope = matrix.deltas[1].rhs.args[1]
    with pytest.raises(ShapeMismatch, match="differ"):
        shape_of(sp.HadamardProduct(above.delta, slope))


# ---------------------------------------------------------------------------------------------
# A training set, with weight decay: against sympy.diff of the whole cost


def example_symbols(stem: str, rows: int, m: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(rows, m, lambda j, i: sp.Symbol(f"{stem}_{j + 1}_ex{i + 1}"))


def training_set_values(
    matrix: LayerDerivation, spec: NetworkSpec
) -> tuple[dict[Any, Any], sp.Expr, list[sp.Symbol]]:
    """Explicit X, Y, W, b, then every Z, A, G and Δ from the matrix equations themselves;
    and the cost written out in full, from its definition."""
    backprop = derive(NetworkSpec(layers=spec.layers))
    network = backprop.network
    m = spec.examples
    values: dict[Any, Any] = {
        matrix.inputs: example_symbols("x", spec.layers[0], m),
        matrix.targets: example_symbols("y", spec.layers[-1], m),
    }
    for s, nodes in zip(matrix.layers, network.layers):
        values[s.weights] = sp.ImmutableMatrix([list(n.weights) for n in nodes])
        values[s.bias] = sp.ImmutableMatrix([[n.bias] for n in nodes])
    for eq in matrix.forward:
        values[eq.lhs] = explicit(eq.rhs, values, matrix)
    cost = get_cost(spec.cost)
    yhat, y = values[matrix.layers[-1].a], values[matrix.targets]
    values[matrix.cost_gradient] = sp.ImmutableMatrix(
        yhat.rows,
        m,
        lambda j, i: cost.gradient((y[j, i], yhat[j, i]), None),
    )
    for eq in matrix.deltas:
        values[eq.lhs] = explicit(eq.rhs, values, matrix)
    examples = [
        cost.expression([(y[j, i], yhat[j, i]) for j in range(yhat.rows)]) for i in range(m)
    ]
    weights = [w for s in matrix.layers for w in values[s.weights]]
    penalty = sp.Rational(spec.l2.numerator, spec.l2.denominator) / (2 * m)
    total = sp.Add(*examples) / m + penalty * sp.Add(*(w**2 for w in weights))
    return values, total, list(network.parameters)


@pytest.mark.parametrize(
    ("layers", "activation", "cost", "examples", "l2"),
    [
        ((2, 3, 2), "sigmoid", "squared_error", 3, "1/10"),
        ((2, 2, 1), "tanh", "binary_cross_entropy", 4, "0"),
        ((1, 2, 2), "softplus", "half_squared_error", 2, "1/2"),
        ((2, 2), "linear", "squared_error", 1, "3/10"),
    ],
)
def test_training_set_gradients_equal_sympy_diff_of_the_whole_cost(
    layers: tuple[int, ...], activation: str, cost: str, examples: int, l2: str
) -> None:
    spec = NetworkSpec(
        layers=layers,
        hidden_activation=activation,
        output_activation="sigmoid" if cost == "binary_cross_entropy" else activation,
        cost=cost,
        examples=examples,
        l2=Fraction(l2),
    )
    matrix = derive_layers(spec)
    values, total, parameters = training_set_values(matrix, spec)
    derived: dict[sp.Symbol, sp.Expr] = {}
    for eq in matrix.gradients:
        entries = explicit(eq.rhs, values, matrix)
        s = matrix.layers[eq.layer - 1]
        names = values[s.weights] if eq.reason is Reason.WEIGHT_GRADIENT else values[s.bias]
        for name, entry in zip(names, entries, strict=True):
            derived[name] = entry
    assert set(derived) == set(parameters)
    reference = rewrite_definitions(total)
    rng = random.Random(7)
    free = sorted(reference.free_symbols, key=lambda s: s.name)
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(-90, 90), 100) for s in free}
        point.update(
            {s: sp.Rational(rng.randint(10, 90), 100) for s in free if s.name.startswith("y")}
        )
        for parameter, entry in derived.items():
            want = sp.diff(reference, parameter).xreplace(point).evalf(30)
            got = rewrite_definitions(entry).xreplace(point).evalf(30)
            assert abs(got - want) <= 1e-20 * max(1, abs(want)), (parameter, got, want)


def test_the_cost_equation_averages_and_decays() -> None:
    """J = (1/m) Σ_i J_i + (λ/(2m)) Σ_l ‖W^l‖²_F: every weight squared, no bias."""
    spec = NetworkSpec(layers=(2, 3, 2), examples=4, l2="1/10")
    matrix = derive_layers(spec)
    network = derive(NetworkSpec(layers=spec.layers)).network
    values = {
        s.weights: sp.ImmutableMatrix([list(n.weights) for n in nodes])
        for s, nodes in zip(matrix.layers, network.layers)
    }
    assert matrix.cost is not None
    mean, penalty = matrix.cost.rhs.args
    weights = [w for node in network.nodes for w in node.weights]
    wanted = sp.Rational(1, 10) / (2 * 4) * sp.Add(*(w**2 for w in weights))
    assert same(explicit(penalty, values, matrix), wanted)
    assert to_plain(mean) == "1/m*Sum(J_i, (i, 1, m))"
    assert to_plain(penalty) == "(lambda/(2*m))*Sum(SquaredNorm(Wl), (l, 1, L))"


# ---------------------------------------------------------------------------------------------
# A coupled output: BP1 is the Jacobian product


@pytest.fixture
def coupled(monkeypatch: pytest.MonkeyPatch) -> str:
    """A stand-in for a layer-wide output function: `coupled=True`, an undefined SymPy form."""
    name = "coupledstandin"
    record = dataclasses.replace(
        ACTIVATIONS["sigmoid"],
        name=name,
        title="stand-in for a coupled output",
        text="S",
        latex=r"\operatorname{S}",
        spellings=(),
        sympy=lambda sympy: sympy.Function("S"),
        coupled=True,
    )
    monkeypatch.setitem(functions.ACTIVATIONS, name, record)
    monkeypatch.setitem(functions.BY_NAME, name, record)
    return name


def softmax_of(z: list[sp.Expr]) -> list[sp.Expr]:
    total = sp.Add(*(sp.exp(zk) for zk in z))
    return [sp.exp(zj) / total for zj in z]


@pytest.mark.parametrize("cost", ["squared_error", "half_squared_error", "abstract"])
def test_a_coupled_output_gets_the_jacobian_product(coupled: str, cost: str) -> None:
    spec = NetworkSpec(layers=(2, 3), output_activation=coupled, cost=cost)
    matrix = derive_layers(spec)
    bp1 = matrix.deltas[0]
    assert bp1.reason is Reason.COUPLED_OUTPUT_DELTA
    assert matrix.forward[1].reason is Reason.COUPLED_ACTIVATION
    assert matrix.slopes == ()  # no elementwise slope for the output
    network = derive(NetworkSpec(layers=(2, 3), cost=cost)).network
    values = network_matrices(matrix, network)
    delta = explicit(bp1.rhs, values, matrix)
    # The reference: J as a function of z through ŷ = softmax(z), differentiated by sympy.
    z = [n.z for n in network.layers[-1]]
    yhat = list(network.outputs)
    as_softmax = dict(zip(yhat, softmax_of(z)))
    if cost == "abstract":
        grads = [sp.Symbol(f"dJ_dyhat_{j}") for j in (1, 2, 3)]
        reference = sp.Add(*(g * y for g, y in zip(grads, softmax_of(z))))  # J linear in ŷ
        wanted = [sp.diff(reference, zk) for zk in z]
    else:
        j_of_z = network.cost_expression.xreplace(as_softmax)
        wanted = [sp.diff(j_of_z, zk) for zk in z]
    rng = random.Random(3)
    for _ in range(3):
        point = {s: sp.Rational(rng.randint(-90, 90), 50) for s in z + list(network.targets)}
        for k in range(3):
            got = delta[k, 0].xreplace(as_softmax).xreplace(point).evalf(30)
            want = wanted[k].xreplace(point).evalf(30)
            assert abs(got - want) < 1e-25, (k, got, want)


def test_a_coupled_output_over_a_training_set_works_column_by_column(coupled: str) -> None:
    spec = NetworkSpec(layers=(2, 2), output_activation=coupled, examples=3)
    matrix = derive_layers(spec)
    bp1 = matrix.deltas[0]
    assert bp1.reason is Reason.COUPLED_OUTPUT_DELTA
    assert bp1.lhs_shape.numbers == (2, 1)
    yhat = example_symbols("yhat", 2, 3)
    grad = example_symbols("g", 2, 3)
    values = {matrix.layers[-1].a: yhat, matrix.cost_gradient: grad}
    for column in range(3):  # SymPy's slice counts from 0: example k is i = k − 1
        got = explicit(bp1.rhs.xreplace({EXAMPLE: column}), values, matrix)
        y, g = yhat[:, column], grad[:, column]
        wanted = (sp.diag(*y) - y * y.T).T * g
        assert got.shape == (2, 1)
        assert all(same(a, b) for a, b in zip(got, wanted, strict=True))


def test_the_jacobian_product_is_written_with_the_transpose(coupled: str) -> None:
    bp1 = derive_layers(NetworkSpec(layers=(2, 3), output_activation=coupled)).deltas[0]
    assert to_plain(bp1.rhs) == "(DiagMatrix(yhat) - yhat*yhat.T).T*dJ_dyhat"
    assert to_latex(bp1.rhs) == (
        r"\left(\operatorname{diag}\left(\hat{y}\right) - \hat{y} \hat{y}^{\top}\right)^{\top} "
        r"\nabla_{\hat{y}} J"
    )
