"""Independent numeric references for gradient tests: nested cost, `sympy.diff`, finite differences.

Nothing here uses the engine or the `fdiff` rules in `symderiv.functions`: σ, ReLU and softplus
are rewritten into their definitions first, and SymPy differentiates those.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import mpmath
import sympy as sp

from symderiv.functions import rewrite_definitions
from symderiv.network import Network

DIGITS = 40


def random_point(network: Network, rng: random.Random) -> dict[sp.Symbol, sp.Float]:
    """Random values for every base variable, kept away from ReLU's kink and BCE's poles."""
    point = {s: sp.Float(rng.uniform(-1.5, 1.5), DIGITS) for s in network.base_variables}
    for y in network.targets:
        point[y] = sp.Float(rng.uniform(0.05, 0.95), DIGITS)
    return point


def nested_cost_function(network: Network) -> tuple[sp.Expr, Sequence[sp.Symbol]]:
    """The fully nested cost in plain SymPy functions, and the variables it depends on."""
    return rewrite_definitions(network.nested_cost()), network.base_variables


def evaluator(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Callable[..., mpmath.mpf]:
    """`expr` as an mpmath function of `variables` (names are the engine's own, never a user's)."""
    return sp.lambdify(list(variables), expr, modules="mpmath", cse=True)


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
