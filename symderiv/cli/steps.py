"""`symderiv steps EXPR`: differentiate one typed expression and show every step.

The expression goes through `symderiv.parse.plain` only, so nothing typed can run as code, and the
parser's bounds (length, nesting, number sizes) also bound the time differentiation takes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from symderiv.cli.errors import ReportingCommand
from symderiv.core import functions

if TYPE_CHECKING:
    pass

FORMATS = ("text", "latex", "markdown", "json")


@click.command(
    "steps",
    cls=ReportingCommand,
    epilog="""\b
Examples:
  symderiv steps "ln(2 + cos(x))"
  symderiv steps "σ(z)"
  symderiv steps "x^2 y + sin(x y)" --wrt y
  symderiv steps "sigmoid(w2*a1 + b2)" --wrt w2 --format json
""",
)
@click.argument("expr", metavar="EXPR")
@click.option(
    "--wrt",
    metavar="VAR",
    help="Variable to differentiate by; defaults to the expression's only variable.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: the derivation to read; latex or markdown: the same, to paste into a "
    "document; json: the tree of steps as data.",
)
@click.option(
    "--notation",
    "notation_name",
    metavar="NAME",
    help="How names are written: default, nielsen, ng or cs231n (ng and cs231n write log "
    "for ln) [default].",
)
def steps_command(
    expr: str, wrt: str | None, output_format: str, notation_name: str | None
) -> None:
    """Differentiate EXPR step by step, naming every rule used.

    EXPR uses + - * / ^, implicit products such as 2x and (x+1)(x-1), sqrt, and the functions
    {functions}; a prime after a function is its derivative: σ'(z). Network names such as w2,
    a1, ŷ, δ₂ are understood. Other symbols are held constant: the derivative is then a partial
    one.
    """
    from symderiv.core import notation

    with notation.using(notation_name):
        _steps(expr, wrt, output_format)


def _steps(expr: str, wrt: str | None, output_format: str) -> None:
    from symderiv.api import steps, variable_of
    from symderiv.calculus import to_json
    from symderiv.parse.plain import parse_expression
    from symderiv.render.steps import to_text

    parsed = parse_expression(expr)
    variable = variable_of(parsed, wrt)
    step = steps(parsed, variable.name)
    if output_format == "json":
        click.echo(json.dumps(to_json(step), indent=2, ensure_ascii=False))
    elif output_format in ("latex", "markdown"):
        from symderiv.render.handout import LocalDerivation, step_lines
        from symderiv.render.templating import render

        lines = step_lines(parsed, variable)
        derivation = LocalDerivation("", parsed, variable, step.result, lines)
        template = "steps.tex.jinja" if output_format == "latex" else "steps.md.jinja"
        click.echo(render(output_format, template, derivation=derivation), nl=False)
    else:
        click.echo(to_text(step), nl=False)


def _function_list() -> str:
    """The functions EXPR may use, from the function table: `tanh, sigmoid (σ), ...`."""
    return ", ".join(
        record.name + (f" ({', '.join(record.spellings)})" if record.spellings else "")
        for record in functions.FUNCTIONS
        if record.typed
    )


steps_command.help = (steps_command.help or "").replace("{functions}", _function_list())
