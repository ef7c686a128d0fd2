"""`symderiv example`, `gradcheck` and `codegen`: the derivation with numbers in it.

Each command reads the network from `[SPEC]` and the network flags, the numbers from the spec's
`[values]` table, `--values` or the defaults (see `numbers.values`). Bad input of any kind ends
in one `symderiv: error: ...` line and exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from symderiv.cli.errors import ReportingCommand
from symderiv.cli.options import network_options
from symderiv.core.errors import SymderivError

if TYPE_CHECKING:
    from symderiv.core.spec import NetworkSpec

values_option = click.option(
    "--values",
    "values_text",
    metavar="NAME=NUMBER,...",
    help="Numbers by symbol name, e.g. x=0.5,y=1,w1=1/2,eta=0.1 (overrides [values]).",
)


def _values(network: NetworkSpec, tables: dict[str, Any], values_text: str | None) -> Any:
    from symderiv.engine.derivation import derive
    from symderiv.numbers.values import resolve_values

    backprop = derive(network)
    return backprop, resolve_values(backprop.network, tables.get("values"), values_text)


@click.command(
    "example",
    cls=ReportingCommand,
    epilog="""\b
Examples:
  symderiv example
  symderiv example --values x=1/2,y=1,w1=3/10,b1=1/10,w2=-1/5,b2=2/5,eta=1/2
  symderiv example spec.toml --steps 20 --digits 6
  symderiv example --layers 2-2-1 --cost binary_cross_entropy --json
""",
)
@network_options
@values_option
@click.option("--steps", default=1, show_default=True, help="Steps of gradient descent.")
@click.option("--digits", default=4, show_default=True, help="Significant digits shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as one JSON object.")
def example_command(
    network: NetworkSpec,
    tables: dict[str, Any],
    values_text: str | None,
    steps: int,
    digits: int,
    as_json: bool,
) -> None:
    """A worked example: the forward pass, every chain-rule factor, delta and gradient with
    numbers, and the parameters after one step of gradient descent (or --steps N).

    Numbers come from the spec's [values] table, else from the defaults; --values changes
    single ones. Integers and fractions (1/2) give exact results.
    """
    from symderiv.render.example import worked_example

    backprop, values = _values(network, tables, values_text)
    example = worked_example(backprop, values, steps, digits=digits)
    if as_json:
        click.echo(json.dumps(example.to_json(), indent=2, allow_nan=False, ensure_ascii=False))
        return
    from symderiv.render.templating import render

    click.echo(render("text", "example.txt.jinja", example=example), nl=False)


@click.command(
    "gradcheck",
    cls=ReportingCommand,
    epilog="""\b
Examples:
  symderiv gradcheck
  symderiv gradcheck --layers 3-4-2 --activation tanh --values x_1=2
""",
)
@network_options
@values_option
def gradcheck_command(
    network: NetworkSpec, tables: dict[str, Any], values_text: str | None
) -> None:
    """Check every derived gradient against central finite differences of the cost.

    The cost is computed in float64 with NumPy, independently of the derivation. Exit status 0
    when every gradient agrees, 1 when one does not.
    """
    try:
        from symderiv.numbers.gradcheck import check_gradients, format_report
    except ModuleNotFoundError as err:
        if err.name != "numpy":
            raise
        raise SymderivError("gradcheck needs NumPy: pip install numpy") from None

    backprop, values = _values(network, tables, values_text)
    result = check_gradients(backprop, values)
    click.echo(format_report(result, values.source), nl=False)
    if not result.passed:
        raise click.exceptions.Exit(1)


@click.command(
    "codegen",
    cls=ReportingCommand,
    epilog="""\b
Examples:
  symderiv codegen
  symderiv codegen --layers 2-3-1 --activation relu --out backprop_231.py
""",
)
@network_options
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write the module to FILE instead of printing it.",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def codegen_command(
    network: NetworkSpec, tables: dict[str, Any], out: Path | None, force: bool
) -> None:
    """Generate a NumPy module with forward() and backward() for the network.

    The backward pass goes through the deltas, commented with the handout's names.
    """
    from symderiv.api import generate_code
    from symderiv.render.codegen import write_atomically

    source = generate_code(network)
    if out is None:
        click.echo(source, nl=False)
        return
    write_atomically(out, source, force=force)
    click.echo(f"wrote {out}", err=True)
