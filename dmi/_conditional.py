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

import json
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


def _composite_name(z_repr: str, value_repr: str) -> str:
    """A composite category: JSON, so the stratum reads back exactly (:func:`_stratum`)."""
    return json.dumps([z_repr, value_repr])


def _stratum(name: str) -> str:
    return str(json.loads(name)[0])


def suffix(c: Hashable) -> str:
    """The name of column ``c``'s composite ``(c, given)`` column."""
    return f"__dmi_given__{c!r}"


def add_composites(df: pd.DataFrame, columns: Sequence[Hashable], z: Hashable) -> pd.DataFrame:
    """Rows with a value of ``z``; ``columns`` and, for each, the categorical ``(z, c)`` pair."""
    part = df[df[z].notna()]
    cz, uz = pd.factorize(part[z], use_na_sentinel=False)
    zs = _plain(pd.Index(uz))
    out = part[[*columns, z]].reset_index(drop=True)
    for c in columns:
        cc, uc = pd.factorize(part[c], use_na_sentinel=True)  # a missing c: a missing pair
        cs = _plain(pd.Index(uc))
        combo = np.where(cc >= 0, cz.astype(np.int64) * max(len(uc), 1) + cc, -1)
        present, codes = np.unique(combo, return_inverse=True)
        names = [
            _composite_name(zs[k // max(len(uc), 1)], cs[k % max(len(uc), 1)]) for k in present if k >= 0
        ]
        codes = codes - int(present.size and present[0] < 0)  # the missing combo -1 keeps code -1
        out[suffix(c)] = pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))
    return out


def _by_stratum(table: Any, domain: Any, dropna: bool) -> list[np.ndarray]:
    """A pair table whose rows are (z, x) composites, split into one dense x-by-y table per z."""
    dense = np.asarray(table if isinstance(table, np.ndarray) else _dense(table), dtype=np.int64)
    dense = dense[1:, 1:] if dropna else dense[1:, :]  # a missing composite never counts
    strata = [_stratum(v) for v in domain.index()]
    groups: dict[str, list[int]] = {}
    for row, s in enumerate(strata):
        groups.setdefault(s, []).append(row)
    return [dense[np.array(groups[s])] for s in sorted(groups)]


def _dense(table: Any) -> np.ndarray:
    out = np.zeros(table.shape, dtype=np.int64)
    np.add.at(out, (table.rows, table.cols), table.counts)
    return out


def _table_mi(t: np.ndarray) -> float:
    from ._entropy import pair_stats

    framed = np.zeros((t.shape[0] + 1, t.shape[1] + 1), dtype=np.int64)
    framed[1:, 1:] = t
    s = pair_stats(framed, dropna=True)
    return 0.0 if s.n == 0 else float(s.mi)


def stratified_mi(tables: Sequence[np.ndarray]) -> float:
    """``sum_z p(z) I(X;Y | Z=z)`` in nats from one x-by-y table per stratum; NaN without rows."""
    totals = np.array([t.sum() for t in tables], dtype=np.float64)
    n = totals.sum()
    if n == 0:
        return math.nan
    return max(float(sum(w / n * _table_mi(t) for w, t in zip(totals, tables, strict=True) if w)), 0.0)


def conditional_entropy(marginal: np.ndarray, domain: Any) -> float:
    """``H(X|Z)`` in nats from the marginal counts of the (z, x) composite column."""
    from ._entropy import entropy

    counts = np.asarray(marginal[1:], dtype=np.float64)
    if counts.sum() == 0:
        return math.nan
    strata = np.array([_stratum(v) for v in domain.index()], dtype=object)
    per_z = pd.Series(counts).groupby(strata).sum().to_numpy()
    return max(entropy(counts) - entropy(per_z), 0.0)


