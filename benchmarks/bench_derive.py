"""`symderiv derive` on large networks, as whole processes, against importing SymPy.

Each command runs as a fresh process (the median of several runs) and is compared with
`python -c "import sympy"` timed in the same run; the size of what it prints is reported too.

Targets:
  - `derive --layers 784-30-10 --form matrix --format latex`: at most 3x importing SymPy;
  - every scalar gradient of 784-30-10 (`derive --param all`, text): at most 20x, and it
    prints less than 25 MB;
  - `derive --param all` on a chain of depth 256: at most 4x.

Run: python benchmarks/bench_derive.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

MB = 1_000_000
CHAIN_256 = "-".join(["1"] * 257)
CASES = [
    # (label, arguments after `symderiv derive`, ratio target, output limit in bytes or None)
    ("784-30-10 matrix form, LaTeX", ["--layers", "784-30-10", "--form", "matrix",
                                      "--format", "latex"], 3.0, None),
    ("784-30-10 every gradient, text", ["--layers", "784-30-10", "--param", "all"], 20.0,
     25 * MB),
    ("depth-256 chain, every gradient", ["--layers", CHAIN_256, "--param", "all"], 4.0, None),
]  # fmt: skip


def median_run(args: list[str], runs: int) -> tuple[float, int]:
    """Median wall time of `args` as a fresh process, and the bytes it printed."""
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        size = len(result.stdout)
    return statistics.median(times), size


def main() -> None:
    baseline, _ = median_run([sys.executable, "-c", "import sympy"], runs=7)
    print(f'python -c "import sympy": {baseline:.3f} s')
    missed = 0
    for label, args, target, limit in CASES:
        seconds, size = median_run([sys.executable, "-m", "symderiv", "derive", *args], runs=5)
        ratio = seconds / baseline
        ok = ratio <= target and (limit is None or size < limit)
        missed += not ok
        bound = "" if limit is None else f", < {limit // MB} MB"
        print(
            f"{label:<34} {seconds:7.3f} s  ratio {ratio:5.2f} (target <= {target:g}{bound})  "
            f"{size / MB:7.2f} MB  {'met' if ok else 'MISSED'}"
        )
    print("all targets met" if not missed else f"{missed} target(s) missed")


if __name__ == "__main__":
    main()
