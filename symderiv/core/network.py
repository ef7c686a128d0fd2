"""A network spec turned into SymPy symbols and the forward equations.

Every node has its local equations (`z2 = w2·a1 + b2`, `ŷ = σ(z2)`), which is what the
derivation works with. The fully nested forms in the base variables (`x, y, w, b`) exist only
for checking and for the third form of a result; they are built on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from symderiv.core import naming
from symderiv.core.costs import Cost, get_cost
from symderiv.core.functions import Function, get_activation
from symderiv.core.spec import NetworkSpec
from symderiv.core.written import substitute


@dataclass(frozen=True)
class Node:
    """Node `j` of layer `l` (both counted from 1, as on the page)."""

    layer: int
    index: int
    z: sp.Symbol
    a: sp.Symbol  # ŷ_j in the output layer
    bias: sp.Symbol
    weights: tuple[sp.Symbol, ...]  # weights[k - 1] multiplies inputs[k - 1]
    inputs: tuple[sp.Symbol, ...]  # activations of layer l - 1 (the inputs x in layer 1)
    activation: Function
    layer_z: tuple[sp.Symbol, ...] = ()  # the input sums of every node of layer l, this one's too

    @cached_property
    def z_definition(self) -> sp.Expr:
        """`Σ_k w_jk a_k + b_j`, kept in the order a lecture writes it."""
        terms = [sp.Mul(w, a, evaluate=False) for w, a in zip(self.weights, self.inputs)]
        return sp.Add(*terms, self.bias, evaluate=False)

    @property
    def a_definition(self) -> sp.Expr:
        """`f(z)`: the activation applied to this node's input sum (a coupled activation such as
        softmax to every input sum of the layer: `softmax(z)_j`)."""
        if self.activation.coupled:
            return self.activation.in_layer(self.index, self.layer_z)
        return self.activation.apply(self.z)


@dataclass(frozen=True)
class Network:
    """Symbols, local equations and the cost of one network."""

    spec: NetworkSpec
    inputs: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    layers: tuple[tuple[Node, ...], ...]  # layers[l - 1] is layer l
    cost: Cost
    J: sp.Symbol = field(default=sp.Symbol("J"))

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def outputs(self) -> tuple[sp.Symbol, ...]:
        """The predictions ŷ_j (the output layer's activations)."""
        return tuple(node.a for node in self.layers[-1])

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(node for layer in self.layers for node in layer)

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """Every weight and bias, layer by layer, node by node: `w1, b1, w2, b2, ...`."""
        return tuple(p for node in self.nodes for p in (*node.weights, node.bias))

    @property
    def base_variables(self) -> tuple[sp.Symbol, ...]:
        """What the cost finally depends on: inputs, targets, weights and biases."""
        return (*self.inputs, *self.targets, *self.parameters)

    def node(self, layer: int, index: int = 1) -> Node:
        return self.layers[layer - 1][index - 1]

    @property
    def cost_expression(self) -> sp.Expr:
        """`J` in the targets and predictions."""
        return self.cost.expression(list(zip(self.targets, self.outputs)))

    @property
    def forward(self) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
        """Every `z` and `a` with its local definition, in an order that computes each one after
        everything it uses: node by node, except that a coupled layer has all its `z` first."""
        steps: list[tuple[sp.Symbol, sp.Expr]] = []
        for layer in self.layers:
            if layer[0].activation.coupled:
                steps += [(node.z, node.z_definition) for node in layer]
                steps += [(node.a, node.a_definition) for node in layer]
            else:
                for node in layer:
                    steps += [(node.z, node.z_definition), (node.a, node.a_definition)]
        return tuple(steps)

    @cached_property
    def nested(self) -> dict[sp.Symbol, sp.Expr]:
        """Every `z` and `a` written in the base variables, built forward layer by layer."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for symbol, definition in self.forward:
            values[symbol] = substitute(definition, values)
        return values

    def nested_cost(self) -> sp.Expr:
        """`J` in the base variables: for checks only, never to produce output."""
        return self.cost_expression.xreplace(self.nested)


def build_network(spec: NetworkSpec | None = None) -> Network:
    """Symbols and local equations for `spec` (the seed 1-1-1 network by default)."""
    spec = spec or NetworkSpec()
    chain = spec.is_chain
    sizes = spec.layers
    depth = spec.depth

    def unlayered(stem: str, n: int) -> tuple[sp.Symbol, ...]:
        if chain:
            return (sp.Symbol(stem),)
        return tuple(sp.Symbol(naming.indexed(stem, j)) for j in range(1, n + 1))

    def name(stem: str, layer: int, *indices: int) -> sp.Symbol:
        return sp.Symbol(naming.layered(stem, layer, *([] if chain else indices)))

    inputs = unlayered("x", sizes[0])
    outputs = unlayered("yhat", sizes[-1])
    hidden = get_activation(spec.hidden_activation)
    final = get_activation(spec.output_activation)
    layers: list[tuple[Node, ...]] = []
    previous = inputs
    for layer in range(1, depth + 1):
        last = layer == depth
        sums = tuple(name("z", layer, j) for j in range(1, sizes[layer] + 1))
        nodes = tuple(
            Node(
                layer=layer,
                index=j,
                z=sums[j - 1],
                a=outputs[j - 1] if last else name("a", layer, j),
                bias=name("b", layer, j),
                weights=tuple(name("w", layer, j, k) for k in range(1, len(previous) + 1)),
                inputs=previous,
                activation=final if last else hidden,
                layer_z=sums,
            )
            for j in range(1, sizes[layer] + 1)
        )
        layers.append(nodes)
        previous = tuple(node.a for node in nodes)
    return Network(
        spec=spec,
        inputs=inputs,
        targets=unlayered("y", sizes[-1]),
        layers=tuple(layers),
        cost=get_cost(spec.cost),
    )
