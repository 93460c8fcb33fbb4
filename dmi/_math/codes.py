"""How a partition's column values become numbers: small integer codes (discrete), float64
(continuous, :func:`as_float`), and how code domains of several partitions unite.

Every column of a partition is turned into small integer codes (the counting kernel's
``uint16`` or ``int32``, :func:`dmi._math.kernels.code_dtype`) without a pre-pass over the
data: code 0 means *missing*, code ``j + 1`` is the ``j``-th value of the column's
:class:`Domain`. Three kinds of domain exist:

* :class:`IntRange` for integer columns whose values span a small range: the code is
  ``value - lo + 1``, no hashing at all. Values in the range that never occur simply
  have zero counts.
* :class:`Values` for everything else (strings, objects, categoricals, booleans, floats
  treated as discrete): an explicit :class:`pandas.Index` of distinct values. A pandas
  categorical keeps its declared categories, so partitions share one domain and merging
  them needs no remap.
* :class:`Folded` for a column with more values than its cap (``max_categories``, or
  64 for an integer column whose kind the pass decides): values dropped, codes
  present/missing only, and what still proves it an identifier.

:func:`unite` merges the domains of several summaries and returns, per input, the map
from its old codes to the united codes. :func:`as_float` reads a continuous column
(floats, datetimes, durations, decimals) as float64 for the sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmi._math.kernels import write_codes
from dmi._typing import IntArray

# A column of small-range integers takes range codes when its range is at most this
# many values, or at most as many values as the partition has rows (so the domain is
# never larger than the data that produced it).
_RANGE_MIN_SPAN = 1 << 12
# ...and never beyond this, so one column's marginal counts stay small.
_RANGE_MAX_SPAN = 1 << 24

_BOOL_VALUES = pd.Index([False, True], dtype=bool)
_NO_MASK = np.zeros(0, dtype=bool)


@dataclass(frozen=True, eq=False)
class IntRange:
    """The integers ``lo..hi`` (inclusive); code ``v - lo + 1``."""

    lo: int
    hi: int

    @property
    def size(self) -> int:
        """Number of value codes (excluding the missing code 0)."""
        return self.hi - self.lo + 1

    def index(self) -> pd.Index:
        """The values behind codes ``1..size``."""
        return pd.RangeIndex(self.lo, self.hi + 1)


@dataclass(frozen=True, eq=False)
class Values:
    """An explicit index of distinct values; code ``j + 1`` is ``values[j]``."""

    values: pd.Index

    @property
    def size(self) -> int:
        """Number of value codes (excluding the missing code 0)."""
        return len(self.values)

    def index(self) -> pd.Index:
        """The values behind codes ``1..size``."""
        return self.values


@dataclass(frozen=True, eq=False)
class Folded:
    """A column with more distinct values than the count cap (``max_categories``).

    Its values are not kept: code 1 stands for *present* and code 0 for missing, so its
    marginal and its pair tables have two rows whatever its cardinality, and memory
    stays bounded. What is kept says whether it is an identifier, exactly:

    ``unique``
        no value occurred twice within any of the row slices folded so far;
    ``ranges``
        each slice's ``(min, max)`` value, pairwise disjoint, or ``None`` when two
        slices' ranges overlapped or the values do not compare.

    Unique slices with disjoint ranges cannot share a value, so the column takes a
    different value in every present row (:attr:`identifier`): MI with it is then exact
    (the entropy of the other column) although its values were dropped.
    """

    at_least: int
    """Distinct values known to exist (a lower bound; exact for an identifier)."""
    unique: bool
    ranges: tuple[tuple[Any, Any], ...] | None

    size = 1

    @property
    def identifier(self) -> bool:
        """Whether every present row is proven to hold a value of its own."""
        return self.unique and self.ranges is not None

    def index(self) -> pd.Index:
        """The one code's label: the values themselves were dropped."""
        return pd.Index(["(present)"], dtype=object)


Domain = IntRange | Values | Folded


def fold(domain: Domain, counts: np.ndarray) -> Folded:
    """Fold a column of one slice of rows, given its marginal ``counts`` (code 0 missing)."""
    if isinstance(domain, Folded):
        return domain
    present = np.flatnonzero(counts[1:])
    values = domain.index()[present]
    ranges: tuple[tuple[Any, Any], ...] | None = ()
    if len(values):
        try:
            ranges = ((values.min(), values.max()),)
        except (TypeError, ValueError, NotImplementedError):  # values that do not compare
            ranges = None
    unique = bool(present.size == 0 or counts[1:][present].max() <= 1)
    return Folded(int(present.size), unique, ranges)


