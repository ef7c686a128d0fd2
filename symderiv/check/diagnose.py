"""Naming the one chain-rule mistake that explains a wrong answer.

The diagnosis tests models of the answer built from the gradient's factors (`g.chain`, or
δ × input): the answer is `c` times the truth (sign error, off by a constant), or the truth with
one factor missing, doubled, or replaced (wrong input, wrong weight, wrong activation or cost
derivative). A model fits when the ratio answer/model is the same constant at every point.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from symderiv.check import messages
from symderiv.check.result import Diagnosis, Mistake
from symderiv.check.sample import Sample
from symderiv.core import functions
from symderiv.core.costs import COSTS
from symderiv.core.network import Network, Node
from symderiv.core.written import product, total
from symderiv.engine.derivation import Factor, FactorKind, Gradient, activation_factor
from symderiv.numbers.evaluate import ATOL, Evaluator, Undefined, Unsupported, close
from symderiv.render.printing import to_text

MAX_CANDIDATES = 40  # per kind of replacement tried


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

    def diagnosis(self, suffix: str = "", constant: str | None = None) -> Diagnosis:
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

    def __init__(self, network: Network) -> None:
        self.network = network
        self.abstract = network.cost.is_abstract
        self.model_cache: dict[sp.Symbol, list[Model]] = {}

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
            return Diagnosis(Mistake.SIGN, messages.sign(param), constant="-1")
        shown = str(nice) if nice is not None else mpmath.nstr(ratio, 6)
        message = messages.constant_factor(param, shown, nice, self.network.cost.name)
        return Diagnosis(Mistake.CONSTANT, message, constant=shown)

    def links(self, gradient: Gradient) -> list[Link]:
        """The factors whose product is the gradient, outermost first."""
        if gradient.chain is not None:
            return [self.link(f) for f in gradient.chain]
        delta = gradient.delta
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
        for link, others in rest:
            if link.value != 1:
                yield Model(Mistake.MISSING_FACTOR, others, (link,))
        for link, others in rest:
            if link.kind is FactorKind.INPUT:
                replacements = [(Mistake.WRONG_INPUT, s) for s in candidates["inputs"]]
            elif link.kind is FactorKind.WEIGHT:
                replacements = [(Mistake.WRONG_WEIGHT, s) for s in candidates["weights"]]
            else:
                continue
            for mistake, symbol in replacements:
                if symbol != link.value:
                    yield Model(mistake, product(others, symbol), (link,), symbol)
        for link, others in rest:
            if link.kind is FactorKind.ACTIVATION and link.node is not None:
                mistake = Mistake.WRONG_ACTIVATION_DERIVATIVE
                alternatives = self.activation_alternatives(link.node)
            elif link.kind is FactorKind.COST and not self.abstract:
                mistake = Mistake.WRONG_COST_DERIVATIVE
                alternatives = self.cost_alternatives(link)
            else:
                continue
            for alternative in alternatives:
                yield Model(mistake, product(others, alternative), (link,), alternative)
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

    def activation_alternatives(self, node: Node) -> list[sp.Expr]:
        """Derivatives a student might write for this node's activation instead of the right one."""
        a, z = node.a, node.z
        mistakes = node.activation.mistakes
        options: list[sp.Expr] = [] if mistakes is None else mistakes(functions.names(), a, z)
        right = activation_factor(node).value
        for other in self.network.nodes:
            if other is not node:
                value = activation_factor(other).value
                if value != right:
                    options.append(value)
        return [o for o in options if o != right][:MAX_CANDIDATES]

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
