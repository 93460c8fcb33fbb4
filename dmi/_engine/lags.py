"""Time-lagged mutual information of ordered rows: ``I(X_t ; Y_{t-lag})`` for every lag.

The rows are in time order (within each series of ``by``, when given). Each partition
gets the last ``max(lags)`` rows before it, so its first rows find their predecessors
and no pair crosses a partition's edge silently (:func:`_with_halo`; partitions of any
size, a file of three rows included). :func:`add_lags` then adds each column shifted by
each lag (within its series), and the one pass counts and samples the pairs ``(x at t,
y at t - lag)`` like any others. A row with no predecessor ``lag`` rows back (the start
of the table or of its series) has no value for that lag and is left out of its pairs,
as a missing value is.

Results: :func:`lag_matrix` (a frame indexed by ``(lag, x)`` with a column per ``y``:
``m.loc[lag]`` is that lag's matrix), :func:`lag_with` (lags x columns) and
:func:`lag_table` (the long table, with a ``lag`` column). Not an ``xarray.DataArray``:
that would add a dependency for one shape, and a pandas MultiIndex gives the same
selections (``m.loc[3]``, ``m.xs("y", axis=1)``).
"""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from dmi._engine.basis import Data, basis_of
from dmi._engine.columns import CONTINUOUS, check_known
from dmi._engine.request import Request, compute, prepare, unit
from dmi._engine.table import pair_table, rows_attrs
from dmi._math.estimators import entropy_in_units, in_units
from dmi._math.sample import RowIds, key_threshold, row_keys

# The source id of a lagged partition's row keys (which rows a sample may take).
_LAG_ROWS = 0x1A65


@dataclass(frozen=True)
class Lags:
    """A lagged request's ordering: the lags (rows), the series column and the time column."""

    lags: tuple[Any, ...]
    """Rows back (ints), or spans of time back (``pandas.Timedelta``, as-of on ``time``)."""
    by: Hashable | None = None
    time: Hashable | None = None
    tolerance: pd.Timedelta | None = None
    """Lags in time: how much older than ``t - lag`` the row read may be."""

    @property
    def in_time(self) -> bool:
        return isinstance(self.lags[0], pd.Timedelta)

    @property
    def window(self) -> Any:
        """How far back a row reads: rows (an int), or a span of time."""
        return max(self.lags) + self.tolerance if self.in_time else max(self.lags)

    @property
    def extra(self) -> list[Hashable]:
        """The columns read besides the analysed ones (not analysed themselves)."""
        return [c for c in (self.by, self.time) if c is not None]


def check_lags(lags: Any) -> tuple[Any, ...]:
    """The lags, sorted and distinct: all ints >= 0 (rows back) or all ``pandas.Timedelta``
    >= 0 (time back; ``datetime.timedelta`` and ``numpy.timedelta64`` too). TypeError for
    anything else or a mix, ValueError for a negative lag or none."""
    one = isinstance(lags, numbers.Integral | pd.Timedelta | np.timedelta64 | datetime.timedelta)
    values = [lags] if one else list(lags)
    if not values:
        raise ValueError("lags must hold at least one lag (rows back: 0, 1, 2, ...)")
    timed = [isinstance(v, pd.Timedelta | np.timedelta64 | datetime.timedelta) for v in values]
    if any(timed):
        if not all(timed):
            raise TypeError(
                f"lags must be all integers (rows back) or all Timedeltas (time back), got {values!r}"
            )
        spans = [pd.Timedelta(v) for v in values]
        if any(v < pd.Timedelta(0) for v in spans):
            raise ValueError(f"lags must be >= 0 (time back), got {min(spans)}")
        return tuple(sorted(set(spans)))
    for v in values:
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Integral):
            raise TypeError(f"lags must be integers (rows back) or Timedeltas (time back), got {v!r}")
        if v < 0:
            raise ValueError(f"lags must be >= 0 (rows back; lag 0 is the plain matrix), got {v}")
    return tuple(sorted({int(v) for v in values}))


def _now(lag: Any) -> bool:
    """Whether a lag (rows or time) is 0: the columns as they are."""
    return bool(lag == pd.Timedelta(0)) if isinstance(lag, pd.Timedelta) else lag == 0


def _span(lag: pd.Timedelta) -> str:
    """A span of time as a short label: 1h, 30min, 2d, 90s."""
    seconds = lag.total_seconds()
    for suffix, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{suffix}"
    return f"{seconds:g}s"


