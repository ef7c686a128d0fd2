"""A batch judged on a Dask cluster: the same report as on one machine, and no row can stop it.

One local cluster (two worker processes, one thread each) serves the whole module. A worker that
dies is simulated with a task that leaves its process through `os._exit`, submitted through the
same path as every row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest
from click.testing import CliRunner, Result

from symderiv.check import distributed, sandbox
from symderiv.check.batch import BatchError, Row, read_rows, run_batch, write_report
from symderiv.check.result import Verdict
from symderiv.cli.check import check_command
from symderiv.cli.main import Group
from symderiv.core.spec import NetworkSpec

if TYPE_CHECKING:
    from distributed import Client

SEED = NetworkSpec()
DIE = "leave the worker"
FAIL = "break the task"
HOG = "eat all memory"

ANSWERS = r"""id,param,answer,format
ok-plain,w2,2*(yhat - y)*yhat*(1 - yhat)*a1,
ok-latex,w2,2(\hat{y}-y)\hat{y}(1-\hat{y})a_1,latex
ok-delta,w1,\delta_2 w_2 a_1(1-a_1) x,
ok-b1,b1,delta1,plain
wrong-activation,w2,2(\hat{y}-y)\hat{y}a_1,latex
wrong-sign,w2,2*(y - yhat)*yhat*(1 - yhat)*a1,
wrong-two,w2,(yhat - y)*yhat*(1 - yhat)*a1,
wrong-weight,w1,2*(yhat-y)*yhat*(1-yhat)*w1*a1*(1-a1)*x,
unexplained,b2,sin(x),
typo,b2,2*(yaht - y),
unbalanced,w2,2*(yhat - y,
unknown-param,w9,delta2,
empty,w2,  ,
bad-format,w2,delta2*a1,mathml
too-many,w2,x,auto,extra
"=HYPERLINK(""http://x"")",w2,-delta2*a1,
tex-input,w2,\input{/etc/passwd},latex
tower,w2,9^9^9^9^9^9,
deep,w2,((((((((((((((((((((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))))))))))))))))))))),
long-name,w2,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,
"""


ROOT = Path(__file__).resolve().parent.parent

# The local cluster runs in a process of its own, so that its worker processes (and
# multiprocessing's helper process) are not children of the test process, whose own children
# the sandbox tests count. The tests reach it at its address, as `--scheduler tcp://…` does.
CLUSTER = """
import sys
sys.path.insert(0, sys.argv[1])  # the workers import this test module's tasks
from symderiv.check import distributed
with distributed.connect(distributed.LOCAL, workers=2) as client:
    print(client.scheduler.address, flush=True)
    sys.stdin.read()  # until the tests are done
"""


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    pytest.importorskip("distributed")
    cluster = subprocess.Popen(
        [sys.executable, "-c", CLUSTER, str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert cluster.stdout is not None
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        with distributed.connect(address) as client:
            yield client
    finally:
        assert cluster.stdin is not None
        cluster.stdin.close()
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait()


def write_answers(tmp_path: Path, text: str = ANSWERS) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def report_files(out: Path) -> tuple[str, dict[str, Any]]:
    """report.csv as text, and report.json without its one timing field."""
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    del document["summary"]["seconds"]
    return (out / "report.csv").read_text(encoding="utf-8"), document


# ---------------------------------------------------------------------------- the same report


def test_the_cluster_writes_the_report_a_local_batch_writes(tmp_path: Path, client: Client) -> None:
    rows = read_rows(write_answers(tmp_path))
    here = run_batch(SEED, rows, workers=2)
    there = run_batch(SEED, rows, judging=distributed.judging(client))
    write_report(here, tmp_path / "here")
    write_report(there, tmp_path / "there")
    assert report_files(tmp_path / "there") == report_files(tmp_path / "here")
    verdicts = [result.verdict for result in there.results]
    assert verdicts.count(Verdict.CORRECT) == 4
    assert verdicts.count(Verdict.INCORRECT) >= 5
    assert Verdict.CANNOT_JUDGE in verdicts


def test_progress_is_told_for_every_answer(client: Client) -> None:
    rows = [Row(i + 2, f"s{i}", "b1", "delta1") for i in range(5)]
    seen: list[tuple[int, int]] = []
    run_batch(SEED, rows, judging=distributed.judging(client, progress=lambda *p: seen.append(p)))
    assert seen == [(done, 5) for done in range(1, 6)]


# ---------------------------------------------------------------------------- hostile rows


def dies_on_cue(
    spec: NetworkSpec, param: str, answer: str, fmt: str, limits: sandbox.Limits
) -> sandbox.Outcome:
    """A row's task as a worker runs it, except that one answer ends the worker's process and
    another makes the task fail."""
    if answer == DIE:
        os._exit(3)
    if answer == FAIL:
        raise RuntimeError("the task broke")
    return distributed.judge_row(spec, param, answer, fmt, limits)


def hogs_memory_on_cue(
    spec: NetworkSpec, param: str, answer: str, fmt: str, limits: sandbox.Limits
) -> sandbox.Outcome:
    """A row's task whose sandboxed child, for one answer, allocates past the memory limit."""
    if answer == HOG:
        return sandbox.run_limited(_allocate, limits=limits)
    return distributed.judge_row(spec, param, answer, fmt, limits)


