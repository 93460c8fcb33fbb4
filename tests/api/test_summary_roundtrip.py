"""A saved summary reads back as the summary it was: for every dtype dmi takes and every
input form, ``load(save(summarize(x)))`` answers every result function bit for bit like
``summarize(x)``, and merges with a summary of the same source as the unsaved one does."""

from __future__ import annotations

import datetime
import decimal
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dmi
from dmi._columns_file import decode, encode


def _arrow(values, type_) -> pd.arrays.ArrowExtensionArray:
    return pd.arrays.ArrowExtensionArray(pa.array(values, type=type_))


def _dictionary(index: pa.DataType, values: list, ordered: bool = False):
    def make(codes: np.ndarray, missing: np.ndarray) -> pd.arrays.ArrowExtensionArray:
        # one value never used: a dictionary may hold values no row has
        indices = pa.array(codes % len(values), type=index, mask=missing)
        return pd.arrays.ArrowExtensionArray(
            pa.DictionaryArray.from_arrays(indices, pa.array([*values, values[-1] * 3]), ordered=ordered)
        )

    return make


def _numpy_int(dtype: str, step: int, codes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    return (codes * step + 1).astype(dtype)


_DAY = np.datetime64("2026-01-01T00:00:00", "us")
# every dtype dmi takes as input: a column builder from (codes 0..4 with repeats, missing mask)
DTYPES: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
    "dictionary<str, int8>": _dictionary(pa.int8(), ["a", "b", "c", "d", "e"]),
    "dictionary<str, int16> ordered": _dictionary(pa.int16(), ["v", "w", "x", "y", "z"], ordered=True),
    "dictionary<int, int32>": _dictionary(pa.int32(), [10, 20, 30, 40, 50]),
    "category": lambda c, m: pd.Categorical(
        np.where(m, None, np.array(list("pqrst"), dtype=object)[c]), categories=list("tsrqpu")
    ),
    "category of ints, ordered": lambda c, m: pd.Categorical(
        np.where(m, np.nan, c + 1.0), categories=[5.0, 4.0, 3.0, 2.0, 1.0, 9.0], ordered=True
    ),
    "str": lambda c, m: pd.array(np.where(m, None, np.array(list("fghij"), dtype=object)[c]), dtype="str"),
    "string[pyarrow]": lambda c, m: pd.array(
        np.where(m, None, np.array(list("klmno"), dtype=object)[c]), dtype="string[pyarrow]"
    ),
    "string[python]": lambda c, m: pd.array(
        np.where(m, None, np.array(list("KLMNO"), dtype=object)[c]), dtype="string[python]"
    ),
    "large_string": lambda c, m: _arrow(np.where(m, None, c.astype(str)).tolist(), pa.large_string()),
    "object": lambda c, m: pd.Series(
        np.where(m, None, np.array(list("ABCDE"), dtype=object)[c]), dtype=object
    ),
    "bool with NaN": lambda c, m: pd.Series(np.where(m, np.nan, c % 2 == 0), dtype=object),
    "boolean": lambda c, m: pd.array(np.where(m, None, c > 1), dtype="boolean"),
    "Int64": lambda c, m: pd.array(np.where(m, None, c * 7), dtype="Int64"),
    "UInt8": lambda c, m: pd.array(np.where(m, None, c), dtype="UInt8"),
    **{t: partial(_numpy_int, t, 3) for t in ("int8", "int16", "int32", "int64")},
    **{t: partial(_numpy_int, t, 5) for t in ("uint8", "uint16", "uint32", "uint64")},
    "int64[pyarrow]": lambda c, m: _arrow(np.where(m, None, c * 1000).tolist(), pa.int64()),
    "float32": lambda c, m: np.where(m, np.nan, c / 3 + np.linspace(0, 0.5, c.size)).astype(np.float32),
    "float64, rounded": lambda c, m: np.where(m, np.nan, np.round(c + np.linspace(0, 3, c.size), 1)),
    "datetime": lambda c, m: pd.Series(_DAY + (c * 60 + np.arange(c.size) % 7).astype("timedelta64[m]")),
    "datetime with time zone": lambda c, m: pd.Series(
        pd.DatetimeIndex(_DAY + (c * 3600 + np.arange(c.size)).astype("timedelta64[s]")).tz_localize("UTC")
    ).dt.tz_convert("Europe/Paris"),
    "timestamp[us, tz][pyarrow]": lambda c, m: _arrow(
        (_DAY + (c * 10 + np.arange(c.size) % 3).astype("timedelta64[h]")).tolist(),
        pa.timestamp("us", tz="UTC"),
    ),
    "date32[pyarrow]": lambda c, m: _arrow(
        [
            None if x else datetime.date(2026, 1, 1) + datetime.timedelta(days=int(v) * 3 + i % 5)
            for i, (v, x) in enumerate(zip(c, m, strict=True))
        ],
        pa.date32(),
    ),
    "duration": lambda c, m: pd.Series((c * 90 + np.arange(c.size) % 11).astype("timedelta64[s]")),
    "duration[ms][pyarrow]": lambda c, m: _arrow(
        [None if x else datetime.timedelta(milliseconds=int(v) * 250) for v, x in zip(c, m, strict=True)],
        pa.duration("ms"),
    ),
    "decimal128(9, 2)[pyarrow]": lambda c, m: _arrow(
        [
            None if x else decimal.Decimal(int(v) * 125 + i % 4) / 100
            for i, (v, x) in enumerate(zip(c, m, strict=True))
        ],
        pa.decimal128(9, 2),
    ),
}
FORMS = ("pandas", "dask", "parquet", "csv", "polars", "arrow")


