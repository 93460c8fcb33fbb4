"""From a planned request to per-pair results: the pass's specs, its computes, the finishing math.

One compute per request, except ``method='binned'`` (a first pass for the edges) and pair
tables too large for ``dmi.table-memory`` (one pass per block of pairs, :mod:`dmi._pass.blocks`).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from dask.utils import format_bytes

from dmi._engine.columns import AUTO, AUTO_DISCRETE_MAX, CONTINUOUS, DISCRETE, counted, resolve, sampled
from dmi._engine.keywords import Options
from dmi._engine.notes import Notes
from dmi._inputs.source import Source
from dmi._math.codes import Domain, Folded, auto_bins, quantile_edges, value_order
from dmi._math.counts import CountSpec, CountState, TablesTooLarge
from dmi._math.entropy import entropy, folded_entropy, folded_pair_stats, pair_stats
from dmi._math.estimators import PairResult, for_pair
from dmi._math.knn_pairs import (
    KnnTask,
    PreparedSample,
    column_notes,
    estimate_block,
    in_blocks,
    looks_categorical,
    prepare_sample,
    threads_per_block,
)
from dmi._math.sample import SampleSpec
from dmi._pass import blocks, graph
from dmi._pass.config import knn_memory, table_memory
from dmi._pass.onepass import PassSpec, PassState

_log = logging.getLogger("dmi")


@dataclass(frozen=True)
class Results:
    """Per-pair results (aligned with the requested pairs), and per-column entropies."""

    pairs: list[PairResult]
    entropy: list[float]
    """H(X) in nats of each column over its present rows (or all rows without dropna);
    NaN for continuous columns, whose differential entropy is not on the same scale."""
    n_present: list[int]
    n_rows: float = 0
    """Rows of the data."""
    sample_rows: int = 0
    """Rows of the uniform sample (0 without sample-based pairs)."""
    bins: int | None = None
    """The quantile bins continuous columns were cut into (``method="binned"``), else None."""


def _estimate(
    prep: PreparedSample,
    tasks: list[KnnTask],
    k: int,
    splits: int = 0,
    permutations: int = 0,
    seed: int = 0,
    threads: int = 1,
) -> tuple[list[Any], dict[int, tuple[int, int, bool]]]:
    """One Dask task: a block of k-NN pairs, and the notes on its continuous columns
    (looks categorical, heavily tied, constant)."""
    return estimate_block(prep, tasks, k, splits, permutations, seed, threads), column_notes(prep, tasks, k)


@dataclass(frozen=True)
class Plan:
    """What one request reads, counts, samples and estimates (see :func:`plan`)."""

    spec: PassSpec
    kinds: tuple[str, ...]
    """The request's kinds before the pass (integer columns may still be undecided)."""
    counted_pairs: list[int]
    """Pairs that may take the plug-in estimate, in the order of the count spec's tables."""
    tasks: list[KnnTask]
    names: list[Hashable]
    count_cols: list[int]
    sample_cols: list[int]
    count_index: dict[int, int]
    """A column's position among the counted columns."""
    sample_index: dict[int, int]
    """A column's position among the sampled columns."""
    n_pairs: int

    def resolve(self, counts: CountState | None) -> tuple[str, ...]:
        """Every column's kind once the pass has counted (see :func:`dmi._engine.columns.resolve`)."""
        domains = counts.domains if counts is not None else ()
        folded = [
            c in self.count_index and isinstance(domains[self.count_index[c]], Folded)
            for c in range(len(self.kinds))
        ]
        return resolve(self.kinds, folded)


# A discrete column with a distinct value in every one of at least this many rows warns.
_IDENTIFIER_ROWS = 1_000


