"""Feature selection on 1M rows x 200 columns: dmi's four methods beside scikit-learn and mrmr_selection.

The table (made once under --data, 4 Parquet files): a binary target ``y`` explained by
5 informative features (3 discrete, 2 continuous), each with 2 noisy copies (the
redundant groups), and 185 noise columns (130 discrete of 2-20 values, 55 continuous).
Each method selects 20 features; reported: the time (median of --repeat runs, each in a
fresh process), dmi's passes over the data, how many of the 5 planted groups have a
member among the selected features, and how many selected features are pure noise.

* dmi: ``select_features(path, "y", 20, method=...)`` from the Parquet files (the
  significance stop may end it before 20).
* scikit-learn: ``SelectKBest(mutual_info_classif, k=20)`` on the table in memory would
  take hours on one core; its time is measured on 10 of the columns (6 discrete with
  ``discrete_features``, 4 continuous) at the full 1M rows and scaled to 200 columns
  (said so in the table). Its selection is taken from the full run's ranking of those
  10 columns only, so no recovery numbers are given for it.
* mrmr_selection: ``mrmr.mrmr_classif(X, y, K=20)`` (its pandas path: F-statistic
  relevance, Pearson redundancy) on the table in memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import Bench, Record, main

ROWS = 1_000_000
GROUPS = ["g0", "g1", "g2", "g3", "g4"]
METHODS = ["dmi-mim", "dmi-mrmr", "dmi-jmi", "dmi-cmim", "mrmr_selection", "sklearn-10-columns"]


def table(root: Path) -> Path:
    """The benchmark table as 4 Parquet files (made once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = root / f"select-{ROWS}"
    if (path / "_done").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    per = ROWS // 4
    for f in range(4):
        rng = np.random.default_rng(100 + f)
        cols: dict[str, np.ndarray] = {}
        informative = [
            rng.integers(0, 4, per),
            rng.integers(0, 6, per),
            rng.integers(0, 3, per),
            rng.standard_normal(per),
            rng.standard_normal(per),
        ]
        for g, x in enumerate(informative):
            cols[f"g{g}"] = x
            for copy in range(2):
                if x.dtype.kind == "f":
                    cols[f"g{g}_copy{copy}"] = x + 0.5 * rng.standard_normal(per)
                else:
                    flip = rng.random(per) < 0.25
                    cols[f"g{g}_copy{copy}"] = np.where(flip, rng.integers(0, x.max() + 1, per), x)
        for j in range(130):
            cols[f"d{j:03d}"] = rng.integers(0, 2 + j % 19, per)
        for j in range(55):
            cols[f"c{j:03d}"] = rng.standard_normal(per)
        logit = (
            0.6 * (informative[0] - 1.5)
            + 0.4 * (informative[1] == 2)
            - 0.7 * (informative[2] == 0)
            + 0.8 * informative[3]
            + 0.5 * np.sin(2 * informative[4])
        )
        cols["y"] = (rng.random(per) < 1 / (1 + np.exp(-logit))).astype(np.int64)
        pq.write_table(pa.table(cols), path / f"part-{f}.parquet")
    (path / "_done").write_text("ok")
    return path


def _recovery(selected: list[str]) -> tuple[int, int]:
    groups = {s.split("_")[0] for s in selected if s.startswith("g")}
    noise = sum(not s.startswith("g") for s in selected)
    return len(groups), noise


def run(method: str, path: Path) -> dict:
    """In a child: one method; seconds, passes and what it selected."""
    import pandas as pd

    if method.startswith("dmi-"):
        import dmi

        dmi.select_features(str(path / "part-0.parquet"), "y", 2, columns=["g0", "g3"], method="mim")  # warm
        start = time.perf_counter()
        steps = dmi.select_features(str(path / "*.parquet"), "y", 20, method=method[4:], random_state=0)
        seconds = time.perf_counter() - start
        selected = steps["feature"].tolist()
        return {"seconds": seconds, "passes": steps.attrs["passes"], "selected": selected}
    frame = pd.read_parquet(path)
    y = frame.pop("y")
    if method == "mrmr_selection":
        import mrmr

        start = time.perf_counter()
        selected = mrmr.mrmr_classif(X=frame, y=y, K=20, show_progress=False)
        return {"seconds": time.perf_counter() - start, "passes": None, "selected": list(selected)}
    from sklearn.feature_selection import SelectKBest, mutual_info_classif

    cols = ["g0", "g1", "d000", "d001", "d050", "d100", "g3", "c000", "c001", "c002"]
    mask = np.array([c.startswith(("g0", "g1", "d")) for c in cols])
    start = time.perf_counter()
    SelectKBest(lambda X, t: mutual_info_classif(X, t, discrete_features=mask, random_state=0), k=5).fit(
        frame[cols].to_numpy(), y
    )
    measured = time.perf_counter() - start
    return {"seconds": measured * 200 / len(cols), "measured": measured, "passes": None, "selected": []}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")


def _describe(args: argparse.Namespace | None) -> str:
    return (
        "1M rows x 200 columns (5 informative features, 2 noisy copies of each, 185 noise columns; binary "
        "target), select 20. Medians of the runs shown (scikit-learn: one run); each run a fresh process."
    )


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "| method | selected | median (s) | runs (s) | passes | planted groups found (of 5) "
        "| noise selected | peak RSS (MiB) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for method in METHODS:
        if method not in records:
            continue
        r = records[method]
        reply = r.reply
        groups, noise = _recovery(reply["selected"]) if reply["selected"] else ("-", "-")
        name = (
            f"scikit-learn `SelectKBest(mutual_info_classif)`: {reply['measured']:.1f} s for 10 columns, x 20"
            if method == "sklearn-10-columns"
            else method
        )
        passes = reply["passes"] if reply["passes"] is not None else "-"
        cells = [name, len(reply["selected"]) or "-", f"{r.median:.1f}", r.runs(), passes, groups, noise]
        lines.append(f"| {' | '.join(str(c) for c in cells)} | {r.peak_mib:.0f} |")
    chosen = [f"{m}: {', '.join(records[m].reply['selected'])}" for m in METHODS[:5] if m in records]
    return [*lines, "", "Selections: " + "; ".join(chosen), ""]


BENCH = Bench(
    name="select",
    title="Feature selection (issue 15)",
    methods=METHODS,
    measure=lambda method, args: run(method, table(args.data)),
    describe=_describe,
    table=_table,
    options=_options,
    prepare=lambda args: table(args.data),
    runs=lambda method, repeat: 1 if method == "sklearn-10-columns" else repeat,
)


if __name__ == "__main__":
    main(BENCH)
