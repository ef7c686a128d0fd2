"""Options shared by every command that works on a network."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


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
        from symderiv.core.spec import NetworkSpec, load_spec, parse_layers

        base, tables = load_spec(spec) if spec is not None else (NetworkSpec(), {})
        network = base.with_options(
            layers=parse_layers(layers) if layers is not None else None,
            hidden_activation=hidden_activation,
            output_activation=output_activation,
            cost=cost,
        )
        return func(network=network, tables=tables, **kwargs)

    return wrapper  # type: ignore[return-value]
