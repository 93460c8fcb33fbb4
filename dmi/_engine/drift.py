"""Drift between two versions of a table from their two summaries: the engine side of :func:`dmi.drift`.

Both sides are :class:`dmi.Summary` objects (the data is summarized first, one pass per
side), so last month's saved summary is compared without reading last month's data:

* discrete columns (and integer columns with few values) are compared on their exact
  counts, put on one domain by :func:`dmi._math.counts.align`;
* continuous columns (and integer columns with many values) are cut into quantile bins
  of the pooled samples of both sides and compared on each side's sample;
* a pair is compared on counts when both its columns are counted, else on the samples,
  its discrete column coded over the pooled samples' values;
* a discrete column with more than ``max_categories`` values keeps no values to compare
  and gives NaN.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmi._engine.columns import AUTO, CONTINUOUS
from dmi._engine.notes import warn_about_columns
from dmi._engine.projection import project, transposed
from dmi._engine.summarize import full_spec
from dmi._math import drift as math_drift
from dmi._math.codes import Domain, Folded, as_float, auto_bins, bin_of, quantile_edges, value_order
from dmi._math.counts import CountState, align
from dmi._math.entropy import pair_stats
from dmi._math.estimators import to_base
from dmi._math.stats import benjamini_hochberg
from dmi._pass import graph
from dmi.summary import Summary

COUNTS = "counts"
SAMPLE = "binned sample"
FOLDED = "not compared: more than max_categories values"


@dataclass(frozen=True)
class DriftPlan:
    """How each column is compared, and what it is compared with."""

    labels: list[Hashable]
    basis: list[str]
    counts: tuple[CountState, CountState] | None
    """Both sides' counts on one domain per column."""
    counted: dict[Hashable, int]
    """Position of each counted column in the counts."""
    tables: dict[tuple[int, int], int]
    """Position of each counted pair ``(a, b)`` (positions in the counts) among its tables."""
    codes: dict[Hashable, tuple[np.ndarray, np.ndarray, int]]
    """Each column compared on the samples: its codes on each side's sample rows
    (0 = missing, 1.. the bins or values) and the number of codes past 0."""
    edges: dict[Hashable, tuple[float, ...]]
    bins: int | None = None
    """The quantile bins of the sampled columns (None when no column is binned)."""


def check_sides(before: Summary, after: Summary, labels: Sequence[Hashable]) -> None:
    """ValueError naming the first column whose kind differs, or a cap or weights that differ."""
    kind = [dict(zip(s.columns, s.kinds, strict=True)) for s in (before, after)]
    dtype = [dict(zip(s.columns, s.dtypes, strict=True)) for s in (before, after)]
    for c in labels:
        if kind[0][c] != kind[1][c]:
            names = {"d": "discrete", "c": "continuous", "a": "integer (decided by its values)"}
            raise ValueError(
                f"column {c!r} is {names[kind[0][c]]} ({dtype[0][c]}) before and {names[kind[1][c]]} "
                f"({dtype[1][c]}) after; give both sides the same dtype, or list it in discrete=[...]"
            )
    for s in (before, after):
        if s.given is not None:
            raise ValueError(
                f"a summary made with given={s.given!r} holds conditional counts only; "
                "summarize without given="
            )
    if before.weights != after.weights:
        raise ValueError(
            f"the two sides are weighted differently (weights {before.weights!r} before, {after.weights!r} "
            "after); pass both as data with the same weights=, or summarize both with it"
        )
    for side, s in (("before", before), ("after", after)):
        sums = s.state.counts.weights if s.state.counts is not None else None
        if sums is not None and sums.fractional:
            raise ValueError(
                f"the {side} side's weights {s.weights!r} are fractional; drift's tests permute and count "
                "whole rows, so it takes whole-number (frequency) weights only"
            )
    if before.max_categories != after.max_categories:
        raise ValueError(
            f"the summaries were capped at different max_categories ({before.max_categories!r} and "
            f"{after.max_categories!r}); summarize both sides with the same max_categories"
        )