def _is_identifier(domain: Domain, marginal: np.ndarray) -> bool:
    if isinstance(domain, Folded):
        return domain.identifier
    nonzero = marginal[1:][marginal[1:] > 0]
    return bool(nonzero.size >= _IDENTIFIER_ROWS and (nonzero == 1).all())


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
    weights: Hashable | None = None,
) -> Plan:
    """The pass and the estimators for ``pairs`` of ``labels`` (with these ``kinds``).

    A pair of two discrete or undecided (integer) columns is counted; a pair with a
    continuous or undecided column is sampled. Undecided columns are counted with a cap
    of ``AUTO_DISCRETE_MAX`` values, which decides them; a pair both counted and sampled
    takes the estimate its resolved kinds call for.
    """
    p = len(labels)
    counted_pairs = [k for k, (i, j) in enumerate(pairs) if counted(kinds[i]) and counted(kinds[j])]
    knn = [k for k, (i, j) in enumerate(pairs) if sampled(kinds, i, j)]
    sample_cols = sorted({c for k in knn for c in pairs[k]})
    count_cols = sorted(
        {c for k in counted_pairs for c in pairs[k]}
        | {c for c in sample_cols if kinds[c] == AUTO}  # counted to be decided
        | ({c for c in range(p) if counted(kinds[c])} if diagonal else set())
    )
    read_cols = sorted(set(count_cols) | set(sample_cols))
    count_index = {c: i for i, c in enumerate(count_cols)}
    sample_index = {c: i for i, c in enumerate(sample_cols)}
    auto = tuple(kinds[c] == AUTO for c in count_cols)
    counts = (
        CountSpec(
            tuple(labels[c] for c in count_cols),
            tuple((count_index[pairs[k][0]], count_index[pairs[k][1]]) for k in counted_pairs),
            tuple(edges.get(c) for c in count_cols) if edges else None,
            max_categories,
            table_bytes,
            auto if any(auto) else None,
            AUTO_DISCRETE_MAX,
        )
        if count_cols
        else None
    )
    # integers are sampled as they are; the estimators read them as numbers or labels
    continuous = tuple(kinds[c] == CONTINUOUS for c in sample_cols)
    sample = SampleSpec(tuple(labels[c] for c in sample_cols), continuous, sample_size, seed) if knn else None
    spec = PassSpec(tuple(labels[c] for c in read_cols), counts, sample, weights)
    tasks = [KnnTask(k, sample_index[pairs[k][0]], sample_index[pairs[k][1]]) for k in knn]
    names = [labels[c] for c in sample_cols]
    return Plan(
        spec,
        tuple(kinds),
        counted_pairs,
        tasks,
        names,
        count_cols,
        sample_cols,
        count_index,
        sample_index,
        len(pairs),
    )


def _prepare(summary: PassState, pl: Plan, seed: int, memory: int) -> PreparedSample:
    """One Dask task: decide the undecided columns from the merged counts, then prepare
    the merged sample for the k-NN pairs (its continuous columns are prepared by the pairs
    that read them, within ``memory`` bytes per process)."""
    assert summary.sample is not None
    kinds = pl.resolve(summary.counts)
    continuous = [kinds[c] == CONTINUOUS for c in pl.sample_cols]
    return prepare_sample(summary.sample, pl.names, continuous, seed, memory)


def pass_results(
    source: Source,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    opts: Options,
    *,
    diagonal: bool,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> Results:
    """Gather counts and sample in one pass, run the estimators, return per-pair results.

    With ``method="binned"`` a first pass samples the continuous columns for their
    quantile edges, and the second pass counts every pair over all rows.
    """
    p = len(labels)
    split_every, sample_size, seed, progress = opts.split_every, opts.sample_size, opts.seed, opts.progress
    edges: dict[int, tuple[float, ...]] = {}
    bins: int | None = None
    notes = Notes(n_neighbors=opts.n_neighbors)
    if opts.method == "binned":
        used = {c for pair in pairs for c in pair} | (set(range(p)) if diagonal else set())
        binned = sorted(c for c in used if kinds[c] != DISCRETE)
        if binned:
            edges, bins = quantile_edges_pass(
                source,
                labels,
                kinds,
                binned,
                split_every,
                sample_size,
                seed,
                opts.bins,
                progress,
                notes,
                opts.weights,
            )
            kinds = tuple(DISCRETE for _ in kinds)
    # split_every None here means a flat merge: it holds every partition's summary at once
    limit = blocks.table_bytes(split_every if split_every is not None else source.frame.npartitions)
    todo = [blocks.Block(tuple(range(len(pairs))), diagonal)]
    done: list[tuple[blocks.Block, Results]] = []
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
            max_categories=opts.max_categories,
            table_bytes=limit,
            weights=opts.weights,
        )
        knn_blocks = in_blocks(pl.tasks)
        cores = graph.threads() if knn_blocks else 1
        try:
            summary, block_results = graph.run(
                source,
                pl.spec,
                split_every,
                prepare=partial(_prepare, pl=pl, seed=seed, memory=knn_memory()),
                estimate=partial(
                    _estimate,
                    k=opts.n_neighbors,
                    splits=stderr_splits,
                    permutations=knn_permutations,
                    seed=seed,
                    threads=threads_per_block(cores, len(knn_blocks)),
                ),
                blocks=knn_blocks,
                progress=progress,
            )
        except TablesTooLarge as err:  # plan smaller blocks of pairs, each its own pass
            smaller = blocks.split(block, pl.counted_pairs, err.pair_bytes, pairs, limit)
            fan_in = split_every if split_every is not None else source.frame.npartitions
            message = (
                f"dmi: one summary's pair tables would take about {format_bytes(sum(err.pair_bytes))}, more "
                f"than its share of dmi.table-memory ({format_bytes(table_memory())} over the {fan_in} "
                f"summaries a merge holds at once, split_every={fan_in}: {format_bytes(err.limit)} each); "
                f"counting the pairs in {len(smaller)} passes instead of one"
            )
            _log.info(message)
            if progress:  # the user watches a bar: say why more bars follow
                print(message, file=sys.stderr, flush=True)
            todo[:0] = smaller
            continue
        done.append((block, finish_pass(pl, summary, block_results, labels, dropna=opts.dropna, notes=notes)))
    notes.emit()
    return replace(_combine(done, len(pairs), p), bins=bins)


