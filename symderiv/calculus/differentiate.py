"""Differentiate an expression the way a calculus course does, returning the tree of steps.

Each matcher looks at the expression's top-level form and returns a step or None; the dispatcher
tries them in order and ends in `Fallback`, which asks `sympy.diff`, so every expression gets a
correct derivative even when no named rule applies. Every step's `result` equals
`sympy.diff(step.expr, step.wrt)` (a `Rewrite` claims `expr = result` instead).

Decisions a reader may want to know:

- A product with factors that do not involve the variable is a constant multiple first:
  `3·y·sin(x)` is `(3y)·sin(x)` with y held constant.
- A quotient rule is shown when the product, written as a fraction (factors with a negative
  numeric exponent go below the line), has a numerator *and* a denominator that depend on the
  variable: `sin(x)/x`, `e^x/(1 + x²)`. With a constant numerator, `c/g(x)` is a constant times
  the power `g(x)^(−1)` and goes through the chain and power rules, as `1/(1 + e^(−z))` does.
- `log(x, b)` reaches SymPy as `ln x / ln b` and is recognised as a logarithm to base b.
- A function of the table (`symderiv.core.functions`) is derived as its record says: a standard
  derivative stated, its definition differentiated and the function recognised again by a
  separate `Rewrite` step (σ), or a piecewise definition differentiated piece by piece.
- Substitution variables (`g`, then `u`, `v`, ...) are chosen when the step is built, never
  clashing with a symbol of the expression or of an enclosing chain rule.

Cost: no `simplify` and no expansion; work grows with the size of the expression tree, which the
parser bounds (see `symderiv.parse.plain`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symderiv.calculus import rules as r
from symderiv.core import functions
from symderiv.core.functions import DerivedBy, Function

_VARIABLE_NAMES = ("g", "u", "v", "h", "p", "q", "s", "t")


def differentiate(expr: sp.Expr, wrt: sp.Symbol) -> r.Step:
    """The tree of steps computing d(expr)/d(wrt); its root's `result` is the derivative."""
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"can only differentiate a SymPy expression, not {type(expr).__name__}")
    if not isinstance(wrt, sp.Symbol):
        raise TypeError(f"can only differentiate with respect to a Symbol, not {wrt!r}")
    taken = frozenset(s.name for s in expr.free_symbols if isinstance(s, sp.Symbol))
    return _diff(expr, wrt, _Names(taken | {wrt.name}))


@dataclass(frozen=True, slots=True)
class _Names:
    """Symbol names already in use where a step is built."""

    taken: frozenset[str]

    def fresh(self) -> tuple[sp.Symbol, _Names]:
        """A new substitution variable, and the names in use once it is taken."""
        candidates = [*_VARIABLE_NAMES, *(f"u{i}" for i in range(1, len(self.taken) + 2))]
        name = next(n for n in candidates if n not in self.taken)
        return sp.Symbol(name), _Names(self.taken | {name})


Matcher = Callable[[sp.Expr, sp.Symbol, _Names], "r.Step | None"]