def _combine(folded: list[Folded]) -> Folded:
    """The fold of the union of disjoint row slices, each folded."""
    ranges: tuple[tuple[Any, Any], ...] | None = None
    if all(f.ranges is not None for f in folded):
        merged = [r for f in folded for r in f.ranges]  # type: ignore[union-attr]
        try:
            merged.sort(key=lambda r: r[0])
            disjoint = all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))
        except (TypeError, ValueError, NotImplementedError):
            disjoint = False
        ranges = tuple(merged) if disjoint else None
    return Folded(max(f.at_least for f in folded), all(f.unique for f in folded), ranges)


def _span_limit(n_rows: int) -> int:
    return min(max(_RANGE_MIN_SPAN, n_rows), _RANGE_MAX_SPAN)


def integer_values(s: pd.Series) -> tuple[np.ndarray, Any] | None:
    """Return (int64 values, missing mask or None) for integer dtypes, else None."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8):
            return s.to_numpy().astype(np.int64, copy=False), None
        return None
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_unsigned_integer_dtype(dtype):
        mask = s.isna().to_numpy()
        values = s.to_numpy(dtype=np.int64, na_value=0)
        return values, (mask if mask.any() else None)
    if pd.api.types.is_unsigned_integer_dtype(dtype) and getattr(dtype, "itemsize", 8) < 8:
        mask = s.isna().to_numpy()
        values = s.to_numpy(dtype=np.int64, na_value=0)
        return values, (mask if mask.any() else None)
    return None


def _is_boolean(dtype: Any) -> bool:
    return pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


@dataclass(frozen=True, eq=False)
class Encoded:
    """One column of a partition, ready to write as codes: ``source + offset``, 0 where ``mask``."""

    domain: Domain
    source: np.ndarray
    offset: int
    mask: np.ndarray | None = None

    def kernel_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(source, mask)`` as compiled loops take them: booleans as uint8, and an
        empty mask for "nothing missing"."""
        source = self.source.view(np.uint8) if self.source.dtype == bool else self.source
        return source, _NO_MASK if self.mask is None else self.mask

    def write(self, out: np.ndarray) -> None:
        """Write the codes into ``out`` (any integer dtype wide enough for ``domain.size``)."""
        source, mask = self.kernel_arrays()
        write_codes(source, self.offset, mask, out)


def _nested(name: Any, detail: str) -> TypeError:
    return TypeError(
        f"column {name!r} holds nested values ({detail}); dmi analyses scalar values: "
        "explode, flatten or stringify the column first"
    )


