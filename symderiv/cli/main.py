"""The `symderiv` command: a thin layer over the Python API.

Bad input of any kind ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, ClassVar

import click

from symderiv.cli.errors import OneLineError, ReportingCommand, ReportsUserErrors, help_hint
from symderiv.cli.options import network_options, out_directory


class Group(ReportsUserErrors, click.Group):
    """A click group whose user errors, and its commands', are one line and exit status 2.

    Commands in `LAZY` are imported only when used, so `symderiv derive` does not pay for
    loading the step-by-step differentiator or the answer checker. None of the command modules
    imports SymPy before its command runs, so `--help` stays quick.
    """

    command_class = ReportingCommand

    LAZY: ClassVar[dict[str, str]] = {
        "steps": "symderiv.cli.steps:steps_command",
        "check": "symderiv.cli.check:check_command",
        "example": "symderiv.cli.numbers:example_command",
        "gradcheck": "symderiv.cli.numbers:gradcheck_command",
        "codegen": "symderiv.cli.numbers:codegen_command",
        "exercises": "symderiv.cli.exercises:exercises_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, _, attribute = self.LAZY[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            commands = ", ".join(self.list_commands(ctx))
            raise OneLineError(f"give a command: {commands}{help_hint(ctx.command_path)}")
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if ctx.resilient_parsing or name.startswith("-") or self.get_command(ctx, name):
            return super().resolve_command(ctx, args)
        from symderiv.core.errors import did_you_mean

        raise OneLineError(did_you_mean("command", name, self.list_commands(ctx)))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symderiv")
def cli() -> None:
    """Derive back-propagation step by step, and render it to LaTeX and Markdown.

    \b
    Examples:
      symderiv derive --param all
      symderiv derive --param w1 --format latex
      symderiv derive --layers 2-3-1 --activation tanh --cost binary-cross-entropy --param all
    """


@cli.command()
@network_options
@click.option(
    "--param",
    "-p",
    default="all",
    show_default=True,
    metavar="NAME|all",
    help="Parameter to derive (w1, b2, w2_1_3, ...) or all.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "latex", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Readable Unicode text, a LaTeX fragment, Markdown with math, or JSON for programs.",
)
@click.option(
    "--form",
    type=click.Choice(["scalar", "matrix", "both"]),
    default=None,
    help="Node by node (scalar), the layer equations BP1-BP4 with their shapes (matrix), or "
    "both [scalar for a chain network, both for a wider one].",
)
@click.option(
    "--expand",
    is_flag=True,
    help="Expanded forms for every gradient, however many (by default only for at most 64).",
)
def derive(
    network: Any, tables: dict[str, Any], param: str, fmt: str, form: str | None, expand: bool
) -> None:
    """Print each gradient expanded through the chain rule, factor by factor.

    SPEC is an optional TOML file with a [network] table (see README); flags override it.
    With --param all, each delta is printed once, then each gradient as delta x input.

    \b
    Examples:
      symderiv derive --param w1
      symderiv derive --layers 1-1-1-1 --activation relu --param all
      symderiv derive --layers 784-30-10 --form matrix --format latex
      symderiv derive spec.toml --param all --format json
    """
    from symderiv.api import render_derivation

    click.echo(render_derivation(network, param, fmt, form=form, expand=expand), nl=False)


@cli.command()
@network_options
@out_directory("output")
@click.option(
    "--format",
    "formats",
    default="md,tex,pdf",
    show_default=True,
    metavar="md,tex,beamer,pdf",
    help="Which files to write: md, tex, beamer (slides, NAME-slides.tex) and pdf (the PDF of "
    "each LaTeX file asked for, or of the handout); pdf needs pdflatex (skipped with a note "
    "when it is missing and not asked for explicitly).",
)
@click.option("--title", help="Title of the handout (printed literally, never interpreted).")
@click.option("--name", default="handout", show_default=True, help="Base name of the files.")
@click.option("--fragment", is_flag=True, help="LaTeX body to \\input into your own document.")
@click.option("--warmup", is_flag=True, help="Start with the chain rule on ln(2 + cos x).")
@click.option("--force", is_flag=True, help="Replace files that symderiv did not write.")
@click.option(
    "--example",
    "with_example",
    is_flag=True,
    help="Add the worked numeric example (also added when values are given).",
)
@click.option(
    "--values",
    "values_text",
    metavar="NAME=NUMBER,...",
    help="Numbers for the worked example, e.g. x=0.5,y=1,w1=1/2,eta=0.1.",
)
@click.option("--steps", default=1, show_default=True, help="Steps of gradient descent shown.")
@click.option("--digits", default=4, show_default=True, help="Significant digits shown.")
def handout(
    network: Any,
    tables: dict[str, Any],
    out: Path,
    formats: str,
    title: str | None,
    name: str,
    fragment: bool,
    warmup: bool,
    force: bool,
    with_example: bool,
    values_text: str | None,
    steps: int,
    digits: int,
) -> None:
    """Write a lecture handout: the full derivation as Markdown, LaTeX and PDF.

    With no arguments, writes the seed 1-1-1 network's handout into output/.
    SPEC is an optional TOML file with [network] (and [handout] title) tables.

    \b
    Examples:
      symderiv handout
      symderiv handout --layers 1-2-1 --cost binary-cross-entropy --out notes/
      symderiv handout spec.toml --format tex --fragment --title "Lecture 4"
      symderiv handout --example --steps 20
      symderiv handout --format md,beamer,pdf
    """
    from symderiv.api import write_handout

    title = title if title is not None else _table_title(tables)
    source = click.get_current_context().get_parameter_source("formats")
    explicit = source is not click.core.ParameterSource.DEFAULT
    for line in write_handout(
        network, out, formats, title=title, name=name, fragment=fragment, warmup=warmup,
        force=force, pdf_required=explicit, values_table=tables.get("values"),
        values_flag=values_text, example=with_example, steps=steps, digits=digits,
    ):  # fmt: skip
        click.echo(line)


@cli.command()
@out_directory("output", "Directory for the example handouts.")
@click.option("--format", "formats", default="md,tex,pdf", show_default=True, metavar="md,tex,pdf")
def gallery(out: Path, formats: str) -> None:
    """Regenerate the example handouts (the seed network, each cost, a deeper and a wider one)
    and an exercise sheet with its solutions.

    \b
    Example:
      symderiv gallery --out output/
    """
    from symderiv.gallery import regenerate

    for line in regenerate(out, formats):
        click.echo(line)


def _table_title(tables: dict[str, Any]) -> str | None:
    from symderiv.core.errors import SpecError

    table = tables.get("handout", {})
    title = table.get("title") if isinstance(table, dict) else None
    if title is not None and not isinstance(title, str):
        raise SpecError("[handout] title must be a string.")
    return title


def main() -> None:
    """Entry point of the console script."""
    try:
        cli.main(prog_name="symderiv")
    except KeyboardInterrupt:
        click.echo("symderiv: interrupted", err=True)
        sys.exit(130)
