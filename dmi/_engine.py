"""From a planned request to per-pair results: specs, the one compute, the finishing math."""

from __future__ import annotations

import logging
import math
import sys
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from dask.utils import format_bytes

from . import _blocks, _graph
from ._codes import Domain, Folded, quantile_edges, value_order
from ._dispatch import (
    PLUG_IN,
    KnnTask,
    PreparedSample,
    blocks,
    column_notes,
    estimate_block,
    estimator,
    looks_categorical,
    prepare_sample,
)
from ._entropy import PairStats, entropy, folded_entropy, folded_pair_stats, pair_stats
from ._inputs import Source
from ._onepass import PassSpec, Summary
from ._plan import DISCRETE
from ._sample import SampleSpec
from ._summary import CountSpec, TablesTooLarge

_log = logging.getLogger("dmi")


class LooksCategoricalWarning(UserWarning):
    """A column treated as continuous has so few distinct values that it looks categorical."""


@dataclass(frozen=True)
class PairResult:
    """MI of one pair in nats, the rows it used, and (plug-in only) its entropies."""

    estimator: str
    mi: float
    n: int
    stats: PairStats | None = None
    stderr: float = math.nan
    """Standard error of a sample-based estimate (when asked for), in nats."""
    p_value: float = math.nan
    """Permutation p-value of a sample-based estimate (when asked for)."""


@dataclass(frozen=True)
class Results:
    """Per-pair results (aligned with the requested pairs), and per-column entropies."""

    pairs: list[PairResult]
    entropy: list[float]
    """H(X) in nats of each column over its present rows (or all rows without dropna);
    NaN for continuous columns, whose differential entropy is not on the same scale."""
    n_present: list[int]
    n_rows: int = 0
    """Rows of the data."""
    sample_rows: int = 0
    """Rows of the uniform sample (0 without sample-based pairs)."""


def _estimate(
    prep: PreparedSample, tasks: list[KnnTask], k: int, splits: int = 0, permutations: int = 0, seed: int = 0
) -> tuple[list[Any], dict[int, tuple[int, int]]]:
    """One Dask task: a block of k-NN pairs, and the notes for the looks-categorical check."""
    return estimate_block(prep, tasks, k, splits, permutations, seed), column_notes(prep, tasks)


@dataclass(frozen=True)
class Plan:
    """What one request reads, counts, samples and estimates (see :func:`plan`)."""

    spec: PassSpec
    est: list[str]
    plug: list[int]
    tasks: list[KnnTask]
    names: list[Hashable]
    continuous: tuple[bool, ...]
    count_cols: list[int]
    sample_cols: list[int]
    cpos: dict[int, int]
    spos: dict[int, int]


# A discrete column with a distinct value in every one of at least this many rows warns.
_IDENTIFIER_ROWS = 1_000


class IdentifierWarning(UserWarning):
    """A discrete column takes a different value in every row (an identifier)."""


class MaxCategoriesWarning(UserWarning):
    """A discrete column has more distinct values than ``max_categories``: its MI is NaN."""


def _is_identifier(domain: Domain, marginal: np.ndarray) -> bool:
    if isinstance(domain, Folded):
        return domain.identifier
    nonzero = marginal[1:][marginal[1:] > 0]
    return bool(nonzero.size >= _IDENTIFIER_ROWS and (nonzero == 1).all())


@dataclass
class Notes:
    """What one request should warn about, gathered over its passes and emitted once."""

    identifiers: list[Hashable] = field(default_factory=list)
    folded: list[tuple[Hashable, Folded]] = field(default_factory=list)
    """Columns over ``max_categories`` that are not proven identifiers (their MI is NaN)."""
    suspicious: list[Hashable] = field(default_factory=list)
    """Continuous columns with few distinct values in the sample."""
    cap: int | None = None

    def emit(self) -> None:
        """Warn, once per column, about everything noted."""
        warn_about_columns(
            list(dict.fromkeys(self.identifiers)), list(dict(self.folded).items()), self.cap, stacklevel=6
        )
        suspicious = list(dict.fromkeys(self.suspicious))
        if suspicious:
            shown = ", ".join(repr(c) for c in suspicious)
            warnings.warn(
                f"column(s) {shown} are treated as continuous but have fewer than 20 distinct values in "
                f"the sample; if they are categories, pass discrete=[...] naming them (or discrete=True)",
                LooksCategoricalWarning,
                stacklevel=5,
            )


