"""Shared by the benchmark scripts: run a child process, sample its tree's memory, report."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# The checkout's dmi, not an installed copy: `pip install .` (as .ci/run does) puts a copy in
# site-packages, which a script run from benchmarks/ would otherwise import and measure.
# PYTHONPATH, when set (ab.py points it at a commit's worktree), still comes first.
if not os.environ.get("PYTHONPATH") and str(HERE.parent) not in sys.path:
    sys.path.insert(1, str(HERE.parent))


def example_parquet(root: Path, name: str, rows: int, **example_kwargs) -> Path:
    """``dmi.make_example`` as Parquet files of 1M rows under ``root/name-rows`` (once).

    File ``i`` is ``make_example(1M, random_state=i, **example_kwargs)``: the same
    planted dependencies in every file, and generation needs memory for one file only.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    import dmi

    path = root / f"{name}-{rows}"
    if (path / "_done").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    per_file = 1_000_000
    for i, start in enumerate(range(0, rows, per_file)):
        frame = dmi.make_example(min(per_file, rows - start), random_state=i, **example_kwargs)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path / f"part-{i:04d}.parquet")
    (path / "_done").write_text("ok")
    return path


def tree_rss(proc) -> int:
    """RSS of a process and all its descendants, in bytes."""
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakSampler:
    """``with PeakSampler(measure) as s: ...`` samples ``measure()`` every 10 ms; ``s.peak``."""

    def __init__(self, measure) -> None:
        self.measure = measure
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self.measure())
            time.sleep(0.01)

    def __enter__(self) -> PeakSampler:
        self.peak = self.measure()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self.measure())


def run_child(cmd: list[str]) -> tuple[dict, int]:
    """Run ``cmd`` (which prints one JSON line last); return it and the peak tree RSS."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    with PeakSampler(lambda: tree_rss(ps)) as memory:
        stdout, _ = proc.communicate()
    peak = memory.peak
    if proc.returncode != 0:
        why = "killed (SIGKILL: out of memory)" if proc.returncode == -9 else f"exit code {proc.returncode}"
        raise RuntimeError(f"{' '.join(cmd[2:4])} failed at {peak / 2**30:.1f} GiB: {why}")
    return json.loads(stdout.strip().splitlines()[-1]), peak


def write_results(section: str, body: str) -> None:
    """Replace one script's section of RESULTS.md (between markers), keeping the others."""
    results = HERE / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    results.write_text(text)


def machine() -> str:
    """One line describing the machine and the library versions."""
    import dask
    import numba
    import pandas
    import psutil

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pandas.__version__}, "
        f"dask {dask.__version__}, numba {numba.__version__}; dmi at {dmi_commit()}"
    )


def dmi_commit() -> str:
    """The commit of the dmi this process imports (``+changes`` when its tree differs), or
    where it was imported from when that is not a git checkout."""
    import dmi

    root = Path(dmi.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"an installed copy ({root})"
    return commit + ("+changes" if git("status", "--porcelain", "--", "dmi") else "")
