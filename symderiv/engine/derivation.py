"""The back-propagation engine: chain-rule factors, deltas and gradients as plain data.

Reverse mode: one backward loop over the layers computes each delta `δ = ∂J/∂z` once, from the
deltas of the layer above; every gradient is then read off its node's delta
(`∂J/∂w = δ · input`, `∂J/∂b = δ`). The fully nested cost is never differentiated, so the work
grows linearly with depth. The engine returns data; only the renderers know text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp

from symderiv.core import naming
from symderiv.core.errors import SymderivError, did_you_mean
from symderiv.core.network import Network, Node, build_network
from symderiv.core.spec import NetworkSpec
from symderiv.core.written import product, substitute, total


class FactorKind(enum.Enum):
    """Why a chain-rule factor has the value it has."""

    COST = "cost"  # ∂J/∂ŷ: the derivative of the cost's formula
    ACTIVATION = "activation"  # ∂a/∂z = f'(z)
    WEIGHT = "weight"  # ∂z⁽ˡ⁺¹⁾/∂a⁽ˡ⁾ = w: z is linear in the activation it weighs
    INPUT = "input"  # ∂z/∂w = the input the weight multiplies
    BIAS = "bias"  # ∂z/∂b = 1


@dataclass(frozen=True)
class Factor:
    """One link `∂of/∂wrt` of the chain rule.

    `definition` is the expression for `of` that gets differentiated (`σ(z2)`, `w2·a1 + b2`);
    `general` is its derivative straight from that definition (`σ(z2)(1 − σ(z2))`); `value` is
    the same derivative in the local symbols a lecture uses once the forward pass is known
    (`ŷ(1 − ŷ)`).
    """

    of: sp.Symbol
    wrt: sp.Symbol
    kind: FactorKind
    definition: sp.Expr
    general: sp.Expr
    value: sp.Expr


@dataclass(frozen=True)
class Delta:
    """`δ = ∂J/∂z` of one node and the recursion that computes it.

    Output node: `δ = ∂J/∂ŷ · f'(z)`. Hidden node `j` of layer `l`:
    `δ_j = (Σ_i δ⁽ˡ⁺¹⁾_i · w⁽ˡ⁺¹⁾_ij) · f'(z_j)`, the sum running over every node the signal
    reaches in the layer above.
    """

    node: Node
    symbol: sp.Symbol
    activation: Factor
    cost: Factor | None  # output layer only
    downstream: tuple[tuple[sp.Symbol, Factor], ...]  # (δ of a node above, ∂z_above/∂a)
    value: sp.Expr  # the recursion, written with the deltas above as symbols

    @property
    def is_output(self) -> bool:
        return self.cost is not None


@dataclass(frozen=True)
class Gradient:
    """`∂J/∂p` for one weight or bias `p`: its delta times `∂z/∂p`.

    `chain` lists every factor from `J` down to `p` when there is one path between them (in a
    chain network, or for the output layer); when the signal branches, the sum over paths lives
    in the deltas' recursion instead and `chain` is None.
    """

    parameter: sp.Symbol
    node: Node
    source: int | None  # k of the input a weight multiplies; None for a bias
    delta: Delta
    local: Factor  # ∂z/∂p
    chain: tuple[Factor, ...] | None
    value: sp.Expr  # in deltas: δ · input, or δ
    spec: NetworkSpec | None = field(default=None, compare=False, repr=False)  # for display

    @property
    def is_weight(self) -> bool:
        return self.source is not None

    def _repr_markdown_(self) -> str | None:
        """This gradient's derivation, for Jupyter: what `symderiv derive --param NAME
        --format markdown` prints (None, so plain text is shown, without its network's spec).
        Imported when shown, as `Backprop._repr_markdown_` explains."""
        if self.spec is None:
            return None
        from symderiv.api import render_derivation

        return render_derivation(self.spec, self.parameter.name, "markdown")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """One line of plain text for IPython, instead of every field."""
        printer.text(f"∂J/∂{self.parameter} = {self.value}")


@dataclass(frozen=True)
class Backprop:
    """Everything derived for one network: deltas (output layer first) and all gradients."""

    network: Network
    deltas: tuple[Delta, ...]
    gradients: tuple[Gradient, ...]

    @cached_property
    def _by_name(self) -> dict[str, Gradient]:
        return {g.parameter.name: g for g in self.gradients}

    def gradient(self, name: str) -> Gradient:
        """The gradient for the parameter called `name` (`w1`, `b2`, `w2_1_3`)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SymderivError(did_you_mean("parameter", name, self._by_name)) from None

    def delta_of(self, node: Node) -> Delta:
        return self._delta_by_z[node.z]

    @cached_property
    def _delta_by_z(self) -> dict[sp.Symbol, Delta]:
        return {d.node.z: d for d in self.deltas}

    @cached_property
    def expanded_deltas(self) -> dict[sp.Symbol, sp.Expr]:
        """Each delta in local symbols, the deltas above substituted (small networks)."""
        expanded: dict[sp.Symbol, sp.Expr] = {}
        for delta in self.deltas:  # output layer first, so every delta above is ready
            if delta.cost is not None:
                expanded[delta.symbol] = product(delta.cost.value, delta.activation.value)
                continue
            paths = total(
                product(expanded[symbol], factor.value) for symbol, factor in delta.downstream
            )
            expanded[delta.symbol] = product(paths, delta.activation.value)
        return expanded

    def in_local_symbols(self, gradient: Gradient) -> sp.Expr:
        """The gradient with its delta expanded: in `ŷ`, `a`, `w`, `x`, `y`."""
        return substitute(gradient.value, self.expanded_deltas)

    def in_base_variables(self, gradient: Gradient) -> sp.Expr:
        """The gradient in `x, y, w, b` only (grows quickly with depth: for small networks)."""
        return substitute(self.in_local_symbols(gradient), self.network.nested)

    def _repr_markdown_(self) -> str:
        """The whole derivation as Markdown with LaTeX math, which Jupyter shows rendered: what
        `symderiv derive --format markdown` prints.

        The renderer is imported when a notebook shows the value, not when this module loads:
        the engine stays below the renderers (no module of it imports one), and a program that
        never displays a derivation never loads the templates. IPython finds the method by its
        name, so nothing has to be registered, and it works wherever the value is displayed.
        """
        from symderiv.api import render_derivation

        return render_derivation(self.network.spec, "all", "markdown")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """One line of plain text for IPython, instead of every field of every delta."""
        printer.text(
            f"<back-propagation of the {self.network.spec.label} network: "
            f"{len(self.deltas)} deltas, {len(self.gradients)} gradients>"
        )


def delta_symbol(network: Network, node: Node) -> sp.Symbol:
    indices = () if network.spec.is_chain else (node.index,)
    return sp.Symbol(naming.layered("delta", node.layer, *indices))


def cost_symbol(network: Network, index: int) -> sp.Symbol:
    """The abstract `∂J/∂ŷ_j`, a symbol of its own when the cost is kept abstract."""
    return sp.Symbol("dJ_dyhat" if network.spec.is_chain else naming.indexed("dJ_dyhat", index))


def activation_factor(node: Node) -> Factor:
    f = node.activation
    return Factor(
        of=node.a,
        wrt=node.z,
        kind=FactorKind.ACTIVATION,
        definition=node.a_definition,
        general=f.derivative_at(node.z),
        value=f.local_derivative_at(node.a, node.z),
    )


def cost_factor(network: Network, node: Node) -> Factor:
    pair = (network.targets[node.index - 1], node.a)
    value = network.cost.gradient(pair, cost_symbol(network, node.index))
    return Factor(
        of=network.J,
        wrt=node.a,
        kind=FactorKind.COST,
        definition=network.cost_expression,
        general=value,
        value=value,
    )


def linear_factor(node: Node, wrt: sp.Symbol, value: sp.Expr, kind: FactorKind) -> Factor:
    """A factor of `z = Σ w a + b`, linear in each of its symbols."""
    return Factor(
        of=node.z, wrt=wrt, kind=kind, definition=node.z_definition, general=value, value=value
    )


def backpropagate(network: Network) -> Backprop:
    """Derive every delta once, output layer first, then read every gradient off them."""
    # Backward pass: deltas of layer l from those of layer l + 1.
    deltas: dict[sp.Symbol, Delta] = {}
    order: list[Delta] = []
    for layer in reversed(network.layers):
        for node in layer:
            act = activation_factor(node)
            if node.layer == network.depth:
                cost = cost_factor(network, node)
                downstream: tuple[tuple[sp.Symbol, Factor], ...] = ()
                value = product(cost.value, act.value)
            else:
                cost = None
                above = network.layers[node.layer]
                downstream = tuple(
                    (
                        deltas[n.z].symbol,
                        linear_factor(n, node.a, n.weights[node.index - 1], FactorKind.WEIGHT),
                    )
                    for n in above
                )
                paths = total(product(s, f.value) for s, f in downstream)
                value = product(paths, act.value)
            delta = Delta(node, delta_symbol(network, node), act, cost, downstream, value)
            deltas[node.z] = delta
            order.append(delta)

    # Gradients: delta times the input each weight multiplies; the delta itself for a bias.
    gradients = []
    for node in network.nodes:
        delta = deltas[node.z]
        for k, (weight, source) in enumerate(zip(node.weights, node.inputs), start=1):
            local = linear_factor(node, weight, source, FactorKind.INPUT)
            gradients.append(
                Gradient(weight, node, k, delta, local, _chain(network, deltas, node, local),
                         product(delta.symbol, source), network.spec)
            )  # fmt: skip
        local = linear_factor(node, node.bias, sp.S.One, FactorKind.BIAS)
        gradients.append(
            Gradient(node.bias, node, None, delta, local, _chain(network, deltas, node, local),
                     delta.symbol, network.spec)
        )  # fmt: skip
    return Backprop(network, tuple(order), tuple(gradients))


def _chain(
    network: Network, deltas: dict[sp.Symbol, Delta], node: Node, local: Factor
) -> tuple[Factor, ...] | None:
    """Every factor from J down to the parameter, when one path joins them."""
    if any(len(layer) > 1 for layer in network.layers[node.layer :]):
        return None
    factors: list[Factor] = [local]
    current = node
    while True:
        delta = deltas[current.z]
        factors.append(delta.activation)
        if delta.cost is not None:
            factors.append(delta.cost)
            break
        ((_, weight),) = delta.downstream
        factors.append(weight)
        current = network.layers[current.layer][0]
    return tuple(reversed(factors))


def derive(spec: NetworkSpec | None = None) -> Backprop:
    """Build the network for `spec` (the seed 1-1-1 by default) and back-propagate through it."""
    return backpropagate(build_network(spec))