def _combine(done: Sequence[tuple[blocks.Block, Results]], n_pairs: int, p: int) -> Results:
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
    summary: PassState,
    *,
    n_neighbors: int,
    seed: int,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> list[Any]:
    """The k-NN blocks of a plan on a summary's sample, in this process (no Dask)."""
    if not pl.tasks or summary.sample is None:
        return []
    cores = graph.local_threads()
    prep = _prepare(summary, pl, seed, knn_memory())
    return [  # one block after another: each may use every core
        _estimate(prep, block, n_neighbors, stderr_splits, knn_permutations, seed, cores)
        for block in in_blocks(pl.tasks)
    ]


def _no_rows(weights: Hashable | None) -> ValueError:
    if weights is not None:
        return ValueError(f"every weight in column {weights!r} is 0, so no rows to analyse")
    return ValueError("data has no rows")


def finish_pass(
    pl: Plan,
    summary: PassState,
    block_results: Sequence[Any],
    labels: Sequence[Hashable],
    *,
    dropna: bool,
    notes: Notes | None = None,
) -> Results:
    """Per-pair results from a merged summary (of ``pl.spec``) and the k-NN blocks' output.

    What should be warned about is added to ``notes``; without it, warned about here.
    """
    if summary.n_rows == 0:
        raise _no_rows(pl.spec.weights)
    p = len(labels)
    kinds = pl.resolve(summary.counts)
    results: dict[int, PairResult] = {}
    sparse: list[tuple[Hashable, Hashable, float, int, int]] = []
    if summary.counts is not None:
        cs = summary.counts
        orders = [value_order(d) for d in cs.domains]
        for slot, (k, table, (a, b)) in enumerate(
            zip(pl.counted_pairs, cs.tables, cs.spec.pairs, strict=True)
        ):
            i, j = pl.count_cols[a], pl.count_cols[b]
            if kinds[i] != DISCRETE or kinds[j] != DISCRETE:
                continue  # an integer column with many values: estimated on the sample
            da, db = cs.domains[a], cs.domains[b]
            if isinstance(da, Folded) or isinstance(db, Folded):
                stats = folded_pair_stats(table, dropna, da, db)
            else:
                stats = pair_stats(table, dropna, orders[a], orders[b])
            if cs.weights is not None and cs.weights.fractional:
                stats = replace(stats, n_eff=cs.effective(stats.n, slot if dropna else None))
            results[k] = PairResult(for_pair(0), stats.mi, stats.n, stats)
            if 0 < stats.n < stats.k_x * stats.k_y:  # fewer rows than cells: mostly bias
                sparse.append((labels[i], labels[j], stats.n, stats.k_x, stats.k_y))
    knn_notes: dict[int, tuple[int, int, bool]] = {}
    for block_out, block_notes in block_results:
        for r in block_out:
            results[r.slot] = PairResult(r.estimator, r.mi, r.n, stderr=r.stderr, p_value=r.p_value)
        knn_notes.update(block_notes)
    todo = Notes() if notes is None else notes
    todo.suspicious += [pl.names[c] for c, (u, n, _) in sorted(knn_notes.items()) if looks_categorical(u, n)]
    todo.tied += [(pl.names[c], u, n) for c, (u, n, tied) in sorted(knn_notes.items()) if tied]
    todo.constant += [pl.names[c] for c, (u, _, _) in sorted(knn_notes.items()) if u == 1]
    sample, sums = summary.sample, summary.weights
    if (
        knn_notes
        and sums is not None
        and sums.fractional
        and sample is not None
        and len(sample.keys) < sample.size
    ):
        todo.unweighted = len(sample.keys)
    todo.sparse += sparse

    ent = [math.nan] * p
    present = [0] * p
    if summary.counts is not None:
        cs = summary.counts
        column = {c: (cs.domains[pl.count_index[c]], cs.marginals[pl.count_index[c]]) for c in pl.count_cols}
        todo.auto_continuous += [
            (labels[c], d) for c, (d, _) in column.items() if pl.kinds[c] == AUTO and isinstance(d, Folded)
        ]
        column = {c: dm for c, dm in column.items() if kinds[c] == DISCRETE}
        todo.identifiers += [labels[c] for c, (d, m) in column.items() if _is_identifier(d, m)]
        todo.folded += [
            (labels[c], d) for c, (d, _) in column.items() if isinstance(d, Folded) and not d.identifier
        ]
        todo.cap = cs.spec.max_categories
        todo.auto_limit = cs.spec.auto_cap
        for c, (d, m) in column.items():
            if isinstance(d, Folded):
                ent[c] = folded_entropy(d, m, dropna)
            else:
                ent[c] = entropy(m[1:] if dropna else m)
                if np.count_nonzero(m[1:]) == 1:
                    todo.constant.append(labels[c])
            present[c] = int(m[1:].sum() if dropna else m.sum())
    sample_rows = len(summary.sample.frame) if summary.sample is not None else 0
    if summary.sample is not None:
        frame = summary.sample.frame
        for c in pl.sample_cols:
            if kinds[c] == CONTINUOUS or c not in pl.count_index:
                present[c] = int(frame.iloc[:, pl.sample_index[c]].notna().sum())
    where = "" if sample_rows in (0, summary.n_rows) else f" in the sample of {sample_rows:,} rows"
    todo.empty += [
        (labels[c], "" if c in pl.count_index and kinds[c] == DISCRETE else where)
        for c in sorted(set(pl.count_cols) | set(pl.sample_cols))
        if present[c] == 0 and (dropna or kinds[c] != DISCRETE)
    ]
    if notes is None:
        todo.emit()
    ordered = [results[k] for k in range(pl.n_pairs)]
    return Results(ordered, ent, present, summary.n_rows, sample_rows)


