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


def is_complete(sample: Sample, n_rows: int) -> bool:
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
def _row_keys(salt: np.uint64, positions: np.ndarray) -> np.ndarray:  # pragma: no cover
    """splitmix64 of ``salt + position * golden``: the splitmix64 stream of ``salt`` at each
    position -- a bijection of the position (golden is odd, the finalizer is invertible)."""
    keys = np.empty(positions.shape[0], dtype=np.uint64)
    for i in range(positions.shape[0]):
        z = salt + np.uint64(positions[i]) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        keys[i] = z ^ (z >> np.uint64(31))
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


def sample_chunk(df: pd.DataFrame, spec: SampleSpec, rows: RowIds) -> Sample:
    """Keys for every row of one partition, and its ``size`` rows with the smallest keys.

    ``df`` holds exactly ``spec.columns``; ``rows`` says how its rows are identified.
    Raises ValueError naming a continuous column that holds +-inf (checked on every
    row, not only the sampled ones).
    """
    keys = row_keys(df, spec.seed, rows)
    take = _smallest(keys, spec.size, spec.threshold)
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
    return Sample(keys[take], pd.DataFrame(data), spec.size)


def merge_samples(samples: Sequence[Sample]) -> Sample:
    """The smallest-key rows of the union of disjoint samples (at most ``size`` of them)."""
    if len(samples) == 1:
        return samples[0]
    size = samples[0].size
    keys = np.concatenate([s.keys for s in samples])
    frame = pd.concat([s.frame for s in samples], ignore_index=True)
    take = _smallest(keys, size)
    return Sample(keys[take], frame.iloc[take].reset_index(drop=True), size)
