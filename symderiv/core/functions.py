"""Every function symderiv knows, one record each: the one place a function is named.

A record holds what every layer needs to know about one function: how it is typed, printed and
spoken of, what it is as SymPy, its derivative as a lecture writes it and how the step engine
shows that derivative, its values in mpmath and in float64 NumPy, and its code in a generated
module. Parsers, printers, evaluators, templates and the CLI's help all read this table, so adding
a function (an activation such as ELU or swish) is adding one record.

The table imports nothing heavy: forms that need SymPy, mpmath or NumPy are small functions that
receive what they need when called, so `symderiv --help` can list the activations without SymPy.
SymPy forms are written against `Names` (`f.sigmoid(z)`, `f.exp(z)`, `f.sp.Heaviside(z, 0)`), so a
definition can use other records' functions.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from symderiv.core import naming, notation
from symderiv.core.errors import SpecError, did_you_mean

Form = Callable[..., Any]


class DerivedBy(enum.Enum):
    """How the step engine shows a function's derivative."""

    TABLE = "table"  # a standard derivative, stated: d/dz tanh z = 1 − tanh² z
    DEFINITION = "definition"  # differentiate the definition, then recognise the function again
    CASES = "cases"  # a piecewise definition, differentiated piece by piece


@dataclass(frozen=True)
class Function:
    """One elementary function or activation, and everything symderiv needs to know of it."""

    name: str  # canonical: typed in plain text, printed by SymPy's `str` (`sigmoid`, `log`)
    title: str  # how prose names it: "hyperbolic tangent"
    text: str  # readable Unicode: σ, ReLU, ln
    latex: str  # LaTeX of the name alone: \sigma, \tanh, \operatorname{ReLU}
    derivative: Form  # (Names, z) -> f'(z) as a lecture writes it
    mpmath: Form  # (mpmath, x) -> f(x)
    spellings: tuple[str, ...] = ()  # other names accepted as typed: ReLU, σ, arcsin
    latex_spellings: tuple[str, ...] = ()  # other LaTeX accepted for it: \log
    arities: tuple[int, ...] = (1,)
    sympy: Form | None = None  # (sympy) -> SymPy's own function; None: made from `definition`
    definition: Form | None = None  # (Names, z) -> f(z) in other functions, for the step engine
    # (coupled: (Names, j, z_1, …, z_n) -> output j of the layer, e.g. e^(z_j) / Σ_k e^(z_k))
    local_derivative: Form | None = None  # (Names, a, z) -> f'(z) once a = f(z) is known
    float64: Form | None = None  # (numpy, array) -> f(array), numerically stable
    code: str | None = None  # NumPy body of the generated helper, in `z`; None: inline `numpy`
    code_name: str = ""  # the generated helper's name; defaults to the name
    numpy: str | None = None  # NumPy function for one-call code, e.g. np.tanh
    derived_by: DerivedBy = DerivedBy.TABLE
    recognise: tuple[tuple[Form, Form], ...] = ()  # (Names, z) -> identities shown when recognised
    recognise_reason: str = ""
    convention: str = ""  # a convention the derivative needs, said where it is derived
    rule: str = ""  # the step rule's id in JSON; defaults to the name
    rule_title: str = ""  # the step rule's title; defaults to "derivative of <title>"
    activation: bool = False  # offered as a layer's activation
    coupled: bool = (
        False  # applied to a whole layer at once (softmax): each a_j depends on every z_k
    )
    # Coupled functions only: their SymPy form is `f(j, z_1, …, z_n)`, output j of the layer.
    jacobian: Form | None = None  # (Names, a_k, a_j, j = k) -> ∂a_k/∂z_j, in the layer's outputs
    jacobian_formula: str = ""  # LaTeX of that Jacobian, for the handout
    # (Names, a, g, total) -> δ = Jᵀg for a whole layer's vectors (generated code): `a` the
    # outputs, `g` = ∂J/∂a elementwise, `total(v)` the sum of v over the layer
    vector_delta: Form | None = None
    single_output: str = ""  # why a layer of one node cannot use it
    typed: bool = True  # a name people type in expressions (the identity is not)
    formula: str = ""  # LaTeX definition for a notation table
    slope_never_zero: bool = False  # f' > 0 everywhere: a unit with it is never flat
    kink: float | None = None  # where f has no derivative (finite differences are unreliable)
    mistakes: Form | None = None  # (Names, a, z) -> wrong derivatives students write for it
    notation_named: bool = False  # written `ln` or `log`, as the notation in force says

    def text_in(self, written: notation.Notation) -> str:
        """The readable name under a notation (the natural logarithm is `ln` or `log`)."""
        return written.log if self.notation_named else self.text

    # ------------------------------------------------------------------ SymPy forms

    @property
    def rule_id(self) -> str:
        return self.rule or self.name

    @property
    def step_title(self) -> str:
        return self.rule_title or f"derivative of {self.title}"

    @property
    def symbolic(self) -> Any:
        """The SymPy function (a class for named functions, a callable for `linear`)."""
        return _symbolic(self.name)

    def apply(self, z: Any) -> Any:
        """`f(z)` as a SymPy expression."""
        return self.symbolic(z)

    def in_layer(self, index: int, layer: Sequence[Any]) -> Any:
        """Output `index` (from 1) of a layer whose input sums are `layer`: `f(z_index)`, or
        `f(index, z_1, …, z_n)` for a coupled function, which depends on all of them."""
        if not self.coupled:
            return self.apply(layer[index - 1])
        import sympy

        return self.symbolic(sympy.Integer(index), *layer)

    def on_vector(self, z: Any) -> Any:
        """`f` of a whole layer's vector `z`, as generated code writes it: `f(z)`. A coupled
        function is an undefined SymPy function of the same name here, read by its record."""
        if not self.coupled:
            return self.apply(z)
        import sympy

        return sympy.Function(self.name)(z)

    def jacobian_at(self, a_k: Any, a_j: Any, same: bool, *, as_written: bool = True) -> Any:
        """`∂a_k/∂z_j` of a coupled function, written with the layer's outputs `a_k` and `a_j`."""
        if self.jacobian is None:
            raise ValueError(f"{self.name} is applied elementwise: it has no Jacobian")
        return self.jacobian(names(as_written), a_k, a_j, same)

    def vector_delta_at(self, a: Any, g: Any, total: Callable[[Any], Any]) -> Any:
        """A coupled layer's `δ = Jᵀg` from its outputs `a` and `g = ∂J/∂a`, as vectors."""
        if self.vector_delta is None:
            raise ValueError(f"{self.name} is applied elementwise: δ = g ⊙ f'(z)")
        return self.vector_delta(names(False), a, g, total)

    def derivative_at(self, z: Any, *, as_written: bool = True) -> Any:
        """`f'(z)`, in the form a lecture writes it (or as SymPy would normalise it)."""
        return self.derivative(names(as_written), z)

    def local_derivative_at(self, a: Any, z: Any) -> Any:
        """`f'(z)` in terms of `a = f(z)` where that is shorter (`σ'(z) = a(1 − a)`)."""
        if self.local_derivative is None:
            return self.derivative_at(z)
        return self.local_derivative(names(), a, z)

    def identities_at(self, z: Any) -> tuple[tuple[Any, Any], ...]:
        """The equalities shown when the function is recognised in its raw derivative."""
        return tuple((lhs(names(), z), rhs(names(), z)) for lhs, rhs in self.recognise)

    def definition_at(self, *args: Any) -> Any:
        """`f(z)` written out in other functions (the record's definition); a coupled function
        takes the output's index and the layer's input sums."""
        if self.definition is None:
            raise ValueError(f"{self.name} has no definition")
        return self.definition(names(), *args)


