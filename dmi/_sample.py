"""A mergeable uniform sample of rows: bottom-k by a seeded hash of each row's content.

Every row gets a 64-bit key, ``mix(hash(row values) ^ salt(seed))``: the row's content
hash (``pandas.util.hash_pandas_object``, whose ``hash_key`` salts strings only) mixed with
a seed-derived salt by the splitmix64 finalizer, so every seed orders the rows anew.
A summary keeps the ``k`` rows with the smallest keys; merging two summaries and keeping
the ``k`` smallest keys of the union is again the ``k`` smallest of all rows, so the
sample is a uniform sample without replacement of the whole table, gathered in the same
pass as the counts.

Because the key depends on the seed and the row itself -- not on partition numbers or
positions -- the same seed gives the same sample for any partitioning, any merge order and
any number of workers. Identical rows share a key; they enter or leave the sample
together, which changes nothing about the sampled values but makes the sample "clumpy" in
heavily duplicated data (each row's inclusion probability is still k/N).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SampleSpec:
    """What to sample: which columns (continuous ones as float64), how many rows, which seed."""

    columns: tuple[Hashable, ...]
    continuous: tuple[bool, ...]
    size: int
    seed: int


@dataclass(frozen=True, eq=False)
class Sample:
    """Up to ``size`` rows with the smallest keys, sorted by key."""

    keys: np.ndarray
    frame: pd.DataFrame
    n_rows: int
    """Rows the sample was drawn from."""
    size: int
    """The most rows the sample keeps."""


def _salts(seed: int) -> tuple[str, np.uint64]:
    """The 16-character string ``hash_key`` and the 64-bit salt of a seed."""
    a, b, c, d = np.random.SeedSequence(seed).generate_state(4, dtype=np.uint32).tolist()
    return f"{a:08x}{b:08x}", np.uint64((c << 32) | d)


def _mix(h: np.ndarray, salt: np.uint64) -> np.ndarray:
    """splitmix64's finalizer of ``h ^ salt``: a bijection that scrambles every bit."""
    z = h ^ salt
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _as_float(s: pd.Series, name: Hashable) -> np.ndarray:
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError(
            f"column {name!r} contains infinite values; continuous estimators need finite numbers "
            "(replace them, e.g. with NaN to treat them as missing)"
        )
    return values


def _smallest(keys: np.ndarray, size: int) -> np.ndarray:
    """Positions of the ``size`` smallest keys, in key order (ties by position)."""
    if keys.size > size:
        cut = np.argpartition(keys, size - 1)[:size]
        return cut[np.argsort(keys[cut], kind="stable")]
    return np.argsort(keys, kind="stable")


def sample_chunk(df: pd.DataFrame, spec: SampleSpec) -> Sample:
    """Keys for every row of one partition, and its ``size`` rows with the smallest keys.

    ``df`` holds exactly ``spec.columns``. Raises ValueError naming a continuous column
    that holds +-inf (checked on every row, not only the sampled ones).
    """
    data = {}
    for i, (name, continuous) in enumerate(zip(spec.columns, spec.continuous, strict=True)):
        s = df.iloc[:, i]
        if continuous:
            data[i] = _as_float(s, name)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            # by value: partitions may hold different categories
            data[i] = s.astype(s.dtype.categories.dtype).array
        else:
            # native or Arrow-backed: hashed without a detour through Python objects
            data[i] = s.array
    # Columns by position: labels may be any hashable, or repeat across sample and counts.
    frame = pd.DataFrame(data)
    key, salt = _salts(spec.seed)
    keys = _mix(pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy(), salt)
    take = _smallest(keys, spec.size)
    return Sample(keys[take], frame.iloc[take].reset_index(drop=True), len(df), spec.size)


def merge_samples(samples: Sequence[Sample]) -> Sample:
    """The smallest-key rows of the union of disjoint samples (at most ``size`` of them)."""
    if len(samples) == 1:
        return samples[0]
    size = samples[0].size
    keys = np.concatenate([s.keys for s in samples])
    frame = pd.concat([s.frame for s in samples], ignore_index=True)
    take = _smallest(keys, size)
    n_rows = sum(s.n_rows for s in samples)
    return Sample(keys[take], frame.iloc[take].reset_index(drop=True), n_rows, size)
