"""sample='partitions': read a seeded subset of partitions when no pair needs every row."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._inputs import source


@pytest.fixture
def parquet_dir(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        x = rng.standard_normal(2_000)
        frame = pd.DataFrame(
            {"x": x, "y": 0.6 * x + 0.8 * rng.standard_normal(2_000), "g": (x > 0).astype(int)}
        )
        frame.to_parquet(tmp_path / f"part-{i:02d}.parquet", index=False)
    return tmp_path


def _partitions_read(passes) -> list[int]:
    """The partitions each pass of a call read."""
    return [source.frame.npartitions for source, _ in passes]


def test_reads_only_enough_files(parquet_dir, passes, count_computes):
    m = dmi.mutual_info_matrix(
        parquet_dir, columns=["x", "y"], sample="partitions", sample_size=5_000, random_state=1
    )
    assert _partitions_read(passes) == [3]  # 3 files of 2,000 rows hold the 5,000 rows wanted
    assert count_computes.calls == 1
    assert m.attrs["sample_rows"] == 5_000
    assert abs(m.loc["x", "y"] - (-0.5 * math.log(1 - 0.36))) < 0.05


def test_seeded_and_repeatable(parquet_dir):
    kw = {"columns": ["x", "y"], "sample": "partitions", "sample_size": 3_000}
    a = dmi.mutual_info_matrix(parquet_dir, random_state=5, **kw)
    b = dmi.mutual_info_matrix(parquet_dir, random_state=5, **kw)
    c = dmi.mutual_info_matrix(parquet_dir, random_state=6, **kw)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.loc["x", "y"] != c.loc["x", "y"]


def test_ross_pairs_with_a_discrete_target_are_allowed(parquet_dir, passes):
    s = dmi.mutual_info_with(parquet_dir, "g", columns=["x", "y"], sample="partitions", sample_size=4_000)
    assert _partitions_read(passes) == [2]
    assert s["x"] > 0.4  # g is a function of x


def test_pandas_blocks(monkeypatch):
    monkeypatch.setattr(source, "_PANDAS_PARTITION_ROWS", 1_000)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(20_000)
    df = pd.DataFrame({"x": x, "y": x + rng.standard_normal(20_000)})
    m = dmi.mutual_info_matrix(df, sample="partitions", sample_size=2_500, random_state=0)
    assert m.attrs["sample_rows"] == 2_500
    assert abs(m.loc["x", "y"] - (-0.5 * math.log(1 - 0.5))) < 0.08


def test_refused_when_a_pair_needs_every_row(parquet_dir):
    with pytest.raises(
        ValueError, match=r"sample='partitions' reads only some partitions, but pair 'g', 'h'"
    ):
        dmi.mutual_info_matrix(pd.DataFrame({"g": [1, 2], "h": [2, 1], "x": [0.5, 1.5]}), sample="partitions")
    with pytest.raises(ValueError, match=r"method='binned' counts"):
        dmi.mutual_info_matrix(parquet_dir, columns=["x", "y"], method="binned", sample="partitions")
    with pytest.raises(ValueError, match=r"a Dask DataFrame does not know; pass the Parquet path"):
        dmi.mutual_info_matrix(dd.read_parquet(parquet_dir), columns=["x", "y"], sample="partitions")
    with pytest.raises(ValueError, match=r"sample must be one of 'rows', 'partitions'; got 'files'"):
        dmi.mutual_info_matrix(parquet_dir, sample="files")
