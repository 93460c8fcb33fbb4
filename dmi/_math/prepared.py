"""The sample's continuous columns, prepared when a pair first reads them, in bounded memory.

A continuous column is ranked and given its noise stream once (:func:`dmi._math.jitter.prepare`,
about 20 bytes a sample row), and a column without ties keeps one
:class:`~dmi._math.jitter.Axis` for all of its pairs (about 40 bytes a row). Made for every
column up front, a wide table's sample costs ``columns x rows x 60`` bytes: 1,000 columns of
100,000 rows are 6 GB. Here both are made on first use and kept in one least-recently-used
cache of a byte budget (``dmi.knn-memory``), so memory is bounded by the budget whatever the
width, and a column read by many pairs in a row is prepared once. What is prepared depends
on the column's values and seed only, so a column prepared twice is the same column.

The cache is per process (dropped when pickled: a worker prepares what its pairs read) and
shared by the threads of one process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

import numpy as np

from dmi._math.jitter import Axis, Prepared
from dmi._math.neighbours import value_index_nbytes


def nbytes(item: Prepared | Axis) -> int:
    """The bytes of an item's own arrays (a prepared column's values are the sample's; an
    axis's value index counted whether or not it has been made yet)."""
    if isinstance(item, Prepared):
        return sum(a.nbytes for a in (item.order, item.group, item.starts, item.draws, item.by_draw))
    arrays = (item.values, item.sorted, item.by_value, item.rank)
    return sum(a.nbytes for a in arrays) + value_index_nbytes(item.sorted.size)


class Lru:
    """A least-recently-used cache of at most ``budget`` bytes (an item larger than the
    budget is still returned, and kept until the next one arrives); thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.made = 0
        """Items made (hits are not counted): how often the budget forced a remake."""
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The item of ``key``, made by ``make()`` when it is not held (outside the lock:
        two threads may make one item at once, and one of the two is kept)."""
        with self._lock:
            held = self._items.get(key)
            if held is not None:
                self._items.move_to_end(key)
                return held[0]
        item = make()
        size = nbytes(item)
        with self._lock:
            self.made += 1
            if key not in self._items:
                self._items[key] = (item, size)
                self.used += size
            while self.used > self.budget and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self.used -= dropped
        return item

    def __getstate__(self) -> dict[str, Any]:
        return {"budget": self.budget}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["budget"])  # type: ignore[misc]


class LazyColumns(Mapping[int, Prepared]):
    """The prepared continuous columns of a sample by position, each made on first read."""

    def __init__(
        self, raw: Mapping[int, np.ndarray], make: Callable[[int, np.ndarray], Prepared], cache: Lru
    ) -> None:
        self._raw = dict(raw)
        self._make = make
        self.cache = cache

    def __getitem__(self, c: int) -> Prepared:
        raw = self._raw[c]
        prepared: Prepared = self.cache.get(("column", c), lambda: self._make(c, raw))
        return prepared

    def __contains__(self, c: object) -> bool:
        return c in self._raw

    def __iter__(self) -> Iterator[int]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def raw(self, c: int) -> np.ndarray:
        """Column ``c``'s float64 values (NaN where missing) without preparing it."""
        return self._raw[c]


class SharedAxes:
    """Each untied continuous column's axis on all of its present rows, in the cache of its
    prepared columns; ``without`` leaves one column out (a permuted copy of it)."""

    def __init__(self, cache: Lru, without: int | None = None) -> None:
        self.cache = cache
        self.without = without

    def get(self, c: int, make: Callable[[], Axis]) -> Axis:
        """Column ``c``'s shared axis, made by ``make()`` when the cache does not hold it."""
        if c == self.without:
            return make()
        axis: Axis = self.cache.get(("axis", c), make)
        return axis
