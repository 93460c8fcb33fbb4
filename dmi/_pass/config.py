"""dmi's settings in Dask's configuration, read in this one place.

* ``dmi.split-every`` (default 8): fan-in of the tree merge when ``split_every=None``.
* ``dmi.table-memory`` (default ``"2 GiB"``): the bytes the pair tables of the summaries one
  merge holds may take, before the pairs are counted in blocks (:mod:`dmi._pass.blocks`).

Set them like any Dask option: ``dask.config.set({"dmi.table-memory": "4 GiB"})``, a YAML
file, or the ``DASK_DMI__TABLE_MEMORY`` environment variable.
"""

from __future__ import annotations

from typing import Any

import dask
from dask.utils import parse_bytes

DEFAULT_SPLIT_EVERY = 8
DEFAULT_TABLE_MEMORY = 2 * 2**30


def split_every() -> Any:
    """The configured ``dmi.split-every`` as set (checked by the caller, who names it)."""
    return dask.config.get("dmi.split-every", DEFAULT_SPLIT_EVERY)


def table_memory() -> int:
    """The configured ``dmi.table-memory`` in bytes; ValueError naming the key when it is not
    a positive size."""
    budget = dask.config.get("dmi.table-memory", DEFAULT_TABLE_MEMORY)
    try:
        total = parse_bytes(budget) if isinstance(budget, str) else int(budget)
    except (TypeError, ValueError) as err:
        raise ValueError(
            "dask config 'dmi.table-memory' must be a number of bytes or a size such as '2 GiB'; "
            f"got {budget!r}"
        ) from err
    if total <= 0:
        raise ValueError(f"dask config 'dmi.table-memory' must be positive; got {budget!r}")
    return int(total)
