"""Reverse mode versus naive differentiation, by depth of a chain network.

For chain networks (one node per layer) of depth 1, 2, 4, 8, 16, times deriving every gradient
with symderiv against `sympy.diff` of the fully nested cost for each parameter (the baseline,
measured in the same run), and prints the ratio. Then times symderiv alone at depth 32 to 256,
and the seed network's `symderiv derive --param all` against `python -c "import sympy"`.

Targets: ratio >= 50 at depth 16; all gradients of a depth-256 chain in under 2 s; the seed
command in at most 1.5x the time of importing SymPy.

Run: python benchmarks/bench_depth.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import sympy as sp

from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import derive


def chain(depth: int) -> NetworkSpec:
    return NetworkSpec(layers=(1,) * (depth + 1))


def time_symderiv(depth: int) -> float:
    sp.core.cache.clear_cache()
    start = time.perf_counter()
    derive(chain(depth))
    return time.perf_counter() - start


def time_naive(depth: int) -> float:
    """Build the nested cost and `sympy.diff` it once per parameter, as a naive tool would."""
    sp.core.cache.clear_cache()
    start = time.perf_counter()
    network = derive(chain(depth)).network
    cost = network.nested_cost()
    for parameter in network.parameters:
        sp.diff(cost, parameter)
    return time.perf_counter() - start


def best_of(runs: int, func, *args) -> float:  # type: ignore[no-untyped-def]
    return min(func(*args) for _ in range(runs))


def command_time(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print("depth  symderiv (s)  sympy.diff (s)   ratio")
    for depth in (1, 2, 4, 8, 16):
        ours = best_of(3, time_symderiv, depth)
        naive = best_of(1 if depth >= 8 else 3, time_naive, depth)
        print(f"{depth:5d}  {ours:12.4f}  {naive:14.4f}  {naive / ours:7.1f}")
    print()
    print("depth  symderiv (s)   (target: depth 256 under 2 s)")
    for depth in (32, 64, 128, 256):
        print(f"{depth:5d}  {best_of(3, time_symderiv, depth):12.4f}")
    print()
    baseline = command_time([sys.executable, "-c", "import sympy"])
    command = command_time([sys.executable, "-m", "symderiv", "derive", "--param", "all"])
    print(f'python -c "import sympy":          {baseline:.3f} s')
    print(f"symderiv derive --param all (seed): {command:.3f} s")
    print(f"ratio: {command / baseline:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
