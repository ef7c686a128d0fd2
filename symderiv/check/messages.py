"""Every sentence a check shows its user: reasons, verdicts and diagnoses.

The judging code decides; these functions only word the decision, so the wording can be read
(and changed) in one place. Arguments are already printed names and values.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from fractions import Fraction

from symderiv.check.result import Mistake
from symderiv.core import functions, naming, notation

# ---------------------------------------------------------------------------- names


def _d() -> str:
    """`∂J/∂`, with the cost letter of the notation in force."""
    return f"∂{notation.current().cost}/∂"


def gradient(param: str) -> str:
    """`w2` → `∂J/∂w₂`."""
    return notation.current().gradient_text(naming.text_name(param) or param)


def factor(of: str, wrt: str) -> str:
    """The chain-rule factor `∂ŷ/∂z₂`."""
    return f"∂{of}/∂{wrt}"


def derivative(function: str, argument: str) -> str:
    """`σ'(z₂)`."""
    return f"{function}'({argument})"


def factor_value(label: str, value: str, prime: str | None = None) -> str:
    """`∂ŷ/∂z₂ = σ'(z₂) = ŷ·(1 − ŷ)`: the factor, the derivative it is, and its value."""
    if prime is None:
        return f"{label} = {value}"
    return f"{label} = {prime}" + ("" if prime == value else f" = {value}")


# ---------------------------------------------------------------------------- reading


def unknown_format(fmt: str) -> str:
    return f"unknown format {fmt!r}: use auto, plain or latex"


def unknown_symbol(
    name: str,
    network: str,
    names: Sequence[str],
    close: str | None,
    spells_product: bool,
    latex: bool = False,
    needs_indices: bool = False,
) -> str:
    """An unknown symbol, with the known name it probably means and the ways it is often mistyped.

    `close` is that known name (one of `names`); `spells_product` says that the name is a row of
    known one-letter names (`xy`); `needs_indices` that it lacks the node indices every name of
    this network has.
    """
    message = f"unknown symbol {name!r} for the {network} network."
    if close:
        message += f" Did you mean {close!r}?"
    if needs_indices:
        example = (close if not latex else naming.latex_name(close)) if close else None
        message += " Here every w, b, z, a and δ has node indices too" + (
            f", as {example}." if example else "."
        )
    if spells_product:
        message += f" For a product write {'*'.join(name)}."
    meant = _function_meant(name)
    if meant is not None:
        spelling = meant.latex if latex else f"{meant.text}(z) or {meant.name}"
        message += f" For the {meant.title} write {spelling}(z)."
    if len(names) <= 30:
        message += f" Known: {', '.join(names)}."
    else:
        message += f" Known: {', '.join(names[:12])}, … ({len(names)} names)."
    return message


def gradient_as_factor(shown: str) -> str:
    """`∂J/∂w₂` written inside an answer: it is what the answer should equal."""
    return (
        f"{_d()}{shown} is a gradient, not a factor of one: write it only on the left of '=', "
        f"as {_d()}{shown} = your answer"
    )


def derivative_not_understood(shown: str) -> str:
    return (
        f"{_d()}{shown} is not understood in an answer; of the cost's derivatives only {_d()}ŷ "
        f"(the cost's own derivative) and {_d()}z (the delta δ) are: write the others out"
    )


def other_left_side(named: str, param: str, is_parameter: bool) -> str:
    """The left side of an answer written as an equation names another derivative."""
    checked = gradient(param)
    what = "another parameter" if is_parameter else "not a parameter"
    return (
        f"the left side of '=' is {_d()}{named} ({what}), but the answer is checked as {checked} "
        f"(--param {naming.shown_name(param)}): write {checked} on the left, "
        "or check the parameter it names"
    )


NESTED_TOO_DEEPLY = "the answer is nested too deeply"


def chained_step(written: str) -> str:
    """A later side of `∂J/∂w = A = B` that is not the gradient, though the first is."""
    return f"this is the later side {written!r}; the first side after '=' is right"


def internal_error(detail: str) -> str:
    return f"internal error while checking ({detail})"


# ---------------------------------------------------------------------------- verdicts


def correct(param: str, points: int, assuming: str = "") -> str:
    """`assuming`: what the random points were drawn to satisfy, e.g. "the targets sum to 1"."""
    shown = f", assuming {assuming}" if assuming else ""
    return f"equal to {gradient(param)} at {points} random points{shown}"


def incorrect(label: str) -> str:
    """`label`: what was checked, as shown (`∂J/∂w₂`, `δ⁽¹⁾`)."""
    return f"the answer differs from {label}"


def mostly_zero(label: str, informative: int, points: int) -> str:
    return (
        f"{label} is 0 at all but {informative} of {points} sample "
        "points (inactive units), too few to tell answers apart"
    )


def too_many_skipped(skipped: Mapping[str, int], judged: int) -> str:
    """Why too few points could be compared: the commonest reason a point was skipped."""
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


# ---------------------------------------------------------------------------- diagnoses

_REPLACEMENTS = {
    Mistake.WRONG_INPUT: "wrong input",
    Mistake.WRONG_WEIGHT: "wrong weight",
    Mistake.WRONG_ACTIVATION_DERIVATIVE: "wrong activation derivative",
    Mistake.WRONG_COST_DERIVATIVE: "wrong cost derivative",
    Mistake.TRANSPOSED_INDICES: "transposed weight indices",
}


def missing(factors: str, count: int) -> str:
    return f"missing factor{'s' if count > 1 else ''} {factors}"


def doubled(factors: str) -> str:
    return f"extra factor: {factors} appears twice"


def extra(found: str) -> str:
    return f"extra factor {found}"


def replaced(mistake: Mistake, found: str, factors: str) -> str:
    return f"{_REPLACEMENTS[mistake]}: {found} where {factors}"


_WEIGHT_INDICES = "w⁽ˡ⁾ⱼₖ joins node k of layer l − 1 to node j of layer l"


def wrong_argument(found: str, factor: str, z: str, argument: str) -> str:
    """`σ'(ŷ)` where `σ'(z₂)` is meant: the commonest slip in an activation's derivative."""
    return (
        f"activation derivative at the wrong argument: {found} where {factor}; the derivative "
        f"is taken at the input sum {z}, not at {argument}"
    )


