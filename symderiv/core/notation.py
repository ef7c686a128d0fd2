"""How a course writes back-propagation: the cost's letter, the layer marks, the gradients' names.

Courses agree on the mathematics and differ in how they write it. A `Notation` records the
choices that differ, and four presets follow well-known texts:

=========  ====  ================  ============  =====  ===========  ==========
preset     cost  layer mark        input layer   log    gradient     delta
=========  ====  ================  ============  =====  ===========  ==========
default    J     ``w^{(l)}_{jk}``  0             ln     ``∂J/∂w``    ``δ``
nielsen    C     ``w^{l}_{jk}``    1             ln     ``∂C/∂w``    ``δ``
ng         J     ``w^{[l]}_{jk}``  0             log    ``dw``       ``dz``
cs231n     L     ``w^{(l)}_{jk}``  0             log    ``dw``       ``δ``
=========  ====  ================  ============  =====  ===========  ==========

Symbols keep one internal name whatever the notation (`w2` is the weight into the second layer
of parameters, `J` the cost): the notation acts only where names are written and read, in the
printers, the templates and the answer checker. The notation in force is a context variable, so
one call (`using(notation)`) sets it for everything a command writes.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from symderiv.core.errors import SpecError, did_you_mean

SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPT_DIGITS = str.maketrans("0123456789()l", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡ")

#: How a layer number is marked, in LaTeX and in text: (superscript, text before, text after).
#: The letters a cost is written with; an answer's `∂C/∂w` is read whichever a course uses.
COST_LETTERS = ("J", "C", "L", "E")
LAYER_MARKS = ("paren", "plain", "bracket")
LOGS = ("ln", "log")
GRADIENTS = ("partial", "d")
DELTAS = ("delta", "dz")


@dataclass(frozen=True)
class Notation:
    """The choices a course makes in writing the derivation; the default is this package's."""

    name: str = "default"
    cost: str = "J"  # the cost's letter: J, C or L
    layers: str = "paren"  # w^{(l)} (paren), w^{l} (plain) or w^{[l]} (bracket)
    input_layer: int = 0  # the number the input layer is written with (0 or 1)
    log: str = "ln"  # the natural logarithm's name
    gradient: str = "partial"  # ∂J/∂w (partial) or dw (d)
    delta: str = "delta"  # δ = ∂J/∂z (delta) or dz (dz)

    def __post_init__(self) -> None:
        for key, allowed in (
            ("layers", LAYER_MARKS),
            ("log", LOGS),
            ("gradient", GRADIENTS),
            ("delta", DELTAS),
        ):
            value = getattr(self, key)
            if value not in allowed:
                choices = ", ".join(allowed)
                raise SpecError(f"notation {key} must be one of {choices}, not {value!r}.")
        if self.cost not in COST_LETTERS:
            raise SpecError(f"notation cost must be one of J, C, L, E, not {self.cost!r}.")
        if self.input_layer not in (0, 1) or isinstance(self.input_layer, bool):
            raise SpecError(f"notation input_layer must be 0 or 1, not {self.input_layer!r}.")

    # -- layer numbers

    def shown_layer(self, layer: int | str) -> str:
        """The number a layer is written with: the input layer is 0 or 1 (`l` stays `l`)."""
        return str(layer + self.input_layer) if isinstance(layer, int) else layer

    def internal_layer(self, shown: int) -> int:
        """The layer a written number means (`w^3` under Nielsen's numbering is layer 2)."""
        return shown - self.input_layer

    def mark_latex(self, layer: int | str) -> str:
        """The layer's superscript in LaTeX: `^{(2)}`, `^{2}` or `^{[2]}`."""
        shown = self.shown_layer(layer)
        return {"paren": f"^{{({shown})}}", "plain": f"^{{{shown}}}", "bracket": f"^{{[{shown}]}}"}[
            self.layers
        ]

    def mark_text(self, layer: int | str) -> str:
        """The layer's superscript in text: `⁽²⁾`, `²` or `^[2]`."""
        shown = self.shown_layer(layer)
        if self.layers == "bracket":
            return f"^[{shown}]"
        if self.layers == "plain":
            return shown.translate(SUPERSCRIPT_DIGITS)
        return f"({shown})".translate(SUPERSCRIPT_DIGITS)

    def chain_latex(self, layer: int) -> str:
        """A chain network's layer, on a symbol with no node index: `_{2}` or `^{[2]}`."""
        if self.layers == "paren":
            return f"_{{{self.shown_layer(layer)}}}"
        return self.mark_latex(layer)

    def chain_text(self, layer: int) -> str:
        if self.layers == "paren":
            return self.shown_layer(layer).translate(SUBSCRIPT_DIGITS)
        return self.mark_text(layer)

    # -- gradients

    @property
    def named_gradients(self) -> bool:
        """Gradients of the cost written `dw` rather than `∂J/∂w`."""
        return self.gradient == "d"

    def gradient_latex(self, wrt: str) -> str:
        """The cost's gradient with respect to `wrt` in LaTeX: a fraction of partials, or `dw`."""
        if self.named_gradients:
            return f"d{wrt}"
        return rf"\frac{{\partial {self.cost}}}{{\partial {wrt}}}"

    def gradient_slash(self, wrt: str) -> str:
        """The same on one line, for running text and tables: `\\partial J/\\partial w` or `dw`."""
        if self.named_gradients:
            return f"d{wrt}"
        return rf"\partial {self.cost}/\partial {wrt}"

    def gradient_text(self, wrt: str) -> str:
        """The same in text: `∂J/∂w₂` or `dw₂`."""
        return f"d{wrt}" if self.named_gradients else f"∂{self.cost}/∂{wrt}"

    def partial_slash(self, wrt: str) -> str:
        """`∂J/∂z` written out, whatever the gradients are called: for defining a name."""
        return rf"\partial {self.cost}/\partial {wrt}"

    @property
    def depth(self) -> str:
        """The letter of the number of layers: L, unless the cost is written L (then D)."""
        return "D" if self.cost == "L" else "L"

    @property
    def delta_latex(self) -> str:
        return "dz" if self.delta == "dz" else r"\delta"

    @property
    def delta_text(self) -> str:
        return "dz" if self.delta == "dz" else "δ"

    @property
    def delta_matrix_latex(self) -> str:
        """The delta of a training set (one column per example): `\\Delta` or `dZ`."""
        return "dZ" if self.delta == "dz" else r"\Delta"

    @property
    def delta_matrix_text(self) -> str:
        return "dZ" if self.delta == "dz" else "Δ"

    @property
    def delta_is_gradient(self) -> bool:
        """The delta's name already says it is ∂J/∂z (`dz`), so `δ = ∂J/∂z` says nothing."""
        return self.delta == "dz" and self.named_gradients

    def describe(self) -> str:
        """One line for help texts and the handout's notation table."""
        return (
            f"cost {self.cost}, layers w{self.mark_text(1)}, inputs are layer {self.input_layer}, "
            f"{self.log}, gradients {self.gradient_text('w')}"
        )


