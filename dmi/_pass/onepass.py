"""What the one pass gathers: exact counts and a uniform sample of the rows, mergeable.

``chunk(partition) -> PassState`` and ``merge(states) -> PassState``, pure functions over
pandas and numpy: :mod:`dmi._pass.graph` maps them over the partitions and tree-merges them.
A partition with many pairs may instead be encoded in runs of columns, stacked once, and
its pairs counted in blocks, on several cores (:func:`encode`, :func:`stack`,
:func:`count_block`, :func:`join`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd

from dmi._math.counts import (
    Codes,
    CountSpec,
    CountState,
    codes_of,
    count_pairs,
    encode_columns,
    join_pairs,
    stack_codes,
)
from dmi._math.counts import merge as merge_counts
from dmi._math.sample import RowIds, Sample, SampleSpec, merge_samples, sample_chunk
from dmi._math.weights import WeightSums, weighed


@dataclass(frozen=True)
class PassSpec:
    """What one pass gathers: the columns it reads, counts and/or a sample."""

    columns: tuple[Hashable, ...]
    counts: CountSpec | None
    sample: SampleSpec | None
    weights: Hashable | None = None
    """A column of frequency weights (:mod:`dmi._math.weights`), read after ``columns``."""

    @property
    def read(self) -> tuple[Hashable, ...]:
        """The columns a partition holds for the pass: ``columns``, then the weights'."""
        return self.columns if self.weights is None else (*self.columns, self.weights)


@dataclass(frozen=True, eq=False)
class PassState:
    """What one pass gathered over some rows."""

    n_rows: float
    """Rows gathered (with weights: their sum, the rows they stand for)."""
    counts: CountState | None
    sample: Sample | None
    weights: WeightSums | None = None
    """The sums of the rows' weights (None: unweighted)."""


def _select(
    df: pd.DataFrame, all_columns: tuple[Hashable, ...], wanted: tuple[Hashable, ...]
) -> pd.DataFrame:
    """The columns ``wanted`` of a partition holding ``all_columns`` (and maybe the
    weights after them), by position."""
    if wanted == all_columns and df.shape[1] == len(all_columns):
        return df
    position = {c: i for i, c in enumerate(all_columns)}
    return df.iloc[:, [position[c] for c in wanted]]


@dataclass(frozen=True, eq=False)
class Encoded:
    """One partition read by the pass: its counted columns as codes, and its sample rows.
    Its pairs may then be counted in blocks (:func:`count_block`, :func:`join`)."""

    n_rows: float
    codes: Codes | None
    sample: Sample | None
    weights: WeightSums | None = None


def encode(df: pd.DataFrame, spec: PassSpec, rows: RowIds, columns: range | None = None) -> Encoded:
    """Encode one partition (which holds exactly ``spec.columns``; ``rows`` identifies its
    rows for the sample keys) and draw its sample rows. ``columns``: encode only this run
    of the counted columns (positions in ``spec.counts.columns``); the sample is drawn
    with the first run."""
    weights, n_rows, sums = None, len(df), None
    if spec.weights is not None:  # rows of weight 0 left out, the others counted w times
        df, weights = weighed(df, df.iloc[:, len(spec.columns)], spec.weights)
        n_rows = weights.sum().item()  # an int, or a float for a float weights column
    codes = None
    if spec.counts is not None:
        run = range(len(spec.counts.columns)) if columns is None else columns
        counted = _select(df, spec.columns, tuple(spec.counts.columns[i] for i in run))
        encoded = encode_columns(counted, spec.counts, columns)
        codes = codes_of(encoded, len(df), spec.counts, columns, weights)
    sample = None
    if spec.sample is not None and (columns is None or columns.start == 0):
        sample = sample_chunk(_select(df, spec.columns, spec.sample.columns), spec.sample, rows, weights)
    if weights is not None:  # the codes' sums when counted, else computed here
        sums = codes.sums if codes is not None else WeightSums.of(weights)
    return Encoded(n_rows, codes, sample, sums)


def stack(parts: Sequence[Encoded]) -> Encoded:
    """One partition's encoded runs of columns (in order) as one :class:`Encoded`, its
    tables' size checked (:class:`~dmi._math.counts.TablesTooLarge`)."""
    codes = stack_codes([p.codes for p in parts if p.codes is not None])
    return Encoded(parts[0].n_rows, codes, parts[0].sample, parts[0].weights)


def count_block(part: Encoded, pair_ids: Sequence[int], first: bool) -> CountState:
    """The tables of one block of the partition's pairs (the ``first`` block also counts
    the marginals)."""
    assert part.codes is not None
    return count_pairs(part.codes, pair_ids, marginals=first)


def join(part: Encoded, blocks: Sequence[CountState], pair_ids: Sequence[Sequence[int]]) -> PassState:
    """The partition's summary from its blocks of pairs (in the order of ``pair_ids``)."""
    return PassState(part.n_rows, join_pairs(blocks, pair_ids), part.sample, part.weights)


def chunk(df: pd.DataFrame, spec: PassSpec, rows: RowIds) -> PassState:
    """Summarize one partition (which holds exactly ``spec.columns``; ``rows`` identifies
    its rows for the sample keys): :func:`encode`, then count all of its pairs."""
    part = encode(df, spec, rows)
    if part.codes is None:
        return PassState(part.n_rows, None, part.sample, part.weights)
    every = range(len(part.codes.spec.pairs))
    return PassState(part.n_rows, count_pairs(part.codes, every, marginals=True), part.sample, part.weights)


def merge(summaries: Sequence[PassState]) -> PassState:
    """Merge summaries of disjoint row sets."""
    if len(summaries) == 1:
        return summaries[0]
    first = summaries[0]
    counts = merge_counts([s.counts for s in summaries]) if first.counts is not None else None  # type: ignore[misc]
    sample = merge_samples([s.sample for s in summaries]) if first.sample is not None else None  # type: ignore[misc]
    weights = WeightSums.merge([s.weights for s in summaries])
    return PassState(sum(s.n_rows for s in summaries), counts, sample, weights)
