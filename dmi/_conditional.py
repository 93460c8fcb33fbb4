"""Conditional MI I(X;Y|Z) for discrete columns, from three-way counts gathered in one pass.

Each partition gets one extra column, the pair ``(x, z)`` as a categorical whose
categories are the pairs present (spelled with ``repr`` of plain Python values, so a
pair is the same category in every partition). The engine then counts three tables in
its usual single pass: ``(x, z)``, ``(y, z)`` and ``((x, z), y)`` -- the last is the
full three-way table. Then ``I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)``.

Rows missing any of the three columns are dropped first (``dropna``), so every entropy
uses the same rows; otherwise a missing value is a category of its own.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

PAIR_COLUMN = "__dmi_x_given__"


def _plain(values: pd.Index) -> list[str]:
    """``repr`` of each value as a plain Python scalar (numpy and Arrow scalars unwrapped)."""
    return [repr(v) for v in values.to_list()]


def add_pair_column(df: pd.DataFrame, x: Hashable, y: Hashable, z: Hashable, dropna: bool) -> pd.DataFrame:
    """The partition's x, y, z columns and the categorical pair column ``(x, z)``."""
    part = df[[x, y, z]]
    if dropna:
        part = part.dropna()
    cx, ux = pd.factorize(part[x], use_na_sentinel=False)  # missing is a value (dropna has dropped it)
    cz, uz = pd.factorize(part[z], use_na_sentinel=False)  # missing is a value (dropna has dropped it)
    combo = cx.astype(np.int64) * max(len(uz), 1) + cz
    present, codes = np.unique(combo, return_inverse=True)
    xs, zs = _plain(pd.Index(ux)), _plain(pd.Index(uz))
    names = [f"({xs[c // max(len(uz), 1)]}, {zs[c % max(len(uz), 1)]})" for c in present.tolist()]
    out = part.reset_index(drop=True)
    out[PAIR_COLUMN] = pd.Categorical.from_codes(
        codes.astype(np.int64), categories=pd.Index(names, dtype=object)
    )
    return out
