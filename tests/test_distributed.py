"""On real distributed worker processes the answer is exactly the threaded one."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from conftest import discrete_frame
from distributed import Client, LocalCluster

import dmi


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_local_cluster_equals_threaded(client, tmp_path):
    frame = discrete_frame(20_000, seed=21, missing=True)
    for i in range(4):
        frame.iloc[i * 5000 : (i + 1) * 5000].to_parquet(tmp_path / f"p{i}.parquet", index=False)
    with dask.config.set(scheduler="threads"):
        threaded = dmi.mutual_info_matrix(frame)
    ddf = dd.from_pandas(frame, npartitions=9, sort=False)
    on_cluster = dmi.mutual_info_matrix(ddf, split_every=2)
    pd.testing.assert_frame_equal(on_cluster, threaded, check_exact=True)
    from_parquet = dmi.mutual_info_matrix(str(tmp_path / "*.parquet"))
    pd.testing.assert_frame_equal(from_parquet, threaded, check_exact=True)
    # the work really ran on the worker processes
    chunk_keys = [k for k in client.run_on_scheduler(_task_prefixes) if k == "dmi-chunk"]
    assert chunk_keys


def _task_prefixes(dask_scheduler=None):
    return list(dask_scheduler.task_prefixes)


def test_mutual_info_with_on_cluster(client):
    frame = discrete_frame(5_000, seed=22)
    with dask.config.set(scheduler="threads"):
        threaded = dmi.mutual_info_with(frame, "str", base=2)
    got = dmi.mutual_info_with(dd.from_pandas(frame, npartitions=4, sort=False), "str", base=2)
    pd.testing.assert_series_equal(got, threaded, check_exact=True)
