"""The k-NN side of a request: the prepared sample, blocks of pairs, their estimates,
standard errors and permutation p-values (pure functions, no Dask).

A pair takes the estimator record (:mod:`dmi._math.estimators`) its columns' kinds call for
once the pass has decided them (:func:`pair_estimator`): KSG for two continuous columns,
Ross for one; a pair whose columns both turned out discrete takes the plug-in estimate
from the counts instead.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from dmi._math.codes import factorize
from dmi._math.estimators import Estimator, Reads, for_pair
from dmi._math.jitter import Axis, Prepared, axis, content_rank, partner_order_of_labels, prepare, ranked
from dmi._math.parallel import run_pieces
from dmi._math.prepared import LazyColumns, Lru, SharedAxes
from dmi._math.sample import Sample
from dmi._math.streams import Purpose, name_id, stream

# A float column with fewer distinct values than this in the sample looks categorical.
_FEW_VALUES = 20
# Pairs of the sample-based estimators are grouped into at most this many Dask tasks: a
# bounded graph, and blocks small enough that the last ones leave little idle time (on a
# 2-worker cluster, 16 blocks of 40 columns' pairs left one worker idle ~1.5 s at the end,
# 64 blocks ~0.5 s; threads are as fast with either).
_MAX_BLOCKS = 64
# The bytes of prepared columns and shared axes a process keeps (``dmi.knn-memory``).
DEFAULT_MEMORY = 2 * 2**30


@dataclass(frozen=True, eq=False)
class PreparedSample:
    """The merged sample, ready for the k-NN estimators: each discrete column factorized,
    each continuous one prepared when a pair first reads it (:mod:`dmi._math.prepared`)."""

    continuous: Mapping[int, Prepared]
    labels: dict[int, np.ndarray]
    content: dict[int, np.ndarray] = field(default_factory=dict)
    """Per discrete column, a rank of each label's value that its contents decide."""
    discrete_partners: dict[int, np.ndarray] = field(default_factory=dict)
    """Per discrete column, its present rows in an order of its contents."""
    axes: SharedAxes = field(default_factory=lambda: SharedAxes(Lru(0)))
    """Per continuous column without ties, its :class:`~dmi._math.jitter.Axis` on all of its
    present rows, made when a pair first needs it and shared by its other pairs (in one
    process, within the cache's budget). A tied column's axis depends on the pair's other
    column."""

    def present(self, c: int) -> np.ndarray:
        """The sample rows where column ``c`` has a value."""
        columns = self.continuous
        if isinstance(columns, LazyColumns) and c in columns:  # without preparing it
            return ~np.isnan(columns.raw(c))
        if c in columns:
            return ~np.isnan(columns[c].raw)
        return self.labels[c] >= 0

    def partners(self, c: int) -> np.ndarray:
        """Column ``c``'s present rows in an order of its contents: how a tied partner of a
        pair deals its draws (:func:`dmi._math.jitter.axis`)."""
        return self.continuous[c].order if c in self.continuous else self.discrete_partners[c]

    def counts(self, c: int) -> tuple[int, int]:
        """(distinct values, present values) of continuous column ``c`` in the sample."""
        col = self.continuous[c]
        return col.starts.size - 1, col.order.size


@dataclass(frozen=True)
class KnnTask:
    """One pair that may take a sample-based estimate: sample column positions, result slot.

    Its estimator follows from how the prepared sample holds its columns (KSG for two
    continuous columns, Ross for one); a pair whose columns both turned out discrete
    (integer columns with few values) takes the plug-in estimate instead and is skipped.
    """

    slot: int
    a: int
    b: int


def column_seed(seed: int, name: Hashable) -> np.random.Generator:
    """The noise generator of one column: depends on the seed and the column's name only."""
    return stream(seed, Purpose.NOISE, name_id(name))


def prepare_sample(
    sample: Sample,
    names: Sequence[Hashable],
    continuous: Sequence[bool],
    seed: int,
    memory: int = DEFAULT_MEMORY,
) -> PreparedSample:
    """Factorize every discrete column of the sample; its continuous columns are scaled and
    jittered when first read, and kept within ``memory`` bytes (with the untied columns'
    shared axes; least recently used first out). The estimates do not depend on ``memory``.
    """
    labels: dict[int, np.ndarray] = {}
    content: dict[int, np.ndarray] = {}
    partners: dict[int, np.ndarray] = {}
    raw: dict[int, np.ndarray] = {}
    for i, is_cont in enumerate(continuous):
        if is_cont:
            raw[i] = sample.frame.iloc[:, i].to_numpy(dtype=np.float64)
        else:
            labels[i], values = factorize(sample.frame.iloc[:, i])
            content[i] = content_rank(values)
            partners[i] = partner_order_of_labels(labels[i], content[i])
    cache = Lru(memory)
    make = partial(_prepare_column, names=tuple(names), seed=seed)
    return PreparedSample(LazyColumns(raw, make, cache), labels, content, partners, SharedAxes(cache))


