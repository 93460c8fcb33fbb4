"""Every dmi warning points at the user's line, and says what to do."""

from __future__ import annotations

import warnings

import dask
import numpy as np
import pandas as pd
import pytest

import dmi

RNG = np.random.default_rng(0)
N = 3_000


def _frame() -> pd.DataFrame:
    k = RNG.integers(0, 4, N)
    return pd.DataFrame(
        {
            "k": k,
            "few": (k + RNG.integers(0, 2, N)).astype(float),  # a float with 5 values
            "many": RNG.integers(0, 1_000, N),  # an integer number
            "id": np.arange(N).astype(str),  # an identifier
            "x": RNG.standard_normal(N),
            "empty": np.full(N, np.nan),
        }
    )


CALLS = {
    "matrix": lambda f: dmi.mutual_info_matrix(f, random_state=0),
    "with": lambda f: dmi.mutual_info_with(f, "empty", random_state=0),
    "table": lambda f: dmi.mutual_info_table(f, random_state=0, p_value="chi2", stderr_splits=2),
    "given": lambda f: dmi.mutual_info_matrix(f.drop(columns="empty"), given="k", random_state=0),
    "conditional": lambda f: dmi.conditional_mutual_info(f, "many", "x", given="k", random_state=0),
    "binned": lambda f: dmi.mutual_info_matrix(f.drop(columns="empty"), method="binned", random_state=0),
    "summary": lambda f: dmi.mutual_info_matrix(dmi.summarize(f, max_categories=100)),
    "blocks": lambda f: dmi.mutual_info_matrix(f, discrete=["k", "many", "id"], random_state=0),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_warnings_point_at_the_callers_line(call):
    with warnings.catch_warnings(record=True) as caught, dask.config.set({"dmi.table-memory": 10_000}):
        warnings.simplefilter("always")
        CALLS[call](_frame())
    ours = [w for w in caught if w.category.__module__.startswith("dmi")]
    assert ours, f"{call}: expected a dmi warning"
    for w in ours:
        assert w.filename == __file__, (call, w.category.__name__, w.filename)


def test_each_kind_of_warning_names_the_column():
    frame = _frame()
    with pytest.warns(dmi.LooksCategoricalWarning, match=r"'few'.*discrete=\[\.\.\.\]"):
        dmi.mutual_info_matrix(frame[["few", "x"]], random_state=0)
    with pytest.warns(dmi.ContinuousIntegersWarning, match=r"'many' \(more than 64 values\)"):
        dmi.mutual_info_matrix(frame[["many", "x"]], random_state=0)
    with pytest.warns(dmi.IdentifierWarning, match=r"'id'"):
        dmi.mutual_info_matrix(frame[["id", "k"]])
    repeating = frame[["k"]].assign(code=(np.arange(N) % 500).astype(str))  # 500 values, each 6 times
    with pytest.warns(dmi.MaxCategoriesWarning, match=r"'code' \(at least"):
        dmi.mutual_info_matrix(repeating, max_categories=10)


def test_an_all_missing_target_says_so():
    frame = _frame()
    with pytest.warns(dmi.EmptyColumnWarning, match=r"column\(s\) 'empty' have no values"):
        got = dmi.mutual_info_with(frame, "empty", columns=["k", "x"], random_state=0)
    assert got.isna().all()
    discrete = frame.assign(empty=pd.array([None] * N, dtype="str"))
    with pytest.warns(dmi.EmptyColumnWarning, match=r"'empty'"):
        dmi.mutual_info_with(discrete, "empty", columns=["k"])
