"""Judging a hand-derived gradient: correct, incorrect (with the mistake named) or cannot judge.

Equivalence is decided by evaluation, not by `simplify` (too slow on real gradients) or
`.equals()` (can freeze on some inputs). The answer and the derived gradient are evaluated at random
points with 30 significant digits and compared with a relative and an absolute tolerance:

- A point gives values to every base variable (`x`, `y`, `w`, `b`, and `∂J/∂ŷ` when the cost is
  abstract) as short decimals; a forward pass through the network's own equations, then the
  backward pass through the deltas' recursion, gives every `z`, `a`, `ŷ` and `δ` there. That is
  the same as substituting `network.nested` and the expanded deltas, at a fraction of the cost,
  so an answer may use any of those names.
- A point where either side is not a finite real number (`ln` of a negative, division by zero),
  or where a `z` is 0 (ReLU's kink), is skipped; if too many are skipped the verdict is
  *cannot judge*, never a guess. So is a gradient that vanishes at nearly every point (inactive
  ReLU units).
- A difference is confirmed at 60 digits before the verdict is *incorrect*, and the point is
  shown as a counterexample.
- The evaluator is this module's own: a SymPy tree compiled into a list of mpmath operations.
  Nothing is turned into Python code (`lambdify` runs generated source, so a crafted symbol
  name would run), and anything it does not know is refused as *cannot judge*.

When the answer is wrong, `diagnose` looks for the one chain-rule mistake that explains it, by
testing models of the answer built from the gradient's factors (`g.chain`, or δ × input): the
answer is `c` times the truth (sign error, off by a constant), or the truth with one factor
missing, doubled, or replaced (wrong input, wrong weight, wrong activation or cost derivative).
A model fits when the ratio answer/model is the same constant at every point.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import functools
import hashlib
import itertools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from symderiv.check import sandbox
from symderiv.core import naming
from symderiv.core.costs import COSTS
from symderiv.core.errors import SymderivError
from symderiv.core.functions import relu, sigmoid, softplus
from symderiv.core.network import Node
from symderiv.core.spec import NetworkSpec
from symderiv.core.written import product, total
from symderiv.engine.derivation import (
    Backprop,
    Factor,
    FactorKind,
    Gradient,
    activation_factor,
    cost_symbol,
    derive,
)
from symderiv.parse.latex import looks_like_latex, parse_translation, translate
from symderiv.parse.plain import ParseError, parse_expression
from symderiv.render.printing import to_text

PRECISION = 30  # significant digits of every comparison
CONFIRM_PRECISION = 60  # digits a difference is confirmed with
RTOL = mpmath.mpf("1e-15")  # relative tolerance: room for 15 digits lost to cancellation
ATOL = mpmath.mpf("1e-24")  # absolute tolerance, for values that are (nearly) zero
TARGET_POINTS = 16  # points compared when all goes well
MIN_POINTS = 8  # fewer comparable points than this: cannot judge
MIN_INFORMATIVE = 4  # points where the gradient is not zero
MAX_ATTEMPTS = 200  # points tried before giving up
MAX_MAGNITUDE_BITS = 20_000  # |value| above 2**this counts as overflow (not finite)
DEFAULT_TIMEOUT = 5.0
FORMATS = ("auto", "plain", "latex")
MAX_CANDIDATES = 40  # per kind of replacement tried by the diagnosis
MAX_CACHED_PROGRAMS = 20_000  # compiled expressions kept per precision


class Verdict(enum.Enum):
    """The three answers a check gives; the value is what is printed."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    CANNOT_JUDGE = "cannot judge"

    @property
    def exit_code(self) -> int:
        return {"correct": 0, "incorrect": 1, "cannot judge": 2}[self.value]


class Mistake(enum.Enum):
    """The kinds of chain-rule mistake the diagnosis names."""

    SIGN = "sign"
    CONSTANT = "constant"
    ZERO = "zero"
    MISSING_FACTOR = "missing_factor"
    EXTRA_FACTOR = "extra_factor"
    WRONG_INPUT = "wrong_input"
    WRONG_WEIGHT = "wrong_weight"
    WRONG_ACTIVATION_DERIVATIVE = "wrong_activation_derivative"
    WRONG_COST_DERIVATIVE = "wrong_cost_derivative"
    UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class Diagnosis:
    """What is wrong, in chain-rule terms.

    `factor` names the chain-rule factor concerned (`∂ŷ/∂z₂`), `expected` is its correct value,
    `found` what the answer has instead, `constant` the factor the answer is off by.
    """

    mistake: Mistake
    message: str
    factor: str | None = None
    expected: str | None = None
    found: str | None = None
    constant: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "mistake": self.mistake.value,
            "message": self.message,
            "factor": self.factor,
            "expected": self.expected,
            "found": self.found,
            "constant": self.constant,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Diagnosis:
        return cls(
            Mistake(data["mistake"]),
            str(data["message"]),
            data.get("factor"),
            data.get("expected"),
            data.get("found"),
            data.get("constant"),
        )


