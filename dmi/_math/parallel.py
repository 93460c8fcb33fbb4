"""Run independent pieces of one computation on several threads (no Dask).

The k-NN kernels release the GIL (numba ``nogil``), so one pair's queries, cut into
ranges, run in parallel on threads. This helps where Dask has fewer tasks than cores: one
pair, a handful of pairs, or the one task that prepares the sample. A matrix of many
pairs keeps every core busy with whole pairs and never splits them.

The pieces run on a process-wide pool of ``os.cpu_count()`` threads, plus the calling
thread, which runs the first piece. Pieces must not themselves call :func:`run_pieces`
(a piece waiting on the pool from inside it could wait for ever).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_LOCK = threading.Lock()


def cores() -> int:
    """The cores this process may use (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="dmi-kernel")
        return _POOL


def ranges(n: int, pieces: int) -> list[tuple[int, int]]:
    """``[0, n)`` cut into at most ``pieces`` contiguous ranges of nearly equal length."""
    pieces = max(1, min(pieces, n))
    return [(n * i // pieces, n * (i + 1) // pieces) for i in range(pieces)]


def run_pieces(fn: Callable[[int, int], T], n: int, threads: int) -> list[T]:
    """``fn(lo, hi)`` over ``[0, n)`` cut into ranges, one per thread, results in order.

    Parameters
    ----------
    fn : callable
        Called as ``fn(lo, hi)`` for each range; ranges are disjoint, so ``fn`` may write
        to shared output arrays at the positions of its range.
    n : int
        The length of the work.
    threads : int
        How many threads to use (capped at :func:`cores`); 1 runs ``fn(0, n)`` here.

    Returns
    -------
    list
        Each range's result, in the order of the ranges.
    """
    parts = ranges(n, min(threads, cores()))
    if len(parts) <= 1:
        return [fn(0, n)]
    pool = _pool()
    futures = [pool.submit(fn, lo, hi) for lo, hi in parts[1:]]
    first = fn(*parts[0])
    return [first, *(f.result() for f in futures)]
