"""Every random stream of a call, derived from its one seed in one place.

A call resolves ``random_state`` to one integer seed (:func:`dmi._engine.validate.check_random_state`);
each use of randomness then takes its own independent stream,
``numpy.random.SeedSequence(seed, spawn_key=(purpose, *ids))``, named by a
:class:`Purpose` and, where a purpose needs several streams, by integer ids (a column's
name hashed, a pair's slot, a data source). Streams of different purposes or ids never
overlap, and adding a new purpose changes none of the existing ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from enum import IntEnum

import numpy as np

DEFAULT_SEED = 0
"""The seed of ``random_state=None``: calls repeat, and summaries made with default
arguments merge (their row keys agree)."""


class Purpose(IntEnum):
    """What a random stream is for (the first spawn key; never renumber one)."""

    ROW_KEYS = 1
    """The bottom-k sample's row keys: one salt per data source."""
    PARTITIONS = 2
    """``sample='partitions'``: which partitions are read."""
    NOISE = 3
    """The k-NN tie-breaking jitter of one column (id: the column's name)."""
    TABLE_PERMUTATIONS = 4
    """Permutation p-values of a discrete pair (id: the pair's slot)."""
    KNN_PERMUTATIONS = 5
    """Permutation p-values of a k-NN pair (id: the pair's slot)."""
    CI_PERMUTATIONS = 6
    """Permutation p-values of a conditional test (id: its columns' names hashed)."""


def stream(seed: int, purpose: Purpose, *ids: int) -> np.random.Generator:
    """The generator of one purpose (and ids) under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(purpose), *ids)))


def word(seed: int, purpose: Purpose, *ids: int) -> int:
    """A 64-bit random word of one purpose (and ids) under ``seed``."""
    hi, lo = np.random.SeedSequence(seed, spawn_key=(int(purpose), *ids)).generate_state(2, dtype=np.uint32)
    return (int(hi) << 32) | int(lo)


def name_id(name: Hashable) -> int:
    """A stable 64-bit id of a column name or a path (its ``repr`` hashed, so ``1`` and
    ``'1'`` differ): the same in every process and Python session, unlike ``hash()``."""
    return int.from_bytes(hashlib.blake2b(repr(name).encode(), digest_size=8).digest(), "little")
