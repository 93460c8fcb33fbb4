"""Bad input gets a clear error naming the argument or column, never a wrong number."""

from __future__ import annotations

import re

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import dmi


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3, 1], "b": list("xyzx"), "c": [True, False, True, True]})


@pytest.mark.parametrize("data", [[1, 2, 3], np.zeros((3, 2)), 42, None, {"a": [1]}])
def test_type_error_for_non_frames(data):
    with pytest.raises(
        TypeError, match=r"data must be a pandas, Dask or polars DataFrame, .* Parquet or CSV path"
    ):
        dmi.mutual_info_matrix(data)


def test_series_gets_a_hint(df):
    with pytest.raises(TypeError, match=re.escape("to_frame()")):
        dmi.mutual_info_matrix(df["a"])


def test_no_columns_and_no_rows(df):
    with pytest.raises(ValueError, match="no columns"):
        dmi.mutual_info_matrix(pd.DataFrame())
    with pytest.raises(ValueError, match="no rows"):
        dmi.mutual_info_matrix(df.iloc[:0])
    with pytest.raises(ValueError, match="no rows"):
        dmi.mutual_info_matrix(dd.from_pandas(df.iloc[:0], npartitions=1))
    with pytest.raises(ValueError, match="no rows"):
        dmi.mutual_info_with(df.iloc[:0], "a")


def test_duplicate_column_names():
    dup = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(ValueError, match="duplicate column names: 'a'"):
        dmi.mutual_info_matrix(dup)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"method": "ksg"}, "method must be one of 'auto', 'binned'; got 'ksg'"),
        (
            {"normalize": "mean"},
            "normalize must be one of None, 'arithmetic', 'geometric', 'min', 'max'",
        ),
        ({"discrete": "yes"}, "discrete must be 'auto', True, False or a list of column names"),
        ({"base": 0}, "base must be a finite number > 0 and != 1"),
        ({"base": -2}, "base must be a finite number > 0 and != 1"),
        ({"base": 1}, "base must be a finite number > 0 and != 1"),
        ({"base": 1.0}, "base must be a finite number > 0 and != 1"),
        ({"split_every": 1}, "split_every must be an integer >= 2, None or False; got 1"),
        ({"split_every": 0}, "split_every must be an integer >= 2, None or False"),
        ({"n_neighbors": 0}, "n_neighbors must be an integer >= 1, got 0"),
        ({"sample_size": 0}, "sample_size must be an integer >= 1, got 0"),
        ({"bins": 1}, "bins must be 'auto' or an integer >= 2, got 1"),
        ({"bins": "many"}, "bins must be 'auto' or an integer >= 2, got 'many'"),
        ({"columns": []}, "columns must name at least one column"),
        ({"columns": ["a", "a"]}, "columns lists these more than once: 'a'"),
    ],
)
def test_value_errors(df, kwargs, pattern):
    with pytest.raises(ValueError, match=re.escape(pattern)):
        dmi.mutual_info_matrix(df, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"base": "2"}, "base must be a real number"),
        ({"base": True}, "base must be a real number"),
        ({"split_every": True}, "split_every must be an integer >= 2, None or False"),
        ({"split_every": 2.5}, "split_every must be an integer >= 2, None or False"),
        ({"n_neighbors": 2.0}, "n_neighbors must be an integer"),
        ({"dropna": "yes"}, "dropna must be True or False"),
        ({"discrete": 3}, "discrete must be 'auto', True, False or a list"),
        ({"columns": "a"}, "columns must be a list of column names"),
        ({"random_state": "seed"}, "random_state must be None, an int >= 0 or a numpy Generator"),
    ],
)
def test_type_errors(df, kwargs, pattern):
    with pytest.raises(TypeError, match=re.escape(pattern)):
        dmi.mutual_info_matrix(df, **kwargs)


def test_split_every_from_dask_config_is_checked(df):
    import dask

    with (
        dask.config.set({"dmi.split-every": 1}),
        pytest.raises(ValueError, match=r"dmi\.split-every"),
    ):
        dmi.mutual_info_matrix(df)
    with dask.config.set({"dmi.split-every": 2}):
        assert dmi.mutual_info_matrix(df).shape == (3, 3)


def test_key_error_names_every_unknown_column(df):
    with pytest.raises(
        KeyError,
        match=r"columns: unknown column\(s\) 'zz', 'yy'; available columns are 'a', 'b', 'c'",
    ):
        dmi.mutual_info_matrix(df, columns=["a", "zz", "yy"])
    with pytest.raises(KeyError, match=r"discrete: unknown column\(s\) 'q'"):
        dmi.mutual_info_matrix(df, discrete=["a", "q"])
    with pytest.raises(KeyError, match=r"target: unknown column\(s\) 'nope'"):
        dmi.mutual_info_with(df, "nope")
    with pytest.raises(KeyError, match=r"columns: unknown column\(s\) 'w'"):
        dmi.mutual_info_with(df, "a", columns=["b", "w"])


def test_missing_parquet_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no Parquet data found at .*nothing-here"):
        dmi.mutual_info_matrix(tmp_path / "nothing-here")
    with pytest.raises(FileNotFoundError, match=r"\*.parquet"):
        dmi.mutual_info_matrix(str(tmp_path / "*.parquet"))


def test_normalize_needs_plug_in_pairs(df):
    df = df.assign(f=[0.5, 1.5, 2.5, 0.25])
    with pytest.raises(ValueError, match=r"normalize='max' needs the entropies .*method='binned'"):
        dmi.mutual_info_matrix(df, normalize="max")
    # treating the float column as discrete works, and so does leaving it out
    assert dmi.mutual_info_matrix(df, discrete=True, normalize="max").shape == (4, 4)
    assert dmi.mutual_info_matrix(df, columns=["a", "b"]).shape == (2, 2)
    assert dmi.mutual_info_matrix(df, discrete=["a", "b", "c", "f"]).shape == (4, 4)


def test_unsupported_dtype_names_the_column(df):
    df = df.assign(when=np.array([1 + 1j, 2, 3, 4]))  # complex numbers
    with pytest.raises(TypeError, match=r"column 'when' has dtype complex128 which dmi cannot analyse"):
        dmi.mutual_info_matrix(df)


def test_errors_come_before_any_compute(df, count_computes):
    with pytest.raises(KeyError):
        dmi.mutual_info_matrix(dd.from_pandas(df, npartitions=2), columns=["zz"])
    with pytest.raises(ValueError):
        dmi.mutual_info_matrix(dd.from_pandas(df, npartitions=2), base=1)
    assert count_computes.calls == 0


def test_a_string_column_cannot_be_continuous(df):
    with pytest.raises(
        TypeError, match=r"column 'b' has dtype .*which cannot be continuous.*discrete=\[\.\.\.\]"
    ):
        dmi.mutual_info_matrix(df, discrete=["a"])
    with pytest.raises(TypeError, match=r"column 'b' has dtype .*cannot be continuous.*discrete='auto'"):
        dmi.mutual_info_with(df, "a", discrete=False)
