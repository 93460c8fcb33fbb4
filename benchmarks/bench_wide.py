"""Wide numeric tables: the KSG matrix against a correlation matrix, side by side, in one run.

    python benchmarks/run.py wide [--data DIR] [--repeat 3] [--methods pandas-pearson,dmi-ksg,...]

1. **40 continuous columns x 1M rows** (4 Parquet files): pandas ``corr()`` (Pearson) and
   ``corr(method="spearman")`` on the table in memory (the read is not timed), dmi
   ``method="binned"``, dmi KSG with ``sample_size=20_000`` and with the defaults
   (``sample_size=100_000``), on threads and on a 2-worker ``LocalCluster`` (processes;
   cluster start-up and a warm-up call not timed). dmi reads the Parquet files itself.
   A few pairs of the default matrix are checked against scikit-learn's
   ``mutual_info_regression`` on the same sample rows.
2. **Growth**: dmi's KSG matrix at 10, 20, 40 and 80 columns (1M rows), and at sample sizes
   10k, 100k and 1M (10 columns); scikit-learn per pair at each sample size, times the
   number of pairs (one pair measured, the rest extrapolated: its cost does not depend on
   which columns), so a user can predict the cost of their table. Written as a table and
   as ``benchmarks/growth.png`` (shown in the README).

The table is made of 4 latent factors: column j is a random mix of them plus noise,
then (by j mod 4) left as is, exponentiated (skewed), rounded to 0.1 (ties, like
rounded measurements) or passed through ``sin`` (non-monotone). Every method runs in a
fresh child process; medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import HERE, Bench, Record, main

METHODS = ["pandas-pearson", "pandas-spearman", "dmi-binned", "dmi-ksg-20k", "dmi-ksg", "dmi-ksg-cluster"]


def wide_parquet(root: Path, columns: int, rows: int) -> Path:
    """The benchmark table: ``columns`` continuous columns as 4 Parquet files (made once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = root / f"wide-{columns}-{rows}"
    if (path / "_done").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    per = rows // 4
    for f in range(4):
        rng = np.random.default_rng(f)
        z = rng.standard_normal((per, 4))
        data = {}
        for j in range(columns):
            v = z @ np.random.default_rng(1000 + j).standard_normal(4) * 0.5 + rng.standard_normal(per)
            if j % 4 == 1:
                v = np.exp(v / 2)
            elif j % 4 == 2:
                v = np.round(v, 1)
            elif j % 4 == 3:
                v = np.sin(v) + 0.1 * rng.standard_normal(per)
            data[f"x{j:02d}"] = v
        pq.write_table(pa.table(data), path / f"part-{f}.parquet")
    (path / "_done").write_text("ok")
    return path


def run_method(method: str, path: Path, sample_size: int) -> dict:
    """In a child: one method on the table at ``path``; seconds (and checks)."""
    glob = str(path / "*.parquet")
    if method.startswith("pandas"):
        import pandas as pd

        frame = pd.read_parquet(path)
        start = time.perf_counter()
        frame.corr(method="spearman" if method == "pandas-spearman" else "pearson")
        return {"seconds": time.perf_counter() - start}
    import dmi

    first = str(sorted(path.glob("*.parquet"))[0])
    client = cluster = None
    if method == "dmi-ksg-cluster":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
        client.run(_warm_up, first)  # every worker loads the compiled kernels
    _warm_up(first)
    kwargs: dict = {"random_state": 0}
    if method == "dmi-binned":
        kwargs["method"] = "binned"
    elif method == "dmi-ksg-20k":
        kwargs["sample_size"] = 20_000
    else:
        kwargs["sample_size"] = sample_size
    start = time.perf_counter()
    m = dmi.mutual_info_matrix(glob, **kwargs)
    seconds = time.perf_counter() - start
    reply: dict = {"seconds": seconds}
    if client is not None:
        client.close()
        cluster.close()
    if method == "dmi-ksg" and sample_size == 100_000 and m.shape[0] >= 40:
        reply["sklearn"] = _check_against_sklearn(glob, m)
    return reply


def _warm_up(path: str) -> None:
    """Import dmi and load its compiled kernels in this process (not timed)."""
    import dask

    import dmi

    with dask.config.set(scheduler="sync"):
        dmi.mutual_info_matrix(path, columns=["x00", "x01", "x02"], sample_size=1000)


def _check_against_sklearn(glob: str, m) -> dict:
    """dmi's defaults beside scikit-learn on the same sample rows, for pairs of tie-free
    columns: the largest difference (nats), and scikit-learn's own spread over 3 seeds
    (each draws other tie-breaking noise; dmi draws its own)."""
    from sklearn.feature_selection import mutual_info_regression

    import dmi

    pairs = [("x00", "x01"), ("x00", "x03"), ("x01", "x03"), ("x04", "x07"), ("x05", "x08")]
    summary = dmi.summarize(glob, columns=sorted({c for p in pairs for c in p}), random_state=0)
    frame = summary.state.sample.frame.set_axis(list(summary.columns), axis=1)
    diff = spread = 0.0
    for a, b in pairs:
        x, y = frame[[a]].to_numpy(), frame[b].to_numpy()
        sk = [mutual_info_regression(x, y, n_neighbors=3, random_state=seed)[0] for seed in range(3)]
        diff = max(diff, abs(m.loc[a, b] - sk[0]))
        spread = max(spread, max(sk) - min(sk))
    return {"diff": diff, "spread": spread}


def sklearn_pair(sample_size: int) -> float:
    """In a child: seconds of scikit-learn's mutual_info_regression on one pair of the table."""
    from sklearn.feature_selection import mutual_info_regression

    rng = np.random.default_rng(0)
    x = rng.standard_normal(sample_size)
    y = 0.6 * x + 0.8 * rng.standard_normal(sample_size)
    start = time.perf_counter()
    mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=0)
    return time.perf_counter() - start


