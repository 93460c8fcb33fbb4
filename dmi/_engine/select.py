"""Feature selection on a table's exact counts: the engine side of :func:`dmi.select_features`.

Every column is made discrete first (continuous ones cut into quantile bins from the
sample, as ``method="binned"``), so relevance, redundancy and conditional terms are all
exact plug-in estimates on counts over every row, and each has a G-test. Passes over the
data:

* the quantile edges, when a column is continuous (one sampling pass);
* relevance ``I(X;Y)`` of every candidate, and for mRMR every candidates' pair
  ``I(X_j;X_k)``, in one pass;
* JMI and CMIM: for each selected feature ``X_s`` but the last, one conditioning pass
  for ``I(X_k;Y|X_s)`` of every remaining candidate (three-way counts ``(X_s, X_k) x Y``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Unpack

import numpy as np
import pandas as pd

from dmi._engine.basis import Data, Stored, basis_of
from dmi._engine.columns import CONTINUOUS, DISCRETE
from dmi._engine.engine import quantile_edges_pass
from dmi._engine.keywords import Options
from dmi._engine.notes import Notes
from dmi._engine.request import (
    check_options,
    compute,
    conditional_with_dof,
    prepare,
    unit,
)
from dmi._engine.signatures import WeightedBinnedKeywords
from dmi._inputs.source import Source
from dmi._math.codes import bin_of
from dmi._math.estimators import Reads, to_base
from dmi._math.selection import CONDITIONAL, best, scores
from dmi._math.stats import benjamini_hochberg, g_statistic
from dmi._math.stats import g_test as pair_g_test


@dataclass
class Terms:
    """What the steps have measured so far, in nats, for ``m`` candidates."""

    relevance: np.ndarray
    relevance_test: list[tuple[float, int, float]]
    """Each candidate's marginal G-test: ``(G, dof, p)``."""
    redundancy: np.ndarray | None = None
    """mRMR: ``I(X_j;X_k)`` of every two candidates, ``(m, m)``."""
    conditional: list[np.ndarray] = field(default_factory=list)
    """JMI, CMIM: per selected feature, ``I(X_k;Y|X_s)`` of every candidate."""
    conditional_test: list[list[tuple[float, int, float]]] = field(default_factory=list)
    passes: int = 0


def _bin(part: pd.DataFrame, edges: dict[Hashable, tuple[float, ...]]) -> pd.DataFrame:
    """A partition with each binned column replaced by its bin (0 .. len(edges)), NA where missing."""
    out = part.copy(deep=False)
    for name, cut in edges.items():
        bins, missing = bin_of(part[name], cut)  # the bins of method="binned"
        out[name] = pd.arrays.IntegerArray(bins.astype(np.int16), missing)
    return out


def binned_view(
    source: Source, labels: list[Hashable], kinds: tuple[str, ...], opts: Options, notes: Notes
) -> tuple[Any, list[Hashable], int, int | None]:
    """The data with every continuous (or many-valued integer) column cut into
    ``opts.bins`` quantile bins from the sample: a lazy Dask DataFrame of discrete columns.
    Returns it, the binned columns, the passes it took (0 or 1) and the bins (None when
    no column is binned)."""
    cont = [c for c, kind in enumerate(kinds) if kind != DISCRETE]
    edges: dict[int, tuple[float, ...]] = {}
    bins = None
    if cont:
        edges, bins = quantile_edges_pass(
            source,
            labels,
            kinds,
            cont,
            opts.split_every,
            opts.sample_size,
            opts.seed,
            opts.bins,
            opts.progress,
            notes,
            opts.weights,
        )
    named = {labels[c]: cut for c, cut in edges.items()}
    frame = source.frame[labels if opts.weights is None else [*labels, opts.weights]]
    meta = _bin(frame._meta, {name: (0.0,) for name in named})
    return (
        frame.map_partitions(_bin, named, meta=meta),
        list(named),
        int(bool(cont)),
        (bins if named else None),
    )


