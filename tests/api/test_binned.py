"""method="binned": continuous columns cut at global quantile edges, then exact plug-in."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

import dmi


def gaussian(n: int, rho: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return pd.DataFrame({"x": x, "y": rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)})


def test_gaussian_within_01_nats_and_monotone():
    values = []
    for rho in [0.0, 0.3, 0.6, 0.9]:
        m = dmi.mutual_info_matrix(gaussian(20_000, rho, seed=1), method="binned", bins=32, random_state=0)
        assert abs(m.loc["x", "y"] - (-0.5 * math.log(1 - rho**2))) < 0.1
        assert m.loc["x", "x"] == pytest.approx(math.log(32), rel=1e-6)  # equal-frequency bins
        values.append(m.loc["x", "y"])
    assert values == sorted(values)


def test_equals_independent_binning_when_the_sample_holds_every_row():
    df = gaussian(3_000, 0.5, seed=2).assign(g=lambda f: np.where(f.x > 0.5, "hi", "lo"))
    df.loc[df.index[::10], "y"] = np.nan
    bins = 10
    m = dmi.mutual_info_matrix(df, method="binned", bins=bins, sample_size=10_000, random_state=0)
    # reference: exact quantile edges of all rows, searchsorted, sklearn on the bin labels
    labels = {}
    for c in ["x", "y"]:
        v = df[c].to_numpy()
        edges = np.unique(np.quantile(v[~np.isnan(v)], np.linspace(0, 1, bins + 1)[1:-1]))
        labels[c] = np.where(np.isnan(v), -1, np.searchsorted(edges, v, side="right"))
    labels["g"] = pd.factorize(df["g"])[0]
    for a, b in [("x", "y"), ("x", "g"), ("y", "g")]:
        keep = (labels[a] >= 0) & (labels[b] >= 0)
        assert m.loc[a, b] == pytest.approx(mutual_info_score(labels[a][keep], labels[b][keep]), rel=1e-9)
    nmi = dmi.mutual_info_matrix(df, method="binned", bins=bins, sample_size=10_000, normalize="geometric")
    keep = labels["y"] >= 0
    expected = normalized_mutual_info_score(labels["x"][keep], labels["y"][keep], average_method="geometric")
    assert nmi.loc["x", "y"] == pytest.approx(expected, rel=1e-9)


def test_discrete_columns_are_untouched():
    df = gaussian(2_000, 0.5, seed=3).assign(d=lambda f: (f.x * 3).round().astype(int))
    binned = dmi.mutual_info_matrix(df, method="binned", random_state=0)
    auto = dmi.mutual_info_matrix(df[["d"]].assign(e=df["d"] % 2), random_state=0)
    plain = dmi.mutual_info_matrix(df.assign(e=df["d"] % 2), method="binned", random_state=0)
    assert plain.loc["d", "e"] == auto.loc["d", "e"]
    assert binned.loc["d", "d"] == auto.loc["d", "d"]


def test_two_passes_and_partition_independent(count_computes, monkeypatch):
    from dmi._inputs import source

    df = gaussian(20_000, 0.7, seed=4)
    ref = dmi.mutual_info_matrix(df, method="binned", sample_size=2_000, random_state=9)
    assert count_computes.calls == 2  # edges from the sample, then the counts
    monkeypatch.setattr(source, "_PANDAS_PARTITION_ROWS", 2_857)  # 7 partitions
    got = dmi.mutual_info_matrix(df, method="binned", sample_size=2_000, random_state=9)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    # shuffled rows draw another sample, hence other edges: close, not equal
    ddf = dd.from_pandas(df.sample(frac=1.0, random_state=1), npartitions=7, sort=False)
    shuffled = dmi.mutual_info_matrix(ddf, method="binned", sample_size=2_000, random_state=9)
    assert shuffled.loc["x", "y"] == pytest.approx(ref.loc["x", "y"], abs=0.02)
