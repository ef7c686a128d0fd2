"""Start-up of `symderiv --help` and of every `symderiv COMMAND --help`, against importing SymPy.

Each help is timed as a fresh process (best of several runs) and compared with
`python -c "import sympy"` timed in the same run; the target is at most 0.5x, which holds only
while no help imports SymPy or NumPy.

Run: python benchmarks/bench_startup.py
"""

from __future__ import annotations

import subprocess
import sys
import time

COMMANDS = ["derive", "handout", "gallery", "steps", "check", "example", "gradcheck", "codegen"]
TARGET = 0.5


def best_time(args: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    symderiv = [sys.executable, "-m", "symderiv"]
    baseline = best_time([sys.executable, "-c", "import sympy"])
    label = 'python -c "import sympy"'
    print(f"{label:<32} {baseline:.3f} s")
    worst = 0.0
    for command in [[], *([name] for name in COMMANDS)]:
        seconds = best_time([*symderiv, *command, "--help"])
        ratio = seconds / baseline
        worst = max(worst, ratio)
        label = " ".join(["symderiv", *command, "--help"])
        print(f"{label:<32} {seconds:.3f} s   ratio {ratio:.2f}")
    verdict = "met" if worst <= TARGET else "MISSED"
    print(f"worst ratio {worst:.2f} (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
    main()
