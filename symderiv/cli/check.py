"""`symderiv check`: verify a hand-derived gradient, or a CSV file of them.

Exit status, single answer: 0 correct, 1 incorrect, 2 cannot judge (unreadable answer, unknown
symbol, time limit, ...) or bad usage. Batch: 0 when every row was judged (correct or
incorrect), 1 when some rows could not be judged (the report is written all the same), 2 when
the batch could not run (no report).
"""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from symderiv.check.sandbox import DEFAULT_TIMEOUT
from symderiv.cli.errors import ReportingCommand
from symderiv.cli.options import network_options
from symderiv.core import naming
from symderiv.core.errors import SymderivError

if TYPE_CHECKING:
    from symderiv.check.result import CheckResult
    from symderiv.core.spec import NetworkSpec

MAX_TIMEOUT = 600.0


class CheckCommand(ReportingCommand):
    """`check` takes a free-form ANSWER, which click reads as an option when it starts with '-'."""

    def describe_usage_error(self, error: click.UsageError, args: list[str], path: str) -> str:
        answer = _answer_read_as_option(error, args)
        if answer is None or not isinstance(error, click.NoSuchOption):
            return super().describe_usage_error(error, args, path)
        rest = list(args)
        rest.remove(answer)
        fixed = shlex.join(self._answer_last(rest, answer))
        return (
            f"{answer!r} reads as an option (no such option {error.option_name!r}); an ANSWER "
            f"that starts with '-' goes after '--': {path} {fixed}"
        )

    def _answer_last(self, args: list[str], answer: str) -> list[str]:
        """`args` reordered as options, `--`, the answer, then any other positional (SPEC)."""
        takes_value = {
            name
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for name in param.opts
        }
        options: list[str] = []
        positionals: list[str] = []
        tokens = iter(args)
        for token in tokens:
            if token == "--":
                positionals.extend(tokens)
            elif token in takes_value:
                options.extend([token, *itertools.islice(tokens, 1)])
            elif token.startswith("-") and token != "-":
                options.append(token)
            else:
                positionals.append(token)
        return [*options, "--", answer, *positionals]


def _answer_read_as_option(error: click.UsageError, args: list[str]) -> str | None:
    """The argument before any `--` that starts with one '-' and holds the unknown option."""
    if not isinstance(error, click.NoSuchOption) or error.option_name.startswith("--"):
        return None
    letter = error.option_name[1:]
    for arg in args[: args.index("--")] if "--" in args else args:
        if arg.startswith("-") and not arg.startswith("--") and letter in arg[1:]:
            return arg
    return None


