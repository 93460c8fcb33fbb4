"""The summary file: a zip archive written atomically, and verified before anything is computed.

Members (no pickle anywhere):

- ``meta.json``: format, version, the summary's metadata, and (version 4) each other
  member's size and SHA-256;
- ``counts.npz``: marginal and pair counts (``numpy.savez_compressed``, loaded without pickle);
- ``domain-<i>.arrow``: the values of a counted column (``.parquet`` before version 5);
- ``sample.arrow``: the sampled rows and their keys (``.parquet`` before version 5).

Since version 5 the values and the sample are Arrow IPC files written by
:mod:`dmi._columns_file`, each column with a record in ``meta.json`` saying how to make the
pandas column again, and checked at save time to read back with the same dtype and values.

:func:`read` trusts nothing it reads. Any failure is one ValueError naming the file and
what is wrong, raised before a number is computed:

- the archive: not a zip, truncated, a directory, members it does not know;
- memory: ``meta.json`` past 16 MiB, a member whose declared size differs from the size
  recorded at save time, or (files without recorded sizes) an archive expanding past
  ``_MAX_RATIO`` times its size: refused before it is read; a member's stream is read
  only up to its declared size, and its CRC-32 checked (zip bombs that lie about sizes);
- integrity: each member's SHA-256 against the recorded one;
- consistency: columns, kinds, dtypes and domains agree in number; counts are
  non-negative integers (or, version 6, finite non-negative floats: weighted sums); every
  pair table sums to the rows (weighted sums: to 1e-9 relative), its margins equal the
  columns' marginal counts, its shape equals the domains' sizes; the sample has the
  declared columns, at most ``size`` rows, distinct keys.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from dmi._columns_file import ColumnsFileError, decode, encode
from dmi._math.codes import Domain, Folded, IntRange, Values
from dmi._math.counts import CountSpec, CountState, SparseTable, Table, count_dtype
from dmi._math.sample import Sample
from dmi._math.weights import WeightSums
from dmi._pass import onepass

FORMAT = "dmi-summary"
VERSION = 6
"""Version 6 (written only for a float weights column; other files stay version 5, so
older dmi reads them) stores the counts as float64 weighted sums and records the weights'
sums (``weight_sums``: total, squares, fractional) for Kish's effective sample size;
version 5 stores the sample and the values as Arrow files with a record per column
(exact for every dtype dmi takes: Arrow dictionaries, categoricals, decimals...);
version 4 records each member's size and SHA-256 in ``meta.json``; version 3 keys the
sample by row identity and records integer columns whose kind the pass decides (kind
``"a"``); version 2 added ``max_categories`` and folded columns; version 1 files read as
uncapped."""

_KINDS = ("d", "c", "a")
_META_LIMIT = 16 * 2**20
# Files without recorded sizes (before version 4) may not expand past this many times
# their size on disk (dmi's own files stay far below: counts compress about 10x).
_MAX_RATIO = 1_000
_CHUNK = 2**20


class SummaryFileError(ValueError):
    """A summary file that cannot be trusted; the message names the file and the problem."""


def label(c: Hashable) -> Any:
    """A column name as the file stores it (str or int)."""
    if not isinstance(c, str | int) or isinstance(c, bool):
        raise TypeError(f"cannot save column name {c!r}: only str and int column names are portable")
    return c


# --- writing ---------------------------------------------------------------------------------


def _columns(frame: pd.DataFrame, what: str, name: str, members: dict[str, bytes]) -> list[dict[str, Any]]:
    """Store ``frame`` as member ``name``; its columns' records."""
    members[name], records = encode(frame, what)
    return records


def _domain_meta(i: int, domain: Domain, members: dict[str, bytes]) -> dict[str, Any]:
    if isinstance(domain, IntRange):
        return {"kind": "range", "lo": domain.lo, "hi": domain.hi}
    name = f"domain-{i}.arrow"
    if isinstance(domain, Folded):
        meta: dict[str, Any] = {"kind": "folded", "at_least": domain.at_least, "unique": domain.unique}
        if domain.ranges is None:
            return meta | {"ranges": None}
        frame = pd.DataFrame({"lo": [r[0] for r in domain.ranges], "hi": [r[1] for r in domain.ranges]})
        records = _columns(frame.astype(np.int64), f"the ranges of column {i}", name, members)
        return meta | {"ranges": name, "columns": records}
    values = pd.DataFrame({"value": pd.Series(domain.values, copy=False)}, copy=False)
    records = _columns(values, f"the values of column {i}", name, members)
    return {"kind": "values", "file": name, "columns": records}


