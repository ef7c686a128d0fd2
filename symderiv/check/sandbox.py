"""Running a function in a child process with CPU, memory and wall-clock limits.

SymPy can hang or eat memory on some inputs, `signal.alarm` reaches the main thread only, and
SymPy's broad `except Exception:` blocks can swallow a timeout raised inside it. A
forked child with resource limits, killed by the parent at its deadline, contains anything.

- `fork` rather than `spawn`: the child starts with everything the parent already built (the
  network, compiled expressions), so a check costs a few milliseconds instead of re-importing
  SymPy (about a second). Measured: fork + pipe + exit about 2.5 ms.
- In the child: `RLIMIT_CPU` (the kernel stops a busy loop), `RLIMIT_AS` (address space on top
  of what the parent already maps) and `RLIMIT_CORE = 0`. In the parent: a wall-clock deadline
  after which the child gets SIGKILL, which also covers a child that sleeps or blocks.
- The child sends back JSON, never a pickle, so the parent never runs anything the child wrote.

Without `os.fork` (Windows) the function runs in-process and the limits are not enforced.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import json
import math
import os
import selectors
import signal
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Seconds a check may run before it is stopped (`symderiv check --timeout`).
DEFAULT_TIMEOUT = 5.0

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

CAN_FORK = hasattr(os, "fork") and resource is not None

OK = "ok"
TIMEOUT = "timeout"
MEMORY = "memory"
CRASHED = "crashed"
ERROR = "error"


@dataclass(frozen=True)
class Limits:
    """What one call may use: wall-clock seconds, extra address space, bytes of result."""

    seconds: float = 5.0
    memory_bytes: int = 1 << 30
    output_bytes: int = 16 << 20

    def __post_init__(self) -> None:
        if not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError("the time limit must be a positive number of seconds")
        if self.memory_bytes <= 0 or self.output_bytes <= 0:
            raise ValueError("memory and output limits must be positive")


@dataclass(frozen=True)
class Outcome:
    """How a limited call ended: `status` is ok, timeout, memory, crashed or error.

    `value` is the function's (JSON) result when ok; `message` explains any other status.
    """

    status: str
    value: Any = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def run_limited(func: Callable[..., Any], *args: Any, limits: Limits | None = None) -> Outcome:
    """Call `func(*args)` in a limited child; its result must be JSON-serialisable."""
    for _, outcome in map_limited(func, [args], limits=limits, workers=1):
        return outcome
    raise AssertionError("unreachable: one job gives one outcome")  # pragma: no cover


def map_limited(
    func: Callable[..., Any],
    jobs: Iterable[tuple[Any, ...]],
    *,
    limits: Limits | None = None,
    workers: int = 1,
) -> Generator[tuple[int, Outcome], None, None]:
    """Call `func(*args)` for every job, `workers` children at a time, each under `limits`.

    Yields `(index of the job, outcome)` as children finish, so not in job order. Children still
    running when the caller stops iterating (or on Ctrl-C) are killed.
    """
    limits = limits or Limits()
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if not CAN_FORK:  # pragma: no cover - exercised on Windows only
        for index, args in enumerate(jobs):
            yield index, _run_here(func, args)
        return
    selector = selectors.DefaultSelector()
    running: dict[int, _Child] = {}
    pending = enumerate(jobs)
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < workers:
                job = next(pending, None)
                if job is None:
                    exhausted = True
                    break
                child = _spawn(func, job[1], limits, job[0])
                running[child.fd] = child
                selector.register(child.fd, selectors.EVENT_READ)
            if not running:
                return
            wait = max(0.0, min(c.deadline for c in running.values()) - time.monotonic())
            for key, _ in selector.select(wait):
                child = running[key.fd]
                chunk = os.read(key.fd, 1 << 16)
                if chunk and len(child.data) + len(chunk) <= limits.output_bytes:
                    child.data.extend(chunk)
                    continue
                _forget(selector, running, child)
                if chunk:  # more output than allowed
                    yield child.index, _kill(child, ERROR, "the result was too large")
                else:
                    yield child.index, _collect(child, limits)
            now = time.monotonic()
            for child in [c for c in running.values() if now >= c.deadline]:
                _forget(selector, running, child)
                yield child.index, _kill(child, TIMEOUT, _time_message(limits))
    finally:
        for child in running.values():
            _kill(child, ERROR, "stopped")
        selector.close()


# ---------------------------------------------------------------------------- parent side


@dataclass
class _Child:
    pid: int
    fd: int
    index: int
    deadline: float
    data: bytearray = field(default_factory=bytearray)


def _spawn(func: Callable[..., Any], args: tuple[Any, ...], limits: Limits, index: int) -> _Child:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
        try:
            os.close(read_fd)
            _child_main(func, args, limits, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _Child(pid, read_fd, index, time.monotonic() + limits.seconds)


def _forget(selector: selectors.BaseSelector, running: dict[int, _Child], child: _Child) -> None:
    selector.unregister(child.fd)
    del running[child.fd]


def _kill(child: _Child, status: str, message: str) -> Outcome:
    with contextlib.suppress(ProcessLookupError):  # it may have ended on its own meanwhile
        os.kill(child.pid, signal.SIGKILL)
    os.waitpid(child.pid, 0)
    os.close(child.fd)
    return Outcome(status, None, message)


def _collect(child: _Child, limits: Limits) -> Outcome:
    """The outcome of a child that closed its end of the pipe."""
    _, wait_status = os.waitpid(child.pid, 0)
    os.close(child.fd)
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        if number == signal.SIGXCPU:
            return Outcome(TIMEOUT, None, _time_message(limits))
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        if number == signal.SIGKILL:
            return Outcome(MEMORY, None, f"killed by {name}, most likely for lack of memory")
        return Outcome(CRASHED, None, f"the check crashed ({name})")
    try:
        payload = json.loads(bytes(child.data).decode("utf-8"))
        status = payload["status"]
    except (ValueError, KeyError, TypeError):
        return Outcome(CRASHED, None, "the check ended without a result")
    if status == MEMORY:
        return Outcome(MEMORY, None, _memory_message(limits))
    return Outcome(status, payload.get("value"), str(payload.get("message", "")))


def _time_message(limits: Limits) -> str:
    return f"time limit of {limits.seconds:g} s exceeded"


def _memory_message(limits: Limits) -> str:
    return f"memory limit of {limits.memory_bytes >> 20} MiB exceeded"


# ---------------------------------------------------------------------------- child side


def _child_main(
    func: Callable[..., Any], args: tuple[Any, ...], limits: Limits, write_fd: int
) -> None:  # pragma: no cover - runs in the child
    gc.disable()  # a collection would touch, and so copy, every page shared with the parent
    faulthandler.disable()  # a crash is reported by the parent, not as the parent's traceback
    try:
        _apply_limits(limits)
        data = _encode(_payload(func, args))
    except MemoryError:
        data = _encode({"status": MEMORY})
    except BaseException as error:  # whatever happens, the parent gets a reason
        data = _encode({"status": ERROR, "message": f"{type(error).__name__}: {error}"})
    view = memoryview(data)
    while view:
        written = os.write(write_fd, view)
        view = view[written:]
    os.close(write_fd)


def _encode(payload: dict[str, Any]) -> bytes:
    try:
        return json.dumps(payload, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        message = f"result is not JSON: {error}"
        return json.dumps({"status": ERROR, "message": message}).encode("utf-8")


def _payload(func: Callable[..., Any], args: tuple[Any, ...]) -> dict[str, Any]:
    try:
        return {"status": OK, "value": func(*args)}
    except MemoryError:
        return {"status": MEMORY}
    except RecursionError:
        return {"status": ERROR, "message": "nested too deeply to evaluate"}
    except BaseException as error:  # the child reports everything, including Ctrl-C
        return {"status": ERROR, "message": f"{type(error).__name__}: {error}"}


def _apply_limits(limits: Limits) -> None:  # pragma: no cover - runs in the child
    assert resource is not None
    cpu = math.ceil(limits.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    address_space = _mapped_bytes()
    if address_space is not None:
        ceiling = address_space + limits.memory_bytes
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _mapped_bytes() -> int | None:
    """The address space this process maps now (Linux), so the limit is added on top of it."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _run_here(func: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:  # pragma: no cover
    """Without fork: call in-process, with the same JSON round trip and error reporting."""
    payload = json.loads(json.dumps(_payload(func, args)))
    return Outcome(payload["status"], payload.get("value"), str(payload.get("message", "")))
