"""Verdicts on answers computed without the engine or the checker: `sympy.diff` of the fully
nested cost.

The truth is `sympy.diff` of `network.nested_cost()` with every named function replaced by its
definition (`rewrite_definitions`); an answer written in local symbols is put into the base
variables through the network's forward equations, each delta `∂J/∂z` being `sympy.diff` of the
same cost by the node's bias (`z = Σ w·a + b`, so `∂J/∂b = ∂J/∂z`). The abstract cost stands in
as `Σ_j g_j·ŷ_j`, its `∂J/∂ŷ_j` being a variable `g_j` of its own (`dJ_dyhat`) given a random
value at each point like the base variables. Answers are given here in
fully explicit plain syntax (every product with `*`), so their meaning does not depend on the
readings under test.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import sympy as sp

from symderiv.core import naming
from symderiv.core.functions import rewrite_definitions
from symderiv.core.network import Network, build_network
from symderiv.core.spec import NetworkSpec
from symderiv.parse.plain import parse_expression

DIGITS = 30
TOLERANCE = sp.Float("1e-12", DIGITS)
POINTS = 10
MIN_INFORMATIVE = 4


@dataclass(frozen=True)
class Truth:
    """One network's cost in the base variables, and every local symbol in them."""

    network: Network
    cost: sp.Expr
    local: dict[sp.Symbol, sp.Expr]
    variables: tuple[sp.Symbol, ...]  # what a point gives values to


@functools.cache
def truth_for(spec: NetworkSpec) -> Truth:
    network = build_network(spec)
    local = {symbol: rewrite_definitions(value) for symbol, value in network.nested.items()}
    variables = network.base_variables
    if network.cost.is_abstract:
        slopes = [
            sp.Symbol("dJ_dyhat" if spec.is_chain else naming.indexed("dJ_dyhat", j))
            for j in range(1, len(network.outputs) + 1)
        ]
        cost = sp.Add(*(g * local[yhat] for g, yhat in zip(slopes, network.outputs)))
        variables = (*variables, *slopes)
    else:
        cost = rewrite_definitions(network.nested_cost())
    chain = spec.is_chain
    for node in network.nodes:
        delta = naming.layered("delta", node.layer, *(() if chain else (node.index,)))
        local[sp.Symbol(delta)] = sp.diff(cost, node.bias)
    return Truth(network, cost, local, variables)


def in_base_variables(spec: NetworkSpec, answer: sp.Expr) -> sp.Expr:
    truth = truth_for(spec)
    return rewrite_definitions(answer.xreplace(truth.local))


def random_point(truth: Truth, rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    """Short decimals: targets in [0.05, 0.95], the rest ±[0.1, 2] (never on ReLU's kink)."""
    point: dict[sp.Symbol, sp.Rational] = {}
    for symbol in truth.variables:
        if symbol in truth.network.targets:
            point[symbol] = sp.Rational(rng.randint(5, 95), 100)
        else:
            point[symbol] = sp.Rational(rng.choice((-1, 1)) * rng.randint(10, 200), 100)
    return point


def value_at(expr: sp.Expr, point: dict[sp.Symbol, sp.Rational]) -> sp.Float | None:
    value = sp.N(expr.xreplace(point), DIGITS)
    if not value.is_real or not value.is_finite:
        return None
    return sp.Float(value, DIGITS)


def agree(a: sp.Float, b: sp.Float) -> bool:
    return bool(abs(a - b) <= TOLERANCE * max(abs(a), abs(b), sp.Float(1e-6)))


def is_correct(spec: NetworkSpec, param: str, answer: str | sp.Expr, seed: int = 0) -> bool:
    """Whether `answer` (explicit plain text, or an expression) equals ∂J/∂param."""
    truth = truth_for(spec)
    expr = parse_expression(answer) if isinstance(answer, str) else answer
    gradient = sp.diff(truth.cost, sp.Symbol(param))
    answer_expr = in_base_variables(spec, expr)
    rng = random.Random(seed)
    compared = informative = 0
    for _ in range(200):
        point = random_point(truth, rng)
        if any(abs(value_at(z, point) or 0) < 1e-9 for z in _input_sums(truth)):
            continue
        want, got = value_at(gradient, point), value_at(answer_expr, point)
        if want is None or got is None:
            continue
        if not agree(want, got):
            return False
        compared += 1
        informative += bool(abs(want) > TOLERANCE)
        if compared >= POINTS and informative >= MIN_INFORMATIVE:
            return True
    raise AssertionError(f"too few informative points for {param} on {spec.label}")


def _input_sums(truth: Truth) -> list[sp.Expr]:
    return [truth.local[node.z] for node in truth.network.nodes]


def gradient_at(spec: NetworkSpec, param: str, point: dict[str, str]) -> sp.Float:
    """∂J/∂param at a counterexample's point (names to exact decimals)."""
    values = {sp.Symbol(name): sp.Rational(value) for name, value in point.items()}
    gradient = sp.diff(truth_for(spec).cost, sp.Symbol(param))
    result = value_at(gradient, values)
    assert result is not None
    return result


def answer_at(spec: NetworkSpec, answer: str, point: dict[str, str]) -> sp.Float:
    """An explicit plain answer's value at a counterexample's point."""
    values = {sp.Symbol(name): sp.Rational(value) for name, value in point.items()}
    result = value_at(in_base_variables(spec, parse_expression(answer)), values)
    assert result is not None
    return result


def same_expression(first: sp.Expr, second: sp.Expr, seed: int = 0) -> bool:
    """Whether two expressions agree at random values of their symbols (network or not)."""
    rng = random.Random(seed)
    symbols = sorted(first.free_symbols | second.free_symbols, key=lambda s: s.name)
    for _ in range(5):
        point = {s: sp.Rational(rng.randint(10, 190), 100) for s in symbols}
        a, b = (
            value_at(rewrite_definitions(first), point),
            value_at(rewrite_definitions(second), point),
        )
        if a is None or b is None or not agree(a, b):
            return False
    return True