# ---------------------------------------------------------------------------- the table


def _sigmoid_float64(np: Any, z: Any) -> Any:
    e = np.exp(-np.abs(z))  # exp only ever sees −|z|: no overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _heaviside(mp: Any, x: Any, at_zero: Any = None) -> Any:
    """SymPy's unit step: `Heaviside(x)` is 1/2 at 0, `Heaviside(x, h)` is h there."""
    x = mp.re(x)
    if x != 0:
        return mp.mpf(1 if x > 0 else 0)
    return mp.mpf(0.5) if at_zero is None else at_zero


#: A term e^d with d below −this is left out of a softmax's sum: e^−1000 < 10^−434, which next to
#: the largest term (1) changes nothing at any precision the package computes at.
NEGLIGIBLE_EXPONENT = 1000


def _softmax_definition(f: Any, index: Any, *layer: Any) -> Any:
    return f.exp(layer[int(index) - 1]) / f.sp.Add(*(f.exp(z) for z in layer))


def _softmax_mpmath(mp: Any, index: Any, *layer: Any) -> Any:
    """e^(z_j − m) / Σ_k e^(z_k − m) with m the largest z_k: no exponent is above 0."""
    zs = [mp.re(z) for z in layer]
    top = max(zs)
    shifted = [z - top for z in zs]
    total = mp.fsum(mp.exp(d) for d in shifted if d > -NEGLIGIBLE_EXPONENT)
    return mp.exp(shifted[int(index) - 1]) / total


