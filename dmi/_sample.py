"""A mergeable uniform sample of rows: bottom-k by a seeded hash of each row's content.

Every row gets a 64-bit key: each column's value as a stable 64-bit word (a float's
bits, an integer or boolean itself, anything else its hash -- computed once per distinct
value, from the codes the partition's counts already made), folded
column by column (in name order, so a set of columns keys rows the same however a request
lists them) from a seed-derived salt and finished by the splitmix64 finalizer, so
every seed orders the rows anew. (Measured at 10M rows x 18 columns: pandas'
``hash_pandas_object`` took 1.3 s more than hashing the float columns alone.)
A summary keeps the ``k`` rows with the smallest keys; merging two summaries and keeping
the ``k`` smallest keys of the union is again the ``k`` smallest of all rows, so the
sample is a uniform sample without replacement of the whole table, gathered in the same
pass as the counts.

Because the key depends on the seed and the row itself -- not on partition numbers or
positions -- the same seed gives the same sample for any partitioning, any merge order and
any number of workers. The key is of the sampled columns only, so a request for a subset
of columns draws its own (equally uniform) sample. Identical rows share a key; they enter or leave the sample
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

from ._codes import Encoded, IntRange, encode
from ._plan import as_float


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


@numba.njit(nogil=True, cache=True, inline="always")
def _mix(key: np.uint64, word: np.uint64) -> np.uint64:  # pragma: no cover
    """One column into a row key: (key ^ word) * odd constant, the high bits shifted down."""
    k = (key ^ word) * np.uint64(0x9E3779B97F4A7C15)
    return k ^ (k >> np.uint64(29))


@numba.njit(nogil=True, cache=True)
def _finish(keys: np.ndarray) -> None:  # pragma: no cover
    """splitmix64's finalizer, in place: a bijection that scrambles every bit."""
    for i in range(keys.shape[0]):
        z = keys[i]
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        keys[i] = z ^ (z >> np.uint64(31))


@numba.njit(nogil=True, cache=True)
def _fold_values(keys: np.ndarray, words: np.ndarray, mask: np.ndarray) -> None:  # pragma: no cover
    """The :func:`_mix` of ``words``, or of the missing word where ``mask`` (empty: none missing)."""
    for i in range(keys.shape[0]):
        keys[i] = _mix(keys[i], _MISSING_WORD if (mask.shape[0] and mask[i]) else words[i])


@numba.njit(nogil=True, cache=True)
def _fold_codes(
    keys: np.ndarray, source: np.ndarray, offset: int, mask: np.ndarray, lut: np.ndarray
) -> None:  # pragma: no cover
    """The :func:`_mix` of ``lut[code]``, the code being ``source + offset`` (0 where ``mask``)."""
    for i in range(keys.shape[0]):
        keys[i] = _mix(keys[i], lut[0] if (mask.shape[0] and mask[i]) else lut[source[i] + offset])


def _value_words(values: pd.Index) -> np.ndarray:
    """The word of missing, then of each value of a domain: integers and booleans are
    their own word, anything else its hash (the same value has the same word whatever
    the partition, and whichever way the partition encoded it)."""
    lut = np.empty(len(values) + 1, dtype=np.uint64)
    lut[0] = _MISSING_WORD
    dtype = values.dtype  # decided by dtype, never by the values a partition happens to hold
    if pd.api.types.is_bool_dtype(dtype):
        lut[1:] = values.to_numpy(dtype=bool)
    elif pd.api.types.is_unsigned_integer_dtype(dtype):
        lut[1:] = values.to_numpy(dtype=np.uint64)
    elif pd.api.types.is_integer_dtype(dtype):
        lut[1:] = values.to_numpy(dtype=np.int64).view(np.uint64)
    else:
        lut[1:] = pd.util.hash_array(np.asarray(values, dtype=object))
    return lut


def _fold_encoded(keys: np.ndarray, e: Encoded) -> None:
    """Fold one discrete column, from its codes, into the row keys."""
    source, mask = e.kernel_arrays()
    if isinstance(e.domain, IntRange):  # the source holds the int64 values themselves
        _fold_values(keys, source.view(np.uint64), mask)
    else:
        _fold_codes(keys, source, e.offset, mask, _value_words(e.domain.index()))


@numba.njit(nogil=True, cache=True)
def _fold_floats(keys: np.ndarray, bits: np.ndarray) -> bool:  # pragma: no cover
    """The :func:`_mix` of float64 values given as their bits (-0.0 as 0.0, NaN as missing),
    without temporaries. Returns whether any value is +-inf (the fold is then void)."""
    exponent = np.uint64(0x7FF0000000000000)
    fraction = np.uint64(0x000FFFFFFFFFFFFF)
    negative_zero = np.uint64(0x8000000000000000)
    for i in range(keys.shape[0]):
        b = bits[i]
        if b & exponent == exponent:
            if b & fraction == 0:
                return True
            b = _MISSING_WORD
        elif b == negative_zero:
            b = np.uint64(0)
        keys[i] = _mix(keys[i], b)
    return False


def _infinite(name: Hashable) -> ValueError:
    return ValueError(
        f"column {name!r} contains infinite values; continuous estimators need finite numbers "
        "(replace them, e.g. with NaN to treat them as missing)"
    )


def _smallest(keys: np.ndarray, size: int) -> np.ndarray:
    """Positions of the ``size`` smallest keys, in key order (ties by position)."""
    if keys.size > size:
        cut = np.argpartition(keys, size - 1)[:size]
        return cut[np.argsort(keys[cut], kind="stable")]
    return np.argsort(keys, kind="stable")


def sample_chunk(
    df: pd.DataFrame, spec: SampleSpec, encoded: Sequence[Encoded | None] | None = None
) -> Sample:
    """Keys for every row of one partition, and its ``size`` rows with the smallest keys.

    ``df`` holds exactly ``spec.columns``; ``encoded`` optionally holds, per column, the
    discrete column's codes already made for counting (``None``: encode it here).
    Raises ValueError naming a continuous column that holds +-inf (checked on every
    row, not only the sampled ones).
    """
    keys = np.full(len(df), _salt(spec.seed), dtype=np.uint64)
    data: dict[int, Any] = {}
    # Columns are folded in a canonical order (by name), so the same set of columns
    # gives the same keys however a request lists them (the matrix, or a target first).
    for i in sorted(
        range(len(spec.columns)), key=lambda i: (type(spec.columns[i]).__name__, repr(spec.columns[i]))
    ):
        name, continuous = spec.columns[i], spec.continuous[i]
        s = df.iloc[:, i]
        if continuous:
            values = as_float(s)
            if _fold_floats(keys, values.view(np.uint64)):
                raise _infinite(name)
            data[i] = values
        else:
            e = encoded[i] if encoded is not None else None
            _fold_encoded(keys, e if e is not None else encode(s))
            data[i] = s.array
    _finish(keys)
    take = _smallest(keys, spec.size)
    # Columns by position: labels may be any hashable, or repeat across sample and counts.
    frame = pd.DataFrame(
        {i: (v[take] if isinstance(v, np.ndarray) else v.take(take)) for i, v in sorted(data.items())}
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
