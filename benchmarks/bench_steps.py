"""Time the step-by-step differentiator against plain `sympy.diff` on the same corpus.

Run from the project root: `python benchmarks/bench_steps.py`. The corpus is the golden worked
examples plus a few network-sized expressions. SymPy's cache is cleared before every timing so
neither side profits from the other's work. Targets: median under 50 ms, maximum under 1 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy as sp
from sympy.core.cache import clear_cache

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symderiv.calculus import differentiate, iter_steps  # noqa: E402
from symderiv.parse.plain import parse_expression  # noqa: E402
from tests.regen_steps_golden import load_cases  # noqa: E402

EXTRA = [
    ("σ(w2 σ(w1 x + b1) + b2)", "w1"),
    ("(σ(w2 σ(w1 x + b1) + b2) - y)^2 / 2", "w1"),
    ("-(y ln(σ(w z + b)) + (1 - y) ln(1 - σ(w z + b)))", "w"),
    ("tanh(w3 tanh(w2 tanh(w1 x + b1) + b2) + b3)", "w1"),
    ("softplus(w2 relu(w1 x + b1) + b2)", "b1"),
    ("x^x^x", "x"),
    ("sin(x)^cos(x) / (1 + e^(x^2))", "x"),
    ("ln(sqrt((1 + x^2)/(1 - x^2)))", "x"),
    ("atan(sinh(x)) + asin(tanh(x)) + sec(x)^3 csc(2x)", "x"),
    ("(3x^4 - 2x^3 + x - 7)^10 (x^2 + 1)^(-3/2)", "x"),
]
REPEATS = 3


def corpus() -> list[tuple[sp.Expr, sp.Symbol]]:
    items = [(case.text, case.wrt) for case in load_cases()] + EXTRA
    return [(parse_expression(text), sp.Symbol(wrt)) for text, wrt in items]


def timed(function: Callable[[sp.Expr, sp.Symbol], object], expr: sp.Expr, wrt: sp.Symbol) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        clear_cache()
        start = time.perf_counter()
        function(expr, wrt)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    items = corpus()
    differentiate(*items[0])  # first-call imports out of the measurement
    steps_times = [timed(differentiate, e, w) for e, w in items]
    diff_times = [timed(sp.diff, e, w) for e, w in items]
    slowest = max(range(len(items)), key=lambda i: steps_times[i])
    count = sum(1 for e, w in items for _ in iter_steps(differentiate(e, w)))
    median, worst = statistics.median(steps_times), max(steps_times)
    diff_median = statistics.median(diff_times)
    print(f"expressions: {len(items)}  steps in all trees: {count}")
    print(
        f"steps:      median {median * 1e3:7.2f} ms  max {worst * 1e3:7.2f} ms"
        f"  ({sp.sstr(items[slowest][0])[:60]})"
    )
    print(f"sympy.diff: median {diff_median * 1e3:7.2f} ms  max {max(diff_times) * 1e3:7.2f} ms")
    print(
        f"ratio steps/diff: median {median / diff_median:5.1f}x"
        f"  total {sum(steps_times) / sum(diff_times):5.1f}x"
    )
    print(
        f"targets: median < 50 ms {'met' if median < 0.05 else 'MISSED'};"
        f" max < 1 s {'met' if worst < 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
