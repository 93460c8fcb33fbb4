"""Shared fixtures: reference data of every discrete dtype, a counting scheduler, a real cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

# A small profile for CI; HYPOTHESIS_PROFILE=slow runs the property tests at length.
settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("slow", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def discrete_frame(n: int = 2_000, seed: int = 0, missing: bool = False) -> pd.DataFrame:
    """A frame with one column of every discrete dtype dmi supports, with dependencies."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 6, n)
    noisy = np.where(rng.random(n) < 0.3, rng.integers(0, 6, n), base)
    words = np.array(["alpha", "beta", "gamma", "delta", "eps", "zeta"], dtype=object)
    frame = pd.DataFrame(
        {
            "int": base,
            "int_wide": (noisy * 1_000_003 - 7).astype(np.int64),
            "str": pd.array(words[noisy], dtype="str"),
            "object": pd.Series(words[(base + rng.integers(0, 2, n)) % 6], dtype=object),
            "category": pd.Categorical(words[rng.integers(0, 4, n)], categories=list(words[:5])),
            "bool": (noisy % 2 == 0),
            "Int64": pd.array(noisy % 4, dtype="Int64"),
            "boolean": pd.array(base > 2, dtype="boolean"),
            "pyarrow_str": pd.array(words[(noisy + 1) % 6], dtype="string[pyarrow]"),
            "uint8": (base * 3).astype(np.uint8),
        }
    )
    if missing:
        frame["int_wide"] = frame["int_wide"].astype("Int64")
        for col in ["int_wide", "str", "object", "category", "Int64", "boolean", "pyarrow_str"]:
            idx = rng.choice(n, size=n // 7, replace=False)
            frame.loc[idx, col] = None
    return frame


@pytest.fixture
def count_computes():
    """Count how many times Dask's scheduler is invoked inside the ``with`` block."""

    class Counter:
        calls = 0

        def __call__(self, dsk, keys, **kwargs):
            Counter.calls += 1
            return dask.threaded.get(dsk, keys, **kwargs)

    counter = Counter()
    with dask.config.set(scheduler=counter):
        yield counter


@pytest.fixture
def passes(monkeypatch):
    """Every pass a call runs, recorded as ``(source, spec)`` (dmi._pass.graph.run is spied on)."""
    from dmi._pass import graph

    seen: list = []
    real_run = graph.run

    def spy(source, spec, split_every, **kwargs):
        seen.append((source, spec))
        return real_run(source, spec, split_every, **kwargs)

    monkeypatch.setattr(graph, "run", spy)
    return seen


CLUSTER_SCRIPT = Path(__file__).resolve().parents[1] / "cluster" / "local" / "cluster.py"
# Per worker: enough for dmi's 1M-row pieces, small enough that the out-of-core test's
# data is several times what the workers may hold.
WORKER_MEMORY = "900MiB"


@pytest.fixture(scope="session")
def dask_processes(tmp_path_factory):
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

    Started with the repository's own recipe, ``cluster/local/cluster.py`` (free ports,
    one thread and ``WORKER_MEMORY`` per worker, logs in a temporary folder), and
    stopped at the end of the session, also when tests fail.
    """
    directory = tmp_path_factory.mktemp("dask-processes")
    cmd = [sys.executable, str(CLUSTER_SCRIPT)]
    started = subprocess.run(
        [*cmd, "start", "--workers", "2", "--memory-limit", WORKER_MEMORY, "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if started.returncode != 0:
        logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in directory.glob("*.log"))
        pytest.fail(f"could not start the local cluster:\n{started.stderr}\n{logs}")
    state = json.loads((directory / "cluster.json").read_text())
    state["dir"] = directory
    try:
        yield state
    finally:
        subprocess.run([*cmd, "stop", "--dir", str(directory)], capture_output=True, timeout=60)


DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory):
    """The documentation site, built once (warnings as errors, every reference checked),
    with the notebooks executed: ``(html folder, folder of the executed notebooks, log)``."""
    out = tmp_path_factory.mktemp("site")
    html = out / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-n",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return html, out / "jupyter_execute", proc
