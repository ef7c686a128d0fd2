"""The engine's gradients against independent references.

Each gradient, computed through shared deltas, must equal `sympy.diff` of the fully nested cost
(with σ, ReLU and softplus replaced by their definitions, so the engine's own rules are not used)
and central finite differences, at random points, to 1e-10 relative.
"""

from __future__ import annotations

import itertools
import random

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.core.costs import COSTS
from symderiv.core.functions import ELEMENTWISE, rewrite_definitions
from symderiv.core.network import Network
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import Backprop, FactorKind, derive
from symderiv.numbers.evaluate import evaluate
from tests import numbers

TOLERANCE = 1e-10
CONCRETE_COSTS = [name for name, cost in COSTS.items() if not cost.is_abstract]


def engine_gradients(
    backprop: Backprop, point: dict[sp.Symbol, sp.Float]
) -> dict[sp.Symbol, sp.Expr]:
    return dict(evaluate(backprop, point).gradients)


def check_against_diff(
    spec: NetworkSpec, seed: int, params: int | None = None, symbolic: int | None = None
) -> None:
    """Engine vs `sympy.diff` of the nested cost vs finite differences, at one random point.

    `params` limits how many parameters are checked, `symbolic` how many of those also against
    `sympy.diff` (up to depth `numbers.SYMBOLIC_DEPTH`: SymPy's own simplification of deeper
    nested costs can take minutes); all are checked by finite differences of a plain mpmath
    forward pass.
    """
    backprop = derive(spec)
    network = backprop.network
    point = numbers.random_point(network, random.Random(seed))
    got = engine_gradients(backprop, point)
    variables = list(network.base_variables)
    mpmath.mp.dps = numbers.DIGITS
    args = [mpmath.mpf(str(point[v])) for v in variables]
    cost_at = numbers.forward_cost(network)
    if spec.depth > numbers.SYMBOLIC_DEPTH:
        symbolic = 0
    else:
        cost, _ = numbers.nested_cost_function(network)
    chosen = list(network.parameters)
    if params is not None:
        chosen = random.Random(seed).sample(chosen, min(params, len(chosen)))
    for position, parameter in enumerate(chosen):
        index = variables.index(parameter)
        fd = numbers.finite_difference(cost_at, args, index)
        value = mpmath.mpf(str(got[parameter]))
        if symbolic is None or position < symbolic:
            exact = numbers.evaluator(sp.diff(cost, parameter), variables)(*args)
            assert numbers.relative_error(value, exact) < TOLERANCE, (spec, parameter, value, exact)
        assert numbers.relative_error(value, fd) < TOLERANCE, (spec, parameter, value, fd)


#: Costs with a logarithm of ŷ: real only where the output stays in (0, 1).
LOGARITHMIC = ("binary_cross_entropy", "categorical_cross_entropy")


@pytest.mark.parametrize(
    ("activation", "cost"), list(itertools.product(sorted(ELEMENTWISE), CONCRETE_COSTS))
)
def test_seed_network_every_activation_and_cost(activation: str, cost: str) -> None:
    spec = NetworkSpec(hidden_activation=activation, output_activation="sigmoid", cost=cost)
    check_against_diff(spec, seed=1)
    spec = NetworkSpec(hidden_activation="sigmoid", output_activation=activation, cost=cost)
    if cost in LOGARITHMIC and activation in ("tanh", "relu", "softplus", "linear"):
        return  # ŷ outside (0, 1): the cost is not real there
    check_against_diff(spec, seed=2)


@pytest.mark.parametrize("activation", sorted(ELEMENTWISE))
def test_abstract_cost_keeps_dj_dyhat_as_a_factor(activation: str) -> None:
    """With J(y, ŷ) abstract, the gradient is ∂J/∂ŷ times the rest: check with a concrete J."""
    backprop = derive(NetworkSpec(hidden_activation=activation, cost="abstract"))
    network = backprop.network
    (y,), (yhat,) = network.targets, network.outputs
    concrete = sp.cos(yhat) * y + yhat**3  # any smooth J
    j = sp.Function("J")
    nested = network.nested_cost().replace(j, sp.Lambda((y, yhat), concrete))
    symbol = sp.Symbol("dJ_dyhat")
    d_j = sp.diff(concrete, yhat)
    point = numbers.random_point(network, random.Random(3))
    for gradient in backprop.gradients:
        assert gradient.chain is not None and gradient.chain[0].value == symbol
        engine = backprop.in_base_variables(gradient).xreplace(
            {symbol: d_j.xreplace({yhat: network.nested[yhat]})}
        )
        engine = rewrite_definitions(engine)
        truth = sp.diff(rewrite_definitions(nested), gradient.parameter)
        got, want = (sp.N(e.xreplace(point), 30) for e in (engine, truth))
        assert numbers.relative_error(float(got), float(want)) < TOLERANCE


