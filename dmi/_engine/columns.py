"""The columns of a request: which ones, whether each is discrete or continuous, which pairs.

Pure functions over column names and dtypes; no data is read here.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dmi._math.codes import is_decimal, is_time


class Kind(StrEnum):
    """A column's kind in a request. A str (``"d"``, ``"c"``, ``"a"``), so a summary file
    stores it as the letter it always was."""

    DISCRETE = "d"
    """Counted: each distinct value a category."""
    CONTINUOUS = "c"
    """Sampled, for the k-NN estimators (or binned with ``method='binned'``)."""
    AUTO = "a"
    """An integer column under ``discrete='auto'``: discrete when it holds at most
    :data:`AUTO_DISCRETE_MAX` distinct values, continuous otherwise -- decided after the
    pass from its own counts (:func:`resolve`), so no pre-pass reads the data."""


DISCRETE = Kind.DISCRETE
CONTINUOUS = Kind.CONTINUOUS
AUTO = Kind.AUTO

AUTO_DISCRETE_MAX = 64
"""The most distinct values an integer column may hold and still count as categories
under ``discrete='auto'`` (a month, an hour, a 0-9 code, a rating; not a distance, a
time of day in minutes or a flight number). At 64 values the plug-in bias of a pair,
about ``(Kx - 1)(Ky - 1) / 2N`` nats, is below 0.02 nats from 100,000 rows on."""


def _format_names(names: Sequence[Any]) -> str:
    return ", ".join(repr(n) for n in names)


def _as_label_list(name: str, value: Any) -> list[Hashable]:
    if isinstance(value, str) or not isinstance(value, Sequence | pd.Index | np.ndarray):
        raise TypeError(f"{name} must be a list of column names, got {value!r}")
    return list(value)


def check_known(name: str, labels: Sequence[Hashable], frame_columns: Sequence[Hashable]) -> None:
    """Raise KeyError naming every label in ``labels`` that is not a column of the frame."""
    known = set(frame_columns)
    unknown = [c for c in labels if c not in known]
    if unknown:
        hints = [
            f"{c!r}: did you mean {_format_names(m)}?" for c in unknown if (m := closest(c, frame_columns))
        ]
        raise KeyError(
            f"{name}: unknown column(s) {_format_names(unknown)}"
            + (f" ({'; '.join(hints)})" if hints else "")
            + f"; available columns are {_format_names(list(frame_columns))}"
        )


def closest(label: Hashable, frame_columns: Sequence[Hashable]) -> list[Hashable]:
    """The columns whose names are closest to a misspelled ``label`` (``difflib``; case
    ignored, so ``'Cut'`` finds ``'cut'`` and ``'prce'`` finds ``'price'``)."""
    by_text: dict[str, Hashable] = {}
    for c in frame_columns:
        by_text.setdefault(str(c).lower(), c)
    found = difflib.get_close_matches(str(label).lower(), list(by_text), n=3, cutoff=0.6)
    return [by_text[t] for t in found]


def select_columns(columns: Any, frame_columns: Sequence[Hashable]) -> list[Hashable]:
    """The columns to analyse: all of the frame's, or the requested ones in the order given."""
    if columns is None:
        return list(frame_columns)
    selected = _as_label_list("columns", columns)
    check_known("columns", selected, frame_columns)
    if not selected:
        raise ValueError("columns must name at least one column, got an empty list")
    if len(set(selected)) != len(selected):
        dups = [c for i, c in enumerate(selected) if c in selected[:i]]
        raise ValueError(f"columns lists these more than once: {_format_names(dups)}")
    return selected


def auto_kind(dtype: Any) -> str:
    """``"d"`` for bool, string/object and categorical dtypes; ``"a"`` (decided by the
    number of values, see :data:`AUTO`) for integers; ``"c"`` for floats, datetimes,
    dates, durations and Arrow decimals.

    Raises TypeError for dtypes dmi does not handle yet.
    """
    if isinstance(dtype, pd.CategoricalDtype):
        return DISCRETE
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype):
        return DISCRETE  # Parquet dictionary columns read with dtype_backend="pyarrow"
    if pd.api.types.is_bool_dtype(dtype):
        return DISCRETE
    if pd.api.types.is_integer_dtype(dtype):
        return AUTO
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return DISCRETE
    if pd.api.types.is_float_dtype(dtype) or is_time(dtype) or is_decimal(dtype):
        return CONTINUOUS
    raise TypeError(f"unsupported dtype {dtype}")


