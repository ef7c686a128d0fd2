"""The `symderiv` command: a thin layer over the Python API.

Bad input of any kind ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from symderiv.errors import SymderivError

F = TypeVar("F", bound=Callable[..., Any])


class Group(click.Group):
    """A click group that turns SymderivError into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SymderivError as err:
            click.echo(f"symderiv: error: {err}", err=True)
            ctx.exit(2)
        except RecursionError:
            click.echo("symderiv: error: the expression is nested too deeply to handle.", err=True)
            ctx.exit(2)


def network_options(func: F) -> F:
    """`[SPEC]` and the flags that describe a network; flags override the spec file."""

    @click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--layers", metavar="N0-N1-...", help="Layer sizes, inputs first [1-1-1].")
    @click.option(
        "--activation",
        "hidden_activation",
        metavar="NAME",
        help="Hidden activation: sigmoid, tanh, relu, softplus, linear [sigmoid].",
    )
    @click.option(
        "--output-activation", metavar="NAME", help="Output activation, same choices [sigmoid]."
    )
    @click.option(
        "--cost",
        metavar="NAME",
        help="squared_error, half_squared_error, binary_cross_entropy, abstract [squared_error].",
    )
    @functools.wraps(func)
    def wrapper(
        spec: Path | None,
        layers: str | None,
        hidden_activation: str | None,
        output_activation: str | None,
        cost: str | None,
        **kwargs: Any,
    ) -> Any:
        from symderiv.spec import NetworkSpec, load_spec, parse_layers

        base, tables = load_spec(spec) if spec is not None else (NetworkSpec(), {})
        network = base.with_options(
            layers=parse_layers(layers) if layers is not None else None,
            hidden_activation=hidden_activation,
            output_activation=output_activation,
            cost=cost,
        )
        return func(network=network, tables=tables, **kwargs)

    return wrapper  # type: ignore[return-value]


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
    type=click.Choice(["text", "latex", "markdown"]),
    default="text",
    show_default=True,
    help="Readable Unicode text, a LaTeX fragment, or Markdown with math.",
)
def derive(network: Any, tables: dict[str, Any], param: str, fmt: str) -> None:
    """Print each gradient expanded through the chain rule, factor by factor.

    SPEC is an optional TOML file with a [network] table (see README); flags override it.

    \b
    Examples:
      symderiv derive --param w1
      symderiv derive --layers 1-1-1-1 --activation relu --param all
      symderiv derive spec.toml --param all --format markdown
    """
    from symderiv.api import render_derivation

    click.echo(render_derivation(network, param, fmt), nl=False)


from symderiv.cli_steps import steps_command  # noqa: E402 - registered after the group exists

cli.add_command(steps_command)


def main() -> None:
    """Entry point of the console script."""
    try:
        cli.main(prog_name="symderiv")
    except KeyboardInterrupt:
        click.echo("symderiv: interrupted", err=True)
        sys.exit(130)
