"""Conditional MI I(X;Y|Z) for a discrete Z, in one pass over the data.

Each partition gets, for every discrete column ``x``, the pair ``(z, x)`` as a
categorical of the pairs present, named as JSON of the values' ``repr`` (so a pair is
the same category in every partition, and its stratum reads back exactly). Counting
``(z, x)`` against ``y`` gives the three-way table; split by stratum,
``I(X;Y|Z) = sum_z p(z) I(X;Y | Z=z)``, exactly. The composite's own counts give
``H(X|Z)``. Pairs with a continuous column take the same sum on the uniform sample,
each stratum's term by KSG or Ross (the Frenzel-Pompe estimator for a discrete Z).

With ``dropna`` only rows where ``z`` has a value count, and each pair uses the rows
where both of its columns have one; otherwise a missing value is a value like any other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from dmi._engine.columns import AUTO, AUTO_DISCRETE_MAX, CONTINUOUS, DISCRETE, counted, resolve, sampled
from dmi._engine.keywords import Options
from dmi._engine.notes import warn_about_columns, warn_continuous_integers
from dmi._math.codes import Folded
from dmi._math.counts import CountSpec, _nonzero, wide
from dmi._math.entropy import entropy, pair_stats
from dmi._math.knn_pairs import KnnTask, estimate_pair, prepare_sample
from dmi._math.sample import SampleSpec
from dmi._math.stats import conditional_dof
from dmi._math.weights import as_rows as _rows
from dmi._pass import graph
from dmi._pass.config import knn_memory
from dmi._pass.onepass import PassSpec


def _plain(values: pd.Index) -> list[str]:
    """``repr`` of each value as a plain Python scalar (numpy and Arrow scalars unwrapped)."""
    return [repr(v) for v in values.to_list()]


def _composite_name(z_repr: str, value_repr: str) -> str:
    """A composite category: JSON, so the stratum reads back exactly (:func:`_stratum`)."""
    return json.dumps([z_repr, value_repr])


def _stratum(name: str) -> str:
    return str(json.loads(name)[0])


def composite_column(c: Hashable) -> str:
    """The name of column ``c``'s composite ``(c, given)`` column."""
    return f"__dmi_given__{c!r}"


# Pairs (z, c) with at most this many possible combinations are numbered through a
# table of that size (one pass over the rows); more take a sort (np.unique).
_DENSE_COMBINATIONS = 1 << 22