def write(path: str, meta: dict[str, Any], state: onepass.PassState) -> None:
    """Write a summary's ``meta`` (its metadata) and ``state`` to ``path``, atomically: a
    temporary file of a name of its own beside ``path``, renamed onto it when complete, so
    concurrent writers leave one whole file and a reader never sees half of one."""
    # a float weights column: a float sum of rows, float counts (version 6)
    floats = isinstance(state.n_rows, float) or (
        state.counts is not None and count_dtype([state.counts]) is np.float64
    )
    meta = dict(
        meta, format=FORMAT, version=VERSION if floats else 5, n_rows=state.n_rows, counts=None, sample=None
    )
    sums = state.weights or (state.counts.weights if state.counts is not None else None)
    if sums is not None:
        meta["weight_sums"] = {"total": sums.total, "squares": sums.squares, "fractional": sums.fractional}
    members: dict[str, bytes] = {}
    if state.counts is not None:
        cs = state.counts
        dtype = np.float64 if floats else np.int64

        arrays: dict[str, np.ndarray] = {}
        tables = []
        for k, table in enumerate(cs.tables):
            if isinstance(table, SparseTable):
                arrays[f"t{k}_rows"], arrays[f"t{k}_cols"] = table.rows, table.cols
                arrays[f"t{k}_counts"] = table.counts
                tables.append({"kind": "sparse", "shape": list(table.shape)})
            else:
                arrays[f"t{k}"] = np.asarray(table, dtype=dtype)
                tables.append({"kind": "dense"})
        for c, m in enumerate(cs.marginals):
            arrays[f"m{c}"] = np.asarray(m, dtype=dtype)
        if cs.squares is not None:
            arrays["squares"] = cs.squares
        meta["counts"] = {
            "columns": [label(c) for c in cs.spec.columns],
            "pairs": [list(p) for p in cs.spec.pairs],
            "max_categories": cs.spec.max_categories,
            "auto": None if cs.spec.auto is None else list(cs.spec.auto),
            "auto_cap": cs.spec.auto_cap,
            "domains": [_domain_meta(i, d, members) for i, d in enumerate(cs.domains)],
            "tables": tables,
        }
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        members["counts.npz"] = buffer.getvalue()
    if state.sample is not None:
        sample = state.sample
        width = sample.frame.shape[1]
        # the columns' own names, for a clear error; positions when the sample has other columns
        names = meta["columns"] if width == len(meta["columns"]) and meta["given"] is None else range(width)
        frame = sample.frame.set_axis(list(names), axis=1)
        frame.insert(width, "the row keys", sample.keys)
        records = _columns(frame, "the sample", "sample.arrow", members)
        meta["sample"] = {"size": sample.size, "columns": records}
    meta["members"] = {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in members.items()
    }
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):  # say so with the user's path, not the temporary file's
        raise FileNotFoundError(f"cannot save {path!r}: no directory {folder!r}")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
            archive.writestr("meta.json", json.dumps(meta, indent=1))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    """One archive being verified; every problem is a :class:`SummaryFileError` naming it."""

    def __init__(self, path: str, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        self.infos = {i.filename: i for i in archive.infolist()}
        self.recorded: dict[str, dict[str, Any]] | None = None
        self.version = VERSION

    def fail(self, what: str) -> SummaryFileError:
        return SummaryFileError(f"{self.path!r} is not a valid dmi summary file: {what}")

    def member(self, name: str, limit: int | None = None) -> bytes:
        """A member's bytes, read no further than its declared size, checked against the
        size and SHA-256 recorded at save time."""
        info = self.infos.get(name)
        if info is None:
            raise self.fail(f"member {name!r} is missing")
        if limit is not None and info.file_size > limit:
            raise self.fail(f"member {name!r} declares {info.file_size:,} bytes, more than {limit:,}")
        if self.recorded is not None:
            expected = self.recorded.get(name)
            if expected is None:
                raise self.fail(f"member {name!r} is not listed in meta.json")
            if info.file_size != expected["size"]:
                raise self.fail(
                    f"member {name!r} declares {info.file_size:,} bytes but {expected['size']:,} were saved"
                )
        try:
            with self.archive.open(info) as fh:
                chunks, total = [], 0
                while chunk := fh.read(_CHUNK):
                    total += len(chunk)
                    if total > info.file_size:  # pragma: no cover - zipfile stops at the declared size
                        raise self.fail(f"member {name!r} expands past its declared size")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as err:
            raise self.fail(f"member {name!r} cannot be read ({err})") from err
        data = b"".join(chunks)
        if self.recorded is not None and hashlib.sha256(data).hexdigest() != self.recorded[name]["sha256"]:
            raise self.fail(f"member {name!r} does not match its checksum (the file was changed or damaged)")
        return data

    def columns(self, name: str, records: Any) -> pd.DataFrame:
        """A member holding columns: an Arrow file decoded by its records (version 5), or
        Parquet read by pandas (older files, which have no records).

        A failure is raised outside the ``except`` block, so that nothing keeps the failed
        conversion's frames (and the Arrow objects in them) alive until the interpreter
        exits: destroyed that late, they abort the process ("terminate called without an
        active exception")."""
        data = self.member(name)
        problem = ""
        if records is not None:
            try:
                return decode(data, records)
            except ColumnsFileError as err:
                problem = f"member {name!r}: {err}"
            raise self.fail(problem)
        try:
            return pd.read_parquet(io.BytesIO(data))
        except Exception as err:  # pyarrow raises many kinds for a damaged file
            problem = f"member {name!r} is not readable Parquet ({type(err).__name__}: {err})"
        try:
            return _parquet_by_column(data)
        except Exception:
            pass
        raise self.fail(problem)


def _parquet_by_column(data: bytes) -> pd.DataFrame:
    """A Parquet member of a file written before version 5, whose pandas metadata pandas
    cannot read back (it names an Arrow dictionary dtype, which pandas cannot parse): the
    Arrow-backed columns as their Arrow type (which the file's Arrow schema keeps), the
    others as pandas converts them."""
    table = pq.read_table(io.BytesIO(data))
    meta = table.schema.pandas_metadata or {}
    arrow_backed = {
        c.get("field_name")
        for c in meta.get("columns", [])
        if str(c.get("numpy_type", "")).endswith("[pyarrow]")
    }
    columns = {
        name: pd.arrays.ArrowExtensionArray(table.column(name).combine_chunks())
        if name in arrow_backed
        else table.column(name).to_pandas()
        for name in table.column_names
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _require(ok: bool, reader: _Reader, what: str) -> None:
    if not ok:
        raise reader.fail(what)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_meta(r: _Reader, meta: dict[str, Any]) -> None:
    """The metadata's own consistency: types, and lists that must agree in length."""
    columns = meta.get("columns")
    if not isinstance(columns, list) or not columns:
        raise r.fail("'columns' must be a non-empty list")
    _require(all(isinstance(c, str) or _is_int(c) for c in columns), r, "column names must be str or int")
    _require(len(set(map(repr, columns))) == len(columns), r, "'columns' lists a name twice")
    for what in ("kinds", "dtypes"):
        values = meta.get(what)
        if not isinstance(values, list) or len(values) != len(columns):
            found = len(values) if isinstance(values, list) else "no"
            raise r.fail(f"{what!r} has {found} entries for {len(columns)} columns")
    _require(all(k in _KINDS for k in meta["kinds"]), r, f"'kinds' must be among {_KINDS}")
    for what in ("seed", "sample_size", "n_rows"):
        value = meta.get(what)
        whole = _is_int(value) or (what == "n_rows" and r.version >= 6 and isinstance(value, float))
        _require(whole and value >= 0, r, f"{what!r} must be a non-negative integer")  # type: ignore[operator]
    sums = meta.get("weight_sums")
    _require(
        sums is None
        or (
            isinstance(sums, dict)
            and all(isinstance(sums.get(k), int | float) and sums[k] >= 0 for k in ("total", "squares"))
            and isinstance(sums.get("fractional"), bool)
        ),
        r,
        "'weight_sums' is malformed",
    )
    _require(meta["sample_size"] > 0, r, "'sample_size' must be positive")
    given = meta.get("given")
    _require(given is None or isinstance(given, str) or _is_int(given), r, "'given' must be a column name")
    weights = meta.get("weights")
    _require(
        weights is None or isinstance(weights, str) or _is_int(weights), r, "'weights' must be a column name"
    )
    members = meta.get("members")
    if meta["version"] >= 4:
        if not isinstance(members, dict):
            raise r.fail("'members' (sizes and checksums) is missing")
        for name, entry in members.items():
            _require(
                isinstance(entry, dict)
                and _is_int(entry.get("size"))
                and entry["size"] >= 0
                and isinstance(entry.get("sha256"), str),
                r,
                f"the record of member {name!r} must hold its size and sha256",
            )


def _expected_members(meta: dict[str, Any]) -> set[str]:
    names = {"meta.json"}
    if meta.get("counts") is not None:
        names.add("counts.npz")
        for d in meta["counts"].get("domains", []):
            if isinstance(d, dict):
                for key in ("file", "ranges"):
                    if isinstance(d.get(key), str):
                        names.add(d[key])
    if meta.get("sample") is not None:
        names.add(_sample_member(meta))
    return names


def _sample_member(meta: dict[str, Any]) -> str:
    """An Arrow file where the sample has column records (version 5), else Parquet."""
    declared = meta.get("sample")
    return "sample.arrow" if isinstance(declared, dict) and "columns" in declared else "sample.parquet"


def _records(r: _Reader, d: dict[str, Any]) -> list[Any] | None:
    """The column records of a member (required from version 5 on), None for the Parquet
    of older files."""
    records = d.get("columns")
    if records is None and r.version < 5:
        return None
    _require(isinstance(records, list), r, "a member's column records are missing")
    return records


def _domain(r: _Reader, i: int, d: Any) -> Domain:
    _require(
        isinstance(d, dict) and d.get("kind") in ("range", "folded", "values"), r, f"domain {i} is malformed"
    )
    try:
        if d["kind"] == "range":
            lo, hi = d["lo"], d["hi"]
            _require(_is_int(lo) and _is_int(hi) and hi >= lo - 1, r, f"domain {i} has a malformed range")
            return IntRange(lo, hi)
        if d["kind"] == "folded":
            ranges = None
            if d["ranges"] is not None:
                frame = r.columns(d["ranges"], _records(r, d))
                frame.columns = ["lo", "hi"][: frame.shape[1]]
                ranges = tuple(zip(frame["lo"].tolist(), frame["hi"].tolist(), strict=True))
            _require(_is_int(d["at_least"]) and isinstance(d["unique"], bool), r, f"domain {i} is malformed")
            return Folded(int(d["at_least"]), bool(d["unique"]), ranges)
        values = r.columns(d["file"], _records(r, d)).iloc[:, 0]
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, SummaryFileError):
            raise
        raise r.fail(f"domain {i} is malformed ({err!r})") from err
    index = pd.Index(values)
    _require(index.is_unique, r, f"domain {i} lists a value twice")
    return Values(index)


def _array(r: _Reader, arrays: Any, name: str, ndim: int, floats: bool = False) -> np.ndarray:
    if name not in arrays.files:
        raise r.fail(f"counts.npz has no array {name!r}")
    try:
        a = arrays[name]
    except (ValueError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise r.fail(f"array {name!r} of counts.npz cannot be read ({err})") from err
    _require(a.ndim == ndim, r, f"array {name!r} has {a.ndim} dimensions, not {ndim}")
    if floats and a.dtype == np.float64:
        _require(bool(np.isfinite(a).all()), r, f"array {name!r} holds values that are not finite")
        return a
    _require(np.issubdtype(a.dtype, np.integer), r, f"array {name!r} holds {a.dtype}, not integers")
    return a.astype(np.int64, copy=False)


def _adds_up(a: np.ndarray, b: np.ndarray | float) -> bool:
    """Whether counts agree: exactly for integers, to 1e-9 relative for weighted sums
    (float sums taken in another order)."""
    if np.asarray(a).dtype.kind == "f" or np.asarray(b).dtype.kind == "f":
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-9 * float(np.max(np.abs(b), initial=0.0))))
    return bool(np.array_equal(a, b))


