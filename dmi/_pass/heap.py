"""The kernels' temporary arrays kept on the heap inside ``distributed``'s workers.

``distributed`` starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, so that
memory a task frees goes back to the OS at once instead of counting against the worker's
limit. With that variable set, glibc stops raising its mmap threshold as programs free large
blocks: every array above 128 KiB becomes a fresh mapping, faulted in page by page when
written and unmapped when freed (in a process with threads, each unmapping also flushes the
other cores' page tables). The k-NN kernels make a dozen arrays of the sample's length a pair;
measured on 300 mixed columns x 1M rows, ``top_pairs`` took 37 s instead of 26 s with that
variable set, and as long on a 2-worker cluster.

:func:`heap_kept` raises both thresholds while a block of pairs runs (the blocks of a worker
share one setting: the first one in raises it, the last one out puts back the values the
environment gave and trims the heap), so the arrays of one pair are the next pair's pages.
Memory in use is the same; only its return to the OS waits for the block's end. Elsewhere
(no such variable, not glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's largest mmap threshold on 64-bit systems; arrays above it are mapped anyway
_KEPT_MMAP = 32 * 2**20
# the free memory at the top of the heap kept while a block runs
_KEPT_TRIM = 512 * 2**20
# glibc's defaults, when the environment does not set them (or not as a number)
_DEFAULT_MMAP = 128 * 2**10
_DEFAULT_TRIM = 128 * 2**10

_lock = threading.Lock()
_inside = 0


@functools.cache
def _glibc() -> Any:
    """glibc's ``mallopt`` and ``malloc_trim``, or None (another C library or platform)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist
    except (OSError, AttributeError):
        return None
    return libc


def _setting(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@contextmanager
def heap_kept() -> Iterator[None]:
    """Within the block, large temporary arrays are reused from the heap even where
    ``MALLOC_TRIM_THRESHOLD_`` is set (a ``distributed`` worker); see the module docstring."""
    global _inside
    libc = _glibc() if "MALLOC_TRIM_THRESHOLD_" in os.environ else None
    if libc is None:
        yield
        return
    with _lock:
        _inside += 1
        if _inside == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _KEPT_MMAP)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_TRIM)
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                libc.mallopt(_M_TRIM_THRESHOLD, _setting("MALLOC_TRIM_THRESHOLD_", _DEFAULT_TRIM))
                libc.mallopt(_M_MMAP_THRESHOLD, _setting("MALLOC_MMAP_THRESHOLD_", _DEFAULT_MMAP))
                libc.malloc_trim(0)
