"""Step-by-step differentiation: a tree of named rules, and a traversal to read it.

The prose and the printed forms (text, LaTeX, Markdown) of a tree live in
`symderiv.render.steps`; this package knows no output format.
"""

from symderiv.calculus.differentiate import differentiate
from symderiv.calculus.rules import RULES, Step
from symderiv.calculus.walk import iter_steps, rule_ids, to_json, visit

__all__ = [
    "RULES",
    "Step",
    "differentiate",
    "iter_steps",
    "rule_ids",
    "to_json",
    "visit",
]
