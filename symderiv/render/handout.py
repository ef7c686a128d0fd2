"""A handout's content as plain data: every section a template needs, nothing to compute there.

Each thing is said once. Local derivatives (the cost's, each activation's, and the linear input
sum's, derived for a generic sum) are derived step by step once each in an appendix, and the main
text refers to them by label. Each kind of chain-rule factor is explained in full the first time
it appears and only named after that. Deltas are boxed once, in the form a person would simplify
them to (`ŷ − y` for a sigmoid output with cross-entropy, derived by cancelling), and every later
form uses that. Every gradient is then read off as delta × input: in full for each parameter of a
chain network, for one representative weight per layer (its sum over downstream nodes written
out) of a wider one, and in one table for all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symderiv.calculus import Step, differentiate
from symderiv.core.errors import SymderivError
from symderiv.core.functions import Function
from symderiv.core.network import Network, Node
from symderiv.core.written import product, substitute, total
from symderiv.engine.derivation import Backprop, Delta, Factor, FactorKind, Gradient
from symderiv.render.steps import Line, explain
from symderiv.render.views import GradientForms, deltas_needed, deltas_needed_by, fits_page

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
    first: bool = True  # the first factor of its kind: explained in full; later ones are named


@dataclass(frozen=True)
class GradientView(GradientForms):
    """A gradient's section: its forms, and each chain-rule factor with its derivation."""

    factors: tuple[FactorView, ...]  # the chain when unique, else (∂z/∂p,) after the delta
    representative: bool = True  # written out in full (every chain parameter; one per layer)


@dataclass(frozen=True)
class DeltaView:
    delta: Delta
    activation: FactorView
    cost: FactorView | None
    weights: tuple[FactorView, ...]
    expanded: sp.Expr | None  # in local symbols, deltas above substituted
    simplified: sp.Expr | None  # e.g. δ = ŷ − y for a sigmoid output with cross-entropy
    cancelled: sp.Expr | None = None  # what cancels on the way to `simplified`
    first_of_layer: bool = True  # the layer's first delta: its recursion is explained in words

    @property
    def factors(self) -> tuple[FactorView, ...]:
        """The factors of the delta's recursion, in the order the text explains them."""
        if self.cost is not None:
            return (self.cost, self.activation)
        return (*self.weights, self.activation)

    @property
    def boxed(self) -> sp.Expr:
        """The form the delta is boxed in and used in from then on."""
        return self.delta.value if self.simplified is None else self.simplified

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
    matrix: Any = None  # the layer equations (BP1–BP4 with shapes), which wide networks lead with


def step_lines(expr: sp.Expr, wrt: sp.Symbol) -> tuple[StepLine, ...]:
    """The differentiator's explanation of d(expr)/d(wrt), as template-ready sentences."""
    return explained(differentiate(expr, wrt))


def explained(step: Step) -> tuple[StepLine, ...]:
    """A step tree already derived, as template-ready sentences."""
    return tuple(_line(line) for line in explain(step))


def _line(line: Line) -> StepLine:
    return StepLine(line.depth, line.kind, line.title, tuple(line.parts()), line.partial)


class _Appendix:
    """Collects each distinct local derivation once, labelled A.1, A.2, … in order of use."""

    def __init__(self) -> None:
        self.items: dict[tuple[sp.Basic, sp.Basic], LocalDerivation] = {}

    def derive(
        self, of: sp.Expr, wrt: sp.Symbol, written: sp.Expr | None = None
    ) -> LocalDerivation:
        """`d(of)/d(wrt)` step by step, ending in the form the text uses (`written`) when the
        differentiator's result is the same derivative in another form (`−2y + 2ŷ`)."""
        key = (of, wrt)
        if key not in self.items:
            lines = step_lines(of, wrt)
            result = differentiate(of, wrt).result
            if written is not None and written != result:
                lines = (*lines, *_tidy(result, written))
                result = written
            label = f"A.{len(self.items) + 1}"
            self.items[key] = LocalDerivation(label, of, wrt, result, lines)
        return self.items[key]


def _tidy(result: sp.Expr, written: sp.Expr) -> tuple[StepLine, ...]:
    """The algebra from the differentiator's result to the form the text uses: over a common
    denominator, then the numerator simplified (the step students get stuck on), or factored."""
    assert sp.cancel(sp.together(written - result)) == 0  # the same derivative, only rewritten
    combined = sp.together(result)
    if sp.denom(combined) != 1:
        parts: tuple[str | sp.Expr, ...] = (
            "over the common denominator ", sp.denom(combined), ": ", result, " = ", combined,
            "; the numerator simplifies to ", sp.expand(sp.numer(combined)), ", so the result is ",
            written,
        )  # fmt: skip
    else:
        parts = ("take out the common factor: ", result, " = ", written)
    return (StepLine(0, "note", "rewrite", parts, False),)


_GENERIC_Z = sp.Symbol("z")
#: The input sum every linear factor is derived from once: `z = w₁a₁ + w₂a₂ + b`.
_W1, _W2, _A1, _A2, _B = sp.symbols("w_1 w_2 a_1 a_2 b")
_LINEAR_SUM = sp.Add(sp.Mul(_W1, _A1, evaluate=False), sp.Mul(_W2, _A2, evaluate=False), _B,
                     evaluate=False)  # fmt: skip


