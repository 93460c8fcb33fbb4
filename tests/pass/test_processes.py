"""Against real ``dask scheduler`` / ``dask worker`` processes (started by cluster/local/cluster.py).

Exact results through ``Client("tcp://...")`` and through the CLI's ``--scheduler``; a
worker SIGKILLed in the middle of a computation; a data set several times larger than
the workers' memory limits.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import dask
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client

import dmi
from dmi._inputs.source import open_data

# The scheduler and workers cannot import this test module: send its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def client(dask_processes):
    with Client(dask_processes["address"], timeout="30s") as c:
        c.wait_for_workers(2, timeout=120)
        yield c


@pytest.fixture(scope="module")
def mixed_parquet(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    frame = dmi.make_example(60_000, random_state=9, n_int_columns=6, max_cardinality=50, n_float_columns=3)
    for i in range(6):
        frame.iloc[i * 10_000 : (i + 1) * 10_000].to_parquet(root / f"part-{i}.parquet", index=False)
    return root


def _task_states(prefix, dask_scheduler=None):
    """State and holders of the scheduler's tasks whose name starts with ``prefix``."""
    out = {}
    for key, ts in dask_scheduler.tasks.items():
        name = key[0] if isinstance(key, tuple) else key
        if isinstance(name, str) and name.startswith(prefix):
            out[str(key)] = (ts.state, sorted(ws.address for ws in ts.who_has or ()))
    return out


def test_results_through_the_scheduler_equal_local(client, mixed_parquet):
    kw = {"random_state": 3, "sample_size": 5_000}
    with dask.config.set(scheduler="threads"):
        local = dmi.mutual_info_matrix(mixed_parquet, **kw)
        local_with = dmi.mutual_info_with(mixed_parquet, "f00", **kw)
    remote = dmi.mutual_info_matrix(mixed_parquet, **kw)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)
    pd.testing.assert_series_equal(
        dmi.mutual_info_with(mixed_parquet, "f00", **kw), local_with, check_exact=True
    )
    prefixes = client.run_on_scheduler(lambda dask_scheduler=None: list(dask_scheduler.task_prefixes))
    assert {"dmi-chunk", "dmi-knn"} <= set(prefixes)  # it ran on the cluster


def test_pairs_in_blocks_on_the_cluster_equal_one_local_pass(client, dask_processes, tmp_path, caplog):
    rng = np.random.default_rng(5)
    n = 40_000
    frame = pd.DataFrame({f"z{i}": rng.integers(0, 500, n) for i in range(7)})
    frame["z6"] = (frame["z0"] * 3 + rng.integers(0, 2, n)) % 500
    for i in range(4):
        frame.iloc[i * 10_000 : (i + 1) * 10_000].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    with dask.config.set(scheduler="threads", **{"dmi.table-memory": 2**40}):
        local = dmi.mutual_info_matrix(tmp_path, discrete=True)  # codes of 500 categories
    sizes = _log_sizes(dask_processes["dir"])
    with dask.config.set({"dmi.table-memory": "4 MiB"}), caplog.at_level(logging.INFO, logger="dmi"):
        remote = dmi.mutual_info_matrix(tmp_path, discrete=True)  # the limit travels to the workers
    assert "passes instead of one" in caplog.text  # TablesTooLarge came back from a worker
    # ... as a value, not an exception: a normal re-plan logs no error on the workers
    new_log = "".join(p.read_bytes()[sizes.get(p, 0) :].decode() for p in _log_sizes(dask_processes["dir"]))
    assert "Compute Failed" not in new_log and "TablesTooLarge" not in new_log, new_log[-2000:]
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_cli_with_scheduler_prints_the_same_table(dask_processes, mixed_parquet):
    cmd = [sys.executable, "-m", "dmi", "matrix", str(mixed_parquet), "--sample-size", "5000", "--quiet"]
    local = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    remote = subprocess.run(
        [*cmd, "--scheduler", dask_processes["address"]], capture_output=True, text=True, timeout=120
    )
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert "0.0" in local.stdout  # a real table


