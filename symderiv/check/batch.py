"""Checking a CSV file of answers on all cores, and writing the report.

Input: a UTF-8 CSV file with a header row naming the columns `id`, `param`, `answer` and
optionally `format` (`auto`, `plain` or `latex`; empty means the default). At most
``MAX_ROWS`` rows and ``MAX_BYTES`` bytes.

Output, in one directory: `report.csv` (one row per answer: id, line, param, verdict, mistake,
message, counterexample) and `report.json` (the same with every detail, plus the network and a
summary). Both are written to a temporary file first and moved into place with `os.replace`, so
a reader never sees half a report and a planted symlink is replaced, not followed. A file of
that name that symderiv did not write is left alone unless `force` is given.

Each row is judged in its own limited child process (`symderiv.check.sandbox`), as many at a time as
there are workers; a row that hits its time limit is *cannot judge* and the others go on. Where
the children run is the `Judging`: this machine by default, or the workers of a Dask cluster
(`symderiv.check.distributed`), which judge each row the same way.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symderiv.check import sandbox
from symderiv.check.judge import judge_for
from symderiv.check.limited import DEFAULT_TIMEOUT, check_in_child, result_from_outcome
from symderiv.check.names import FORMATS
from symderiv.check.result import CheckResult, Verdict, cannot_judge
from symderiv.core import files
from symderiv.core.errors import SymderivError, did_you_mean
from symderiv.core.files import check_replaceable, prepare_directory, write_atomic
from symderiv.core.spec import NetworkSpec

MAX_BYTES = 10_000_000
MAX_ROWS = 100_000
MAX_ID_LENGTH = 200
REQUIRED_COLUMNS = ("id", "param", "answer")
COLUMNS = (*REQUIRED_COLUMNS, "format")
REPORT_CSV = "report.csv"
REPORT_JSON = "report.json"
REPORT_COLUMNS = ("id", "line", "param", "verdict", "mistake", "message", "counterexample")
GENERATOR = "symderiv check"
_JSON_START = re.compile(rb'\A\{\s*"generator":\s*"symderiv check"')
_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class BatchError(SymderivError):
    """A batch that cannot run at all: unreadable or malformed file, or a protected output."""


@dataclass(frozen=True)
class Row:
    """One answer to check, with the line it came from (1 is the header)."""

    line: int
    id: str
    param: str
    answer: str
    format: str = "auto"
    problem: str | None = None  # why the row cannot be judged before it is even tried


@dataclass(frozen=True)
class BatchReport:
    """Every row's result, in the order of the file."""

    network: NetworkSpec
    rows: tuple[Row, ...]
    results: tuple[CheckResult, ...]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(result.verdict for result in self.results)
        return {verdict.value: counted.get(verdict, 0) for verdict in Verdict}

    @property
    def all_judged(self) -> bool:
        return all(r.verdict is not Verdict.CANNOT_JUDGE for r in self.results)

    def summary(self) -> dict[str, Any]:
        return {"rows": len(self.rows), **self.counts, "seconds": round(self.seconds, 3)}


# ---------------------------------------------------------------------------- reading


def read_rows(path: Path, *, default_format: str = "auto") -> list[Row]:
    """The rows of a batch file; BatchError for a file that cannot be read as one."""
    text = files.read_text(path, limit=MAX_BYTES, kind="CSV file", error=BatchError)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise BatchError(f"{path}: the file is empty; expected a header id,param,answer")
        columns = [name.strip().lower() for name in header]
        _check_header(path, columns)
        rows: list[Row] = []
        for fields in reader:
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(rows) >= MAX_ROWS:
                raise BatchError(f"{path}: more than {MAX_ROWS} rows; split the file")
            rows.append(_row(reader.line_num, columns, fields, default_format))
    except csv.Error as error:
        raise BatchError(f"{path}, line {reader.line_num}: not valid CSV ({error})") from None
    return rows


def _check_header(path: Path, columns: list[str]) -> None:
    for name in columns:
        if name not in COLUMNS:
            raise BatchError(f"{path}: " + did_you_mean("column", name, COLUMNS))
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            raise BatchError(f"{path}: the header lacks the column {name!r}")
    repeated = [name for name, n in Counter(columns).items() if n > 1]
    if repeated:
        raise BatchError(f"{path}: the column {repeated[0]!r} appears twice")


def _row(line: int, columns: list[str], fields: list[str], default_format: str) -> Row:
    values = dict(zip(columns, fields))
    row_id = values.get("id", "").strip()
    param = values.get("param", "").strip()
    answer = values.get("answer", "")
    fmt = (values.get("format") or "").strip().lower() or default_format
    problem = None
    if len(fields) != len(columns):
        problem = f"the row has {len(fields)} fields, the header {len(columns)}"
    elif len(row_id) > MAX_ID_LENGTH:
        problem = f"id longer than {MAX_ID_LENGTH} characters"
        row_id = row_id[:MAX_ID_LENGTH] + "…"
    elif not param:
        problem = "no parameter given"
    elif not answer.strip():
        problem = "empty answer"
    elif fmt not in FORMATS:
        problem = f"unknown format {fmt!r}: use auto, plain or latex"
    return Row(line, row_id, param, answer, fmt if fmt in FORMATS else "auto", problem)


# ---------------------------------------------------------------------------- judging


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: How a batch's answers are judged: given the network, the rows to judge and each row's limits,
#: yields `(index into those rows, outcome)` in any order. `judge_here` by default; a cluster's
#: (`symderiv.check.distributed`) plugs in the same way.
Judging = Callable[
    [NetworkSpec, Sequence[Row], sandbox.Limits], Iterable[tuple[int, sandbox.Outcome]]
]


