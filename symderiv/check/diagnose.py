"""Naming the one chain-rule mistake that explains a wrong answer.

The diagnosis tests models of the answer built from the gradient's factors (`g.chain`, or
δ × input): the answer is `c` times the truth (sign error, off by a constant), or the truth with
one factor missing, doubled, or replaced (wrong input, wrong weight, wrong activation or cost
derivative, the activation's derivative at the wrong argument: σ'(ŷ) for σ'(z)), or the
gradient of a neighbouring parameter (transposed weight indices, another node's delta), or — where
a node feeds several nodes — its sum over them with terms forgotten or with transposed weights.
Below a coupled output layer (softmax), whose deltas are Jacobian sums, the models put the usual
wrong output deltas into the gradient: only the Jacobian's diagonal (the layer treated like an
elementwise activation), the Jacobian left out (`∂J/∂ŷ_j` alone), another cost's short form, or
another output's prediction or target. A model fits when the ratio answer/model is the same
constant at every point.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from symderiv.check import messages
from symderiv.check.result import Diagnosis, Mistake
from symderiv.check.sample import Sample
from symderiv.core import functions, notation
from symderiv.core.costs import COSTS
from symderiv.core.naming import layered, parse_name, text_name
from symderiv.core.network import Network, Node
from symderiv.core.written import product, total
from symderiv.engine.derivation import (
    Delta,
    Factor,
    FactorKind,
    Gradient,
    activation_factor,
    delta_symbol,
)
from symderiv.numbers.evaluate import ATOL, Evaluator, Undefined, Unsupported, close
from symderiv.render.printing import to_text

MAX_CANDIDATES = 40  # per kind of replacement tried
MAX_WRITTEN_OPS = 2000  # a gradient written in the output deltas larger than this: not modelled


@dataclass(frozen=True)
class Link:
    """One factor `∂of/∂wrt` of the true gradient, as the diagnosis names it.

    Its text is made only when a diagnosis names it: printing every candidate would cost
    more than testing it.
    """

    kind: FactorKind | None  # None: the sum over the paths above a branching node
    value: sp.Expr
    of: sp.Expr
    wrt: sp.Expr
    node: Node | None = None  # the node whose activation an ACTIVATION factor differentiates

    @property
    def label(self) -> str:
        return messages.factor(to_text(self.of), to_text(self.wrt))

    @property
    def shown(self) -> str:
        """`∂ŷ/∂z₂ = σ'(z₂) = ŷ·(1 − ŷ)`."""
        value = to_text(self.value)
        if self.kind is FactorKind.ACTIVATION and self.node is not None:
            prime = messages.derivative(_function_name(self.node), to_text(self.node.z))
            return messages.factor_value(self.label, value, prime)
        return messages.factor_value(self.label, value)


@dataclass(frozen=True)
class Model:
    """What the answer would be after one particular mistake.

    `links` are the true factors concerned (missing, doubled or replaced); `instead` is what
    the answer has in place of the one factor replaced, or the extra factor.
    """

    mistake: Mistake
    expr: sp.Expr
    links: tuple[Link, ...] = ()
    instead: sp.Expr | None = None
    explain: Callable[[], Diagnosis] | None = None  # words it, when the fields above cannot

    def diagnosis(self, suffix: str = "", constant: str | None = None) -> Diagnosis:
        if self.explain is not None:
            worded = self.explain()
            return dataclasses.replace(
                worded, message=worded.message + suffix, constant=constant or worded.constant
            )
        shown = " and ".join(link.shown for link in self.links)
        factor = ", ".join(link.label for link in self.links) or None
        expected = ", ".join(to_text(link.value) for link in self.links) or None
        found = None if self.instead is None else to_text(self.instead)
        if self.mistake is Mistake.MISSING_FACTOR:
            message = messages.missing(shown, len(self.links))
        elif self.mistake is Mistake.EXTRA_FACTOR and self.links:
            message, expected, found = messages.doubled(shown), None, expected
        elif self.mistake is Mistake.EXTRA_FACTOR:
            message = messages.extra(str(found))
        else:
            message = messages.replaced(self.mistake, str(found), shown)
        return Diagnosis(self.mistake, message + suffix, factor, expected, found, constant)


class Diagnoser:
    """Finds the mistake behind wrong answers for one network; keeps the models it built."""

    def __init__(self, network: Network, deltas: Sequence[Delta] = ()) -> None:
        self.network = network
        self.abstract = network.cost.is_abstract
        self.model_cache: dict[sp.Symbol, list[Model]] = {}
        self.coupled = {d.symbol: d for d in deltas if d.is_coupled}
        self.hidden = {d.symbol: d.value for d in deltas if not d.is_output}

    def prepare(self, gradient: Gradient, evaluator: Evaluator) -> None:
        """Build and compile the models of every mistake for `gradient` now, once."""
        models = self.model_cache.setdefault(gradient.parameter, list(self.models(gradient)))
        for model in models:
            with contextlib.suppress(Unsupported):
                evaluator.compile(model.expr)

    def diagnose(
        self, gradient: Gradient, evaluator: Evaluator, samples: Sequence[Sample]
    ) -> Diagnosis:
        """The single chain-rule mistake that explains the answer, or UNEXPLAINED."""
        truth_ratio = self.fit(evaluator, gradient.value, samples)
        if truth_ratio is not None:
            return self.constant_diagnosis(gradient, truth_ratio)
        fits: list[tuple[Model, Fraction]] = []
        models = self.model_cache.get(gradient.parameter) or self.models(gradient)
        for model in models:
            ratio = self.fit(evaluator, model.expr, samples)
            if ratio is None:
                continue
            nice = _nice(ratio)
            if nice == 1:
                return model.diagnosis()
            if nice is not None:
                fits.append((model, nice))
        if fits:
            model, constant = fits[0]
            return model.diagnosis(messages.and_off_by(constant), str(constant))
        return Diagnosis(Mistake.UNEXPLAINED, messages.unexplained(gradient.parameter.name))

    def equal(self, evaluator: Evaluator, model: sp.Expr, samples: Sequence[Sample]) -> bool:
        """Whether the answer equals `model` at every sample."""
        ratio = self.fit(evaluator, model, samples)
        return ratio is not None and _nice(ratio) == 1

    def fit(self, evaluator: Evaluator, model: sp.Expr, samples: Sequence[Sample]) -> Any:
        """The constant `c` with answer = c·model at every sample, or None."""
        try:
            program = evaluator.compile(model)
        except Unsupported:
            return None
        ratio = None
        for sample in samples:
            try:
                value = evaluator.value(program, sample.slots)
            except Undefined:
                return None
            if ratio is None:
                if abs(value) <= ATOL:
                    if not close(sample.answer, 0):
                        return None
                    continue
                ratio = sample.answer / value
            elif not close(sample.answer, ratio * value):
                return None
        return ratio

    def constant_diagnosis(self, gradient: Gradient, ratio: Any) -> Diagnosis:
        param = gradient.parameter.name
        nice = _nice(ratio)
        if nice == 0:
            return Diagnosis(Mistake.ZERO, messages.zero(param))
        if nice == -1:
            message = messages.sign(param)
            own = self.coupled.get(gradient.delta.symbol)
            if own is not None and own.assumed is not None:  # a short delta such as ŷ − y
                right = _collapsed(own)
                message += messages.sign_of_delta(
                    to_text(own.symbol), to_text(right), to_text(-right)
                )
            return Diagnosis(Mistake.SIGN, message, constant="-1")
        shown = str(nice) if nice is not None else mpmath.nstr(ratio, 6)
        message = messages.constant_factor(param, shown, nice, self.network.cost.name)
        return Diagnosis(Mistake.CONSTANT, message, constant=shown)

    def links(self, gradient: Gradient) -> list[Link]:
        """The factors whose product is the gradient, outermost first."""
        if gradient.chain is not None:
            return [self.link(f) for f in gradient.chain]
        delta = gradient.delta
        if delta.is_coupled:  # a Jacobian sum: the delta is one factor, the local one the other
            return [
                Link(None, delta.symbol, self.network.J, delta.node.z),
                self.link(gradient.local),
            ]
        paths = total(product(s, f.value) for s, f in delta.downstream)
        return [
            Link(None, paths, self.network.J, delta.node.a),
            self.link(delta.activation),
            self.link(gradient.local),
        ]

    def link(self, factor: Factor) -> Link:
        node = None
        if factor.kind is FactorKind.ACTIVATION:
            node = next(n for n in self.network.nodes if n.a == factor.of)
        return Link(factor.kind, factor.value, factor.of, factor.wrt, node)

    def models(self, gradient: Gradient) -> Iterable[Model]:
        """Every single mistake tried, in the order a diagnosis prefers them."""
        links = self.links(gradient)
        rest = [
            (link, product(*(other.value for j, other in enumerate(links) if j != i)))
            for i, link in enumerate(links)
        ]
        candidates = self.candidates(gradient)
        yield from self.coupled_models(gradient)
        for link, others in rest:
            if link.value != 1:
                yield Model(Mistake.MISSING_FACTOR, others, (link,))
        for link, others in rest:
            if link.kind is FactorKind.INPUT:
                # the weight itself where its input belongs (∂z/∂w is the input, not w)
                inputs = [gradient.parameter, *candidates["inputs"]]
                replacements = [(Mistake.WRONG_INPUT, s) for s in inputs]
            elif link.kind is FactorKind.WEIGHT:
                replacements = [(Mistake.WRONG_WEIGHT, s) for s in candidates["weights"]]
            else:
                continue
            for mistake, symbol in replacements:
                if symbol == link.value:
                    continue
                if mistake is Mistake.WRONG_WEIGHT and symbol == self.transposed(link.value):
                    mistake = Mistake.TRANSPOSED_INDICES
                yield Model(mistake, product(others, symbol), (link,), symbol)
        yield from self.neighbour_models(gradient)
        yield from self.sum_models(gradient, rest)
        for link, others in rest:
            if link.kind is FactorKind.ACTIVATION and link.node is not None:
                yield from self.activation_models(link, others)
            elif link.kind is FactorKind.COST and not self.abstract:
                for alternative in self.cost_alternatives(link):
                    yield Model(
                        Mistake.WRONG_COST_DERIVATIVE,
                        product(others, alternative),
                        (link,),
                        alternative,
                    )
        truth = product(*(link.value for link in links))
        for link in links:
            if link.value != 1:
                yield Model(Mistake.EXTRA_FACTOR, product(truth, link.value), (link,))
        for extra in candidates["extras"]:
            yield Model(Mistake.EXTRA_FACTOR, product(truth, extra), (), extra)
        for (i, first), (j, second) in itertools.combinations(enumerate(links), 2):
            if first.value != 1 and second.value != 1:
                kept = [link.value for k, link in enumerate(links) if k not in (i, j)]
                yield Model(Mistake.MISSING_FACTOR, product(*kept), (first, second))

    def candidates(self, gradient: Gradient) -> dict[str, list[sp.Expr]]:
        """Symbols a mistake might put in place of a factor, nearest layers first."""
        layer = gradient.node.layer
        network = self.network

        def nearest(nodes_symbols: Iterable[tuple[int, sp.Expr]]) -> list[sp.Expr]:
            ranked = sorted(nodes_symbols, key=lambda pair: abs(pair[0] - layer))  # stable
            unique = list(dict.fromkeys(symbol for _, symbol in ranked))
            return unique[:MAX_CANDIDATES]

        inputs = nearest(
            [(0, x) for x in network.inputs]
            + [(n.layer, n.a) for n in network.nodes]
            + [(n.layer, n.z) for n in network.nodes]
        )
        weights = nearest(
            [(n.layer, w) for n in network.nodes for w in n.weights]
            + [(n.layer, n.bias) for n in network.nodes]
            + [(n.layer - 1, a) for n in network.nodes for a in n.inputs]
        )
        extras = nearest(
            [(0, x) for x in network.inputs]
            + [(n.layer, n.a) for n in network.nodes]
            + [(n.layer, w) for n in network.nodes for w in n.weights]
            + [(network.depth, y) for y in network.targets]
            + [(n.layer, activation_factor(n).value) for n in network.nodes]
            + [(network.depth, yhat - y) for y, yhat in zip(network.targets, network.outputs)]
        )
        extras = [e for e in extras if not e.is_number]
        return {"inputs": inputs, "weights": weights, "extras": extras}

    def activation_models(self, link: Link, others: sp.Expr) -> Iterator[Model]:
        """The activation's derivative at the wrong argument (σ'(ŷ), σ'(a₁) for σ'(z)), then
        derivatives a student might write instead of the right one: the slips the function's
        record lists, another activation's formula or slips, another node's derivative."""
        node = link.node
        assert node is not None
        function = node.activation
        if function.coupled:  # a Jacobian entry, not a function of one argument: no slips here
            return
        right = activation_factor(node).value
        seen = {right}
        for argument in (node.a, *node.inputs)[:MAX_CANDIDATES]:
            wrong = function.derivative_at(argument)
            if wrong in seen:
                continue
            seen.add(wrong)
            at = functools.partial(_wrong_argument, link, node, argument)
            yield Model(Mistake.WRONG_ARGUMENT, product(others, wrong), (link,), wrong, at)
        if node.layer == self.network.depth:  # y(1 − y): the target where the output belongs
            target = self.network.targets[node.index - 1]
            wrong = function.local_derivative_at(target, node.z)
            if wrong not in seen and not wrong.is_number:
                seen.add(wrong)
                at = functools.partial(_target_for_output, link, node, target, wrong)
                yield Model(Mistake.WRONG_ARGUMENT, product(others, wrong), (link,), wrong, at)
        for alternative, source in self.activation_alternatives(node):
            if alternative in seen:
                continue
            seen.add(alternative)
            formula = None
            if source is not None:
                formula = functools.partial(_other_formula, link, alternative, source)
            yield Model(
                Mistake.WRONG_ACTIVATION_DERIVATIVE,
                product(others, alternative),
                (link,),
                alternative,
                formula,
            )

    def activation_alternatives(
        self, node: Node
    ) -> list[tuple[sp.Expr, functions.Function | None]]:
        """Derivatives a student might write for this node's activation instead of the right one,
        each with the other activation whose derivative it is (None for a slip)."""
        a, z = node.a, node.z
        mistakes = node.activation.mistakes
        slips = [] if mistakes is None else mistakes(functions.names(), a, z)
        options: list[tuple[sp.Expr, functions.Function | None]] = [(s, None) for s in slips]
        right = activation_factor(node).value
        others = [
            r for r in functions.ACTIVATIONS.values() if r is not node.activation and not r.coupled
        ]
        for record in others:
            for form in (record.local_derivative_at(a, z), record.derivative_at(z)):
                if not form.is_number:
                    options.append((form, record))
        for record in others:  # the slips made with one activation are made with every other
            if record.mistakes is not None:
                options.extend((s, None) for s in record.mistakes(functions.names(), a, z))
        nearest = sorted(
            (n for n in self.network.nodes if n is not node),
            key=lambda n: abs(n.layer - node.layer),
        )
        options.extend((activation_factor(n).value, None) for n in nearest[:MAX_CANDIDATES])
        return [(o, r) for o, r in options if o != right and not o.is_number][:MAX_CANDIDATES]

    def transposed(self, weight: sp.Expr) -> sp.Symbol | None:
        """`w2_2_1` for `w2_1_2` (`w2_1_1` for itself), when the network has it."""
        parsed = parse_name(weight.name) if isinstance(weight, sp.Symbol) else None
        if parsed is None or parsed.stem != "w" or parsed.layer is None:
            return None
        if len(parsed.indices) != 2:
            return None
        j, k = parsed.indices
        symbol = sp.Symbol(layered("w", parsed.layer, k, j))
        return symbol if symbol in self.parameters else None

    @functools.cached_property
    def parameters(self) -> frozenset[sp.Symbol]:
        return frozenset(self.network.parameters)

    def neighbour_models(self, gradient: Gradient) -> Iterator[Model]:
        """The gradient of a neighbouring parameter: `w_kj`'s for `w_jk` (δ_k·a_j), or another
        node's delta with the right input."""
        node = gradient.node
        layer = self.network.layers[node.layer - 1]
        source = gradient.local.value
        if gradient.source is not None:
            k = gradient.source
            if k != node.index and k <= len(layer) and node.index <= len(node.inputs):
                other = layer[k - 1]
                wrong = (delta_symbol(self.network, other), node.inputs[node.index - 1])
                yield Model(
                    Mistake.TRANSPOSED_INDICES,
                    product(*wrong),
                    explain=functools.partial(_transposed_parameter, gradient, other, *wrong),
                )
        ranked = sorted(
            (n for n in layer if n is not node), key=lambda n: abs(n.index - node.index)
        )[:MAX_CANDIDATES]
        for near in (node.layer + 1, node.layer - 1):  # the layer above's or below's delta
            if 1 <= near <= self.network.depth:
                nodes = self.network.layers[near - 1]
                ranked += sorted(nodes, key=lambda n: abs(n.index - node.index))[:2]
        for other in ranked:
            wrong_delta = delta_symbol(self.network, other)
            yield Model(
                Mistake.WRONG_DELTA,
                product(wrong_delta, source),
                explain=functools.partial(_wrong_delta, gradient, other, wrong_delta),
            )

    def sum_models(self, gradient: Gradient, rest: list[tuple[Link, sp.Expr]]) -> Iterator[Model]:
        """Where the node feeds several nodes: `Σ_i δ_i·w_ij` with terms forgotten, or with
        transposed weights (`w_ji` for `w_ij`), the rest of the gradient right."""
        if gradient.chain is not None or not rest or rest[0][0].kind is not None:
            return
        link, others = rest[0]
        downstream = gradient.delta.downstream
        count = len(downstream)
        if count < 2:
            return
        terms = [product(symbol, factor.value) for symbol, factor in downstream]
        kept_sets = [[i] for i in range(count)]
        if count > 2:
            kept_sets += [[j for j in range(count) if j != i] for i in range(count)]
        for kept in kept_sets[:MAX_CANDIDATES]:
            yield Model(
                Mistake.MISSING_TERMS,
                product(total(terms[i] for i in kept), others),
                (link,),
                explain=functools.partial(_missing_terms, gradient, link, terms, kept),
            )
        swapped = [self.transposed(factor.value) for _, factor in downstream]
        if (
            all(w is not None for w in swapped)
            and sum(w != factor.value for w, (_, factor) in zip(swapped, downstream)) > 1
        ):  # one weight swapped is the model below
            wrong = [product(s, w) for (s, _), w in zip(downstream, swapped)]
            yield Model(
                Mistake.TRANSPOSED_INDICES,
                product(total(wrong), others),
                (link,),
                explain=functools.partial(_transposed_sum, link, wrong),
            )
        for i, weight in enumerate(swapped[:MAX_CANDIDATES]):
            if weight is None or weight == downstream[i][1].value:
                continue
            wrong = [*terms[:i], product(downstream[i][0], weight), *terms[i + 1 :]]
            yield Model(
                Mistake.TRANSPOSED_INDICES,
                product(total(wrong), others),
                (link,),
                explain=functools.partial(_transposed_weight, link, weight, downstream[i][1].value),
            )

    def coupled_models(self, gradient: Gradient) -> Iterator[Model]:
        """The gradient with the coupled output layer's deltas written the usual wrong ways:
        each way in every output delta at once (the answer's own delta for an output node's
        parameter), then, for an output node's parameter, another output's ŷ or y in its delta."""
        if not self.coupled:
            return
        written = self.in_output_deltas(gradient.value)
        if written is None:
            return
        own = self.coupled.get(gradient.delta.symbol)
        shown = own or next(iter(self.coupled.values()))
        for way in _WAYS:
            wrong = {s: _wrong_delta_as(way, d, self.network) for s, d in self.coupled.items()}
            if any(value is None for value in wrong.values()):
                continue
            explain = functools.partial(
                _coupled_mistake, way, shown, self.network, own is None, wrong[shown.symbol]
            )
            yield Model(_WAY_MISTAKES[way], written.xreplace(wrong), explain=explain)
        if own is None:
            return
        right = _collapsed(own)
        others = [d for d in self.coupled.values() if d is not own]
        others.sort(key=lambda d: abs(d.node.index - own.node.index))
        targets = dict(zip(self.network.outputs, self.network.targets))
        y = targets[own.node.a]
        for other in others[:MAX_CANDIDATES]:
            for swapped in (
                right.xreplace({own.node.a: other.node.a}),
                right.xreplace({y: targets[other.node.a]}),
            ):
                if swapped == right:
                    continue
                explain = functools.partial(_mixed_indices, own, other, swapped, right)
                yield Model(
                    Mistake.MIXED_INDICES,
                    written.xreplace({own.symbol: swapped}),
                    explain=explain,
                )

    def in_output_deltas(self, expr: sp.Expr) -> sp.Expr | None:
        """`expr` with every hidden delta written out down to the output deltas (None when that
        grows past MAX_WRITTEN_OPS)."""
        for _ in range(self.network.depth):
            inside = [s for s in expr.free_symbols if s in self.hidden]
            if not inside:
                return expr
            expr = expr.xreplace({s: self.hidden[s] for s in inside})
            if sp.count_ops(expr) > MAX_WRITTEN_OPS:
                return None
        return expr

    def cost_alternatives(self, link: Link) -> list[sp.Expr]:
        """Derivatives of ∂J/∂ŷ a student might write instead: other costs' and common slips."""
        network = self.network
        index = next(
            (j for j, yhat in enumerate(network.outputs) if link.value.has(yhat)),
            0,
        )
        y, yhat = network.targets[index], network.outputs[index]
        options: list[sp.Expr] = [
            cost.gradient((y, yhat), sp.Symbol("J"))
            for cost in COSTS.values()
            if not cost.is_abstract and cost.name != network.cost.name
        ]
        options += [
            yhat - y,
            2 * (yhat - y),
            -y / yhat,
            (1 - y) / (1 - yhat),
            y / yhat + (1 - y) / (1 - yhat),
            yhat,
            y,
        ]
        return [o for o in options if o != link.value]


