"""Process pools for tagging: forking warm workers, splitting the texts, streaming chunks.

The pipeline hands this module a *work* function (module level, so a pool can send it) and a list of
distinct texts; the workers run it on parts of the list and the caller gets the results back in order.

Workers are forked from a pipeline that has already loaded its dictionaries and models, so they start
ready and share those pages. A worker never outlives its parent: on Linux the kernel sends it SIGTERM
when the parent dies (``PR_SET_PDEATHSIG``), even if the parent was killed with SIGKILL; elsewhere a
watcher thread notices the parent is gone.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from voc.normalise import _as_text

if TYPE_CHECKING:
    from voc.pipeline import Pipeline

GC_THRESHOLDS = (100_000, 50, 100)  #: cyclic-GC thresholds in voc's own processes (tagging makes no cycles)
PARALLEL_MIN_TEXTS = 4000  #: below this many distinct texts, one process is faster than starting workers
MIN_PART = 500  #: fewest texts sent to a worker in one task
PARTS_PER_WORKER = 4  #: tasks per worker for a batch, so that the workers finish together

Work = Callable[["Pipeline", list[str]], list[Any]]  #: what a worker runs over a part of the texts
_worker_pipeline: list[Pipeline] = []  # set in worker processes only (see _init_worker)


def n_workers(workers: int) -> int:
    """The number of processes ``workers`` asks for (0: one per core)."""
    return (os.cpu_count() or 1) if workers == 0 else workers


def distinct(texts: Iterable[str | None]) -> tuple[list[str], list[int]]:
    """The distinct texts (missing values as '') in first-seen order, and each input's index among them."""
    unique: dict[str, int] = {}
    index = [unique.setdefault(t, len(unique)) for t in map(_as_text, texts)]
    return list(unique), index


def start_pool(pipeline: Pipeline, size: int) -> Any:
    """A process pool of ``size`` workers, each holding ``pipeline`` (warmed up before the fork)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # forked workers inherit the pipeline warm (segmenter, matchers, model tables built once, pages
    # shared): two workers warming up side by side would each redo it and slow the caller's reading
    pipeline.warm_up()
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(size, mp_context=mp.get_context(method), initializer=_init_worker,
                               initargs=(pipeline, os.getpid()))


def start_all(pool: Any, size: int) -> None:
    """Make ``pool`` start all of its ``size`` processes now."""
    for _ in range(size):
        pool.submit(_ready)


def submit(pool: Any, texts: list[str], size: int, work: Work) -> list[Future[Any]]:
    """Futures of ``work`` over ``texts`` in parts (several per worker, so that they finish together)."""
    part = max(MIN_PART, -(-len(texts) // (size * PARTS_PER_WORKER)))
    return [pool.submit(_in_worker, work, texts[i:i + part]) for i in range(0, len(texts), part)]


def gather(futures: Iterable[Future[Any]]) -> list[Any]:
    """The results of ``futures``, concatenated in order."""
    return [x for future in futures for x in future.result()]


def run_in_pool(pipeline: Pipeline, texts: list[str], size: int, work: Work) -> list[Any]:
    """``work`` over ``texts`` in a pool started for this call and stopped after it."""
    pool = start_pool(pipeline, size)
    try:
        return gather(submit(pool, texts, size, work))
    finally:
        pool.shutdown(cancel_futures=True)


def done(value: Any) -> Future[Any]:
    """A future that already holds ``value`` (work done in-process, finished like the pool's)."""
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def _die_with_parent(parent: int) -> None:
    """Ask for SIGTERM when the parent process dies (Linux), else watch for it from a thread."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGTERM, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="voc-parent-watch", daemon=True).start()


def _init_worker(pipeline: Pipeline, parent: int) -> None:
    import gc

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a parent's handler must not keep a worker alive
    pipeline.warm_up()  # load what the first text would, before any work arrives
    _worker_pipeline[:] = [pipeline]
    # our own process: the inherited heap (dictionaries, models) is never garbage, so keep the collector
    # off it (no traversals, no copy-on-write of shared pages) and let it run less often (~20% faster)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _ready() -> None:
    """A no-op task: submitting it makes a pool start its processes."""


def _in_worker(work: Work, texts: list[str]) -> list[Any]:
    return work(_worker_pipeline[0], texts)