def run_batch(
    spec: NetworkSpec,
    rows: Sequence[Row],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    judging: Judging | None = None,
) -> BatchReport:
    """Judge every row, each in a limited child: on this machine `workers` at a time (all cores
    by default), or however `judging` distributes them."""
    start = time.perf_counter()
    results: list[CheckResult | None] = [None] * len(rows)
    pending = []
    for index, row in enumerate(rows):
        if row.problem is not None:
            results[index] = cannot_judge(row.param, row.problem)
        else:
            pending.append(index)
    if judging is None:
        judging = functools.partial(judge_here, workers=workers or default_workers())
    limits = sandbox.Limits(seconds=timeout)
    for job, outcome in judging(spec, [rows[i] for i in pending], limits):
        index = pending[job]
        results[index] = result_from_outcome(outcome, rows[index].param)
    finished = tuple(r for r in results if r is not None)
    return BatchReport(spec, tuple(rows), finished, time.perf_counter() - start)


def judge_here(
    spec: NetworkSpec, rows: Sequence[Row], limits: sandbox.Limits, *, workers: int
) -> Iterable[tuple[int, sandbox.Outcome]]:
    """Judge `rows` on this machine, `workers` limited children at a time."""
    judge = judge_for(spec)
    for param in sorted({row.param for row in rows})[:1000]:
        judge.prepare(param, diagnosis=True)  # compiled once here, inherited by every child
    jobs = [(judge, row.param, row.answer, row.format) for row in rows]
    return sandbox.map_limited(check_in_child, jobs, limits=limits, workers=workers)


# ---------------------------------------------------------------------------- writing


_ADVICE = "choose another --out-dir or pass --force to replace it"


def report_paths(out_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """The two report files, after checking that writing them destroys nothing foreign.

    Called before judging, so a protected output fails the batch at once, not at the end.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"{out_dir}: exists and is not a directory")
    paths = (out_dir / REPORT_CSV, out_dir / REPORT_JSON)
    with _as_batch_error():
        for path, ours in zip(paths, (_is_our_csv, _is_our_json)):
            check_replaceable(path, force, ours=ours, advice=_ADVICE)
    return paths


def write_report(report: BatchReport, out_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write `report.csv` and `report.json` atomically into `out_dir` (created if needed)."""
    csv_path, json_path = report_paths(out_dir, force=force)
    csv_text = _text(lambda handle: _write_csv(report, handle))
    json_text = _text(lambda handle: _write_json(report, handle))
    with _as_batch_error():
        prepare_directory(out_dir)
        write_atomic(csv_path, csv_text, force=force, ours=_is_our_csv, advice=_ADVICE)
        write_atomic(json_path, json_text, force=force, ours=_is_our_json, advice=_ADVICE)
    return csv_path, json_path


@contextlib.contextmanager
def _as_batch_error() -> Iterator[None]:
    """The writer's refusals, raised as the batch's own error."""
    try:
        yield
    except SymderivError as error:
        raise BatchError(str(error)) from None


def _text(write: Callable[[io.TextIOBase], None]) -> str:
    buffer = io.StringIO()
    write(buffer)
    return buffer.getvalue()


def _write_csv(report: BatchReport, handle: io.TextIOBase) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for row, result in zip(report.rows, report.results):
        cells = [
            row.id,
            str(row.line),
            row.param,  # as the row gave it: `w3_1_1` in Nielsen's numbering stays w3_1_1
            result.verdict.value,
            result.diagnosis.mistake.value if result.diagnosis else "",
            _message(result),
            _counterexample_cell(result),
        ]
        writer.writerow([_cell(c) for c in cells])


def _write_json(report: BatchReport, handle: io.TextIOBase) -> None:
    spec = report.network
    document = {
        "generator": GENERATOR,  # first key: how a later run recognises its own file
        "version": 1,
        "network": {
            "layers": spec.label,
            "hidden_activation": spec.hidden_activation,
            "output_activation": spec.output_activation,
            "cost": spec.cost,
        },
        "summary": report.summary(),
        "rows": [
            {"id": row.id, "line": row.line, **result.to_json(), "param": row.param}
            for row, result in zip(report.rows, report.results)
        ],
    }
    json.dump(document, handle, ensure_ascii=False, indent=1)
    handle.write("\n")


def _message(result: CheckResult) -> str:
    """One line for the CSV: the mistake, or the reason (a parse error without its picture)."""
    if result.diagnosis is not None:
        return result.diagnosis.message
    first = result.reason.splitlines()[0] if result.reason else ""
    if result.error_position is not None:
        first += f" (at character {result.error_position + 1})"
    return first


def _counterexample_cell(result: CheckResult) -> str:
    example = result.counterexample
    if example is None:
        return ""
    values = "; ".join(f"{name}={value}" for name, value in example.point)
    return f"{values}; answer={example.answer}; expected={example.expected}"


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (`=HYPERLINK(...)` in an id)."""
    return "'" + text if text.startswith(_SPREADSHEET_TRIGGERS) else text


def _is_our_csv(path: Path) -> bool:
    header = (",".join(REPORT_COLUMNS) + "\n").encode()
    return _head(path).startswith(header)


def _is_our_json(path: Path) -> bool:
    return _JSON_START.match(_head(path)) is not None


def _head(path: Path) -> bytes:
    """The first bytes of a regular file (not a link); empty for anything else."""
    if path.is_symlink() or not path.is_file():
        return b""
    try:
        with path.open("rb") as handle:
            return handle.read(256)
    except OSError:
        return b""
