"""Judging a batch on a Dask cluster, with the same sandbox and the same report as on one machine.

`dask.distributed` is an optional extra (`pip install 'symderiv[distributed]'`) and is imported
only here, only when a cluster is asked for. The rows go out in chunks, a task each; the worker
that runs a chunk judges each row exactly as a local batch does, in a forked child with time and
memory limits (`symderiv.check.sandbox`), so a hostile answer cannot take the worker down. A row
whose task fails anyway, or that still kills its worker when tried again alone, comes back as
*cannot judge*, and the batch goes on.

`connect("local")` starts a cluster of worker processes on this machine, listening on 127.0.0.1
only and without a dashboard, and stops it afterwards; any other address is an existing scheduler.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from symderiv.check import sandbox
from symderiv.check.batch import BatchError, Judging, Row, default_workers
from symderiv.check.judge import Judge, judge_for
from symderiv.check.limited import check_in_child
from symderiv.core import notation
from symderiv.core.spec import NetworkSpec

if TYPE_CHECKING:
    from distributed import Client

INSTALL = "pip install 'symderiv[distributed]'"
LOCAL = "local"
LOOPBACK = "127.0.0.1"  # a local cluster listens here only
MAX_LOCAL_WORKERS = 4  # `--scheduler local` without --jobs: one process per core, at most this
CONNECT_SECONDS = 10.0
CHUNK = 25  # rows in one task at most: a task costs its worker milliseconds of its own
CHUNKS_PER_THREAD = 8  # fewer, smaller chunks when the batch is small: every thread gets work
ALLOWED_FAILURES = 1  # a local cluster gives up a task after two workers died running it

#: What a worker does with a row: (network, param, answer, format, limits) -> the sandbox's outcome.
Task = Callable[[NetworkSpec, str, str, str, sandbox.Limits], sandbox.Outcome]
#: Told (answers judged so far, answers in all) after each answer comes back.
Progress = Callable[[int, int], None]


def require_distributed() -> None:
    """BatchError, with the command that installs it, when dask.distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise BatchError(
            f"--scheduler needs Dask's distributed scheduler, which is not installed: {INSTALL}"
        ) from None