def _prepare_column(i: int, x: np.ndarray, names: tuple[Hashable, ...], seed: int) -> Prepared:
    return prepare(x, column_seed(seed, names[i]))


def pair_estimator(prep: PreparedSample, t: KnnTask) -> Estimator:
    """The estimator of a pair on the prepared sample: KSG, Ross, or plug-in (not sampled)."""
    return for_pair((t.a in prep.continuous) + (t.b in prep.continuous))


def estimate_pair(
    prep: PreparedSample, t: KnnTask, k: int, rows: np.ndarray, clip: bool = True, threads: int = 1
) -> tuple[float, int]:
    """One sample-based pair over the sample rows ``rows`` (a boolean mask): MI in nats, rows used.

    ``clip=False`` keeps negative estimates (for permutation tests); ``threads``: how many
    threads the kernel may use (the estimate does not depend on it).
    """
    n = int(rows.sum())
    if n == 0:
        return math.nan, 0
    kernel = pair_estimator(prep, t).kernel
    assert kernel is not None  # a sample-based estimator
    x, y = (t.a, t.b) if t.a in prep.continuous else (t.b, t.a)  # the continuous column first
    if threads > 1 and y in prep.continuous:  # the two axes at once

        def axes(first: int, last: int) -> list[Axis]:
            return [_axis(prep, c, partner, rows, n) for c, partner in ((x, y), (y, x))[first:last]]

        first, other = (a for piece in run_pieces(axes, 2, threads) for a in piece)
    else:
        first = _axis(prep, x, y, rows, n)
        other = _axis(prep, y, x, rows, n) if y in prep.continuous else prep.labels[y][rows]
    constant = other.constant if isinstance(other, Axis) else bool((other == other[0]).all())
    if first.constant or constant:
        return 0.0, n  # a constant column carries no information: exactly 0, not a rounding residue
    return kernel(first, other, k, clip, threads)


def _axis(prep: PreparedSample, c: int, partner: int, rows: np.ndarray, n: int) -> Axis:
    """Continuous column ``c`` on ``rows`` (``n`` of them) of its pair with ``partner``: the
    column's shared axis when it has no ties and ``rows`` are all of its present rows, else
    one made for this pair."""
    col = prep.continuous[c]
    if col.tied or n != col.order.size:  # a tied column deals its draws by the partner
        return axis(col, rows, prep.partners(partner))
    return prep.axes.get(c, lambda: axis(col, rows, col.order))


def _stderr(
    prep: PreparedSample, t: KnnTask, k: int, rows: np.ndarray, splits: int, threads: int = 1
) -> float:
    """Standard error of a pair's estimate from ``splits`` disjoint sub-samples.

    The sample is in random (key) order, so consecutive runs of its complete rows are
    independent uniform sub-samples. The estimate's variance shrinks like 1/n, so the
    spread of ``splits`` estimates on n/splits rows, divided by sqrt(splits), estimates
    the standard error at n rows. NaN when a sub-sample is too small for ``k``.
    """
    present = np.flatnonzero(rows)
    if present.size // splits <= k + 1:
        return math.nan
    estimates = []
    for part in np.array_split(present, splits):
        mask = np.zeros(rows.size, dtype=bool)
        mask[part] = True
        try:
            estimates.append(estimate_pair(prep, t, k, mask, threads=threads)[0])
        except ValueError:  # n_neighbors not below a sub-sample's rows
            return math.nan
    return float(np.std(estimates, ddof=1) / math.sqrt(splits))


@dataclass(frozen=True)
class KnnResult:
    """One sample-based pair's estimate (nats), rows used, standard error and p-value."""

    slot: int
    estimator: Estimator
    mi: float
    n: int
    stderr: float = math.nan
    p_value: float = math.nan


def _permuted(prep: PreparedSample, column: int, rows: np.ndarray, perm: np.ndarray) -> PreparedSample:
    """``prep`` with column ``column``'s values on ``rows`` (indices) permuted by ``perm``."""
    axes = SharedAxes(prep.axes.cache, without=column)
    if column in prep.continuous:
        col = prep.continuous[column]
        raw = col.raw.copy()
        raw[rows] = col.raw[perm]
        permuted = ranked(raw, col.draws)  # the column's own stream, dealt by the new ranks
        return replace(prep, continuous=_Overlay(prep.continuous, column, permuted), axes=axes)
    labels = prep.labels[column].copy()
    labels[rows] = prep.labels[column][perm]
    partners = {**prep.discrete_partners, column: partner_order_of_labels(labels, prep.content[column])}
    return replace(prep, labels={**prep.labels, column: labels}, discrete_partners=partners, axes=axes)


