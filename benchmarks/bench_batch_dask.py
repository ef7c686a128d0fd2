"""Time a batch of 10,000 answers on this machine and on a local Dask cluster of the same cores.

Run from the project root: `python benchmarks/bench_batch_dask.py` (needs the extra:
`pip install 'symderiv[distributed]'`). Both runs judge the same answers (those of
`bench_check.py`, each made distinct), every one in its own limited child process; the cluster
has one single-threaded worker process per core, and its start-up is timed apart from the batch.
With the same cores the cluster cannot win by numbers; the ratio shows what its machinery (task
round trips, forking from a larger worker process) costs, which more machines must win back.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_check import ANSWERS  # noqa: E402

from symderiv.check import distributed  # noqa: E402
from symderiv.check.batch import BatchReport, Row, default_workers, run_batch  # noqa: E402
from symderiv.core.spec import NetworkSpec  # noqa: E402

BATCH_SIZE = 10_000


def answers() -> list[Row]:
    rows = []
    for i in range(BATCH_SIZE):
        param, answer = ANSWERS[i % len(ANSWERS)]
        rows.append(Row(i + 2, f"s{i}", param, f"{answer} + {i}*0"))
    return rows


def timed_local(rows: list[Row], workers: int) -> tuple[float, BatchReport]:
    start = time.perf_counter()
    report = run_batch(NetworkSpec(), rows, workers=workers)
    return time.perf_counter() - start, report


def timed_cluster(rows: list[Row], workers: int) -> tuple[float, float, BatchReport]:
    start = time.perf_counter()
    with distributed.connect(distributed.LOCAL, workers=workers) as client:
        started = time.perf_counter() - start
        start = time.perf_counter()
        report = run_batch(NetworkSpec(), rows, judging=distributed.judging(client))
        seconds = time.perf_counter() - start
    return started, seconds, report


def main() -> None:
    distributed.require_distributed()
    rows = answers()
    workers = default_workers()
    local, here = timed_local(rows, workers)
    started, cluster, there = timed_cluster(rows, workers)
    same = here.results == there.results
    print(f"verdicts: {here.counts}  (cluster: {'the same' if same else 'DIFFERENT'})")
    print(
        f"batch of {BATCH_SIZE:,} answers, {workers} cores:"
        f"  local {local:7.2f} s ({local / BATCH_SIZE * 1e3:.2f} ms per answer)"
    )
    print(
        f"batch of {BATCH_SIZE:,} answers, local cluster of {workers} workers:"
        f"  {cluster:7.2f} s ({cluster / BATCH_SIZE * 1e3:.2f} ms per answer)"
        f"  + {started:.2f} s to start it"
    )
    print(f"cluster / local: {cluster / local:4.2f}")


if __name__ == "__main__":  # the cluster's worker processes import this module again
    main()
