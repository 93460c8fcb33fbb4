"""dmi._pass.heap: within ``heap_kept`` a worker's large temporary arrays reuse the heap's
pages instead of faulting in fresh mappings, and outside it the worker's setting holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, resource
import numpy as np
from dmi._pass.heap import heap_kept

def faults(times=50):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        a = np.empty(1_000_000)  # 8 MB: above the mmap threshold a worker's setting keeps
        a[:] = 1.0
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()  # warm up
outside = faults()
with heap_kept():
    with heap_kept():  # nested blocks (two threads of a worker) share the setting
        faults()
        inside = faults()
    kept_after_inner = faults()
after = faults()
print(json.dumps({"outside": outside, "inside": inside, "kept": kept_after_inner, "after": after}))
"""


def _probe(env: dict[str, str]) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator settings")
def test_arrays_reuse_the_heap_inside_a_block_where_a_worker_trims_it() -> None:
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}  # as distributed's nanny sets it
    f = _probe(env)
    # each 8 MB array faulted in afresh (pages of 4 KiB or, with transparent huge pages, 2 MiB
    # and a few small ones; measured 421 faults an array): the cost heap_kept removes
    assert f["outside"] >= 50 * 4
    assert f["inside"] <= f["outside"] / 10
    assert f["kept"] <= f["outside"] / 10  # the outer block still holds the setting
    assert f["after"] >= f["outside"] / 2  # the last block out put the worker's setting back


def test_nothing_changes_without_the_workers_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    f = _probe(env)
    assert f["outside"] < 50 * 4 and f["inside"] < 50 * 4  # glibc's own threshold already reuses pages