def measure_relevance(
    frame: Any,
    labels: list[Hashable],
    opts: Options,
    *,
    redundancy: bool,
    kinds: tuple[str, ...] | None = None,
) -> Terms:
    """One pass (or a stored summary's counts): ``I(X;Y)`` of each candidate
    (``labels[0]`` is the target) and, with ``redundancy``, of every two candidates.
    ``kinds``: the columns' kinds when not all discrete (a summary's undecided integers)."""
    m = len(labels) - 1
    stored = kinds is not None
    kinds = kinds if kinds is not None else (DISCRETE,) * len(labels)
    pairs = [(0, i) for i in range(1, m + 1)]
    if redundancy:
        pairs += [(i, j) for i in range(1, m + 1) for j in range(i + 1, m + 1)]
    req = replace(prepare(frame, labels, opts), kinds=kinds)
    res = compute(req, pairs, diagonal=False)
    if stored:  # a summary's integer columns with many values are sampled, not counted
        results = list(zip(pairs, res.pairs, strict=True))
        counted = {c for pair, r in results if r.stats is not None for c in pair}
        sampled = {c for pair, r in results if r.estimator.reads is not Reads.COUNTS for c in pair}
        estimated = {labels[c] for c in sampled - counted}
        if estimated:
            raise ValueError(
                f"column(s) {sorted(map(str, estimated))} have too many values to be counted in this "
                "summary (it keeps a sample of them); select from the data, or leave them out with columns="
            )
    relevance = np.array([r.mi for r in res.pairs[:m]], dtype=np.float64)
    tests = [pair_g_test(r.stats) if r.stats is not None else (math.nan, 0, math.nan) for r in res.pairs[:m]]
    terms = Terms(relevance, tests, passes=0 if stored else 1)  # a summary holds the counts
    if redundancy:
        red = np.zeros((m, m))
        for (i, j), r in zip(pairs[m:], res.pairs[m:], strict=True):
            red[i - 1, j - 1] = red[j - 1, i - 1] = r.mi
        terms.redundancy = red
    return terms


def measure_conditional(
    frame: Any, labels: list[Hashable], given: int, remaining: Sequence[int], opts: Options
) -> tuple[np.ndarray, list[tuple[float, int, float]]]:
    """One conditioning pass: ``I(X_k;Y|X_given)`` and its G-test for each remaining
    candidate ``k`` (positions among the candidates; ``labels[0]`` is the target)."""
    m = len(labels) - 1
    names = [labels[0], *(labels[1 + k] for k in remaining)]
    kinds = (DISCRETE,) * len(names)
    pairs = [(0, i) for i in range(1, len(names))]
    req = replace(prepare(frame, names, opts), kinds=kinds)
    mi, rows, dofs = conditional_with_dof(req, pairs, labels[1 + given])
    values = np.full(m, np.nan)
    tests: list[tuple[float, int, float]] = [(math.nan, 0, math.nan)] * m
    for k, value, n, dof in zip(remaining, mi, rows, dofs, strict=True):
        values[k] = value
        g, p = g_statistic(value, n, dof)
        tests[k] = (g, dof, p)
    return values, tests


@dataclass(frozen=True)
class Step:
    """One selected feature and the evidence for it."""

    feature: Hashable
    score: float
    relevance: float
    redundancy: float
    conditional_mi: float
    given: Hashable | None
    g: float
    dof: int
    p_value: float
    q_value: float
    reason: str = ""
    """Why it was taken: its test's q-value against ``alpha``, or the best score (no stop)."""


def _reason(q: float, alpha: float | None, score: float, quotient: bool) -> str:
    """A step's reason, in words: the evidence it was taken on, and a negative score."""
    if alpha is None:
        why = "best score (alpha=None: no test stops the selection)"
    else:
        why = f"best score with q = {q:.3g} <= alpha = {alpha:g}"
    if score < 0 and not quotient:
        why += "; score < 0: more redundant with the selected features than relevant"
    return why


