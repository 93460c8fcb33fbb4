"""A/B: the same cases on two commits of dmi, alternating in one sitting, with their values.

For a change meant to keep behaviour and speed (a redesign) or to change only speed:
each round runs every case once per commit, in a fresh process each, in the order
A B B A A B ..., so that drift of the shared machine falls on both sides alike. The
values must be equal between the commits (printed with the times).

Cases:

* ``discrete-10M`` -- ``mutual_info_matrix`` of the discrete benchmark table
  (``bench_discrete.py``'s 10M rows, 12 integer-code + 2 string columns, ``discrete=True``)
* ``mixed-10M``    -- the mixed matrix of ``bench_continuous.py`` (10 integer-code + 2
  string + 6 float columns): counts, the sample and 87 KSG/Ross pairs
* ``ksg-100k``     -- one KSG pair at 100,000 rows through the public API (median of 5 calls)

Usage::

    python benchmarks/ab.py --before 1b4a612            # HEAD against that commit, 5 rounds
    python benchmarks/ab.py --before main~3 --after HEAD --rounds 7 --write

``--write`` keeps the runs as records (``benchmarks/records/ab-<before>.json``) and draws the
table from them into ``benchmarks/RESULTS.md`` (section ``ab-<before>``, one per baseline, so
the A/B of each change stays beside the others).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import HERE, Record, example_parquet, machine, save_records, write_results

CASES = ["discrete-10M", "mixed-10M", "ksg-100k"]
CODES = [f"c{i:02d}" for i in range(10)] + ["city", "grade"]


def case(name: str, data: Path) -> tuple[float, list[float]]:
    """In a child: seconds of one case (after a warm-up call) and its values."""
    import pandas as pd

    import dmi

    if name == "ksg-100k":
        rng = np.random.default_rng(0)
        x = rng.standard_normal(100_000)
        frame = pd.DataFrame({"x": x, "y": 0.6 * x + 0.8 * rng.standard_normal(100_000)})
        dmi.mutual_info_matrix(frame.iloc[:1000])
        times = []
        for _ in range(5):
            start = time.perf_counter()
            m = dmi.mutual_info_matrix(frame, random_state=0)
            times.append(time.perf_counter() - start)
        return statistics.median(times), [float(m.iloc[0, 1])]
    if name == "discrete-10M":
        path = data / "discrete-10000000"
        first = str(sorted(path.glob("*.parquet"))[0])
        dmi.mutual_info_matrix(first, columns=["c00", "c01"], discrete=True)  # compile/load the kernel
        start = time.perf_counter()
        m = dmi.mutual_info_matrix(str(path / "*.parquet"), discrete=True)
        return time.perf_counter() - start, m.to_numpy().ravel().tolist()
    path = data / "mixed-10000000"
    first = str(sorted(path.glob("*.parquet"))[0])
    dmi.mutual_info_matrix(first, columns=["c00", "f00"], discrete=["c00"], random_state=0)
    start = time.perf_counter()
    m = dmi.mutual_info_matrix(str(path / "*.parquet"), discrete=CODES, random_state=0)
    return time.perf_counter() - start, m.to_numpy().ravel().tolist()


def worktree(rev: str, root: Path) -> Path:
    """A checkout of ``rev`` (a git worktree under ``root``)."""
    path = root / f"dmi-{rev.replace('/', '_').replace('~', '-')}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], check=True, cwd=HERE.parent)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the baseline commit")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=CASES, choices=CASES)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")
    parser.add_argument("--write", action="store_true", help="write the table to RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import dmi

        seconds, values = case(args.child, args.data)
        print(json.dumps({"seconds": seconds, "values": values, "dmi": dmi.__file__}))
        return
    if args.before is None:
        parser.error("--before is required")

    if "discrete-10M" in args.cases:
        example_parquet(args.data, "discrete", 10_000_000)
    if "mixed-10M" in args.cases:
        example_parquet(args.data, "mixed", 10_000_000, n_int_columns=10, n_float_columns=6)
    trees = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, rev in (("before", args.before), ("after", args.after)):
            trees[label] = worktree(rev, Path(tmp))
        runs: dict[tuple[str, str], list[float]] = {}
        values: dict[tuple[str, str], list[float]] = {}
        try:
            for r in range(args.rounds):
                order = ("before", "after") if r % 2 == 0 else ("after", "before")
                for name in args.cases:
                    for label in order:
                        env = {**os.environ, "PYTHONPATH": str(trees[label])}
                        cmd = [sys.executable, __file__, "--child", name, "--data", str(args.data)]
                        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
                        reply = json.loads(out.stdout.strip().splitlines()[-1])
                        if not reply["dmi"].startswith(str(trees[label])):
                            raise RuntimeError(f"the child imported {reply['dmi']}, not the {label} tree")
                        runs.setdefault((name, label), []).append(reply["seconds"])
                        values[(name, label)] = reply["values"]
                        print(f"round {r + 1} {name} {label}: {reply['seconds']:.3f} s", flush=True)
        finally:
            for path in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=HERE.parent)
    date, where = time.strftime("%Y-%m-%d %H:%M"), machine()
    command = "python benchmarks/ab.py " + " ".join(sys.argv[1:])
    records = {
        f"{name}/{label}": Record(
            f"ab-{args.before}",
            f"{name}/{label}",
            runs[(name, label)],
            0,
            {"values": values[(name, label)], "rev": rev, "rounds": args.rounds},
            command,
            date,
            where,
        )
        for name in args.cases
        for label, rev in (("before", args.before), ("after", args.after))
    }
    text = section(records, args.cases)
    print(text)
    if args.write:
        save_records(f"ab-{args.before}", records)
        write_results(f"ab-{args.before}", text)


def section(records: dict[str, Record], cases: list[str]) -> str:
    """The A/B's RESULTS.md section, drawn from its records (``{case}/before``, ``{case}/after``)."""
    first = next(iter(records.values()))
    before, after = records[f"{cases[0]}/before"].reply["rev"], records[f"{cases[0]}/after"].reply["rev"]
    lines = [
        f"### A/B: {after} against {before}, {first.reply['rounds']} alternating rounds",
        "",
        f"`{first.command}` on {first.date}; {first.machine}.",
        "",
        "| case | before: median (s) | after: median (s) | after / before | runs before | runs after "
        "| values equal |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for name in cases:
        b, a = records[f"{name}/before"], records[f"{name}/after"]
        same = np.array_equal(np.array(b.reply["values"]), np.array(a.reply["values"]), equal_nan=True)
        lines.append(
            f"| {name} | {b.median:.3f} | {a.median:.3f} | {a.median / b.median:.3f} | {b.runs(2)} "
            f"| {a.runs(2)} | {'yes, bit for bit' if same else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