class _Overlay(Mapping[int, Prepared]):
    """A sample's continuous columns with one of them replaced."""

    def __init__(self, base: Mapping[int, Prepared], column: int, replaced: Prepared) -> None:
        self.base, self.column, self.replaced = base, column, replaced

    def __getitem__(self, c: int) -> Prepared:
        return self.replaced if c == self.column else self.base[c]

    def __contains__(self, c: object) -> bool:
        return c in self.base

    def __iter__(self) -> Iterator[int]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)


def _permutation_p(
    prep: PreparedSample, t: KnnTask, k: int, rows: np.ndarray, permutations: int, seed: int, threads: int = 1
) -> float:
    """P-value of a k-NN estimate: the share of ``permutations`` shufflings of column ``b``
    over the pair's complete rows whose estimate is at least the observed one. The
    estimates are compared unclipped: clipped at 0, every pair near independence would
    tie at 0 and get p = 1."""
    rng = stream(seed, Purpose.KNN_PERMUTATIONS, t.slot)
    observed = estimate_pair(prep, t, k, rows, clip=False, threads=threads)[0]
    idx = np.flatnonzero(rows)
    hits = 0
    for _ in range(permutations):
        shuffled = _permuted(prep, t.b, idx, idx[rng.permutation(idx.size)])
        hits += estimate_pair(shuffled, t, k, rows, clip=False, threads=threads)[0] >= observed - 1e-12
    return (1 + hits) / (1 + permutations)


def estimate_block(
    prep: PreparedSample,
    tasks: Sequence[KnnTask],
    k: int,
    splits: int = 0,
    permutations: int = 0,
    seed: int = 0,
    threads: int = 1,
) -> list[KnnResult]:
    """Estimate a block of sample-based pairs (those that turned out plug-in are left out).

    ``splits`` > 1 also estimates each pair's standard error from that many disjoint
    sub-samples (see :func:`_stderr`); ``permutations`` > 0 a permutation p-value
    (see :func:`_permutation_p`, seeded by ``seed``). Otherwise those are NaN.
    ``threads``: how many threads each pair's kernel may use (more than one only where
    there are fewer blocks than cores; see :func:`threads_per_block`).
    """
    out = []
    for t in tasks:
        if pair_estimator(prep, t).reads is Reads.COUNTS:
            continue
        rows = prep.present(t.a) & prep.present(t.b)
        mi, used = estimate_pair(prep, t, k, rows, threads=threads)
        se = _stderr(prep, t, k, rows, splits, threads) if splits > 1 and used > 0 else math.nan
        p = math.nan
        if permutations > 0 and used > 0 and not math.isnan(mi):
            p = _permutation_p(prep, t, k, rows, permutations, seed, threads)
        out.append(KnnResult(t.slot, pair_estimator(prep, t), mi, used, se, p))
    return out


# Pairs are put in blocks tile by tile: the pairs between two runs of this many sample
# columns, one tile after another, so a block reads few columns (each prepared once into the
# process's bounded cache, :mod:`dmi._math.prepared`) and a worker process prepares only the
# columns of its tiles. 2 x 64 columns of 100,000 rows are about 770 MB of prepared columns.
TILE = 64


def in_blocks(tasks: Sequence[KnnTask]) -> list[list[KnnTask]]:
    """Group the sample-based pairs into at most ``_MAX_BLOCKS`` Dask tasks, tile by tile
    (:data:`TILE`); a pair's estimate does not depend on its block or its order."""
    if not tasks:
        return []
    ordered = sorted(tasks, key=lambda t: (min(t.a, t.b) // TILE, max(t.a, t.b) // TILE, t.slot))
    per = math.ceil(len(ordered) / _MAX_BLOCKS)
    return [ordered[i : i + per] for i in range(0, len(ordered), per)]


def threads_per_block(threads: int, n_blocks: int) -> int:
    """Threads each block's kernels may use when ``n_blocks`` blocks share ``threads``:
    the cores that whole blocks would leave idle (one pair on two cores: two threads)."""
    return max(1, threads // max(1, n_blocks))


def column_notes(prep: PreparedSample, tasks: Sequence[KnnTask], k: int) -> dict[int, tuple[int, int, bool]]:
    """``(distinct values, present values, heavily tied)`` in the sample of each continuous
    column of ``tasks``; heavily tied: more than ``k`` rows per distinct value on average."""
    cols = {c for t in tasks for c in (t.a, t.b) if c in prep.continuous}
    return {c: (*prep.counts(c), heavily_tied(*prep.counts(c), k)) for c in cols}


def heavily_tied(n_unique: int, n_present: int, k: int) -> bool:
    """More sampled rows per distinct value than the estimators' ``k`` neighbours, on
    average: most points' nearest neighbours are copies of their own value, told apart only
    by the tie-breaking jitter (and the column does not already look categorical)."""
    return n_unique > 1 and n_present > k * n_unique and not looks_categorical(n_unique, n_present)


def looks_categorical(n_unique: int, n_present: int) -> bool:
    """A float column with few distinct values, each seen often: probably a category."""
    return 1 < n_unique < _FEW_VALUES and n_present >= 5 * n_unique
