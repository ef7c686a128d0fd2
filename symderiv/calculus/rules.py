"""One frozen dataclass per differentiation rule: a step claims `d/d(wrt) expr = result`.

The class is the rule's identity: `rule_id` (snake case of the class name) and `title` (the rule
as a calculus course names it) are class attributes, never loose strings. Every step stores its
result, so no printer ever differentiates again, and its children in `substeps`, in the order a
reader follows them. Rules with named children (a chain rule's outer and inner derivative) read
them from `substeps` through properties, so the tree has one source of truth and no reader has
to know a child's position.

`Rewrite` is the one step that claims an equality instead of a derivative: `expr = result`, for
simplifications shown to the reader rather than done silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy as sp

from symderiv.core.functions import Function

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

Substitution = tuple[sp.Symbol, sp.Expr]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """d/dx f = f', justified by the rule the subclass names."""

    title: ClassVar[str] = "step"
    rule_id: ClassVar[str] = "step"

    expr: sp.Expr
    wrt: sp.Symbol
    result: sp.Expr
    substeps: tuple[Step, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if not isinstance(getattr(cls, "rule_id", None), property):  # a rule that names itself
            base_name = cls.__name__.removesuffix("Rule")
            cls.rule_id = _CAMEL.sub("_", base_name).lower()

    @property
    def substitutions(self) -> tuple[Substitution, ...]:
        """Variables this step introduces, as (symbol, what it stands for)."""
        return ()

    @property
    def is_equality(self) -> bool:
        """True when the step claims `expr = result` rather than `d/d(wrt) expr = result`."""
        return False

    def _repr_markdown_(self) -> str:
        """The derivation step by step as Markdown with LaTeX math, for Jupyter (what
        `symderiv steps --format markdown` prints). The renderer is imported when a notebook
        shows the step, not when this module loads, so the step engine stays below the
        renderers; IPython finds the method by its name, so nothing has to be registered."""
        from symderiv.api import render_steps

        return render_steps(self, "markdown")


# ---------------------------------------------------------------------------- constants


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantRule(Step):
    """d/dx c = 0"""

    title: ClassVar[str] = "constant rule"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldConstantRule(Step):
    """∂/∂x f(y) = 0: in a partial derivative every other variable is held constant"""

    title: ClassVar[str] = "other variables held constant"
    held: tuple[sp.Symbol, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableRule(Step):
    """d/dx x = 1"""

    title: ClassVar[str] = "derivative of the variable"


# ---------------------------------------------------------------------------- linearity


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantMultipleRule(Step):
    """d/dx c·f(x) = c·f'(x)"""

    title: ClassVar[str] = "constant multiple rule"
    constant: sp.Expr
    factor: sp.Expr

    @property
    def factor_step(self) -> Step:
        return self.substeps[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class SumRule(Step):
    """d/dx (f + g − h) = f' + g' − h'"""

    title: ClassVar[str] = "sum rule"
    terms: tuple[sp.Expr, ...]

    @property
    def term_steps(self) -> tuple[Step, ...]:
        """One derivative a term, in the order of `terms`."""
        return self.substeps


# ---------------------------------------------------------------------------- powers, products


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerRule(Step):
    """d/dx x^n = n·x^(n−1) for a constant n (roots and reciprocals included)"""

    title: ClassVar[str] = "power rule"
    exponent: sp.Expr

    @property
    def kind(self) -> str:
        """How a course names this power: integer, reciprocal, square root, root, rational, real."""
        n = self.exponent
        if n.is_Integer:
            return "reciprocal" if n.is_negative else "integer"
        if n.is_Rational:
            if abs(n) == sp.S.Half:
                return "square root"
            return "root" if abs(n.p) == 1 else "rational"
        return "real"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRule(Step):
    """d/dx (f·g) = f'·g + f·g' (one factor differentiated at a time)"""

    title: ClassVar[str] = "product rule"
    factors: tuple[sp.Expr, ...]

    @property
    def factor_steps(self) -> tuple[Step, ...]:
        """One derivative a factor, in the order of `factors`."""
        return self.substeps


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotientRule(Step):
    """d/dx f/g = (f'·g − f·g')/g²"""

    title: ClassVar[str] = "quotient rule"
    numerator: sp.Expr
    denominator: sp.Expr

    @property
    def numerator_step(self) -> Step:
        return self.substeps[0]

    @property
    def denominator_step(self) -> Step:
        return self.substeps[1]

    @property
    def tidy_step(self) -> Step | None:
        """The `Rewrite` that collects like terms of the formula, when it needs one."""
        return self.substeps[2] if len(self.substeps) > 2 else None

    @property
    def combined(self) -> sp.Expr:
        """(f'·g − f·g')/g² as the formula gives it, before a `Rewrite` substep tidies it."""
        tidy = self.tidy_step
        return tidy.expr if tidy is not None else self.result


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainRule(Step):
    """d/dx f(g(x)) = f'(g(x))·g'(x)"""

    title: ClassVar[str] = "chain rule"
    outer: sp.Expr  # f, written in `variable`
    inner: sp.Expr  # g(x)
    variable: sp.Symbol  # the name given to g(x) while f is differentiated

    @property
    def outer_step(self) -> Step:
        return self.substeps[0]

    @property
    def inner_step(self) -> Step:
        return self.substeps[1]

    @property
    def substitutions(self) -> tuple[Substitution, ...]:
        return ((self.variable, self.inner),)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogarithmicDifferentiation(Step):
    """d/dx f^g = f^g·d/dx(g·ln f), since f^g = e^(g·ln f)"""

    title: ClassVar[str] = "logarithmic differentiation"
    base: sp.Expr
    exponent: sp.Expr
    logarithm: sp.Expr  # g·ln f, the exponent of e

    @property
    def logarithm_step(self) -> Step:
        return self.substeps[0]


# ---------------------------------------------------------------------------- exp and log


@dataclass(frozen=True, slots=True, kw_only=True)
class ExponentialRule(Step):
    """d/dx a^x = a^x·ln a, so d/dx e^x = e^x"""

    title: ClassVar[str] = "exponential rule"
    base: sp.Expr


@dataclass(frozen=True, slots=True, kw_only=True)
class LogBaseRule(Step):
    """d/dx log_b x = 1/(x·ln b), since log_b x = ln x / ln b"""

    title: ClassVar[str] = "logarithm rule, base b"
    base: sp.Expr


# ---------------------------------------------------------------------------- functions


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionRule(Step):
    """d/dx f(x) = f'(x), the standard derivative the function's record states"""

    function: Function

    @property
    def rule_id(self) -> str:  # type: ignore[override]
        return self.function.rule_id

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.function.step_title


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionRule(FunctionRule):
    """f'(z) from f's definition, then rewritten into the form a lecture uses (σ' = σ(1 − σ))"""

    definition: sp.Expr

    @property
    def definition_step(self) -> Step:
        return self.substeps[0]

    @property
    def rewrite_step(self) -> Step:
        return self.substeps[1]


@dataclass(frozen=True, slots=True, kw_only=True)
class CasesRule(FunctionRule):
    """f'(z) piece by piece from a piecewise definition, with the convention at the seams"""

    definition: sp.Piecewise
    convention: str  # what is used where the pieces meet and f has no derivative

    @property
    def piece_steps(self) -> tuple[Step, ...]:
        return self.substeps


# ---------------------------------------------------------------------------- the rest


@dataclass(frozen=True, slots=True, kw_only=True)
class Rewrite(Step):
    """expr = result: a simplification shown as its own step, never done silently"""

    title: ClassVar[str] = "rewrite"
    reason: str  # plain ASCII prose: why the two forms are equal
    identities: tuple[tuple[sp.Expr, sp.Expr], ...] = ()  # equalities the rewrite uses

    @property
    def is_equality(self) -> bool:
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Fallback(Step):
    """d/dx f computed by SymPy: no named rule applies, the result is still right"""

    title: ClassVar[str] = "derivative computed by SymPy (no named rule)"
    reason: str  # plain ASCII prose


RULES: tuple[type[Step], ...] = (
    ConstantRule,
    HeldConstantRule,
    VariableRule,
    ConstantMultipleRule,
    SumRule,
    PowerRule,
    ProductRule,
    QuotientRule,
    ChainRule,
    LogarithmicDifferentiation,
    ExponentialRule,
    LogBaseRule,
    FunctionRule,
    DefinitionRule,
    CasesRule,
    Rewrite,
    Fallback,
)
"""Every rule, in the order a course meets them; renderers test that each has its prose."""