def target_for_output(found: str, factor: str, target: str, output: str) -> str:
    """`y(1 − y)` where `ŷ(1 − ŷ)` is meant."""
    return (
        f"the target in place of the prediction: {found} where {factor}; the slope is the "
        f"output's, written with {output}, not with {target}"
    )


def other_activation(found: str, title: str, factor: str) -> str:
    """Another activation's derivative, as `a(1 − a)` (the sigmoid's) for ReLU's."""
    return f"wrong activation derivative: {found} (the derivative of the {title}) where {factor}"


def transposed_parameter(
    found: str, transposed: str, weight: str, source: str, node: int, right: str
) -> str:
    """`δ⁽¹⁾₂·x₁` for `w⁽¹⁾₁₂`: the gradient of the weight with its indices swapped."""
    return (
        f"transposed indices: {found} is {_d()}{transposed}; {weight} joins {source} to node "
        f"{node}, so {_d()}{weight} = {right} (the receiving node's delta times the input the "
        "weight multiplies)"
    )


def wrong_delta(found: str, param: str, node: int, layer: int | str, right: str) -> str:
    return (
        f"wrong node's delta: {found} where {param} belongs to node {node} of layer {layer}, "
        f"whose delta is {right}"
    )


def missing_terms(
    found: str, missing: Sequence[str], label: str, full: str, node: int, layer: int, count: int
) -> str:
    """A forgotten sum over the nodes a node feeds: which terms are missing."""
    return (
        f"forgotten sum over the {count} nodes that node {node} of layer {layer} feeds: "
        f"{label} = {full}, but the answer has only {found} (missing {' and '.join(missing)})"
    )