def lagged_name(column: Hashable, lag: Any) -> str:
    """The name of ``column`` ``lag`` rows (or a span of time) back (in messages and warnings)."""
    return f"{column} (t-{_span(lag) if isinstance(lag, pd.Timedelta) else lag})"


def _shiftable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns whose dtype survives a shift's missing values: integers and booleans as
    pandas' nullable dtypes (a plain int64 column would turn float, and continuous)."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if s.dtype.kind in "iu":
            s = s.astype("Int64")
        elif s.dtype.kind == "b":
            s = s.astype("boolean")
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def add_lags(
    part: pd.DataFrame,
    columns: Sequence[Hashable],
    lags: tuple[Any, ...],
    by: Any,
    time: Any,
    tolerance: pd.Timedelta | None = None,
    rows: np.ndarray | None = None,
    carried: Sequence[Hashable] = (),
) -> pd.DataFrame:
    """``columns`` of a partition and, for each lag > 0, each column that many rows back
    within its series (``by``; its rows together, in order), or, for a lag in time, as
    it was ``lag`` before: the value of the latest row at or before ``time - lag``, no
    older than ``tolerance`` more (as :func:`pandas.merge_asof`). ``rows``: only these
    rows (positions) are returned, the others only read as the past. ``carried``: columns
    returned as they are, not lagged (the row weights). ValueError when ``time`` goes
    back within a series (the rows must be in time order)."""
    if time is not None:
        _check_sorted(part, by, time)
    at = np.arange(len(part)) if rows is None else np.asarray(rows, dtype=np.int64)
    plain = part[list(columns)]
    out = [part[[*columns, *carried]].iloc[at] if carried else plain.iloc[at]]
    later = [lag for lag in lags if not _now(lag)]
    if later:
        shiftable = _shiftable(plain)
        series = pd.factorize(part[by], use_na_sentinel=False)[0] if by is not None else None
        for lag in later:
            if isinstance(lag, pd.Timedelta):
                shifted = _as_of(part, shiftable, lag, by, time, tolerance, at)
            else:
                shifted = _rows_back(shiftable, at, lag, series)
            names = [lagged_name(c, lag) for c in columns]
            out.append(shifted.set_axis(names, axis=1).set_axis(out[0].index, axis=0))
    return pd.concat(out, axis=1)


def _rows_back(values: pd.DataFrame, at: np.ndarray, lag: int, series: np.ndarray | None) -> pd.DataFrame:
    """``values`` ``lag`` rows before each of the rows ``at``; missing where that row is
    before the first or in another series."""
    source = at - lag
    ok = source >= 0
    if series is not None:
        ok[ok] = series[source[ok]] == series[at[ok]]
    taken = values.take(np.where(ok, source, 0))
    if ok.all():
        return taken
    hide = np.repeat(~ok[:, None], values.shape[1], axis=1)
    return taken.mask(pd.DataFrame(hide, index=taken.index, columns=taken.columns))


def _as_of(
    part: pd.DataFrame,
    values: pd.DataFrame,
    lag: pd.Timedelta,
    by: Any,
    time: Hashable,
    tolerance: Any,
    rows: np.ndarray,
) -> pd.DataFrame:
    """``values`` as they were ``lag`` before each of the rows ``rows`` (see :func:`add_lags`)."""
    if part[time].isna().any():
        raise ValueError(f"time column {time!r} has missing times; lags in time need a time on every row")
    at = part[time].reset_index(drop=True)
    key = {"_by": part[by].reset_index(drop=True)} if by is not None else {}
    unit = getattr(at.dt, "unit", None) if hasattr(at, "dt") else None
    back = lag.as_unit(unit) if unit is not None else lag  # merge_asof wants one unit on both sides
    left = pd.DataFrame({"_at": at - back, "_row": np.arange(len(part)), **key}).iloc[rows]
    right = pd.DataFrame({"_at": at, **key}).join(
        values.set_axis(range(len(part)), axis=0).set_axis([f"_v{i}" for i in range(values.shape[1])], axis=1)
    )
    merged = pd.merge_asof(
        left.sort_values("_at", kind="stable"),
        right.sort_values("_at", kind="stable"),
        on="_at",
        by="_by" if by is not None else None,
        direction="backward",
        tolerance=tolerance,
    ).sort_values("_row")
    found = merged[[f"_v{i}" for i in range(values.shape[1])]].set_axis(values.columns, axis=1)
    return found.astype(values.dtypes.to_dict()).set_axis(part.index[rows], axis=0)