def _softmax_float64(np: Any, z: Any) -> Any:
    """Over axis 0 (one layer's input sums, a column per example), shifted by the largest."""
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def _softmax_vector_delta(f: Any, a: Any, g: Any, total: Callable[[Any], Any]) -> Any:
    """Jᵀg = a ⊙ g − a·Σ(a ⊙ g), the Jacobian being diag(a) − a aᵀ. The product a ⊙ g is formed
    first, so a cost's division by the output (the cross-entropy's −y/ŷ) cancels symbolically."""
    h = f.sp.Mul(a, g)
    return h - a * total(h)


def _no_derivative(f: Any, z: Any) -> Any:
    raise ValueError("a coupled function has a Jacobian, not a derivative of one argument")


def _sympy(name: str) -> Form:
    return lambda sp: getattr(sp, name)


def _mp(name: str) -> Form:
    return lambda mp, x: getattr(mp, name)(x)


FUNCTIONS: tuple[Function, ...] = (
    # -- activations
    Function(
        name="sigmoid",
        title="logistic sigmoid",
        text="σ",
        latex=r"\sigma",
        spellings=("σ", "sigma"),
        definition=lambda f, z: 1 / (1 + f.exp(-z)),
        derivative=lambda f, z: f.product(f.sigmoid(z), 1 - f.sigmoid(z)),
        local_derivative=lambda f, a, z: f.product(a, 1 - a),
        mpmath=lambda mp, x: 1 / (1 + mp.exp(-x)),
        float64=_sigmoid_float64,
        code=(
            '"""σ(z) = 1 / (1 + e^(−z)), without overflow: exp only ever sees −|z|."""\n'
            "e = np.exp(-np.abs(z))\n"
            "return np.where(z >= 0, 1 / (1 + e), e / (1 + e))"
        ),
        derived_by=DerivedBy.DEFINITION,
        recognise=(
            (lambda f, z: 1 / (1 + f.exp(-z)), lambda f, z: f.sigmoid(z)),
            (lambda f, z: f.exp(-z) / (1 + f.exp(-z)), lambda f, z: 1 - f.sigmoid(z)),
        ),
        recognise_reason="split the square in the denominator into two factors and recognise "
        "sigmoid",
        rule_title="derivative of the sigmoid",
        activation=True,
        formula=r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        slope_never_zero=True,
        mistakes=lambda f, a, z: [
            a,
            a**2,
            1 - a,
            (1 - a) ** 2,
            f.product(z, 1 - z),
            1 - a**2,
        ],
    ),
    Function(
        name="tanh",
        title="hyperbolic tangent",
        text="tanh",
        latex=r"\tanh",
        sympy=_sympy("tanh"),
        definition=lambda f, z: (f.exp(z) - f.exp(-z)) / (f.exp(z) + f.exp(-z)),
        derivative=lambda f, z: 1 - f.tanh(z) ** 2,
        local_derivative=lambda f, a, z: 1 - a**2,
        mpmath=_mp("tanh"),
        float64=lambda np, z: np.tanh(z),
        numpy="np.tanh",
        derived_by=DerivedBy.DEFINITION,
        recognise=(
            (
                lambda f, z: (f.exp(z) - f.exp(-z)) / (f.exp(z) + f.exp(-z)),
                lambda f, z: f.tanh(z),
            ),
        ),
        recognise_reason="split the fraction into 1 minus a square and recognise tanh",
        activation=True,
        formula=r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        slope_never_zero=True,
        mistakes=lambda f, a, z: [
            a,
            a**2,
            1 - a,
            1 - z**2,
            1 + a**2,
            f.product(a, 1 - a),
            1 - f.tanh(a) ** 2,
        ],
    ),
    Function(
        name="relu",
        title="rectified linear unit",
        text="ReLU",
        latex=r"\operatorname{ReLU}",
        spellings=("ReLU",),
        definition=lambda f, z: f.sp.Piecewise((z, z > 0), (0, True)),
        derivative=lambda f, z: f.sp.Heaviside(z, 0),
        mpmath=lambda mp, x: x if mp.re(x) > 0 else mp.mpf(0),
        float64=lambda np, z: np.maximum(z, 0.0),
        code='"""ReLU(z) = max(0, z)."""\nreturn np.maximum(z, 0.0)',
        derived_by=DerivedBy.CASES,
        convention="ReLU is not differentiable at 0; the convention used is ReLU'(0) = 0",
        rule_title="derivative of ReLU",
        kink=0.0,
        activation=True,
        formula=r"\operatorname{ReLU}(z) = \max(0, z)",
        mistakes=lambda f, a, z: [z, a],
    ),
    Function(
        name="softplus",
        title="softplus",
        text="softplus",
        latex=r"\operatorname{softplus}",
        definition=lambda f, z: f.log(1 + f.exp(z)),
        derivative=lambda f, z: f.sigmoid(z),
        mpmath=lambda mp, x: mp.log1p(mp.exp(x)),
        float64=lambda np, z: np.logaddexp(0.0, z),
        code='"""softplus(z) = ln(1 + e^z), without overflow."""\nreturn np.logaddexp(0.0, z)',
        derived_by=DerivedBy.DEFINITION,
        recognise=(
            (lambda f, z: f.exp(z) / (1 + f.exp(z)), lambda f, z: 1 / (1 + f.exp(-z))),
            (lambda f, z: 1 / (1 + f.exp(-z)), lambda f, z: f.sigmoid(z)),
        ),
        recognise_reason="divide numerator and denominator by exp(z) and recognise sigmoid",
        activation=True,
        formula=r"\operatorname{softplus}(z) = \ln\left(1 + e^{z}\right)",
        slope_never_zero=True,
        mistakes=lambda f, a, z: [
            a,
            f.product(f.sigmoid(z), 1 - f.sigmoid(z)),
            f.exp(z),
        ],
    ),
    Function(
        name="linear",
        title="identity (linear)",
        text="id",
        latex=r"\operatorname{id}",
        sympy=lambda sp: _identity,
        typed=False,
        definition=lambda f, z: z,
        derivative=lambda f, z: f.sp.S.One,
        mpmath=lambda mp, x: x,
        float64=lambda np, z: z,
        activation=True,
        formula=r"\operatorname{id}(z) = z",
        mistakes=lambda f, a, z: [z],
    ),
    Function(
        name="softmax",
        title="softmax",
        text="softmax",
        latex=r"\operatorname{softmax}",
        arities=(),  # the output's index, then every input sum of its layer
        typed=False,
        coupled=True,
        definition=_softmax_definition,
        derivative=_no_derivative,
        jacobian=lambda f, a_k, a_j, same: (
            f.product(a_k, 1 - a_j) if same else f.product(-1, a_k, a_j)
        ),
        jacobian_formula=r"\frac{\partial \hat{y}_{k}}{\partial z_{j}} = "
        r"\hat{y}_{k}\left(\mathbf{1}[j = k] - \hat{y}_{j}\right)",
        vector_delta=_softmax_vector_delta,
        mpmath=_softmax_mpmath,
        float64=_softmax_float64,
        code=(
            '"""softmax(z)_j = e^(z_j) / Σ_k e^(z_k) over axis 0 (a layer\'s input sums),\n'
            'shifted by the largest z so that exp never overflows."""\n'
            "e = np.exp(z - np.max(z, axis=0))\n"
            "return e / np.sum(e, axis=0)"
        ),
        rule_title="Jacobian of the softmax",
        activation=True,
        formula=r"\operatorname{softmax}(z)_{j} = \frac{e^{z_{j}}}{\sum_{k} e^{z_{k}}}",
        single_output="over one output it is the constant e^z / e^z = 1, so nothing could be "
        "learned",
    ),
    # -- elementary functions
    Function(
        name="exp",
        title="exponential",
        text="exp",
        latex=r"\exp",
        sympy=_sympy("exp"),
        derivative=lambda f, z: f.exp(z),
        mpmath=_mp("exp"),
        float64=lambda np, z: np.exp(z),
        numpy="np.exp",
    ),
    Function(
        name="log",
        title="natural logarithm",
        text="ln",
        latex=r"\ln",
        spellings=("ln",),
        latex_spellings=(r"\log",),
        arities=(1, 2),
        sympy=_sympy("log"),
        derivative=lambda f, z: 1 / z,
        mpmath=_mp("log"),
        float64=lambda np, z: np.log(z),
        numpy="np.log",
        rule_title="logarithm rule",
        notation_named=True,
    ),
    Function(
        name="sin",
        title="sine",
        text="sin",
        latex=r"\sin",
        sympy=_sympy("sin"),
        derivative=lambda f, z: f.cos(z),
        mpmath=_mp("sin"),
        numpy="np.sin",
    ),
    Function(
        name="cos",
        title="cosine",
        text="cos",
        latex=r"\cos",
        sympy=_sympy("cos"),
        derivative=lambda f, z: -f.sin(z),
        mpmath=_mp("cos"),
        numpy="np.cos",
    ),
    Function(
        name="tan",
        title="tangent",
        text="tan",
        latex=r"\tan",
        sympy=_sympy("tan"),
        derivative=lambda f, z: f.sec(z) ** 2,
        mpmath=_mp("tan"),
        numpy="np.tan",
    ),
    Function(
        name="sec",
        title="secant",
        text="sec",
        latex=r"\sec",
        sympy=_sympy("sec"),
        derivative=lambda f, z: f.sec(z) * f.tan(z),
        mpmath=_mp("sec"),
    ),
    Function(
        name="csc",
        title="cosecant",
        text="csc",
        latex=r"\csc",
        sympy=_sympy("csc"),
        derivative=lambda f, z: -f.csc(z) * f.cot(z),
        mpmath=_mp("csc"),
    ),
    Function(
        name="cot",
        title="cotangent",
        text="cot",
        latex=r"\cot",
        sympy=_sympy("cot"),
        derivative=lambda f, z: -(f.csc(z) ** 2),
        mpmath=_mp("cot"),
    ),
    Function(
        name="asin",
        title="arcsine",
        text="asin",
        latex=r"\arcsin",
        spellings=("arcsin",),
        sympy=_sympy("asin"),
        derivative=lambda f, z: 1 / f.sp.sqrt(1 - z**2),
        mpmath=_mp("asin"),
        numpy="np.arcsin",
    ),
    Function(
        name="acos",
        title="arccosine",
        text="acos",
        latex=r"\arccos",
        spellings=("arccos",),
        sympy=_sympy("acos"),
        derivative=lambda f, z: -1 / f.sp.sqrt(1 - z**2),
        mpmath=_mp("acos"),
        numpy="np.arccos",
    ),
    Function(
        name="atan",
        title="arctangent",
        text="atan",
        latex=r"\arctan",
        spellings=("arctan",),
        sympy=_sympy("atan"),
        derivative=lambda f, z: 1 / (1 + z**2),
        mpmath=_mp("atan"),
        numpy="np.arctan",
    ),
    Function(
        name="sinh",
        title="hyperbolic sine",
        text="sinh",
        latex=r"\sinh",
        sympy=_sympy("sinh"),
        derivative=lambda f, z: f.cosh(z),
        mpmath=_mp("sinh"),
        numpy="np.sinh",
    ),
    Function(
        name="cosh",
        title="hyperbolic cosine",
        text="cosh",
        latex=r"\cosh",
        sympy=_sympy("cosh"),
        derivative=lambda f, z: f.sinh(z),
        mpmath=_mp("cosh"),
        numpy="np.cosh",
    ),
    Function(
        name="Heaviside",
        title="unit step",
        text="H",
        latex=r"\operatorname{H}",
        arities=(1, 2),
        sympy=_sympy("Heaviside"),
        derivative=lambda f, z: f.sp.DiracDelta(z),
        mpmath=_heaviside,
        float64=lambda np, z: np.heaviside(z, 0.0),
        code=(
            '"""ReLU\'s derivative: 1 where z > 0, else 0 (0 at z = 0 itself)."""\n'
            "return np.heaviside(z, 0.0)"
        ),
        code_name="step",
        rule_title="derivative of the unit step",
    ),
    Function(
        name="Abs",
        title="the absolute value",
        text="abs",
        latex=r"\operatorname{abs}",
        spellings=("abs",),
        convention="{f} has no derivative at {x} = 0",
        sympy=_sympy("Abs"),
        derivative=lambda f, z: f.sp.sign(z),
        mpmath=lambda mp, x: abs(x),
        numpy="np.abs",
        rule="abs",
    ),
)


