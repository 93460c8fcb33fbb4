"""Warnings that say when a number is weak: each fires on the data it is about, names the
columns, and stays silent on clean data. (The test configuration ignores them elsewhere:
much test data is small or rounded on purpose.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._math.codes import auto_bins


def _caught(fn, *args, **kwargs) -> dict[type, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    out: dict[type, list[str]] = {}
    for w in caught:
        out.setdefault(w.category, []).append(str(w.message))
    return out


WEAK = (dmi.SparseTableWarning, dmi.TiedValuesWarning, dmi.ConstantColumnWarning)


def _clean(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(size=n),
            "k": rng.integers(0, 5, n),
            "s": rng.choice(["a", "b", "c"], n),
        }
    )


def test_clean_data_gives_none_of_them() -> None:
    frame = _clean()
    for fn in (dmi.mutual_info_matrix, dmi.mutual_info_table):
        caught = _caught(fn, frame)
        assert not set(caught) & set(WEAK), caught
    assert not set(_caught(dmi.mutual_info_with, frame, "k")) & set(WEAK)


def test_a_sparse_table_is_named_with_its_bias() -> None:
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame(
        {"a": rng.integers(0, 30, n), "b": rng.integers(0, 20, n), "c": rng.integers(0, 2, n)}
    )
    with pytest.warns(dmi.SparseTableWarning) as record:
        dmi.mutual_info_matrix(frame)
    message = str(record[0].message)
    bias = (30 - 1) * (20 - 1) / (2 * n)
    assert f"'a' ~ 'b' ({n} rows, 30 x 20 values, bias about {bias:.3g} nats)" in message
    assert "'c'" not in message  # 'a' ~ 'c' has 60 cells for 300 rows: not sparse
    assert "mi_miller_madow" in message and "ami" in message and "p_value" in message
    assert len(record) == 1  # once per call


def test_an_identifier_is_named_once_not_as_sparse() -> None:
    frame = pd.DataFrame({"id": np.arange(2_000), "k": np.arange(2_000) % 7})
    caught = _caught(dmi.mutual_info_matrix, frame, discrete=True)
    assert dmi.IdentifierWarning in caught and dmi.SparseTableWarning not in caught


def test_heavy_ties_are_named_with_what_to_do() -> None:
    rng = np.random.default_rng(2)
    n = 5_000
    minutes = np.round(rng.gamma(2.0, 10.0, n))  # whole minutes stored as floats: ~100 values
    frame = pd.DataFrame({"minutes": minutes, "g": rng.integers(0, 3, n), "z": rng.normal(size=n)})
    caught = _caught(dmi.mutual_info_matrix, frame)
    (message,) = caught[dmi.TiedValuesWarning]
    assert "'minutes' (" in message and "'z'" not in message
    assert "discrete=[...]" in message and "method='binned'" in message and "n_neighbors=3" in message
    # more neighbours than rows per value: no longer "heavily tied"
    rows_per_value = n / np.unique(minutes).size
    quiet = _caught(dmi.mutual_info_matrix, frame, n_neighbors=math.ceil(rows_per_value) + 1)
    assert dmi.TiedValuesWarning not in quiet


def test_integers_made_continuous_are_named_once() -> None:
    """ContinuousIntegersWarning already says to pass discrete=[...]: not a second warning."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"count": rng.integers(0, 300, 20_000), "g": rng.integers(0, 3, 20_000)})
    caught = _caught(dmi.mutual_info_matrix, frame)
    assert dmi.ContinuousIntegersWarning in caught and dmi.TiedValuesWarning not in caught


@pytest.mark.parametrize("method", ["auto", "binned"])
def test_constant_columns_are_zero_and_named(method) -> None:
    frame = _clean(2_000).assign(flat=1.5, code=7, label="same")
    with pytest.warns(dmi.ConstantColumnWarning, match=r"'flat', 'code', 'label'|'code', 'label', 'flat'"):
        mi = dmi.mutual_info_matrix(frame, method=method)
    for c in ("flat", "code", "label"):
        assert (mi.loc[c].drop(c) == 0.0).all()


def test_auto_bins_rule() -> None:
    assert [auto_bins(n) for n in (0, 10, 19, 20, 116, 153, 5_119, 5_120, 10**9)] == [
        2,
        2,
        2,
        2,
        4,
        5,
        31,
        32,
        32,
    ]
    for n in (50, 500, 5_000):
        b = auto_bins(n)
        assert n / b**2 >= 5  # at least 5 expected rows per cell of two binned columns


def test_binned_results_report_their_bins() -> None:
    frame = _clean(2_000)
    assert dmi.mutual_info_matrix(frame, method="binned").attrs["bins"] == 20  # floor(sqrt(400))
    assert dmi.mutual_info_with(frame, "k", method="binned", bins=7).attrs["bins"] == 7
    assert dmi.mutual_info_table(frame, method="binned").attrs["bins"] == 20
    assert "bins" not in dmi.mutual_info_matrix(frame).attrs  # nothing binned