def quantile_edges_pass(
    source: Source,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    cols: list[int],
    split_every: int | None,
    sample_size: int,
    seed: int,
    bins: int | str,
    progress: bool,
    notes: Notes,
    weights: Hashable | None = None,
) -> tuple[dict[int, tuple[float, ...]], int]:
    """The first pass of ``method="binned"``: a uniform sample of the continuous columns
    ``cols``, from which their quantile edges, and the bins each column is cut into
    (``"auto"``: from the rows the pass counted, :func:`~dmi._math.codes.auto_bins`).
    Undecided integer columns are counted in the same pass (capped): those with many
    values are binned too, the others stay categories (no edges)."""
    names = tuple(labels[c] for c in cols)
    auto = [c for c in cols if kinds[c] == AUTO]
    counts = (
        CountSpec(tuple(labels[c] for c in auto), (), auto=(True,) * len(auto), auto_cap=AUTO_DISCRETE_MAX)
        if auto
        else None
    )
    spec = PassSpec(names, counts, SampleSpec(names, (True,) * len(names), sample_size, seed), weights)
    summary, _ = graph.run(source, spec, split_every, progress=progress)
    if summary.n_rows == 0 or summary.sample is None:
        raise _no_rows(weights)
    folded = {c: d for c, d in zip(auto, summary.counts.domains if summary.counts else (), strict=True)}
    notes.auto_limit = AUTO_DISCRETE_MAX
    notes.continuous_as = "cut into quantile bins"
    notes.auto_continuous += [(labels[c], d) for c, d in folded.items() if isinstance(d, Folded)]
    frame = summary.sample.frame
    used = auto_bins(int(summary.n_rows)) if bins == "auto" else int(bins)
    edges = {
        c: quantile_edges(frame.iloc[:, i].to_numpy(dtype=np.float64), used)
        for i, c in enumerate(cols)
        if not (c in folded and not isinstance(folded[c], Folded))
    }
    return edges, used
