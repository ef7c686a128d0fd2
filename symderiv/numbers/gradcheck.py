"""Every derived gradient against central finite differences of the cost, in float64.

The cost is computed here independently of SymPy and of the engine: NumPy, one matrix product per
layer, with the numerically stable float64 forms of the activations and costs from their records
(σ without overflowing `exp`; for a sigmoid output, the binary cross-entropy taken from the input
sum `z` rather than from a rounded `ŷ`). It is the whole training set's cost: the mean of the
examples' costs plus the L2 term (λ/(2m)) Σ‖W‖² (biases not decayed). Each parameter `p` gets its
own step `h = cbrt(ε)·max(1, |p|)` (rounded so that `p ± h` are exact), which balances the
truncation error (∝ h²) against rounding (∝ ε|J|/h).

A gradient passes when `|g − fd| ≤ TOLERANCE · max(|g|, |fd|)` or when the difference is below
the resolution of the finite difference itself, `RESOLUTION · ε · |J| / h` (a gradient of 1e-12
on a cost of 1 cannot be seen by differencing float64 costs). The relative error reported is
`|g − fd| / max(|g|, |fd|, resolution / TOLERANCE)`, so pass means relative error ≤ TOLERANCE.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symderiv.core.costs import get_cost
from symderiv.core.errors import SymderivError
from symderiv.core.functions import ACTIVATIONS, get_activation
from symderiv.core.network import Network
from symderiv.engine.derivation import Backprop
from symderiv.numbers.assumptions import warn_broken_assumptions
from symderiv.numbers.evaluate import to_float
from symderiv.numbers.training import evaluate_set, training_set
from symderiv.numbers.values import Values, display_name, require_concrete_cost

TOLERANCE = 1e-5
#: How many multiples of ε·|J|/h the finite difference may be off by rounding alone.
RESOLUTION = 100.0
EPS = float(np.finfo(np.float64).eps)
STEP_SCALE = EPS ** (1.0 / 3.0)

Array = np.ndarray


FLOAT_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    name: functools.partial(record.float64, np)
    for name, record in ACTIVATIONS.items()
    if record.float64 is not None
}
"""Each activation in stable float64, from its record."""


@dataclass(frozen=True)
class FloatNetwork:
    """The network as float64 arrays: `W[l]` is (n_l × n_(l−1)), `b[l]` has n_l entries; `x`
    and `y` hold one row per training example, and `l2` is λ."""

    network: Network
    x: Array
    y: Array
    l2: float = 0.0

    def split(self, theta: Array) -> list[tuple[Array, Array]]:
        """The flat parameter vector (in `network.parameters` order) as (W, b) per layer."""
        layers = []
        start = 0
        for m, n in zip(self.network.spec.layers, self.network.spec.layers[1:]):
            block = theta[start : start + n * (m + 1)].reshape(n, m + 1)
            layers.append((block[:, :-1], block[:, -1]))
            start += n * (m + 1)
        return layers

    def cost(self, theta: Array) -> float:
        """J at the parameters `theta`, computed stably in float64 (inf or nan if it is not):
        the mean of the examples' costs, plus the L2 term."""
        layers = self.split(theta)
        m = len(self.x)
        with np.errstate(all="ignore"):
            total = sum(self.example_cost(layers, x, y) for x, y in zip(self.x, self.y))
            decay = self.l2 / (2 * m) * sum(float(np.sum(w * w)) for w, _ in layers)
            return float(total / m + decay)

    def example_cost(self, layers: list[tuple[Array, Array]], x: Array, y: Array) -> float:
        """One example's cost, one vector per layer."""
        spec = self.network.spec
        hidden = _float_activation(spec.hidden_activation)
        output = _float_activation(spec.output_activation)
        a = x
        z = a
        for index, (w, b) in enumerate(layers, start=1):
            z = w @ a + b
            a = output(z) if index == len(layers) else hidden(z)
        return _float_cost(spec.cost, spec.output_activation, y, a, z)


def _float_activation(name: str) -> Callable[[Array], Array]:
    try:
        return FLOAT_ACTIVATIONS[name]
    except KeyError:
        raise SymderivError(f"no float64 version of the activation {name!r}.") from None


def _float_cost(name: str, output: str, y: Array, yhat: Array, z: Array) -> float:
    cost = get_cost(name)
    if output in cost.float64_from_z:
        return float(cost.float64_from_z[output](np, y, z))
    if cost.float64 is None:
        raise SymderivError(f"no float64 version of the cost {name!r}.")
    return float(cost.float64(np, y, yhat))


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter: the derived gradient, the finite difference and how far apart they are."""

    parameter: sp.Symbol
    symbolic: float
    numeric: float
    step: float
    error: float
    ok: bool

    @property
    def name(self) -> str:
        return display_name(self.parameter)


@dataclass(frozen=True)
class GradCheck:
    """The result for every parameter, the cost at the point, and notes worth reading."""

    checks: tuple[ParameterCheck, ...]
    cost: float
    tolerance: float
    notes: tuple[str, ...]
    training: str = ""  # what J averages over, e.g. " (the mean over 3 examples + the L2 term)"

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> tuple[ParameterCheck, ...]:
        return tuple(c for c in self.checks if not c.ok)


def float_network(network: Network, values: Values) -> tuple[FloatNetwork, Array]:
    """The network, its training set and its parameter vector at `values`, in float64."""
    examples = values.examples(network)
    x = np.array([[to_float(e[s], display_name(s)) for s in network.inputs] for e in examples])
    y = np.array([[to_float(e[s], display_name(s)) for s in network.targets] for e in examples])
    theta = np.array([to_float(values.point[p], display_name(p)) for p in network.parameters])
    return FloatNetwork(network, x, y, float(network.spec.l2)), theta


def symbolic_gradients(backprop: Backprop, values: Values) -> dict[sp.Symbol, float]:
    """The engine's training-set gradients at `values` (exact, or at 30 digits), as floats."""
    data = training_set(backprop.network, values)
    evaluation = evaluate_set(backprop, values.point, data)
    return {p: to_float(g, f"∂J/∂{display_name(p)}") for p, g in evaluation.gradients.items()}


