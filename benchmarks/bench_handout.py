"""Cold start of `symderiv handout`, against importing SymPy in the same run.

Times `symderiv handout --format md,tex` for the seed network (target: at most 1.6x the time of
`python -c "import sympy"`) and for a depth-16 chain (target: under 3 s), each as a fresh process.

Run: python benchmarks/bench_handout.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time


def median_time(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        handout = [sys.executable, "-m", "symderiv", "handout", "--format", "md,tex", "--out", out]
        baseline = median_time([sys.executable, "-c", "import sympy"])
        seed = median_time([*handout, "--force"])
        deep = median_time([*handout, "--force", "--layers", "-".join(["1"] * 17)], runs=3)
    print(f'python -c "import sympy":            {baseline:.3f} s')
    print(f"symderiv handout (seed, md+tex):      {seed:.3f} s   ratio {seed / baseline:.2f}"
          " (target <= 1.6)")  # fmt: skip
    print(f"symderiv handout (depth-16 chain):    {deep:.3f} s   (target < 3 s)")


if __name__ == "__main__":
    main()