def run_steps(
    frame: Any,
    labels: list[Hashable],
    method: str,
    k: int | None,
    alpha: float | None,
    quotient: bool,
    opts: Options,
    kinds: tuple[str, ...] | None = None,
) -> tuple[list[Step], pd.DataFrame, str, int]:
    """Select features one step at a time, each the best-scoring candidate whose test is
    significant after Benjamini-Hochberg at ``alpha``, until ``k``, until the candidates
    run out, or until no candidate's test is significant (``alpha=None``: the
    best-scoring candidate, tested but never stopped by the test, until ``k``).

    Returns the steps, the candidates not selected (their last scores and tests), why the
    selection stopped and the passes it took.
    """
    candidates = labels[1:]
    m = len(candidates)
    terms = measure_relevance(frame, labels, opts, redundancy=method == "mrmr", kinds=kinds)
    available = np.ones(m, dtype=bool)
    chosen: list[int] = []
    steps: list[Step] = []
    limit = m if k is None else k
    stopped = "k" if k is not None else "candidates"
    last = None
    while len(steps) < limit:
        if not available.any():
            stopped = "candidates"
            break
        redundancy = terms.redundancy[:, chosen] if terms.redundancy is not None else None
        cond = np.column_stack(terms.conditional) if terms.conditional else None
        sc = scores(method, terms.relevance, redundancy, cond, quotient=quotient)
        tests = [
            terms.conditional_test[sc.tested[c]][c] if sc.tested[c] >= 0 else terms.relevance_test[c]
            for c in range(m)
        ]
        p = np.array([t[2] if available[c] else np.nan for c, t in enumerate(tests)])
        q = benjamini_hochberg(p)
        last = (sc, tests, q)
        # the best candidate whose test is significant: one that fails it adds nothing
        # beyond a selected feature (JMI, CMIM) or is unrelated to the target (all)
        pick = best(sc.score, available if alpha is None else available & (q <= alpha))
        if pick < 0:
            stopped = "not significant" if best(sc.score, available) >= 0 else "candidates"
            break
        given = candidates[chosen[sc.tested[pick]]] if sc.tested[pick] >= 0 else None
        g, dof, p_pick = tests[pick]
        steps.append(
            Step(
                candidates[pick],
                float(sc.score[pick]),
                float(terms.relevance[pick]),
                float(sc.redundancy[pick]),
                float(sc.conditional[pick]),
                given,
                g,
                dof,
                p_pick,
                float(q[pick]),
                _reason(float(q[pick]), alpha, float(sc.score[pick]), quotient),
            )
        )
        chosen.append(pick)
        available[pick] = False
        if method in CONDITIONAL and len(steps) < limit and available.any():
            remaining = np.flatnonzero(available).tolist()
            values, ctests = measure_conditional(frame, labels, pick, remaining, opts)
            terms.conditional.append(values)
            terms.conditional_test.append(ctests)
            terms.passes += 1
    rest = _not_selected(candidates, available, last)
    return steps, rest, stopped, terms.passes


def _not_selected(candidates: list[Hashable], available: np.ndarray, last: Any) -> pd.DataFrame:
    """The candidates left, with their scores and tests at the last step evaluated."""
    rows = []
    for c in np.flatnonzero(available):
        if last is None:
            rows.append((candidates[c], math.nan, math.nan, math.nan, math.nan))
            continue
        sc, tests, q = last
        rows.append((candidates[c], float(sc.score[c]), float(tests[c][0]), float(tests[c][2]), float(q[c])))
    out = pd.DataFrame(rows, columns=["feature", "score", "g", "p_value", "q_value"])
    return out.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def as_frame(steps: list[Step], base: float) -> pd.DataFrame:
    """The step table, MI-like columns in units of ``base``."""
    table = pd.DataFrame(
        {
            "step": np.arange(1, len(steps) + 1),
            "feature": pd.Series([s.feature for s in steps], dtype=object),
            "score": [s.score for s in steps],
            "relevance": [to_base(s.relevance, base) for s in steps],
            "redundancy": [to_base(s.redundancy, base) for s in steps],
            "conditional_mi": [to_base(s.conditional_mi, base) for s in steps],
            "given": pd.Series([s.given for s in steps], dtype=object),
            "g": [s.g for s in steps],
            "dof": pd.array([s.dof for s in steps], dtype="Int64"),
            "p_value": [s.p_value for s in steps],
            "q_value": [s.q_value for s in steps],
            "reason": pd.Series([s.reason for s in steps], dtype=object),
        }
    )
    return table


