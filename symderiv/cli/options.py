"""Options shared by every command that works on a network."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from symderiv.core.costs import COSTS
from symderiv.core.functions import ACTIVATIONS, ELEMENTWISE
from symderiv.core.spec import NetworkSpec

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT = NetworkSpec()
LAYERS = "-".join(map(str, DEFAULT.layers))


def network_options(func: F) -> F:
    """`[SPEC]` and the flags that describe a network; flags override the spec file."""

    @click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--layers",
        metavar="N0-N1-...",
        help=f"Layer sizes, inputs first [{LAYERS}].",
    )
    @click.option(
        "--activation",
        "hidden_activation",
        metavar="NAME",
        help=f"Hidden activation: {', '.join(ELEMENTWISE)} [{DEFAULT.hidden_activation}].",
    )
    @click.option(
        "--output-activation",
        metavar="NAME",
        help=f"Output activation: {', '.join(ACTIVATIONS)} [{DEFAULT.output_activation}].",
    )
    @click.option(
        "--cost",
        metavar="NAME",
        help=f"{', '.join(COSTS)} [{DEFAULT.cost}].",
    )
    @click.option(
        "--l2",
        metavar="LAMBDA",
        help="L2 weight decay: adds (λ/(2m)) Σ ‖W‖² to the cost, e.g. 0.1 or 1/10 [0].",
    )
    @click.option(
        "--examples",
        metavar="M",
        help="Training-set size m of the symbolic derivation (the batch form) [1].",
    )
    @click.option(
        "--notation",
        "notation_name",
        metavar="NAME",
        help="How symbols are written and read: default (J, w^(l), inputs layer 0, ln, ∂J/∂w), "
        "nielsen (C, w^l, inputs layer 1), ng (J, W^[l], log, dW, dZ), cs231n (L, log, dW); "
        "a [notation] table in SPEC can change each choice [default].",
    )
    @functools.wraps(func)
    def wrapper(
        spec: Path | None,
        layers: str | None,
        hidden_activation: str | None,
        output_activation: str | None,
        cost: str | None,
        l2: str | None,
        examples: str | None,
        notation_name: str | None,
        **kwargs: Any,
    ) -> Any:
        from symderiv.core import notation
        from symderiv.core.spec import NetworkSpec, load_spec, parse_layers

        base, tables = load_spec(spec) if spec is not None else (NetworkSpec(), {})
        network = base.with_options(
            layers=parse_layers(layers) if layers is not None else None,
            hidden_activation=hidden_activation,
            output_activation=output_activation,
            cost=cost,
            l2=l2,
            examples=examples,
        )
        # Like every flag, --notation overrides the spec file (its [notation] table).
        table = tables.pop("notation", None)
        chosen = None
        if notation_name is not None:
            chosen = notation.preset(notation_name)
        elif table is not None:
            chosen = notation.from_table(table, source=f"{spec}: [notation]")
        with notation.using(chosen):
            return func(network=network, tables=tables, **kwargs)

    return wrapper  # type: ignore[return-value]


def out_directory(default: str, help: str = "Directory to write into (created if missing).") -> Any:
    """`--out DIR`: where a command writes its files (created if missing)."""
    return click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        metavar="DIR",
        help=help,
    )
