"""The one place that decides how every network symbol is named, written in LaTeX and in text.

Symbol names are structured so that no two quantities can share one (a flat scheme would read
`w1_111` as two different weights glued together):

==========================  ==================  =====================  ================
quantity                    chain network       wider network          LaTeX (wider)
==========================  ==================  =====================  ================
input k                     ``x``               ``x_k``                ``x_{k}``
target j                    ``y``               ``y_j``                ``y_{j}``
prediction j                ``yhat``            ``yhat_j``             ``\\hat{y}_{j}``
weight, node k of l-1 → j   ``w{l}``            ``w{l}_{j}_{k}``       ``w^{(l)}_{jk}``
bias of node j in layer l   ``b{l}``            ``b{l}_{j}``           ``b^{(l)}_{j}``
input sum / activation      ``z{l}``, ``a{l}``  ``z{l}_{j}``, …        ``z^{(l)}_{j}``
delta ∂J/∂z                 ``delta{l}``        ``delta{l}_{j}``       ``\\delta^{(l)}_{j}``
==========================  ==================  =====================  ================

A *chain network* has one node in every layer (the seed 1-1-1 network is one); its names carry
the layer only, as a lecture writes `w2`, `z1`, `δ2`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symderiv.core import notation
from symderiv.core.notation import SUBSCRIPT_DIGITS as SUBSCRIPT_DIGITS
from symderiv.core.notation import SUPERSCRIPT_DIGITS as SUPERSCRIPT_DIGITS

# Quantities that carry a layer number, and how each is written.
LAYERED = {"w": "w", "b": "b", "z": "z", "a": "a", "delta": r"\delta"}
LAYERED_TEXT = {"w": "w", "b": "b", "z": "z", "a": "a", "delta": "δ"}
# Quantities indexed by node only.
UNLAYERED = {"x": "x", "y": "y", "yhat": r"\hat{y}"}
UNLAYERED_TEXT = {"x": "x", "y": "y", "yhat": "ŷ"}
# Fixed symbols of a derivation.
SPECIAL = {
    "J": "J",
    "eta": r"\eta",
    "lambda": r"\lambda",  # the strength of L2 weight decay
    "dJ_dyhat": r"\frac{\partial J}{\partial \hat{y}}",
    "J_i": "J_{i}",  # example i's cost, in a training set's mean
}
SPECIAL_TEXT = {"J": "J", "eta": "η", "lambda": "λ", "dJ_dyhat": "∂J/∂ŷ", "J_i": "Jᵢ"}

_NAME = re.compile(
    r"^(?P<stem>delta|yhat|dJ_dyhat|[wbzaxy])(?P<layer>[0-9]+)?(?P<idx>(?:_[0-9]+)*)$"
)


@dataclass(frozen=True)
class ParsedName:
    """A network symbol name taken apart: stem, layer (or None) and node indices."""

    stem: str
    layer: int | None
    indices: tuple[int, ...]


def parse_name(name: str) -> ParsedName | None:
    """Split a network symbol name into its parts, or None when it is not one."""
    match = _NAME.match(name)
    if match is None:
        return None
    stem = match["stem"]
    layer = int(match["layer"]) if match["layer"] else None
    indices = tuple(int(i) for i in match["idx"].split("_")[1:])
    if stem in LAYERED and layer is None:
        return None
    if stem not in LAYERED and layer is not None:
        return None
    if stem == "w" and len(indices) not in (0, 2):
        return None
    if stem not in ("w",) and len(indices) > 1:
        return None
    return ParsedName(stem, layer, indices)


def shown_name(name: str) -> str:
    """A name as an answer in the notation in force writes it: the layer as the notation numbers
    it (`w2` is `w3` when the inputs are layer 1); anything else unchanged."""
    parsed = parse_name(name)
    offset = notation.current().input_layer
    if parsed is None or parsed.layer is None or not offset:
        return name
    return layered(parsed.stem, parsed.layer + offset, *parsed.indices)


def internal_name(shown: str) -> str:
    """The name an answer's `shown` name stands for (the inverse of `shown_name`)."""
    parsed = parse_name(shown)
    offset = notation.current().input_layer
    if parsed is None or parsed.layer is None or not offset:
        return shown
    return layered(parsed.stem, max(parsed.layer - offset, 0), *parsed.indices)


def layered(stem: str, layer: int, *indices: int) -> str:
    """Name of a layered quantity: `layered("w", 2)` is `w2`, `layered("w", 2, 1, 3)` `w2_1_3`."""
    return f"{stem}{layer}" + "".join(f"_{i}" for i in indices)


def indexed(stem: str, *indices: int) -> str:
    """Name of an input, target or prediction: `x`, `x_2`, `yhat_1`."""
    return stem + "".join(f"_{i}" for i in indices)


def _joined(indices: tuple[int, ...], sep: str) -> str:
    texts = [str(i) for i in indices]
    return sep.join(texts) if any(len(t) > 1 for t in texts) else "".join(texts)


#: A chain network's node indices, written when a bare layer superscript would read as a power
#: (`a²` is not a squared: it is written `a²₁`, as Nielsen does).
_CHAIN_INDICES = {False: "1", True: "11"}


