"""Every sentence a check of a matrix-form answer shows: verdicts, shapes and mistakes.

As `symderiv.check.messages` does for the scalar check: the judging code decides, these functions
word the decision. Arguments are printed already (`W⁽²⁾`, `n₂ × n₁ (2 × 3)`).
"""

from __future__ import annotations

from collections.abc import Sequence


def correct(label: str, entries: int, points: int, assuming: str = "") -> str:
    shown = f", assuming {assuming}" if assuming else ""
    every = "its entry" if entries == 1 else f"all {entries} entries"
    return f"equal to {label} ({every}) at {points} random points{shown}"


def wrong_shape(label: str) -> str:
    return f"the answer's shape is not that of {label}"


def unknown_name(name: str, network: str, known: Sequence[str]) -> str:
    return (
        f"unknown name {name!r} in the matrix form of the {network} network. "
        f"Known: {', '.join(known)}."
    )


def no_layer(param: str, network: str, depth: int) -> str:
    return f"{param}: the {network} network has layers 1 to {depth}"


def too_large() -> str:
    return "the answer is too large once written out entry by entry"


def cannot_multiply(
    left: str,
    left_shape: str,
    right: str,
    right_shape: str,
    *,
    entrywise_too: bool = False,
    only_here: tuple[str, str] | None = None,
) -> str:
    """`only_here`: the columns and rows that differ as sizes but are equal numbers here."""
    how = ", as matrices or entry by entry" if entrywise_too else ""
    said = f"{left}·{right} cannot multiply{how}: {left_shape} by {right_shape}"
    if only_here is not None:
        columns, rows = only_here
        said += f" (columns {columns} and rows {rows}: equal in this network, not in general)"
    return said


def cannot_combine(what: str, left: str, left_shape: str, right: str, right_shape: str) -> str:
    verb = {"add": "cannot be added", "entrywise": "cannot multiply entry by entry (⊙)"}[what]
    return f"{left} and {right} {verb}: {left_shape} and {right_shape}"


def divide_by_matrix(right: str, shape: str) -> str:
    return f"division by the matrix {right} ({shape}): only a number divides"


def matrix_power(base: str, shape: str) -> str:
    return f"{base} ({shape}) raised to a power: for each entry squared write {base} ⊙ {base}"


def not_a_column(arg: str, shape: str) -> str:
    return f"diag of {arg} ({shape}): diag takes a column"


def shapes_differ(shape: str, label: str, target_shape: str) -> str:
    return f"the answer is {shape}, {label} is {target_shape}"


def missing_transpose(name: str, problem: str) -> str:
    return f"missing transpose on {name}" + (f" ({problem})" if problem else "")


def extra_transpose(name: str, problem: str) -> str:
    return f"transpose of {name} not needed" + (f" ({problem})" if problem else "")


def transposed_answer(label: str, problem: str) -> str:
    return f"the answer is the transpose of {label}: factors in the wrong order" + (
        f" ({problem})" if problem else ""
    )


def swapped_factors(left: str, right: str, problem: str) -> str:
    return f"factors in the wrong order: {right}·{left}, not {left}·{right}" + (
        f" ({problem})" if problem else ""
    )


def product_for_entrywise(left: str, right: str, problem: str) -> str:
    return f"a matrix product where ⊙ (entry by entry) is meant: {left} ⊙ {right}" + (
        f" ({problem})" if problem else ""
    )


def entrywise_for_product(left: str, right: str, problem: str) -> str:
    return f"⊙ (entry by entry) where the matrix product is meant: {left}·{right}" + (
        f" ({problem})" if problem else ""
    )


def wrong_argument(found: str, meant: str, problem: str) -> str:
    return f"{found} where {meant} is meant" + (f" ({problem})" if problem else "")


def missing_average(term: str) -> str:
    return f"missing the average 1/m: the sum over the examples {term} is divided by m"


def average_off(term: str, found: str) -> str:
    return f"the average of {term} has the factor {found}, not 1/m"


def missing_decay(decay: str) -> str:
    return f"missing the L2 term {decay}"


def decay_off(decay: str, found: str) -> str:
    return f"the L2 term is {found}, not {decay}"


def unwanted_decay(found: str) -> str:
    return f"an L2 term {found} the network does not have (its λ is 0)"


def sign(label: str) -> str:
    return f"the sign is wrong: the answer is −{label}"


def constant(label: str, factor: str) -> str:
    return f"off by a constant factor: the answer is {factor}·{label}"
