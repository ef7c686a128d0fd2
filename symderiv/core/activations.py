"""Activation functions: one small frozen record each, registered in one table.

The table feeds the engine, the CLI's choices and its did-you-mean errors alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symderiv.core.errors import SpecError, did_you_mean
from symderiv.core.functions import relu, sigmoid, softplus
from symderiv.core.written import product


@dataclass(frozen=True)
class Activation:
    """An activation `a = f(z)` and its derivative written two ways.

    `derivative(z)` is `f'(z)` in terms of `z`; `derivative_local(a, z)` is the form a lecture
    writes once `a = f(z)` is known (`σ'(z) = a(1 − a)`), which keeps gradients short.
    """

    name: str
    title: str
    symbol: str  # LaTeX name of f used in prose, e.g. \sigma
    apply: Callable[[sp.Expr], sp.Expr]
    derivative: Callable[[sp.Expr], sp.Expr]
    derivative_local: Callable[[sp.Expr, sp.Expr], sp.Expr]
    formula: str  # definition in LaTeX, for the notation table


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            name="sigmoid",
            title="logistic sigmoid",
            symbol=r"\sigma",
            apply=sigmoid,
            derivative=lambda z: product(sigmoid(z), 1 - sigmoid(z)),
            derivative_local=lambda a, z: product(a, 1 - a),
            formula=r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        ),
        Activation(
            name="tanh",
            title="hyperbolic tangent",
            symbol=r"\tanh",
            apply=sp.tanh,
            derivative=lambda z: 1 - sp.tanh(z) ** 2,
            derivative_local=lambda a, z: 1 - a**2,
            formula=r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        ),
        Activation(
            name="relu",
            title="rectified linear unit",
            symbol=r"\operatorname{ReLU}",
            apply=relu,
            derivative=lambda z: sp.Heaviside(z, 0),
            derivative_local=lambda a, z: sp.Heaviside(z, 0),
            formula=r"\operatorname{ReLU}(z) = \max(0, z)",
        ),
        Activation(
            name="softplus",
            title="softplus",
            symbol=r"\operatorname{softplus}",
            apply=softplus,
            derivative=sigmoid,
            derivative_local=lambda a, z: sigmoid(z),
            formula=r"\operatorname{softplus}(z) = \ln\left(1 + e^{z}\right)",
        ),
        Activation(
            name="linear",
            title="identity (linear)",
            symbol=r"\operatorname{id}",
            apply=lambda z: z,
            derivative=lambda z: sp.S.One,
            derivative_local=lambda a, z: sp.S.One,
            formula=r"\operatorname{id}(z) = z",
        ),
    )
}


def canonical(name: str) -> str:
    """Names may be written with `-` or `_` and in any case: `Soft-Plus` is `softplus`."""
    return name.strip().lower().replace("-", "_")


def get_activation(name: str) -> Activation:
    """The registered activation called `name`, or a SpecError naming the valid ones."""
    key = canonical(name)
    if key not in ACTIVATIONS:
        raise SpecError(did_you_mean("activation", name, ACTIVATIONS))
    return ACTIVATIONS[key]
