"""Batch checking: reading the CSV, judging rows in parallel, writing the report safely."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest

from symderiv.check import batch
from symderiv.check.batch import (
    REPORT_COLUMNS,
    BatchError,
    Row,
    read_rows,
    report_paths,
    run_batch,
    write_report,
)
from symderiv.check.judge import Judge
from symderiv.check.result import CheckResult, Verdict
from symderiv.core.spec import NetworkSpec

SEED = NetworkSpec()

GOOD = """id,param,answer,format
s1,w2,2*(yhat - y)*yhat*(1 - yhat)*a1,
s2,w2,2(\\hat{y}-y)\\hat{y}a_1,latex
s3,w1,delta1*x,plain
s4,b2,"delta2*a1",auto
"""


def write(tmp_path: Path, text: str, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- reading


def test_rows_are_read_with_their_line_numbers(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, GOOD))
    assert [r.id for r in rows] == ["s1", "s2", "s3", "s4"]
    assert [r.line for r in rows] == [2, 3, 4, 5]
    assert [r.format for r in rows] == ["auto", "latex", "plain", "auto"]
    assert rows[1].answer == r"2(\hat{y}-y)\hat{y}a_1"
    assert all(r.problem is None for r in rows)


def test_byte_order_mark_blank_lines_and_header_case_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffID,Param,Answer\r\n\r\na,w2,delta2*a1\r\n".encode())
    (row,) = read_rows(path)
    assert (row.id, row.param, row.answer, row.format) == ("a", "w2", "delta2*a1", "auto")


def test_default_format_applies_to_rows_without_one(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, GOOD), default_format="latex")
    assert rows[0].format == "latex" and rows[2].format == "plain"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("id,param\n", "lacks the column 'answer'"),
        ("id,param,anwser\n", "Did you mean 'answer'?"),
        ("id,param,answer,answer\n", "appears twice"),
        ('id,param,answer\na,w2,"unclosed\n', "not valid CSV"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(BatchError, match=words):
        read_rows(write(tmp_path, text))


def test_missing_directory_and_binary_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="no such file"):
        read_rows(tmp_path / "absent.csv")
    with pytest.raises(BatchError, match="is a directory"):
        read_rows(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,param,answer\n\xff\xfe\n")
    with pytest.raises(BatchError, match="not UTF-8"):
        read_rows(binary)


def test_size_and_row_count_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "MAX_ROWS", 3)
    with pytest.raises(BatchError, match="more than 3 rows"):
        read_rows(write(tmp_path, GOOD))
    monkeypatch.setattr(batch, "MAX_BYTES", 50)
    start = time.perf_counter()
    with pytest.raises(BatchError, match="larger than 50 bytes"):
        read_rows(write(tmp_path, GOOD + "x" * 10_000))
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("a,w2", "the row has 2 fields"),
        ("a,w2,x,auto,extra", "the row has 5 fields"),
        ("a,,x,", "no parameter"),
        ("a,w2,  ,", "empty answer"),
        ("a,w2,x,mathml", "unknown format 'mathml'"),
        ("a" * 300 + ",w2,x,", "id longer than 200"),
    ],
)
def test_bad_rows_are_marked_not_fatal(tmp_path: Path, line: str, problem: str) -> None:
    (row,) = read_rows(write(tmp_path, f"id,param,answer,format\n{line}\n"))
    assert row.problem is not None and problem in row.problem


# ---------------------------------------------------------------------------- judging


def test_rows_are_judged_in_order_with_counts(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, GOOD + "s5,w2,,\ns6,w2,yaht,\n"))
    report = run_batch(SEED, rows, workers=2)
    verdicts = [r.verdict.value for r in report.results]
    assert verdicts == [
        "correct",
        "incorrect",
        "correct",
        "incorrect",
        "cannot judge",
        "cannot judge",
    ]
    assert report.counts == {"correct": 2, "incorrect": 2, "cannot judge": 2}
    assert not report.all_judged
    assert report.results[4].reason == "empty answer"
    assert "Did you mean 'yhat'" in report.results[5].reason


def test_a_row_over_its_time_limit_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    judge_check = Judge.check

    def sometimes_slow(self: Judge, param: str, answer: str, fmt: str = "auto") -> CheckResult:
        if answer == "slow":
            time.sleep(60)
        return judge_check(self, param, answer, fmt)

    monkeypatch.setattr(Judge, "check", sometimes_slow)
    rows = [Row(2, "a", "w2", "delta2*a1"), Row(3, "b", "w2", "slow"), Row(4, "c", "b1", "delta1")]
    start = time.perf_counter()
    report = run_batch(SEED, rows, timeout=0.5, workers=2)
    assert time.perf_counter() - start < 3
    assert [r.verdict for r in report.results] == [
        Verdict.CORRECT,
        Verdict.CANNOT_JUDGE,
        Verdict.CORRECT,
    ]
    assert "time limit" in report.results[1].reason


def test_a_batch_for_another_network_uses_that_network() -> None:
    rows = [Row(2, "a", "w1_1_2", r"\delta^{(1)}_{1} x_{2}")]
    report = run_batch(NetworkSpec(layers=(2, 2, 1)), rows, workers=1)
    assert report.results[0].verdict is Verdict.CORRECT
    assert report.all_judged


# ---------------------------------------------------------------------------- writing


def judged(tmp_path: Path) -> batch.BatchReport:
    text = GOOD + '"=HYPERLINK(""http://x"")",w2,-delta2*a1,\n'
    return run_batch(SEED, read_rows(write(tmp_path, text)), workers=2)


def test_report_files_are_written(tmp_path: Path) -> None:
    report = judged(tmp_path)
    out = tmp_path / "out" / "nested"
    csv_path, json_path = write_report(report, out)
    assert (csv_path, json_path) == (out / "report.csv", out / "report.json")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert tuple(table[0]) == REPORT_COLUMNS
    assert [row[3] for row in table[1:]] == [r.verdict.value for r in report.results]
    assert table[2][4] == "wrong_activation_derivative"
    assert "x=" in table[2][6] and "expected=" in table[2][6]
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert document["generator"] == "symderiv check"
    assert document["network"]["layers"] == "1-1-1"
    assert document["summary"]["rows"] == 5
    assert document["rows"][1]["diagnosis"]["mistake"] == "wrong_activation_derivative"
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.json"]  # no temp


def test_cells_cannot_become_spreadsheet_formulas(tmp_path: Path) -> None:
    csv_path, _ = write_report(judged(tmp_path), tmp_path)
    with csv_path.open(encoding="utf-8", newline="") as handle:
        last = list(csv.reader(handle))[-1]
    assert last[0] == '\'=HYPERLINK("http://x")'
    assert last[3] == "incorrect"


def test_a_report_symderiv_wrote_is_replaced(tmp_path: Path) -> None:
    report = judged(tmp_path)
    write_report(report, tmp_path)
    write_report(report, tmp_path)  # its own files: no --force needed


@pytest.mark.parametrize("name", ["report.csv", "report.json"])
def test_a_foreign_file_is_kept_unless_forced(tmp_path: Path, name: str) -> None:
    foreign = tmp_path / name
    foreign.write_text("precious data\n")
    with pytest.raises(BatchError, match="not written by symderiv"):
        report_paths(tmp_path)
    assert foreign.read_text() == "precious data\n"
    write_report(judged(tmp_path), tmp_path, force=True)
    assert foreign.read_text() != "precious data\n"


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("do not touch\n")
    link = tmp_path / "out" / "report.csv"
    link.parent.mkdir()
    os.symlink(target, link)
    report = judged(tmp_path)
    with pytest.raises(BatchError, match="not written by symderiv"):
        write_report(report, link.parent)
    write_report(report, link.parent, force=True)
    assert target.read_text() == "do not touch\n"
    assert not link.is_symlink()
    assert link.read_text(encoding="utf-8").startswith("id,line,param")


def test_an_output_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BatchError, match="not a directory"):
        report_paths(blocker)


def test_a_directory_in_a_reports_place_is_refused_even_when_forced(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()
    with pytest.raises(BatchError, match="is a directory"):
        write_report(judged(tmp_path), tmp_path, force=True)
    assert not (tmp_path / "report.csv").exists()  # refused before writing anything


def test_reports_get_the_permissions_the_umask_gives(tmp_path: Path) -> None:
    report = judged(tmp_path)
    previous = os.umask(0o022)
    try:
        paths = write_report(report, tmp_path / "out")
    finally:
        os.umask(previous)
    assert [path.stat().st_mode & 0o777 for path in paths] == [0o644, 0o644]