def plan(before: Summary, after: Summary, labels: list[Hashable], bins: int | str) -> DriftPlan:
    """Project both summaries on ``labels``, align their counts and bin what is sampled
    (``bins="auto"``: from the smaller side's sample rows, :func:`auto_bins`)."""
    kinds = tuple(dict(zip(before.columns, before.kinds, strict=True))[c] for c in labels)
    spec = full_spec(labels, kinds, before.sample_size, before.seed, before.max_categories)
    states = [project(s, spec) for s in (before, after)]
    counts = None
    domains: dict[Hashable, Domain] = {}
    counted: dict[Hashable, int] = {}
    tables: dict[tuple[int, int], int] = {}
    if spec.counts is not None:
        b, a = align([s.counts for s in states if s.counts is not None])
        counts = (b, a)
        counted = {c: i for i, c in enumerate(spec.counts.columns)}
        domains = {c: b.domains[i] for c, i in counted.items()}
        tables = {pair: k for k, pair in enumerate(spec.counts.pairs)}
    basis = []
    folded: list[tuple[Hashable, Folded]] = []
    for c, kind in zip(labels, kinds, strict=True):
        domain = domains.get(c)
        if kind == CONTINUOUS:
            basis.append(SAMPLE)
        elif isinstance(domain, Folded):
            basis.append(SAMPLE if kind == AUTO else FOLDED)
            if kind != AUTO:
                folded.append((c, domain))
        else:
            basis.append(COUNTS)
    warn_about_columns([], folded, before.max_categories)
    samples = [s.sample.frame for s in states if s.sample is not None]
    binned = [c for c, how in zip(labels, basis, strict=True) if how == SAMPLE]
    edges, codes = {}, {}
    used = auto_bins(min(len(frame) for frame in samples)) if bins == "auto" and samples else bins
    for c in binned:
        i = labels.index(c)
        values = [as_float(frame.iloc[:, i]) for frame in samples]
        pooled = np.concatenate(values)
        edges[c] = quantile_edges(pooled[~np.isnan(pooled)], int(used))
        sides = []
        for v in values:
            bin_codes, missing = bin_of(pd.Series(v), edges[c])
            sides.append(np.where(missing, 0, bin_codes.astype(np.int64) + 1))
        codes[c] = (sides[0], sides[1], len(edges[c]) + 1)
    if binned:  # the counted columns of pairs with a binned one, coded over both samples
        for i, c in enumerate(labels):
            if basis[i] == COUNTS:
                both = pd.concat([frame.iloc[:, i] for frame in samples], ignore_index=True)
                factor, uniques = pd.factorize(both, sort=True)
                factor = factor.astype(np.int64) + 1  # -1 (missing) becomes 0
                n0 = len(samples[0])
                codes[c] = (factor[:n0], factor[n0:], len(uniques))
    return DriftPlan(labels, basis, counts, counted, tables, codes, edges, int(used) if binned else None)


def _marginals(p: DriftPlan, position: int, dropna: bool) -> tuple[np.ndarray, np.ndarray]:
    c = p.labels[position]
    if p.basis[position] == COUNTS:
        i = p.counted[c]
        sides = [s.marginals[i] for s in p.counts]  # type: ignore[union-attr]
    else:
        b, a, k = p.codes[c]
        sides = [np.bincount(x, minlength=k + 1) for x in (b, a)]
    return (sides[0][1:], sides[1][1:]) if dropna else (sides[0], sides[1])


def columns_table(p: DriftPlan, dropna: bool, base: float) -> pd.DataFrame:
    """One row per column: ``I(column; version)``, the JS divergence, the G-test, rows."""
    rows = []
    for position, (c, how) in enumerate(zip(p.labels, p.basis, strict=True)):
        if how == FOLDED:
            shift = math_drift.Shift(math.nan, math.nan, math.nan, 0, math.nan, 0, 0)
        else:
            shift = math_drift.column_shift(*_marginals(p, position, dropna))
        rows.append((c, shift.mi, shift.js, shift.g, shift.dof, shift.p, shift.n_before, shift.n_after, how))
    out = pd.DataFrame(
        rows, columns=["column", "mi", "js_divergence", "g", "dof", "p_value", "n_before", "n_after", "basis"]
    )
    out[["mi", "js_divergence"]] = to_base(out[["mi", "js_divergence"]], base)
    out.insert(6, "q_value", benjamini_hochberg(out["p_value"].to_numpy()))
    return out