def _identity(z: Any) -> Any:
    return z


# ---------------------------------------------------------------------------- look-ups

BY_NAME: dict[str, Function] = {f.name: f for f in FUNCTIONS}
ACTIVATIONS: dict[str, Function] = {f.name: f for f in FUNCTIONS if f.activation}
#: Widest layer a coupled activation is derived for: every delta sums over the whole layer.
MAX_COUPLED_OUTPUTS = 32
#: Activations applied node by node: any layer may use them.
ELEMENTWISE: dict[str, Function] = {n: f for n, f in ACTIVATIONS.items() if not f.coupled}


def typed_names() -> Iterator[tuple[str, Function]]:
    """Every name a person may type for a function, with its record."""
    for record in FUNCTIONS:
        if record.typed:
            for name in (record.name, *record.spellings):
                yield name, record


def canonical(name: str) -> str:
    """Names may be written with `-` or `_` and in any case: `Soft-Plus` is `softplus`."""
    return name.strip().lower().replace("-", "_")


def get_activation(name: str) -> Function:
    """The activation called `name`, or a SpecError naming the valid ones."""
    key = canonical(name)
    if key not in ACTIVATIONS:
        raise SpecError(did_you_mean("activation", name, ACTIVATIONS))
    return ACTIVATIONS[key]


