"""`symderiv derive --format json`: the derivation as data for programs.

Expressions are strings in SymPy's `str` syntax with the plain names of the README (`yhat_1`,
`a1_2`, `delta2_1`; `yhat`, `a1`, `delta2` in a chain network; `W2`, `delta2`, `dJ_dW2` for a
whole layer in the matrix form), terms in the order they were built.
"""

from __future__ import annotations

import json
from typing import Any

from symderiv.engine.layers import Equation, LayerDerivation, Shape
from symderiv.render.derive_text import DeltaLine, DeriveText, GradientLine
from symderiv.render.printing import to_plain

#: Bumped when a field changes meaning or disappears (new fields may be added freely).
SCHEMA_VERSION = 1


def derive_json(view: DeriveText, spec: Any, form: str) -> str:
    """The view as one JSON object (see the README's `derive` section for its fields)."""
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "network": {
            "layers": list(spec.layers),
            "hidden_activation": spec.hidden_activation,
            "output_activation": spec.output_activation,
            "cost": spec.cost,
            "l2": str(spec.l2),
            "examples": spec.examples,
            "chain": spec.is_chain,
        },
        "form": form,
    }
    if view.network is not None:
        data["deltas"] = [_delta(line) for line in view.deltas]
        data["gradients"] = [_gradient(line) for line in view.lines]
    if view.matrix is not None:
        data["matrix"] = _matrix(view.matrix)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _optional(expr: Any) -> str | None:
    return None if expr is None else to_plain(expr)


def _delta(line: DeltaLine) -> dict[str, Any]:
    d = line.delta
    return {
        "name": d.symbol.name,
        "layer": d.node.layer,
        "node": d.node.index,
        "recursion": to_plain(d.value),
        "local": _optional(line.local),
    }


def _gradient(line: GradientLine) -> dict[str, Any]:
    g = line.gradient
    return {
        "name": g.parameter.name,
        "kind": "weight" if g.is_weight else "bias",
        "layer": g.node.layer,
        "node": g.node.index,
        "input": g.source,
        "delta": g.delta.symbol.name,
        "recursion": to_plain(g.value),
        "local": _optional(line.local),
        "base": _optional(line.base),
    }


def _shape(shape: Shape) -> dict[str, Any]:
    return {
        "symbolic": [to_plain(shape.rows), to_plain(shape.cols)],
        "numbers": list(shape.numbers),
    }


def _equation(eq: Equation) -> dict[str, Any]:
    return {
        "label": eq.label or None,
        "layer": eq.layer,
        "lhs": to_plain(eq.lhs),
        "rhs": to_plain(eq.rhs),
        "reason": eq.reason.value,
        "lhs_shape": _shape(eq.lhs_shape),
        "rhs_shape": _shape(eq.rhs_shape),
    }


def _matrix(d: LayerDerivation) -> dict[str, Any]:
    return {
        "examples": d.spec.examples,
        "l2": str(d.spec.l2),
        "forward": [_equation(eq) for eq in d.forward],
        "cost": None if d.cost is None else _equation(d.cost),
        "deltas": [_equation(eq) for eq in d.deltas],
        "gradients": [_equation(eq) for eq in d.gradients],
        "cost_gradient": [
            {"name": symbol.name, "value": to_plain(value)} for symbol, value in d.cost_entries
        ],
        "slopes": [
            {"function": s.function.name, "derivative": to_plain(s.derivative)} for s in d.slopes
        ],
    }