def _dictionary_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """An Arrow dictionary column's codes (-1 where missing) and its dictionary as plain
    values, so that partitions whose dictionaries differ unite by value. Read from the
    indices (any integer width; pandas' factorize fails on unsigned ones, as polars writes)."""
    array = pa.array(s.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.unify_dictionaries().combine_chunks() if array.num_chunks > 1 else array.chunk(0)
    codes = pc.fill_null(array.indices.cast(pa.int64()), -1).to_numpy()
    return codes, pd.Index(pd.arrays.ArrowExtensionArray(array.dictionary))


def factorize(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pandas.factorize`` (codes, -1 where missing, and the values), also for the Arrow
    columns it fails on: dictionaries with unsigned indices (as polars writes them) and
    unsigned integers with missing values (pandas fills them with -1, which Arrow refuses)."""
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype):
        return _dictionary_codes(s)
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_unsigned_integer(dtype.pyarrow_dtype):
        missing = s.isna().to_numpy()
        codes = np.full(len(s), -1, dtype=np.intp)
        codes[~missing], found = pd.factorize(s.to_numpy(dtype=np.uint64, na_value=0)[~missing])
        return codes, pd.Index(found).astype(dtype)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def encode(s: pd.Series) -> Encoded:
    """Encode one column of a partition: its domain, and how to write its codes.

    Code 0 is missing, codes ``1..domain.size`` are values. Integer columns whose
    values span a small range take range codes (a subtraction, no hashing); categoricals
    keep their categories; everything else is factorized.

    Parameters
    ----------
    s : pandas.Series
        One column of one partition.

    Returns
    -------
    Encoded
        The domain, and :meth:`Encoded.write` to fill a row of the code matrix.
    """
    n = len(s)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # the NaN code -1 becomes the missing code 0
        return Encoded(Values(pd.Index(dtype.categories)), s.cat.codes.to_numpy(), 1)
    if _is_boolean(dtype):
        if isinstance(dtype, np.dtype):
            return Encoded(Values(_BOOL_VALUES), s.to_numpy(), 1)
        mask = s.isna().to_numpy()
        return Encoded(Values(_BOOL_VALUES), s.to_numpy(dtype=bool, na_value=False), 1, mask)
    ints = integer_values(s)
    if ints is not None:
        values, mask = ints
        present = values if mask is None else values[~mask]
        if present.size:
            lo, hi = int(present.min()), int(present.max())
            # hi - lo computed in Python ints: no int64 overflow for extreme values.
            if hi - lo + 1 <= _span_limit(n):
                return Encoded(IntRange(lo, hi), values, 1 - lo, mask)
        elif n == 0 or mask is not None:
            return Encoded(Values(pd.Index([], dtype=np.int64)), np.zeros(n, dtype=np.int8), 0)
    try:
        codes, uniques = factorize(s)
    except TypeError as err:  # unhashable values: lists, dicts, arrays
        raise _nested(s.name, str(err)) from None
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        nested = next((v for v in uniques if isinstance(v, list | tuple | dict | set | np.ndarray)), None)
        if nested is not None:
            raise _nested(s.name, f"e.g. a {type(nested).__name__}")
    return Encoded(Values(pd.Index(uniques)), codes, 1)  # the NA sentinel -1 becomes 0


def bin_of(s: pd.Series, edges: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Each value's bin ``0..len(edges)`` (bin ``j`` holds ``edges[j-1] <= x < edges[j]``),
    and where the value is missing (NaN), where the bin means nothing."""
    x = as_float(s)
    return np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="right"), np.isnan(x)


def encode_binned(s: pd.Series, edges: tuple[float, ...]) -> Encoded:
    """Encode a continuous column as its bin (:func:`bin_of`).

    ``len(edges) + 1`` bins, codes ``1..len(edges) + 1``; NaN is missing. The domain is
    the bin numbers ``0..len(edges)``, the same in every partition (no remap).
    """
    bins, missing = bin_of(s, edges)
    return Encoded(IntRange(0, len(edges)), bins, 1, missing if missing.any() else None)


# The most bins ``bins="auto"`` gives a column (the fixed default before it; reached at 5,120 rows).
_AUTO_BINS_MAX = 32
# The least expected count per cell of a table of two binned columns that "auto" keeps.
_AUTO_PER_CELL = 5


def auto_bins(n_rows: int) -> int:
    """The quantile bins ``bins="auto"`` gives each continuous column for ``n_rows`` rows.

    ``floor(sqrt(n_rows / 5))``, at least 2 and at most 32. A table of two binned columns
    then has ``bins**2 <= n_rows / 5`` cells: at least 5 expected rows per cell, Cochran's
    rule for the chi-square approximation of a G-test, and a plug-in bias
    ``(bins - 1)**2 / (2 n) < 1 / 10`` nats. With a fixed 32 bins, 116 rows (airquality)
    spread over 1,024 cells: no G-test could be significant. Large tables keep 32 bins.
    """
    return int(max(2, min(_AUTO_BINS_MAX, math.isqrt(max(0, n_rows) // _AUTO_PER_CELL))))


def quantile_edges(x: np.ndarray, bins: int) -> tuple[float, ...]:
    """Interior edges of ``bins`` equal-frequency bins of the non-missing ``x``.

    Repeated quantiles (heavy ties) collapse, giving fewer, wider bins.
    """
    present = x[~np.isnan(x)]
    if present.size == 0:
        return ()
    qs = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1], method="linear")
    return tuple(float(q) for q in np.unique(qs))


def _identity(size: int) -> IntArray:
    return np.arange(size + 1, dtype=np.int64)


def unite(domains: list[Domain], n_rows: int) -> tuple[Domain, list[IntArray | None]]:
    """Unite the domains of one column across several summaries with ``n_rows`` rows in all.

    Returns the united domain and, for each input, an int64 array mapping its old
    codes ``0..size`` to the united codes (``None`` where the codes are unchanged).
    Code 0 (missing) always maps to 0.
    """
    first = domains[0]
    if all(d is first for d in domains):
        return first, [None] * len(domains)
    if any(isinstance(d, Folded) for d in domains):
        if not all(isinstance(d, Folded) for d in domains):
            raise ValueError("fold every slice of a column before uniting its domains")
        return _combine(domains), [None] * len(domains)  # type: ignore[arg-type]
    nonempty = [d for d in domains if d.size]
    if not nonempty:
        return first, [None] * len(domains)

    if all(isinstance(d, IntRange) for d in nonempty):
        lo = min(d.lo for d in nonempty)  # type: ignore[union-attr]
        hi = max(d.hi for d in nonempty)  # type: ignore[union-attr]
        if hi - lo + 1 <= _span_limit(n_rows):
            united = IntRange(lo, hi)
            maps: list[IntArray | None] = []
            for d in domains:
                if isinstance(d, IntRange) and d.lo == lo and d.hi == hi:
                    maps.append(None)
                elif not d.size:
                    maps.append(np.zeros(1, dtype=np.int64))
                else:
                    m = _identity(d.size) + (d.lo - lo)  # type: ignore[union-attr]
                    m[0] = 0
                    maps.append(m)
            return united, maps

    indexes = [d.index() for d in nonempty]
    base = indexes[0]
    if all(ix.equals(base) and ix.dtype == base.dtype for ix in indexes[1:]):
        united_index = base
    else:
        united_index = base.append(indexes[1:]).unique()
    united_values = Values(pd.Index(united_index))
    maps = []
    for d in domains:
        ix = d.index()
        if len(ix) == len(united_index) and ix.equals(united_index) and ix.dtype == united_index.dtype:
            maps.append(None)
            continue
        m = np.empty(len(ix) + 1, dtype=np.int64)
        m[0] = 0
        m[1:] = united_index.get_indexer(ix) + 1
        maps.append(m)
    return united_values, maps


def value_order(domain: Domain) -> IntArray | None:
    """Positions of the domain's values in sorted order; ``None`` when already sorted.

    Reading tables in value order makes the entropy step's floating-point sums the same
    for every partitioning (codes are numbered in order of appearance otherwise).
    Values of mixed types that do not compare are ordered by type name, then repr.
    """
    if isinstance(domain, IntRange | Folded):
        return None
    values = domain.values
    if values.is_monotonic_increasing and values.is_unique:
        return None
    try:
        return np.asarray(values.argsort(), dtype=np.int64)
    except TypeError:
        keys = [(type(v).__qualname__, repr(v)) for v in values]
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def is_time(dtype: Any) -> bool:
    """Datetimes (with or without time zone), dates and durations, numpy- or Arrow-backed."""
    if isinstance(dtype, pd.ArrowDtype):
        t = dtype.pyarrow_dtype
        return bool(pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_date(t))
    return bool(pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype))


def is_decimal(dtype: Any) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_decimal(dtype.pyarrow_dtype)


def as_float(s: pd.Series) -> np.ndarray:
    """A continuous column as float64, NaN where missing.

    Datetimes and dates become seconds since the epoch (UTC for zone-aware ones) and
    durations seconds: MI does not depend on the unit or the origin.
    """
    dtype = s.dtype
    if is_time(dtype):
        if isinstance(dtype, pd.ArrowDtype):
            kind = "timedelta64[ns]" if pa.types.is_duration(dtype.pyarrow_dtype) else "datetime64[ns]"
            if pa.types.is_date(dtype.pyarrow_dtype):
                s = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(s.array).cast(pa.timestamp("s"))))
            elif pa.types.is_timestamp(dtype.pyarrow_dtype) and dtype.pyarrow_dtype.tz is not None:
                kind = f"datetime64[ns, {dtype.pyarrow_dtype.tz}]"
            s = s.astype(kind)
        array: Any = s.array
        values = np.asarray(array.asi8, dtype=np.float64) * pd.Timedelta(1, unit=array.unit).total_seconds()
        values[s.isna().to_numpy()] = np.nan
        return values
    return s.to_numpy(dtype=np.float64, na_value=np.nan)