def matrix(
    ddf: Any,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    z: Hashable,
    opts: Any,
    *,
    diagonal: bool,
) -> tuple[list[float], list[int], list[float]]:
    """``I(a;b|z)`` in nats and rows used for each pair, and ``H(c|z)`` of each discrete column.

    One pass over the rows where ``z`` has a value: the (z, a) composite of each discrete
    column counted against the other discrete columns, and a uniform sample (with ``z``)
    for the pairs with a continuous column, estimated stratum by stratum.
    """
    from ._onepass import PassSpec as Spec
    from ._summary import CountSpec

    p = len(labels)
    dd = [k for k, (i, j) in enumerate(pairs) if kinds[i] == kinds[j] == DISCRETE]
    knn = [k for k in range(len(pairs)) if k not in set(dd)]
    composite_of = sorted(
        {pairs[k][0] for k in dd} | ({c for c in range(p) if kinds[c] == DISCRETE} if diagonal else set())
    )
    plain = sorted({pairs[k][1] for k in dd})
    count_names = [suffix(labels[c]) for c in composite_of] + [labels[c] for c in plain]
    where = {name: i for i, name in enumerate(count_names)}
    counts = (
        CountSpec(
            tuple(count_names),
            tuple((where[suffix(labels[pairs[k][0]])], where[labels[pairs[k][1]]]) for k in dd),
        )
        if count_names
        else None
    )
    sampled_cols = sorted({c for k in knn for c in pairs[k]})
    sample_names = [labels[c] for c in sampled_cols] + [z]
    continuous = (*(kinds[c] != DISCRETE for c in sampled_cols), False)
    sample = SampleSpec(tuple(sample_names), continuous, opts.sample_size, opts.seed) if knn else None
    used = [labels[c] for c in sorted(set(composite_of) | set(plain) | set(sampled_cols))]
    meta = add_composites(ddf._meta, used, z)
    parts = ddf.map_partitions(add_composites, used, z, meta=meta)
    read = tuple(dict.fromkeys([*count_names, *sample_names]))
    state, _ = _graph.run(
        _graph.as_dask_frame(parts), Spec(read, counts, sample), opts.split_every, progress=opts.progress
    )

    mi = [math.nan] * len(pairs)
    rows = [0] * len(pairs)
    entropy_given = [math.nan] * p
    if state.counts is not None:
        cs = state.counts
        for k, table, (a, _) in zip(dd, cs.tables, cs.spec.pairs, strict=True):
            tables = _by_stratum(table, cs.domains[a], dropna=True)
            mi[k] = stratified_mi(tables)
            rows[k] = int(sum(t.sum() for t in tables))
        for c in composite_of:
            i = where[suffix(labels[c])]
            entropy_given[c] = conditional_entropy(cs.marginals[i], cs.domains[i])
    if knn:
        assert state.sample is not None
        prep = prepare_sample(state.sample, sample_names, continuous, opts.seed)
        strata = prep.labels[len(sampled_cols)]
        spos = {c: i for i, c in enumerate(sampled_cols)}

        def present(i: int) -> np.ndarray:
            return ~np.isnan(prep.continuous[i].raw) if i in prep.continuous else prep.labels[i] >= 0

        for k in knn:
            a, b = spos[pairs[k][0]], spos[pairs[k][1]]
            task = KnnTask(k, a, b, estimator(list(kinds), pairs[k][0], pairs[k][1]))
            complete = present(a) & present(b) & (strata >= 0)
            values, sizes = np.unique(strata[complete], return_counts=True)
            if (sizes <= opts.n_neighbors + 1).any():
                raise ValueError(
                    f"given={z!r} has strata with too few sample rows for n_neighbors={opts.n_neighbors} "
                    f"(pair {labels[pairs[k][0]]!r}, {labels[pairs[k][1]]!r}); use a column with fewer "
                    "values, or a larger sample_size"
                )
            n = int(complete.sum())
            total = sum(
                size / n * estimate_pair(prep, task, opts.n_neighbors, complete & (strata == v))[0]
                for v, size in zip(values.tolist(), sizes.tolist(), strict=True)
            )
            mi[k], rows[k] = (max(float(total), 0.0) if n else math.nan), n
    return mi, rows, entropy_given
