"""Time `symderiv check`: one answer on the seed network, and a batch of 1,000 answers.

Run from the project root: `python benchmarks/bench_check.py`. Targets: the median single check
(after import, each in its own limited child process, as the CLI runs it) under 50 ms; a batch
of 1,000 answers under 30 s on 2 cores, using every core. The answers mix correct and wrong
ones, plain and LaTeX, so the diagnosis (the slower path) is part of the measurement.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symderiv.check.batch import Row, default_workers, run_batch  # noqa: E402
from symderiv.check.judge import check_answer  # noqa: E402
from symderiv.check.limited import check  # noqa: E402
from symderiv.core.spec import NetworkSpec  # noqa: E402

SINGLE_TARGET = 0.050
BATCH_TARGET = 30.0
BATCH_SIZE = 1_000
REPEATS = 40

ANSWERS = [  # (param, answer): correct and wrong, plain and LaTeX, for the seed network
    ("w2", "2*(yhat - y)*yhat*(1 - yhat)*a1"),
    ("w2", r"2(\hat{y}-y)\hat{y}(1-\hat{y})a_1"),
    ("w2", r"2\left(\sigma(z_2) - y\right)\sigma'(z_2)\, a_1"),
    ("w2", "delta2*a1"),
    ("w2", "2*(yhat - y)*a1"),  # missing σ'(z2)
    ("w2", "2*(y - yhat)*yhat*(1 - yhat)*a1"),  # sign
    ("w2", "(yhat - y)*yhat*(1 - yhat)*a1"),  # the 2
    ("w2", "2*(yhat - y)*yhat*(1 - yhat)*x"),  # wrong input
    ("w1", "2*(yhat-y)*yhat*(1-yhat)*w2*a1*(1-a1)*x"),
    ("w1", r"\delta_2 w_2 a_1(1-a_1) x"),
    ("w1", "2*(yhat-y)*yhat*(1-yhat)*w1*a1*(1-a1)*x"),  # wrong weight
    ("w1", "2*(yhat-y)*yhat^2*w2*a1*(1-a1)*x"),  # σ² for σ'
    ("b1", "delta1"),
    ("b2", "delta2*a1"),  # extra factor
    ("b2", "sin(x)"),  # unexplained
    ("b2", "2*(yaht - y)"),  # unknown symbol
]


def single() -> tuple[float, float]:
    """Median seconds of one sandboxed check, and of the same work in-process."""
    spec = NetworkSpec()
    check(spec, "w2", ANSWERS[0][1])  # derivation and compilation out of the measurement
    cases = [ANSWERS[i % len(ANSWERS)] for i in range(REPEATS)]
    cases = [(param, f"{answer} + {i}*0") for i, (param, answer) in enumerate(cases)]
    sandboxed = []
    for param, answer in cases:  # first: a child inherits nothing an earlier answer compiled
        start = time.perf_counter()
        check(spec, param, answer)
        sandboxed.append(time.perf_counter() - start)
    inline = []
    for param, answer in cases:
        start = time.perf_counter()
        check_answer(spec, param, answer)
        inline.append(time.perf_counter() - start)
    return statistics.median(sandboxed), statistics.median(inline)


def batch(workers: int) -> float:
    rows = []
    for i in range(BATCH_SIZE):
        param, answer = ANSWERS[i % len(ANSWERS)]
        rows.append(Row(i + 2, f"s{i}", param, f"{answer} + {i}*0"))
    start = time.perf_counter()
    report = run_batch(NetworkSpec(), rows, workers=workers)
    seconds = time.perf_counter() - start
    print(f"batch verdicts: {report.counts}")
    return seconds


def main() -> None:
    median, inline = single()
    print(
        f"single check (seed network, sandboxed): median {median * 1e3:6.1f} ms"
        f"  (in-process {inline * 1e3:5.1f} ms)"
        f"  target {SINGLE_TARGET * 1e3:.0f} ms  ratio {median / SINGLE_TARGET:4.2f}"
        f"  {'met' if median < SINGLE_TARGET else 'MISSED'}"
    )
    workers = default_workers()
    seconds = batch(workers)
    print(
        f"batch of {BATCH_SIZE} answers on {workers} cores: {seconds:6.2f} s"
        f"  ({seconds / BATCH_SIZE * 1e3:.1f} ms per answer)"
        f"  target {BATCH_TARGET:.0f} s  ratio {seconds / BATCH_TARGET:4.2f}"
        f"  {'met' if seconds < BATCH_TARGET else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
