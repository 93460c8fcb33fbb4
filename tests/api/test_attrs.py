"""Results carry ``attrs`` (``unit``, ``n_rows``, ``sample_rows``, ``measure``) through the pandas
operations a user applies, and dmi.plot reads them; ``mutual_info_with`` order (``sort=``) and
``dmi with``."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import dmi

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = dmi.make_example(5_000, random_state=1)
        mi = dmi.mutual_info_matrix(df, ["c00", "c01", "c02", "city", "grade"], base=2)
        u = dmi.association_matrix(df, ["c00", "c01", "city"], measure="uncertainty_coefficient")
        with_ = dmi.mutual_info_with(df, "city", base=2)
    return df, mi, u, with_


OPERATIONS = {
    "round": lambda r: r.round(3),
    "loc": lambda r: r.loc[r.index[:2]],
    "iloc": lambda r: r.iloc[:2],
    "sort_values": lambda r: r.sort_values(r.columns[0]) if isinstance(r, pd.DataFrame) else r.sort_values(),
    "copy": lambda r: r.copy(),
    "arithmetic with a number": lambda r: r * 2,
    "fillna": lambda r: r.fillna(0),
    "where": lambda r: r.where(r > 0),
    "head": lambda r: r.head(2),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_attrs_survive_common_operations(results, operation) -> None:
    _, mi, u, with_ = results
    for result in (mi, u, with_):
        assert OPERATIONS[operation](result).attrs == result.attrs


def test_attrs_survive_reshaping_and_parquet_but_not_csv(results, tmp_path) -> None:
    _, mi, _, _ = results
    assert mi.stack().attrs == mi.attrs and mi.T.attrs == mi.attrs
    mi.to_parquet(tmp_path / "mi.parquet")  # pandas keeps attrs in the file's metadata
    assert pd.read_parquet(tmp_path / "mi.parquet").attrs["unit"] == "bits"
    mi.to_csv(tmp_path / "mi.csv")  # a CSV file has nowhere to keep them (documented)
    assert pd.read_csv(tmp_path / "mi.csv", index_col=0).attrs == {}
    assert pd.concat([mi, mi]).attrs == mi.attrs  # equal attrs on every piece are kept


def test_plots_read_attrs_and_do_without_them(results, tmp_path) -> None:
    _, mi, u, with_ = results
    ax = dmi.plot.heatmap(mi.round(3))
    assert "bits" in ax.figure.axes[-1].get_ylabel()  # the colour bar names the unit
    ax = dmi.plot.heatmap(u.loc[["c00", "city"], ["c00", "city"]])
    assert "U(row | column)" in ax.figure.axes[-1].get_ylabel()
    assert "bits" in dmi.plot.bar(with_.head(3)).get_xlabel()
    plain = pd.read_csv((mi.to_csv(tmp_path / "m.csv"), tmp_path / "m.csv")[1], index_col=0)
    assert dmi.plot.heatmap(plain).figure.axes[-1].get_ylabel() == "mutual information"


def test_mutual_info_with_keeps_column_order_unless_sorted(results) -> None:
    df, _, _, with_ = results
    assert list(with_.index) == [c for c in df.columns if c != "city"]  # as DataFrame.corrwith
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = dmi.mutual_info_with(df, "city", base=2, sort=True)
    assert list(ranked.to_numpy()) == sorted(with_.to_numpy(), reverse=True)
    assert ranked.attrs == with_.attrs
    gaps = pd.DataFrame({"t": [0, 1] * 50, "x": [0, 1] * 50, "empty": [np.nan] * 100, "y": [0, 0, 1, 1] * 25})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert list(dmi.mutual_info_with(gaps, "t", sort=True).index) == ["x", "y", "empty"]  # NaN last
    with pytest.raises(TypeError, match="sort must be True or False"):
        dmi.mutual_info_with(df, "city", sort="yes")


def test_cli_with_sorts_unless_asked_for_column_order(results, tmp_path, capsys) -> None:
    from dmi.cli import main

    df, _, _, _ = results
    df.to_parquet(tmp_path / "t.parquet")
    command = [
        "with",
        str(tmp_path / "t.parquet"),
        "--target",
        "city",
        "--quiet",
        "--columns",
        "c00,c01,c02,grade",
    ]
    assert main(command) == 0
    ranked = capsys.readouterr().out.splitlines()[1:]
    assert main([*command, "--column-order"]) == 0
    ordered = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in ordered] == ["c00", "c01", "c02", "grade"]
    assert sorted(ranked) == sorted(ordered) and ranked != ordered


def test_attrs_stay_small_as_the_columns_grow() -> None:
    """pandas deep-copies attrs on every operation (each column ``to_parquet`` reads): a
    columns x columns mapping there made a 1,000-column matrix's ``to_parquet`` take
    minutes and tens of GB. A matrix's attrs are a few numbers, whatever its width."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, size=(500, 8))
    sizes = []
    for p in (2, 8):
        frame = pd.DataFrame(codes[:, :p], columns=[f"c{i}" for i in range(p)])
        frame.iloc[:10, 0] = np.nan  # cells over different rows: 490 and 500
        matrix = dmi.mutual_info_matrix(frame, discrete=True)
        for result in (matrix, dmi.association_matrix(frame, measure="cramers_v", discrete=True)):
            assert result.attrs["n_rows"] == 500  # the most rows a cell used
            sizes.append(len(repr(result.attrs)))
    assert len(set(sizes[::2])) == 1 and len(set(sizes[1::2])) == 1
    table = dmi.mutual_info_table(frame, discrete=True)
    assert set(table["n"]) == {490, 500}  # each pair's own rows
