"""Step-by-step differentiation: a tree of named rules, and ways to read it."""

from symderiv.steps.differentiate import differentiate
from symderiv.steps.rules import RULES, Step
from symderiv.steps.walk import Line, explain, iter_steps, rule_ids, to_json, to_text, visit

__all__ = [
    "RULES",
    "Line",
    "Step",
    "differentiate",
    "explain",
    "iter_steps",
    "rule_ids",
    "to_json",
    "to_text",
    "visit",
]