def _counts(r: _Reader, meta: dict[str, Any], columns: list[Any], kinds: list[str]) -> CountState:
    spec_meta = meta["counts"]
    _require(isinstance(spec_meta, dict), r, "'counts' is malformed")
    names, pairs = spec_meta.get("columns"), spec_meta.get("pairs")
    domains_meta, tables_meta = spec_meta.get("domains"), spec_meta.get("tables")
    _require(isinstance(names, list) and len(names) > 0, r, "the counts' columns are missing")
    for what, values in (("domains", domains_meta), ("tables", tables_meta)):
        _require(isinstance(values, list), r, f"the counts' {what} are missing")
    _require(
        len(domains_meta) == len(names), r, f"{len(domains_meta)} domains for {len(names)} counted columns"
    )
    _require(
        isinstance(pairs, list)
        and all(
            isinstance(p, list)
            and len(p) == 2
            and all(_is_int(x) and 0 <= x < len(names) for x in p)
            and p[0] != p[1]
            for p in pairs
        ),
        r,
        "the counts' pairs are malformed",
    )
    _require(len(tables_meta) == len(pairs), r, f"{len(tables_meta)} tables for {len(pairs)} pairs")
    if meta.get("given") is None:
        known = {repr(c): k for c, k in zip(columns, kinds, strict=True)}
        for c in names:
            _require(repr(c) in known, r, f"counted column {c!r} is not one of the columns")
            _require(known[repr(c)] != "c", r, f"counted column {c!r} is continuous")
    auto = spec_meta.get("auto")
    _require(
        auto is None or (isinstance(auto, list) and len(auto) == len(names)), r, "'auto' has the wrong length"
    )
    domains = [_domain(r, i, d) for i, d in enumerate(domains_meta)]
    try:
        arrays = np.load(io.BytesIO(r.member("counts.npz")), allow_pickle=False)
    except SummaryFileError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise r.fail(f"counts.npz is not a readable numpy archive ({err})") from err
    n_rows = meta["n_rows"]
    floats = r.version >= 6 and meta.get("weights") is not None
    marginals = []
    for c, domain in enumerate(domains):
        m = _array(r, arrays, f"m{c}", 1, floats)
        _require(
            m.size == domain.size + 1, r, f"column {names[c]!r} has {m.size} counts for {domain.size} values"
        )
        _require(bool((m >= 0).all()), r, f"column {names[c]!r} has negative counts")
        _require(_adds_up(m.sum(), n_rows), r, f"column {names[c]!r} counts {m.sum():,} rows, not {n_rows:,}")
        marginals.append(m)
    tables: list[Table] = []
    for k, (t, (a, b)) in enumerate(zip(tables_meta, pairs, strict=True)):
        shape = (domains[a].size + 1, domains[b].size + 1)
        where = f"the table of {names[a]!r} and {names[b]!r}"
        _require(isinstance(t, dict) and t.get("kind") in ("dense", "sparse"), r, f"{where} is malformed")
        if t["kind"] == "sparse":
            _require(
                list(t.get("shape", [])) == list(shape),
                r,
                f"{where} declares shape {t.get('shape')}, not {shape}",
            )
            rows, cols = (_array(r, arrays, f"t{k}_{p}", 1) for p in ("rows", "cols"))
            cnt = _array(r, arrays, f"t{k}_counts", 1, floats)
            _require(
                rows.size == cols.size == cnt.size, r, f"{where} has coordinate lists of different lengths"
            )
            _require(
                bool(((rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])).all()),
                r,
                f"{where} has cells outside its shape",
            )
            _require(bool((cnt >= 0).all()), r, f"{where} has negative counts")
            row_sums = np.bincount(rows, weights=cnt, minlength=shape[0])
            col_sums = np.bincount(cols, weights=cnt, minlength=shape[1])
            table: Table = SparseTable(rows, cols, cnt, shape)
        else:
            dense = _array(r, arrays, f"t{k}", 2, floats)
            _require(dense.shape == shape, r, f"{where} has shape {dense.shape}, not {shape}")
            _require(bool((dense >= 0).all()), r, f"{where} has negative counts")
            row_sums, col_sums, table = dense.sum(axis=1), dense.sum(axis=0), dense
        _require(
            _adds_up(row_sums, marginals[a]) and _adds_up(col_sums, marginals[b]),
            r,
            f"{where} does not add up to the columns' counts",
        )
        tables.append(table)
    extra = (
        set(arrays.files)
        - {f"m{c}" for c in range(len(names))}
        - {
            name
            for k, t in enumerate(tables_meta)
            for name in ([f"t{k}"] if t["kind"] == "dense" else [f"t{k}_rows", f"t{k}_cols", f"t{k}_counts"])
        }
    )
    squares = None
    if floats and "squares" in arrays.files:
        extra.discard("squares")
        squares = _array(r, arrays, "squares", 1, floats)
        _require(
            squares.size == len(pairs) and bool((squares >= 0).all()),
            r,
            "the pairs' squared weights are malformed",
        )
    _require(not extra, r, f"counts.npz holds arrays it should not: {sorted(extra)[:5]}")
    spec = CountSpec(
        tuple(names),
        tuple((int(p[0]), int(p[1])) for p in pairs),
        max_categories=spec_meta.get("max_categories"),
        auto=None if auto is None else tuple(bool(x) for x in auto),
        auto_cap=int(spec_meta.get("auto_cap", 0) or 0),
    )
    return CountState(
        spec, n_rows, tuple(domains), tuple(marginals), tuple(tables), _weight_sums(meta), squares
    )