def _nice(ratio: Any) -> Fraction | None:
    """`ratio` as a simple fraction (|numerator|, denominator ≤ 24), if it is one."""
    value = float(ratio)
    if not (abs(value) < 1e6):
        return None
    fraction = Fraction(value).limit_denominator(24)
    if abs(fraction.numerator) > 24 * 24:
        return None
    if abs(float(fraction) - value) > 1e-12 * max(1.0, abs(value)):
        return None
    return fraction


def _function_name(node: Node) -> str:
    return node.activation.text


# ---------------------------------------------------------------------------- wording


def _wrong_argument(link: Link, node: Node, argument: sp.Expr) -> Diagnosis:
    """`σ'(ŷ)` where `σ'(z₂)` is meant."""
    name = _function_name(node)
    found = messages.derivative(name, to_text(argument))
    message = messages.wrong_argument(found, link.shown, to_text(node.z), to_text(argument))
    return Diagnosis(Mistake.WRONG_ARGUMENT, message, link.label, to_text(link.value), found)


def _target_for_output(link: Link, node: Node, target: sp.Expr, wrong: sp.Expr) -> Diagnosis:
    """`y(1 − y)` where `ŷ(1 − ŷ)` is meant: the target in place of the prediction."""
    found = to_text(wrong)
    message = messages.target_for_output(found, link.shown, to_text(target), to_text(node.a))
    return Diagnosis(Mistake.WRONG_ARGUMENT, message, link.label, to_text(link.value), found)


