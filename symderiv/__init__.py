"""symderiv: back-propagation derived step by step with SymPy, rendered to LaTeX and Markdown.

The entry points of `symderiv.api` are available here (`symderiv.derive`, `symderiv.steps`,
`symderiv.check`, ...). They are loaded on first use, so importing symderiv stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = (
    "NetworkSpec",
    "Notation",
    "use_notation",
    "check_answer",
    "derive",
    "generate_code",
    "gradcheck",
    "render_derivation",
    "steps",
    "worked_example",
    "write_exercises",
    "write_handout",
)
_ELSEWHERE = {
    "differentiate": "symderiv.calculus",
    "parse_expression": "symderiv.parse.plain",
    "parse_latex": "symderiv.parse.latex",
}
__all__ = ["__version__", *_API, *_ELSEWHERE]


def __getattr__(name: str) -> Any:
    import importlib

    if name in _API:
        return getattr(importlib.import_module("symderiv.api"), name)
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module 'symderiv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
