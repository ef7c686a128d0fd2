"""The network as a picture: an SVG beside the Markdown, for viewers that do not draw Mermaid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from symderiv.render.handout import DiagramEdge, DiagramNode
from symderiv.render.printing import index_runs, to_text
from symderiv.render.templating import render

COLUMN = 170  # pixels between layers
ROW = 72  # pixels between nodes of a layer
RADIUS = 24
MARGIN = 40
FILLS = {"input": "#e8eefc", "hidden": "#fdf0dc", "output": "#e3f5e3"}


@dataclass(frozen=True)
class _Run:
    """A piece of a label: its text, its shift from the previous piece, and its size."""

    text: str
    dy: int
    size: int


_OFFSET = {"": 0, "sub": 4, "sup": -6}


def _runs(text: str) -> tuple[_Run, ...]:
    """A label's pieces, indices lowered or raised and set smaller (`a₁⁽²⁾`)."""
    runs, at = [], 0
    for kind, piece in index_runs(text):
        runs.append(_Run(piece, _OFFSET[kind] - at, 10 if kind else 15))
        at = _OFFSET[kind]
    return tuple(runs)


@dataclass(frozen=True)
class _Circle:
    x: float
    y: float
    label: tuple[_Run, ...]
    fill: str


@dataclass(frozen=True)
class _Arrow:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    lx: float
    ly: float


def network_svg(nodes: Sequence[DiagramNode], edges: Sequence[DiagramEdge]) -> str:
    """An SVG of the handout's diagram: its nodes (column, row, role, label) and edges."""
    centre = {
        n.key: (MARGIN + RADIUS + n.column * COLUMN, MARGIN + RADIUS + float(n.row) * ROW)
        for n in nodes
    }
    circles = [_Circle(*centre[n.key], _runs(to_text(n.label)), FILLS[n.role]) for n in nodes]
    arrows = []
    for e in edges:
        (x1, y1), (x2, y2) = centre[e.source], centre[e.target]
        length = math.hypot(x2 - x1, y2 - y1)
        dx, dy = (x2 - x1) / length * RADIUS, (y2 - y1) / length * RADIUS
        label = "" if e.label is None else to_text(e.label)
        arrows.append(
            _Arrow(
                round(x1 + dx, 1), round(y1 + dy, 1), round(x2 - dx, 1), round(y2 - dy, 1),
                label, round((x1 + x2) / 2, 1), round((y1 + y2) / 2 - 8, 1),
            )
        )  # fmt: skip
    width = max(x for x, _ in centre.values()) + RADIUS + MARGIN
    height = max(y for _, y in centre.values()) + RADIUS + MARGIN
    return render(
        "svg", "network.svg.jinja", width=width, height=height, radius=RADIUS,
        nodes=circles, edges=arrows,
    )  # fmt: skip