def _other_formula(link: Link, alternative: sp.Expr, record: functions.Function) -> Diagnosis:
    """Another activation's derivative (`a(1 − a)`, the sigmoid's, for ReLU's)."""
    found = to_text(alternative)
    message = messages.other_activation(found, record.title, link.shown)
    return Diagnosis(
        Mistake.WRONG_ACTIVATION_DERIVATIVE, message, link.label, to_text(link.value), found
    )


# How a coupled output's delta δ_j is written wrong, and the mistake each way is.
_WAYS = ("diagonal", "again", "no_jacobian", "short_form")
_WAY_MISTAKES = {
    "diagonal": Mistake.JACOBIAN_DIAGONAL,
    "again": Mistake.JACOBIAN_DIAGONAL,
    "no_jacobian": Mistake.MISSING_FACTOR,
    "short_form": Mistake.WRONG_COST_DERIVATIVE,
}


def _collapsed(delta: Delta) -> sp.Expr:
    """The delta's shortest form: with the cost's assumption about the targets when it has one."""
    assumed = delta.assumed
    return assumed.value if assumed is not None else delta.value


def _wrong_delta_as(way: str, delta: Delta, network: Network) -> sp.Expr | None:
    """δ_j written the wrong `way`; None where that way is the right delta here."""
    assert delta.cost is not None
    cost, diagonal = delta.cost.value, delta.activation.value
    right = _collapsed(delta)
    wrong: sp.Expr
    if way == "diagonal":
        wrong = product(cost, diagonal)
    elif way == "again":
        wrong = product(right, diagonal)
    elif way == "no_jacobian":
        wrong = cost
    else:
        y = network.targets[delta.node.index - 1]
        wrong = delta.node.a - y
    return None if sp.expand(wrong - right) == 0 else wrong


