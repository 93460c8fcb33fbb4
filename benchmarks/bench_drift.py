"""Drift between two versions of a table: dmi beside a DuckDB GROUP BY and pandas + scipy.

Two versions of dmi's example table (13 columns: 8 integer codes, 2 strings, 3 floats;
78 pairs), each 2 Parquet files of 1M rows. The later version has one planted column
shift (``c04``: a tenth of its rows set to 0) and one planted dependence change
(``c01``, a noisy copy of ``c00``, copies it more often). Measured, each in a fresh
process, median of ``--repeat`` runs:

* ``dmi.drift(before, after)``: one pass per version, then every column's G-test and
  every pair's permutation test, from the two summaries;
* ``dmi.drift(saved_summary, after)``: the nightly case, last month kept as a summary
  (one pass, over the new version only);
* DuckDB: ``GROUP BY`` each column and each pair of discrete columns per version, then
  the G-test of each column with scipy and each side's MI per pair (no test of the pairs'
  change: SQL has none); the floats binned with ``ntile`` per version would not give
  comparable bins, so they are left out (said in the table);
* pandas + scipy: read both versions, ``value_counts`` and ``chi2_contingency`` per
  column (no pairs).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import Bench, Record, main

ROWS_PER_FILE = 1_000_000
FILES = 2
EXAMPLE = {"n_int_columns": 8, "max_cardinality": 60, "n_float_columns": 3}


def make(root: Path) -> tuple[Path, Path]:
    import dmi

    before, after = root / "before", root / "after"
    if (root / "_done").exists():
        return before, after
    before.mkdir(parents=True, exist_ok=True)
    after.mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        dmi.make_example(ROWS_PER_FILE, random_state=100 + i, **EXAMPLE).to_parquet(
            before / f"part-{i}.parquet", index=False
        )
        frame = dmi.make_example(ROWS_PER_FILE, random_state=200 + i, **EXAMPLE)
        rng = np.random.default_rng(300 + i)
        frame.loc[rng.random(len(frame)) < 0.1, "c04"] = 0  # the planted column shift
        copy = rng.random(len(frame)) < 0.1  # c01 copies c00 a little more often
        frame.loc[copy, "c01"] = frame.loc[copy, "c00"] % (frame["c01"].max() + 1)
        frame.to_parquet(after / f"part-{i}.parquet", index=False)
    (root / "_done").write_text("ok")
    return before, after


def _discrete(columns: list[str]) -> list[str]:
    return [c for c in columns if not c.startswith("f")]


def run(method: str, root: Path) -> dict:
    before, after = root / "before", root / "after"
    if method.startswith("dmi"):
        import dmi

        b: object = str(before)
        if method == "dmi-summary":
            saved = root / "before.dmi"
            if not saved.exists():
                dmi.summarize(str(before)).save(saved)
            start = time.perf_counter()
            b = dmi.load(saved)
        else:
            start = time.perf_counter()
        result = dmi.drift(b, str(after), random_state=0)
        seconds = time.perf_counter() - start
        cols, pairs = result.columns, result.pairs
        return {
            "seconds": seconds,
            "drifted": cols.loc[cols["drifted"], "column"].tolist(),
            "changed": [f"{x}~{y}" for x, y in pairs.loc[pairs["changed"], ["x", "y"]].to_numpy()],
            "pairs": len(pairs),
        }
    if method == "duckdb":
        import duckdb
        import pyarrow.parquet as pq
        from scipy import stats
        from sklearn.metrics import mutual_info_score

        columns = _discrete(pq.read_schema(next(before.glob("*.parquet"))).names)
        start = time.perf_counter()
        con = duckdb.connect()
        drifted, mi = [], {}
        sides = {"b": f"'{before}/*.parquet'", "a": f"'{after}/*.parquet'"}
        for c in columns:
            both = (
                f"SELECT 'b' AS v, {c} FROM read_parquet({sides['b']}) "
                f"UNION ALL SELECT 'a', {c} FROM read_parquet({sides['a']})"
            )
            counts = con.sql(
                f"SELECT v, {c} AS x, count(*) AS n FROM ({both}) WHERE {c} IS NOT NULL GROUP BY ALL"
            ).df()
            table = counts.pivot_table(index="v", columns="x", values="n", fill_value=0).to_numpy()
            _, p, _, _ = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
            if p * len(columns) <= 0.05:
                drifted.append(c)
        for i, x in enumerate(columns):
            for y in columns[i + 1 :]:
                for v, path in sides.items():
                    cells = con.sql(
                        f"SELECT {x}, {y}, count(*) AS n FROM read_parquet({path}) "
                        f"WHERE {x} IS NOT NULL AND {y} IS NOT NULL GROUP BY ALL"
                    ).df()
                    table = cells.pivot_table(index=x, columns=y, values="n", fill_value=0).to_numpy()
                    mi[(x, y, v)] = mutual_info_score(None, None, contingency=table)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "drifted": drifted, "pairs": len(mi) // 2, "columns": len(columns)}
    import pandas as pd
    from scipy import stats

    start = time.perf_counter()
    old, new = pd.read_parquet(before), pd.read_parquet(after)
    drifted = []
    columns = _discrete(list(old.columns))
    for c in columns:
        table = pd.concat([old[c].value_counts(), new[c].value_counts()], axis=1).fillna(0).to_numpy().T
        _, p, _, _ = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
        if p * len(columns) <= 0.05:
            drifted.append(c)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "drifted": drifted, "pairs": 0, "columns": len(columns)}


NAMES = {
    "dmi": "dmi `drift(before, after)`: 2 passes, 13 columns, 78 pairs tested",
    "dmi-summary": "dmi `drift(load('before.dmi'), after)`: 1 pass, the same result",
    "duckdb": "DuckDB GROUP BY + scipy G-test: 10 discrete columns, 45 pairs' MI per side, no pair test",
    "pandas-scipy": "pandas `value_counts` + scipy G-test: 10 discrete columns, no pairs",
}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench-drift")


def _describe(args: argparse.Namespace | None) -> str:
    return (
        f"Two versions of {FILES * ROWS_PER_FILE:,} rows x 13 columns (Parquet), a planted shift of `c04` "
        "and a planted change of the dependence `c00 ~ c01`. Medians of the runs shown; each run a fresh "
        "process. Columns flagged: q <= 0.05 (dmi), Bonferroni p x columns <= 0.05 (the others)."
    )


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "| method | median (s) | runs (s) | columns flagged | pairs flagged | peak RSS (MiB) |",
        "| --- | ---: | --- | --- | --- | ---: |",
    ]
    for method in BENCH.methods:
        if method in records:
            r = records[method]
            changed = ", ".join(r.reply.get("changed", [])) or "-"
            drifted = ", ".join(r.reply["drifted"]) or "-"
            cells = [NAMES[method], f"{r.median:.1f}", r.runs(), drifted, changed, f"{r.peak_mib:.0f}"]
            lines.append(f"| {' | '.join(cells)} |")
    return lines


BENCH = Bench(
    name="drift",
    title="Drift between two versions (issue 16)",
    methods=list(NAMES),
    measure=lambda method, args: run(method, args.root),
    describe=_describe,
    table=_table,
    options=_options,
    prepare=lambda args: make(args.root),
)


if __name__ == "__main__":
    main(BENCH)