@pytest.mark.slow
def test_worker_killed_mid_computation_still_gives_the_exact_result(client, tmp_path):
    n_files = 24
    frame = dmi.make_example(n_files * 100_000, random_state=4)
    for i in range(n_files):
        frame.iloc[i * 100_000 : (i + 1) * 100_000].to_parquet(tmp_path / f"p{i:02d}.parquet", index=False)
    with dask.config.set(scheduler="threads"):
        expected = dmi.mutual_info_matrix(tmp_path, discrete=True)  # the example's integer codes
    before = client.run(os.getpid)

    result: list[object] = []
    worker = threading.Thread(
        target=lambda: result.append(dmi.mutual_info_matrix(tmp_path, split_every=4, discrete=True))
    )
    worker.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and worker.is_alive() and time.monotonic() < deadline:
        states = client.run_on_scheduler(_task_states, "dmi-chunk")
        done = [holders for state, holders in states.values() if state == "memory" and holders]
        if 2 <= len(done) < n_files:  # some partition summaries exist, and work remains
            victim = done[0][0]
            os.kill(before[victim], signal.SIGKILL)
            killed = (victim, len(done))
        time.sleep(0.005)
    worker.join(timeout=300)
    assert killed is not None, "the computation finished before a worker could be killed"
    assert result, "the computation did not return"
    pd.testing.assert_frame_equal(result[0], expected, check_exact=True)
    assert result[0].attrs["n_rows"] == len(frame)  # no lost or doubled rows
    client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker
    assert before[killed[0]] not in client.run(os.getpid).values()


def _long_strings(n_values: int, length: int, seed: int) -> pa.Array:
    rng = np.random.default_rng(seed)
    return pa.array(["".join(rng.choice(list("abcdefghij"), length)) for _ in range(n_values)])


def _log_sizes(directory):
    return {p: p.stat().st_size for p in directory.glob("*.log")}


@pytest.mark.slow
def test_data_several_times_the_workers_memory_completes(client, dask_processes, tmp_path):
    limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values()]
    total_limit = sum(limits)
    rows_per_file, length = 100_000, 200
    rng = np.random.default_rng(0)
    dictionaries = [_long_strings(20, length, s) for s in range(3)]
    joint = np.zeros((10, 20))  # exact counts of (k, s0), kept while writing

    def write(i):
        k = rng.integers(0, 10, rows_per_file)
        codes = [(k + rng.integers(0, 3, rows_per_file) * j) % 20 for j in range(3)]
        columns = {f"s{j}": dictionaries[j].take(pa.array(codes[j])) for j in range(3)}
        table = pa.table({"k": k, "j": rng.integers(0, 100, rows_per_file), **columns})
        # plain strings (Parquet's dictionary pages keep the files small)
        pq.write_table(table, tmp_path / f"part-{i:03d}.parquet")
        np.add.at(joint, (k, codes[0]), 1)

    write(0)
    one_file = open_data(str(tmp_path / "part-000.parquet")).frame.compute(scheduler="sync")
    in_memory = int(one_file.memory_usage(deep=True).sum())  # as dmi holds it: Arrow strings
    n_files = math.ceil(3 * total_limit / in_memory)  # the data is 3x what the workers may hold
    for i in range(1, n_files):
        write(i)

    # Fresh workers: earlier tests leave memory that the allocator has not returned to
    # the OS, which distributed counts against the limit (it paused a worker at 86%).
    client.restart(wait_for_workers=True)
    client.wait_for_workers(2, timeout=120)
    before = client.run(os.getpid)
    sizes = _log_sizes(dask_processes["dir"])
    got = dmi.mutual_info_matrix(tmp_path, discrete=True)  # j: a code of 100 values
    assert client.run(os.getpid) == before  # no worker was killed or restarted
    new_log = "".join(p.read_bytes()[sizes.get(p, 0) :].decode() for p in _log_sizes(dask_processes["dir"]))
    for sign in ("exceeded", "Restarting", "killed", "paused"):
        assert sign not in new_log, new_log[-3000:]
    p = joint / joint.sum()
    px, py = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    nz = p > 0
    expected = float((p[nz] * np.log(p[nz] / (px @ py)[nz])).sum())
    assert got.loc["k", "s0"] == pytest.approx(expected, rel=1e-9)
    assert got.attrs["n_rows"] == n_files * rows_per_file