def resolve_kinds(
    discrete: Any, columns: Sequence[Hashable], dtypes: pd.Series, frame_columns: Sequence[Hashable]
) -> tuple[str, ...]:
    """Kind of each column under the ``discrete`` argument (see ``mutual_info_matrix``)."""
    dtype_of: dict[Hashable, Any] = dict(dtypes.items())
    for c in columns:
        if _nested_arrow(dtype_of[c]):
            raise TypeError(
                f"column {c!r} holds nested values ({dtype_of[c]}); dmi analyses scalar values: "
                "explode, flatten or stringify the column first, or leave it out with columns=[...]"
            )
    if isinstance(discrete, str):
        if discrete != "auto":
            raise ValueError(
                f"discrete must be 'auto', True, False or a list of column names; got {discrete!r}"
            )
        auto: list[str] = []
        by_name: dict[Hashable, Any] = dict(dtypes.items())
        for c in columns:
            try:
                auto.append(auto_kind(by_name[c]))
            except TypeError:
                raise TypeError(
                    f"column {c!r} has dtype {by_name[c]} which dmi cannot analyse; "
                    "supported dtypes are bool, integer, float, decimal, string/object, category, "
                    "Arrow dictionary, datetime, date and duration"
                ) from None
        return tuple(auto)
    kinds: tuple[str, ...]
    if isinstance(discrete, bool | np.bool_):
        kinds = tuple(DISCRETE if discrete else CONTINUOUS for _ in columns)
    else:
        listed = _as_label_list("discrete", discrete)
        check_known("discrete", listed, frame_columns)
        chosen = set(listed)
        kinds = tuple(DISCRETE if c in chosen else CONTINUOUS for c in columns)
    by_dtype: dict[Hashable, Any] = dict(dtypes.items())
    for c, kind in zip(columns, kinds, strict=True):
        if kind == CONTINUOUS and not _numeric(by_dtype[c]):
            how = (
                "list it in discrete=[...]"
                if not isinstance(discrete, bool | np.bool_)
                else "use discrete='auto'"
            )
            raise TypeError(
                f"column {c!r} has dtype {by_dtype[c]}, which cannot be continuous (only numbers can); "
                f"{how}, or leave it out with columns=[...]"
            )
    return kinds


def narrow(kinds: Sequence[str], ranges: Sequence[tuple[int, int] | None]) -> tuple[str, ...]:
    """Decide before the pass the integer columns whose range alone proves them discrete:
    ``max - min < AUTO_DISCRETE_MAX`` leaves room for no more values than that. Only saves
    work (those columns need no sample); the pass would decide them the same way."""
    return tuple(
        DISCRETE if k == AUTO and r is not None and r[1] - r[0] < AUTO_DISCRETE_MAX else k
        for k, r in zip(kinds, ranges, strict=True)
    )


def counted(kind: str) -> bool:
    """Whether a column of this kind may take the plug-in estimate (so its counts are needed)."""
    return kind != CONTINUOUS


def sampled(kinds: Sequence[str], i: int, j: int) -> bool:
    """Whether pair ``(i, j)`` may take a k-NN estimate (so its columns are sampled)."""
    return kinds[i] != DISCRETE or kinds[j] != DISCRETE


def resolve(kinds: Sequence[str], folded: Sequence[bool]) -> tuple[str, ...]:
    """The kinds once the pass has counted: an :data:`AUTO` column is continuous when its
    counts were folded (more than :data:`AUTO_DISCRETE_MAX` values), else discrete."""
    return tuple(
        (CONTINUOUS if f else DISCRETE) if k == AUTO else k for k, f in zip(kinds, folded, strict=True)
    )


def _nested_arrow(dtype: Any) -> bool:
    """Arrow list, struct and map columns: values that are not scalars."""
    if not isinstance(dtype, pd.ArrowDtype):
        return False
    t = dtype.pyarrow_dtype
    return bool(pa.types.is_nested(t))


def _numeric(dtype: Any) -> bool:
    """Whether a column of this dtype can be read as float64 (numbers or booleans)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def matrix_pairs(n: int) -> tuple[tuple[int, int], ...]:
    """All pairs ``i < j`` of ``n`` columns."""
    return tuple((i, j) for i in range(n) for j in range(i + 1, n))


def target_pairs(n: int) -> tuple[tuple[int, int], ...]:
    """The pairs of column 0 (the target) with each of the other ``n - 1`` columns."""
    return tuple((0, j) for j in range(1, n))
