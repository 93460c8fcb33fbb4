"""Summary files are verified before anything is computed: every tampered, damaged or hostile
file is one ValueError naming the file; old files still load; concurrent saves leave one
whole file."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import struct
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dmi
from dmi._archive import VERSION
from dmi._columns_file import decode, encode

DATA = Path(__file__).parents[1] / "data"


def _example() -> pd.DataFrame:
    """The rows the committed fixtures summarize (tests/data/summary-v3*.dmi)."""
    df = dmi.make_example(3000, random_state=5, n_int_columns=4, max_cardinality=80, n_float_columns=2)
    df.loc[df.index % 17 == 0, "city"] = None
    return df


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _rewrite(src: Path, dst: Path, *, meta=None, arrays=None, drop=(), checksums=True) -> Path:
    """A copy of a summary file with its metadata or count arrays changed by hand; with
    ``checksums=False`` the sizes and checksums are left out too (as in a version 3 file),
    so that only the consistency checks stand between the change and a number."""
    files = _members(src)
    m = json.loads(files["meta.json"])
    if arrays is not None:
        with np.load(__import__("io").BytesIO(files["counts.npz"])) as npz:
            loaded = {k: npz[k] for k in npz.files}
        arrays(loaded)
        buffer = __import__("io").BytesIO()
        np.savez_compressed(buffer, **loaded)
        files["counts.npz"] = buffer.getvalue()
    if meta is not None:
        meta(m)
    if not checksums:
        m["version"] = 3
        m.pop("members", None)
    files["meta.json"] = json.dumps(m).encode()
    for name in drop:
        files.pop(name)
    return _write(dst, files)


@pytest.fixture
def saved(tmp_path) -> tuple[Path, dmi.Summary]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 4, 1_000),
            "b": rng.choice(["x", "y", "z"], 1_000),
            "f": rng.normal(size=1_000),
            "wide": rng.integers(0, 500, 1_000).astype(str),
        }
    )
    s = dmi.summarize(frame, random_state=1, sample_size=300)
    s.save(tmp_path / "s.dmi")
    return tmp_path / "s.dmi", s


@pytest.mark.parametrize("name", ["summary-v3.dmi", "summary-v3-given.dmi"])
def test_a_committed_version_3_file_still_loads_and_answers(name) -> None:
    df = _example()
    loaded = dmi.load(DATA / name)
    assert loaded.n_rows == 3000 and loaded.row_keys == "identity"
    if loaded.given is None:
        expected = _quiet(dmi.mutual_info_matrix, df, sample_size=500, random_state=2)
        pd.testing.assert_frame_equal(_quiet(dmi.mutual_info_matrix, loaded), expected, check_exact=True)
    else:
        cols = ["c00", "c01", "city"]
        expected = _quiet(dmi.mutual_info_matrix, df, cols, given="grade")
        pd.testing.assert_frame_equal(
            _quiet(dmi.mutual_info_matrix, loaded, given="grade"), expected, check_exact=True
        )


def test_a_saved_file_records_each_members_size_and_checksum(saved) -> None:
    path, _ = saved
    files = _members(path)
    meta = json.loads(files["meta.json"])
    assert meta["version"] == 5 and VERSION == 6  # version 6 only for float weights
    assert set(meta["members"]) == set(files) - {"meta.json"}
    for name, record in meta["members"].items():
        assert record == {"size": len(files[name]), "sha256": hashlib.sha256(files[name]).hexdigest()}


# The hand edits of the issue, each with and without checksums: the consistency checks
# catch every one of them by themselves.
EDITS = {
    "n_rows claimed 5": ({"meta": lambda m: m.update(n_rows=5)}, r"counts 1,000 rows, not 5"),
    "counts negated": (
        {"arrays": lambda a: a.update({k: -v for k, v in a.items()})},
        r"negative counts|does not match its checksum",
    ),
    "columns shortened": (
        {"meta": lambda m: m.update(columns=m["columns"][:1])},
        r"'kinds' has 4 entries for 1",
    ),
    "sparse table with a huge shape": (
        {
            "meta": lambda m: m["counts"]["tables"].__setitem__(
                0, {"kind": "sparse", "shape": [10**12, 10**12]}
            )
        },
        r"declares shape \[1000000000000, 1000000000000\], not|no array 't0_rows'",
    ),
    "counts.npz missing": ({"drop": ["counts.npz"]}, r"member 'counts.npz' is missing"),
    "a table's cell moved": (
        {"arrays": lambda a: a.__setitem__("t0", np.roll(a["t0"], 1, axis=0))},
        r"does not add up to the columns' counts|does not match its checksum",
    ),
    "sample size shrunk": ({"meta": lambda m: m["sample"].update(size=10)}, r"more than its size 10"),
    "kinds changed": (
        {"meta": lambda m: m.update(kinds=["c"] * 4)},
        r"counted column 'a' is continuous|do not match",
    ),
    "a domain value twice": (
        {"meta": lambda m: m["counts"]["domains"].__setitem__(0, {"kind": "range", "lo": 5, "hi": 2})},
        r"domain 0 has a malformed range",
    ),
}


@pytest.mark.parametrize("checksums", [True, False], ids=["version 5", "without checksums"])
@pytest.mark.parametrize("edit", list(EDITS))
def test_hand_edited_files_are_one_clear_error(saved, tmp_path, edit, checksums) -> None:
    path, _ = saved
    change, match = EDITS[edit]
    bad = _rewrite(path, tmp_path / "bad.dmi", checksums=checksums, **change)
    if checksums:  # a changed member is caught by its size or checksum first
        match += r"|declares [\d,]+ bytes but [\d,]+ were saved|does not match its checksum"
    with pytest.raises(ValueError, match=r"bad\.dmi' is not a valid dmi summary file: .*" + f"({match})"):
        dmi.load(bad)


def test_a_changed_member_fails_its_checksum(saved, tmp_path) -> None:
    path, _ = saved
    files = _members(path)
    records = json.loads(files["meta.json"])["sample"]["columns"]
    sample = decode(files["sample.arrow"], records)
    sample[0] = sample[0][::-1].to_numpy()  # plausible, consistent, and wrong
    files["sample.arrow"] = encode(sample, "the sample")[0]
    with pytest.raises(ValueError, match=r"member 'sample.arrow' (declares|does not match its checksum)"):
        dmi.load(_write(tmp_path / "changed.dmi", files))


def test_broken_and_foreign_files(saved, tmp_path) -> None:
    path, _ = saved
    data = path.read_bytes()
    (tmp_path / "empty.dmi").write_bytes(b"")
    (tmp_path / "zeros.dmi").write_bytes(bytes(len(data)))
    (tmp_path / "folder.dmi").mkdir()
    cases = {
        "empty.dmi": r"not a dmi summary file \(not a zip archive\)",
        "zeros.dmi": r"not a dmi summary file \(not a zip archive\)",
        "folder.dmi": r"is a directory, not a dmi summary file",
    }
    files = _members(path)
    _write(tmp_path / "extra.dmi", {**files, "notes.txt": b"hello"})
    cases["extra.dmi"] = r"members dmi did not write: \['notes.txt'\]"
    for name, match in cases.items():
        with pytest.raises(ValueError, match=match):
            dmi.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        dmi.load(tmp_path / "absent.dmi")


@pytest.mark.parametrize("step", [1, 7, 97])
def test_a_file_cut_at_any_byte_is_a_clear_error(saved, tmp_path, step) -> None:
    path, _ = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.dmi"
    for end in range(0, len(data), step if step > 1 else max(1, len(data) // 300)):
        cut.write_bytes(data[:end])
        with pytest.raises(ValueError, match=r"cut\.dmi'"):
            dmi.load(cut)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1, exclude_max=True), value=st.integers(1, 255))
def test_a_flipped_byte_is_an_error_or_changes_nothing(saved, tmp_path, position, value) -> None:
    """Flips land in metadata fields zip ignores (times, comments) or are caught: the
    result is never another number."""
    path, original = saved
    data = bytearray(path.read_bytes())
    i = int(position * len(data))
    data[i] ^= value
    flipped = tmp_path / "flipped.dmi"
    flipped.write_bytes(bytes(data))
    try:
        loaded = dmi.load(flipped)
    except ValueError as err:
        assert "flipped.dmi" in str(err)
        return
    pd.testing.assert_frame_equal(
        _quiet(dmi.mutual_info_table, loaded), _quiet(dmi.mutual_info_table, original), check_exact=True
    )


def _patch_declared_size(path: Path, name: str, size: int) -> None:
    """Make a zip member declare ``size`` uncompressed bytes, in its local header and in
    the central directory (what a zip bomb that lies about its sizes does)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    central = data.find(b"PK\x01\x02" + b"\x00" * 0, 0)
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name.encode():
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_zip_bombs_are_refused_without_exhausting_memory(saved, tmp_path) -> None:
    path, _ = saved
    files = _members(path)
    meta = json.loads(files["meta.json"])
    bomb = b"\x00" * (256 * 2**20)  # 256 MiB that deflate to about 250 KiB
    tracemalloc.start()
    try:
        # 1. a member that expands far past the size it declares (and was saved with)
        lying = _write(tmp_path / "lying.dmi", {**files, "sample.arrow": bomb})
        _patch_declared_size(lying, "sample.arrow", meta["members"]["sample.arrow"]["size"])
        with pytest.raises(ValueError, match=r"member 'sample.arrow' cannot be read"):
            dmi.load(lying)
        # 2. a member that honestly declares far more than was saved
        honest = _write(tmp_path / "honest.dmi", {**files, "sample.arrow": bomb})
        with pytest.raises(ValueError, match=r"declares 268,435,456 bytes but .* were saved"):
            dmi.load(honest)
        # 3. a file without recorded sizes (version 3) that expands 1000 times its size
        old = dict(meta, version=3)
        old.pop("members")
        unrecorded = _write(
            tmp_path / "old.dmi", {**files, "meta.json": json.dumps(old).encode(), "sample.arrow": bomb}
        )
        with pytest.raises(ValueError, match=r"expand to .* \(a zip bomb\?\)"):
            dmi.load(unrecorded)
        # 4. a metadata file of a gigabyte
        huge = _write(tmp_path / "meta.dmi", {**files, "meta.json": b" " * (64 * 2**20)})
        with pytest.raises(ValueError, match=r"member 'meta.json' declares 67,108,864 bytes, more than"):
            dmi.load(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 600 * 2**20  # the bombs themselves were built in memory (256 MiB); none was read whole


def _save_many(path: str, seed: int, times: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.integers(0, 3 + seed, 2_000), "b": rng.integers(0, 5, 2_000)})
    summary = dmi.summarize(frame, random_state=1)
    for _ in range(times):
        summary.save(path)


@pytest.mark.slow
def test_concurrent_saves_leave_one_whole_file(tmp_path) -> None:
    target = str(tmp_path / "shared.dmi")
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_save_many, args=(target, seed, 30)) for seed in (0, 1)]
    for w in writers:
        w.start()
    loads = 0
    while any(w.is_alive() for w in writers):
        if Path(target).exists():
            dmi.load(target)  # a reader never sees half a file
            loads += 1
    for w in writers:
        w.join()
        assert w.exitcode == 0
    final = dmi.load(target)
    candidates = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        frame = pd.DataFrame({"a": rng.integers(0, 3 + seed, 2_000), "b": rng.integers(0, 5, 2_000)})
        candidates.append(dmi.mutual_info_matrix(frame))
    got = dmi.mutual_info_matrix(final)
    assert any(got.equals(c) for c in candidates)
    assert loads > 0
    assert not [p for p in tmp_path.iterdir() if p.name != "shared.dmi"]  # no temporary file left