def _check_sorted(part: pd.DataFrame, by: Any, time: Hashable) -> None:
    """ValueError at the first row whose ``time`` is before its predecessor's (in its
    series): any ordered dtype (numbers, datetimes, ISO-formatted text)."""
    t = part[time]
    back = t < t.shift()
    if by is not None:
        back &= part[by] == part[by].shift()
    back = back.fillna(False).astype(bool)
    if back.any():
        where = back.idxmax()
        raise ValueError(
            f"the rows are not in order of {time!r}"
            + (f" within each {by!r}" if by is not None else "")
            + f" (row {where!r} goes back in time): lags count rows back, so sort the data by "
            + (f"[{by!r}, {time!r}]" if by is not None else f"{time!r}")
            + " first (e.g. df.sort_values(...), or write the Parquet files in that order)"
        )


def lag_request(
    data: Any,
    columns: Any,
    opts: Any,
    lags: Any,
    by: Hashable | None,
    time: Hashable | None,
    *,
    target: Hashable | None = None,
    given: Any = None,
    tolerance: Any = None,
) -> tuple[Request, Lags]:
    """The request of a lagged call and its ordering; the ``by`` and ``time`` columns are
    left out of the default columns (they order the rows, they are not analysed)."""
    if given is not None:
        raise ValueError(
            "lags= and given= together are not taken yet: condition on a lagged column by making it "
            "a column first (df[col].shift(lag))"
        )
    order = _ordering(check_lags(lags), by, time, tolerance)
    basis = basis_of(data)
    if columns is None:
        columns = [c for c in basis.columns if c not in order.extra and c != opts.weights]
    return prepare(basis, columns, opts, target=target), order


def _ordering(lags: tuple[Any, ...], by: Hashable | None, time: Hashable | None, tolerance: Any) -> Lags:
    """The ordering of a lagged call; ``tolerance`` (lags in time only) defaults to the
    smallest lag > 0."""
    if not isinstance(lags[0], pd.Timedelta):
        if tolerance is not None:
            raise TypeError(
                "tolerance= goes with lags in time (Timedeltas); lags in rows read exactly that row"
            )
        return Lags(lags, by, time)
    if tolerance is None:
        tolerance = min((lag for lag in lags if lag > pd.Timedelta(0)), default=pd.Timedelta(0))
    try:
        tolerance = pd.Timedelta(tolerance)
    except (TypeError, ValueError) as err:
        raise TypeError(f"tolerance must be a Timedelta, got {tolerance!r}") from err
    if tolerance < pd.Timedelta(0):
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    return Lags(lags, by, time, tolerance)


def _sample_only(req: Request) -> int | None:
    """When every column is continuous, the pass reads only its sample's rows: a key
    threshold (:func:`dmi._math.sample.key_threshold`) below which they almost surely
    lie, so each partition lags only those rows (a uniform subset of about the sample's
    size plus ten standard deviations, from which the pass samples). None when some
    column is counted, or the number of rows is not known in advance."""
    n_rows = req.basis.source.n_rows if isinstance(req.basis, Data) else None
    if n_rows is None or any(k != CONTINUOUS for k in req.kinds) or req.opts.weights is not None:
        return None  # (weighted keys are not uniform: every row is lagged)
    return key_threshold(req.opts.sample_size, n_rows)


