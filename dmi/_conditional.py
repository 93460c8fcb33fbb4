"""Conditional MI I(X;Y|Z) for a discrete Z: exact from three-way counts, or on the sample.

Discrete x and y (:func:`discrete`): exact, from three-way counts gathered in one pass.

Each partition gets one extra column, the pair ``(x, z)`` as a categorical whose
categories are the pairs present (spelled with ``repr`` of plain Python values, so a
pair is the same category in every partition). The engine then counts three tables in
its usual single pass: ``(x, z)``, ``(y, z)`` and ``((x, z), y)`` -- the last is the
full three-way table. Then ``I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)``.

Rows missing any of the three columns are dropped first (``dropna``), so every entropy
uses the same rows; otherwise a missing value is a category of its own.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _engine, _graph
from ._dispatch import KnnTask, estimate_pair, estimator, prepare_sample
from ._onepass import PassSpec
from ._plan import DISCRETE
from ._sample import SampleSpec

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


def discrete(ddf: Any, x: Hashable, y: Hashable, z: Hashable, opts: Any) -> float:
    """Exact I(X;Y|Z) in nats of discrete columns over all rows (see the module docstring)."""
    meta = add_pair_column(ddf._meta, x, y, z, opts.dropna)
    parts = ddf.map_partitions(add_pair_column, x, y, z, opts.dropna, meta=meta)
    labels: list[Hashable] = [x, y, z, PAIR_COLUMN]
    pairs = ((0, 2), (1, 2), (3, 1))  # (x, z), (y, z), ((x, z), y)
    res = _engine.compute(
        _graph.as_dask_frame(parts),
        labels,
        (DISCRETE,) * 4,
        pairs,
        dropna=opts.dropna,
        split_every=opts.split_every,
        n_neighbors=opts.n_neighbors,
        sample_size=opts.sample_size,
        seed=opts.seed,
        diagonal=True,
        progress=opts.progress,
    )
    xz, yz, xyz = (r.stats for r in res.pairs)
    assert xz is not None and yz is not None and xyz is not None
    if xyz.n == 0:
        return math.nan

    def joint(s: Any) -> float:
        return float(s.h_x + s.h_y - s.mi)

    return max(joint(xz) + joint(yz) - joint(xyz) - res.entropy[2], 0.0)


def sampled(ddf: Any, x: Hashable, y: Hashable, z: Hashable, kinds: Sequence[str], opts: Any) -> float:
    """``sum_z p(z) I(X;Y | Z=z)`` in nats on the uniform sample, by KSG or Ross per stratum."""
    continuous = (kinds[0] != DISCRETE, kinds[1] != DISCRETE, False)
    spec = PassSpec((x, y, z), None, SampleSpec((x, y, z), continuous, opts.sample_size, opts.seed))
    state, _ = _graph.run(ddf, spec, opts.split_every, progress=opts.progress)
    if state.sample is None or state.n_rows == 0:
        raise ValueError("data has no rows")
    prep = prepare_sample(state.sample, [x, y, z], continuous, opts.seed)
    task = KnnTask(0, 0, 1, estimator(list(kinds), 0, 1))

    def present(i: int) -> np.ndarray:
        if i in prep.continuous:
            return ~np.isnan(prep.continuous[i].raw)
        return prep.labels[i] >= 0

    strata = prep.labels[2]
    complete = present(0) & present(1) & (strata >= 0)
    values, sizes = np.unique(strata[complete], return_counts=True)
    if values.size == 0:
        return math.nan
    small = values[sizes <= opts.n_neighbors + 1]
    if small.size:
        shown = state.sample.frame.iloc[:, 2][strata == small[0]].iloc[0]
        raise ValueError(
            f"given={z!r} has strata with too few sample rows for n_neighbors={opts.n_neighbors} "
            f"(e.g. value {shown!r}: {int(sizes[values == small[0]][0])} rows); use a column with fewer "
            "values, or a larger sample_size"
        )
    total = 0.0
    for value, size in zip(values.tolist(), sizes.tolist(), strict=True):
        mi, _ = estimate_pair(prep, task, opts.n_neighbors, complete & (strata == value))
        total += size / complete.sum() * mi
    return max(total, 0.0)
