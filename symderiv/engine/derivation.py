"""The back-propagation engine: chain-rule factors, deltas and gradients as plain data.

Reverse mode: one backward loop over the layers computes each delta `δ = ∂J/∂z` once, from the
deltas of the layer above; every gradient is then read off its node's delta
(`∂J/∂w = δ · input`, `∂J/∂b = δ`). The fully nested cost is never differentiated, so the work
grows linearly with depth. A softmax output layer couples its outputs: each of its deltas is a
Jacobian product, simplified step by step (`coupled_delta`). The engine returns data; only the
renderers know text.
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


class StepKind(enum.Enum):
    """What one step of simplifying a coupled output's delta does."""

    JACOBIAN = "jacobian"  # Σ_k ∂J/∂ŷ_k · ∂ŷ_k/∂z_j, every factor written out
    CANCEL = "cancel"  # each term multiplied out: factors shared by numerator and denominator go
    COLLECT = "collect"  # the terms gathered by powers of ŷ_j
    ASSUME = "assume"  # an assumption the cost states about the targets, put in


@dataclass(frozen=True)
class DeltaStep:
    """One line of a coupled output delta's derivation: its value, and for ASSUME the equation
    assumed (`y₁ + y₂ = 1`)."""

    kind: StepKind
    value: sp.Expr
    assumption: sp.Eq | None = None


@dataclass(frozen=True)
class Delta:
    """`δ = ∂J/∂z` of one node and the recursion that computes it.

    Output node: `δ = ∂J/∂ŷ · f'(z)`. Hidden node `j` of layer `l`:
    `δ_j = (Σ_i δ⁽ˡ⁺¹⁾_i · w⁽ˡ⁺¹⁾_ij) · f'(z_j)`, the sum running over every node the signal
    reaches in the layer above. Output node `j` of a coupled layer (softmax), where every `ŷ_k`
    depends on `z_j`: the Jacobian product `δ_j = Σ_k ∂J/∂ŷ_k · ∂ŷ_k/∂z_j`; `cost` and
    `activation` are then its k = j factors, `jacobian` every (∂J/∂ŷ_k, ∂ŷ_k/∂z_j), and `steps`
    its derivation, from the product written out to the shortest form.
    """

    node: Node
    symbol: sp.Symbol
    activation: Factor
    cost: Factor | None  # output layer only
    downstream: tuple[tuple[sp.Symbol, Factor], ...]  # (δ of a node above, ∂z_above/∂a)
    value: sp.Expr  # the recursion, written with the deltas above as symbols; holds for any values
    jacobian: tuple[tuple[Factor, Factor], ...] = ()  # coupled output: (∂J/∂ŷ_k, ∂ŷ_k/∂z_j)
    steps: tuple[DeltaStep, ...] = ()  # coupled output: the derivation of `value` and beyond

    @property
    def is_output(self) -> bool:
        return self.cost is not None

    @property
    def is_coupled(self) -> bool:
        return bool(self.jacobian)

    @property
    def assumed(self) -> DeltaStep | None:
        """The last step when it rests on an assumption (δ = ŷ − y once the targets sum to 1)."""
        if self.steps and self.steps[-1].kind is StepKind.ASSUME:
            return self.steps[-1]
        return None


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

    def gradient_written(self, shown: str) -> Gradient:
        """The gradient for a parameter named as the notation in force writes it (`w3` is the
        gradient of `w2` when the inputs are layer 1): what a user types."""
        try:
            return self._by_name[naming.internal_name(shown)]
        except KeyError:
            names = [naming.shown_name(name) for name in self._by_name]
            raise SymderivError(did_you_mean("parameter", shown, names)) from None

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
            if delta.is_coupled:
                expanded[delta.symbol] = delta.value
                continue
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
    """`∂a/∂z` of one node (of a coupled layer: the diagonal entry of its Jacobian)."""
    if node.activation.coupled:
        return jacobian_factor(node, node)
    f = node.activation
    return Factor(
        of=node.a,
        wrt=node.z,
        kind=FactorKind.ACTIVATION,
        definition=node.a_definition,
        general=f.derivative_at(node.z),
        value=f.local_derivative_at(node.a, node.z),
    )


