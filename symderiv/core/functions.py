"""Named activation functions as SymPy functions.

A lecture writes `σ(z)`, not `1/(1 + e^(−z))`, and says `σ'(z) = σ(z)(1 − σ(z))`. Keeping the
sigmoid, ReLU and softplus as named functions lets every expression print the way the handout
speaks, while `rewrite_definitions` turns them into plain SymPy for independent checks.
"""

from __future__ import annotations

from typing import Any

import sympy as sp


class sigmoid(sp.Function):
    """The logistic function σ(z) = 1 / (1 + e^(−z))."""

    nargs = 1

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        if z.is_zero:
            return sp.S.Half
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: Any) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        return self.definition()._eval_evalf(prec)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_real else None

    def definition(self) -> sp.Expr:
        """The expression σ stands for."""
        return 1 / (1 + sp.exp(-self.args[0]))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class relu(sp.Function):
    """The rectifier ReLU(z) = max(0, z); its derivative is taken as 0 at z = 0."""

    nargs = 1

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        if z.is_extended_nonnegative:
            return z
        if z.is_extended_negative:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, z: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.Max(0, z)

    def _eval_rewrite_as_Piecewise(self, z: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.Piecewise((z, z > 0), (0, True))

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        return sp.Max(0, self.args[0])._eval_evalf(prec)

    def definition(self) -> sp.Expr:
        """The expression ReLU stands for."""
        return sp.Piecewise((self.args[0], self.args[0] > 0), (0, True))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class softplus(sp.Function):
    """The smooth rectifier softplus(z) = ln(1 + e^z); its derivative is σ(z)."""

    nargs = 1

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        if z.is_zero:
            return sp.log(2)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, z: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.log(1 + sp.exp(z))

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        return self.definition()._eval_evalf(prec)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def definition(self) -> sp.Expr:
        """The expression softplus stands for."""
        return sp.log(1 + sp.exp(self.args[0]))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        body = r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


NAMED_FUNCTIONS: tuple[type[sp.Function], ...] = (sigmoid, relu, softplus)


def rewrite_definitions(expr: sp.Expr) -> sp.Expr:
    """Replace σ, ReLU and softplus by their definitions in plain SymPy functions.

    Used by checks that must not trust this module's own derivative rules: differentiating the
    result with `sympy.diff` is independent of `fdiff` above.
    """
    return expr.replace(
        lambda e: isinstance(e, NAMED_FUNCTIONS),
        lambda e: e.definition(),
    )