def _allocate() -> int:
    hoard = [bytes(256 << 20) for _ in range(16)]  # 4 GiB, past the 1 GiB the child may add
    return len(hoard)


def worker_processes(client: Client) -> set[int]:
    return set(client.run(os.getpid).values())


def test_a_row_that_kills_its_worker_is_cannot_judge_and_the_report_is_written(
    tmp_path: Path, client: Client
) -> None:
    answers = ["delta2*a1", "delta1", "delta2"] * 8  # correct for w2, b1 and b2
    answers[7], answers[12] = DIE, FAIL
    rows = [Row(i + 2, f"s{i}", ("w2", "b1", "b2")[i % 3], a) for i, a in enumerate(answers)]
    assert len(distributed._chunks(len(rows), 2)[0]) > 1  # the culprit takes others down with it
    report = run_batch(SEED, rows, judging=distributed.judging(client, task=dies_on_cue))
    verdicts = [r.verdict for r in report.results]
    assert verdicts[7] is Verdict.CANNOT_JUDGE
    assert report.results[7].reason == "its worker died, also when it was judged alone"
    assert verdicts[12] is Verdict.CANNOT_JUDGE
    assert report.results[12].reason == (
        "internal error while checking (RuntimeError: the task broke)"
    )
    others = [v for i, v in enumerate(verdicts) if i not in (7, 12)]
    assert others == [Verdict.CORRECT] * 22  # the culprit's chunk-mate (index 6) among them
    csv_path, _ = write_report(report, tmp_path)
    assert "its worker died" in csv_path.read_text(encoding="utf-8")
    client.wait_for_workers(2, timeout=60)  # the cluster replaces what died


def test_rows_are_cut_into_chunks_that_share_the_work() -> None:
    assert distributed._chunks(0, 2) == []
    assert distributed._chunks(5, 2) == [range(i, i + 1) for i in range(5)]
    chunks = distributed._chunks(10_000, 2)
    assert {len(c) for c in chunks} == {distributed.CHUNK}
    assert [i for c in chunks for i in c] == list(range(10_000))
    assert len(distributed._chunks(40, 2)) == 14  # ceil(40 / 16) = 3 rows a chunk


def test_a_row_past_the_memory_limit_leaves_its_worker_alive(client: Client) -> None:
    before = worker_processes(client)
    rows = [Row(2, "a", "w2", HOG), Row(3, "b", "b1", "delta1")]
    report = run_batch(SEED, rows, judging=distributed.judging(client, task=hogs_memory_on_cue))
    assert [r.verdict for r in report.results] == [Verdict.CANNOT_JUDGE, Verdict.CORRECT]
    assert "memory" in report.results[0].reason
    assert worker_processes(client) == before


# ---------------------------------------------------------------------------- command line


@click.group(cls=Group)
def cli() -> None:
    """A group like the real one, holding only `check`."""


cli.add_command(check_command)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args])


def test_the_command_judges_on_a_running_scheduler(tmp_path: Path, client: Client) -> None:
    answers = write_answers(tmp_path)
    address = client.scheduler.address
    result = run(
        "--batch", str(answers), "--out-dir", str(tmp_path / "there"), "--scheduler", address
    )
    assert result.exit_code == 1, result.output  # some rows cannot be judged
    assert result.stderr.splitlines()[-1] == "symderiv: 17 of 17 answers judged on the cluster"
    assert result.stdout.startswith("checked 20 answers")
    local = run("--batch", str(answers), "--out-dir", str(tmp_path / "here"))
    assert local.exit_code == 1
    assert report_files(tmp_path / "there") == report_files(tmp_path / "here")


def test_without_the_extra_the_scheduler_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    answers = write_answers(tmp_path)
    result = run("--batch", str(answers), "--out-dir", str(tmp_path), "--scheduler", "local")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "symderiv: error: --scheduler needs Dask's distributed scheduler, which is not "
        "installed: pip install 'symderiv[distributed]'"
    ]
    assert not (tmp_path / "report.csv").exists()
    with pytest.raises(BatchError, match="pip install"):
        distributed.require_distributed()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["x", "--param", "w2", "--scheduler", "local"], "--scheduler goes with --batch"),
        (["--batch", "{answers}", "--scheduler", "tcp://127.0.0.1:1", "-j", "2"], "--jobs sets"),
        (["--batch", "{answers}", "--scheduler", "nonsense://here"], "cannot reach the scheduler"),
    ],
)
def test_scheduler_usage_errors_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    pytest.importorskip("distributed")
    answers = str(write_answers(tmp_path))
    result = run(*(arg.format(answers=answers) for arg in args))
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert len(result.output.splitlines()) == 1