def lagged_request(req: Request, order: Lags) -> tuple[Request, list[list[str | Hashable]]]:
    """The request over the lagged frame, and each lag's column names in it (by position
    of the request's columns; lag 0: the columns themselves)."""
    if not isinstance(req.basis, Data):
        raise TypeError("lags= reads the rows in order; a dmi.Summary keeps no order (pass the data)")
    opts, labels = req.opts, req.labels
    if not opts.dropna:
        raise ValueError("lags= needs dropna=True: a row with no predecessor has no value for that lag")
    if opts.method != "auto" or opts.sample != "rows":
        raise ValueError("lags= works with method='auto' and sample='rows'")
    available = req.basis.columns
    for what, column in (("by", order.by), ("time", order.time)):
        if column is not None:
            check_known(what, [column], available)
    if order.in_time:
        dtype = req.basis.source.frame.dtypes[order.time] if order.time is not None else None
        if dtype is None or not pd.api.types.is_datetime64_any_dtype(dtype):
            got = "no time=" if dtype is None else f"{order.time!r} of dtype {dtype}"
            raise TypeError(
                f"lags in time read rows as of a time: pass time= naming a datetime column (got {got}; "
                "pandas.to_datetime converts text)"
            )
    clash = [c for c in order.extra if c in labels]
    if clash:
        raise ValueError(f"{clash[0]!r} orders the rows (by= or time=); leave it out of the columns analysed")
    names = [[c if _now(lag) else lagged_name(c, lag) for c in labels] for lag in order.lags]
    made = {n for lag, row in zip(order.lags, names, strict=True) if not _now(lag) for n in row}
    taken = {c for c in available if isinstance(c, str)} & made
    if taken:
        raise ValueError(f"the data has a column named {sorted(taken)[0]!r}, the name of a lagged column")
    # the weights are those of each row t, the row whose columns meet their lagged past
    weights = [] if opts.weights is None else [opts.weights]
    frame = req.basis.source.frame[[*labels, *order.extra, *weights]]
    kw: dict[str, Any] = dict(
        columns=labels,
        lags=order.lags,
        by=order.by,
        time=order.time,
        tolerance=order.tolerance,
        carried=weights,
    )
    meta = add_lags(frame._meta, **kw)
    lagged = _with_halo(frame, order.window, meta, kw, opts.seed, _sample_only(req))
    flat = (
        [n for row in names for n in row]
        if any(_now(lag) for lag in order.lags)
        else [*labels, *(n for row in names for n in row)]
    )
    flat = list(dict.fromkeys(flat))
    kind_of = dict(zip(labels, req.kinds, strict=True))
    source_of = {n: c for row in names for n, c in zip(row, labels, strict=True)}
    source_of.update({c: c for c in labels})
    out = replace(prepare(lagged, flat, opts), kinds=tuple(kind_of[source_of[n]] for n in flat))
    return out, names


def _with_halo(
    frame: Any,
    before: Any,
    meta: pd.DataFrame,
    kw: dict[str, Any],
    seed: int = 0,
    threshold: int | None = None,
) -> Any:
    """``frame`` with :func:`add_lags` applied to each partition after the last ``before``
    rows of the partitions before it (however small they are: Dask's ``map_overlap``
    needs each partition to hold ``before`` rows), as a Dask DataFrame of the same rows;
    with a ``threshold``, only the rows a sample may take (:func:`_kept`, keyed by ``seed``)."""
    parts = frame.to_delayed()
    out = []
    carry = None
    for i, part in enumerate(parts):
        keep = None if threshold is None else (seed, i, threshold)
        out.append(dask.delayed(_lag_part, pure=True)(carry, part, kw, keep))
        if before:
            carry = dask.delayed(_tail, pure=True)(carry, part, before, kw["by"], kw["time"])
    return dd.from_delayed(out, meta=meta, verify_meta=False)


def _lag_part(
    carry: pd.DataFrame | None,
    part: pd.DataFrame,
    kw: dict[str, Any],
    keep: tuple[int, int, int] | None = None,
) -> pd.DataFrame:
    """One partition's lagged columns, its first rows reading their predecessors in
    ``carry``. ``keep``: ``(seed, partition, threshold)``, only its rows whose key is
    below the threshold (:func:`_kept`)."""
    before = 0 if carry is None else len(carry)
    whole = part if not before else pd.concat([carry, part])
    rows = np.arange(before, len(whole)) if keep is None else before + _kept(part, *keep)
    return add_lags(whole, rows=rows, **kw)


def _kept(part: pd.DataFrame, seed: int, partition: int, threshold: int) -> np.ndarray:
    """The positions of the rows a uniform sample may take: those whose key (from the
    row's position, :func:`dmi._math.sample.row_keys`) is below ``threshold``."""
    rows = RowIds((_LAG_ROWS, partition), pd.api.types.is_integer_dtype(part.index.dtype))
    return np.flatnonzero(row_keys(part, seed, rows) < np.uint64(threshold))


