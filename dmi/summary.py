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

import io
import json
import os
import zipfile
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from dmi._math.codes import Domain, Folded, IntRange, Values
from dmi._math.counts import CountSpec, CountState, SparseTable, Table
from dmi._math.sample import Sample
from dmi._pass import onepass

FORMAT = "dmi-summary"
VERSION = 3
"""Version 3 keys the sample by row identity (older samples were keyed by content and
merge only with each other) and records integer columns whose kind the pass decides
(kind ``"a"``, counted with a cap of ``auto_cap`` values); version 2 added
``max_categories`` and folded columns; version 1 files read as uncapped."""


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

    @property
    def n_rows(self) -> int:
        """Rows summarized."""
        return self.state.n_rows

    @property
    def max_categories(self) -> int | None:
        """The cap on distinct values its counts were made with (None: uncapped)."""
        counts = self.state.counts
        return None if counts is None else counts.spec.max_categories

    def merge(self, other: Summary) -> Summary:
        """The summary of the rows of both (which must be different rows of the same table).

        Raises ValueError naming the first difference in columns, kinds or dtypes (with
        the column), seed, sample size, cap or ``given``: such summaries cannot describe
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
        for what in ("row_keys", "seed", "sample_size", "max_categories", "given"):
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
        return f"dmi.Summary({self.n_rows:,} rows; columns {shown}; seed {self.seed}{given})"


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


# --- the file format ------------------------------------------------------------------------


def _label(c: Hashable) -> Any:
    if not isinstance(c, str | int) or isinstance(c, bool):
        raise TypeError(f"cannot save column name {c!r}: only str and int column names are portable")
    return c


def _domain_meta(i: int, domain: Domain, archive: zipfile.ZipFile) -> dict[str, Any]:
    if isinstance(domain, IntRange):
        return {"kind": "range", "lo": domain.lo, "hi": domain.hi}
    name = f"domain-{i}.parquet"
    buffer = io.BytesIO()
    if isinstance(domain, Folded):
        meta: dict[str, Any] = {"kind": "folded", "at_least": domain.at_least, "unique": domain.unique}
        if domain.ranges is None:
            return meta | {"ranges": None}
        frame = pd.DataFrame({"lo": [r[0] for r in domain.ranges], "hi": [r[1] for r in domain.ranges]})
    else:
        frame = pd.DataFrame({"value": domain.values})
    try:
        frame.to_parquet(buffer, index=False)
    except (TypeError, ValueError, ArithmeticError) as err:
        raise TypeError(f"cannot save the values of column {i}: {err}") from err
    archive.writestr(name, buffer.getvalue())
    if isinstance(domain, Folded):
        return meta | {"ranges": name}
    return {"kind": "values", "file": name}


def _read_domain(d: dict[str, Any], archive: zipfile.ZipFile) -> Domain:
    if d["kind"] == "range":
        return IntRange(int(d["lo"]), int(d["hi"]))
    if d["kind"] == "folded":
        ranges = None
        if d["ranges"] is not None:
            frame = pd.read_parquet(io.BytesIO(archive.read(d["ranges"])))
            ranges = tuple(zip(frame["lo"].tolist(), frame["hi"].tolist(), strict=True))
        return Folded(int(d["at_least"]), bool(d["unique"]), ranges)
    values = pd.read_parquet(io.BytesIO(archive.read(d["file"])))["value"]
    return Values(pd.Index(values))


def _save(summary: Summary, path: str) -> None:
    state = summary.state
    arrays: dict[str, np.ndarray] = {}
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            meta: dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "columns": [_label(c) for c in summary.columns],
                "kinds": list(summary.kinds),
                "dtypes": list(summary.dtypes),
                "seed": summary.seed,
                "sample_size": summary.sample_size,
                "n_rows": state.n_rows,
                "given": None if summary.given is None else _label(summary.given),
                "counts": None,
                "sample": None,
            }
            if state.counts is not None:
                cs = state.counts
                tables = []
                for k, table in enumerate(cs.tables):
                    if isinstance(table, SparseTable):
                        arrays[f"t{k}_rows"], arrays[f"t{k}_cols"] = table.rows, table.cols
                        arrays[f"t{k}_counts"] = table.counts
                        tables.append({"kind": "sparse", "shape": list(table.shape)})
                    else:
                        arrays[f"t{k}"] = np.asarray(table, dtype=np.int64)
                        tables.append({"kind": "dense"})
                for c, m in enumerate(cs.marginals):
                    arrays[f"m{c}"] = np.asarray(m, dtype=np.int64)
                meta["counts"] = {
                    "columns": [_label(c) for c in cs.spec.columns],
                    "pairs": [list(p) for p in cs.spec.pairs],
                    "max_categories": cs.spec.max_categories,
                    "auto": None if cs.spec.auto is None else list(cs.spec.auto),
                    "auto_cap": cs.spec.auto_cap,
                    "domains": [_domain_meta(i, d, archive) for i, d in enumerate(cs.domains)],
                    "tables": tables,
                }
                buffer = io.BytesIO()
                np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
                archive.writestr("counts.npz", buffer.getvalue())
            if state.sample is not None:
                sample = state.sample
                frame = sample.frame.set_axis([str(i) for i in range(sample.frame.shape[1])], axis=1)
                frame["__key"] = sample.keys
                buffer = io.BytesIO()
                frame.to_parquet(buffer, index=False)
                archive.writestr("sample.parquet", buffer.getvalue())
                meta["sample"] = {"size": sample.size}
            archive.writestr("meta.json", json.dumps(meta, indent=1))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(path: str | os.PathLike[str]) -> Summary:
    """Read a summary written by :meth:`dmi.Summary.save`.

    Raises ValueError for a file that is not a dmi summary, or one written by a newer
    dmi (a newer format version).
    """
    path = os.fspath(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError) as err:
        raise ValueError(f"{path!r} is not a dmi summary file (not a zip archive)") from err
    with archive:
        try:
            meta = json.loads(archive.read("meta.json"))
        except (KeyError, json.JSONDecodeError) as err:
            raise ValueError(f"{path!r} is not a dmi summary file (no readable meta.json)") from err
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"{path!r} is not a dmi summary file (format {meta.get('format')!r})")
        if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
            raise ValueError(
                f"{path!r} is a dmi summary of format version {meta.get('version')!r}, newer than this dmi "
                f"reads (version {VERSION}); upgrade dmi"
            )
        counts = None
        if meta["counts"] is not None:
            spec_meta = meta["counts"]
            arrays = np.load(io.BytesIO(archive.read("counts.npz")), allow_pickle=False)
            domains = [_read_domain(d, archive) for d in spec_meta["domains"]]
            tables: list[Table] = []
            for k, t in enumerate(spec_meta["tables"]):
                if t["kind"] == "sparse":
                    shape = (int(t["shape"][0]), int(t["shape"][1]))
                    tables.append(
                        SparseTable(arrays[f"t{k}_rows"], arrays[f"t{k}_cols"], arrays[f"t{k}_counts"], shape)
                    )
                else:
                    tables.append(arrays[f"t{k}"])
            spec = CountSpec(
                tuple(spec_meta["columns"]),
                tuple(tuple(p) for p in spec_meta["pairs"]),
                max_categories=spec_meta.get("max_categories"),
                auto=None if spec_meta.get("auto") is None else tuple(spec_meta["auto"]),
                auto_cap=int(spec_meta.get("auto_cap", 0)),
            )
            marginals = tuple(arrays[f"m{c}"] for c in range(len(spec.columns)))
            counts = CountState(spec, int(meta["n_rows"]), tuple(domains), marginals, tuple(tables))
        sample = None
        if meta["sample"] is not None:
            frame = pd.read_parquet(io.BytesIO(archive.read("sample.parquet")))
            keys = frame.pop("__key").to_numpy(dtype=np.uint64)
            sample = Sample(keys, frame.set_axis(range(frame.shape[1]), axis=1), int(meta["sample"]["size"]))
    state = onepass.PassState(int(meta["n_rows"]), counts, sample)
    return Summary(
        tuple(meta["columns"]),
        tuple(meta["kinds"]),
        tuple(meta["dtypes"]),
        int(meta["seed"]),
        int(meta["sample_size"]),
        state,
        meta.get("given"),
        "identity" if meta["version"] >= 3 else "content",
    )
