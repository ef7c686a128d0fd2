"""How the command line reports mistakes: one line `symderiv: error: …` on stderr, exit status 2.

Click's own usage errors (unknown option, missing argument, bad choice, ...) would print a usage
block and `Error: …`; they are reworded here into the same one line as symderiv's own errors, with
a hint where one helps. Kept free of SymPy so that `--help` starts quickly.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

PREFIX = "symderiv: error: "
WARNING = "symderiv: warning: "


class OneLineError(click.ClickException):
    """A mistake already worded for the user: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{PREFIX}{self.format_message()}", err=True, file=file)


class Interrupted(click.ClickException):
    """Ctrl-C: a short note instead of click's `Aborted!`, and the conventional exit status 130."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo("symderiv: interrupted", err=True, file=file)


def describe(error: click.ClickException, command_path: str | None = None) -> str:
    """Click's message for `error` as one line in symderiv's voice, with a hint to --help.

    `command_path` names the command being parsed when click did not attach its context.
    """
    if isinstance(error, click.NoSuchOption):
        message = f"no such option {error.option_name!r}"
        if error.possibilities:
            return f"{message}. Did you mean {_alternatives(error.possibilities)}?"
    else:
        message = re.sub(r"\s*\n\s*", " ", error.format_message()).strip().rstrip(".")
        message = message[:1].lower() + message[1:]
    ctx = getattr(error, "ctx", None)
    return message + help_hint(ctx.command_path if ctx is not None else command_path)


def help_hint(command_path: str | None) -> str:
    """`; try 'symderiv derive --help'` for the command being parsed, when it is known."""
    return f"; try '{command_path} --help'" if command_path else ""


def _alternatives(names: Sequence[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """symderiv's own warnings as one line each, `symderiv: warning: …` on stderr."""
    from symderiv.core.errors import SymderivWarning

    with warnings.catch_warnings():
        warnings.simplefilter("always", SymderivWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, SymderivWarning):
                click.echo(f"{WARNING}{message}", err=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


class ReportsUserErrors:
    """Mixin for click commands and groups: every user error becomes one line and exit status 2.

    Covers click's usage errors while the command line is parsed, SymderivError and click errors
    raised while the command runs, and input nested too deeply to handle.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        given = list(args)  # click consumes `args` while parsing
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.UsageError as error:
            path = f"{parent.command_path} " if parent is not None else ""
            path += info_name or ""
            raise OneLineError(self.describe_usage_error(error, given, path)) from None

    def describe_usage_error(self, error: click.UsageError, args: list[str], path: str) -> str:
        """The one-line message for a usage error in `args` given to the command at `path`.

        Commands may override this to word a likely mistake better.
        """
        return describe(error, path)

    def invoke(self, ctx: click.Context) -> Any:
        from symderiv.core.errors import SymderivError

        try:
            with one_line_warnings():
                return super().invoke(ctx)  # type: ignore[misc]
        except (OneLineError, Interrupted):
            raise
        except click.ClickException as error:
            raise OneLineError(describe(error, ctx.command_path)) from None
        except SymderivError as error:
            raise OneLineError(str(error)) from None
        except RecursionError:
            raise OneLineError("the expression is nested too deeply to handle.") from None
        except KeyboardInterrupt:
            raise Interrupted() from None


class ReportingCommand(ReportsUserErrors, click.Command):
    """A click command whose user errors are one line and exit status 2."""