@st.composite
def networks(draw: st.DrawFn) -> NetworkSpec:
    depth = draw(st.integers(1, 5))
    layers = tuple(draw(st.integers(1, 3)) for _ in range(depth + 1))
    output = draw(st.sampled_from(sorted(ELEMENTWISE)))
    costs = CONCRETE_COSTS if output == "sigmoid" else ["squared_error", "half_squared_error"]
    return NetworkSpec(
        layers=layers,
        hidden_activation=draw(st.sampled_from(sorted(ELEMENTWISE))),
        output_activation=output,
        cost=draw(st.sampled_from(costs)),
    )


@settings(max_examples=60)
@given(spec=networks(), seed=st.integers(0, 2**16))
def test_random_networks_match_diff_and_finite_differences(spec: NetworkSpec, seed: int) -> None:
    check_against_diff(spec, seed, symbolic=2)


def test_seed_network_derivation_reads_as_the_lecture() -> None:
    backprop = derive()
    x, y, yhat, a1, w2 = sp.symbols("x y yhat a1 w2")
    delta1, delta2 = sp.symbols("delta1 delta2")
    d2, d1 = backprop.deltas
    assert (d2.symbol, d1.symbol) == (delta2, delta1)
    assert sp.expand(d2.value - 2 * (yhat - y) * yhat * (1 - yhat)) == 0
    assert sp.expand(d1.value - delta2 * w2 * a1 * (1 - a1)) == 0
    expected = {"w1": delta1 * x, "b1": delta1, "w2": delta2 * a1, "b2": delta2}
    assert [g.parameter.name for g in backprop.gradients] == list(expected)
    for g in backprop.gradients:
        assert sp.expand(g.value - expected[g.parameter.name]) == 0
    chain = backprop.gradient("w1").chain
    assert chain is not None
    assert [f.kind for f in chain] == [
        FactorKind.COST,
        FactorKind.ACTIVATION,
        FactorKind.WEIGHT,
        FactorKind.ACTIVATION,
        FactorKind.INPUT,
    ]
    assert [(f.of.name, f.wrt.name) for f in chain] == [
        ("J", "yhat"), ("yhat", "z2"), ("z2", "a1"), ("a1", "z1"), ("z1", "w1"),
    ]  # fmt: skip


def test_wide_layers_sum_over_every_downstream_node() -> None:
    backprop = derive(NetworkSpec(layers=(2, 3, 2)))
    hidden = [d for d in backprop.deltas if d.node.layer == 1]
    assert len(hidden) == 3
    for delta in hidden:
        assert [s.name for s, _ in delta.downstream] == ["delta2_1", "delta2_2"]
        weights = [f.value.name for _, f in delta.downstream]
        assert weights == [f"w2_1_{delta.node.index}", f"w2_2_{delta.node.index}"]
    assert backprop.gradient("w1_2_1").chain is None  # the signal branches above layer 1
    assert backprop.gradient("w2_2_3").chain is not None


@pytest.mark.parametrize("layers", [(12, 11, 10), (100, 30, 10)])
def test_every_parameter_of_a_wide_network_is_distinct(layers: tuple[int, ...]) -> None:
    spec = NetworkSpec(layers=layers)
    network = derive(spec).network
    names = [p.name for p in network.parameters]
    assert len(set(names)) == len(names) == spec.parameter_count
    assert len(set(network.parameters)) == spec.parameter_count


def test_deep_chain_refers_to_the_next_delta_by_symbol() -> None:
    """Reverse mode: each delta mentions one delta above it, so work stays linear in depth."""
    backprop = derive(NetworkSpec(layers=(1,) * 257))
    assert len(backprop.gradients) == 512
    for delta in backprop.deltas[1:]:
        deltas_inside = [s for s in delta.value.free_symbols if s.name.startswith("delta")]
        assert deltas_inside == [sp.Symbol(f"delta{delta.node.layer + 1}")]


@pytest.mark.parametrize("name", CONCRETE_COSTS)
def test_cost_derivative_in_lecture_form_equals_diff(name: str) -> None:
    y, yhat = sp.symbols("y yhat")
    cost = COSTS[name]
    assert cost.term is not None
    assert (
        sp.simplify(cost.gradient((y, yhat), sp.Symbol("g")) - sp.diff(cost.term_at(y, yhat), yhat))
        == 0
    )


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_derivatives_match_their_definitions(name: str) -> None:
    z = sp.Symbol("z")
    act = ELEMENTWISE[name]
    truth = sp.diff(rewrite_definitions(act.apply(z)), z)
    for value in (-1.3, -0.2, 0.4, 2.1):
        at = {z: sp.Float(value, 30)}
        general = rewrite_definitions(act.derivative_at(z)).xreplace(at)
        local = rewrite_definitions(act.local_derivative_at(act.apply(z), z)).xreplace(at)
        want = sp.N(truth.xreplace(at), 30)
        assert abs(sp.N(general, 30) - want) < 1e-25
        assert abs(sp.N(local, 30) - want) < 1e-25


def test_nested_forms_only_on_demand() -> None:
    network: Network = derive(NetworkSpec(layers=(1,) * 65)).network
    assert "nested" not in network.__dict__