def _tail(carry: pd.DataFrame | None, part: pd.DataFrame, before: Any, by: Any, time: Any) -> pd.DataFrame:
    """The rows a next partition may read: the last ``before`` rows up to the end of
    ``part``, or, for a span of time, those of the last row's series within ``before``
    of its time (the next rows of that series are no earlier)."""
    # only the end of ``part`` is copied: the rows it may hold are at most ``before`` (rows),
    # or those from the last row's time back (a span of time)
    if not isinstance(before, pd.Timedelta):
        end = part.tail(before)
        return end if carry is None or len(end) >= before else pd.concat([carry, end]).tail(before)
    pieces = [p for p in (carry, part) if p is not None and not p.empty]
    if not pieces:
        return part
    last = pieces[-1].iloc[-1]

    def recent(frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame[time] >= last[time] - before
        if by is not None:
            keep &= frame[by] == last[by]
        return frame[keep.fillna(False).astype(bool)]

    return pd.concat([recent(p) for p in pieces])


def _cells(
    labels: Sequence[Hashable], xs: Sequence[int], lags: tuple[int, ...]
) -> list[tuple[int, int, int]]:
    """The cells ``(lag index, x, y)`` asked: each ``x`` of ``xs`` at t with every column
    at t - lag (at lag 0, each unordered pair once, and no column with itself)."""
    out = []
    for li, lag in enumerate(lags):
        for i in xs:
            for j in range(len(labels)):
                if _now(lag) and (j == i or (j < i and j in xs)):
                    continue
                out.append((li, i, j))
    return out


def _computed(req: Request, order: Lags, xs: Sequence[int], diagonal: bool, **kw: Any) -> tuple[Any, ...]:
    lagged, names = lagged_request(req, order)
    position = {n: i for i, n in enumerate(lagged.labels)}
    cells = _cells(req.labels, xs, order.lags)
    pairs = [(position[req.labels[i]], position[names[li][j]]) for li, i, j in cells]
    res = compute(lagged, pairs, diagonal=diagonal, **kw)
    return lagged, position, cells, pairs, res


def _attrs(req: Request, order: Lags) -> dict[str, Any]:
    return {"unit": unit(req.opts), "lags": list(order.lags), "by": order.by, "time": order.time}


def lag_matrix(req: Request, order: Lags) -> pd.DataFrame:
    """``I(X_t; Y_{t-lag})`` of every two columns and lag: a frame indexed by ``(lag, x)``
    with a column per ``y`` (lag 0: the plain matrix, entropies on its diagonal)."""
    labels, lags = req.labels, order.lags
    p = len(labels)
    now = [li for li, lag in enumerate(lags) if _now(lag)]
    _, position, cells, _, res = _computed(req, order, range(p), diagonal=bool(now))
    base, normalize = req.opts.base, req.opts.normalize
    out = np.full((len(lags), p, p), np.nan)
    for (li, i, j), r in zip(cells, res.pairs, strict=True):
        out[li, i, j] = in_units(r, base, normalize)
        if _now(lags[li]):
            out[li, j, i] = out[li, i, j]
    if now:
        for i, c in enumerate(labels):
            out[now[0], i, i] = entropy_in_units(res.entropy[position[c]], base, normalize)
    index = pd.MultiIndex.from_product([list(lags), list(labels)], names=["lag", "x"])
    result = pd.DataFrame(
        out.reshape(len(lags) * p, p), index=index, columns=pd.Index(list(labels), name="y")
    )
    result.attrs.update(rows_attrs((r.n for r in res.pairs), res.sample_rows), **_attrs(req, order))
    return result


def lag_with(req: Request, order: Lags) -> pd.DataFrame:
    """``I(Y_t; X_{t-lag})`` of the target ``Y`` (the request's first column) with each
    column's past: a lags x columns frame (the target's own past last; NaN at lag 0)."""
    labels, lags = req.labels, order.lags
    _, _, cells, _, res = _computed(req, order, [0], diagonal=False)
    base, normalize = req.opts.base, req.opts.normalize
    shown = [*labels[1:], labels[0]]
    where = {c: k for k, c in enumerate(shown)}
    out = np.full((len(lags), len(shown)), np.nan)
    for (li, _, j), r in zip(cells, res.pairs, strict=True):
        out[li, where[labels[j]]] = in_units(r, base, normalize)
    result = pd.DataFrame(out, index=pd.Index(list(lags), name="lag"), columns=pd.Index(shown))
    result.attrs.update(rows_attrs((r.n for r in res.pairs), res.sample_rows), **_attrs(req, order))
    result.attrs["target"] = labels[0]
    return result


def lag_table(req: Request, order: Lags, **table: Any) -> pd.DataFrame:
    """The long table of every cell of :func:`lag_matrix` (``x`` at t, ``y`` at t - lag),
    each with the statistics of :func:`dmi.mutual_info_table`, and a ``lag`` column first."""
    labels = req.labels
    stats = {k: table.pop(k) for k in ("stderr_splits", "knn_permutations")}
    lagged, _, cells, pairs, res = _computed(req, order, range(len(labels)), diagonal=False, **stats)
    out = pair_table(lagged.labels, pairs, res, **table)
    out["x"] = [labels[i] for _, i, _ in cells]
    out["y"] = [labels[j] for _, _, j in cells]
    out.insert(0, "lag", [order.lags[li] for li, _, _ in cells])
    out.attrs.update(_attrs(req, order))
    return out