def latex_name(name: str) -> str | None:
    """LaTeX for a network symbol name in the notation in force, or None when `name` is not one."""
    written = notation.current()
    if name in SPECIAL:
        if name == "J":
            return written.cost
        if name == "J_i":
            return f"{written.cost}_{{i}}"
        if name == "dJ_dyhat":
            return written.gradient_latex(r"\hat{y}")
        return SPECIAL[name]
    parsed = parse_name(name)
    if parsed is None:
        return None
    sub = _joined(parsed.indices, ",")
    if parsed.stem == "dJ_dyhat":
        return written.gradient_latex(rf"\hat{{y}}_{{{sub}}}")
    if parsed.stem in LAYERED:
        assert parsed.layer is not None
        base = written.delta_latex if parsed.stem == "delta" else LAYERED[parsed.stem]
        if not parsed.indices and written.layers != "plain":
            return base + written.chain_latex(parsed.layer)
        sub = sub or _CHAIN_INDICES[parsed.stem == "w"]
        return f"{base}{written.mark_latex(parsed.layer)}_{{{sub}}}"
    base = UNLAYERED[parsed.stem]
    if not parsed.indices:
        return base
    return f"{base}_{{{sub}}}"


def text_name(name: str) -> str | None:
    """Readable Unicode for a network symbol name (`w₂`, `δ⁽²⁾₁`, `ŷ`), or None."""
    written = notation.current()
    if name in SPECIAL_TEXT:
        if name == "J":
            return written.cost
        if name == "J_i":
            return f"{written.cost}ᵢ"
        if name == "dJ_dyhat":
            return written.gradient_text("ŷ")
        return SPECIAL_TEXT[name]
    parsed = parse_name(name)
    if parsed is None:
        return None
    sub = _joined(parsed.indices, ",").translate(SUBSCRIPT_DIGITS)
    if parsed.stem == "dJ_dyhat":
        return written.gradient_text("ŷ" + sub)
    if parsed.stem in LAYERED:
        assert parsed.layer is not None
        base = written.delta_text if parsed.stem == "delta" else LAYERED_TEXT[parsed.stem]
        if not parsed.indices and written.layers != "plain":
            return base + written.chain_text(parsed.layer)
        sub = sub or _CHAIN_INDICES[parsed.stem == "w"].translate(SUBSCRIPT_DIGITS)
        return base + written.mark_text(parsed.layer) + sub
    return UNLAYERED_TEXT[parsed.stem] + sub


# ---------------------------------------------------------------------------- whole layers
#
# The matrix form names a whole layer's vector or matrix by its stem and layer, as a lecture
# writes it: `W2` is W^(2), `delta2` is δ^(2), `dJ_dW2` is ∂J/∂W^(2); a training set of m
# examples uses capitals (`A1`, `Z1`, `Delta2`, `X`, `Y`, `Yhat`). In a chain network a layer's
# vector and its one node share a name (`a1`), as they share a value.

MATRIX_LAYERED = {  # stem: (LaTeX, text)
    "W": ("W", "W"),
    "b": ("b", "b"),
    "z": ("z", "z"),
    "a": ("a", "a"),
    "delta": (r"\delta", "δ"),
    "Z": ("Z", "Z"),
    "A": ("A", "A"),
    "Delta": (r"\Delta", "Δ"),
}
MATRIX_GRADIENTS = ("dJ_dW", "dJ_db")
MATRIX_FIXED = {
    "x": ("x", "x"),
    "y": ("y", "y"),
    "yhat": (r"\hat{y}", "ŷ"),
    "X": ("X", "X"),
    "Y": ("Y", "Y"),
    "Yhat": (r"\hat{Y}", "Ŷ"),
    "dJ_dyhat": (r"\nabla_{\hat{y}} J", "∇ŷJ"),
    "G": ("G", "G"),  # column i: the gradient of example i's cost with respect to its ŷ
}
# The layer is a number, or `l` for any layer (`Wl` is W^(l) in a sum over the layers).
_MATRIX_NAME = re.compile(r"^(?P<stem>dJ_dW|dJ_db|Delta|delta|[WbzaZA])(?P<layer>[0-9]+|l)$")


def matrix_name(stem: str, layer: int | str | None = None) -> str:
    """Name of a whole layer's vector or matrix: `matrix_name("W", 2)` is `W2` (`"l"`: any)."""
    return stem if layer is None else f"{stem}{layer}"


def _matrix_written(name: str) -> tuple[str, str] | None:
    """(LaTeX, text) for a layer's vector or matrix, or None when `name` is not one."""
    written = notation.current()
    if name == "dJ_dyhat":
        if written.named_gradients:
            return written.gradient_latex(r"\hat{y}"), written.gradient_text("ŷ")
        return rf"\nabla_{{\hat{{y}}}} {written.cost}", f"∇ŷ{written.cost}"
    if name in MATRIX_FIXED:
        return MATRIX_FIXED[name]
    match = _MATRIX_NAME.match(name)
    if match is None:
        return None
    stem, layer_text = match["stem"], match["layer"]
    layer: int | str = layer_text if layer_text == "l" else int(layer_text)
    base = stem[-1] if stem in MATRIX_GRADIENTS else stem
    latex, text = MATRIX_LAYERED[base]
    if base == "delta":
        latex, text = written.delta_latex, written.delta_text
    elif base == "Delta":
        latex, text = written.delta_matrix_latex, written.delta_matrix_text
    latex, text = latex + written.mark_latex(layer), text + written.mark_text(layer)
    if stem in MATRIX_GRADIENTS:
        return written.gradient_latex(latex), written.gradient_text(text)
    return latex, text


def matrix_latex_name(name: str) -> str | None:
    """LaTeX for a layer's vector or matrix (`W^{(2)}`, `\\delta^{(1)}`), or None."""
    written = _matrix_written(name)
    return None if written is None else written[0]


def matrix_text_name(name: str) -> str | None:
    """Readable Unicode for a layer's vector or matrix (`W⁽²⁾`, `∂J/∂b⁽¹⁾`), or None."""
    written = _matrix_written(name)
    return None if written is None else written[1]