def _weight_sums(meta: dict[str, Any]) -> WeightSums | None:
    """The weights' sums a file records (checked by :func:`_check_meta`), or None."""
    sums = meta.get("weight_sums")
    if sums is None:
        return None
    return WeightSums(float(sums["total"]), float(sums["squares"]), sums["fractional"])


def _sample(r: _Reader, meta: dict[str, Any], columns: list[Any]) -> Sample:
    declared = meta["sample"]
    _require(isinstance(declared, dict) and _is_int(declared.get("size")), r, "'sample' is malformed")
    frame = r.columns(_sample_member(meta), _records(r, declared))
    width = len(columns) if meta.get("given") is None else frame.shape[1] - 1
    expected: list[Any] = [str(i) for i in range(width)] + ["__key"]
    if _sample_member(meta) == "sample.arrow":
        expected = list(range(width + 1))
        _require(
            declared["columns"][-1:] == [{"as": "numpy", "dtype": "<u8"}], r, "the sample has no row keys"
        )
    _require(
        list(frame.columns) == expected,
        r,
        f"the sample has columns {list(frame.columns)[:8]}, not {width} and keys",
    )
    keys = frame.pop(expected[-1]).to_numpy(dtype=np.uint64)
    size = declared["size"]
    _require(len(frame) <= size, r, f"the sample holds {len(frame):,} rows, more than its size {size:,}")
    _require(len(frame) <= meta["n_rows"], r, "the sample holds more rows than the summary")
    _require(np.unique(keys).size == keys.size, r, "the sample holds a row key twice")
    return Sample(keys, frame.set_axis(range(frame.shape[1]), axis=1), size)


