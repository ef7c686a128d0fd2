"""A handout's content as plain data: every section a template needs, nothing to compute there.

Local derivatives (the cost's, each activation's, each input sum's) are derived step by step
once each and collected in an appendix; the main text's chain-rule factors refer to them by
label. Deltas are defined once and every gradient is then read off as delta × input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symderiv.calculus import differentiate
from symderiv.core.errors import SymderivError
from symderiv.core.functions import Function
from symderiv.core.network import Network, Node
from symderiv.engine.derivation import Backprop, Delta, Factor, FactorKind, Gradient
from symderiv.render.steps import Line, explain
from symderiv.render.views import GradientForms, deltas_needed_by, fits_page

#: Largest network a handout is written for: beyond it, pages of indices teach nothing.
MAX_HANDOUT_PARAMETERS = 64
DEFAULT_TITLE = "Back-propagation, step by step"
WARMUP = "ln(2 + cos(x))"


@dataclass(frozen=True)
class StepLine:
    """One sentence of a step-by-step derivation: prose pieces (str) and expressions."""

    depth: int
    kind: str
    title: str
    parts: tuple[str | sp.Expr, ...]
    partial: bool


@dataclass(frozen=True)
class LocalDerivation:
    """A local derivative derived step by step, with the label the main text refers to."""

    label: str
    of: sp.Expr
    wrt: sp.Symbol
    result: sp.Expr
    lines: tuple[StepLine, ...]


@dataclass(frozen=True)
class FactorView:
    factor: Factor
    derivation: LocalDerivation | None
    activation: Function | None  # for ACTIVATION factors: which f' is applied


@dataclass(frozen=True)
class GradientView(GradientForms):
    """A gradient's section: its forms, and each chain-rule factor with its derivation."""

    factors: tuple[FactorView, ...]  # the chain when unique, else (∂z/∂p,) after the delta


@dataclass(frozen=True)
class DeltaView:
    delta: Delta
    activation: FactorView
    cost: FactorView | None
    weights: tuple[FactorView, ...]
    expanded: sp.Expr | None  # in local symbols, deltas above substituted
    simplified: sp.Expr | None  # e.g. δ = ŷ − y for a sigmoid output with cross-entropy
    jacobian: tuple[tuple[FactorView, FactorView], ...] = ()  # softmax: (∂J/∂ŷ_k, ∂ŷ_k/∂z_j)


@dataclass(frozen=True)
class NotationRow:
    symbol: sp.Expr
    meaning: str


@dataclass(frozen=True)
class DiagramNode:
    key: str
    label: sp.Expr
    column: int
    row: str  # a decimal, for TikZ coordinates
    role: str  # input, hidden, output


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    label: sp.Expr | None


@dataclass(frozen=True)
class Handout:
    """Everything a handout template renders."""

    title: str
    network: Network
    backprop: Backprop
    notation: tuple[NotationRow, ...]
    activations: tuple[Function, ...]
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...]
    warmup: LocalDerivation | None
    deltas: tuple[DeltaView, ...]
    gradients: tuple[GradientView, ...]
    appendix: tuple[LocalDerivation, ...]
    learning_rate: sp.Symbol = field(default=sp.Symbol("eta"))
    example: Any = None
    diagram_file: str | None = None


def step_lines(expr: sp.Expr, wrt: sp.Symbol) -> tuple[StepLine, ...]:
    """The differentiator's explanation of d(expr)/d(wrt), as template-ready sentences."""
    return tuple(_line(line) for line in explain(differentiate(expr, wrt)))


def _line(line: Line) -> StepLine:
    return StepLine(line.depth, line.kind, line.title, tuple(line.parts()), line.partial)


class _Appendix:
    """Collects each distinct local derivation once, labelled A.1, A.2, … in order of use."""

    def __init__(self) -> None:
        self.items: dict[tuple[sp.Basic, sp.Basic], LocalDerivation] = {}

    def derive(self, of: sp.Expr, wrt: sp.Symbol) -> LocalDerivation:
        key = (of, wrt)
        if key not in self.items:
            lines = step_lines(of, wrt)
            result = differentiate(of, wrt).result
            label = f"A.{len(self.items) + 1}"
            self.items[key] = LocalDerivation(label, of, wrt, result, lines)
        return self.items[key]


_GENERIC_Z = sp.Symbol("z")


def _factor_view(factor: Factor, network: Network, appendix: _Appendix) -> FactorView:
    if factor.kind is FactorKind.COST and network.cost.is_abstract:
        return FactorView(factor, None, None)
    if factor.kind is FactorKind.ACTIVATION:
        node = next(n for n in network.nodes if n.z == factor.wrt)
        if node.activation.coupled:
            return FactorView(factor, _coupled_derivation(factor, node, appendix), node.activation)
        generic = node.activation.apply(_GENERIC_Z)
        return FactorView(factor, appendix.derive(generic, _GENERIC_Z), node.activation)
    return FactorView(factor, appendix.derive(factor.definition, factor.wrt), None)


def _coupled_derivation(factor: Factor, node: Node, appendix: _Appendix) -> LocalDerivation:
    """`∂ŷ_k/∂z_j` of a softmax layer from its definition, shown once for each kind of entry:
    `∂ŷ₁/∂z₁` for k = j and `∂ŷ₂/∂z₁` for k ≠ j (every other entry is one of these renamed)."""
    output = 1 if factor.of == node.a else 2
    layer = node.layer_z
    return appendix.derive(node.activation.definition_at(output, *layer), layer[0])