def _frame(names: list[str], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hidden = rng.integers(0, 5, n)
    columns = {}
    for k, name in enumerate(names):
        codes = np.where(rng.random(n) < 0.3, rng.integers(0, 5, n), (hidden + k) % 5)
        columns[name] = DTYPES[name](codes, rng.random(n) < 0.05)
    columns["x"] = hidden + rng.normal(size=n)  # a continuous column: every summary has a sample
    return pd.DataFrame(columns)


def _as_form(df: pd.DataFrame, form: str, where: Path, name: str):
    """``df`` as the input form ``form``; files are written under ``where``."""
    if form == "pandas":
        return df
    if form == "dask":
        return dd.from_pandas(df, npartitions=3)
    if form == "parquet":
        df.to_parquet(where / f"{name}.parquet", index=False)
        return str(where / f"{name}.parquet")
    if form == "csv":
        df.to_csv(where / f"{name}.csv", index=False)
        return str(where / f"{name}.csv")
    if form == "polars":
        return pl.from_pandas(df.reset_index(drop=True))
    return pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)


def _answers(s: dmi.Summary) -> list:
    """Every result function's answer from a summary."""
    first = s.columns[0]
    counted = [c for c, k in zip(s.columns, s.kinds, strict=True) if k == "d"]
    return [
        dmi.mutual_info_matrix(s),
        dmi.mutual_info_with(s, first),
        dmi.mutual_info_table(s),
        dmi.association_matrix(s, measure="uncertainty_coefficient"),
        dmi.association_matrix(s, measure="information_correlation"),
        dmi.dependency_tree(s),
        dmi.column_groups(s, threshold=0.5, columns=counted) if len(counted) > 1 else None,
        dmi.select_features(s, target=counted[0], k=1, columns=counted) if len(counted) > 1 else None,
    ]


def _assert_same(a: list, b: list) -> None:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        elif isinstance(x, pd.Series):
            pd.testing.assert_series_equal(x, y, check_exact=True)
        else:
            assert repr(x) == repr(y)


def _check_round_trip(df: pd.DataFrame, form: str, where: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        half = len(df) // 2
        first = dmi.summarize(_as_form(df.iloc[:half], form, where, "first"), random_state=3)
        first.save(where / "first.dmi")
        loaded = dmi.load(where / "first.dmi")
        assert loaded.dtypes == first.dtypes and loaded.kinds == first.kinds
        if first.state.sample is not None:
            assert loaded.state.sample is not None
            pd.testing.assert_frame_equal(
                loaded.state.sample.frame, first.state.sample.frame, check_exact=True
            )
        _assert_same(_answers(loaded), _answers(first))
        if form in ("polars", "arrow"):
            return  # two in-memory tables both number their rows from 0: not one source
        second = dmi.summarize(_as_form(df.iloc[half:], form, where, "second"), random_state=3)
        for merged, expected in ((loaded.merge(second), first.merge(second)), (second.merge(loaded), None)):
            _assert_same(
                [dmi.mutual_info_matrix(merged), dmi.mutual_info_table(merged)],
                [dmi.mutual_info_matrix(expected or merged), dmi.mutual_info_table(first.merge(second))],
            )


# every dtype, in three groups (a pair of every two dtypes of a group; pairs across groups are
# what the hypothesis test below draws): the cost grows with the square of the columns
GROUPS = [sorted(DTYPES)[i::3] for i in range(3)]


@pytest.mark.parametrize("group", range(len(GROUPS)))
@pytest.mark.parametrize("form", FORMS)
def test_every_dtype_reads_back_bit_for_bit_from_every_form(form, group, tmp_path) -> None:
    _check_round_trip(_frame(GROUPS[group], 100, seed=1), form, tmp_path)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(st.sampled_from(sorted(DTYPES)), min_size=1, max_size=4, unique=True),
    form=st.sampled_from(FORMS),
    n=st.integers(20, 120),
    seed=st.integers(0, 2**16),
)
def test_round_trip_property(names, form, n, seed, tmp_path_factory) -> None:
    _check_round_trip(_frame(names, n, seed), form, tmp_path_factory.mktemp("rt"))


