"""The cost over the gradient-descent steps, drawn: TikZ coordinates in LaTeX, an SVG file beside
the Markdown.

Both draw the same sampled points scaled into their box: step 0 at the left, the last step at the
right, the largest cost at the top and the smallest at the bottom (a flat curve runs through the
middle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from symderiv.core.errors import SymderivError
from symderiv.render.templating import Math, render
from symderiv.render.written_numbers import DEFAULT_DIGITS, BareNumber, format_number

#: Points of the cost curve drawn (TikZ and SVG).
MAX_PLOT_POINTS = 201
#: TikZ plot size in centimetres.
PLOT_WIDTH_CM = 9.0
PLOT_HEIGHT_CM = 4.5
#: SVG image size in pixels.
SVG_WIDTH, SVG_HEIGHT = 480, 260


@dataclass(frozen=True)
class Box:
    """The plotting area of the SVG image, in pixels from its top left corner."""

    left: float
    top: float
    right: float
    bottom: float


SVG_BOX = Box(60.0, 20.0, 450.0, 220.0)


@dataclass(frozen=True)
class Scaled:
    """Sampled `(x, y)` points of a cost curve in a width × height box, y up from 0; the costs'
    range, and the last step."""

    points: tuple[tuple[float, float], ...]
    low: float
    high: float
    last_step: int


def evenly_spaced(count: int, limit: int) -> list[int]:
    """Up to `limit` evenly spaced indices of `range(count)`, first and last included."""
    if count <= limit:
        return list(range(count))
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})


def scale(history: Sequence[float], width: float, height: float) -> Scaled:
    """At most MAX_PLOT_POINTS of `history`, scaled into a `width` × `height` box."""
    low, high = min(history), max(history)
    last = len(history) - 1
    points = []
    for i in evenly_spaced(len(history), MAX_PLOT_POINTS):
        fraction = (history[i] - low) / (high - low) if high > low else 0.5
        points.append((width * i / last, height * fraction))
    return Scaled(tuple(points), low, high, last)


def range_label(cost: float, digits: int) -> str:
    """A cost at the top or bottom of the plot, to `digits` significant digits."""
    return format_number(sp.Float(cost, 17), digits)


@dataclass(frozen=True)
class Plot:
    """The cost curve scaled into a PLOT_WIDTH_CM × PLOT_HEIGHT_CM box, as TikZ coordinates."""

    path: Math  # "(0.000,4.500) -- (0.045,4.410) -- …"
    width: Math  # of the box, in cm
    height: Math
    middle_x: Math  # half the width and height, where the axis names go
    middle_y: Math
    top: BareNumber  # the largest cost, at the top of the box
    bottom: BareNumber  # the smallest, at the bottom
    last_step: int


def tikz_plot(history: Sequence[float], digits: int) -> Plot:
    """The cost curve for the LaTeX example, six points to a line of the path."""
    curve = scale(history, PLOT_WIDTH_CM, PLOT_HEIGHT_CM)
    points = [f"({x:.3f},{y:.3f})" for x, y in curve.points]
    rows = [" -- ".join(points[i : i + 6]) for i in range(0, len(points), 6)]
    return Plot(
        path=Math("\n  -- ".join(rows)),
        width=Math(f"{PLOT_WIDTH_CM:g}"),
        height=Math(f"{PLOT_HEIGHT_CM:g}"),
        middle_x=Math(f"{PLOT_WIDTH_CM / 2:g}"),
        middle_y=Math(f"{PLOT_HEIGHT_CM / 2:g}"),
        top=BareNumber(range_label(curve.high, digits)),
        bottom=BareNumber(range_label(curve.low, digits)),
        last_step=curve.last_step,
    )


def cost_curve_svg(history: Sequence[float], digits: int = DEFAULT_DIGITS) -> str:
    """A small standalone SVG of the cost over the steps (numbers only, no user text)."""
    costs = [float(c) for c in history]
    if len(costs) < 2 or not all(abs(c) < float("inf") for c in costs):
        raise SymderivError("a cost curve needs at least two finite costs.")
    box = SVG_BOX
    curve = scale(costs, box.right - box.left, box.bottom - box.top)
    return render(
        "svg",
        "cost_curve.svg.jinja",
        width=SVG_WIDTH,
        height=SVG_HEIGHT,
        box=box,
        points=[f"{box.left + x:.2f},{box.bottom - y:.2f}" for x, y in curve.points],
        top=range_label(curve.high, digits).replace("-", "\u2212"),
        bottom=range_label(curve.low, digits).replace("-", "\u2212"),
        last_step=curve.last_step,
    )