def jacobian_factor(output: Node, source: Node) -> Factor:
    """`∂ŷ_k/∂z_j` of a coupled layer: how output `k` changes with the input sum of node `j`."""
    f = output.activation
    same = output.index == source.index
    return Factor(
        of=output.a,
        wrt=source.z,
        kind=FactorKind.ACTIVATION,
        definition=output.a_definition,
        general=f.jacobian_at(output.a_definition, source.a_definition, same),
        value=f.jacobian_at(output.a, source.a, same),
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
    costs: tuple[Factor, ...] = ()  # ∂J/∂ŷ_k of every output, for a coupled output layer
    for layer in reversed(network.layers):
        for node in layer:
            if node.activation.coupled:
                costs = costs or tuple(cost_factor(network, n) for n in layer)
                delta = coupled_delta(network, node, costs)
                deltas[node.z] = delta
                order.append(delta)
                continue
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


def coupled_delta(network: Network, node: Node, costs: tuple[Factor, ...]) -> Delta:
    """The delta of output `j` of a coupled layer: `Σ_k ∂J/∂ŷ_k · ∂ŷ_k/∂z_j`, then simplified
    step by step (each step checked by SymPy), the cost's assumption about the targets last.
    `costs` holds every output's `∂J/∂ŷ_k`."""
    if node.layer != network.depth:
        raise ValueError(f"{node.activation.name} is derived only in the output layer")
    jacobian = tuple((cost, jacobian_factor(k, node)) for cost, k in zip(costs, network.layers[-1]))
    steps = simplification_steps(network, node, jacobian)
    general = [step for step in steps if step.kind is not StepKind.ASSUME]
    return Delta(
        node=node,
        symbol=delta_symbol(network, node),
        activation=jacobian[node.index - 1][1],
        cost=costs[node.index - 1],
        downstream=(),
        value=general[-1].value,
        jacobian=jacobian,
        steps=steps,
    )


def simplification_steps(
    network: Network, node: Node, jacobian: tuple[tuple[Factor, Factor], ...]
) -> tuple[DeltaStep, ...]:
    """From the Jacobian product written out to its shortest form: each step is kept only when it
    shortens the expression, and is checked equal to the one before it (the assumption step:
    equal wherever the assumption holds)."""
    written = total(sp.Mul(cost.value, entry.value, evaluate=False) for cost, entry in jacobian)
    steps = [DeltaStep(StepKind.JACOBIAN, written)]
    length = [sp.count_ops(written)]

    def shorter(kind: StepKind, value: sp.Expr) -> None:
        ops = sp.count_ops(value)
        if ops < length[-1]:
            _check_equal(steps[-1].value, value)
            steps.append(DeltaStep(kind, value))
            length.append(ops)

    terms = sp.Add.make_args(written) if isinstance(written, sp.Add) else (written,)
    shorter(StepKind.CANCEL, total(term.doit() for term in terms))
    shorter(StepKind.COLLECT, _collected(steps[-1].value, node.a))
    sum_to = network.cost.targets_sum_to
    if sum_to is not None:
        targets = sp.Add(*network.targets)
        assumed = substitute(steps[-1].value, {targets: sp.Integer(sum_to)})
        if assumed != steps[-1].value:
            last = network.targets[-1]
            rule = {last: sp.Integer(sum_to) - sp.Add(*network.targets[:-1])}
            _check_equal(steps[-1].value.xreplace(rule), assumed.xreplace(rule))
            steps.append(DeltaStep(StepKind.ASSUME, assumed, sp.Eq(targets, sum_to)))
    return tuple(steps)


def _collected(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """`expr` expanded and gathered by powers of `symbol`, highest power first, the rest last."""
    parts = sp.collect(sp.expand(expr), symbol, evaluate=False)
    powers = sorted((p for p in parts if p != 1), key=_exponent, reverse=True)
    terms = [product(power, parts[power]) for power in powers]
    if 1 in parts:
        terms.append(parts[sp.S.One])
    return total(terms)


def _exponent(power: sp.Expr) -> sp.Expr:
    exponent = power.as_base_exp()[1]
    return exponent if exponent.is_Number else sp.S.Zero


def _check_equal(before: sp.Expr, after: sp.Expr) -> None:
    """A simplification step must not change the value: SymPy confirms it, or the engine stops."""
    if sp.cancel(sp.expand(before.doit() - after.doit())) != 0:
        raise ArithmeticError(f"a simplification changed the delta: {before} became {after}")


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
        if delta.is_coupled:
            return None
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