def read(path: str) -> tuple[dict[str, Any], onepass.PassState]:
    """The verified metadata and state of the summary file at ``path``; see the module
    docstring for what is checked. Raises :class:`SummaryFileError` (a ValueError)."""
    if os.path.isdir(path):
        raise SummaryFileError(f"{path!r} is a directory, not a dmi summary file")
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise SummaryFileError(f"{path!r} is not a dmi summary file (not a zip archive)") from err
    with archive:
        r = _Reader(path, archive)
        if "meta.json" not in r.infos:
            raise SummaryFileError(f"{path!r} is not a dmi summary file (no readable meta.json)")
        try:
            meta = json.loads(r.member("meta.json", limit=_META_LIMIT))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SummaryFileError(f"{path!r} is not a dmi summary file (no readable meta.json)") from err
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise SummaryFileError(f"{path!r} is not a dmi summary file (format {found!r})")
        if not _is_int(meta.get("version")) or meta["version"] > VERSION:
            raise SummaryFileError(
                f"{path!r} is a dmi summary of format version {meta.get('version')!r}, newer than this dmi "
                f"reads (version {VERSION}); upgrade dmi"
            )
        r.version = meta["version"]
        _check_meta(r, meta)
        unknown = sorted(set(r.infos) - _expected_members(meta))
        _require(not unknown, r, f"it holds members dmi did not write: {unknown[:5]}")
        if meta["version"] >= 4:
            r.recorded = meta["members"]
            missing = sorted(set(r.recorded) - set(r.infos))
            _require(not missing, r, f"member {missing[0]!r} is missing" if missing else "")
        else:  # no recorded sizes: refuse an archive that expands far past its size on disk
            declared = sum(i.file_size for i in r.infos.values())
            packed = sum(i.compress_size for i in r.infos.values())
            _require(
                declared <= _MAX_RATIO * max(packed, 1) + _CHUNK,
                r,
                f"its members expand to {declared:,} bytes from {packed:,} (a zip bomb?)",
            )
        columns, kinds = meta["columns"], meta["kinds"]
        has_counts = meta.get("counts") is not None
        has_sample = meta.get("sample") is not None
        if meta.get("given") is None:
            _require(
                has_counts == any(k != "c" for k in kinds), r, "its counts do not match its columns' kinds"
            )
            _require(
                has_sample == any(k != "d" for k in kinds), r, "its sample does not match its columns' kinds"
            )
        counts = _counts(r, meta, columns, kinds) if has_counts else None
        sample = _sample(r, meta, columns) if has_sample else None
    return meta, onepass.PassState(meta["n_rows"], counts, sample, _weight_sums(meta))
