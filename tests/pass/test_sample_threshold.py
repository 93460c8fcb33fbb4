"""A partition keeps only sample keys below a threshold when the rows are known in
advance; the merged sample is checked to be the exact bottom-k, else drawn again."""

from __future__ import annotations

import logging

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._math.sample import (
    RowIds,
    SampleSpec,
    is_complete,
    key_threshold,
    merge_samples,
    sample_chunk,
)
from dmi._pass import graph


def test_threshold_only_when_it_cuts() -> None:
    assert key_threshold(100, 50) is None
    assert key_threshold(100_000, 100_000) is None
    t = key_threshold(100_000, 10_000_000)
    assert t is not None
    share = t / 2**64  # about 103,262 of 10M rows expected below it
    assert 100_000 / 10_000_000 < share < 1.05 * 100_000 / 10_000_000


@pytest.mark.parametrize("size", [1, 50, 700])
def test_thresholded_sample_equals_the_bottom_k(size: int) -> None:
    rng = np.random.default_rng(size)
    parts = [
        pd.DataFrame({"x": rng.standard_normal(n), "g": rng.integers(0, 3, n)}) for n in (400, 0, 1_000, 250)
    ]
    n_rows = sum(len(p) for p in parts)
    plain = SampleSpec(("x", "g"), (True, False), size, seed=7)
    bounded = SampleSpec(("x", "g"), (True, False), size, seed=7, threshold=key_threshold(size, n_rows))
    assert bounded.threshold is not None
    ids = [RowIds((i,), False) for i in range(len(parts))]
    exact = merge_samples([sample_chunk(p, plain, r) for p, r in zip(parts, ids, strict=True)])
    cut = [sample_chunk(p, bounded, r) for p, r in zip(parts, ids, strict=True)]
    kept = sum(len(s.keys) for s in cut)
    plain_kept = sum(len(sample_chunk(p, plain, r).keys) for p, r in zip(parts, ids, strict=True))
    assert kept < plain_kept if size > 1 else kept == plain_kept  # one row each: nothing to save
    merged = merge_samples(cut)
    assert is_complete(merged, n_rows)
    np.testing.assert_array_equal(merged.keys, exact.keys)
    pd.testing.assert_frame_equal(merged.frame, exact.frame)


def test_too_few_rows_below_the_threshold_is_detected() -> None:
    rng = np.random.default_rng(0)
    part = pd.DataFrame({"x": rng.standard_normal(1_000)})
    spec = SampleSpec(("x",), (True,), 100, seed=0, threshold=2**50)  # ~0 rows below it
    sample = sample_chunk(part, spec, RowIds((1,), False))
    assert len(sample.keys) < 100
    assert not is_complete(sample, 1_000)
    assert is_complete(sample, len(sample.keys))  # every row kept: complete


def _frame(n: int = 30_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n)
    return pd.DataFrame({"x": x, "y": np.round(x + rng.standard_normal(n), 1), "g": rng.integers(0, 4, n)})


def test_known_rows_use_the_threshold_and_give_the_same_matrix(monkeypatch) -> None:
    df = _frame()
    kw = {"sample_size": 2_000, "random_state": 0, "discrete": ["g"]}
    # a Dask DataFrame of the same rows: its partitions' lengths are unknown, no threshold
    lazy = dd.from_pandas(df, npartitions=3)
    seen: list[int | None] = []
    real_run = graph._run

    def spy(source, spec, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(None if spec.sample is None else spec.sample.threshold)
        return real_run(source, spec, *args, **kwargs)

    monkeypatch.setattr(graph, "_run", spy)
    monkeypatch.setattr("dmi._inputs.source._PANDAS_PARTITION_ROWS", 7_000)  # 5 partitions
    with_threshold = dmi.mutual_info_matrix(df, **kw)
    assert seen == [key_threshold(2_000, 30_000)]
    seen.clear()
    without = dmi.mutual_info_matrix(lazy.repartition(npartitions=1), **kw)
    assert seen == [None]
    # the same rows and keys (a pandas frame and one Dask partition number rows alike only
    # in a source of their own, so compare against the pandas frame cut into one partition)
    monkeypatch.setattr("dmi._inputs.source._PANDAS_PARTITION_ROWS", 10**9)
    one = dmi.mutual_info_matrix(df, **kw)
    pd.testing.assert_frame_equal(with_threshold, one, check_exact=True)
    assert without.shape == one.shape


def test_a_threshold_too_low_is_redrawn_without_it(monkeypatch, caplog) -> None:
    df = _frame()
    kw = {"sample_size": 2_000, "random_state": 0, "discrete": ["g"]}
    exact = dmi.mutual_info_matrix(df, **kw)
    monkeypatch.setattr(graph, "key_threshold", lambda size, n_rows: 2**54)  # ~30 rows of 30,000 below it
    with caplog.at_level(logging.INFO, logger="dmi"), dask.config.set(scheduler="sync"):
        redrawn = dmi.mutual_info_matrix(df, **kw)
    assert "sampling again without it" in caplog.text
    pd.testing.assert_frame_equal(redrawn, exact, check_exact=True)
