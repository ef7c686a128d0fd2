"""Independent numeric references for gradient tests: nested cost, `sympy.diff`, finite differences.

Nothing here uses the engine or the `fdiff` rules in `symderiv.core.functions`: σ, ReLU, softplus
and softmax are rewritten into their definitions first, and SymPy differentiates those.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import mpmath
import sympy as sp

from symderiv.core.network import Network, Node

DIGITS = 40


def random_point(network: Network, rng: random.Random) -> dict[sp.Symbol, sp.Float]:
    """Random values for every base variable, kept away from ReLU's kink and BCE's poles."""
    point = {s: sp.Float(rng.uniform(-1.5, 1.5), DIGITS) for s in network.base_variables}
    for y in network.targets:
        point[y] = sp.Float(rng.uniform(0.05, 0.95), DIGITS)
    return point


DEFINITIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "tanh": lambda z: sp.tanh(z, evaluate=False),
    # z·H(z), not the piecewise form: nested piecewise derivatives fold into exponentially many
    # cases, while this differentiates to H(z) + z·δ(z), the true slope away from the kink.
    "relu": lambda z: z * sp.Heaviside(z),
    "softplus": lambda z: sp.log(1 + sp.exp(z)),
    "linear": lambda z: z,
}


#: Activations of a whole layer at once: every output from every input sum of the layer.
LAYER_DEFINITIONS: dict[str, Callable[[list[sp.Expr]], list[sp.Expr]]] = {
    "softmax": lambda zs: [sp.exp(z) / sp.Add(*(sp.exp(v) for v in zs)) for z in zs],
}

SYMBOLIC_DEPTH = 3

MP_DEFINITIONS: dict[str, Callable[[mpmath.mpf], mpmath.mpf]] = {
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
    "relu": lambda z: z if z > 0 else mpmath.mpf(0),
    "softplus": lambda z: mpmath.log(1 + mpmath.exp(z)),
    "linear": lambda z: z,
}
MP_LAYER_DEFINITIONS: dict[str, Callable[[list[mpmath.mpf]], list[mpmath.mpf]]] = {
    "softmax": lambda zs: [mpmath.exp(z) / mpmath.fsum(mpmath.exp(v) for v in zs) for z in zs],
}
MP_COSTS: dict[str, Callable[[mpmath.mpf, mpmath.mpf], mpmath.mpf]] = {
    "categorical_cross_entropy": lambda y, yhat: -y * mpmath.log(yhat),
    "squared_error": lambda y, yhat: (yhat - y) ** 2,
    "half_squared_error": lambda y, yhat: (yhat - y) ** 2 / 2,
    "binary_cross_entropy": lambda y, yhat: (
        -(y * mpmath.log(yhat) + (1 - y) * mpmath.log(1 - yhat))
    ),
}


def forward_cost(network: Network) -> Callable[..., mpmath.mpf]:
    """The cost as a plain mpmath function of `network.base_variables`: no SymPy at all."""
    order = {v: i for i, v in enumerate(network.base_variables)}

    def cost(*args: mpmath.mpf) -> mpmath.mpf:
        values: dict[sp.Symbol, mpmath.mpf] = {}

        def value(symbol: sp.Symbol) -> mpmath.mpf:
            return values[symbol] if symbol in values else args[order[symbol]]

        for layer in network.layers:
            zs = [
                sum(value(w) * value(a) for w, a in zip(node.weights, node.inputs))
                + value(node.bias)
                for node in layer
            ]
            values.update(zip((node.a for node in layer), _activate(layer[0], zs)))
        term = MP_COSTS[network.cost.name]
        return sum(
            term(value(y), values[yhat]) for y, yhat in zip(network.targets, network.outputs)
        )

    return cost


def nested_cost_function(network: Network) -> tuple[sp.Expr, Sequence[sp.Symbol]]:
    """The fully nested cost built afresh from the activations' definitions.

    Built here rather than taken from the engine, so no rule of the engine's is trusted.
    SymPy's assumption queries on deep nested layers can take minutes: use it for networks of
    depth up to `SYMBOLIC_DEPTH`, and `forward_cost` (plain mpmath) beyond.
    """
    values: dict[sp.Symbol, sp.Expr] = {}
    for layer in network.layers:
        zs = [
            sp.Add(*(w * values.get(a, a) for w, a in zip(node.weights, node.inputs)), node.bias)
            for node in layer
        ]
        name = layer[0].activation.name
        if name in LAYER_DEFINITIONS:
            outputs = LAYER_DEFINITIONS[name](zs)
        else:
            outputs = [DEFINITIONS[name](z) for z in zs]
        values.update(zip((node.a for node in layer), outputs))
    return network.cost_expression.xreplace(values), network.base_variables


def _activate(node: Node, zs: list[mpmath.mpf]) -> list[mpmath.mpf]:
    name = node.activation.name
    if name in MP_LAYER_DEFINITIONS:
        return MP_LAYER_DEFINITIONS[name](zs)
    return [MP_DEFINITIONS[name](z) for z in zs]


def evaluator(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Callable[..., mpmath.mpf]:
    """`expr` as an mpmath function of `variables` (names are the engine's own, never a user's)."""
    steps = {
        "Heaviside": lambda z, at_zero=0.5: mpmath.mpf(1 if z > 0 else (0 if z < 0 else at_zero)),
        "DiracDelta": lambda z, k=0: mpmath.mpf(0),
    }
    return sp.lambdify(list(variables), expr, modules=[steps, "mpmath"], cse=True)


def finite_difference(
    cost: Callable[..., mpmath.mpf], args: list[mpmath.mpf], index: int
) -> mpmath.mpf:
    """Central difference in one argument at high precision: error far below 1e-20."""
    h = mpmath.mpf("1e-15")
    up, down = list(args), list(args)
    up[index] += h
    down[index] -= h
    return (cost(*up) - cost(*down)) / (2 * h)


def relative_error(got: float | mpmath.mpf, want: float | mpmath.mpf) -> float:
    scale = max(abs(want), abs(got))
    return 0.0 if scale == 0 else float(abs(got - want) / scale)
