"""`symderiv exercises`: an exercise sheet, its solutions, and answer files for `check --batch`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from symderiv.cli.errors import ReportingCommand
from symderiv.cli.numbers import values_option
from symderiv.cli.options import network_options, out_directory

if TYPE_CHECKING:
    from symderiv.core.spec import NetworkSpec


@click.command(
    "exercises",
    cls=ReportingCommand,
    epilog="""\b
Examples:
  symderiv exercises --out sheet/
  symderiv exercises --layers 2-2-1 --activation tanh --numbers --out sheet/
  symderiv exercises spec.toml --params w1,b2 --numbers --values x=1/2,eta=0.1
  symderiv exercises --layers 2-3-1 --variants 30 --seed 2024 --out class/
  symderiv check --batch sheet/solutions.csv --layers 2-2-1 --activation tanh

\b
Writes into DIR: exercises.md/.tex/.pdf (the sheet), solutions.md/.tex/.pdf,
network.svg (the picture the Markdown shows), answers.csv (the gradient questions
with empty answers, for `symderiv check --batch`) and solutions.csv (answered).
With --variants N: one such directory per variant, DIR/variant-01/ ...
""",
)
@network_options
@out_directory("exercises")
@click.option(
    "--format",
    "formats",
    default="md,tex,pdf",
    show_default=True,
    metavar="md,tex,pdf",
    help="Which documents to write; pdf needs pdflatex (skipped with a note when it is missing "
    "and not asked for explicitly). The CSV files are always written.",
)
@click.option(
    "--params",
    metavar="NAME,...|all",
    help="The gradients asked, e.g. w2,b1 or all [one weight and one bias per layer].",
)
@click.option(
    "--numbers",
    is_flag=True,
    help="Add a question with numbers: the [values] table, --values or the defaults "
    "(implied by either, and by --seed).",
)
@values_option
@click.option("--digits", default=4, show_default=True, help="Significant digits asked for.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    metavar="N",
    help="Draw the numbers (and the default parameters) from N: a sheet of its own per seed. "
    "Implies --numbers.",
)
@click.option(
    "--variants",
    type=click.IntRange(min=1, max=500),
    metavar="N",
    help="Write N sheets, each with its own numbers and solutions, into DIR/variant-01/ ... "
    "(drawn from --seed, 0 if unset).",
)
@click.option(
    "--matrix/--no-matrix",
    default=None,
    help="Ask for the layer equations BP1-BP4 [asked when a layer has several nodes].",
)
@click.option("--title", help="Title of the sheet (printed literally, never interpreted).")
@click.option("--force", is_flag=True, help="Replace files that symderiv did not write.")
def exercises_command(
    network: NetworkSpec,
    tables: dict[str, Any],
    out: Path,
    formats: str,
    params: str | None,
    numbers: bool,
    values_text: str | None,
    digits: int,
    seed: int | None,
    variants: int | None,
    matrix: bool | None,
    title: str | None,
    force: bool,
) -> None:
    """Write an exercise sheet on back-propagation, its solutions, and answer files.

    The sheet gives the network, its diagram and the forward pass, then asks for the output
    deltas, each hidden delta, the gradients of chosen parameters and, optionally, the numbers
    and the layer equations. The solutions answer under the same numbers, each with its
    derivation. solutions.csv is what `symderiv check --batch` judges correct for the same
    network options.
    """
    from symderiv.api import write_exercises

    source = click.get_current_context().get_parameter_source("formats")
    explicit = source is not click.core.ParameterSource.DEFAULT
    values_table = tables.get("values")
    for line in write_exercises(
        network, out, formats, params=params,
        numbers=numbers or values_text is not None or values_table is not None,
        values_table=values_table, values_flag=values_text, seed=seed, variants=variants,
        matrix=matrix, title=title, digits=digits, force=force, pdf_required=explicit,
    ):  # fmt: skip
        click.echo(line)