@dataclass(frozen=True)
class Counterexample:
    """Values of the base variables at which the answer and the gradient differ."""

    point: tuple[tuple[str, str], ...]  # (symbol name, exact decimal value)
    answer: str
    expected: str

    def to_json(self) -> dict[str, Any]:
        return {"point": dict(self.point), "answer": self.answer, "expected": self.expected}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Counterexample:
        point = tuple((str(k), str(v)) for k, v in dict(data["point"]).items())
        return cls(point, str(data["answer"]), str(data["expected"]))


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer, with the evidence for it.

    `reason` says why in one sentence (for *cannot judge*, with the caret picture of a parse
    error); `read_as` is the answer as understood, `points` the number of points compared.
    """

    verdict: Verdict
    param: str
    reason: str
    read_as: str | None = None
    input_format: str | None = None
    points: int = 0
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None
    error_position: int | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "param": self.param,
            "reason": self.reason,
            "read_as": self.read_as,
            "format": self.input_format,
            "points": self.points,
            "diagnosis": None if self.diagnosis is None else self.diagnosis.to_json(),
            "counterexample": None
            if self.counterexample is None
            else self.counterexample.to_json(),
            "error_position": self.error_position,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        diagnosis = data.get("diagnosis")
        counterexample = data.get("counterexample")
        return cls(
            verdict=Verdict(data["verdict"]),
            param=str(data["param"]),
            reason=str(data["reason"]),
            read_as=data.get("read_as"),
            input_format=data.get("format"),
            points=int(data.get("points") or 0),
            diagnosis=None if diagnosis is None else Diagnosis.from_json(diagnosis),
            counterexample=None
            if counterexample is None
            else Counterexample.from_json(counterexample),
            error_position=data.get("error_position"),
        )


def cannot_judge(param: str, reason: str, **fields: Any) -> CheckResult:
    return CheckResult(Verdict.CANNOT_JUDGE, param, reason, **fields)


# ---------------------------------------------------------------------------- entry points


def check(
    spec: NetworkSpec | None,
    param: str,
    answer: str,
    *,
    fmt: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckResult:
    """Judge `answer` for `∂J/∂param` in a child process limited to `timeout` seconds.

    The network is derived (once per spec, cached) in this process; only the work on the
    answer runs in the child, so no answer can hang or exhaust the caller.
    """
    judge = judge_for(spec or NetworkSpec())
    judge.prepare(param)
    outcome = sandbox.run_limited(
        _check_to_json, judge, param, answer, fmt, limits=sandbox.Limits(seconds=timeout)
    )
    return result_from_outcome(outcome, param)


def check_answer(
    spec: NetworkSpec | None, param: str, answer: str, *, fmt: str = "auto"
) -> CheckResult:
    """Judge `answer` in this process (bounded by the parser's limits, but not by time)."""
    return judge_for(spec or NetworkSpec()).check(param, answer, fmt)


def result_from_outcome(outcome: sandbox.Outcome, param: str) -> CheckResult:
    """The result a child sent back, or *cannot judge* with the reason it did not finish."""
    if outcome.ok:
        return CheckResult.from_json(outcome.value)
    if outcome.status == sandbox.ERROR:
        return cannot_judge(param, f"internal error while checking ({outcome.message})")
    return cannot_judge(param, outcome.message)


def _check_to_json(judge: Judge, param: str, answer: str, fmt: str) -> dict[str, Any]:
    return judge.check(param, answer, fmt).to_json()


@functools.lru_cache(maxsize=8)
def judge_for(spec: NetworkSpec) -> Judge:
    """The judge for a network, built once per spec (deriving the network is the costly part)."""
    return Judge(derive(spec))


# ---------------------------------------------------------------------------- evaluator


class _Undefined(Exception):
    """The expression has no finite real value at this point."""


class Unsupported(SymderivError):
    """An expression with a function the evaluator does not know."""


class _Program:
    """An expression compiled to mpmath operations over numbered value slots.

    Each instruction appends one value: a slot's value, a constant, or a function of earlier
    values. Shared sub-expressions are computed once.
    """

    __slots__ = ("code",)

    def __init__(self, code: list[tuple[int, Any]]) -> None:
        self.code = code

    def run(self, slots: Sequence[Any]) -> Any:
        values: list[Any] = []
        push = values.append
        try:
            for kind, arg in self.code:
                if kind == 0:
                    push(slots[arg])
                elif kind == 1:
                    push(arg)
                else:
                    function, indices = arg
                    push(function(*[values[i] for i in indices]))
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            raise _Undefined from None
        return values[-1]


class _Evaluator:
    """Compiles expressions for one mpmath context (one precision)."""

    def __init__(self, digits: int, slots: Mapping[sp.Symbol, int]) -> None:
        self.ctx = mpmath.MPContext()
        self.ctx.dps = digits
        self.slots = slots
        self.cache: dict[sp.Basic, _Program] = {}
        self.limit = self.ctx.mpf(2) ** 14  # exp of more than this would overflow the bound

    def compile(self, expr: sp.Basic) -> _Program:
        cached = self.cache.get(expr)
        if cached is not None:
            return cached
        code: list[tuple[int, Any]] = []
        index: dict[sp.Basic, int] = {}

        def visit(node: sp.Basic) -> int:
            found = index.get(node)
            if found is not None:
                return found
            if isinstance(node, sp.Symbol):
                if node not in self.slots:
                    raise Unsupported(f"no value for the symbol {node.name!r}")
                code.append((0, self.slots[node]))
            elif node.is_Number or isinstance(
                node, (sp.NumberSymbol, sp.core.numbers.ImaginaryUnit)
            ):
                code.append((1, self.constant(node)))
            else:
                function = self.operation(node)
                indices = tuple(visit(arg) for arg in self.operands(node))
                code.append((2, (function, indices)))
            index[node] = len(code) - 1
            return index[node]

        visit(expr)
        program = _Program(code)
        if len(self.cache) >= MAX_CACHED_PROGRAMS:  # a long-lived judge sees endless answers
            self.cache.clear()
        self.cache[expr] = program
        return program

    def constant(self, node: sp.Basic) -> Any:
        ctx = self.ctx
        if node is sp.E:
            return ctx.e
        if node is sp.pi:
            return ctx.pi
        if node is sp.I:
            return ctx.mpc(0, 1)
        if isinstance(node, sp.Rational):
            return ctx.mpf(int(node.p)) / int(node.q)
        if isinstance(node, sp.Float):
            return ctx.mpf(str(node))
        raise Unsupported(f"cannot evaluate the constant {node}")

    @staticmethod
    def operands(node: sp.Basic) -> tuple[sp.Basic, ...]:
        if isinstance(node, sp.Pow) and node.exp.is_Integer:
            return (node.base,)  # the integer exponent is part of the operation
        return tuple(node.args)

    def operation(self, node: sp.Basic) -> Callable[..., Any]:
        ctx = self.ctx
        if isinstance(node, sp.Add):
            return _add
        if isinstance(node, sp.Mul):
            return _multiply
        if isinstance(node, sp.Pow):
            if node.exp.is_Integer:
                n = int(node.exp)
                return lambda b: self.bounded(b**n)
            if node.exp == sp.S.Half:
                return ctx.sqrt
            return self.power
        simple: dict[type, Callable[..., Any]] = {
            sp.sin: ctx.sin,
            sp.cos: ctx.cos,
            sp.tan: ctx.tan,
            sp.sec: ctx.sec,
            sp.csc: ctx.csc,
            sp.cot: ctx.cot,
            sp.asin: ctx.asin,
            sp.acos: ctx.acos,
            sp.atan: ctx.atan,
            sp.tanh: ctx.tanh,
            sp.Abs: abs,
            sp.sign: ctx.sign,
            sp.re: ctx.re,
            sp.im: ctx.im,
        }
        for kind, function in simple.items():
            if isinstance(node, kind):
                return function
        if isinstance(node, sp.exp):
            return self.exp
        if isinstance(node, sp.log):
            return self.log
        if isinstance(node, (sp.sinh, sp.cosh)):
            method = ctx.sinh if isinstance(node, sp.sinh) else ctx.cosh
            return lambda x: method(self.check_exponent(x))
        if isinstance(node, sigmoid):
            return lambda x: 1 / (1 + self.exp(-x))
        if isinstance(node, softplus):
            return lambda x: self.log(1 + self.exp(x))
        if isinstance(node, relu):
            return lambda x: x if self.real(x) > 0 else ctx.zero
        if isinstance(node, sp.Heaviside):
            return self.heaviside
        name = getattr(node, "func", type(node)).__name__
        raise Unsupported(f"cannot evaluate {name}(...)")

    def real(self, value: Any) -> Any:
        if isinstance(value, self.ctx.mpc):
            if value.imag != 0:
                raise _Undefined
            return value.real
        return value

    def check_exponent(self, x: Any) -> Any:
        if abs(self.real(x) if not isinstance(x, self.ctx.mpc) else x.real) > self.limit:
            raise _Undefined
        return x

    def exp(self, x: Any) -> Any:
        return self.ctx.exp(self.check_exponent(x))

    def log(self, x: Any) -> Any:
        if x == 0:
            raise _Undefined
        return self.ctx.log(x)

    def power(self, base: Any, exponent: Any) -> Any:
        if base == 0:
            if self.real(exponent) <= 0:
                raise _Undefined
            return self.ctx.zero
        size = exponent * self.ctx.log(abs(base))
        if abs(self.real(size) if not isinstance(size, self.ctx.mpc) else size.real) > self.limit:
            raise _Undefined
        return self.ctx.power(base, exponent)

    def heaviside(self, x: Any, at_zero: Any = None) -> Any:
        x = self.real(x)
        if x > 0:
            return self.ctx.one
        if x < 0:
            return self.ctx.zero
        return self.ctx.mpf(0.5) if at_zero is None else at_zero

    def bounded(self, value: Any) -> Any:
        if value != 0 and self.ctx.mag(value) > MAX_MAGNITUDE_BITS:
            raise _Undefined
        return value

    def finite_real(self, value: Any) -> Any:
        """The value as a finite real mpf, or `_Undefined`."""
        ctx = self.ctx
        if isinstance(value, ctx.mpc):
            if abs(value.imag) > ATOL + RTOL * abs(value.real):
                raise _Undefined
            value = value.real
        if not ctx.isfinite(value) or (value != 0 and ctx.mag(value) > MAX_MAGNITUDE_BITS):
            raise _Undefined
        return value

    def value(self, program: _Program, slots: Sequence[Any]) -> Any:
        return self.finite_real(program.run(slots))


def _add(*terms: Any) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _multiply(*factors: Any) -> Any:
    result = factors[0]
    for factor in factors[1:]:
        result = result * factor
    return result


def _close(a: Any, b: Any) -> bool:
    """Equal within the tolerance: |a − b| ≤ ATOL + RTOL·max(|a|, |b|)."""
    return bool(abs(a - b) <= ATOL + RTOL * max(abs(a), abs(b)))


# ---------------------------------------------------------------------------- the judge


@dataclass(frozen=True)
class _Sample:
    """One comparable point: the decimals drawn, every slot's value, answer and truth."""

    draws: tuple[int, ...]  # hundredths, one per base slot
    slots: tuple[Any, ...]
    answer: Any
    truth: Any


@dataclass(frozen=True)
class _Link:
    """One factor `∂of/∂wrt` of the true gradient, as the diagnosis names it.

    Its text is made only when a diagnosis names it: printing every candidate would cost
    more than testing it.
    """

    kind: FactorKind | None  # None: the sum over the paths above a branching node
    value: sp.Expr
    of: sp.Expr
    wrt: sp.Expr
    node: Node | None = None  # the node whose activation an ACTIVATION factor differentiates

    @property
    def label(self) -> str:
        return f"∂{_shown(self.of)}/∂{_shown(self.wrt)}"

    @property
    def shown(self) -> str:
        """`∂ŷ/∂z₂ = σ'(z₂) = ŷ·(1 − ŷ)`."""
        value = _shown(self.value)
        if self.kind is FactorKind.ACTIVATION and self.node is not None:
            prime = f"{_function_name(self.node)}'({_shown(self.node.z)})"
            return f"{self.label} = {prime}" + ("" if prime == value else f" = {value}")
        return f"{self.label} = {value}"


_REPLACEMENTS = {
    Mistake.WRONG_INPUT: "wrong input",
    Mistake.WRONG_WEIGHT: "wrong weight",
    Mistake.WRONG_ACTIVATION_DERIVATIVE: "wrong activation derivative",
    Mistake.WRONG_COST_DERIVATIVE: "wrong cost derivative",
}


@dataclass(frozen=True)
class _Model:
    """What the answer would be after one particular mistake.

    `links` are the true factors concerned (missing, doubled or replaced); `instead` is what
    the answer has in place of the one factor replaced, or the extra factor.
    """

    mistake: Mistake
    expr: sp.Expr
    links: tuple[_Link, ...] = ()
    instead: sp.Expr | None = None

    def diagnosis(self, suffix: str = "", constant: str | None = None) -> Diagnosis:
        shown = " and ".join(link.shown for link in self.links)
        factor = ", ".join(link.label for link in self.links) or None
        expected = ", ".join(_shown(link.value) for link in self.links) or None
        found = None if self.instead is None else _shown(self.instead)
        if self.mistake is Mistake.MISSING_FACTOR:
            plural = "s" if len(self.links) > 1 else ""
            message = f"missing factor{plural} {shown}"
        elif self.mistake is Mistake.EXTRA_FACTOR and self.links:
            message, expected, found = f"extra factor: {shown} appears twice", None, expected
        elif self.mistake is Mistake.EXTRA_FACTOR:
            message = f"extra factor {found}"
        else:
            message = f"{_REPLACEMENTS[self.mistake]}: {found} where {shown}"
        return Diagnosis(self.mistake, message + suffix, factor, expected, found, constant)


@dataclass(frozen=True)
class _Reading:
    expr: sp.Expr
    input_format: str


class Judge:
    """Everything needed to judge answers for one network: symbols, evaluators, truths."""

    def __init__(self, backprop: Backprop) -> None:
        self.backprop = backprop
        network = backprop.network
        self.network = network
        self.abstract = network.cost.is_abstract
        outputs = range(1, len(network.outputs) + 1)
        self.cost_symbols = tuple(cost_symbol(network, j) for j in outputs) if self.abstract else ()
        self.base = (*network.base_variables, *self.cost_symbols)
        self.targets = frozenset(network.targets)
        intermediates = [s for node in network.nodes for s in (node.z, node.a)]
        deltas = [d.symbol for d in backprop.deltas]
        order = [*self.base, *intermediates, *deltas]
        self.slots: dict[sp.Symbol, int] = {s: i for i, s in enumerate(order)}
        self.names: dict[str, sp.Symbol] = {s.name: s for s in order}
        self.aliases = self._aliases()
        self.z_slots = tuple(self.slots[node.z] for node in network.nodes)
        self.steps: list[tuple[int, sp.Expr]] = []
        for node in network.nodes:  # forward pass
            self.steps.append((self.slots[node.z], node.z_definition))
            self.steps.append((self.slots[node.a], node.a_definition))
        for delta in backprop.deltas:  # backward pass, output layer first
            self.steps.append((self.slots[delta.symbol], delta.value))
        self.evaluators: dict[int, _Evaluator] = {}
        self.model_cache: dict[sp.Symbol, list[_Model]] = {}

    # -- names

    def _aliases(self) -> dict[str, sp.Symbol]:
        """Other spellings of network names: `a2` for the output `ŷ`, and `w_2` for `w2`."""
        aliases: dict[str, sp.Symbol] = {}
        network = self.network
        last = network.depth
        for node in network.layers[-1]:
            indices = () if network.spec.is_chain else (node.index,)
            aliases[naming.layered("a", last, *indices)] = node.a
        if network.spec.is_chain:
            for name in [*self.names, *aliases]:
                parsed = naming.parse_name(name)
                if parsed is not None and parsed.layer is not None and not parsed.indices:
                    target = self.names.get(name) or aliases[name]
                    aliases[f"{parsed.stem}_{parsed.layer}"] = target
        return aliases

    def symbol(self, name: str) -> sp.Symbol | None:
        return self.names.get(name) or self.aliases.get(name)

    def gradient(self, param: str) -> Gradient:
        """The gradient for `param`, also written `w_2` or in LaTeX (`w^{(2)}_{11}`)."""
        text = param.strip()
        if looks_like_latex(text):
            with contextlib.suppress(ParseError):
                text = translate(text).plain.strip()
        symbol = self.symbol(text)
        if symbol is not None:
            text = symbol.name
        return self.backprop.gradient(text)

    def prepare(self, param: str, *, diagnosis: bool = False) -> None:
        """Compile what checking `param` needs now, so that forked children inherit it.

        With `diagnosis`, also the models of every mistake (worth it for a batch, where many
        answers share a parameter; a single correct answer never needs them).
        """
        try:
            gradient = self.gradient(param)
        except SymderivError:
            return
        evaluator = self.evaluator(PRECISION)
        for _, expr in self.steps:
            evaluator.compile(expr)
        evaluator.compile(gradient.value)
        if diagnosis:
            models = self.model_cache.setdefault(gradient.parameter, list(self.models(gradient)))
            for model in models:
                with contextlib.suppress(Unsupported):
                    evaluator.compile(model.expr)

    def evaluator(self, digits: int) -> _Evaluator:
        if digits not in self.evaluators:
            self.evaluators[digits] = _Evaluator(digits, self.slots)
        return self.evaluators[digits]

    # -- reading

    def read(self, answer: str, fmt: str = "auto") -> _Reading:
        """The answer as an expression in the network's symbols; ParseError otherwise."""
        if fmt not in FORMATS:
            raise SymderivError(f"unknown format {fmt!r}: use auto, plain or latex")
        if fmt == "auto":
            fmt = "latex" if looks_like_latex(answer) else "plain"
        locate: Callable[[int], int] = _same_position
        plain = answer
        if fmt == "latex":
            translation = translate(answer)
            expr = parse_translation(translation)
            plain, locate = translation.plain, translation.source_position
        else:
            expr = parse_expression(answer)
        for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
            if self.symbol(symbol.name) is None:
                position = locate(_find_name(plain, symbol.name))
                raise ParseError(answer, position, self.unknown_message(symbol.name))
        mapping = {sp.Symbol(name): target for name, target in self.aliases.items()}
        return _Reading(expr.xreplace(mapping), fmt)

    def unknown_message(self, name: str) -> str:
        known = [*self.names, *self.aliases]
        message = f"unknown symbol {name!r} for the {self.network.spec.label} network."
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if close:
            message += f" Did you mean {close[0]!r}?"
        if len(name) > 1 and all(self.symbol(c) is not None for c in name):
            message += f" For a product write {'*'.join(name)}."
        if name.lower() in ("sigma", "sig"):
            message += " For the sigmoid write σ(z) or sigmoid(z)."
        names = list(self.names)
        if len(names) <= 30:
            message += f" Known: {', '.join(names)}."
        else:
            message += f" Known: {', '.join(names[:12])}, … ({len(names)} names)."
        return message

    # -- judging

    def check(self, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        """The verdict on `answer` for `∂J/∂param`; user errors become *cannot judge*."""
        try:
            gradient = self.gradient(param)
        except SymderivError as error:
            return cannot_judge(param, str(error))
        name = gradient.parameter.name
        try:
            reading = self.read(answer, fmt)
        except ParseError as error:
            return cannot_judge(name, str(error), error_position=error.position)
        except (SymderivError, RecursionError) as error:
            return cannot_judge(name, str(error) or "the answer is nested too deeply")
        read_as = _shown(reading.expr)
        try:
            return self.judge(gradient, reading.expr, answer, reading.input_format, read_as)
        except Unsupported as error:
            return cannot_judge(
                name, str(error), read_as=read_as, input_format=reading.input_format
            )

    def judge(
        self, gradient: Gradient, answer: sp.Expr, text: str, input_format: str, read_as: str
    ) -> CheckResult:
        name = gradient.parameter.name
        evaluator = self.evaluator(PRECISION)
        answer_program = evaluator.compile(answer)
        truth_program = evaluator.compile(gradient.value)
        rng = random.Random(_seed(self.network.spec, name, text))
        samples: list[_Sample] = []
        skipped = {"network": 0, "truth": 0, "answer": 0}
        informative = 0
        for _ in range(MAX_ATTEMPTS):
            draws = self.draw(rng)
            slots = self.forward(evaluator, draws)
            if slots is None:
                skipped["network"] += 1
                continue
            try:
                truth = evaluator.value(truth_program, slots)
            except _Undefined:
                skipped["truth"] += 1
                continue
            try:
                value = evaluator.value(answer_program, slots)
            except _Undefined:
                skipped["answer"] += 1
                continue
            samples.append(_Sample(draws, tuple(slots), value, truth))
            informative += abs(truth) > ATOL
            if len(samples) >= TARGET_POINTS and informative >= MIN_INFORMATIVE:
                break
        common: dict[str, Any] = {
            "read_as": read_as,
            "input_format": input_format,
            "points": len(samples),
        }
        if len(samples) < MIN_POINTS:
            return cannot_judge(name, _skipped_reason(skipped, len(samples)), **common)
        confirmed = self.confirm(gradient, answer, samples)
        if confirmed is not None:
            sample, answer_value, truth_value = confirmed
            return CheckResult(
                Verdict.INCORRECT,
                name,
                f"the answer differs from ∂J/∂{_text_name(name)}",
                diagnosis=self.diagnose(gradient, samples),
                counterexample=self.counterexample(sample, answer_value, truth_value),
                **common,
            )
        if informative < MIN_INFORMATIVE:
            return cannot_judge(
                name,
                f"∂J/∂{_text_name(name)} is 0 at all but {informative} of {len(samples)} sample "
                "points (inactive units), too few to tell answers apart",
                **common,
            )
        return CheckResult(
            Verdict.CORRECT,
            name,
            f"equal to ∂J/∂{_text_name(name)} at {len(samples)} random points",
            **common,
        )

    def draw(self, rng: random.Random) -> tuple[int, ...]:
        """Hundredths for every base variable: targets in [0.05, 0.95], others ±[0.1, 2]."""
        draws = []
        for symbol in self.base:
            if symbol in self.targets:
                draws.append(rng.randint(5, 95))
            else:
                draws.append(rng.choice((-1, 1)) * rng.randint(10, 200))
        return tuple(draws)

    def forward(self, evaluator: _Evaluator, draws: Sequence[int]) -> list[Any] | None:
        """Every slot's value at a point, or None where the network itself is undefined."""
        ctx = evaluator.ctx
        slots: list[Any] = [ctx.mpf(k) / 100 for k in draws]
        slots.extend([None] * (len(self.slots) - len(slots)))
        try:
            for slot, expr in self.steps:
                slots[slot] = evaluator.value(evaluator.compile(expr), slots)
        except _Undefined:
            return None
        if any(abs(slots[i]) < 1e-9 for i in self.z_slots):
            return None  # on a kink (ReLU at 0): derivatives there are a convention
        return slots

    def confirm(
        self, gradient: Gradient, answer: sp.Expr, samples: Sequence[_Sample]
    ) -> tuple[_Sample, Any, Any] | None:
        """The worst differing point, confirmed at higher precision, or None if none differ."""
        differing = [s for s in samples if not _close(s.answer, s.truth)]
        if not differing:
            return None
        differing.sort(key=lambda s: _relative_difference(s.answer, s.truth), reverse=True)
        precise = self.evaluator(CONFIRM_PRECISION)
        for sample in differing[:3]:
            slots = self.forward(precise, sample.draws)
            if slots is None:
                continue
            try:
                answer_value = precise.value(precise.compile(answer), slots)
                truth_value = precise.value(precise.compile(gradient.value), slots)
            except _Undefined:
                continue
            if not _close(answer_value, truth_value):
                return sample, answer_value, truth_value
        return None

    def counterexample(self, sample: _Sample, answer: Any, truth: Any) -> Counterexample:
        point = tuple((s.name, _decimal(k)) for s, k in zip(self.base, sample.draws))
        ctx = self.evaluator(CONFIRM_PRECISION).ctx
        digits = 10
        while digits < 30 and ctx.nstr(answer, digits) == ctx.nstr(truth, digits):
            digits += 5
        return Counterexample(point, ctx.nstr(answer, digits), ctx.nstr(truth, digits))

    # -- diagnosis

    def diagnose(self, gradient: Gradient, samples: Sequence[_Sample]) -> Diagnosis:
        """The single chain-rule mistake that explains the answer, or UNEXPLAINED."""
        evaluator = self.evaluator(PRECISION)
        truth_ratio = self.fit(evaluator, gradient.value, samples)
        if truth_ratio is not None:
            return self.constant_diagnosis(gradient, truth_ratio)
        fits: list[tuple[_Model, Fraction]] = []
        models = self.model_cache.get(gradient.parameter) or self.models(gradient)
        for model in models:
            ratio = self.fit(evaluator, model.expr, samples)
            if ratio is None:
                continue
            nice = _nice(ratio)
            if nice == 1:
                return model.diagnosis()
            if nice is not None:
                fits.append((model, nice))
        if fits:
            model, constant = fits[0]
            extra = "a sign error" if constant == -1 else f"off by a factor {constant}"
            return model.diagnosis(f"; and {extra}", str(constant))
        return Diagnosis(
            Mistake.UNEXPLAINED,
            "no single chain-rule mistake explains the difference; compare the factors of "
            f"∂J/∂{_text_name(gradient.parameter.name)} one by one",
        )

    def fit(self, evaluator: _Evaluator, model: sp.Expr, samples: Sequence[_Sample]) -> Any:
        """The constant `c` with answer = c·model at every sample, or None."""
        try:
            program = evaluator.compile(model)
        except Unsupported:
            return None
        ratio = None
        for sample in samples:
            try:
                value = evaluator.value(program, sample.slots)
            except _Undefined:
                return None
            if ratio is None:
                if abs(value) <= ATOL:
                    if not _close(sample.answer, 0):
                        return None
                    continue
                ratio = sample.answer / value
            elif not _close(sample.answer, ratio * value):
                return None
        return ratio

    def constant_diagnosis(self, gradient: Gradient, ratio: Any) -> Diagnosis:
        target = f"∂J/∂{_text_name(gradient.parameter.name)}"
        nice = _nice(ratio)
        if nice == 0:
            return Diagnosis(Mistake.ZERO, f"the answer is 0 everywhere, but {target} is not")
        if nice == -1:
            return Diagnosis(
                Mistake.SIGN,
                f"sign error: the answer is −{target}",
                constant="-1",
            )
        shown = str(nice) if nice is not None else mpmath.nstr(ratio, 6)
        message = f"off by a constant factor: the answer is {shown} × {target}"
        cost = self.network.cost.name
        if nice == Fraction(1, 2) and cost == "squared_error":
            message += "; the 2 from differentiating the square (ŷ − y)² is missing"
        elif nice == 2 and cost == "half_squared_error":
            message += "; the ½ in ½(ŷ − y)² cancels the 2 from differentiating the square"
        elif nice == Fraction(1, 2) and cost == "half_squared_error":
            message += "; the ½ in ½(ŷ − y)² was kept although the 2 from the square cancels it"
        return Diagnosis(Mistake.CONSTANT, message, constant=shown)

    def links(self, gradient: Gradient) -> list[_Link]:
        """The factors whose product is the gradient, outermost first."""
        if gradient.chain is not None:
            return [self.link(f) for f in gradient.chain]
        delta = gradient.delta
        paths = total(product(s, f.value) for s, f in delta.downstream)
        return [
            _Link(None, paths, self.network.J, delta.node.a),
            self.link(delta.activation),
            self.link(gradient.local),
        ]

    def link(self, factor: Factor) -> _Link:
        node = None
        if factor.kind is FactorKind.ACTIVATION:
            node = next(n for n in self.network.nodes if n.a == factor.of)
        return _Link(factor.kind, factor.value, factor.of, factor.wrt, node)

    def models(self, gradient: Gradient) -> Iterable[_Model]:
        """Every single mistake tried, in the order a diagnosis prefers them."""
        links = self.links(gradient)
        rest = [
            (link, product(*(other.value for j, other in enumerate(links) if j != i)))
            for i, link in enumerate(links)
        ]
        candidates = self.candidates(gradient)
        for link, others in rest:
            if link.value != 1:
                yield _Model(Mistake.MISSING_FACTOR, others, (link,))
        for link, others in rest:
            if link.kind is FactorKind.INPUT:
                replacements = [(Mistake.WRONG_INPUT, s) for s in candidates["inputs"]]
            elif link.kind is FactorKind.WEIGHT:
                replacements = [(Mistake.WRONG_WEIGHT, s) for s in candidates["weights"]]
            else:
                continue
            for mistake, symbol in replacements:
                if symbol != link.value:
                    yield _Model(mistake, product(others, symbol), (link,), symbol)
        for link, others in rest:
            if link.kind is FactorKind.ACTIVATION and link.node is not None:
                mistake = Mistake.WRONG_ACTIVATION_DERIVATIVE
                alternatives = self.activation_alternatives(link.node)
            elif link.kind is FactorKind.COST and not self.abstract:
                mistake = Mistake.WRONG_COST_DERIVATIVE
                alternatives = self.cost_alternatives(link)
            else:
                continue
            for alternative in alternatives:
                yield _Model(mistake, product(others, alternative), (link,), alternative)
        truth = product(*(link.value for link in links))
        for link in links:
            if link.value != 1:
                yield _Model(Mistake.EXTRA_FACTOR, product(truth, link.value), (link,))
        for extra in candidates["extras"]:
            yield _Model(Mistake.EXTRA_FACTOR, product(truth, extra), (), extra)
        for (i, first), (j, second) in itertools.combinations(enumerate(links), 2):
            if first.value != 1 and second.value != 1:
                kept = [link.value for k, link in enumerate(links) if k not in (i, j)]
                yield _Model(Mistake.MISSING_FACTOR, product(*kept), (first, second))

    def candidates(self, gradient: Gradient) -> dict[str, list[sp.Expr]]:
        """Symbols a mistake might put in place of a factor, nearest layers first."""
        layer = gradient.node.layer
        network = self.network

        def nearest(nodes_symbols: Iterable[tuple[int, sp.Expr]]) -> list[sp.Expr]:
            ranked = sorted(nodes_symbols, key=lambda pair: abs(pair[0] - layer))  # stable
            unique = list(dict.fromkeys(symbol for _, symbol in ranked))
            return unique[:MAX_CANDIDATES]

        inputs = nearest(
            [(0, x) for x in network.inputs]
            + [(n.layer, n.a) for n in network.nodes]
            + [(n.layer, n.z) for n in network.nodes]
        )
        weights = nearest(
            [(n.layer, w) for n in network.nodes for w in n.weights]
            + [(n.layer, n.bias) for n in network.nodes]
            + [(n.layer - 1, a) for n in network.nodes for a in n.inputs]
        )
        extras = nearest(
            [(0, x) for x in network.inputs]
            + [(n.layer, n.a) for n in network.nodes]
            + [(n.layer, w) for n in network.nodes for w in n.weights]
            + [(network.depth, y) for y in network.targets]
            + [(n.layer, activation_factor(n).value) for n in network.nodes]
            + [(network.depth, yhat - y) for y, yhat in zip(network.targets, network.outputs)]
        )
        extras = [e for e in extras if not e.is_number]
        return {"inputs": inputs, "weights": weights, "extras": extras}

    def activation_alternatives(self, node: Node) -> list[sp.Expr]:
        """Derivatives a student might write for this node's activation instead of the right one."""
        a, z = node.a, node.z
        name = node.activation.name
        options: list[sp.Expr] = {
            "sigmoid": [a, a**2, 1 - a, (1 - a) ** 2, product(z, 1 - z), 1 - a**2],
            "tanh": [a, a**2, 1 - a, 1 - z**2, 1 + a**2, product(a, 1 - a), 1 - sp.tanh(a) ** 2],
            "relu": [z, a],
            "softplus": [a, product(sigmoid(z), 1 - sigmoid(z)), sp.exp(z)],
            "linear": [z],
        }.get(name, [])
        right = activation_factor(node).value
        for other in self.network.nodes:
            if other is not node:
                value = activation_factor(other).value
                if value != right:
                    options.append(value)
        return [o for o in options if o != right][:MAX_CANDIDATES]

    def cost_alternatives(self, link: _Link) -> list[sp.Expr]:
        """Derivatives of ∂J/∂ŷ a student might write instead: other costs' and common slips."""
        network = self.network
        index = next(
            (j for j, yhat in enumerate(network.outputs) if link.value.has(yhat)),
            0,
        )
        y, yhat = network.targets[index], network.outputs[index]
        options: list[sp.Expr] = [
            cost.gradient((y, yhat), sp.Symbol("J"))
            for cost in COSTS.values()
            if not cost.is_abstract and cost.name != network.cost.name
        ]
        options += [
            yhat - y,
            2 * (yhat - y),
            -y / yhat,
            (1 - y) / (1 - yhat),
            y / yhat + (1 - y) / (1 - yhat),
            yhat,
            y,
        ]
        return [o for o in options if o != link.value]


# ---------------------------------------------------------------------------- helpers


def _nice(ratio: Any) -> Fraction | None:
    """`ratio` as a simple fraction (|numerator|, denominator ≤ 24), if it is one."""
    value = float(ratio)
    if not (abs(value) < 1e6):
        return None
    fraction = Fraction(value).limit_denominator(24)
    if abs(fraction.numerator) > 24 * 24:
        return None
    if abs(float(fraction) - value) > 1e-12 * max(1.0, abs(value)):
        return None
    return fraction


def _relative_difference(a: Any, b: Any) -> Any:
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else abs(a - b)


def _seed(spec: NetworkSpec, param: str, answer: str) -> int:
    """Points depend on the question and the answer only: the same input, the same report."""
    key = f"{spec!r}\x00{param}\x00{answer}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def _decimal(hundredths: int) -> str:
    """`-137` → `-1.37`, `50` → `0.5`: the exact value drawn."""
    sign = "-" if hundredths < 0 else ""
    whole, part = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{part:02d}".rstrip("0").rstrip(".")


def _same_position(position: int) -> int:
    return position


def _find_name(text: str, name: str) -> int:
    """Where `name` occurs in `text` as a whole word (0 when written another way, e.g. `δ₂`)."""
    match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)
    return match.start() if match else 0


def _skipped_reason(skipped: Mapping[str, int], judged: int) -> str:
    worst = max(skipped, key=lambda key: skipped[key])
    count = skipped[worst]
    tried = judged + sum(skipped.values())
    if worst == "answer":
        return (
            f"the answer is not a finite real number at {count} of {tried} sample points "
            "(a logarithm or root of a negative number, a division by zero, an overflow?)"
        )
    return (
        f"the network's gradient is undefined at {count} of {tried} sample points "
        "(this network and cost do not fit together, e.g. a logarithm of a negative output)"
    )


def _shown(expr: sp.Expr) -> str:
    return to_text(expr)


def _text_name(name: str) -> str:
    return naming.text_name(name) or name


def _function_name(node: Node) -> str:
    names = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "softplus": "softplus"}
    return names.get(node.activation.name, "id")


__all__ = [
    "CheckResult",
    "Counterexample",
    "Diagnosis",
    "Judge",
    "Mistake",
    "Verdict",
    "check",
    "check_answer",
    "judge_for",
    "result_from_outcome",
]