def binned_options(**options: Unpack[WeightedBinnedKeywords]) -> Options:
    """The checked options of a selection: continuous columns binned, every term counted."""
    return check_options(**options, method="binned")


def _counted(opts: Options) -> Options:
    """The options of the passes over the binned view, whose columns are all discrete."""
    return replace(opts, method="auto", discrete=True, normalize=None)


def relevance(data: Any, columns: list[Hashable], target: Hashable, opts: Options) -> Terms:
    """``I(X;Y)`` of each of ``columns`` with ``target`` and its G-test, on the binned view
    (the bins' pass, if any, and one more)."""
    req = prepare(data, columns, opts, target=target)
    if not isinstance(req.basis, Data):
        raise TypeError("the relevance of binned columns is computed from data, not from a summary")
    frame, _, _, _ = binned_view(req.basis.source, req.labels, req.kinds, req.opts, Notes())
    return measure_relevance(frame, req.labels, _counted(req.opts), redundancy=False)


def select(
    data: Any,
    target: Hashable,
    columns: Sequence[Hashable] | None,
    method: str,
    k: int | None,
    alpha: float | None,
    quotient: bool,
    opts: Options,
) -> pd.DataFrame:
    """:func:`dmi.select_features` once its arguments are checked."""
    basis = basis_of(data)
    stored = isinstance(basis, Stored)
    if stored:
        if method in CONDITIONAL:
            raise ValueError(
                f"method={method!r} needs three-way counts with each selected feature, which a summary "
                "does not hold; select from the data, or use method='mim' or 'mrmr' on the summary"
            )
        opts = replace(opts, method="auto")  # a summary's counts are used as they are
    req = prepare(basis, columns, opts, target=target)
    opts, labels, kinds = req.opts, req.labels, req.kinds
    candidates = labels[1:]
    if not candidates:
        raise ValueError(f"no candidate columns besides the target {target!r}")
    if k is not None and k > len(candidates):
        raise ValueError(f"k={k} is larger than the {len(candidates)} candidate columns")
    if stored:
        continuous = [str(c) for c, kind in zip(labels, kinds, strict=True) if kind == CONTINUOUS]
        if continuous:
            raise ValueError(
                f"column(s) {continuous} are continuous: a summary keeps only a sample of them, not "
                "counts of their bins over all rows; select from the data, or leave them out with columns="
            )
        binned: list[Hashable] = []
        frame, edge_passes, counted, stored_kinds, bins = basis, 0, opts, kinds, None
    else:
        assert isinstance(basis, Data)
        notes = Notes()
        frame, binned, edge_passes, bins = binned_view(basis.source, labels, kinds, opts, notes)
        notes.emit()
        counted, stored_kinds = _counted(opts), None
    steps, rest, stopped, passes = run_steps(frame, labels, method, k, alpha, quotient, counted, stored_kinds)
    table = as_frame(steps, opts.base)
    if method != "mrmr" or not quotient:  # scores in units of base (the quotient has none)
        table["score"] = to_base(table["score"].to_numpy(), opts.base)
        rest["score"] = to_base(rest["score"].to_numpy(), opts.base)
    table.attrs.update(
        method=method,
        quotient=quotient,
        alpha=alpha,
        stopped=stopped,
        passes=passes + edge_passes,
        binned=binned,
        bins=bins,
        unit=unit(opts),
        not_selected=rest,
        target=target,
    )
    return table