PRESETS: Mapping[str, Notation] = {
    "default": Notation(),
    "nielsen": Notation(name="nielsen", cost="C", layers="plain", input_layer=1),
    "ng": Notation(name="ng", layers="bracket", log="log", gradient="d", delta="dz"),
    "cs231n": Notation(name="cs231n", cost="L", log="log", gradient="d"),
}
DEFAULT = PRESETS["default"]
KEYS = tuple(f.name for f in fields(Notation) if f.name != "name")


def preset(name: str) -> Notation:
    """The preset called `name`, with a did-you-mean for a misspelling."""
    key = name.strip().lower()
    if key not in PRESETS:
        raise SpecError(did_you_mean("notation", name, PRESETS))
    return PRESETS[key]


def from_table(table: Any, *, base: Notation | None = None, source: str = "[notation]") -> Notation:
    """A notation from a TOML `[notation]` table: `preset = "ng"`, then any key overriding it."""
    if not isinstance(table, Mapping):
        raise SpecError(f"{source} must be a table.")
    allowed = ("preset", *KEYS)
    for key in table:
        if key not in allowed:
            raise SpecError(f"{source}: " + did_you_mean("key", key, allowed))
    start = base or DEFAULT
    if "preset" in table:
        if not isinstance(table["preset"], str):
            raise SpecError(f'{source}: preset must be a string such as "ng".')
        start = preset(table["preset"])
    overrides = {key: table[key] for key in KEYS if key in table}
    for key, value in overrides.items():
        wanted = int if key == "input_layer" else str
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise SpecError(f"{source}: {key} must be a {wanted.__name__}, not {value!r}.")
    try:
        chosen = replace(start, **overrides)
    except SpecError as error:
        raise SpecError(f"{source}: {error}") from None
    return replace(chosen, name="custom") if overrides else chosen


_CURRENT: contextvars.ContextVar[Notation | None] = contextvars.ContextVar("notation", default=None)
_default = DEFAULT


def resolve(chosen: Notation | str) -> Notation:
    """A notation from a preset's name or a `Notation`."""
    if isinstance(chosen, Notation):
        return chosen
    if not isinstance(chosen, str):
        raise SpecError(f"a notation is a preset's name ({', '.join(PRESETS)}), not {chosen!r}.")
    return preset(chosen)


def current() -> Notation:
    """The notation names are written and read in now."""
    return _CURRENT.get() or _default


def set_default(chosen: Notation | str) -> Notation:
    """Make `chosen` the notation of everything not under `using` (e.g. a notebook's displays)."""
    global _default
    _default = resolve(chosen)
    return _default


@contextlib.contextmanager
def using(chosen: Notation | str | None) -> Iterator[Notation]:
    """Write and read names in `chosen` (a preset's name, a `Notation`, or None: unchanged)."""
    if chosen is None:
        yield current()
        return
    token = _CURRENT.set(resolve(chosen))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)