def warn_about_columns(
    identifiers: Sequence[Hashable],
    folded: Sequence[tuple[Hashable, Folded]],
    cap: int | None,
    stacklevel: int = 5,
) -> None:
    """Warn about identifier columns, and about columns over ``max_categories`` (NaN)."""
    if identifiers:
        shown = ", ".join(repr(c) for c in identifiers)
        warnings.warn(
            f"column(s) {shown} take a different value in every row, like an identifier: MI with "
            "such a column is the entropy of the other column and says nothing about dependence; "
            "leave it out, or read AMI (mutual_info_table), which is about 0 for it",
            IdentifierWarning,
            stacklevel=stacklevel,
        )
    if folded:
        shown = ", ".join(f"{c!r} (at least {d.at_least:,})" for c, d in folded)
        unique = [c for c, d in folded if d.unique]
        hint = (
            f" Column(s) {', '.join(repr(c) for c in unique)} never repeated a value within a partition: "
            "probably identifiers, whose MI with any column is that column's entropy."
            if unique
            else ""
        )
        limit = "the cap" if cap is None else f"max_categories={cap:,}"
        warnings.warn(
            f"column(s) {shown} have more distinct values than {limit}: their values "
            f"were not kept (so memory stays bounded) and their MI and entropy are NaN.{hint} Leave them "
            "out, or pass a larger max_categories (or None) to count them exactly, with memory growing "
            "with their distinct values",
            MaxCategoriesWarning,
            stacklevel=stacklevel,
        )


def plan(
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    *,
    diagonal: bool,
    sample_size: int,
    seed: int,
    edges: dict[int, tuple[float, ...]] | None = None,
    max_categories: int | None = None,
    table_bytes: int | None = None,
) -> Plan:
    """The pass and the estimators for ``pairs`` of ``labels`` (with these ``kinds``)."""
    p = len(labels)
    est = [estimator(kinds, i, j) for i, j in pairs]
    plug = [k for k, e in enumerate(est) if e == PLUG_IN]
    knn = [k for k, e in enumerate(est) if e != PLUG_IN]
    count_cols = sorted(
        {c for k in plug for c in pairs[k]}
        | ({c for c in range(p) if kinds[c] == DISCRETE} if diagonal else set())
    )
    sample_cols = sorted({c for k in knn for c in pairs[k]})
    read_cols = sorted(set(count_cols) | set(sample_cols))
    cpos = {c: i for i, c in enumerate(count_cols)}
    spos = {c: i for i, c in enumerate(sample_cols)}
    counts = (
        CountSpec(
            tuple(labels[c] for c in count_cols),
            tuple((cpos[pairs[k][0]], cpos[pairs[k][1]]) for k in plug),
            tuple(edges.get(c) for c in count_cols) if edges else None,
            max_categories,
            table_bytes,
        )
        if count_cols
        else None
    )
    continuous = tuple(kinds[c] != DISCRETE for c in sample_cols)
    sample = SampleSpec(tuple(labels[c] for c in sample_cols), continuous, sample_size, seed) if knn else None
    spec = PassSpec(tuple(labels[c] for c in read_cols), counts, sample)
    tasks = [KnnTask(k, spos[pairs[k][0]], spos[pairs[k][1]], est[k]) for k in knn]
    names = [labels[c] for c in sample_cols]
    return Plan(spec, est, plug, tasks, names, continuous, count_cols, sample_cols, cpos, spos)