def test_feature_selection_on_the_cluster_equals_threads(client, mixed_parquet):
    kw = {"method": "jmi", "k": 4, "alpha": 0.5, "random_state": 0}
    on_cluster = dmi.select_features(mixed_parquet, "city", **kw)  # the client is active
    with dask.config.set(scheduler="threads"):
        local = dmi.select_features(mixed_parquet, "city", **kw)
    assert len(on_cluster) == 4
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=False, rtol=1e-12)
    assert on_cluster.attrs["passes"] == local.attrs["passes"] == 5  # bins, relevance, 3 conditional


def test_association_measures_and_tree_on_the_cluster_equal_threads(client, mixed_parquet):
    kw = {"method": "binned", "random_state": 0}
    on_cluster = dmi.association_matrix(mixed_parquet, measure="uncertainty_coefficient", **kw)
    tree_cluster = dmi.dependency_tree(mixed_parquet, alpha=0.05, **kw)
    with dask.config.set(scheduler="threads"):
        local = dmi.association_matrix(mixed_parquet, measure="uncertainty_coefficient", **kw)
        tree_local = dmi.dependency_tree(mixed_parquet, alpha=0.05, **kw)
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(tree_cluster, tree_local, check_exact=False, rtol=1e-12)
    assert len(tree_local) >= 1


def test_top_pairs_on_the_cluster_equals_threads(client, tmp_path):
    """The screen's blocks are tasks on the worker processes: the same candidates and values."""
    rng = np.random.default_rng(11)
    z = rng.normal(size=(6_000, 4))
    frame = pd.DataFrame({f"c{j}": z[:, j % 4] + rng.normal(size=6_000) for j in range(40)})
    frame["code"] = (z[:, 0] > 0).astype(int) + (z[:, 1] > 0)
    for i in range(2):
        frame.iloc[i * 3_000 : (i + 1) * 3_000].to_parquet(tmp_path / f"p{i}.parquet", index=False)
    on_cluster = dmi.top_pairs(tmp_path, k=3)  # the client is active
    with dask.config.set(scheduler="threads"):
        local = dmi.top_pairs(tmp_path, k=3)
    pd.testing.assert_frame_equal(on_cluster, local, check_exact=True)
    timeless = [{k: v for k, v in r.attrs.items() if k != "seconds"} for r in (on_cluster, local)]
    assert timeless[0] == timeless[1] and on_cluster.attrs["candidates"] < on_cluster.attrs["pairs"]