def check_layers(hidden: Function, output: Function, outputs: int) -> None:
    """Refuse a coupled activation where no derivation exists: in a hidden layer, where it would
    couple the deltas of a whole layer, or on one output, where it is a constant."""
    if hidden.coupled:
        raise SpecError(
            f"{hidden.name} is not supported as the hidden activation: it couples every node of "
            f"a layer, which is derived only in the output layer; pick an elementwise activation "
            f"({', '.join(ELEMENTWISE)})."
        )
    if output.coupled and outputs == 1:
        raise SpecError(
            f"{output.name} needs two or more outputs: {output.single_output}. Give the output "
            "layer more nodes, or pick an elementwise output activation such as sigmoid."
        )
    if output.coupled and outputs > MAX_COUPLED_OUTPUTS:
        raise SpecError(
            f"{output.name} over {outputs} outputs is beyond the limit of {MAX_COUPLED_OUTPUTS}: "
            f"each output's delta is derived through all {outputs} entries of its row of the "
            "Jacobian."
        )


def of(expr: Any) -> Function | None:
    """The record of a SymPy function application (`tanh(z)` → tanh), or None."""
    return by_sympy_name().get(type(expr).__name__)


@functools.cache
def by_sympy_name() -> dict[str, Function]:
    """Records keyed by the class name SymPy gives their function (`log`, `Abs`, `sigmoid`)."""
    return {
        record.symbolic.__name__: record
        for record in FUNCTIONS
        if isinstance(record.symbolic, type)
    }