def _coupled_mistake(
    way: str, delta: Delta, network: Network, hidden: bool, wrong: sp.Expr
) -> Diagnosis:
    """One way of getting a coupled output's delta wrong, worded for the delta `delta`."""
    assert delta.cost is not None
    function = delta.node.activation
    symbol = to_text(delta.symbol)
    found = to_text(wrong)
    right = to_text(_collapsed(delta))
    label = messages.factor(to_text(delta.node.a), to_text(delta.node.z))
    entry = to_text(delta.activation.value)
    jacobian_sum = messages.jacobian_sum(symbol, delta.node.index, to_text(delta.node.z))
    if way in ("diagonal", "again"):
        message = messages.jacobian_diagonal(
            found, function.title, label, entry, jacobian_sum, right, way == "again"
        )
    elif way == "no_jacobian":
        cost = messages.factor("J", to_text(delta.node.a))
        message = messages.no_jacobian(found, cost, function.title, jacobian_sum, right)
    else:
        shortcut = [c.title for c in COSTS.values() if c.targets_sum_to is not None]
        message = messages.short_form(found, right, jacobian_sum, shortcut, network.cost.title)
    if hidden:
        message = messages.in_output_deltas(message)
    return Diagnosis(_WAY_MISTAKES[way], message, symbol, right, found)


