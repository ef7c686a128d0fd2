"""Time checking one matrix-form answer (`--param W2`) on the 2-3-1 network.

Run from the project root: `python benchmarks/bench_check_matrix.py`. Target: the median check,
each in its own limited child process as the CLI runs it (after the network is derived once),
well under 1 s; also timed in this process, and for the first check (which builds the layer
derivation and the slots of the examples).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symderiv.check.judge import check_answer  # noqa: E402
from symderiv.check.limited import check  # noqa: E402
from symderiv.core.spec import NetworkSpec  # noqa: E402

TARGET = 1.0
REPEATS = 20
NETWORKS = {
    "2-3-1": NetworkSpec(layers=(2, 3, 1)),
    "2-3-1, m = 3, λ = 0.1": NetworkSpec(layers=(2, 3, 1), examples=3, l2="0.1"),
}
ANSWERS = {  # correct and wrong: the diagnosis (the slower path) is part of the measurement
    "2-3-1": [
        ("W2", r"\delta^{(2)} (a^{(1)})^\top"),
        ("W2", "delta2 a1"),
        ("delta1", "W2^T delta2 ⊙ sigmoid'(z1)"),
        ("delta1", "W2^T delta2 ⊙ sigmoid'(z2)"),
    ],
    "2-3-1, m = 3, λ = 0.1": [
        ("W2", "1/m Delta2 A1^T + lambda/m W2"),
        ("W2", "Delta2 A1^T + lambda W2"),
    ],
}


def main() -> None:
    worst = 0.0
    for label, spec in NETWORKS.items():
        for param, answer in ANSWERS[label]:
            start = time.perf_counter()
            first = check_answer(spec, param, answer)
            first_seconds = time.perf_counter() - start
            in_process, limited = [], []
            for _ in range(REPEATS):
                start = time.perf_counter()
                check_answer(spec, param, answer)
                in_process.append(time.perf_counter() - start)
                start = time.perf_counter()
                check(spec, param, answer)
                limited.append(time.perf_counter() - start)
            median = statistics.median(limited)
            worst = max(worst, median)
            print(
                f"{label:22} {param:7} {answer:40} {first.verdict.value:10} "
                f"first {first_seconds * 1000:6.1f} ms, in process "
                f"{statistics.median(in_process) * 1000:6.1f} ms, limited child "
                f"{median * 1000:6.1f} ms"
            )
    verdict = "ok" if worst < TARGET else "SLOW"
    target = f"target < {TARGET * 1000:.0f} ms"
    print(f"slowest median check {worst * 1000:.1f} ms ({target}): {verdict}")


if __name__ == "__main__":
    main()