def compute(
    source: Source,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    *,
    dropna: bool,
    split_every: int | None,
    n_neighbors: int,
    sample_size: int,
    seed: int,
    diagonal: bool,
    method: str = "auto",
    bins: int = 32,
    progress: bool = False,
    max_categories: int | None = None,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> Results:
    """Gather counts and sample in one pass, run the estimators, return per-pair results.

    With ``method="binned"`` a first pass samples the continuous columns for their
    quantile edges, and the second pass counts every pair over all rows.
    """
    p = len(labels)
    edges: dict[int, tuple[float, ...]] = {}
    if method == "binned":
        used = {c for pair in pairs for c in pair} | (set(range(p)) if diagonal else set())
        binned = sorted(c for c in used if kinds[c] != DISCRETE)
        if binned:
            edges = _quantile_edges(
                source, [labels[c] for c in binned], binned, split_every, sample_size, seed, bins, progress
            )
            kinds = tuple(DISCRETE for _ in kinds)
    limit = _blocks.table_bytes(split_every)
    notes = Notes()
    todo = [_blocks.Block(tuple(range(len(pairs))), diagonal)]
    done: list[tuple[_blocks.Block, Results]] = []
    while todo:
        block = todo.pop(0)
        pl = plan(
            labels,
            kinds,
            [pairs[k] for k in block.pairs],
            diagonal=block.diagonal,
            sample_size=sample_size,
            seed=seed,
            edges=edges,
            max_categories=max_categories,
            table_bytes=limit,
        )
        try:
            summary, block_results = _graph.run(
                source,
                pl.spec,
                split_every,
                prepare=partial(prepare_sample, names=pl.names, continuous=pl.continuous, seed=seed),
                estimate=partial(
                    _estimate, k=n_neighbors, splits=stderr_splits, permutations=knn_permutations, seed=seed
                ),
                blocks=blocks(pl.tasks),
                progress=progress,
            )
        except TablesTooLarge as err:  # plan smaller blocks of pairs, each its own pass
            smaller = _blocks.split(block, pl.plug, err.pair_bytes, pairs, limit)
            message = (
                f"dmi: pair tables of about {format_bytes(sum(err.pair_bytes))} exceed dmi.table-memory; "
                f"counting them in {len(smaller)} passes instead of one"
            )
            _log.info(message)
            if progress:  # the user watches a bar: say why more bars follow
                print(message, file=sys.stderr, flush=True)
            todo[:0] = smaller
            continue
        done.append((block, finish(pl, summary, block_results, labels, kinds, dropna=dropna, notes=notes)))
    notes.emit()
    return _combine(done, len(pairs), p)


def _combine(done: Sequence[tuple[_blocks.Block, Results]], n_pairs: int, p: int) -> Results:
    """One request's results from the results of its blocks (each a subset of its pairs)."""
    if len(done) == 1:
        return done[0][1]
    pairs: list[PairResult | None] = [None] * n_pairs
    ent = [math.nan] * p
    present = [0] * p
    for block, res in done:
        for k, r in zip(block.pairs, res.pairs, strict=True):
            pairs[k] = r
        for c in range(p):  # a column counted in several passes has the same counts in each
            ent[c] = res.entropy[c] if math.isnan(ent[c]) else ent[c]
            present[c] = max(present[c], res.n_present[c])
    first = done[0][1]
    return Results(
        [r for r in pairs if r is not None], ent, present, first.n_rows, max(r.sample_rows for _, r in done)
    )


def estimate_locally(
    pl: Plan,
    summary: Summary,
    *,
    n_neighbors: int,
    seed: int,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> list[Any]:
    """The k-NN blocks of a plan on a summary's sample, in this process (no Dask)."""
    if not pl.tasks or summary.sample is None:
        return []
    prep = prepare_sample(summary.sample, pl.names, pl.continuous, seed)
    return [
        _estimate(prep, block, n_neighbors, stderr_splits, knn_permutations, seed)
        for block in blocks(pl.tasks)
    ]


def finish(
    pl: Plan,
    summary: Summary,
    block_results: Sequence[Any],
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    *,
    dropna: bool,
    notes: Notes | None = None,
) -> Results:
    """Per-pair results from a merged summary (of ``pl.spec``) and the k-NN blocks' output.

    What should be warned about is added to ``notes``; without it, warned about here.
    """
    if summary.n_rows == 0:
        raise ValueError("data has no rows")
    p = len(labels)
    est, plug, names = pl.est, pl.plug, pl.names
    results: list[PairResult | None] = [None] * len(est)
    if summary.counts is not None:
        cs = summary.counts
        orders = [value_order(d) for d in cs.domains]
        for k, table, (a, b) in zip(plug, cs.tables, cs.spec.pairs, strict=True):
            da, db = cs.domains[a], cs.domains[b]
            if isinstance(da, Folded) or isinstance(db, Folded):
                stats = folded_pair_stats(table, dropna, da, db)
            else:
                stats = pair_stats(table, dropna, orders[a], orders[b])
            results[k] = PairResult(PLUG_IN, stats.mi, stats.n, stats)
    knn_notes: dict[int, tuple[int, int]] = {}
    for block_out, block_notes in block_results:
        for r in block_out:
            results[r.slot] = PairResult(est[r.slot], r.mi, r.n, stderr=r.stderr, p_value=r.p_value)
        knn_notes.update(block_notes)
    todo = Notes() if notes is None else notes
    todo.suspicious += [names[c] for c, (u, n) in sorted(knn_notes.items()) if looks_categorical(u, n)]

    ent = [math.nan] * p
    present = [0] * p
    if summary.counts is not None:
        cs = summary.counts
        column = {c: (cs.domains[pl.cpos[c]], cs.marginals[pl.cpos[c]]) for c in pl.count_cols}
        todo.identifiers += [labels[c] for c, (d, m) in column.items() if _is_identifier(d, m)]
        todo.folded += [
            (labels[c], d) for c, (d, _) in column.items() if isinstance(d, Folded) and not d.identifier
        ]
        todo.cap = cs.spec.max_categories
        for c, (d, m) in column.items():
            if isinstance(d, Folded):
                ent[c] = folded_entropy(d, m, dropna)
            else:
                ent[c] = entropy(m[1:] if dropna else m)
            present[c] = int(m[1:].sum() if dropna else m.sum())
    if summary.sample is not None:
        frame = summary.sample.frame
        for c in pl.sample_cols:
            if kinds[c] != DISCRETE:
                present[c] = int(frame.iloc[:, pl.spos[c]].notna().sum())
    sample_rows = len(summary.sample.frame) if summary.sample is not None else 0
    if notes is None:
        todo.emit()
    return Results([r for r in results if r is not None], ent, present, summary.n_rows, sample_rows)


def _quantile_edges(
    source: Source,
    names: list[Hashable],
    cols: list[int],
    split_every: int | None,
    sample_size: int,
    seed: int,
    bins: int,
    progress: bool,
) -> dict[int, tuple[float, ...]]:
    """The first pass of ``method="binned"``: a uniform sample of the continuous columns."""
    spec = PassSpec(tuple(names), None, SampleSpec(tuple(names), (True,) * len(names), sample_size, seed))
    summary, _ = _graph.run(source, spec, split_every, progress=progress)
    if summary.n_rows == 0 or summary.sample is None:
        raise ValueError("data has no rows")
    frame = summary.sample.frame
    return {c: quantile_edges(frame.iloc[:, i].to_numpy(dtype=np.float64), bins) for i, c in enumerate(cols)}