def _tables(p: DriftPlan, x: Hashable, y: Hashable, counted: bool) -> tuple[list, tuple]:
    """Both sides' tables of a pair and the value orders of its sides (None: sorted)."""
    if counted:
        i, j = p.counted[x], p.counted[y]
        k = p.tables[(min(i, j), max(i, j))]
        tables = [s.tables[k] for s in p.counts]  # type: ignore[union-attr]
        orders = tuple(value_order(p.counts[0].domains[c]) for c in (min(i, j), max(i, j)))  # type: ignore[index]
        if i > j:  # the stored table is (y, x)
            tables = [transposed(t) for t in tables]
            orders = orders[::-1]
        return tables, orders
    (xb, xa, kx), (yb, ya, ky) = p.codes[x], p.codes[y]
    shape = (kx + 1, ky + 1)
    return [math_drift.dense_table(xb, yb, shape), math_drift.dense_table(xa, ya, shape)], (None, None)


def _pair_row(p: DriftPlan, i: int, j: int, dropna: bool, permutations: int, seed: int) -> tuple:
    x, y = p.labels[i], p.labels[j]
    if FOLDED in (p.basis[i], p.basis[j]):
        return (x, y, math.nan, math.nan, math.nan, 0, 0, FOLDED)
    how = COUNTS if p.basis[i] == p.basis[j] == COUNTS else SAMPLE
    tables, orders = _tables(p, x, y, how == COUNTS)
    stats = [pair_stats(t, dropna, *orders) for t in tables]
    rng = np.random.default_rng([seed, i, j])  # the same draws whatever the blocks
    pvalue = math_drift.change_p(math_drift.cells(tables[0], tables[1], dropna), permutations, rng)
    return (x, y, stats[0].mi, stats[1].mi, pvalue, stats[0].n, stats[1].n, how)


def _pair_rows(
    p: DriftPlan, pairs: list[tuple[int, int]], dropna: bool, permutations: int, seed: int
) -> list[tuple]:
    return [_pair_row(p, i, j, dropna, permutations, seed) for i, j in pairs]


# Tasks of pairs: enough to keep a cluster busy and balance uneven pairs, few enough that
# each carries real work.
_MAX_BLOCKS = 64


def pairs_table(
    p: DriftPlan, dropna: bool, base: float, permutations: int, seed: int, progress: bool
) -> pd.DataFrame:
    """One row per pair: MI before and after, the change, the permutation test of it.
    The pairs are Dask tasks (on the active scheduler, with a progress bar if asked); the
    plan travels to each worker once."""
    todo = [(i, j) for i in range(len(p.labels)) for j in range(i + 1, len(p.labels))]
    rows = graph.map_shared(
        _pair_rows,
        p,
        todo,
        dropna,
        permutations,
        seed,
        name="drift-pairs",
        blocks=_MAX_BLOCKS,
        progress=progress,
    )
    frame = pd.DataFrame(rows, columns=_PAIR_COLUMNS)
    frame[["mi_before", "mi_after"]] = to_base(frame[["mi_before", "mi_after"]].astype(np.float64), base)
    return _with_tests(frame)


_PAIR_COLUMNS = ["x", "y", "mi_before", "mi_after", "p_value", "n_before", "n_after", "basis"]


def empty_pairs() -> pd.DataFrame:
    """The pairs table without pairs (``pairs=False``, or one column)."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype=object if c in ("x", "y", "basis") else float) for c in _PAIR_COLUMNS}
    )
    return _with_tests(frame)


def _with_tests(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(4, "change", frame["mi_after"] - frame["mi_before"])
    frame.insert(6, "q_value", benjamini_hochberg(frame["p_value"].to_numpy(dtype=np.float64)))
    return frame
