"""What a cluster failure becomes: one :class:`ClusterError` that says what happened and
what to change, instead of a traceback from inside ``distributed``.

Failures dmi recovers from need nothing here: a worker killed mid-run costs the
recomputation of its tasks (the result is exact). Two kinds end a call:

* **the scheduler is lost** (killed, restarted, the network cut): the client's futures
  are cancelled within seconds; a rerun on a fresh scheduler gives the right result;
* **a task keeps killing its workers** (``distributed.scheduler.allowed-failures`` times):
  almost always memory, a worker's ``memory_limit`` smaller than one partition's data
  and its summary.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Iterator
from typing import Any

from dmi._pass.config import allowed_failures


class ClusterError(RuntimeError):
    """The Dask cluster failed a dmi computation: the scheduler was lost, or a task kept
    killing the workers that ran it. The message says what to change; nothing is returned."""


def _task_name(key: Any) -> str:
    name = key[0] if isinstance(key, tuple) else key
    return str(name).rsplit("-", 1)[0]


def _memory_limits(client: Any) -> str:
    try:
        limits = {w.get("memory_limit") for w in client.scheduler_info()["workers"].values()}
    except Exception:  # the scheduler may be gone too
        return "unknown"
    from dask.utils import format_bytes

    shown = sorted(format_bytes(v) if v else "none" for v in limits)
    return ", ".join(shown) or "unknown (no worker is up to ask)"


@contextlib.contextmanager
def cluster_errors(client: Any) -> Iterator[None]:
    """Turn ``distributed``'s failures during a compute on ``client`` into :class:`ClusterError`."""
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    try:
        yield
    except KilledWorker as err:
        task = _task_name(err.task)
        lost = err.allowed_failures + 1
        setting = allowed_failures()
        raise ClusterError(
            f"workers kept dying while running dmi's task {task!r}: {lost} workers in a row were lost "
            "running it (distributed.scheduler.allowed-failures), almost always for memory. Each worker "
            "must hold one partition's data and its summary: the workers' memory_limit is "
            f"{_memory_limits(client)}; give them more (dask worker --memory-limit, "
            "LocalCluster(memory_limit=...)), or fewer threads per worker, or read smaller partitions "
            "(Parquet files with smaller row groups; a Dask DataFrame repartitioned). Worker logs say "
            f"more (last worker: {err.last_worker.address}; allowed-failures is {setting})"
        ) from err
    except (concurrent.futures.CancelledError, CommClosedError) as err:
        address = getattr(getattr(client, "scheduler", None), "address", None) or "the scheduler"
        why = " ".join(str(err).split())
        raise ClusterError(
            f"the connection to the Dask scheduler {address} was lost during the computation ({why}); "
            "nothing was returned. Start the scheduler again (or connect to a running one) and rerun: "
            "dmi's results do not depend on where or how often they are computed"
        ) from err
