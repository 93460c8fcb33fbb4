"""What the one pass gathers: exact counts and a uniform sample of the rows, mergeable.

``chunk(partition) -> PassState`` and ``merge(states) -> PassState``, pure functions over
pandas and numpy: :mod:`dmi._pass.graph` maps them over the partitions and tree-merges them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd

from dmi._math.counts import CountSpec, CountState
from dmi._math.counts import chunk as count_chunk
from dmi._math.counts import merge as merge_counts
from dmi._math.sample import RowIds, Sample, SampleSpec, merge_samples, sample_chunk


@dataclass(frozen=True)
class PassSpec:
    """What one pass gathers: the columns it reads, counts and/or a sample."""

    columns: tuple[Hashable, ...]
    counts: CountSpec | None
    sample: SampleSpec | None


@dataclass(frozen=True, eq=False)
class PassState:
    """What one pass gathered over some rows."""

    n_rows: int
    counts: CountState | None
    sample: Sample | None


def _select(
    df: pd.DataFrame, all_columns: tuple[Hashable, ...], wanted: tuple[Hashable, ...]
) -> pd.DataFrame:
    """The columns ``wanted`` of a partition holding ``all_columns``, by position."""
    if wanted == all_columns:
        return df
    position = {c: i for i, c in enumerate(all_columns)}
    return df.iloc[:, [position[c] for c in wanted]]


def chunk(df: pd.DataFrame, spec: PassSpec, rows: RowIds) -> PassState:
    """Summarize one partition (which holds exactly ``spec.columns``; ``rows`` identifies
    its rows for the sample keys)."""
    counts = None
    if spec.counts is not None:
        counts = count_chunk(_select(df, spec.columns, spec.counts.columns), spec.counts)
    sample = None
    if spec.sample is not None:
        sample = sample_chunk(_select(df, spec.columns, spec.sample.columns), spec.sample, rows)
    return PassState(len(df), counts, sample)


def merge(summaries: Sequence[PassState]) -> PassState:
    """Merge summaries of disjoint row sets."""
    if len(summaries) == 1:
        return summaries[0]
    first = summaries[0]
    counts = merge_counts([s.counts for s in summaries]) if first.counts is not None else None  # type: ignore[misc]
    sample = merge_samples([s.sample for s in summaries]) if first.sample is not None else None  # type: ignore[misc]
    return PassState(sum(s.n_rows for s in summaries), counts, sample)
