"""The public :class:`Summary` (mergeable, persistent) and its file format; made by
:func:`dmi.summarize` (``dmi/_summarize.py``), answered by ``dmi/_projection.py``.

    s = dmi.summarize("2026-11-25/*.parquet")
    s = s.merge(dmi.summarize("2026-11-26/*.parquet"))   # only the new files
    s.save("table.dmi")
    mi = dmi.mutual_info_matrix(dmi.load("table.dmi"))                     # no data read

A :class:`Summary` holds what dmi's one pass gathers:
- the exact contingency counts of every pair of discrete columns, and each column's
  marginal counts;
- a uniform bottom-k sample of rows for the continuous estimators;
- the metadata: columns, kinds, dtypes, seed, sample size and rows.

Merging two summaries of disjoint rows adds the counts and keeps the k rows with the
smallest keys. That is exactly the summary of all the rows, and the sample stays a
uniform sample. The saved format is a zip archive (not a pickle) holding:
- ``meta.json``: format name and version;
- ``counts.npz``: the counts;
- one Parquet file per value domain, and ``sample.parquet``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass, replace

import numpy as np

from dmi._archive import label, read, write
from dmi._math.sample import Sample
from dmi._pass import onepass


@dataclass(frozen=True, eq=False)
class Summary:
    """The merged one-pass state of a table; see the module docstring.

    Create one with :func:`summarize` or :func:`load`; pass it to
    :func:`dmi.mutual_info_matrix`, :func:`dmi.mutual_info_with` or
    :func:`dmi.mutual_info_table` in place of data.
    """

    columns: tuple[Hashable, ...]
    kinds: tuple[str, ...]
    dtypes: tuple[str, ...]
    seed: int
    sample_size: int
    state: onepass.PassState
    given: Hashable | None = None
    """The column this summary conditions on (``summarize(..., given=z)``), or None."""
    row_keys: str = "identity"
    """How the sample's rows were keyed: ``"identity"`` (source and position; this dmi)
    or ``"content"`` (summaries saved before format version 3, which cannot merge with
    newer ones)."""
    weights: Hashable | None = None
    """The column of frequency weights its counts and sample were made with, or None."""

    @property
    def n_rows(self) -> float:
        """Rows summarized (with weights: their sum, a float for a float weights column)."""
        return self.state.n_rows

    @property
    def max_categories(self) -> int | None:
        """The cap on distinct values its counts were made with (None: uncapped)."""
        counts = self.state.counts
        return None if counts is None else counts.spec.max_categories

    def merge(self, other: Summary) -> Summary:
        """The summary of the rows of both (which must be different rows of the same table).

        Raises ValueError naming the first difference in columns, kinds or dtypes (with
        the column), seed, sample size, cap, ``given`` or ``weights``: such summaries cannot describe
        one table. Also raises ValueError when both samples hold a row of the same
        identity (the same file, or in-memory DataFrames that both number their rows
        from 0): those rows would be counted twice, or sampled together.
        """
        if not isinstance(other, Summary):
            raise TypeError(f"can only merge a dmi Summary, not {type(other).__name__}")
        if self.columns != other.columns:
            raise ValueError(
                f"cannot merge summaries with different columns: {list(self.columns)!r} and "
                f"{list(other.columns)!r}"
            )
        for what in ("kinds", "dtypes"):
            for c, mine, theirs in zip(self.columns, getattr(self, what), getattr(other, what), strict=True):
                if mine != theirs:
                    raise ValueError(
                        f"cannot merge summaries whose column {c!r} has different {what}: {mine!r} and "
                        f"{theirs!r}"
                    )
        # an older format first: it is the cause of the other differences
        for what in ("row_keys", "seed", "sample_size", "max_categories", "given", "weights"):
            mine, theirs = getattr(self, what), getattr(other, what)
            if mine != theirs:
                hint = (
                    "; a summary saved in format version 1 or 2 keyed its sample by row content, "
                    "which biased the k-NN estimates where values repeat: summarize that data again"
                    if what == "row_keys"
                    else ""
                )
                raise ValueError(
                    f"cannot merge summaries with different {what}: {mine!r} and {theirs!r}{hint}"
                )
        _check_disjoint(self.state.sample, other.state.sample)
        merged = onepass.merge([self.state, other.state])
        return replace(self, state=merged)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the summary to ``path`` (a zip archive; see the module docstring)."""
        _save(self, os.fspath(path))

    def __repr__(self) -> str:
        shown = ", ".join(repr(c) for c in self.columns[:6]) + (", ..." if len(self.columns) > 6 else "")
        given = f"; given {self.given!r}" if self.given is not None else ""
        weights = f"; weights {self.weights!r}" if self.weights is not None else ""
        return f"dmi.Summary({self.n_rows:,} rows; columns {shown}; seed {self.seed}{given}{weights})"


def _check_disjoint(a: Sample | None, b: Sample | None) -> None:
    """ValueError when two samples hold a row of the same identity (an equal key)."""
    if a is None or b is None:
        return
    shared = np.intersect1d(a.keys, b.keys, assume_unique=True).size
    if shared:
        raise ValueError(
            f"cannot merge summaries that share rows: {shared:,} sampled rows have the same identity in "
            "both. Either the same data was summarized twice (its rows would count twice), or both are "
            "in-memory DataFrames numbering their rows from 0: give each frame its place in the table, "
            "e.g. df.index = pd.RangeIndex(start, start + len(df)), or summarize Parquet files"
        )


# --- the file format: dmi/_archive.py ------------------------------------------------------


def _save(summary: Summary, path: str) -> None:
    meta = {
        "columns": [label(c) for c in summary.columns],
        "kinds": list(summary.kinds),
        "dtypes": list(summary.dtypes),
        "seed": summary.seed,
        "sample_size": summary.sample_size,
        "given": None if summary.given is None else label(summary.given),
        "weights": None if summary.weights is None else label(summary.weights),
    }
    write(path, meta, summary.state)


def load(path: str | os.PathLike[str]) -> Summary:
    """Read a summary written by :meth:`dmi.Summary.save`, verified before it is used.

    Every member's size and checksum, the metadata's consistency, the counts (non-negative,
    adding up to the rows and to each column's counts, shaped as the columns' values) and
    the sample are checked first (see ``docs/robustness.md``).

    Raises
    ------
    ValueError
        Naming the file and what is wrong: not a dmi summary, damaged, truncated, changed
        by hand, a zip bomb, or written by a newer dmi (a newer format version).
    FileNotFoundError
        No file at ``path``.
    """
    path = os.fspath(path)
    meta, state = read(path)
    return Summary(
        tuple(meta["columns"]),
        tuple(meta["kinds"]),
        tuple(meta["dtypes"]),
        int(meta["seed"]),
        int(meta["sample_size"]),
        state,
        meta.get("given"),
        "identity" if meta["version"] >= 3 else "content",
        meta.get("weights"),
    )