def central_difference(
    cost: Callable[[Array], float], theta: Array, index: int
) -> tuple[float, float, float]:
    """(finite difference, step h, largest |J| seen) for parameter `index`."""
    p = float(theta[index])
    h = STEP_SCALE * max(1.0, abs(p))
    h = (p + h) - p  # a step that p + h represents exactly
    up, down = theta.copy(), theta.copy()
    up[index] = p + h
    down[index] = p - h
    j_up, j_down = cost(up), cost(down)
    return (j_up - j_down) / (2.0 * h), h, max(abs(j_up), abs(j_down))


def compare(
    symbolic: float, numeric: float, step: float, scale: float, tolerance: float
) -> tuple[float, bool]:
    """(relative error, ok) of a derived gradient against its finite difference."""
    floor = RESOLUTION * EPS * max(scale, EPS) / step / tolerance
    denominator = max(abs(symbolic), abs(numeric), floor)
    error = abs(symbolic - numeric) / denominator
    return error, error <= tolerance


def check_gradients(backprop: Backprop, values: Values, tolerance: float = TOLERANCE) -> GradCheck:
    """Compare every gradient the engine derives with central finite differences at `values`."""
    network = backprop.network
    require_concrete_cost(network)
    warn_broken_assumptions(backprop, values.point)
    derived = symbolic_gradients(backprop, values)
    floats, theta = float_network(network, values)
    cost = floats.cost(theta)
    if not np.isfinite(cost):
        raise SymderivError(
            "the cost is not finite in float64 at these values (binary cross-entropy needs "
            "0 < ŷ < 1; very large values overflow)."
        )
    checks = []
    for index, parameter in enumerate(network.parameters):
        numeric, step, scale = central_difference(floats.cost, theta, index)
        if not np.isfinite(numeric):
            raise SymderivError(
                f"the finite difference for {display_name(parameter)} is not finite: the cost "
                "overflows float64 near these values."
            )
        error, ok = compare(derived[parameter], numeric, step, scale, tolerance)
        checks.append(ParameterCheck(parameter, derived[parameter], numeric, step, error, ok))
    return GradCheck(tuple(checks), cost, tolerance, _notes(floats, theta), _training(floats))


def _training(floats: FloatNetwork) -> str:
    """What the cost is over, when it is not one example's."""
    m = len(floats.x)
    parts = [f"the mean over {m} examples"] if m > 1 else []
    if floats.l2:
        parts.append(f"the L2 term with λ = {floats.l2:g}")
    return f" ({' + '.join(parts)})" if parts else ""


def _notes(floats: FloatNetwork, theta: Array) -> tuple[str, ...]:
    """Warn when an input sum sits within a finite-difference step of its activation's kink."""
    spec = floats.network.spec
    layers = floats.split(theta)
    notes: list[str] = []
    for number, x in enumerate(floats.x, start=1):
        where = f"example {number}, " if len(floats.x) > 1 else ""
        a = x
        for index, (w, b) in enumerate(layers, start=1):
            z = w @ a + b
            name = spec.output_activation if index == len(layers) else spec.hidden_activation
            kink = get_activation(name).kink
            if kink is not None:
                distance = np.abs(z - kink)
                if np.any(distance < 1e-4 * max(1.0, float(np.max(np.abs(theta))))):
                    notes.append(
                        f"{where}layer {index}: an input sum is within "
                        f"{float(np.min(distance)):.1e} of {get_activation(name).text}'s kink at "
                        f"{kink:g}, where finite differences are unreliable."
                    )
            a = _float_activation(name)(z)
    return tuple(notes)


def format_report(result: GradCheck, source: str = "the given values") -> str:
    """The check as a table a terminal shows well, ending in one PASS or FAIL line."""
    width = max(len("parameter"), *(len(c.name) for c in result.checks))
    lines = [
        f"gradient check at {source}: J = {result.cost:.6g}{result.training}",
        f"central differences in float64, h = cbrt(ε)·max(1, |p|); pass when the relative "
        f"error ≤ {result.tolerance:.0e}",
        "",
        f"  {'parameter':<{width}}  {'derived':>14}  {'finite diff.':>14}  {'rel. error':>10}",
    ]
    for c in result.checks:
        mark = "ok" if c.ok else "FAIL"
        numbers = f"{c.symbolic:>14.6e}  {c.numeric:>14.6e}  {c.error:>10.1e}"
        lines.append(f"  {c.name:<{width}}  {numbers}  {mark}")
    lines.append("")
    lines.extend(f"note: {note}" for note in result.notes)
    count = len(result.checks)
    if result.passed:
        lines.append(f"PASS: all {count} gradients agree with finite differences.")
    else:
        names = ", ".join(c.name for c in result.failures)
        lines.append(f"FAIL: {len(result.failures)} of {count} gradients disagree: {names}.")
    return "\n".join(lines) + "\n"