def _mixed_indices(own: Delta, other: Delta, wrong: sp.Expr, right: sp.Expr) -> Diagnosis:
    """Another output's prediction or target in δ_j: `ŷ₂ − y₁` for `ŷ₁ − y₁`."""
    symbol = to_text(own.symbol)
    found = to_text(wrong)
    message = messages.mixed_indices(found, symbol, to_text(right), own.node.index)
    return Diagnosis(Mistake.MIXED_INDICES, message, symbol, to_text(right), found)


def _transposed_parameter(
    gradient: Gradient, other: Node, wrong_delta: sp.Symbol, wrong_input: sp.Expr
) -> Diagnosis:
    """`δ⁽¹⁾₂·x₁` for `w⁽¹⁾₁₂`: the gradient of `w⁽¹⁾₂₁`."""
    node = gradient.node
    weight = gradient.parameter
    transposed = layered("w", node.layer, other.index, node.index)
    right = product(gradient.delta.symbol, gradient.local.value)
    found = to_text(product(wrong_delta, wrong_input))
    message = messages.transposed_parameter(
        found,
        _text(transposed),
        _text(weight.name),
        to_text(gradient.local.value),
        node.index,
        to_text(right),
    )
    return Diagnosis(Mistake.TRANSPOSED_INDICES, message, None, to_text(right), found)