def _diff(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step:
    for matcher in _MATCHERS:
        step = matcher(expr, wrt, names)
        if step is not None:
            return step
    return r.Fallback(
        expr=expr,
        wrt=wrt,
        result=sp.diff(expr, wrt),
        reason=f"no named rule for {type(expr).__name__}",
    )


# ---------------------------------------------------------------------------- constants


def _constant(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    if expr.has(wrt):
        return None
    held = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    if held:
        return r.HeldConstantRule(expr=expr, wrt=wrt, result=sp.S.Zero, held=held)
    return r.ConstantRule(expr=expr, wrt=wrt, result=sp.S.Zero)


def _variable(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    if expr != wrt:
        return None
    return r.VariableRule(expr=expr, wrt=wrt, result=sp.S.One)


# ---------------------------------------------------------------------------- linearity


def _sum(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    if not expr.is_Add:
        return None
    steps = tuple(_diff(term, wrt, names) for term in expr.args)
    result = sp.Add(*(step.result for step in steps))
    return r.SumRule(expr=expr, wrt=wrt, result=result, substeps=steps, terms=expr.args)


def _product(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    """Constant multiples, logarithms to a base, quotients and products, in that order."""
    if not expr.is_Mul:
        return None
    constants = [f for f in expr.args if not f.has(wrt)]
    varying = [f for f in expr.args if f.has(wrt)]
    if len(varying) == 1 and isinstance(varying[0], sp.log):
        base = _log_base(constants)
        if base is not None:
            constants.remove(1 / sp.log(base))
            core = varying[0] / sp.log(base)
            core_step = _log_to_base(core, varying[0].args[0], base, wrt, names)
            if not constants:
                return core_step
            return _constant_multiple(expr, wrt, sp.Mul(*constants), core, core_step)
    if constants:
        factor = sp.Mul(*varying)
        return _constant_multiple(expr, wrt, sp.Mul(*constants), factor, _diff(factor, wrt, names))
    above = [f for f in varying if not _is_reciprocal(f)]
    below = [1 / f for f in varying if _is_reciprocal(f)]
    if above and below:
        return _quotient(expr, wrt, sp.Mul(*above), sp.Mul(*below), names)
    if below:  # 1/(f·g): one reciprocal of a product
        return _chain(expr, wrt, names, lambda u: 1 / u, sp.Mul(*below))
    steps = tuple(_diff(f, wrt, names) for f in varying)
    terms = [
        sp.Mul(*(step.result if j == i else f for j, f in enumerate(varying)))
        for i, step in enumerate(steps)
    ]
    return r.ProductRule(
        expr=expr, wrt=wrt, result=sp.Add(*terms), substeps=steps, factors=tuple(varying)
    )


def _constant_multiple(
    expr: sp.Expr, wrt: sp.Symbol, constant: sp.Expr, factor: sp.Expr, factor_step: r.Step
) -> r.Step:
    return r.ConstantMultipleRule(
        expr=expr,
        wrt=wrt,
        result=constant * factor_step.result,
        substeps=(factor_step,),
        constant=constant,
        factor=factor,
    )


def _is_reciprocal(factor: sp.Expr) -> bool:
    return bool(factor.is_Pow and factor.exp.is_Rational and factor.exp.is_negative)


def _log_base(constants: list[sp.Expr]) -> sp.Expr | None:
    """b when the constant factors include 1/ln b, as SymPy writes log(x, b) = ln x / ln b."""
    for factor in constants:
        if factor.is_Pow and factor.exp == -1 and isinstance(factor.base, sp.log):
            return factor.base.args[0]
    return None


def _log_to_base(
    expr: sp.Expr, argument: sp.Expr, base: sp.Expr, wrt: sp.Symbol, names: _Names
) -> r.Step:
    if argument == wrt:
        result = 1 / (wrt * sp.log(base))
        return r.LogBaseRule(expr=expr, wrt=wrt, result=result, base=base)
    return _chain(expr, wrt, names, lambda u: sp.log(u) / sp.log(base), argument)


def _quotient(
    expr: sp.Expr, wrt: sp.Symbol, numerator: sp.Expr, denominator: sp.Expr, names: _Names
) -> r.Step:
    top = _diff(numerator, wrt, names)
    bottom = _diff(denominator, wrt, names)
    first, second = top.result * denominator, numerator * bottom.result
    result = (first - second) / denominator**2
    # The formula as written, before SymPy collects like terms: shown, if it differs.
    difference = sp.Add(first, sp.Mul(-1, second, evaluate=False), evaluate=False)
    combined = sp.Mul(difference, sp.Pow(denominator, -2), evaluate=False)
    steps: tuple[r.Step, ...] = (top, bottom)
    if sp.sstr(combined) != sp.sstr(result):
        tidy = r.Rewrite(
            expr=combined,
            wrt=wrt,
            result=result,
            reason="tidy the numerator: collect like terms and signs",
        )
        steps = (top, bottom, tidy)
    return r.QuotientRule(
        expr=expr,
        wrt=wrt,
        result=result,
        substeps=steps,
        numerator=numerator,
        denominator=denominator,
    )


# ---------------------------------------------------------------------------- powers


def _power(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    if not expr.is_Pow:
        return None
    base, exponent = expr.base, expr.exp
    if not exponent.has(wrt):
        if base == wrt:
            result = exponent * wrt ** (exponent - 1)
            return r.PowerRule(expr=expr, wrt=wrt, result=result, exponent=exponent)
        return _chain(expr, wrt, names, lambda u: u**exponent, base)
    if not base.has(wrt):
        if exponent == wrt:
            result = expr * sp.log(base)
            return r.ExponentialRule(expr=expr, wrt=wrt, result=result, base=base)
        return _chain(expr, wrt, names, lambda u: base**u, exponent)
    logarithm = exponent * sp.log(base)
    step = _diff(logarithm, wrt, names)
    return r.LogarithmicDifferentiation(
        expr=expr,
        wrt=wrt,
        result=expr * step.result,
        substeps=(step,),
        base=base,
        exponent=exponent,
        logarithm=logarithm,
    )


def _chain(
    expr: sp.Expr,
    wrt: sp.Symbol,
    names: _Names,
    outer_of: Callable[[sp.Symbol], sp.Expr],
    inner: sp.Expr,
) -> r.Step:
    """f(g(x)): name g(x), differentiate f in that name and g in x, multiply, put g back."""
    variable, inside = names.fresh()
    outer = outer_of(variable)
    outer_step = _diff(outer, variable, inside)
    inner_step = _diff(inner, wrt, inside)
    result = outer_step.result.xreplace({variable: inner}) * inner_step.result
    return r.ChainRule(
        expr=expr,
        wrt=wrt,
        result=result,
        substeps=(outer_step, inner_step),
        outer=outer,
        inner=inner,
        variable=variable,
    )


# ---------------------------------------------------------------------------- functions


def _function(expr: sp.Expr, wrt: sp.Symbol, names: _Names) -> r.Step | None:
    """A function of the table applied to one argument: its own rule on the variable itself,
    the chain rule on anything else. `e^x` is the exponential rule, as for any power `a^x`."""
    record = functions.of(expr)
    if record is None or len(expr.args) != 1:
        return None
    (argument,) = expr.args
    if argument != wrt:
        return _chain(expr, wrt, names, type(expr), argument)
    if isinstance(expr, sp.exp):
        return r.ExponentialRule(expr=expr, wrt=wrt, result=expr, base=sp.E)
    if record.derived_by is DerivedBy.DEFINITION:
        return _by_definition(record, expr, wrt, names)
    if record.derived_by is DerivedBy.CASES:
        return _by_cases(record, expr, wrt, names)
    result = record.derivative_at(wrt, as_written=False)
    return r.FunctionRule(expr=expr, wrt=wrt, result=result, function=record)


def _by_definition(record: Function, expr: sp.Expr, z: sp.Symbol, names: _Names) -> r.Step:
    """Differentiate the definition, then recognise the function in the result."""
    definition = record.definition_at(z)
    definition_step = _diff(definition, z, names)
    final = record.derivative_at(z)  # in the order a course writes it (σ(z)·(1 − σ(z)))
    rewrite = r.Rewrite(
        expr=definition_step.result,
        wrt=z,
        result=final,
        reason=record.recognise_reason,
        identities=record.identities_at(z),
    )
    return r.DefinitionRule(
        expr=expr,
        wrt=z,
        result=final,
        substeps=(definition_step, rewrite),
        function=record,
        definition=definition,
    )


def _by_cases(record: Function, expr: sp.Expr, z: sp.Symbol, names: _Names) -> r.Step:
    """Differentiate each piece of a piecewise definition."""
    definition = record.definition_at(z)
    pieces = tuple(_diff(piece, z, names) for piece, _ in definition.args)
    return r.CasesRule(
        expr=expr,
        wrt=z,
        result=record.derivative_at(z),
        substeps=pieces,
        function=record,
        definition=definition,
        convention=record.convention,
    )


_MATCHERS: tuple[Matcher, ...] = (_constant, _variable, _sum, _product, _power, _function)
