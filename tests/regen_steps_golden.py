"""Golden files of worked derivative examples: the cases, their rendering, and regeneration.

Run `python -m tests.regen_steps_golden` from the project root after a deliberate change to the
step engine, then review the diff of `tests/golden/steps/` like any other code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from symderiv.calculus import differentiate, iter_steps
from symderiv.parse.plain import parse_expression

GOLDEN = Path(__file__).resolve().parent / "golden" / "steps"
CASES = GOLDEN / "cases.txt"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    wrt: str

    @property
    def path(self) -> Path:
        return GOLDEN / f"{self.name}.txt"


def load_cases() -> list[Case]:
    """The worked examples listed in cases.txt, in file order."""
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, text, wrt = (part.strip() for part in line.split("|"))
        cases.append(Case(name, text, wrt))
    return cases


def golden_text(case: Case) -> str:
    """A golden file: the input, every step's rule (indented by depth) and the result."""
    step = differentiate(parse_expression(case.text), sp.Symbol(case.wrt))
    rules = "\n".join("  " * depth + s.rule_id for depth, s in iter_steps(step))
    return (
        f"input: {case.text}\n"
        f"expr: {sp.sstr(step.expr)}\n"
        f"wrt: {case.wrt}\n"
        f"result: {sp.sstr(step.result)}\n"
        f"rules:\n{rules}\n"
    )


def main() -> None:
    cases = load_cases()
    for case in cases:
        case.path.write_text(golden_text(case), encoding="utf-8")
    print(f"wrote {len(cases)} golden files to {GOLDEN}")


if __name__ == "__main__":
    main()