def _renumber(combo: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-negative values of ``combo`` (ascending) and each row's position
    among them (-1 stays -1): ``np.unique(return_inverse=True)`` without the sort when
    the values are below a small ``size``."""
    if size > _DENSE_COMBINATIONS:
        present, codes = np.unique(combo, return_inverse=True)
        missing = bool(present.size and present[0] < 0)
        return present[int(missing) :], codes - int(missing)
    seen = np.bincount(combo[combo >= 0], minlength=size) > 0
    present = np.flatnonzero(seen)
    table = np.full(size + 1, -1, dtype=np.int64)  # the last slot: combo -1
    table[present] = np.arange(present.size)
    return present, table[combo]


def add_composites(
    df: pd.DataFrame, columns: Sequence[Hashable], z: Hashable, dropna: bool, weights: Hashable | None = None
) -> pd.DataFrame:
    """``columns``, ``z`` and, for each column ``c``, the categorical ``(z, c)`` pair (and
    the ``weights`` column, carried along).

    ``dropna``: only rows where ``z`` has a value, and a missing ``c`` makes a missing
    pair; otherwise a missing value is a value like any other.
    """
    part = df[df[z].notna()] if dropna else df
    cz, uz = pd.factorize(part[z], use_na_sentinel=False)
    zs = _plain(pd.Index(uz))
    carried = [*columns, z] if weights is None else [*columns, z, weights]
    out = part[carried]  # the index (the rows' positions, for the sample keys) is kept
    composites = {}
    for c in columns:
        cc, uc = pd.factorize(part[c], use_na_sentinel=dropna)  # -1: a missing pair
        cs = _plain(pd.Index(uc))
        width = max(len(uc), 1)
        combo = np.where(cc >= 0, cz.astype(np.int64) * width + cc, -1)
        present, codes = _renumber(combo, len(uz) * width)
        names = [_composite_name(zs[k // width], cs[k % width]) for k in present]
        categories = pd.Index(names, dtype=object)
        composites[composite_column(c)] = pd.Categorical.from_codes(codes, categories=categories)
    # one concat, not a column inserted at a time (which copies the frame's blocks each time)
    return pd.concat([out, pd.DataFrame(composites, index=out.index)], axis=1)


def _by_stratum(table: Any, domain: Any, dropna: bool) -> list[np.ndarray]:
    """A pair table whose rows are (z, x) composites, split into one dense x-by-y table per z."""
    dense = wide(np.asarray(table if isinstance(table, np.ndarray) else _dense(table)))
    dense = dense[1:, 1:] if dropna else dense[1:, :]  # row 0 (a missing pair) never counts
    strata = [_stratum(v) for v in domain.index()]
    groups: dict[str, list[int]] = {}
    for row, s in enumerate(strata):
        groups.setdefault(s, []).append(row)
    return [dense[np.array(groups[s])] for s in sorted(groups)]


def _dense(table: Any) -> np.ndarray:
    out = np.zeros(table.shape, dtype=wide(table.counts).dtype)
    np.add.at(out, (table.rows, table.cols), table.counts)
    return out


def _table_mi(t: np.ndarray) -> float:
    framed = np.zeros((t.shape[0] + 1, t.shape[1] + 1), dtype=wide(t).dtype)
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
    counts = np.asarray(marginal[1:], dtype=np.float64)
    if counts.sum() == 0:
        return math.nan
    strata = np.array([_stratum(v) for v in domain.index()], dtype=object)
    per_z = pd.Series(counts).groupby(strata).sum().to_numpy()
    return max(entropy(counts) - entropy(per_z), 0.0)


@dataclass(frozen=True)
class _Layout:
    """Which pairs are counted and which sampled, and the sample's columns (``z`` last)."""

    dd: list[int]
    knn: list[int]
    sampled_cols: list[int]
    sample_names: list[Hashable]
    continuous: tuple[bool, ...]


def _layout(
    labels: Sequence[Hashable], kinds: Sequence[str], pairs: Sequence[tuple[int, int]], z: Hashable
) -> _Layout:
    """Pairs that may be counted (two discrete or undecided columns) and that may be
    sampled (one continuous or undecided column); undecided integer columns are both."""
    dd = [k for k, (i, j) in enumerate(pairs) if counted(kinds[i]) and counted(kinds[j])]
    knn = [k for k, (i, j) in enumerate(pairs) if sampled(kinds, i, j)]
    sampled_cols = sorted({c for k in knn for c in pairs[k]})
    sample_names = [labels[c] for c in sampled_cols] + [z]
    continuous = (*(kinds[c] == CONTINUOUS for c in sampled_cols), False)
    return _Layout(dd, knn, sampled_cols, sample_names, continuous)


def spec(
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    z: Hashable,
    opts: Options,
    *,
    diagonal: bool,
) -> tuple[PassSpec, list[Hashable]]:
    """The pass conditioning needs, and the plain columns it reads before composites are added.

    Counts: the (z, a) composite of each pair's first discrete column against its second,
    and of every discrete column for the diagonal; every undecided (integer) column
    plainly, capped, which decides it. Sample: the columns of the pairs with a continuous
    or undecided column, and ``z``.
    """
    p = len(labels)
    lay = _layout(labels, kinds, pairs, z)
    dd = lay.dd
    if any(kinds[c] == CONTINUOUS for k in lay.knn for c in pairs[k]) and not opts.dropna:
        raise ValueError("dropna=False needs discrete columns (a k-NN estimate has no 'missing' value)")
    diagonal_cols = {c for c in range(p) if counted(kinds[c])} if diagonal else set()
    composite_of = sorted({pairs[k][0] for k in dd} | diagonal_cols)
    undecided = {c for k in (*dd, *lay.knn) for c in pairs[k] if kinds[c] == AUTO} | {
        c for c in diagonal_cols if kinds[c] == AUTO
    }
    plain = sorted({pairs[k][1] for k in dd} | undecided)
    count_names = [composite_column(labels[c]) for c in composite_of] + [labels[c] for c in plain]
    where = {name: i for i, name in enumerate(count_names)}
    auto = tuple([False] * len(composite_of) + [kinds[c] == AUTO for c in plain])
    counts = (
        CountSpec(
            tuple(count_names),
            tuple((where[composite_column(labels[pairs[k][0]])], where[labels[pairs[k][1]]]) for k in dd),
            max_categories=opts.max_categories,
            auto=auto if any(auto) else None,
            auto_cap=AUTO_DISCRETE_MAX,
        )
        if count_names
        else None
    )
    sample = (
        SampleSpec(tuple(lay.sample_names), lay.continuous, opts.sample_size, opts.seed) if lay.knn else None
    )
    used = [labels[c] for c in sorted(set(composite_of) | set(plain) | set(lay.sampled_cols))]
    read = tuple(dict.fromkeys([*count_names, *lay.sample_names]))
    return PassSpec(read, counts, sample, opts.weights), used


def run(source: Any, pass_spec: PassSpec, used: list[Hashable], z: Hashable, opts: Options) -> Any:
    """The conditioning pass: the one pass, with composites added to each partition."""
    state, _ = graph.run(
        source,
        pass_spec,
        opts.split_every,
        read=list(dict.fromkeys([*used, z, *([] if opts.weights is None else [opts.weights])])),
        transform=partial(add_composites, columns=used, z=z, dropna=opts.dropna, weights=opts.weights),
        progress=opts.progress,
    )
    return state


def finish_conditional(
    state: Any,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    z: Hashable,
    opts: Options,
) -> tuple[list[float], list[float], list[tuple[float, float]], list[int]]:
    """``I(a;b|z)`` in nats and rows used for each pair (with fractional weights the
    effective rows a test takes, Kish's), ``H(c|z)`` of each discrete
    column whose composite was counted (with the rows it is over), and each counted pair's
    degrees of freedom for a
    G-test of conditional independence (:func:`dmi._math.selection.conditional_dof`; 0
    for a k-NN pair), from a conditioning pass's merged state."""
    p = len(labels)
    lay = _layout(labels, kinds, pairs, z)
    lay_kinds = tuple(kinds)
    kinds = resolved_kinds(state, labels, kinds)
    dd = [k for k in lay.dd if kinds[pairs[k][0]] == kinds[pairs[k][1]] == DISCRETE]
    knn = [k for k in lay.knn if not kinds[pairs[k][0]] == kinds[pairs[k][1]] == DISCRETE]
    if knn and not opts.dropna:
        raise ValueError("dropna=False needs discrete columns (a k-NN estimate has no 'missing' value)")
    mi = [math.nan] * len(pairs)
    rows: list[float] = [0] * len(pairs)
    dof = [0] * len(pairs)
    entropy_given: list[tuple[float, float]] = [(math.nan, 0)] * p
    if state.counts is not None:
        cs = state.counts
        counted_pairs = set(dd)
        for slot, (k, table, (a, b)) in enumerate(zip(lay.dd, cs.tables, cs.spec.pairs, strict=True)):
            if k not in counted_pairs:
                continue  # an integer column with many values: estimated on the sample
            if isinstance(cs.domains[a], Folded) or isinstance(cs.domains[b], Folded):
                # too many (z, x) or y values were counted to keep: unknown, not guessed.
                # Its rows are those _by_stratum would use (never a missing pair's row 0).
                in_row, in_col, counts = _nonzero(table)
                used = (in_row > 0) & (in_col > 0) if opts.dropna else in_row > 0
                rows[k] = _rows(cs.effective(counts[used].sum().item(), slot if opts.dropna else None))
                continue
            tables = _by_stratum(table, cs.domains[a], opts.dropna)
            mi[k] = stratified_mi(tables)
            dof[k] = conditional_dof(tables)
            rows[k] = _rows(cs.effective(sum(t.sum() for t in tables).item(), slot if opts.dropna else None))
        position = {name: i for i, name in enumerate(cs.spec.columns)}
        for c in range(p):
            i = position.get(composite_column(labels[c]))
            if i is not None and kinds[c] == DISCRETE and not isinstance(cs.domains[i], Folded):
                # the rows H(c|z) is over: where both are present (the composite's present codes)
                entropy_given[c] = (
                    conditional_entropy(cs.marginals[i], cs.domains[i]),
                    _rows(cs.marginals[i][1:].sum().item()),
                )
        plain = {composite_column(c): c for c in labels} | {c: c for c in labels}
        kind_of = dict(zip(labels, kinds, strict=True))
        named = zip(cs.spec.columns, cs.domains, strict=True)
        folded = {
            plain[name]: d for name, d in named if isinstance(d, Folded) and kind_of[plain[name]] == DISCRETE
        }
        warn_about_columns((), list(folded.items()), cs.spec.max_categories)
        decided = {
            c: cs.domains[position[c]]
            for c, k0 in zip(labels, lay_kinds, strict=True)
            if k0 == AUTO and kind_of[c] == CONTINUOUS
        }
        warn_continuous_integers(
            [(c, d) for c, d in decided.items() if isinstance(d, Folded)], AUTO_DISCRETE_MAX
        )
    if knn:
        assert state.sample is not None
        continuous = [kinds[c] == CONTINUOUS for c in lay.sampled_cols] + [False]
        prep = prepare_sample(state.sample, lay.sample_names, continuous, opts.seed, knn_memory())
        strata = prep.labels[len(lay.sampled_cols)]
        spos = {c: i for i, c in enumerate(lay.sampled_cols)}
        present = prep.present

        for k in knn:
            a, b = spos[pairs[k][0]], spos[pairs[k][1]]
            task = KnnTask(k, a, b)
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
    return mi, rows, entropy_given, dof


def resolved_kinds(state: Any, labels: Sequence[Hashable], kinds: Sequence[str]) -> tuple[str, ...]:
    """The kinds once the conditioning pass has counted: an undecided (integer) column is
    continuous when its plain counts were folded (see :func:`dmi._engine.columns.resolve`)."""
    cs = state.counts
    position = {name: i for i, name in enumerate(cs.spec.columns)} if cs is not None else {}
    folded = [c in position and isinstance(cs.domains[position[c]], Folded) for c in labels]
    return resolve(kinds, folded)


def matrix(
    data: Any,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    z: Hashable,
    opts: Options,
    *,
    diagonal: bool,
    stored: Any = None,
) -> tuple[list[float], list[float], list[tuple[float, float]], list[int]]:
    """``I(a;b|z)`` for each pair, rows used, ``H(c|z)`` of each discrete column and each
    counted pair's degrees of freedom (see :func:`finish_conditional`), in one pass over ``data``.

    ``stored``: instead of a pass, the state a stored summary holds for this request
    (a function of the pass spec, see :func:`dmi._engine.projection.project_given`).
    """
    pass_spec, used = spec(labels, kinds, pairs, z, opts, diagonal=diagonal)
    state = stored(pass_spec) if stored is not None else run(data, pass_spec, used, z, opts)
    return finish_conditional(state, labels, kinds, pairs, z, opts)
