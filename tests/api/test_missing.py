"""Missing values: pairwise-complete rows with dropna=True, a category of their own otherwise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from conftest import discrete_frame
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

import dmi


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return discrete_frame(3_000, seed=5, missing=True)


def _codes(s: pd.Series) -> np.ndarray:
    return pd.factorize(s, use_na_sentinel=True)[0]


def test_dropna_equals_sklearn_on_complete_rows(frame):
    m = dmi.mutual_info_matrix(frame)
    nmi = dmi.mutual_info_matrix(frame, normalize="arithmetic")
    cols = list(frame.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            keep = frame[a].notna() & frame[b].notna()
            x, y = _codes(frame.loc[keep, a]), _codes(frame.loc[keep, b])
            assert m.loc[a, b] == pytest.approx(mutual_info_score(x, y), rel=1e-9, abs=1e-15), (
                a,
                b,
            )
            # normalization uses the entropies of the same complete rows
            assert nmi.loc[a, b] == pytest.approx(normalized_mutual_info_score(x, y), rel=1e-9, abs=1e-15)
    for c in cols:
        assert m.loc[c, c] == pytest.approx(scipy.stats.entropy(frame[c].value_counts().to_numpy()), rel=1e-9)


def test_dropna_false_makes_missing_a_category(frame):
    m = dmi.mutual_info_matrix(frame, dropna=False)
    cols = list(frame.columns)
    for i, a in enumerate(cols):
        # factorize's -1 sentinel is a label of its own for sklearn: exactly "missing as a category"
        assert m.loc[a, a] == pytest.approx(
            scipy.stats.entropy(frame[a].value_counts(dropna=False).to_numpy()), rel=1e-9
        )
        for b in cols[i + 1 :]:
            expected = mutual_info_score(_codes(frame[a]), _codes(frame[b]))
            assert m.loc[a, b] == pytest.approx(expected, rel=1e-9, abs=1e-15), (a, b)


def test_all_missing_column_gives_nan_not_crash():
    df = pd.DataFrame(
        {
            "x": [1, 2, 3, 1, 2, 3],
            "none": pd.array([None] * 6, dtype="Int64"),
            "nostr": pd.array([None] * 6, dtype="str"),
            "y": list("ababab"),
        }
    )
    with pytest.warns(dmi.EmptyColumnWarning, match=r"'none', 'nostr' have no values"):
        m = dmi.mutual_info_matrix(df)
    assert math.isnan(m.loc["none", "none"])
    assert math.isnan(m.loc["x", "none"]) and math.isnan(m.loc["none", "x"])
    assert math.isnan(m.loc["nostr", "none"])
    assert m.loc["x", "y"] == pytest.approx(mutual_info_score(df.x, df.y), rel=1e-12)
    with pytest.warns(dmi.EmptyColumnWarning, match=r"'none'"):
        assert math.isnan(dmi.mutual_info_with(df, "x", normalize="min")["none"])
    # as a category of its own, an all-missing column is constant
    kept = dmi.mutual_info_matrix(df, dropna=False)
    assert kept.loc["none", "none"] == 0.0
    assert kept.loc["x", "none"] == 0.0


def test_constant_column_gives_zero_with_everything():
    df = pd.DataFrame({"const": ["k"] * 50, "x": np.arange(50) % 7, "c2": np.full(50, 3)})
    m = dmi.mutual_info_matrix(df)
    assert m.loc["const", "const"] == 0.0
    assert m.loc["const", "x"] == 0.0 and m.loc["x", "const"] == 0.0
    nmi = dmi.mutual_info_matrix(df, normalize="arithmetic")
    # sklearn: two single-valued labelings are a perfect match, one is not
    assert nmi.loc["const", "c2"] == normalized_mutual_info_score(df.const, df.c2) == 1.0
    assert nmi.loc["const", "x"] == normalized_mutual_info_score(df.const, df.x) == 0.0
    assert nmi.loc["const", "const"] == 1.0
