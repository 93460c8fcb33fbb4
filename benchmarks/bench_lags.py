"""Time-lagged MI: dmi's ``lags=`` against ennemi's lagged ``estimate_mi``, on the same rows and lags.

    python benchmarks/run.py lags [--repeat 3]

The data: ``COLUMNS`` continuous columns of a vector autoregression (each column now
follows two others one and three rows back, with noise), 100,000 rows in memory. Every
column now against every column at lags 0..24 (lag 0: each pair once):

- ``100k/dmi``: ``mutual_info_matrix(frame, lags=range(25))`` (the sample of 100,000
  rows holds every row: the same rows as ennemi);
- ``100k/ennemi``: ``ennemi.estimate_mi(frame[y], frame, lag=range(25), k=3)`` for each
  ``y`` (its lagged pairwise MI, two threads); ennemi crops every lag to the rows the
  largest lag leaves, so its values differ from dmi's by that much data.
- ``10m-20cols/dmi``: 20 continuous columns (each the sum of two neighbours' noise one
  row apart) x 10,000,000 rows in 10 Parquet files, lags 0..24, the default sample of
  100,000 rows: out of core, the target is 3 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import Bench, Record, main

ROWS, COLUMNS, LAGS = 100_000, 4, tuple(range(25))
METHODS = ("100k/dmi", "100k/ennemi", "10m-20cols/dmi")
BIG = Path(tempfile.gettempdir()) / "dmi-bench-lags-10m"


def frame(rows: int = ROWS, p: int = COLUMNS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.zeros((rows, p))
    noise = rng.normal(size=(rows, p))
    for t in range(3, rows):
        x[t] = 0.5 * np.roll(x[t - 1], 1) + 0.4 * np.roll(x[t - 3], 2) + noise[t]
    return pd.DataFrame(x, columns=[f"s{i}" for i in range(p)])


def prepare(args: argparse.Namespace) -> None:
    """The 10M-row files (once)."""
    if (BIG / "_done").exists() or not any(
        m.startswith("10m") for m in (args.methods.split(",") if args.methods else METHODS)
    ):
        return
    BIG.mkdir(parents=True, exist_ok=True)
    for k in range(10):
        rng = np.random.default_rng(k)
        noise = rng.normal(size=(1_000_001, 20))
        x = noise[1:] + 0.5 * np.roll(noise, 1, axis=1)[:-1]  # column i now: column i-1's noise a row back
        pd.DataFrame(x, columns=[f"s{i}" for i in range(20)]).to_parquet(
            BIG / f"part-{k:02d}.parquet", index=False
        )
    (BIG / "_done").write_text("ok")


def measure(method: str, args: argparse.Namespace) -> dict:
    if method.startswith("10m"):
        import dmi

        files = sorted(str(p) for p in BIG.glob("*.parquet"))
        dmi.mutual_info_matrix(frame().iloc[:2_000], lags=[0, 1])  # untimed: kernels loaded
        start = time.perf_counter()
        m = dmi.mutual_info_matrix(files, lags=LAGS)
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "cells": int(m.notna().to_numpy().sum()),
            "s1_s0_lag1": float(m.loc[(1, "s1"), "s0"]),
        }
    data = frame()
    if method.endswith("dmi"):
        import dmi

        dmi.mutual_info_matrix(data.iloc[:2_000], lags=[0, 1])  # untimed: kernels loaded
        start = time.perf_counter()
        m = dmi.mutual_info_matrix(data, lags=LAGS, sample_size=ROWS)
        seconds = time.perf_counter() - start
        cells = int(m.notna().to_numpy().sum())
        return {"seconds": seconds, "cells": cells, "s1_s0_lag1": float(m.loc[(1, "s1"), "s0"])}
    import ennemi

    start = time.perf_counter()
    out = {y: ennemi.estimate_mi(data[y], data, lag=list(LAGS), k=3, max_threads=2) for y in data.columns}
    seconds = time.perf_counter() - start
    cells = sum(int(np.isfinite(v.to_numpy()).sum()) for v in out.values())
    return {"seconds": seconds, "cells": cells, "s1_s0_lag1": float(out["s1"].loc[1, "s0"])}


def _table(records: dict[str, Record]) -> list[str]:
    shown = {
        "100k/dmi": "dmi, `mutual_info_matrix(frame, lags=range(25))`, one pass",
        "100k/ennemi": "ennemi, `estimate_mi(frame[y], frame, lag=range(25))` per column",
        "10m-20cols/dmi": "dmi, 20 columns x 10M rows from Parquet, lags 0..24 (sample of 100,000 rows)",
    }
    lines = ["| method | time (s) | cells | I(s1_t; s0_t-1) |", "| --- | ---: | ---: | ---: |"]
    for method, what in shown.items():
        r = records.get(method)
        if r is not None:
            x = r.reply
            lines.append(f"| {what} | {r.median:.1f} ({r.runs()}) | {x['cells']:,} | {x['s1_s0_lag1']:.4f} |")
    ours, theirs = records.get("100k/dmi"), records.get("100k/ennemi")
    if ours is not None and theirs is not None:
        lines += [
            "",
            f"ennemi / dmi at 100,000 rows: **{theirs.median / ours.median:.1f}x** (target >= 10x).",
        ]
    big = records.get("10m-20cols/dmi")
    if big is not None:
        lines.append(
            f"20 columns x 10M rows x 25 lags from Parquet: **{big.median:.0f} s** (target <= 180 s)."
        )
    return lines


BENCH = Bench(
    name="lags",
    title="Time-lagged MI: dmi against ennemi (issue 28)",
    methods=METHODS,
    measure=measure,
    describe=lambda args: (
        f"{ROWS:,} rows, {COLUMNS} continuous columns (a vector autoregression), lags 0..24: every "
        "column now against every column before; and 20 columns x 10M rows from Parquet. Each run a "
        "fresh process on 2 cores (dmi after an untimed call on 2,000 rows); ennemi and the 10M case "
        "one run. Medians, each run's time in brackets."
    ),
    table=_table,
    prepare=prepare,
    runs=lambda method, repeat: 1 if method.endswith("ennemi") or method.startswith("10m") else repeat,
)

if __name__ == "__main__":
    main(BENCH)