# ---------------------------------------------------------------------------- SymPy side


class Names:
    """What a record's SymPy forms are written against: every record's function by name, `sp`
    for the rest of SymPy, and `product` for a product kept as written."""

    def __init__(self, as_written: bool) -> None:
        import sympy

        from symderiv.core.written import product

        self.sp = sympy
        self.product = product if as_written else sympy.Mul

    def __getattr__(self, name: str) -> Any:
        if name in BY_NAME:
            return BY_NAME[name].symbolic
        raise AttributeError(f"no function {name!r} in the table")


@functools.cache
def names(as_written: bool = True) -> Names:
    """The namespace records' forms are called with; `as_written` keeps products as built."""
    return Names(as_written)


@functools.cache
def _symbolic(name: str) -> Any:
    import sympy

    record = BY_NAME[name]
    if record.sympy is not None:
        return record.sympy(sympy)
    if record.coupled:
        return _coupled_function(record, sympy)
    return _named_function(record, sympy)


def _named_function(record: Function, sp: Any) -> type:
    """A SymPy function class for a record SymPy does not have: it differentiates, evaluates and
    prints by the record, and `rewrite(definition)` gives its definition in plain SymPy."""

    def fdiff(self: Any, argindex: int = 1) -> Any:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return record.derivative_at(self.args[0], as_written=False)

    def evaluate(cls: Any, z: Any) -> Any:
        if z.is_number and z.is_zero and not isinstance(record.definition_at(z), sp.Piecewise):
            return record.definition_at(z)
        if record.derived_by is DerivedBy.CASES and z.is_extended_real is not None:
            definition = record.definition_at(z)
            if z.is_extended_nonnegative or z.is_extended_negative:
                return definition.doit() if definition.has(sp.Piecewise) else definition
        return None

    def _eval_is_real(self: Any) -> Any:
        return self.args[0].is_real

    def _latex(self: Any, printer: Any, exp: Any = None) -> str:
        body = r"%s\left(%s\right)" % (record.latex, printer._print(self.args[0]))
        return body if exp is None else r"%s^{%s}" % (body, exp)

    methods = {
        "nargs": 1,
        "eval": classmethod(evaluate),
        "fdiff": fdiff,
        "_eval_is_real": _eval_is_real,
        "_latex": _latex,
    }
    return _record_class(record, sp, methods)


