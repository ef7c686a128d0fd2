"""The example handouts and exercise sheets kept in `output/`, written through the API by one
command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from symderiv.core.spec import NetworkSpec
from symderiv.render.handout import DEFAULT_TITLE


@dataclass(frozen=True)
class Example:
    name: str
    spec: NetworkSpec
    title: str
    warmup: bool = False
    steps: int = 0  # with steps > 0, the worked numeric example and that many descent steps
    slides: bool = False  # also the Beamer slides, `<name>-slides.tex` (and its PDF)
    notation: str = "default"  # the notation preset it is written in


GALLERY: tuple[Example, ...] = (
    # Exactly what `symderiv handout` writes with no arguments.
    Example("handout", NetworkSpec(), DEFAULT_TITLE, slides=True),
    Example(
        "seed_worked_example",
        NetworkSpec(),
        "The 1-1-1 network with a warm-up and a worked example",
        warmup=True,
        steps=10,
    ),
    Example(
        "half_squared_error",
        NetworkSpec(cost="half_squared_error"),
        "The 1-1-1 network with the half squared error",
    ),
    Example(
        "binary_cross_entropy",
        NetworkSpec(cost="binary_cross_entropy"),
        "The 1-1-1 network with binary cross-entropy",
        steps=1,
    ),
    Example("abstract_cost", NetworkSpec(cost="abstract"), "The 1-1-1 network, cost kept abstract"),
    Example(
        "deep_chain",
        NetworkSpec(layers=(1, 1, 1, 1, 1), hidden_activation="tanh"),
        "A deeper chain: four layers, tanh hidden units",
    ),
    Example(
        "wide_2_3_2",
        NetworkSpec(layers=(2, 3, 2), hidden_activation="relu"),
        "A wider network: 2-3-2 with ReLU hidden units",
    ),
    Example(
        "notation_ng",
        NetworkSpec(layers=(2, 2, 1)),
        "The 2-2-1 network in Ng's notation: dW, dz and layers in brackets",
        notation="ng",
    ),
)


@dataclass(frozen=True)
class ExerciseSheet:
    """An exercise sheet with its solutions and answer files, written into `out/<directory>`."""

    directory: str
    spec: NetworkSpec
    title: str


EXERCISE_SHEETS: tuple[ExerciseSheet, ...] = (
    ExerciseSheet(
        "exercises",
        NetworkSpec(layers=(2, 2, 1), hidden_activation="tanh", cost="binary_cross_entropy"),
        "Back-propagation exercises on a 2-2-1 network",
    ),
)


def regenerate(out: Path, formats: str = "md,tex,pdf", *, force: bool = False) -> list[str]:
    """Write every gallery handout (and its slides, where it has them) and exercise sheet into
    `out`; returns what was written."""
    from symderiv.api import write_exercises, write_handout

    report: list[str] = []
    for example in GALLERY:
        wanted = f"{formats},beamer" if example.slides else formats
        report += write_handout(
            example.spec, out, wanted, title=example.title, name=example.name,
            warmup=example.warmup, force=force, example=example.steps > 0,
            steps=max(example.steps, 1), notation=example.notation,
        )  # fmt: skip
    for sheet in EXERCISE_SHEETS:
        report += write_exercises(
            sheet.spec, out / sheet.directory, formats, force=force, title=sheet.title,
            numbers=True,
        )  # fmt: skip
    return report
