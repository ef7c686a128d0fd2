"""The Python API the command line is built on.

>>> from symderiv import api
>>> backprop = api.derive()                    # the seed 1-1-1 network
>>> print(api.render_derivation(None, "w1", "text"))
"""

from __future__ import annotations

from symderiv.derivation import Backprop, Gradient, derive
from symderiv.spec import NetworkSpec

__all__ = ["derive", "render_derivation", "select_gradients"]


def select_gradients(backprop: Backprop, param: str) -> list[Gradient]:
    """The gradients called `param`, or all of them for `all`."""
    if param.strip().lower() == "all":
        return list(backprop.gradients)
    return [backprop.gradient(param.strip())]


def render_derivation(spec: NetworkSpec | None, param: str = "all", fmt: str = "text") -> str:
    """The chain-rule derivation of `param` (or all parameters) as text, LaTeX or Markdown."""
    from symderiv.templating import render
    from symderiv.views import derivation_context

    backprop = derive(spec)
    gradients = select_gradients(backprop, param)
    extension = {"text": "txt", "latex": "tex", "markdown": "md"}[fmt]
    return render(fmt, f"derive.{extension}.jinja", **derivation_context(backprop, gradients))
