"""A mergeable uniform sample of rows: bottom-k by a seeded hash of each row's content.

Every row gets a 64-bit key: each column's value as a stable 64-bit word (a float's
bits, an integer itself, a string's hash -- computed once per distinct string), folded
column by column from a seed-derived salt and finished by the splitmix64 finalizer, so
every seed orders the rows anew. (Measured at 10M rows x 18 columns: pandas'
``hash_pandas_object`` took 1.3 s more than hashing the float columns alone.)
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
from typing import Any

import numba
import numpy as np
import pandas as pd

from ._codes import integer_values


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
    size: int
    """The most rows the sample keeps."""


def _salt(seed: int) -> np.uint64:
    """The 64-bit salt of a seed."""
    c, d = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint32).tolist()
    return np.uint64((c << 32) | d)


_MISSING_WORD = np.uint64(0x6D697373696E6721)  # one word for every missing value


@numba.njit(nogil=True, cache=True)
def _fold(keys: np.ndarray, words: np.ndarray) -> None:  # pragma: no cover
    """keys = (keys ^ word) * odd constant, with a shift to spread the high bits down."""
    for i in range(keys.shape[0]):
        k = (keys[i] ^ words[i]) * np.uint64(0x9E3779B97F4A7C15)
        keys[i] = k ^ (k >> np.uint64(29))


@numba.njit(nogil=True, cache=True)
def _finish(keys: np.ndarray) -> None:  # pragma: no cover
    """splitmix64's finalizer, in place: a bijection that scrambles every bit."""
    for i in range(keys.shape[0]):
        z = keys[i]
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        keys[i] = z ^ (z >> np.uint64(31))


def _words(s: pd.Series, values: np.ndarray | None) -> np.ndarray:
    """One stable 64-bit word per value: the same value gives the same word in every partition."""
    if values is not None:  # a continuous column, already float64
        x = values + 0.0  # -0.0 becomes 0.0
        w = x.view(np.uint64).copy()
        w[np.isnan(x)] = _MISSING_WORD
        return w
    ints = integer_values(s)  # numpy, nullable and Arrow-backed integers
    if ints is not None:
        values, mask = ints
        w = values.view(np.uint64).copy()
        if mask is not None:
            w[mask] = _MISSING_WORD
        return w
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "b":
        return s.to_numpy().astype(np.uint64)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    # hashed by value (a categorical by its categories' values), once per distinct value
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object))
    return np.where(codes >= 0, hashed[codes], _MISSING_WORD).astype(np.uint64)


def _as_float(s: pd.Series, name: Hashable) -> np.ndarray:
    """A continuous column as float64 (NaN for missing); refuses +-inf, naming the column."""
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
    keys = np.full(len(df), _salt(spec.seed), dtype=np.uint64)
    data: dict[int, Any] = {}
    for i, (name, continuous) in enumerate(zip(spec.columns, spec.continuous, strict=True)):
        s = df.iloc[:, i]
        if continuous:
            values = _as_float(s, name)
            _fold(keys, _words(s, values))
            data[i] = values
        else:
            _fold(keys, _words(s, None))
            data[i] = s.array
    _finish(keys)
    take = _smallest(keys, spec.size)
    # Columns by position: labels may be any hashable, or repeat across sample and counts.
    frame = pd.DataFrame(
        {i: (v[take] if isinstance(v, np.ndarray) else v.take(take)) for i, v in data.items()}
    )
    return Sample(keys[take], frame, spec.size)


def merge_samples(samples: Sequence[Sample]) -> Sample:
    """The smallest-key rows of the union of disjoint samples (at most ``size`` of them)."""
    if len(samples) == 1:
        return samples[0]
    size = samples[0].size
    keys = np.concatenate([s.keys for s in samples])
    frame = pd.concat([s.frame for s in samples], ignore_index=True)
    take = _smallest(keys, size)
    return Sample(keys[take], frame.iloc[take].reset_index(drop=True), size)
