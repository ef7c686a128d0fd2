"""Reading a step tree: one traversal, and the tree as plain data.

`visit` is the only code that walks a tree. On top of it:

- `iter_steps` — every step depth-first, with its depth;
- `rule_ids` — the rule of every step, depth-first;
- `to_json` — nested plain data, expressions as SymPy strings (`sigmoid(z)`, `x**2`). They read
  back through `symderiv.parse.plain.parse_expression`, except ReLU's piecewise definition and
  what `sympy.diff` returns in a fallback step (`DiracDelta`, `Derivative`), which SymPy reads.

Prose and printed output (text, LaTeX, Markdown) are made in `symderiv.render.steps`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, Literal

import sympy as sp

from symderiv.calculus import rules as r
from symderiv.core.functions import Function

Event = tuple[Literal["enter", "exit"], int, r.Step]
_BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(r.Step))


def visit(step: r.Step, depth: int = 0) -> Iterator[Event]:
    """("enter", depth, step) before a step's substeps and ("exit", depth, step) after them."""
    stack: list[tuple[bool, int, r.Step]] = [(False, depth, step)]
    while stack:
        done, level, current = stack.pop()
        if done:
            yield ("exit", level, current)
            continue
        yield ("enter", level, current)
        stack.append((True, level, current))
        stack.extend((False, level + 1, sub) for sub in reversed(current.substeps))


def iter_steps(step: r.Step) -> Iterator[tuple[int, r.Step]]:
    """(depth, step) for every step, depth-first, parents before children."""
    for event, depth, current in visit(step):
        if event == "enter":
            yield depth, current


def rule_ids(step: r.Step) -> list[str]:
    """The rule of every step, depth-first: the shape of a derivation at a glance."""
    return [current.rule_id for _, current in iter_steps(step)]


# ---------------------------------------------------------------------------- JSON


def to_json(step: r.Step) -> dict[str, Any]:
    """Nested plain data: rule, title, expr, wrt, result, substitutions, rule fields, substeps."""
    finished: list[list[dict[str, Any]]] = [[]]
    for event, _, current in visit(step):
        if event == "enter":
            finished.append([])
            continue
        children = finished.pop()
        node: dict[str, Any] = {
            "rule": current.rule_id,
            "title": current.title,
            "expr": _json_value(current.expr),
            "wrt": current.wrt.name,
            "result": _json_value(current.result),
            "substitutions": [[s.name, _json_value(e)] for s, e in current.substitutions],
        }
        for field in dataclasses.fields(current):
            if field.name not in _BASE_FIELDS:
                node[field.name] = _json_value(getattr(current, field.name))
        node["substeps"] = children
        finished[-1].append(node)
    return finished[0][0]


def _json_value(value: Any) -> Any:
    if isinstance(value, sp.Basic):
        return sp.sstr(value)
    if isinstance(value, Function):
        return value.name
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value