def _wrong_delta(gradient: Gradient, other: Node, wrong: sp.Symbol) -> Diagnosis:
    """Another node's delta with the right input."""
    node = gradient.node
    right = gradient.delta.symbol
    layer = notation.current().shown_layer(node.layer)
    message = messages.wrong_delta(
        to_text(wrong), _text(gradient.parameter.name), node.index, layer, to_text(right)
    )
    return Diagnosis(Mistake.WRONG_DELTA, message, None, to_text(right), to_text(wrong))


def _missing_terms(
    gradient: Gradient, link: Link, terms: list[sp.Expr], kept: list[int]
) -> Diagnosis:
    """One term of `Σ_i δ_i·w_ij` where all are meant: which are missing."""
    node = gradient.node
    found = to_text(total(terms[i] for i in kept))
    missing = [to_text(t) for i, t in enumerate(terms) if i not in kept]
    message = messages.missing_terms(
        found, missing, link.label, to_text(link.value), node.index, node.layer, len(terms)
    )
    return Diagnosis(Mistake.MISSING_TERMS, message, link.label, to_text(link.value), found)


def _transposed_sum(link: Link, wrong: list[sp.Expr]) -> Diagnosis:
    """`Σ_i δ_i·w_ji` where `Σ_i δ_i·w_ij` is meant."""
    found = to_text(total(wrong))
    message = messages.transposed_sum(found, link.label, to_text(link.value))
    return Diagnosis(Mistake.TRANSPOSED_INDICES, message, link.label, to_text(link.value), found)


def _transposed_weight(link: Link, wrong: sp.Symbol, right: sp.Expr) -> Diagnosis:
    """One weight of the sum with its indices swapped: `w⁽²⁾₁₂` for `w⁽²⁾₂₁`."""
    message = messages.transposed_weight(_text(wrong.name), _text(right.name), link.label)
    return Diagnosis(
        Mistake.TRANSPOSED_INDICES, message, link.label, _text(right.name), _text(wrong.name)
    )


def _text(name: str) -> str:
    return text_name(name) or name