class _Factors:
    """Factor views, each kind explained in full once: the cost's derivative, each activation's
    slope, and the linear input sum (derived once, for a generic sum, in the appendix)."""

    def __init__(self, network: Network, appendix: _Appendix) -> None:
        self.network = network
        self.appendix = appendix
        self.seen: set[tuple[str, ...]] = set()

    def view(self, factor: Factor, *, fresh: bool = False) -> FactorView:
        """The factor's view; `fresh` explains it in full even if its kind was seen (each entry
        of a Jacobian row is a factor of its own)."""
        key = self._key(factor)
        first = fresh or key not in self.seen
        self.seen.add(key)
        if factor.kind is FactorKind.COST and self.network.cost.is_abstract:
            return FactorView(factor, None, None, first)
        if factor.kind is FactorKind.ACTIVATION:
            node = next(n for n in self.network.nodes if n.z == factor.wrt)
            if node.activation.coupled:
                derivation = _coupled_derivation(factor, node, self.appendix)
                return FactorView(factor, derivation, node.activation, first)
            generic = node.activation.apply(_GENERIC_Z)
            return FactorView(
                factor, self.appendix.derive(generic, _GENERIC_Z), node.activation, first
            )
        if factor.kind is FactorKind.COST:
            derivation = self.appendix.derive(factor.definition, factor.wrt, factor.value)
            return FactorView(factor, derivation, None, first)
        # One derivation for the linear input sum serves its weights, inputs and bias alike.
        return FactorView(factor, self.appendix.derive(_LINEAR_SUM, _W1), None, first)

    def _key(self, factor: Factor) -> tuple[str, ...]:
        if factor.kind is FactorKind.ACTIVATION:
            node = next(n for n in self.network.nodes if n.z == factor.wrt)
            return (factor.kind.value, node.activation.name)
        return (factor.kind.value,)


def _coupled_derivation(factor: Factor, node: Node, appendix: _Appendix) -> LocalDerivation:
    """`∂ŷ_k/∂z_j` of a softmax layer from its definition, shown once for each kind of entry:
    `∂ŷ₁/∂z₁` for k = j and `∂ŷ₂/∂z₁` for k ≠ j (every other entry is one of these renamed)."""
    output = 1 if factor.of == node.a else 2
    layer = node.layer_z
    return appendix.derive(node.activation.definition_at(output, *layer), layer[0])


def _simplified_output_delta(delta: Delta) -> tuple[sp.Expr, sp.Expr] | None:
    """The output delta as a person simplifies it, and what cancels on the way, when the cost's
    derivative and the activation's slope share a factor (cross-entropy with σ: `ŷ − y`)."""
    if delta.cost is None or delta.is_coupled:
        return None  # a coupled delta's simplification is in its own steps
    cost, slope = delta.cost.value, delta.activation.value
    common = sp.gcd(sp.denom(sp.together(cost)), sp.numer(sp.together(slope)))
    if common.is_number:
        return None
    if sp.cancel(common / slope).is_number:
        common = slope  # the whole slope cancels: name it as written, ŷ(1 − ŷ)
    value = sp.factor_terms(sp.cancel(delta.value.doit()))
    assert sp.cancel(value - delta.value.doit()) == 0  # the simplified form is the same delta
    return value, common


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


def _representatives(network: Network, chosen: list[Gradient]) -> set[sp.Symbol]:
    """The gradients written out in full: all of a chain network's, else the first weight of
    each layer (and the bias of the output node), the rest in the summary table."""
    if network.spec.is_chain:
        return {g.parameter for g in chosen}
    picked: dict[tuple[int, bool], sp.Symbol] = {}
    for g in chosen:
        if g.is_weight or g.node.layer == network.depth:
            picked.setdefault((g.node.layer, g.is_weight), g.parameter)
    return set(picked.values())


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

    factors = _Factors(network, appendix)
    chosen = list(backprop.gradients) if gradients is None else gradients
    delta_views = []
    written: dict[sp.Symbol, sp.Expr] = {}  # each delta as boxed, then expanded, for later forms
    layers_seen: set[int] = set()
    for delta in deltas_needed_by(backprop, chosen):
        cost = factors.view(delta.cost) if delta.cost else None
        weights = tuple(factors.view(f) for _, f in delta.downstream)
        activation = factors.view(delta.activation)
        jacobian = tuple(
            (factors.view(c, fresh=True), factors.view(a, fresh=True)) for c, a in delta.jacobian
        )
        simplified = _simplified_output_delta(delta)
        expanded = None
        if delta.downstream:
            paths = total(product(written[s], f.value) for s, f in delta.downstream)
            written[delta.symbol] = product(paths, delta.activation.value)
            expanded = fits_page(written[delta.symbol])
        else:
            written[delta.symbol] = delta.value if simplified is None else simplified[0]
        first = delta.node.layer not in layers_seen
        layers_seen.add(delta.node.layer)
        delta_views.append(
            DeltaView(
                delta,
                activation,
                cost,
                weights,
                expanded,
                None if simplified is None else simplified[0],
                None if simplified is None else simplified[1],
                first,
                jacobian,
            )
        )

    chain = network.spec.is_chain
    representatives = _representatives(network, chosen)
    gradient_views = []
    for gradient in chosen:
        shown = gradient.parameter in representatives
        chain_factors = gradient.chain or (gradient.local,)
        views = tuple(factors.view(f) for f in chain_factors) if shown else ()
        local = fits_page(substitute(gradient.value, written)) if shown else None
        base = None
        if chain and local is not None:
            base = fits_page(substitute(local, network.nested))
        gradient_views.append(
            GradientView(
                gradient=gradient,
                deltas=tuple(deltas_needed(backprop, gradient)),
                local=local,
                base=base,
                factors=views,
                representative=shown,
            )
        )

    nodes, edges = _diagram(network)
    seen: dict[str, Function] = {}
    for node in network.nodes:
        seen.setdefault(node.activation.name, node.activation)
    matrix = None
    if gradients is None and not network.spec.is_chain:
        from symderiv.engine.layers import derive_layers

        matrix = derive_layers(network.spec)
    return Handout(
        matrix=matrix,
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
