"""Frequency weights: a row of weight ``w`` counts as ``w`` rows.

:func:`frequency_weights` checks one partition's weight column and returns its weights
as integers; rows of weight 0 are dropped before anything is counted or sampled (they are
not in the table the weights stand for). Counts then add each row's weight
(:func:`dmi._math.kernels.count_dense`) and the sample draws copies of a row
(:func:`dmi._math.sample.weighted_take`), so every result equals that of the table with
each row repeated ``w`` times.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd


def frequency_weights(column: pd.Series, name: Hashable) -> tuple[np.ndarray, np.ndarray | None]:
    """The weights of one partition as int64 (its rows of weight 0 left out) and the mask
    of the rows kept (None when every row is kept).

    Raises TypeError for a column that is not numeric, ValueError for a missing,
    negative, infinite or fractional weight, naming the column.
    """
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise TypeError(
            f"weights column {name!r} has dtype {dtype}; weights must be numbers (integer or float "
            "counts of how many rows each row stands for)"
        )
    if column.hasnans:
        raise ValueError(f"weights column {name!r} has missing values; every row needs a weight >= 0")
    values = column.to_numpy(dtype=np.float64) if dtype.kind == "f" else None
    if values is not None:
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(f"weights column {name!r} has infinite values; weights must be finite")
        fractional = values != np.floor(values)
        if fractional.any():
            raise ValueError(
                f"weights column {name!r} has fractional values (e.g. {float(values[fractional][0])!r}); "
                "weights are frequency weights, whole numbers of rows"
            )
        if (values >= 2.0**63).any():
            raise ValueError(f"weights column {name!r} has values of 2**63 or more")
        weights = values.astype(np.int64)
    else:
        weights = column.to_numpy(dtype=np.int64)
    if (weights < 0).any():
        raise ValueError(
            f"weights column {name!r} has negative values (e.g. {int(weights[weights < 0][0])}); "
            "weights must be >= 0"
        )
    if (weights > 0).all():
        return weights, None
    keep = weights > 0
    return weights[keep], keep


def weighed(part: pd.DataFrame, column: pd.Series, name: Hashable) -> tuple[pd.DataFrame, np.ndarray]:
    """The partition's rows of weight > 0 and their weights (see :func:`frequency_weights`;
    ``column``: the weights of ``part``'s rows)."""
    weights, keep = frequency_weights(column, name)
    return (part if keep is None else part[keep]), weights