@click.command(
    "check",
    cls=CheckCommand,
    epilog="""\b
Examples:
  symderiv check "2*(yhat - y)*yhat*(1 - yhat)*a1" --param w2
  symderiv check '2(\\hat{y}-y)\\sigma'"'"'(z_2) a_1' --param w2 --json
  symderiv check "delta1*x_2" --param w1_1_2 --layers 2-2-1
  symderiv check --param b2 -- "-2*(y - yhat)*yhat*(1 - yhat)"
  symderiv check 'dJ/dw2 = delta2*a1' --param w2
  symderiv check '\\delta^{(2)} (a^{(1)})^\\top' --param W2 --layers 2-3-1
  symderiv check - --param w2 < answer.tex
  symderiv check --batch answers.csv --out-dir reports --cost binary_cross_entropy
  symderiv check --batch answers.csv --scheduler tcp://10.0.0.5:8786

\b
Batch file: a UTF-8 CSV with the header id,param,answer[,format]; format is
auto (default), plain or latex. Writes report.csv and report.json into --out-dir
(default: the current directory) and prints the counts per verdict.
""",
)
@click.argument("answer", required=False, metavar="[ANSWER]")
@network_options
@click.option("--param", "-p", metavar="NAME", help="The parameter the answer is ∂J/∂ of.")
@click.option("--latex", is_flag=True, help="Read the answer as LaTeX (detected when omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=MAX_TIMEOUT),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Time limit for judging one answer.",
)
@click.option(
    "--batch",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.csv",
    help="Check every row of a CSV file (columns id,param,answer[,format]).",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where --batch writes report.csv and report.json [current directory].",
)
@click.option("--force", is_flag=True, help="Replace report files symderiv did not write.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1, max=512),
    metavar="N",
    help="Answers judged at once in --batch [all cores]; with --scheduler local, its "
    "worker processes [all cores, at most 4].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Judge --batch on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' "
    "for one on this machine (needs the extra: pip install 'symderiv[distributed]').",
)
def check_command(
    network: NetworkSpec,
    tables: dict[str, Any],
    answer: str | None,
    param: str | None,
    latex: bool,
    as_json: bool,
    timeout: float,
    batch: Path | None,
    out_dir: Path | None,
    force: bool,
    jobs: int | None,
    scheduler: str | None,
) -> None:
    """Check a hand-derived gradient ANSWER for ∂J/∂NAME against the derivation.

    ANSWER is plain (2*(yhat - y)*yhat*(1 - yhat)*a1, σ(z2), δ2·a1) or LaTeX
    (2(\\hat{y}-y)\\hat{y}(1-\\hat{y})a_1, \\sigma(z_2), \\frac{..}{..}), detected by its
    backslashes and braces. It may use the network's names x, y, w, b, z, a, ŷ (a_L too) and
    the deltas δ, and be written as an equation (dJ/dw2 = ...). The verdict is correct,
    incorrect (naming the chain-rule mistake, with a counterexample) or cannot judge (with
    the reason). SPEC and the flags choose the network as for `derive`. An answer starting
    with '-' goes after '--'; ANSWER '-' reads the answer from standard input.

    Exit status: 0 correct, 1 incorrect, 2 cannot judge or bad usage; with --batch, 0 when
    every row was judged, 1 when some could not be, 2 when the batch could not run.
    """
    if batch is not None:
        if param is not None:
            raise SymderivError("--param is given per row in --batch (the param column)")
        if answer is not None:
            network = _spec_from_positional(answer)  # `check --batch F.csv SPEC`
        _run_batch(network, batch, out_dir, force, jobs, scheduler, timeout, latex, as_json)
        return
    for flag, value in (
        ("--out-dir", out_dir),
        ("--force", force),
        ("--jobs", jobs),
        ("--scheduler", scheduler),
    ):
        if value:
            raise SymderivError(f"{flag} goes with --batch")
    if answer is None:
        raise SymderivError("give the ANSWER to check (or --batch FILE.csv)")
    if param is None:
        raise SymderivError("give the parameter with --param NAME (e.g. --param w2)")
    if answer == "-":
        answer = _answer_from_stdin()
    from symderiv.api import check_answer

    fmt = "latex" if latex else "auto"
    result = check_answer(answer, param, network, fmt=fmt, timeout=timeout)
    if as_json:
        click.echo(json.dumps({"answer": answer, **result.to_json()}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_result(result))
    raise SystemExit(result.exit_code)


def _answer_from_stdin() -> str:
    """The answer on standard input (`symderiv check - --param w2 < answer.tex`), read no
    further than the longest answer the parsers accept."""
    from symderiv.parse.latex import MAX_LATEX_LENGTH
    from symderiv.parse.plain import MAX_INPUT_LENGTH

    limit = max(MAX_LATEX_LENGTH, MAX_INPUT_LENGTH)
    stream = click.get_text_stream("stdin", encoding="utf-8", errors="strict")
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError:
        raise SymderivError("the answer on standard input is not UTF-8 text") from None
    if len(text) > limit:
        raise SymderivError(f"the answer on standard input is longer than {limit:,} characters")
    answer = text.removeprefix("\ufeff").strip()
    if not answer:
        raise SymderivError("no answer on standard input (ANSWER '-' reads it from there)")
    return answer


def _spec_from_positional(path: str) -> NetworkSpec:
    """In --batch mode the one positional argument is SPEC; apply the flags on top of it."""
    from symderiv.core.spec import load_spec, parse_layers

    params = click.get_current_context().params
    base, _ = load_spec(Path(path))
    layers = params.get("layers")
    return base.with_options(
        layers=parse_layers(layers) if layers is not None else None,
        hidden_activation=params.get("hidden_activation"),
        output_activation=params.get("output_activation"),
        cost=params.get("cost"),
    )


def _run_batch(
    network: NetworkSpec,
    path: Path,
    out_dir: Path | None,
    force: bool,
    jobs: int | None,
    scheduler: str | None,
    timeout: float,
    latex: bool,
    as_json: bool,
) -> None:
    from symderiv.check.batch import read_rows, report_paths, run_batch, write_report

    directory = out_dir if out_dir is not None else Path.cwd()
    rows = read_rows(path, default_format="latex" if latex else "auto")
    report_paths(directory, force=force)  # fail now, not after judging every row
    if scheduler is None:
        report = run_batch(network, rows, timeout=timeout, workers=jobs)
    else:
        from symderiv.check import distributed

        with distributed.connect(scheduler, workers=jobs) as client:
            judging = distributed.judging(client, progress=_show_progress())
            report = run_batch(network, rows, timeout=timeout, judging=judging)
    csv_path, json_path = write_report(report, directory, force=force)
    if as_json:
        summary = {**report.summary(), "report_csv": str(csv_path), "report_json": str(json_path)}
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        counts = report.counts
        click.echo(
            f"checked {len(report.rows)} answers in {report.seconds:.1f} s: "
            f"{counts['correct']} correct, {counts['incorrect']} incorrect, "
            f"{counts['cannot judge']} cannot judge"
        )
        click.echo(f"report: {csv_path}, {json_path}")
    raise SystemExit(0 if report.all_judged else 1)


def _show_progress(steps: int = 10) -> Callable[[int, int], None]:
    """A line on stderr each time another tenth (`steps`) of the answers has been judged."""
    shown = 0

    def show(done: int, total: int) -> None:
        nonlocal shown
        if done * steps // total > shown * steps // total:  # the last answer always shows
            shown = done
            click.echo(f"symderiv: {done:,} of {total:,} answers judged on the cluster", err=True)

    return show


def render_result(result: CheckResult) -> str:
    """The result as a few readable lines."""
    from symderiv.check import messages
    from symderiv.check.matrix import label
    from symderiv.check.result import Verdict

    target = label(result.param) or messages.gradient(result.param)
    lines = [f"{result.verdict.value}: {target}"]
    if result.read_as is not None:
        lines.append(f"  read as:        {result.read_as}")
    if result.verdict is Verdict.CANNOT_JUDGE:
        lines.extend("  " + line for line in result.reason.splitlines())
    elif result.verdict is Verdict.CORRECT:
        lines.append(f"  {result.reason}")
    if result.diagnosis is not None:
        lines.append(f"  mistake:        {result.diagnosis.message}")
    example = result.counterexample
    if example is not None:
        point = ", ".join(f"{naming.text_name(n) or n} = {v}" for n, v in example.point)
        lines.append(f"  counterexample: {point}")
        lines.append(
            f"                  your answer = {example.answer}, {target} = {example.expected}"
        )
    return "\n".join(lines)
