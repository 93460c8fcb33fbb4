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
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
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


def test_mixed_columns_on_cluster_equal_threaded(client):
    import numpy as np

    rng = np.random.default_rng(23)
    n = 30_000
    x = rng.standard_normal(n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 0.5 * x + rng.standard_normal(n),
            "g": pd.array(np.where(x > 0.2, "a", "b"), dtype="str"),
            "k": rng.integers(0, 5, n),
        }
    )
    kw = {"sample_size": 8_000, "random_state": 11}
    ddf = dd.from_pandas(frame, npartitions=6, sort=False)
    with dask.config.set(scheduler="threads"):
        threaded = dmi.mutual_info_matrix(frame, **kw)
        threaded_dask = dmi.mutual_info_matrix(ddf, **kw)
    # k-NN blocks run on the worker processes; the sample is keyed and jittered there
    on_cluster = dmi.mutual_info_matrix(frame, **kw)
    pd.testing.assert_frame_equal(on_cluster, threaded, check_exact=True)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(ddf, **kw), threaded_dask, check_exact=True)
    knn = [k for k in client.run_on_scheduler(_task_prefixes) if k == "dmi-knn"]
    assert knn


def test_progress_with_a_client_goes_to_stderr(client, capsys):
    frame = discrete_frame(20_000, seed=24)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    with dask.config.set(scheduler="threads"):
        threaded = dmi.mutual_info_matrix(ddf)
    capsys.readouterr()
    from dmi._pass.graph import active_client

    assert active_client() is client  # so the client's progress bar is the one shown
    shown = dmi.mutual_info_matrix(ddf, progress=True)
    out, err = capsys.readouterr()
    pd.testing.assert_frame_equal(shown, threaded, check_exact=True)
    assert out == ""
    assert "100% Completed" in err


def test_causal_skeleton_on_cluster_equals_threaded(client, tmp_path):
    """Each level's tables are counted by the workers (one task per Parquet file) and merged."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 20_000
    a, b = rng.integers(0, 3, n), rng.integers(0, 2, n)
    c = (a + b + (rng.random(n) < 0.2)) % 4
    d = (c + rng.integers(0, 2, n)) % 3
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "e": rng.normal(size=n) + d})
    for i in range(4):
        frame.iloc[i * 5_000 : (i + 1) * 5_000].to_parquet(tmp_path / f"p{i}.parquet")
    on_cluster = dmi.causal_skeleton(str(tmp_path), alpha=0.01, knn_permutations=19, sample_size=2_000)
    with dask.config.set(scheduler="threads"):
        threaded = dmi.causal_skeleton(str(tmp_path), alpha=0.01, knn_permutations=19, sample_size=2_000)
    pd.testing.assert_frame_equal(on_cluster.edges, threaded.edges)
    pd.testing.assert_frame_equal(on_cluster.removed, threaded.removed)
    assert on_cluster.skeleton() >= {frozenset("ac"), frozenset("bc"), frozenset("cd")}
