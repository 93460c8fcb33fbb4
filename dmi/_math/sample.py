"""A mergeable uniform sample of rows: bottom-k by a seeded random key per row.

Every row gets a 64-bit key from its *identity*, never from its content: the data source
it comes from (a Parquet file, a pandas DataFrame, one partition of a Dask DataFrame) and
its position there. The key is ``splitmix64(salt + position * golden)``, the salt drawn
from the seed and the source (:mod:`dmi._math.streams`): within a source a bijection of the
position, so no two rows share a key, and across sources independent. Copies of a row are
separate rows that enter the sample independently -- a key derived from the content would
make copies travel together and bias the k-NN estimators wherever values repeat (whole
minutes, rounded measurements).

A summary keeps the ``k`` rows with the smallest keys; merging two summaries and keeping
the ``k`` smallest keys of the union is again the ``k`` smallest of all rows, so the
sample is a uniform sample without replacement of the whole table, gathered in the same
pass as the counts, and the same for any merge order. Because the keys depend only on the
seed and the rows' identities, the sample is also the same for any cutting of the same
rows into partitions when positions are known to the source (Parquet files: rows within
each file; a pandas DataFrame: rows of the frame), and does not depend on which columns
a request reads. See :class:`RowIds` for Dask DataFrames.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from dmi._math.codes import as_float
from dmi._math.sorting import argsort_uint64
from dmi._math.streams import Purpose, word


@dataclass(frozen=True)
class SampleSpec:
    """What to sample: which columns (continuous ones as float64), how many rows, which seed."""

    columns: tuple[Hashable, ...]
    continuous: tuple[bool, ...]
    size: int
    seed: int
    threshold: int | None = None
    """Rows whose key is not below this are left out of every partition's sample
    (:func:`key_threshold`); None keeps each partition's ``size`` smallest keys."""


# The threshold's margin over the expected ``size``-th smallest key, in standard
# deviations of the number of keys below it (a binomial count: about sqrt(size)).
_MARGIN_SD = 10


def key_threshold(size: int, n_rows: int) -> int | None:
    """A key below which the ``size`` smallest keys of ``n_rows`` rows all lie, almost surely.

    Keys are uniform 64-bit integers, so about ``n_rows * t / 2**64`` rows have a key
    below ``t``; ``t`` is set for ``size`` plus ten standard deviations of that count
    (about 3% more rows at size 100,000), so fewer than ``size`` rows fall below it with
    probability under 1e-20. A partition then keeps only its rows below the threshold
    (a comparison instead of a partial sort, and samples of ~1/P of the size to take and
    merge for P partitions). The result is checked, not assumed: see :func:`is_complete`.
    None when every row would be kept anyway.
    """
    wanted = size + _MARGIN_SD * size**0.5 + 100
    if n_rows <= wanted:
        return None
    return min(2**64 - 1, int(wanted / n_rows * 2**64))


def is_complete(sample: Sample, n_rows: float) -> bool:
    """Whether a merged sample drawn with a threshold is the ``size`` smallest keys of
    all ``n_rows`` rows: it holds ``size`` rows (then every row left out had a key above
    all of them), or every row."""
    return len(sample.keys) >= min(sample.size, n_rows)


@dataclass(frozen=True)
class RowIds:
    """How one partition's rows are told apart: a source, and positions within it.

    ``source``: integer ids of where the rows come from (a Parquet file's path hashed;
    a pandas DataFrame's content token; a Dask DataFrame's token and the partition's
    number). ``from_index``: the partition's integer index holds each row's position in
    the source (dmi sets it for the inputs it opens); otherwise the rows are numbered
    0, 1, ... within the partition, so the sample depends on the partitioning.
    """

    source: tuple[int, ...]
    from_index: bool


@dataclass(frozen=True, eq=False)
class Sample:
    """Up to ``size`` rows with the smallest keys, sorted by key."""

    keys: np.ndarray
    frame: pd.DataFrame
    size: int
    """The most rows the sample keeps."""