def transposed_sum(found: str, label: str, full: str) -> str:
    return f"transposed weight indices: {found} where {label} = {full} ({_WEIGHT_INDICES})"


def transposed_weight(wrong: str, right: str, label: str) -> str:
    return (
        f"transposed weight indices: {wrong} where {right} is meant, in {label} ({_WEIGHT_INDICES})"
    )


# ---------------------------------------------------------------------------- coupled outputs


def jacobian_sum(delta: str, index: int, z: str) -> str:
    """`δ₁ = Σₖ ∂J/∂ŷₖ·∂ŷₖ/∂z₁`: a coupled output's delta sums over every output."""
    return f"{delta} = Σₖ {_d()}ŷₖ·∂ŷₖ/∂{z}"


def jacobian_diagonal(
    found: str, title: str, label: str, entry: str, total: str, right: str, again: bool
) -> str:
    """Only the diagonal entry of a coupled layer's Jacobian: the layer taken as elementwise."""
    if again:
        return (
            f"{title} treated like an elementwise activation: {found} multiplies {right}, which "
            f"is already the whole delta ({total}), by the diagonal entry {label} = {entry} again"
        )
    return (
        f"{title} treated like an elementwise activation: {found} keeps only the diagonal entry "
        f"{label} = {entry} of its Jacobian, but every output depends on every z: {total} "
        f"= {right}"
    )


def no_jacobian(found: str, cost: str, title: str, total: str, right: str) -> str:
    """`∂J/∂ŷ_j` alone as the delta: the derivative through the coupled layer forgotten."""
    return f"missing the {title}'s Jacobian ∂ŷₖ/∂z: {found} is {cost} alone, but {total} = {right}"


def short_form(found: str, right: str, total: str, shortcut: Sequence[str], cost: str) -> str:
    """`ŷ − y` as the delta where the cost makes the Jacobian sum something else."""
    paired = " or ".join(shortcut)
    because = (
        f": the sum collapses to ŷ − y with the {paired}, not with the {cost}" if paired else ""
    )
    return f"wrong output delta: {found} where {total} = {right}{because}"


def in_output_deltas(message: str) -> str:
    """A coupled output's delta mistaken in a hidden parameter's gradient."""
    return f"{message} (in the output deltas this gradient sums over)"


def mixed_indices(found: str, delta: str, right: str, index: int) -> str:
    return (
        f"wrong output's prediction or target: {found} where {delta} = {right} "
        f"(output {index}'s own ŷ and y)"
    )


# ---------------------------------------------------------------------------- weight decay

_DECAY_CAUSES = {
    "half": "the ½ in {square} cancels the 2 from differentiating the square",
    "double": "the penalty is {square}, whose derivative is {right}",
    "alone": "the derivative of {square} keeps the weight: {right}",
    "sign": "the penalty is added to the cost, so its derivative is added to the gradient",
    "penalty": "that is the penalty itself; the gradient has its derivative {right}",
    "bias": "biases are not decayed: the L2 penalty sums the squares of the weights only",
}


def penalty(shown: str, indexed: bool) -> str:
    """`(λ/2)·w₂²`, the L2 penalty on one weight (`(λ/2)·(w⁽²⁾₁₁)²` where it has node indices)."""
    return f"(λ/2)·({shown})²" if indexed else f"(λ/2)·{shown}²"


def missing_decay(right: str, square: str, param: str) -> str:
    """An answer without the L2 term: the per-example gradient alone."""
    return (
        f"the weight-decay term {right} is missing: the L2 penalty {square} in the cost adds "
        f"{right} to {gradient(param)}"
    )


