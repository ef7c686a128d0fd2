"""Checking answers in limited child processes: the entry points the CLI and batches use.

The network is derived (once per spec, cached) in this process; only the work on an answer runs
in the child (`symderiv.check.sandbox`), so no answer can hang or exhaust the caller. The child
sends its result back as JSON.
"""

from __future__ import annotations

from typing import Any

from symderiv.check import messages, sandbox
from symderiv.check.judge import Judge, judge_for
from symderiv.check.result import CheckResult, cannot_judge
from symderiv.check.sandbox import DEFAULT_TIMEOUT
from symderiv.core.spec import NetworkSpec


def check(
    spec: NetworkSpec | None,
    param: str,
    answer: str,
    *,
    fmt: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> CheckResult:
    """Judge `answer` for `∂J/∂param` in a child process limited to `timeout` seconds."""
    judge = judge_for(spec or NetworkSpec())
    judge.prepare(param)
    outcome = sandbox.run_limited(
        check_in_child, judge, param, answer, fmt, limits=sandbox.Limits(seconds=timeout)
    )
    return result_from_outcome(outcome, param)


def check_in_child(judge: Judge, param: str, answer: str, fmt: str) -> dict[str, Any]:
    """What a child runs: the result, as the JSON it sends back."""
    return judge.check(param, answer, fmt).to_json()


def result_from_outcome(outcome: sandbox.Outcome, param: str) -> CheckResult:
    """The result a child sent back, or *cannot judge* with the reason it did not finish."""
    if outcome.ok:
        return CheckResult.from_json(outcome.value)
    if outcome.status == sandbox.ERROR:
        return cannot_judge(param, messages.internal_error(outcome.message))
    return cannot_judge(param, outcome.message)