@contextlib.contextmanager
def connect(scheduler: str, *, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a new local cluster (`local`) of `workers`
    single-threaded worker processes, closed (and the local cluster stopped) afterwards."""
    require_distributed()
    from distributed import Client, LocalCluster

    if scheduler != LOCAL and workers is not None:
        raise BatchError("--jobs sets the workers of --scheduler local; a cluster has its own")
    if scheduler == LOCAL:
        cluster = LocalCluster(
            n_workers=workers or min(default_workers(), MAX_LOCAL_WORKERS),
            threads_per_worker=1,
            processes=True,
            host=LOOPBACK,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # a failed row is told in the report
            scheduler_kwargs={
                "dashboard": False,
                "dashboard_address": f"{LOOPBACK}:0",  # its health page: loopback, any free port
                "allowed_failures": ALLOWED_FAILURES,
            },
        )
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, ValueError, TypeError) as error:
        raise BatchError(f"cannot reach the scheduler at {scheduler}: {error}") from None
    with client:
        _check_workers(client, scheduler)
        yield client


def _check_workers(client: Client, scheduler: str) -> None:
    """Fail before judging when the cluster has no worker, or one without symderiv."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise BatchError(f"the scheduler at {scheduler} has no workers") from None
    try:
        client.run(_worker_ready)
    except Exception as error:
        raise BatchError(
            f"the workers of {scheduler} cannot run symderiv (is it installed there?): "
            f"{type(error).__name__}: {error}"
        ) from None


def _worker_ready() -> bool:
    """Run on every worker: true once it could import what judging needs (this module)."""
    return True


def judging(
    client: Client, *, progress: Progress | None = None, task: Task | None = None
) -> Judging:
    """The batch's judging (`symderiv.check.batch.Judging`) as tasks on `client`'s cluster.

    `task` replaces what a worker runs for a row (`judge_row`): the seam the tests use to make a
    worker die.
    """
    return functools.partial(_judge_on, client, progress=progress, task=task or judge_row)


def _judge_on(
    client: Client,
    spec: NetworkSpec,
    rows: Sequence[Row],
    limits: sandbox.Limits,
    *,
    progress: Progress | None,
    task: Task,
) -> Iterator[tuple[int, sandbox.Outcome]]:
    """The rows in chunks, all at once; then, one at a time, the rows whose worker died.

    The scheduler blames a dead worker on every task it held, so rows queued beside the one that
    killed it come back killed too. Tried again alone, a row that still kills its worker is the
    culprit; any other is judged.
    """
    from distributed import as_completed, wait

    def submit(chunks: Sequence[Sequence[int]]) -> list[Any]:
        jobs = [[(rows[i].param, rows[i].answer, rows[i].format) for i in c] for c in chunks]
        n = len(chunks)
        return client.map(
            judge_rows, [task] * n, [spec] * n, jobs, [limits] * n, [written] * n, pure=False
        )

    written = notation.current()

    done = 0

    def told(chunk: Sequence[int], outcomes: Sequence[sandbox.Outcome]) -> Iterator[Any]:
        nonlocal done
        for index, outcome in zip(chunk, outcomes):
            done += 1
            yield index, outcome
            if progress is not None:
                progress(done, len(rows))

    chunks = _chunks(len(rows), sum(client.nthreads().values()))
    futures = submit(chunks)
    chunk_of = {future.key: chunk for future, chunk in zip(futures, chunks)}
    killed: list[int] = []
    try:
        for future in as_completed(futures):
            chunk = chunk_of[future.key]
            if _worker_died(future):
                killed.extend(chunk)
            else:
                yield from told(chunk, _outcomes(future, len(chunk)))
            future.release()
        for index in sorted(killed):
            futures = submit([[index]])
            wait(futures)
            yield from told([index], _outcomes(futures[0], 1))
    finally:
        client.cancel(futures)


def _chunks(count: int, threads: int) -> list[range]:
    """`range(count)` cut into chunks: several per worker thread, to share the work out evenly,
    and none above `CHUNK`, so that a task's own cost is shared by enough rows."""
    size = max(1, min(CHUNK, math.ceil(count / (max(1, threads) * CHUNKS_PER_THREAD))))
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _worker_died(future: Any) -> bool:
    from distributed import KilledWorker

    return future.status == "error" and isinstance(future.exception(), KilledWorker)


def _outcomes(future: Any, count: int) -> list[sandbox.Outcome]:
    """The outcomes a chunk's task returned, or for each of its rows the reason it returned none."""
    if future.status == "finished":
        outcomes = future.result()
        if isinstance(outcomes, list) and len(outcomes) == count:
            return outcomes
        return [sandbox.Outcome(sandbox.ERROR, None, "the worker sent back no outcome")] * count
    if future.status != "error":
        reason = f"the cluster lost the task ({future.status})"
        return [sandbox.Outcome(sandbox.CRASHED, None, reason)] * count
    if _worker_died(future):
        reason = "its worker died, also when it was judged alone"
        return [sandbox.Outcome(sandbox.CRASHED, None, reason)] * count
    return [_error(future.exception())] * count


def _error(error: BaseException) -> sandbox.Outcome:
    detail = str(error).splitlines()[0] if str(error) else ""
    return sandbox.Outcome(sandbox.ERROR, None, f"{type(error).__name__}: {detail}".rstrip(": "))


# ---------------------------------------------------------------------------- worker side

_PREPARING = threading.Lock()


def judge_rows(
    task: Task,
    spec: NetworkSpec,
    jobs: Sequence[tuple[str, str, str]],
    limits: sandbox.Limits,
    written: notation.Notation = notation.DEFAULT,
) -> list[sandbox.Outcome]:
    """What a worker runs for a chunk: `task` on each (param, answer, format), one after another,
    reading names in the notation of the command that sent it.

    A row whose task raises gets the error as its outcome; the chunk's other rows go on.
    """
    outcomes = []
    with notation.using(written):
        for param, answer, fmt in jobs:
            try:
                outcomes.append(task(spec, param, answer, fmt, limits))
            except Exception as error:
                outcomes.append(_error(error))
    return outcomes


def judge_row(
    spec: NetworkSpec, param: str, answer: str, fmt: str, limits: sandbox.Limits
) -> sandbox.Outcome:
    """What a worker runs for one row: the same limited child as a local batch."""
    judge = _prepared(spec, param)
    return sandbox.run_limited(check_in_child, judge, param, answer, fmt, limits=limits)


def _prepared(spec: NetworkSpec, param: str) -> Judge:
    """The network's judge with `param` compiled, once per worker process (children inherit it)."""
    with _PREPARING:  # a worker's threads share one judge
        return _prepare(spec, param)


def _prepare(spec: NetworkSpec, param: str) -> Judge:
    return _prepare_in(spec, param, notation.current())


@functools.lru_cache(maxsize=4096)
def _prepare_in(spec: NetworkSpec, param: str, written: notation.Notation) -> Judge:
    judge = judge_for(spec)
    judge.prepare(param, diagnosis=True)
    return judge