def _simplified_output_delta(delta: Delta) -> sp.Expr | None:
    """A shorter form of an output delta when the factors cancel (cross-entropy with σ)."""
    if delta.cost is None or delta.is_coupled:
        return None  # a coupled delta's simplification is in its own steps
    value = sp.factor_terms(sp.cancel(delta.value.doit()))
    if sp.count_ops(value) < sp.count_ops(delta.value) - 1:
        return value
    return None


def _diagram(network: Network) -> tuple[tuple[DiagramNode, ...], tuple[DiagramEdge, ...]]:
    """Node positions (column = layer, rows centred) and edges labelled with their weights."""
    columns: list[list[tuple[str, sp.Expr, str]]] = [
        [(f"x{k}", x, "input") for k, x in enumerate(network.inputs, start=1)]
    ]
    for layer in network.layers:
        role = "output" if layer[0].layer == network.depth else "hidden"
        columns.append([(f"n{node.layer}n{node.index}", node.a, role) for node in layer])
    tallest = max(len(c) for c in columns)
    nodes = tuple(
        DiagramNode(key, label, col, f"{(tallest - len(column)) / 2 + row:g}", role)
        for col, column in enumerate(columns)
        for row, (key, label, role) in enumerate(column)
    )
    label_edges = network.spec.is_chain
    edges = tuple(
        DiagramEdge(
            columns[node.layer - 1][k][0],
            f"n{node.layer}n{node.index}",
            weight if label_edges else None,
        )
        for node in network.nodes
        for k, weight in enumerate(node.weights)
    )
    return nodes, edges


def _notation(network: Network) -> tuple[NotationRow, ...]:
    first, last = network.layers[0][0], network.layers[-1][0]
    several = " (one of several)" if len(network.inputs) > 1 else ""
    rows = [
        (network.inputs[0], "input to the network" + several),
        (network.targets[0], "target: the value the prediction should match"),
        (first.weights[0], "weight: multiplies an input of a node"),
        (first.bias, "bias: added to a node's weighted inputs"),
        (first.z, "input sum of a node: weighted inputs plus bias"),
        (first.a, "activation of a node: the activation function applied to its input sum"),
        (last.a, "prediction: the activation of an output node"),
        (network.J, "cost: how far the prediction is from the target"),
        (sp.Symbol(f"delta{first.layer}" if network.spec.is_chain else f"delta{first.layer}_1"),
         "delta of a node: the derivative of the cost with respect to its input sum"),
        (sp.Symbol("eta"), "learning rate of gradient descent"),
    ]  # fmt: skip
    if network.depth == 1:  # no hidden layer: the only activations are the predictions
        del rows[5]
    return tuple(NotationRow(symbol, meaning) for symbol, meaning in rows)


def build_handout(
    backprop: Backprop,
    *,
    title: str | None = None,
    warmup: bool = False,
    example: Any = None,
    gradients: list[Gradient] | None = None,
) -> Handout:
    """Assemble every section of the handout for an already derived network.

    With `gradients`, only those gradients and the deltas they need are included (what
    `symderiv derive` prints); otherwise the network must be small enough for a handout.
    """
    network = backprop.network
    if gradients is None and network.spec.parameter_count > MAX_HANDOUT_PARAMETERS:
        raise SymderivError(
            f"a handout covers networks of at most {MAX_HANDOUT_PARAMETERS} parameters; "
            f"this one has {network.spec.parameter_count} (use `symderiv derive` instead)."
        )
    appendix = _Appendix()
    warm = None
    if warmup:
        from symderiv.parse.plain import parse_expression

        x = sp.Symbol("x")
        h = parse_expression(WARMUP)
        warm = LocalDerivation("W", h, x, differentiate(h, x).result, step_lines(h, x))

    chosen = list(backprop.gradients) if gradients is None else gradients
    delta_views = []
    for delta in deltas_needed_by(backprop, chosen):
        activation = _factor_view(delta.activation, network, appendix)
        cost = _factor_view(delta.cost, network, appendix) if delta.cost else None
        weights = tuple(_factor_view(f, network, appendix) for _, f in delta.downstream)
        expanded = fits_page(backprop.expanded_deltas[delta.symbol])
        jacobian = tuple(
            (_factor_view(c, network, appendix), _factor_view(a, network, appendix))
            for c, a in delta.jacobian
        )
        delta_views.append(
            DeltaView(
                delta,
                activation,
                cost,
                weights,
                expanded if delta.downstream else None,
                _simplified_output_delta(delta),
                jacobian,
            )
        )

    gradient_views = []
    for gradient in chosen:
        factors = gradient.chain or (gradient.local,)
        views = tuple(_factor_view(f, network, appendix) for f in factors)
        gradient_views.append(GradientView.of(backprop, gradient, fits_page, factors=views))

    nodes, edges = _diagram(network)
    seen: dict[str, Function] = {}
    for node in network.nodes:
        seen.setdefault(node.activation.name, node.activation)
    return Handout(
        title=title if title is not None else DEFAULT_TITLE,
        network=network,
        backprop=backprop,
        notation=_notation(network),
        activations=tuple(seen.values()),
        nodes=nodes,
        edges=edges,
        warmup=warm,
        deltas=tuple(delta_views),
        gradients=tuple(gradient_views),
        appendix=tuple(appendix.items.values()),
        example=example,
    )