def _record_class(record: Function, sp: Any, methods: dict[str, Any]) -> type:
    """A SymPy function class named after `record`, with `methods`: it evaluates numerically
    through its definition, `definition()` and `rewrite(definition)` give that in plain SymPy,
    and it pickles by name, like a class written in this module."""

    def definition(self: Any) -> Any:
        """The expression the function stands for."""
        return record.definition_at(*self.args)

    def _eval_evalf(self: Any, prec: int) -> Any:
        return self.definition()._eval_evalf(prec)

    def _eval_rewrite_as_definition(self: Any, *args: Any, **kwargs: Any) -> Any:
        return record.definition_at(*args)

    namespace = {
        "__module__": __name__,
        "__doc__": f"{record.title}: {record.formula or record.name}",
        "definition": definition,
        "_eval_evalf": _eval_evalf,
        "_eval_rewrite_as_definition": _eval_rewrite_as_definition,
        **methods,
    }
    cls = type(record.name, (sp.Function,), namespace)
    globals()[record.name] = cls
    return cls


def _coupled_function(record: Function, sp: Any) -> type:
    """The SymPy function `f(j, z_1, …, z_n)`: output j of a coupled layer with input sums z.

    It differentiates by the record's Jacobian (SymPy's chain rule then sums over every z_k),
    evaluates and prints by the record (`softmax(z⁽²⁾)₁`), and `rewrite(definition)` gives the
    definition in plain SymPy.
    """

    def evaluate(cls: Any, index: Any, *layer: Any) -> Any:
        if not (index.is_Integer and 1 <= int(index) <= len(layer)):
            raise ValueError(f"{record.name}(j, z_1, …, z_n) needs 1 ≤ j ≤ n, not j = {index}")
        return None

    def fdiff(self: Any, argindex: int = 1) -> Any:
        index, *layer = self.args
        if argindex == 1:
            return sp.S.Zero  # the output's index is a constant
        k = argindex - 1
        other = type(self)(sp.Integer(k), *layer)
        return record.jacobian_at(self, other, int(index) == k, as_written=False)

    def _eval_is_real(self: Any) -> Any:
        return sp.core.logic.fuzzy_and(z.is_real for z in self.args[1:])

    def _latex(self: Any, printer: Any, exp: Any = None) -> str:
        index, *layer = self.args
        vector = _vector_latex(layer) or ", ".join(printer._print(z) for z in layer)
        body = r"%s\left(%s\right)_{%s}" % (record.latex, vector, index)
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)

    def _sympystr(self: Any, printer: Any) -> str:
        index, *layer = self.args
        vector = _vector_text(layer) or ", ".join(printer._print(z) for z in layer)
        return "%s(%s)%s" % (record.text, vector, str(index).translate(naming.SUBSCRIPT_DIGITS))

    methods = {
        "eval": classmethod(evaluate),
        "fdiff": fdiff,
        "_eval_is_real": _eval_is_real,
        "_latex": _latex,
        "_sympystr": _sympystr,
    }
    return _record_class(record, sp, methods)


