"""Frequency weights: a weighted table against its expansion and against the same rows unweighted.

    python benchmarks/run.py weights [--repeat 5]

The data: 10,000,000 rows in 10 Parquet files, eight discrete columns (2 to 50 values,
with planted dependencies) and a weight column ``w`` of 1, 2 or 3 (mean 2), as a
pre-aggregated table holds counts. Its expansion, each row repeated ``w`` times in
place (about 20,000,000 rows), is written beside it. Methods:

- ``weighted/dmi``: ``mutual_info_matrix(files, weights="w", discrete=True)``;
- ``unweighted/dmi``: the same 10M rows, the weight column not read (the target: the
  weighted pass takes at most 1.2 times this);
- ``fractional/dmi``: the same rows weighted by ``s``, survey weights (``w`` times a
  uniform 0.5-1.5 factor): float64 counts, Kish's effective rows for the tests;
- ``expanded/dmi``: the expansion, unweighted: its matrix must equal the weighted one
  bit for bit (the rows repeated in place give the same codes, so the same sums);
- ``weighted/numpy``: the floor of the arithmetic, in memory: each pair's weighted
  ``np.bincount`` of the codes (the Parquet read, the codes and the entropies outside
  the timing).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import Bench, Record, main

ROWS, PER_FILE = 10_000_000, 1_000_000
ROOT = Path(tempfile.gettempdir()) / "dmi-bench-weights"
COLUMNS = [f"c{i}" for i in range(8)]
METHODS = ("weighted/dmi", "unweighted/dmi", "fractional/dmi", "expanded/dmi", "weighted/numpy")


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = [2, 3, 5, 7, 10, 12, 24, 50]
    out: dict[str, np.ndarray] = {}
    prev = rng.integers(0, 50, rows)
    for name, k in zip(COLUMNS, sizes, strict=True):
        noise = rng.integers(0, k, rows)
        out[name] = np.where(rng.random(rows) < 0.3, prev % k, noise).astype(np.int16)
        prev = out[name].astype(np.int64) * 7 + noise
    out["w"] = rng.integers(1, 4, rows).astype(np.int32)
    out["s"] = out["w"] * rng.uniform(0.5, 1.5, rows)
    return pd.DataFrame(out)


def prepare(args: argparse.Namespace) -> None:
    """The weighted files and their expansion (once)."""
    done = ROOT / "_done_v2"  # v2: the survey weights ``s``
    if done.exists():
        return
    for kind in ("weighted", "expanded"):
        (ROOT / kind).mkdir(parents=True, exist_ok=True)
    for i in range(ROWS // PER_FILE):
        frame = _frame(PER_FILE, i)
        frame.to_parquet(ROOT / "weighted" / f"part-{i:02d}.parquet", index=False)
        expanded = frame.loc[frame.index.repeat(frame["w"])].drop(columns=["w", "s"])
        expanded.to_parquet(ROOT / "expanded" / f"part-{i:02d}.parquet", index=False)
    done.write_text("ok")


def _files(kind: str) -> list[str]:
    return sorted(str(p) for p in (ROOT / kind).glob("*.parquet"))


def measure(method: str, args: argparse.Namespace) -> dict:
    import dmi

    case, who = method.split("/")
    if who == "numpy":
        frame = pd.concat([pd.read_parquet(f) for f in _files("weighted")], ignore_index=True)
        codes = [frame[c].to_numpy(np.int64) for c in COLUMNS]
        sizes = [int(c.max()) + 1 for c in codes]
        w = frame["w"].to_numpy(np.int64)
        start = time.perf_counter()
        tables = [
            np.bincount(codes[i] * sizes[j] + codes[j], weights=w, minlength=sizes[i] * sizes[j])
            for i in range(len(COLUMNS))
            for j in range(i + 1, len(COLUMNS))
        ]
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": int(w.sum()), "pairs": len(tables)}
    small = _files("weighted")[:1]
    # untimed: the kernels loaded (the float ones too, for the survey weights)
    for weights in ("w", "s"):
        dmi.mutual_info_matrix(small, weights=weights, columns=COLUMNS, discrete=True, progress=False)
    files = _files("expanded" if case == "expanded" else "weighted")
    kw: dict = {} if case == "expanded" else {"columns": COLUMNS}
    if case in ("weighted", "fractional"):
        kw["weights"] = "w" if case == "weighted" else "s"
    start = time.perf_counter()
    m = dmi.mutual_info_matrix(files, discrete=True, progress=False, **kw)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "matrix": m.to_numpy().tolist(), "rows": int(m.attrs.get("n_rows", 0) or 0)}


def _table(records: dict[str, Record]) -> list[str]:
    shown = {
        "weighted/dmi": 'dmi, `weights="w"` (10M rows standing for about 20M)',
        "unweighted/dmi": "dmi, the same 10M rows, no weights",
        "fractional/dmi": 'dmi, `weights="s"`: survey weights (float64 counts)',
        "expanded/dmi": "dmi, the expansion (each row repeated w times)",
        "weighted/numpy": "numpy floor: weighted `np.bincount` per pair, in memory",
    }
    lines = ["| method | time (s) | peak memory |", "| --- | ---: | ---: |"]
    for method, what in shown.items():
        r = records.get(method)
        if r is not None:
            lines.append(f"| {what} | {r.median:.2f} ({r.runs(2)}) | {r.peak_mib / 1024:.2f} GiB |")
    weighted, plain, expanded = (records.get(m) for m in ("weighted/dmi", "unweighted/dmi", "expanded/dmi"))
    notes = [""]
    if weighted is not None and plain is not None:
        notes.append(
            "Weighted / unweighted pass on the same rows: "
            f"**{weighted.median / plain.median:.2f}x** (target <= 1.2x)."
        )
    fractional = records.get("fractional/dmi")
    if fractional is not None and plain is not None:
        notes.append(
            f"Fractional (survey) weights / unweighted pass: **{fractional.median / plain.median:.2f}x**."
        )
    if weighted is not None and expanded is not None:
        same = weighted.reply["matrix"] == expanded.reply["matrix"]
        notes.append(
            f"The weighted matrix and the expansion's are {'equal bit for bit' if same else 'DIFFERENT'} "
            f"({len(COLUMNS)} columns, {len(COLUMNS) * (len(COLUMNS) - 1) // 2} pairs and the entropies); "
            f"the expansion takes {expanded.median / weighted.median:.2f}x the weighted table's time."
        )
    return lines + notes


BENCH = Bench(
    name="weights",
    title="Frequency weights: a weighted table, its expansion, the same rows unweighted (issue 28)",
    methods=METHODS,
    measure=measure,
    describe=lambda args: (
        "10,000,000 rows in 10 Parquet files, eight discrete columns (2 to 50 values) and a weight "
        "column of 1 to 3; each run a fresh process on 2 cores after an untimed call on one file "
        "(the numpy floor: its arrays in memory before the timer). Medians of the runs, each run's "
        "time in brackets."
    ),
    table=_table,
    prepare=prepare,
)

if __name__ == "__main__":
    main(BENCH)