@numba.njit(nogil=True, cache=True)
def _mix(z: np.uint64) -> np.uint64:  # pragma: no cover
    """splitmix64's finalizer: an invertible mix of the 64 bits."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(nogil=True, cache=True)
def _row_keys(salt: np.uint64, positions: np.ndarray) -> np.ndarray:  # pragma: no cover
    """splitmix64 of ``salt + position * golden``: the splitmix64 stream of ``salt`` at each
    position -- a bijection of the position (golden is odd, the finalizer is invertible)."""
    keys = np.empty(positions.shape[0], dtype=np.uint64)
    for i in range(positions.shape[0]):
        keys[i] = _mix(salt + np.uint64(positions[i]) * np.uint64(0x9E3779B97F4A7C15))
    return keys


def row_keys(df: pd.DataFrame, seed: int, rows: RowIds) -> np.ndarray:
    """The 64-bit sample key of every row of a partition (see the module docstring)."""
    salt = np.uint64(word(seed, Purpose.ROW_KEYS, *rows.source))
    index = df.index
    if not rows.from_index:
        positions = np.arange(len(df), dtype=np.int64)
    elif isinstance(index, pd.RangeIndex) and index.step == 1:
        positions = np.arange(index.start, index.stop, dtype=np.int64)
    elif pd.api.types.is_integer_dtype(index.dtype):
        positions = index.to_numpy(dtype=np.int64)
    else:  # a bug in the input layer, not the user's doing
        raise TypeError(f"row positions must be an integer index, got {index.dtype}")
    return _row_keys(salt, positions)


@numba.njit(nogil=True, cache=True)
def _exponential(key: np.uint64) -> float:  # pragma: no cover
    """An Exp(1) draw from a 64-bit key: ``-ln(1 - u)``, ``u`` its top 53 bits in [0, 1)
    (increasing in the key, so equal weights order rows as their keys do)."""
    return -np.log1p(-float(key >> np.uint64(11)) * 2.0**-53)


@numba.njit(nogil=True, cache=True)
def _copies(
    keys: np.ndarray, weights: np.ndarray, firsts: np.ndarray, rows: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """The ``size`` smallest copy keys of ``rows`` (a k-way merge over a heap; ``firsts``:
    every row's first key, :func:`_first_keys`): the row of
    key ``keys[r]`` and weight ``weights[r]`` stands for ``weights[r]`` copies whose keys are
    the order statistics of as many Exp(1) draws, ``E_0 / w``, then ``+ E_j / (w - j)``
    (the exponential spacings), each ``E_j`` from the row's key and ``j``. Returns the
    copies' keys (increasing) and their rows."""
    m = rows.shape[0]
    heap_key = firsts[rows]
    heap_row = rows.copy()
    heap_copy = np.zeros(m, np.int64)
    # heapify (a min-heap on the key, ties by row)
    for start in range(m // 2 - 1, -1, -1):
        _sift(heap_key, heap_row, heap_copy, start, m)
    out_key = np.empty(size)
    out_row = np.empty(size, np.int64)
    taken = 0
    while taken < size and m > 0:
        k, r, j = heap_key[0], heap_row[0], heap_copy[0]
        out_key[taken] = k
        out_row[taken] = r
        taken += 1
        w = weights[r]
        if j + 1 < w:  # the row's next copy replaces it
            draw = _mix(keys[r] + np.uint64(j + 1) * np.uint64(0xD1B54A32D192ED03))
            heap_key[0] = k + _exponential(draw) / (w - j - 1)
            heap_copy[0] = j + 1
        else:
            m -= 1
            heap_key[0], heap_row[0], heap_copy[0] = heap_key[m], heap_row[m], heap_copy[m]
        _sift(heap_key, heap_row, heap_copy, 0, m)
    return out_key[:taken], out_row[:taken]


@numba.njit(nogil=True, cache=True)
def _first_keys(keys: np.ndarray, weights: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Each row's first copy key, ``E / w``."""
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        out[i] = _exponential(keys[i]) / weights[i]
    return out


@numba.njit(nogil=True, cache=True)
def _sift(key: np.ndarray, row: np.ndarray, copy: np.ndarray, i: int, m: int) -> None:  # pragma: no cover
    while True:
        least = i
        for c in (2 * i + 1, 2 * i + 2):
            if c < m and (key[c] < key[least] or (key[c] == key[least] and row[c] < row[least])):
                least = c
        if least == i:
            return
        key[i], key[least] = key[least], key[i]
        row[i], row[least] = row[least], row[i]
        copy[i], copy[least] = copy[least], copy[i]
        i = least


def weighted_take(keys: np.ndarray, weights: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The sample of a partition whose row ``i`` stands for ``weights[i]`` rows (positive):
    the rows (or copies of rows) with the ``size`` smallest keys.

    * Whole-number weights (frequency weights, of an integer or a float dtype): a row
      has ``w`` copies, and the sample is that of the table with each row repeated, in
      distribution (Efraimidis and Spirakis 2006: the first copy's key is ``E / w``; the
      further copies follow by exponential spacings, so a heavy row may fill several
      places, up to all ``size`` of them).
    * Fractional weights (survey or importance weights: a partition with a weight that
      is not a whole number): a row has one key, ``E / w``, and the sample is drawn
      without replacement in proportion to the weights (Efraimidis and Spirakis's
      weighted sample). It does not change when every weight is multiplied by the same
      number, and it repeats no row: a k-NN estimator would read copies of a row as
      strong dependence (draws with replacement, measured: a bivariate Gaussian's 0.22
      nats read as 0.46 with a sample of a third of the rows). A row's chance to be
      drawn is close to proportional to its weight while the sample is a small share of
      the rows, and flattens as the sample grows towards all of them.

    Returns the keys (as uint64 bit patterns of the non-negative float keys, which order
    as the floats do, so weighted samples merge as unweighted ones) and each copy's row
    position.

    Only rows whose first copy is among the ``size`` smallest first keys can hold a
    place: any other row has ``size`` first copies below all of its copies."""
    n = keys.size
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    if weights.dtype.kind == "f" and bool((weights != np.floor(weights)).any()):
        firsts = _first_keys(keys, np.ascontiguousarray(weights, dtype=np.float64)).view(np.uint64)
        take = _smallest(firsts, size)
        return firsts[take], take
    weights = np.ascontiguousarray(weights, dtype=np.int64)  # whole numbers, of either dtype
    firsts = _first_keys(keys, weights)  # the heap's own keys: the candidates are exactly its rows
    if n > size:
        bound = np.partition(firsts, size - 1)[size - 1]
        rows = np.flatnonzero(firsts <= bound)
    else:
        rows = np.arange(n)
    copy_keys, copy_rows = _copies(keys, weights, firsts, rows.astype(np.int64), size)
    return copy_keys.view(np.uint64), copy_rows


def _infinite(name: Hashable) -> ValueError:
    return ValueError(
        f"column {name!r} contains infinite values; continuous estimators need finite numbers "
        "(replace them, e.g. with NaN to treat them as missing)"
    )


def _smallest(keys: np.ndarray, size: int, threshold: int | None = None) -> np.ndarray:
    """Positions of the ``size`` smallest keys (of those below ``threshold``), in key order
    (ties by position)."""
    if threshold is not None:
        below = np.flatnonzero(keys < np.uint64(threshold))
        return below[_smallest(keys[below], size)]
    if keys.size > size:
        cut = np.argpartition(keys, size - 1)[:size]
        return cut[argsort_uint64(keys[cut])]
    return argsort_uint64(keys)


def sample_chunk(
    df: pd.DataFrame, spec: SampleSpec, rows: RowIds, weights: np.ndarray | None = None
) -> Sample:
    """Keys for every row of one partition, and its ``size`` rows with the smallest keys.

    ``df`` holds exactly ``spec.columns``; ``rows`` says how its rows are identified.
    ``weights``: positive row weights, one per row (:func:`weighted_take`).
    Raises ValueError naming a continuous column that holds +-inf (checked on every
    row, not only the sampled ones).
    """
    keys = row_keys(df, spec.seed, rows)
    if weights is None:
        take = _smallest(keys, spec.size, spec.threshold)
        keys = keys[take]
    else:
        keys, take = weighted_take(keys, weights, spec.size)
    data: dict[int, Any] = {}
    for i, (name, continuous) in enumerate(zip(spec.columns, spec.continuous, strict=True)):
        s = df.iloc[:, i]
        if continuous:
            values = as_float(s)
            if np.isinf(values).any():
                raise _infinite(name)
            data[i] = values[take]
        else:
            data[i] = s.array.take(take)
    # Columns by position: labels may be any hashable, or repeat across sample and counts.
    return Sample(keys, pd.DataFrame(data), spec.size)


def merge_samples(samples: Sequence[Sample]) -> Sample:
    """The smallest-key rows of the union of disjoint samples (at most ``size`` of them)."""
    if len(samples) == 1:
        return samples[0]
    size = samples[0].size
    keys = np.concatenate([s.keys for s in samples])
    frame = pd.concat([s.frame for s in samples], ignore_index=True)
    take = _smallest(keys, size)
    return Sample(keys[take], frame.iloc[take].reset_index(drop=True), size)
