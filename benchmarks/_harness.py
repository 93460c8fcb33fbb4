"""Shared by the benchmark scripts: run a child process, sample its tree's memory, report;
and the one harness (:class:`Bench`, :func:`main`) that the scripts declare themselves to."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
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


# --- One harness for the benchmark scripts -------------------------------------------------
#
# A script declares a Bench: the methods it compares, how one run of a method is measured
# (in a fresh process) and how its RESULTS.md section is drawn from the records of the runs.
# The harness owns the rest: the command line (shared options plus the script's own), the
# methods run in turn round after round (a noisy machine slows them alike), the peak memory
# of each run's process tree, the records kept in benchmarks/records/<name>.json, and the
# section of RESULTS.md, drawn again from the records (`run.py --render`), never typed.


@dataclass
class Record:
    """The runs of one method in one sitting: what one row of a RESULTS.md table is drawn from."""

    bench: str
    method: str
    seconds: list[float]
    """Each run's time, as the run measured it (the work only, not the process start)."""
    peak_bytes: int
    """The largest peak of a run's process tree."""
    reply: dict
    """What the first run returned besides its time (values to compare, counts...)."""
    command: str
    date: str
    machine: str

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else math.nan

    @property
    def failed(self) -> str | None:
        """Why the method gave no answer (its run failed: e.g. killed out of memory), if it did not."""
        return self.reply.get("failed")

    def runs(self, digits: int = 1) -> str:
        """The runs' times, as ``1.2, 1.3, 1.1``."""
        return ", ".join(f"{s:.{digits}f}" for s in self.seconds)

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / 2**20


@dataclass
class Bench:
    """A benchmark script's declaration (see the module's note above)."""

    name: str
    """The script is ``bench_<name>.py``; its section and records are named after it."""
    title: str
    methods: Sequence[str]
    measure: Callable[[str, argparse.Namespace], dict]
    """One run of a method, in a fresh process: ``{"seconds": ..., ...anything JSON}``."""
    describe: Callable[[argparse.Namespace], str]
    """What was measured, for the section's first paragraph."""
    table: Callable[[dict[str, Record]], list[str]]
    """The section's table (and notes) from the records, by method."""
    options: Callable[[argparse.ArgumentParser], None] | None = None
    prepare: Callable[[argparse.Namespace], None] | None = None
    """Makes the data, once, in the parent process (not timed)."""
    runs: Callable[[str, int], int] = field(default=lambda method, repeat: repeat)
    """How many runs a method gets for ``--repeat`` (a slow baseline may get one)."""


def load_records(name: str) -> dict[str, Record]:
    """A benchmark's kept records, by method (empty when it has none)."""
    path = HERE / "records" / f"{name}.json"
    if not path.exists():
        return {}
    return {r["method"]: Record(**r) for r in json.loads(path.read_text())}


def save_records(name: str, records: dict[str, Record]) -> None:
    (HERE / "records").mkdir(exist_ok=True)
    rows = [asdict(records[m]) for m in records]
    (HERE / "records" / f"{name}.json").write_text(json.dumps(rows, indent=1) + "\n")


def render(bench: Bench, records: dict[str, Record], args: argparse.Namespace) -> str:
    """The RESULTS.md section of ``bench``, drawn from its records."""
    kept = [records[m] for m in bench.methods if m in records]
    if not kept:
        return f"## {bench.title}\n\nNo records yet: `python benchmarks/run.py {bench.name}`."

    def sitting(r: Record) -> tuple[str, str, str]:
        return (r.date, r.machine, r.command)

    newest = max(kept, key=lambda r: r.date)
    head = f"`{newest.command}` on {newest.date}; {newest.machine}. {bench.describe(args)}"
    lines = [f"## {bench.title}", "", head]
    earlier: dict[tuple[str, str, str], list[str]] = {}
    for r in kept:
        if sitting(r) != sitting(newest):
            earlier.setdefault(sitting(r), []).append(r.method)
    if earlier:
        core = newest.machine.rsplit("dmi at ", 1)[0]
        told = []
        for (date, where, command), methods in earlier.items():
            shown = where[len(core) :] if where.startswith(core) else where  # only what differs
            told.append(f"{', '.join(methods)} (`{command}` on {date}; {shown})")
        lines += ["", "Kept from earlier sittings: " + "; ".join(told) + "."]
    answered = {m: r for m, r in records.items() if not r.failed}
    failed = [f"- {r.method}: {r.failed} (`{r.command}` on {r.date})" for r in kept if r.failed]
    ending = ["", "No answer:", *failed] if failed else []
    return "\n".join([*lines, "", *bench.table(answered), *ending])


def main(bench: Bench, argv: Sequence[str] | None = None) -> None:
    """The command line of a benchmark script: run its methods, keep the records, draw the section.

    ``--methods a,b`` runs only those and keeps the others' records; ``--render`` draws the
    section from the kept records without running anything.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=f"run.py {bench.name}", description=bench.title)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method, in turn (default 3)")
    parser.add_argument(
        "--methods", default="", help=f"run only these, comma-separated: {', '.join(bench.methods)}"
    )
    parser.add_argument("--render", action="store_true", help="draw the section from the kept records only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    if bench.options is not None:
        bench.options(parser)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(bench.measure(args.child, args)))
        return
    records = load_records(bench.name)
    if not args.render:
        chosen = [m for m in args.methods.split(",") if m] or list(bench.methods)
        unknown = [m for m in chosen if m not in bench.methods]
        if unknown:
            parser.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(bench.methods)}")
        if bench.prepare is not None:
            bench.prepare(args)
        records.update(_measure(bench, chosen, args, argv))
        save_records(bench.name, records)
    text = render(bench, records, args)
    write_results(f"bench_{bench.name}", text)
    print(text)


def _measure(
    bench: Bench, methods: list[str], args: argparse.Namespace, argv: list[str]
) -> dict[str, Record]:
    """Each method's runs, in turn round after round, each in a fresh process."""
    script = str(HERE / f"bench_{bench.name}.py")
    shown = " ".join(a for a in argv if a != "--render")
    command = f"python benchmarks/run.py {bench.name}" + (f" {shown}" if shown else "")
    wanted = {m: max(1, bench.runs(m, args.repeat)) for m in methods}
    replies: dict[str, list[tuple[dict, int]]] = {m: [] for m in methods}
    failed: dict[str, str] = {}
    for round_ in range(max(wanted.values())):
        for method in methods:
            if round_ < wanted[method] and method not in failed:
                try:
                    reply, peak = run_child([sys.executable, script, *argv, "--child", method])
                except RuntimeError as exc:  # e.g. killed out of memory: an answer of its own
                    failed[method] = str(exc)
                    print(f"{method}: {exc}", flush=True)
                    continue
                replies[method].append((reply, peak))
                print(f"{method}: {reply['seconds']:.2f} s, {peak / 2**20:.0f} MiB", flush=True)
    date, where = time.strftime("%Y-%m-%d %H:%M"), machine()
    out = {}
    for method, got in replies.items():
        if method in failed:
            out[method] = Record(bench.name, method, [], 0, {"failed": failed[method]}, command, date, where)
            continue
        first = {k: v for k, v in got[0][0].items() if k != "seconds"}
        seconds = [r["seconds"] for r, _ in got]
        out[method] = Record(bench.name, method, seconds, max(p for _, p in got), first, command, date, where)
    return out
