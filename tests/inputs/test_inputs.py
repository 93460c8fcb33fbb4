"""Every input form over the same rows gives the pandas path's result; each form's clear errors.

Forms: pandas, Dask, Parquet (path, directory, glob, scan_parquet, pyarrow Dataset, fsspec
memory file system), CSV and TSV (plain, gzip, several files, scan_csv, memory file system),
polars DataFrame and LazyFrame, pyarrow Table. Counts are exact whatever the form, so
discrete results are bit-identical for all of them. A sampled (k-NN) result depends on
which rows the sample holds, hence on each row's identity: in-memory forms identify a row
by its position, as pandas does, and give bit-identical k-NN results too; files identify
a row by its file and place, and agree among the file forms. The estimate itself depends
only on the sampled rows' contents, so when every row is sampled every form agrees.
"""

from __future__ import annotations

import gzip
import warnings

import dask.dataframe as dd
import fsspec
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import dmi


def _frame(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """Columns that look real: codes, a noisy copy, text with missing values, a flag,
    a rounded measurement and a float without ties."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": np.where(rng.random(n) < 0.5, a, rng.integers(0, 5, n)),
            "s": pd.array(rng.choice(["x", "y", "z"], n), dtype="str"),
            "flag": rng.random(n) < 0.3,
            "f": np.round(a + rng.normal(size=n), 2),
            "g": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.05, "s"] = None
    return frame


DISCRETE = ["a", "b", "s", "flag"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    df = _frame()
    df.to_parquet(root / "t.parquet", index=False)
    (root / "parts").mkdir()
    (root / "csvs").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[part].to_parquet(root / "parts" / f"p{i}.parquet", index=False)
        df.iloc[part].to_csv(root / "csvs" / f"p{i}.csv", index=False)
    df.to_csv(root / "t.csv", index=False)
    df.to_csv(root / "t.tsv", sep="\t", index=False)
    with gzip.open(root / "t.csv.gz", "wt") as fh:
        df.to_csv(fh, index=False)
    return root, df


def _forms(root, df) -> dict[str, object]:
    return {
        "dask": dd.from_pandas(df, npartitions=4),
        "parquet": str(root / "t.parquet"),
        "parquet directory": root / "parts",
        "parquet glob": str(root / "parts" / "*.parquet"),
        "scan_parquet": dmi.scan_parquet(root / "parts"),
        "pyarrow dataset": ds.dataset(str(root / "parts")),
        "csv": str(root / "t.csv"),
        "csv files": [str(root / "csvs" / f"p{i}.csv") for i in range(3)],
        "csv glob": str(root / "csvs" / "*.csv"),
        "csv gzip": str(root / "t.csv.gz"),
        "tsv": str(root / "t.tsv"),
        "scan_csv small blocks": dmi.scan_csv(root / "t.csv", blocksize=50_000),
        "polars": pl.from_pandas(df),
        "polars lazy": pl.from_pandas(df).lazy(),
        "polars scan": pl.scan_parquet(root / "t.parquet"),
        "pyarrow table": pa.Table.from_pandas(df, preserve_index=False),
    }


def test_every_form_gives_the_pandas_counts_bit_for_bit(files) -> None:
    root, df = files
    expected = dmi.mutual_info_matrix(df, DISCRETE)
    expected_table = dmi.mutual_info_table(df, DISCRETE)
    for name, data in _forms(root, df).items():
        got = dmi.mutual_info_matrix(data, DISCRETE)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
        table = dmi.mutual_info_table(data, DISCRETE)
        pd.testing.assert_frame_equal(table, expected_table, check_exact=True, obj=name)


def test_in_memory_forms_give_the_pandas_sample_bit_for_bit(files) -> None:
    """k-NN pairs too: these forms number rows by position, as pandas does."""
    _, df = files
    kw = {"sample_size": 5_000, "random_state": 3}
    expected = dmi.mutual_info_matrix(df, **kw)
    for data in (
        pl.from_pandas(df),
        pl.from_pandas(df).lazy(),
        pa.Table.from_pandas(df, preserve_index=False),
    ):
        pd.testing.assert_frame_equal(dmi.mutual_info_matrix(data, **kw), expected, check_exact=True)


def test_every_form_and_partitioning_gives_one_answer_when_every_row_is_sampled(files) -> None:
    """The k-NN tie-breaking jitter follows the rows' contents, not their identities: when
    the sample holds every row, every form, partitioning and row order gives the pandas
    values bit for bit (before, Ozone~Wind on airquality was 0.161 from pandas and 0.195
    from Parquet)."""
    root, df = files
    kw = {"sample_size": len(df), "random_state": 3}
    expected = dmi.mutual_info_matrix(df, **kw)
    forms = {
        **_forms(root, df),
        "pandas, rows shuffled": df.sample(frac=1.0, random_state=1),
        "pandas, another index": df.set_axis(pd.RangeIndex(10**6, 10**6 + len(df))),
        "dask, 1 partition": dd.from_pandas(df, npartitions=1),
        "dask, 7 partitions": dd.from_pandas(df, npartitions=7),
        "dask, repartitioned": dd.from_pandas(df, npartitions=4).repartition(npartitions=3),
    }
    for name, data in forms.items():
        got = dmi.mutual_info_matrix(data, **kw)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
    with_f = dmi.mutual_info_with(root / "parts", "f", **kw)
    pd.testing.assert_series_equal(with_f, dmi.mutual_info_with(df, "f", **kw), check_exact=True)


def test_file_forms_give_one_sample(files) -> None:
    """A row of a file is its file and place: a path, scan_parquet and a pyarrow Dataset of
    the same files sample the same rows."""
    root, _ = files
    kw = {"sample_size": 5_000, "random_state": 3}
    expected = dmi.mutual_info_matrix(root / "parts", **kw)
    for data in (dmi.scan_parquet(str(root / "parts" / "*.parquet")), ds.dataset(str(root / "parts"))):
        pd.testing.assert_frame_equal(dmi.mutual_info_matrix(data, **kw), expected, check_exact=True)
    csv = dmi.mutual_info_matrix(str(root / "csvs" / "*.csv"), **kw)
    assert csv.equals(dmi.mutual_info_matrix(dmi.scan_csv(str(root / "csvs" / "*.csv")), **kw))
    # the floats survive the text round trip exactly: the binned pairs use the same values
    both = [
        dmi.mutual_info_matrix(d, method="binned", sample_size=30_000)
        for d in (root / "parts", str(root / "csvs" / "*.csv"))
    ]
    pd.testing.assert_frame_equal(both[0], both[1], check_exact=True)


def test_fsspec_memory_file_system(files) -> None:
    _, df = files
    fs = fsspec.filesystem("memory")
    for i, part in enumerate(np.array_split(np.arange(len(df)), 2)):
        with fs.open(f"memory://dmi-test/t/p{i}.parquet", "wb") as fh:
            df.iloc[part].to_parquet(fh, index=False)
        with fs.open(f"memory://dmi-test/c/p{i}.csv", "wb") as fh:
            fh.write(df.iloc[part].to_csv(index=False).encode())
    expected = dmi.mutual_info_matrix(df, DISCRETE)
    for data in (
        dmi.scan_parquet("memory://dmi-test/t/", storage_options={}),
        "memory://dmi-test/t/*.parquet",
        dmi.scan_csv("memory://dmi-test/c/*.csv", storage_options={}),
    ):
        pd.testing.assert_frame_equal(dmi.mutual_info_matrix(data, DISCRETE), expected, check_exact=True)


def test_parquet_filters_prune_row_groups_and_keep_matching_rows(tmp_path) -> None:
    from dmi._inputs.source import open_data

    df = _frame(40_000, seed=1).sort_values("a", kind="stable").reset_index(drop=True)
    pq.write_table(
        pa.Table.from_pandas(df, preserve_index=False), tmp_path / "t.parquet", row_group_size=5_000
    )
    scan = dmi.scan_parquet(tmp_path / "t.parquet", filters=[("a", ">=", 3)])
    source = open_data(scan)
    assert len(source.dataset.pieces) == 1  # contiguous row groups with a >= 3 only
    assert source.dataset.pieces[0].rows == 5_000 * 4  # the statistics pruned 4 of 8 row groups unread
    expected = dmi.mutual_info_matrix(df[df["a"] >= 3].reset_index(drop=True), DISCRETE)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(scan, DISCRETE), expected, check_exact=True)
    either = dmi.scan_parquet(tmp_path / "t.parquet", filters=[[("a", "==", 0)], [("s", "in", ["x"])]])
    subset = df[(df["a"] == 0) | (df["s"] == "x")].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(either, DISCRETE), dmi.mutual_info_matrix(subset, DISCRETE), check_exact=True
    )
    expression = dmi.scan_parquet(tmp_path / "t.parquet", filters=ds.field("a") >= 3)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(expression, DISCRETE), expected, check_exact=True)


def test_hive_partitions_become_columns_and_filters_prune_them(tmp_path) -> None:
    from dmi._inputs.source import open_data

    df = _frame(12_000, seed=2)
    df["year"] = np.repeat([2024, 2025, 2026], 4_000)
    for year, part in df.groupby("year"):
        (tmp_path / f"year={year}").mkdir()
        part.drop(columns="year").to_parquet(tmp_path / f"year={year}" / "0.parquet", index=False)
    cols = [*DISCRETE, "year"]
    expected = dmi.mutual_info_matrix(df, cols)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(tmp_path, cols), expected, check_exact=True)
    hive = ds.dataset(str(tmp_path), partitioning="hive")
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(hive, cols), expected, check_exact=True)
    scan = dmi.scan_parquet(tmp_path, filters=[("year", ">=", 2025), ("a", "<", 4)])
    assert len(open_data(scan).dataset.pieces) == 2  # 2024 pruned by its folder
    subset = df[(df["year"] >= 2025) & (df["a"] < 4)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(scan, cols), dmi.mutual_info_matrix(subset, cols), check_exact=True
    )


def test_a_filter_keeps_each_rows_identity(tmp_path) -> None:
    """The sample of a filtered table is the unfiltered sample's rows that match."""
    df = _frame(20_000, seed=4)
    df.to_parquet(tmp_path / "t.parquet", index=False)
    full = dmi.summarize(tmp_path / "t.parquet", sample_size=2_000, random_state=1).state.sample
    part = dmi.summarize(
        dmi.scan_parquet(tmp_path / "t.parquet", filters=[("a", "==", 1)]), sample_size=20_000, random_state=1
    ).state.sample
    shared = np.intersect1d(full.keys, part.keys)
    in_full = full.frame.iloc[:, 0].to_numpy() == 1
    assert len(shared) == in_full.sum() > 0


def test_csv_types_are_decided_once_and_a_misfit_block_names_file_column_value(tmp_path) -> None:
    n = 30_000
    df = pd.DataFrame({"code": np.arange(n) % 7, "amount": np.arange(n) * 0.5})
    text = df.to_csv(index=False).splitlines()
    text[25_000] = "oops,1.0"  # a word in an integer column, far past the first rows
    (tmp_path / "bad.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(
        ValueError,
        match=r"column 'code' was read as Int64 .*bad\.csv.* holds 'oops'.*dtype=\{'code': 'str'\}",
    ):
        dmi.mutual_info_matrix(dmi.scan_csv(tmp_path / "bad.csv", blocksize=100_000))
    fixed = dmi.mutual_info_matrix(dmi.scan_csv(tmp_path / "bad.csv", dtype={"code": "str"}))
    assert fixed.loc["code", "code"] > 0
    text[25_000] = ",1.0"  # a missing integer later on is fine (nullable Int64)
    (tmp_path / "gap.csv").write_text("\n".join(text) + "\n")
    gap = dmi.mutual_info_table(str(tmp_path / "gap.csv"), ["code", "amount"], discrete=["code"])
    assert gap["n"].item() == n - 1


def test_csv_errors(tmp_path) -> None:
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv(tmp_path / "one.csv", index=False)
    pd.DataFrame({"a": [1, 2], "c": [3, 4]}).to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(
        ValueError, match=r"two\.csv' has columns \['a', 'c'\] but .*one\.csv' has \['a', 'b'\]"
    ):
        dmi.mutual_info_matrix(str(tmp_path / "*.csv"))
    with pytest.raises(FileNotFoundError, match="no CSV data found"):
        dmi.mutual_info_matrix(str(tmp_path / "none-*.csv"))
    with pytest.raises(TypeError, match="scan_csv sets 'usecols' itself"):
        dmi.scan_csv(tmp_path / "one.csv", usecols=["a"])
    with pytest.raises(KeyError, match="dtype: unknown column 'z'"):
        dmi.mutual_info_matrix(dmi.scan_csv(tmp_path / "one.csv", dtype={"z": "str"}))
    with pytest.raises(ValueError, match="blocksize"):
        dmi.scan_csv(tmp_path / "one.csv", blocksize=0)
    with pytest.raises(ValueError, match="mixes CSV and other paths"):
        dmi.mutual_info_matrix([str(tmp_path / "one.csv"), str(tmp_path / "x.parquet")])


def test_paths_that_are_not_parquet_say_what_to_use(tmp_path) -> None:
    (tmp_path / "t.json").write_text('{"a": 1}\n')
    with pytest.raises(ValueError, match=r"t\.json' is not a Parquet file; it looks like JSON.*read_json"):
        dmi.mutual_info_matrix(str(tmp_path / "t.json"))
    (tmp_path / "d").mkdir()
    pd.DataFrame({"a": [1, 2]}).to_csv(tmp_path / "d" / "x.csv", index=False)
    with pytest.raises(
        FileNotFoundError, match=r"no Parquet data found .* holds .*x\.csv', which looks like a CSV"
    ):
        dmi.mutual_info_matrix(str(tmp_path / "d"))
    (tmp_path / "fake.parquet").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        dmi.mutual_info_matrix(str(tmp_path / "fake.parquet"))


def test_scan_parquet_errors(tmp_path) -> None:
    _frame(100).to_parquet(tmp_path / "t.parquet", index=False)
    with pytest.raises(KeyError, match="filters: unknown column 'nope'"):
        dmi.mutual_info_matrix(dmi.scan_parquet(tmp_path / "t.parquet", filters=[("nope", "==", 1)]))
    with pytest.raises(ValueError, match="filters"):
        dmi.mutual_info_matrix(dmi.scan_parquet(tmp_path / "t.parquet", filters=[("a", "~", 1)]))
    with pytest.raises(TypeError, match="filters must be a list"):
        dmi.scan_parquet(tmp_path / "t.parquet", filters="a > 1")
    with pytest.raises(TypeError, match="storage_options must be a dict"):
        dmi.scan_parquet(tmp_path / "t.parquet", storage_options="anon")
    with pytest.raises(TypeError, match="paths must be"):
        dmi.scan_parquet(3)


def test_inputs_are_not_modified(files) -> None:
    _, df = files
    frame = pl.from_pandas(df)
    table = pa.Table.from_pandas(df, preserve_index=False)
    before = frame.clone(), table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dmi.mutual_info_matrix(frame)
        dmi.mutual_info_matrix(table)
    assert frame.equals(before[0]) and table.equals(before[1])


def test_cli_reads_csv_files(files, capsys) -> None:
    from dmi.cli import main

    root, df = files
    paths = [str(root / "csvs" / f"p{i}.csv") for i in range(3)]  # what the shell makes of csvs/*.csv
    assert main(["matrix", *paths, "--columns", "a,b,s", "--quiet", "--out", str(root / "m.csv")]) == 0
    written = pd.read_csv(root / "m.csv", index_col=0)
    expected = dmi.mutual_info_matrix(df, ["a", "b", "s"])
    np.testing.assert_allclose(written.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_one_description_of_the_inputs_everywhere(files, tmp_path, capsys) -> None:
    """Each form of ``data`` is described once (dmi._typing.DATA_FORMS); the docstring, the
    command line's help and the guide are made from it or checked against it, and every
    example of a form opens."""
    from pathlib import Path

    from dmi._engine.basis import basis_of
    from dmi._typing import DATA_FORMS, FILE_FORMS
    from dmi.cli import main

    root, df = files
    dmi.summarize(df.head(500)).save(tmp_path / "s.dmi")
    examples = {
        "pandas DataFrame": df,
        "Dask DataFrame": dd.from_pandas(df, npartitions=2),
        "polars DataFrame": pl.from_pandas(df),
        "polars LazyFrame": pl.from_pandas(df).lazy(),
        "pyarrow Table": pa.Table.from_pandas(df, preserve_index=False),
        "pyarrow Dataset": ds.dataset(str(root / "parts")),
        "Parquet": root / "parts",
        "CSV": str(root / "t.csv.gz"),
        "dmi.Summary": str(tmp_path / "s.dmi"),
    }
    assert set(examples) == set(DATA_FORMS)  # a form added to one is added to the other
    doc = " ".join((dmi.mutual_info_matrix.__doc__ or "").split())
    guide = (Path(__file__).parents[2] / "docs" / "guide" / "inputs.md").read_text()
    for name, example in examples.items():
        basis_of(example)  # it opens
        assert f"- {name}: " in doc, name
        assert name.split()[-1] in guide or name in guide, name
    for command in ("matrix", "with", "select", "drift"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for name in FILE_FORMS:
            assert name in text, (command, name)
        assert ".dmi" in text


def test_a_new_file_format_is_one_registered_record(tmp_path):
    """A format registered in dmi._inputs.formats is read end to end, as paths and as a scan."""
    from dmi._inputs import formats
    from dmi._inputs.scan import Scan
    from dmi._inputs.source import open_data

    def open_toy(paths, options):  # semicolon-separated text, read by pandas
        return open_data(pd.concat([pd.read_csv(p, sep=";") for p in paths], ignore_index=True))

    toy = formats.FileFormat("toy", lambda p: str(p).endswith(".toy"), open_toy)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.integers(0, 3, 400), "b": rng.integers(0, 2, 400)})
    frame["c"] = (frame["a"] + frame["b"]) % 3
    frame.iloc[:200].to_csv(tmp_path / "one.toy", sep=";", index=False)
    frame.iloc[200:].to_csv(tmp_path / "two.toy", sep=";", index=False)
    formats.register(toy)
    try:
        got = dmi.mutual_info_matrix([tmp_path / "one.toy", tmp_path / "two.toy"])
        scanned = dmi.mutual_info_matrix(Scan("toy", (str(tmp_path / "one.toy"), str(tmp_path / "two.toy"))))
        with pytest.raises(ValueError, match="mixes TOY and other paths"):
            dmi.mutual_info_matrix([tmp_path / "one.toy", tmp_path / "x.parquet"])
    finally:
        del formats.FORMATS["toy"]
    pd.testing.assert_frame_equal(got, dmi.mutual_info_matrix(frame))
    pd.testing.assert_frame_equal(scanned, got)
    with pytest.raises(ValueError, match="unknown file format 'toy'"):
        formats.get("toy")