@pytest.mark.parametrize("name", sorted(DTYPES))
def test_the_column_codec_keeps_dtype_and_values(name) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"v": DTYPES[name](rng.integers(0, 5, 50), rng.random(50) < 0.2)})
    back = decode(*encode(frame, "a test frame"))
    pd.testing.assert_frame_equal(back.set_axis(frame.columns, axis=1), frame, check_exact=True)
    assert str(back.dtypes.iloc[0]) == str(frame.dtypes.iloc[0])


def test_a_column_that_would_not_read_back_is_refused_at_save_time() -> None:
    mixed = pd.DataFrame({"m": pd.Series([1, "a", 2.5], dtype=object)})
    with pytest.raises(TypeError, match=r"cannot save column 'm' of the sample"):
        encode(mixed, "the sample")


def test_the_regression_of_issue_24(tmp_path) -> None:
    """A categorical column written to Parquet (an Arrow dictionary<str, int8> on reading)."""
    x = np.random.default_rng(0).normal(size=200)
    df = pd.DataFrame({"c": pd.Categorical(list("abcab") * 40), "x": x})
    df.to_parquet(tmp_path / "x.parquet")
    s = dmi.summarize(tmp_path / "x.parquet")
    s.save(tmp_path / "x.dmi")
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(dmi.load(tmp_path / "x.dmi")), dmi.mutual_info_matrix(s), check_exact=True
    )


DATA = Path(__file__).parents[1] / "data"


def _v4_source() -> pd.DataFrame:
    """The rows tests/data/summary-v4-dictionary.dmi summarizes (written by dmi before format
    version 5 from a Parquet file of these rows: its sample holds an Arrow dictionary column)."""
    rng = np.random.default_rng(24)
    n = 600
    df = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "size": rng.integers(0, 4, n),
            "weight": np.round(rng.normal(size=n), 2),
        }
    )
    df["weight"] += df["size"]
    return df


def test_a_file_written_with_the_bug_loads(tmp_path) -> None:
    """The nightly job's state saved before the fix is not lost: its Parquet sample, whose pandas
    metadata pandas cannot parse, is read column by column; counted pairs are exact."""
    loaded = dmi.load(DATA / "summary-v4-dictionary.dmi")
    assert isinstance(loaded.state.sample.frame.dtypes.iloc[0], pd.ArrowDtype)
    df = _v4_source()
    df.to_parquet(tmp_path / "day.parquet", index=False)
    expected = dmi.mutual_info_matrix(tmp_path / "day.parquet", random_state=7, sample_size=400)
    got = dmi.mutual_info_matrix(loaded)
    counted = ["colour", "size"]
    pd.testing.assert_frame_equal(got.loc[counted, counted], expected.loc[counted, counted], check_exact=True)
    assert abs(got.loc["weight", "size"] - expected.loc["weight", "size"]) < 0.1
    # and it merges with tomorrow's summary
    df.iloc[:100].to_parquet(tmp_path / "next.parquet", index=False)
    merged = loaded.merge(dmi.summarize(tmp_path / "next.parquet", random_state=7, sample_size=400))
    assert merged.n_rows == 700


def test_a_failed_load_does_not_abort_the_process_on_exit(tmp_path) -> None:
    """Before the fix, a caught load error kept pyarrow's half-converted objects alive until
    the interpreter's end, which then aborted (exit 134, "terminate called without an active
    exception") about one run in two (the CLI's drift command on such a file did the same):
    three runs, each loading a damaged file and the file the bug wrote."""
    bad = tmp_path / "bad.dmi"
    import hashlib
    import json
    import shutil
    import zipfile

    shutil.copy(DATA / "summary-v4-dictionary.dmi", tmp_path / "good.dmi")
    with zipfile.ZipFile(tmp_path / "good.dmi") as z:
        files = {name: z.read(name) for name in z.namelist()}
    # a sample whose footer is damaged, with a checksum to match: the Parquet reader itself fails
    files["sample.parquet"] = files["sample.parquet"][:-60] + b"\1" * 52 + files["sample.parquet"][-8:]
    meta = json.loads(files["meta.json"])
    meta["members"]["sample.parquet"] = {
        "size": len(files["sample.parquet"]),
        "sha256": hashlib.sha256(files["sample.parquet"]).hexdigest(),
    }
    files["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(bad, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    script = (
        "import sys, dmi\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n        dmi.load(path)\n        print('loaded', path)\n"
        "    except ValueError as err:\n        print('refused', path, err)\n"
        "sys.exit(3)\n"
    )
    import subprocess
    import sys

    for _ in range(3):
        run = subprocess.run(
            [sys.executable, "-c", script, str(bad), str(tmp_path / "good.dmi")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 3, run.stderr[-500:]
        assert "terminate called" not in run.stderr
        assert run.stdout.startswith("refused") and "not readable Parquet" in run.stdout
        assert f"loaded {tmp_path / 'good.dmi'}" in run.stdout