def wrong_decay(found: str, right: str, square: str, why: str) -> str:
    """The decay term written wrong: `λ·w/2`, `2·λ·w`, `λ` alone, `−λ·w` or the penalty."""
    cause = _DECAY_CAUSES[why].format(square=square, right=right)
    if why == "bias":
        return f"extra weight-decay term {found}: {cause}"
    return f"wrong weight-decay term: {found} where {right} is meant ({cause})"


def decay_right(right: str, message: str) -> str:
    """The decay term right, the mistake in the rest: the rest's diagnosis, said so."""
    return f"the weight-decay term {right} is right; in the rest of the answer: {message}"


def and_missing_decay(right: str) -> str:
    return f"; and the weight-decay term {right} is missing"


def unexplained_decay(param: str, right: str) -> str:
    return (
        "no single mistake explains the difference; with L2 weight decay "
        f"{gradient(param)} is the gradient without it plus {right}: compare the two parts"
    )


def examples_scalar(param: str, examples: int, layer: int, weight: bool, decayed: bool) -> str:
    """Why a scalar answer cannot be judged over a training set, and what to write instead."""
    below = "X^\\top" if layer == 1 else f"(A^{{({layer - 1})}})^\\top"
    if weight:
        decay = f" + (λ/m) W^{{({layer})}}" if decayed else ""
        instead = (
            f"check the whole matrix, --param W{layer}, as "
            f"(1/m) Δ^{{({layer})}} {below}{decay}, or leave out --examples to check "
            "one example's gradient"
        )
    else:
        instead = (
            "leave out --examples to check one example's gradient (over the training set the "
            f"layer's bias gradient is the mean (1/m) Δ^{{({layer})}} 1, without decay)"
        )
    return (
        f"with --examples {examples}, {gradient(param)} is a mean over the {examples} examples, "
        f"which a scalar answer cannot write: {instead}"
    )


def and_off_by(constant: Fraction) -> str:
    """What is added to a diagnosis when the answer is also off by a constant factor."""
    return "; and " + ("a sign error" if constant == -1 else f"off by a factor {constant}")


def unexplained(param: str) -> str:
    return (
        "no single chain-rule mistake explains the difference; compare the factors of "
        f"{gradient(param)} one by one"
    )


def zero(param: str) -> str:
    return f"the answer is 0 everywhere, but {gradient(param)} is not"


def sign(param: str) -> str:
    return f"sign error: the answer is −{gradient(param)}"


def sign_of_delta(delta: str, right: str, wrong: str) -> str:
    return f" ({delta} = {right}, not {wrong})"


def constant_factor(param: str, shown: str, nice: Fraction | None, cost: str) -> str:
    """Off by a constant factor, with the usual cause when the cost explains it."""
    message = f"off by a constant factor: the answer is {shown} × {gradient(param)}"
    if nice == Fraction(1, 2) and cost == "squared_error":
        message += "; the 2 from differentiating the square (ŷ − y)² is missing"
    elif nice == 2 and cost == "half_squared_error":
        message += "; the ½ in ½(ŷ − y)² cancels the 2 from differentiating the square"
    elif nice == Fraction(1, 2) and cost == "half_squared_error":
        message += "; the ½ in ½(ŷ − y)² was kept although the 2 from the square cancels it"
    return message


def _function_meant(name: str) -> functions.Function | None:
    """The function a name that is not one probably means: `sigma`, `sig` or `sigmod` for σ."""
    word = name.lower()
    spellings: dict[str, functions.Function] = {}
    for spelling, record in functions.typed_names():
        spellings.setdefault(spelling.lower(), record)
    for record in functions.FUNCTIONS:
        command = record.latex.lstrip("\\")
        if record.typed and (word == command or (len(word) >= 3 and record.name.startswith(word))):
            return record
    if len(word) < 4:
        return None
    close = difflib.get_close_matches(word, spellings, n=1, cutoff=0.75)
    return spellings[close[0]] if close else None
