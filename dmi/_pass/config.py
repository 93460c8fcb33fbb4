"""dmi's settings in Dask's configuration, read in this one place.

* ``dmi.split-every`` (default 8): fan-in of the tree merge when ``split_every=None``.
* ``dmi.table-memory`` (default ``"2 GiB"``): the bytes the pair tables of the summaries one
  merge holds may take, before the pairs are counted in blocks (:mod:`dmi._pass.blocks`).
* ``dmi.knn-memory`` (default ``"2 GiB"``): the bytes of prepared continuous columns and
  shared k-NN axes one process keeps (:mod:`dmi._math.prepared`); beyond it the least
  recently used are made again when read. The estimates do not depend on it.

It also reads the Dask settings dmi acts on: ``num_workers`` (the local pool's threads)
and ``distributed.scheduler.allowed-failures`` (quoted when workers keep dying).

Set them like any Dask option: ``dask.config.set({"dmi.table-memory": "4 GiB"})``, a YAML
file, or the ``DASK_DMI__TABLE_MEMORY`` environment variable.
"""

from __future__ import annotations

from typing import Any

import dask
from dask.utils import parse_bytes

DEFAULT_SPLIT_EVERY = 8
DEFAULT_TABLE_MEMORY = 2 * 2**30
DEFAULT_KNN_MEMORY = 2 * 2**30


def split_every() -> Any:
    """The configured ``dmi.split-every`` as set (checked by the caller, who names it)."""
    return dask.config.get("dmi.split-every", DEFAULT_SPLIT_EVERY)


def num_workers() -> int | None:
    """Dask's ``num_workers`` (the local pool's threads), None when not set."""
    value = dask.config.get("num_workers", None)
    return int(value) if value else None


def allowed_failures() -> Any:
    """``distributed.scheduler.allowed-failures``, as set."""
    return dask.config.get("distributed.scheduler.allowed-failures", None)


def table_memory() -> int:
    """The configured ``dmi.table-memory`` in bytes; ValueError naming the key when it is not
    a positive size."""
    return _size("dmi.table-memory", DEFAULT_TABLE_MEMORY)


def knn_memory() -> int:
    """The configured ``dmi.knn-memory`` in bytes; ValueError naming the key when it is not
    a positive size."""
    return _size("dmi.knn-memory", DEFAULT_KNN_MEMORY)


def _size(key: str, default: int) -> int:
    budget = dask.config.get(key, default)
    try:
        total = parse_bytes(budget) if isinstance(budget, str) else int(budget)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"dask config {key!r} must be a number of bytes or a size such as '2 GiB'; got {budget!r}"
        ) from err
    if total <= 0:
        raise ValueError(f"dask config {key!r} must be positive; got {budget!r}")
    return int(total)