def test_drift_on_the_cluster_equals_threads(client, mixed_parquet):
    files = sorted(str(p) for p in mixed_parquet.glob("*.parquet"))
    kw = {"random_state": 2, "sample_size": 5_000, "permutations": 999}
    on_cluster = dmi.drift(files[:3], files[3:], **kw)
    with dask.config.set(scheduler="threads"):
        local = dmi.drift(files[:3], files[3:], **kw)
    pd.testing.assert_frame_equal(on_cluster.columns, local.columns, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(on_cluster.pairs, local.pairs, check_exact=False, rtol=1e-12)
    assert set(on_cluster.columns["basis"]) == {"counts", "binned sample"}
    prefixes = client.run_on_scheduler(lambda dask_scheduler=None: list(dask_scheduler.task_prefixes))
    assert {"dmi-chunk", "dmi-drift-pairs"} <= set(prefixes)


@pytest.mark.slow
def test_eight_concurrent_callers_on_one_client_get_their_own_results(client, mixed_parquet):
    """Eight threads, each computing a different matrix on one client at once: no state is
    shared between calls (each gets its own graph keys, options and sample)."""
    columns = ["c00", "c01", "c02", "c03", "c04", "c05", "city", "grade", "f00", "f01", "f02"]
    requests = [
        {
            "columns": columns[i : i + 4],
            "random_state": i,
            "sample_size": 2_000 + 500 * i,
            "base": 2 if i % 2 else math.e,
        }
        for i in range(8)
    ]
    with dask.config.set(scheduler="threads"):
        expected = [dmi.mutual_info_matrix(mixed_parquet, **kw) for kw in requests]
    results: dict[int, object] = {}
    barrier = threading.Barrier(8)

    def call(i: int) -> None:
        barrier.wait()  # all eight start together
        results[i] = dmi.mutual_info_matrix(mixed_parquet, **requests[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert sorted(results) == list(range(8))
    for i in range(8):
        pd.testing.assert_frame_equal(results[i], expected[i], check_exact=True)


CLUSTER_SCRIPT = Path(__file__).resolve().parents[2] / "cluster" / "local" / "cluster.py"


def _cluster(directory: Path) -> dict:
    cmd = [sys.executable, str(CLUSTER_SCRIPT), "start", "--workers", "2", "--memory-limit", "2GiB"]
    started = subprocess.run([*cmd, "--dir", str(directory)], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    return json.loads((directory / "cluster.json").read_text())


def _stop(directory: Path) -> None:
    subprocess.run(
        [sys.executable, str(CLUSTER_SCRIPT), "stop", "--dir", str(directory)], capture_output=True
    )


@pytest.mark.slow
def test_losing_the_scheduler_mid_run_fails_fast_with_one_line_and_a_rerun_is_right(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(8):
        dmi.make_example(250_000, random_state=i).to_parquet(data / f"p{i}.parquet", index=False)
    command = [sys.executable, "-m", "dmi", "matrix", str(data), "--quiet", "--all-discrete"]
    local = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    first = _cluster(tmp_path / "first")
    try:
        run = subprocess.Popen(
            [*command, "--scheduler", first["address"]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with Client(first["address"], timeout="30s") as watcher:  # kill once dmi's tasks are running
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and run.poll() is None:
                states = watcher.run_on_scheduler(_task_states, "dmi-chunk")
                if any(state == "memory" for state, _ in states.values()):
                    break
                time.sleep(0.01)
            assert run.poll() is None, "the run finished before the scheduler could be killed"
            os.kill(first["scheduler_pid"], signal.SIGKILL)
            killed = time.monotonic()
            _, stderr = run.communicate(timeout=120)
        waited = time.monotonic() - killed
    finally:
        _stop(tmp_path / "first")
    assert run.returncode == 1
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dmi: error: the connection to the Dask scheduler"), stderr
    assert "was lost during the computation" in lines[0] and "rerun" in lines[0]
    assert waited < 60, waited  # bounded: measured about 1 s
    second = _cluster(tmp_path / "second")
    try:
        rerun = subprocess.run(
            [*command, "--scheduler", second["address"]], capture_output=True, text=True, timeout=300
        )
    finally:
        _stop(tmp_path / "second")
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout == local.stdout


@pytest.fixture(scope="module")
def wide_strings(tmp_path_factory) -> Path:
    """One row group of 1M rows and three 120-character string columns: about 0.5 GB in a
    worker once read, more than a 400 MB worker holds beside its own 280 MB."""
    path = tmp_path_factory.mktemp("wide") / "wide.parquet"
    rng = np.random.default_rng(0)
    n = 1_000_000
    words = pa.array(["".join(rng.choice(list("abcdefghij"), 120)) for _ in range(2000)])
    columns = {f"s{j}": words.take(pa.array(rng.integers(0, 2000, n))) for j in range(3)}
    columns["k"] = pa.array(rng.integers(0, 10, n))
    pq.write_table(pa.table(columns), path, row_group_size=n, use_dictionary=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("memory_limit", ["400MB", "3GB"])
def test_memory_pressure_completes_or_stops_with_the_setting_to_change(wide_strings, memory_limit):
    """Both sides of the line: a worker too small for one partition stops the call with a
    ClusterError naming memory_limit (after allowed-failures restarts, never a hang); a
    large enough one completes with the threaded result."""
    from distributed import LocalCluster

    with dask.config.set(scheduler="threads"):
        expected = dmi.mutual_info_matrix(wide_strings, discrete=True)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster),
    ):
        started = time.monotonic()
        if memory_limit == "400MB":
            with pytest.raises(dmi.ClusterError, match=r"workers kept dying .*memory_limit.*--memory-limit"):
                dmi.mutual_info_matrix(wide_strings, discrete=True)
        else:
            got = dmi.mutual_info_matrix(wide_strings, discrete=True)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert time.monotonic() - started < 240  # bounded; measured about 5 s either way