GROWTH_COLUMNS = (10, 20, 40, 80)
GROWTH_SAMPLES = (10_000, 100_000, 1_000_000)


def _methods() -> list[str]:
    growth = [f"growth-columns-{c}" for c in GROWTH_COLUMNS if c != 40]  # 40: the side-by-side's dmi-ksg
    growth += [f"growth-sample-{n}" for n in GROWTH_SAMPLES if n != 100_000]  # 100k: growth-columns-10
    return [*METHODS, *growth, *(f"sklearn-pair-{n}" for n in GROWTH_SAMPLES)]


def measure(method: str, args: argparse.Namespace) -> dict:
    if method.startswith("sklearn-pair-"):
        return {"seconds": sklearn_pair(int(method.removeprefix("sklearn-pair-")))}
    if method.startswith("growth-columns-"):
        columns = int(method.removeprefix("growth-columns-"))
        return run_method("dmi-ksg", wide_parquet(args.data, columns, 1_000_000), 100_000)
    if method.startswith("growth-sample-"):
        n = int(method.removeprefix("growth-sample-"))
        return run_method("dmi-ksg", wide_parquet(args.data, 10, 1_000_000), n)
    return run_method(method, wide_parquet(args.data, 40, 1_000_000), 100_000)


def _prepare(args: argparse.Namespace) -> None:
    for columns in sorted({40, *GROWTH_COLUMNS}):
        wide_parquet(args.data, columns, 1_000_000)


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "### 40 continuous columns x 1M rows (780 pairs), seed 0",
        "",
        "| method | median (s) | runs (s) | / spearman |",
        "| --- | ---: | --- | ---: |",
    ]
    spearman = records.get("pandas-spearman")
    for method in METHODS:
        if (r := records.get(method)) is not None:
            ratio = f"{r.median / spearman.median:.2f}x" if spearman is not None else "-"
            lines.append(f"| {method} | {r.median:.2f} | {r.runs(2)} | {ratio} |")
    if "dmi-ksg" in records and "sklearn" in records["dmi-ksg"].reply:
        check = records["dmi-ksg"].reply["sklearn"]
        lines += [
            "",
            "dmi's defaults against scikit-learn's `mutual_info_regression` on the same 100,000 sample "
            f"rows (5 pairs of tie-free columns): largest difference {check['diff']:.1e} nats; "
            f"scikit-learn's own spread over 3 seeds (other tie-breaking noise): {check['spread']:.1e} nats.",
        ]
    sk = {n: records[f"sklearn-pair-{n}"].median for n in GROWTH_SAMPLES if f"sklearn-pair-{n}" in records}
    by_columns = {c: records.get("dmi-ksg" if c == 40 else f"growth-columns-{c}") for c in GROWTH_COLUMNS}
    by_sample = {
        n: records.get("growth-columns-10" if n == 100_000 else f"growth-sample-{n}") for n in GROWTH_SAMPLES
    }
    if len(sk) < len(GROWTH_SAMPLES) or None in (*by_columns.values(), *by_sample.values()):
        return lines  # the growth needs all of its points
    lines += [
        "",
        "### Growth of the KSG matrix",
        "",
        "| columns | pairs | sample | dmi (s) | scikit-learn per pair x pairs (s) | ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    points: dict = {"columns": [], "sample": []}
    for columns, r in by_columns.items():
        pairs = columns * (columns - 1) // 2
        est = sk[100_000] * pairs
        points["columns"].append((columns, r.median, est))
        lines.append(
            f"| {columns} | {pairs} | 100,000 | {r.median:.2f} | {est:.0f} | {est / r.median:.0f}x |"
        )
    for n, r in by_sample.items():
        est = sk[n] * 45
        points["sample"].append((n, r.median, est))
        lines.append(f"| 10 | 45 | {n:,} | {r.median:.2f} | {est:.0f} | {est / r.median:.0f}x |")
    lines += [
        "",
        "scikit-learn per pair, measured on one pair: "
        + ", ".join(f"{sk[n]:.2f} s at {n:,} rows" for n in sorted(sk))
        + ". The dmi times include reading the Parquet files and the one pass.",
    ]
    plot(points)
    return lines


def plot(points: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, key, label in (
        (left, "columns", "continuous columns (1M rows, sample 100k)"),
        (right, "sample", "sample size (10 columns)"),
    ):
        xs = [p[0] for p in points[key]]
        ax.loglog(xs, [p[1] for p in points[key]], "o-", label="dmi (whole matrix)")
        ax.loglog(xs, [p[2] for p in points[key]], "s--", label="scikit-learn, per pair x pairs")
        names = [f"{x // 10**6}M" if x >= 10**6 else f"{x // 1000}k" if x >= 10**4 else str(x) for x in xs]
        ax.set_xticks(xs, names)
        ax.minorticks_off()
        ax.set_xlabel(label)
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle("Time of the KSG matrix on 2 cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(HERE / "growth.png", dpi=110)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")


BENCH = Bench(
    name="wide",
    title="Wide numeric tables",
    methods=_methods(),
    measure=measure,
    describe=lambda args: "Medians of the runs shown (one run at 1M sample rows); each run a fresh process.",
    table=_table,
    options=_options,
    prepare=_prepare,
    runs=lambda method, repeat: 1 if method.endswith("-1000000") else repeat,
)


if __name__ == "__main__":
    main(BENCH)
