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
from symderiv.core.errors import SymderivError, did_you_mean

if TYPE_CHECKING:
    import sympy as sp

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
def steps_command(expr: str, wrt: str | None, output_format: str) -> None:
    """Differentiate EXPR step by step, naming every rule used.

    EXPR uses + - * / ^, implicit products such as 2x and (x+1)(x-1), sqrt, and the functions
    {functions}; a prime after a function is its derivative: σ'(z). Network names such as w2,
    a1, ŷ, δ₂ are understood. Other symbols are held constant: the derivative is then a partial
    one.
    """
    from symderiv.parse.plain import parse_expression
    from symderiv.render.steps import to_text
    from symderiv.steps import differentiate, to_json

    parsed = parse_expression(expr)
    variable = _variable(parsed, wrt)
    step = differentiate(parsed, variable)
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


def _variable(expr: sp.Expr, wrt: str | None) -> sp.Symbol:
    """The symbol named by --wrt, or the expression's only free symbol."""
    import sympy as sp

    names = sorted(s.name for s in expr.free_symbols)
    if wrt is None:
        if len(names) == 1:
            return sp.Symbol(names[0])
        if not names:
            return sp.Symbol("x")
        raise SymderivError(
            f"the expression has several variables ({', '.join(names)}): choose one with --wrt"
        )
    parsed = _parse_wrt(wrt)
    if names and parsed.name not in names:
        raise SymderivError(
            did_you_mean("variable", parsed.name, names)
            + " (--wrt must name a variable of the expression)"
        )
    return parsed


def _parse_wrt(wrt: str) -> sp.Symbol:
    import sympy as sp

    from symderiv.parse.plain import parse_expression

    try:
        parsed = parse_expression(wrt)
    except SymderivError as error:
        raise SymderivError(f"--wrt: {error}") from None
    if not isinstance(parsed, sp.Symbol):
        raise SymderivError(f"--wrt must be one variable name, not {wrt!r}")
    return parsed


def _function_list() -> str:
    """The functions EXPR may use, from the function table: `tanh, sigmoid (σ), ...`."""
    return ", ".join(
        record.name + (f" ({', '.join(record.spellings)})" if record.spellings else "")
        for record in functions.FUNCTIONS
        if record.typed
    )


steps_command.help = (steps_command.help or "").replace("{functions}", _function_list())