def _layer_of(symbols: Sequence[Any]) -> naming.ParsedName | None:
    """The layer `z1_1, …, z1_n` are all the input sums of (as `z1`), or None."""
    parsed = [naming.parse_name(getattr(s, "name", "")) for s in symbols]
    first = parsed[0]
    if first is None or first.stem not in naming.LAYERED:
        return None
    expected = [(first.stem, first.layer, (j,)) for j in range(1, len(symbols) + 1)]
    found = [(p.stem, p.layer, p.indices) if p else None for p in parsed]
    return first if found == expected else None


def _vector_latex(symbols: Sequence[Any]) -> str | None:
    """`z^{(2)}` for the input sums of layer 2 (`z2_1, …, z2_n`), else None."""
    layer = _layer_of(symbols)
    if layer is None:
        return None
    written = notation.current()
    base = written.delta_latex if layer.stem == "delta" else naming.LAYERED[layer.stem]
    return base + written.mark_latex(layer.layer or 0)


def _vector_text(symbols: Sequence[Any]) -> str | None:
    """`z⁽²⁾` for the input sums of layer 2, else None."""
    layer = _layer_of(symbols)
    if layer is None:
        return None
    written = notation.current()
    base = written.delta_text if layer.stem == "delta" else naming.LAYERED_TEXT[layer.stem]
    return base + written.mark_text(layer.layer or 0)


def rewrite_definitions(expr: Any) -> Any:
    """Replace every named function by its definition in plain SymPy.

    Used by checks that must not trust the records' derivatives: differentiating the result with
    `sympy.diff` is independent of them.
    """
    named = tuple(
        record.symbolic for record in FUNCTIONS if record.sympy is None and record.definition
    )
    return expr.replace(lambda e: isinstance(e, named), lambda e: e.definition())


def activation_names() -> Iterable[str]:
    """The activations' names, for help texts and errors."""
    return ACTIVATIONS.keys()


def __getattr__(name: str) -> Any:
    """`from symderiv.core.functions import sigmoid`: the SymPy class of a named function."""
    record = BY_NAME.get(name)
    if record is not None and record.sympy is None:
        return record.symbolic
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
