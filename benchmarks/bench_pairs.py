"""Wide tables: dmi.top_pairs against the dense matrix and a correlation matrix, in one run.

    python benchmarks/run.py pairs --methods mixed-300/top,mixed-300/dense --repeat 3
    python benchmarks/run.py pairs --methods growth-300/top,growth-300/corr --repeat 1

Cases (each method in a fresh child process; time and peak memory of its process tree):

- ``mixed-P``: P columns as feature tables hold them: 40% small integer codes, 10% strings,
  10% booleans, 40% floats (a fifth rounded to 0.1), 5% missing; each column a noisy
  function of one of 12 latent factors, every seventh independent. Methods: the dense
  ``mutual_info_matrix`` (where ``--dense`` allows it), ``top_pairs(k=10)``, and pandas'
  Pearson ``corr()`` on the numeric columns (the table already in memory: the speed of a
  correlation, not of reading). **Recall** of ``top_pairs`` against the dense matrix of
  the same run: over the pairs with exact MI >= 0.02 nats, each column's 10 strongest must
  be reported (a partner tied with the 10th fills its place alike); and **exactness**:
  every reported value equals the dense one.
- ``planted-P``: P columns of 100,000 rows: 100 groups of 20 noisy copies of a factor,
  the rest independent noise. Every planted column's 10 partners must be its group.
- ``munin-1041``: the MUNIN network (1,041 discrete variables; its BIF file ships in the
  pgmpy wheel, downloaded once without installing it) forward-sampled in numpy
  (``_bif.py``): a real wide table of categories, recall against the dense matrix.

The table is written once as Parquet under ``--data`` (row groups of 50,000 rows). Writes
the section "Wide tables" of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _harness import HERE, Bench, Record, main

TAU = 0.02


def mixed(p: int, n: int, seed: int = 0, part: int = 0):
    """``n`` rows (slice ``part`` of the table) of the mixed table: its columns' latent
    factors and weights depend on ``seed`` only, their values on ``part`` too."""
    import pandas as pd

    shape = np.random.default_rng(seed)
    weights = [0.0 if j % 7 == 0 else shape.uniform(0.3, 2.0) for j in range(p)]
    factors = shape.integers(0, 12, p)
    rng = np.random.default_rng([seed, part])
    latent = rng.normal(size=(n, 12))
    out = {}
    for j in range(p):
        v = weights[j] * latent[:, factors[j]] + rng.normal(size=n)
        kind = j % 10
        if kind < 4:
            col = pd.array(np.digitize(v, [-0.8, 0.0, 0.8]), dtype="Int64")
        elif kind == 4:
            col = pd.array(
                np.array(list("pqrstu"), dtype=object)[np.digitize(v, [-1.2, -0.4, 0.4, 1.2, 2])], dtype="str"
            )
        elif kind == 5:
            col = pd.array(v > 0.5, dtype="boolean")
        elif kind in (6, 7):
            col = np.round(v, 1) if (j // 10) % 5 == 0 and kind == 6 else v
        else:
            col = np.exp(v / 2) if kind == 8 else np.sin(v)
        series = pd.Series(col)
        out[f"m{j:05d}"] = series.where(rng.random(n) >= 0.05)
    return pd.DataFrame(out)


def planted(p: int, n: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    groups, size = 100, 20
    latent = rng.normal(size=(n, groups))
    out = {}
    for j in range(p):
        g = j // size
        out[f"p{j:05d}"] = latent[:, g] + 0.7 * rng.normal(size=n) if g < groups else rng.normal(size=n)
    return pd.DataFrame(out)


def table(root: Path, case: str, rows: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name, p = case.rsplit("-", 1)
    path = root / f"{case}-{rows}.parquet"
    if path.exists():
        return path
    if name == "munin":
        pq.write_table(munin(root, rows), path, row_group_size=50_000)
    elif name == "planted" and int(p) > 2_000:  # written in slices of rows: the frame would not fit
        # float32 (as sensors store them): 10,000 columns x 100,000 rows are 4 GB instead of 8
        with pq.ParquetWriter(path, pa.schema([(f"p{j:05d}", pa.float32()) for j in range(int(p))])) as w:
            for s in range(0, rows, 10_000):
                frame = planted(int(p), min(10_000, rows - s), seed=s + 1).astype(np.float32)
                w.write_table(pa.Table.from_pandas(frame, preserve_index=False), row_group_size=10_000)
    elif name == "mixed":  # written in slices of rows: a wide table of 1M rows would not fit
        writer = None
        for part, s in enumerate(range(0, rows, 100_000)):
            piece = pa.Table.from_pandas(
                mixed(int(p), min(100_000, rows - s), part=part), preserve_index=False
            )
            writer = writer or pq.ParquetWriter(path, piece.schema)
            writer.write_table(piece, row_group_size=50_000)
        assert writer is not None
        writer.close()
    else:
        frame = planted(int(p), rows)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=50_000)
    return path


def munin(root: Path, rows: int):
    """MUNIN (1,041 discrete variables, the BIF file of the pgmpy wheel) forward-sampled,
    each column dictionary-encoded with its state names."""
    import pyarrow as pa
    from _bif import bif_text, forward_sample, read_bif

    nodes = read_bif(bif_text("munin", root))
    codes = forward_sample(nodes, rows, seed=0)
    return pa.table(
        {v: pa.DictionaryArray.from_arrays(pa.array(c), pa.array(nodes[v].states)) for v, c in codes.items()}
    )


def run_one(method: str, path: str, out: str) -> dict:
    """One method on the table at ``path`` (its result written to ``out``): seconds and what
    the result says of its work."""
    import pandas as pd

    import dmi

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    extra: dict = {}
    if method == "dense":
        result = dmi.mutual_info_matrix(path)
        result.to_parquet(out)
    elif method == "top":
        result = dmi.top_pairs(path, k=10)
        result.to_parquet(out)
        extra = {k: result.attrs[k] for k in ("candidates", "pairs", "screen_bins")}
        extra["phases"] = result.attrs["seconds"]
    elif method == "top-cluster":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
            with Client(c):
                import pyarrow.parquet as pq

                # warm-up on a few columns: the workers import dmi and load its compiled kernels
                dmi.top_pairs(path, columns=pq.read_schema(path).names[:40], k=10)
                start = time.perf_counter()
                result = dmi.top_pairs(path, k=10)
        result.to_parquet(out)
        extra = {k: result.attrs[k] for k in ("candidates", "pairs", "screen_bins")}
        extra["phases"] = result.attrs["seconds"]
    else:  # pandas' Pearson on the numeric columns, the table already in memory
        frame = pd.read_parquet(path)
        numeric = frame.select_dtypes("number")
        start = time.perf_counter()
        numeric.corr()
    return {"seconds": time.perf_counter() - start, **extra}


def median_run(measured: list[tuple[dict, int]]) -> tuple[dict, int]:
    """Runs of one method as one: the median run's result (its seconds and phases), every
    run's seconds under ``runs``, the largest peak."""
    results, peaks = zip(*measured, strict=True)
    middle = sorted(range(len(results)), key=lambda i: results[i]["seconds"])[len(results) // 2]
    result = dict(results[middle])
    result["runs"] = [r["seconds"] for r in results]
    return result, max(peaks)


def recall(dense_path: Path, top_path: Path, k: int = 10) -> tuple[float, int, bool]:
    """Share of each column's k strongest pairs above TAU (dense) that top_pairs reported;
    their number; whether every reported value equals the dense one.

    Ties count as one: where a column's k-th and (k+1)-th partners have the same MI (to
    1e-9 relative; MUNIN has columns that are functions of one another), any of the tied
    partners fills the k-th place.
    """
    import pandas as pd

    dense = pd.read_parquet(dense_path)
    top = pd.read_parquet(top_path)
    names = list(dense.columns)
    values = dense.to_numpy()
    iu = np.triu_indices(len(names), 1)
    long = pd.DataFrame({"x": np.array(names)[iu[0]], "y": np.array(names)[iu[1]], "mi": values[iu]})
    long = long[long["mi"] >= TAU]
    both = pd.concat([long.rename(columns={"x": "c", "y": "o"}), long.rename(columns={"y": "c", "x": "o"})])
    found = {frozenset(p) for p in zip(top["x"], top["y"], strict=True)}
    wanted = got = 0
    for c, partners in both.groupby("c"):
        mi = partners["mi"].to_numpy()
        order = np.argsort(-mi, kind="stable")
        places = min(k, len(order))
        kth = mi[order[places - 1]]
        tied = np.isclose(mi, kth, rtol=1e-9, atol=0)
        above = (mi > kth) & ~tied
        is_found = np.array([frozenset((c, o)) in found for o in partners["o"]])
        wanted += places
        got += int((above & is_found).sum()) + min(places - int(above.sum()), int((tied & is_found).sum()))
    exact = all(dense.loc[x, y] == mi for x, y, mi in zip(top["x"], top["y"], top["mi"], strict=True))
    return got / max(1, wanted), wanted, exact


def screen_ranks(path: Path, dense_path: Path, k: int = 10) -> dict:
    """How deep the screen must look: for each column's ``k`` strongest partners above TAU
    in the dense matrix, the rank the partner had among its column's partners in the screen
    (the better of the pair's two columns), and how many a screen keeping ``f * k`` partners
    per column would miss."""
    import pandas as pd

    from dmi._engine import wide
    from dmi._engine.request import check_options, prepare

    req = prepare(str(path), None, check_options())
    labels, p = req.labels, len(req.labels)
    screen = wide.Screen(wide.screen_bins(p), 10 * k, None, p - 1)
    found, _ = wide.screen_scores(req.basis.source, labels, req.kinds, req.opts, screen)
    column = np.concatenate([found.i, found.j])
    other = np.concatenate([found.j, found.i])
    order = np.lexsort((-np.concatenate([found.score, found.score]), column))  # by column, best first
    column, other = column[order], other[order]
    rank = np.arange(column.size) - np.searchsorted(column, np.arange(p))[column] + 1
    ranks = dict(zip(zip(column.tolist(), other.tolist(), strict=True), rank.tolist(), strict=True))
    dense = pd.read_parquet(dense_path)
    position = {name: i for i, name in enumerate(labels)}
    names = [position[c] for c in dense.columns]
    values = dense.to_numpy()
    needed, kinds = [], []
    for a in range(len(names)):
        mi = values[a].copy()
        mi[a] = -np.inf
        for b in np.argsort(-mi, kind="stable")[:k]:
            if mi[b] < TAU:
                break
            x, y = names[a], names[int(b)]
            needed.append(min(ranks.get((x, y), 10**9), ranks.get((y, x), 10**9)))
            kinds.append("".join(sorted(req.kinds[c][0] for c in (x, y))))
    needed_arr = np.array(needed)
    deep = needed_arr > 2 * k
    return {
        "places": int(needed_arr.size),
        "median": float(np.median(needed_arr)),
        "p99": float(np.percentile(needed_arr, 99)),
        "deepest": int(needed_arr.max()),
        "missed": {f: int((needed_arr > f * k).sum()) for f in (1, 2, 3)},
        "deep_kinds": {
            kd: int(n) for kd, n in zip(*np.unique(np.array(kinds)[deep], return_counts=True), strict=True)
        },
    }


def planted_found(top_path: Path, p: int, size: int = 20, k: int = 10) -> float:
    """Share of planted columns whose reported partners are k of their group."""
    import pandas as pd

    top = pd.read_parquet(top_path)
    ok = 0
    planted = min(p, 100 * size)
    for j in range(planted):
        name = f"p{j:05d}"
        mine = top[(top["x"] == name) | (top["y"] == name)]
        partners = (set(mine["x"]) | set(mine["y"])) - {name}
        group = {f"p{i:05d}" for i in range((j // size) * size, (j // size + 1) * size)}
        ok += len(partners & group) >= k
    return ok / planted


CASES = {"mixed-300": 1_000_000, "mixed-1000": 1_000_000, "munin-1041": 1_000_000}
CASE_METHODS = {
    "mixed-300": ("dense", "top", "corr"),
    "mixed-1000": ("dense", "top", "corr", "top-cluster"),
    "munin-1041": ("dense", "top"),
}
GROWTH_ROWS = 100_000
GROWTH = (300, 1_000, 3_000, 10_000, 30_000)
GROWTH_CORR = (300, 1_000)  # pandas corr() of wider tables of 100k rows did not fit: not run


def _methods() -> list[str]:
    cases = [f"{case}/{m}" for case, methods in CASE_METHODS.items() for m in methods]
    growth = [f"growth-{p}/top" for p in GROWTH] + [f"growth-{p}/corr" for p in GROWTH_CORR]
    return [*cases, *growth, *(f"ranks/{case}" for case in CASES)]


def _where(method: str, data: Path) -> tuple[str, str, int, Path, Path]:
    """A method's case, what runs, its rows, its table and where its result goes."""
    case, what = method.split("/")
    if case == "ranks":
        case, what = what, "ranks"
    rows = GROWTH_ROWS if case.startswith("growth") else CASES[case]
    name = case.replace("growth", "planted")
    path = table(data, name, rows)
    return name, what, rows, path, data / f"{name}-{rows}-{what}.result.parquet"


def measure(method: str, args: argparse.Namespace) -> dict:
    """One run of a method in this (child) process; a top_pairs run is checked against the
    dense result when there is one (recall and exactness), a planted one against its groups."""
    case, what, rows, path, out = _where(method, args.data)
    p = int(case.rsplit("-", 1)[1])
    if what == "ranks":
        dense = args.data / f"{case}-{rows}-dense.result.parquet"
        start = time.perf_counter()
        ranks = screen_ranks(path, dense)
        return {"seconds": time.perf_counter() - start, "rows": rows, **ranks}
    reply = {**run_one(what, str(path), str(out)), "rows": rows, "p": p}
    dense = args.data / f"{case}-{rows}-dense.result.parquet"
    if what.startswith("top") and dense.exists():
        share, places, exact = recall(dense, out)
        reply.update(recall=share, places=places, exact=exact)
    if what.startswith("top") and case.startswith("planted"):
        reply["found"] = planted_found(out, p)
    return reply


def _prepare(args: argparse.Namespace) -> None:
    args.data.mkdir(parents=True, exist_ok=True)
    for method in [m for m in args.methods.split(",") if m] or _methods():
        _where(method, args.data)


def _seconds(r: Record) -> str:
    text = f"{r.median:.1f} s"
    return text + (f" (median of {r.runs()})" if len(r.seconds) > 1 else "")


def _case_rows(records: dict[str, Record]) -> list[str]:
    rows = [
        "| table | method | time | peak memory | pairs computed | recall (top 10 >= 0.02 nats) | exact "
        "| dmi at |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case, methods in CASE_METHODS.items():
        for what in methods:
            r = records.get(f"{case}/{what}")
            if r is None:
                continue
            label = f"{case} x {CASES[case]:,}"
            at = r.reply.get("commit") or r.machine.rsplit("dmi at ", 1)[-1]
            p = int(case.rsplit("-", 1)[1])
            computed = {"dense": f"{p * (p - 1) // 2:,}", "corr": "every numeric pair"}.get(what, "")
            check = exact = ""
            name = what
            if what.startswith("top"):
                computed = f"{r.reply['candidates']:,} of {p * (p - 1) // 2:,}"
                if "recall" in r.reply:
                    check = f"{r.reply['recall']:.1%} of {r.reply['places']:,} places"
                    exact = "yes" if r.reply["exact"] else "NO"
                phases = r.reply["phases"]
                name += f" (screen {phases['screen']:.0f} s, refine {phases['refine']:.0f} s)"
            cells = [label, name, _seconds(r), f"{r.peak_bytes / 2**30:.2f} GiB", computed, check, exact, at]
            rows.append(f"| {' | '.join(cells)} |")
    return [
        *rows,
        "",
        "`corr` is pandas' Pearson matrix of the numeric columns, on the table already in memory. Recall: of "
        "each column's 10 strongest partners above 0.02 nats in the dense matrix (places: a column with 4 "
        "such partners has 4), the share top_pairs reported; partners tied with the 10th (equal MI to 1e-9) "
        "fill its place alike.",
    ]


def _growth_rows(records: dict[str, Record]) -> list[str]:
    rows = [
        "| columns | pairs | top_pairs time | screen | refine | candidates | peak memory | planted found | "
        "corr() time | corr() memory | dmi at |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    points = []
    for p in GROWTH:
        top, corr = records.get(f"growth-{p}/top"), records.get(f"growth-{p}/corr")
        if top is None:
            continue
        at = top.reply.get("commit") or top.machine.rsplit("dmi at ", 1)[-1]
        s = top.reply["phases"]
        points.append({"p": p, "method": "top", "seconds": top.median, "peak": top.peak_bytes, "phases": s})
        c = "not run | "
        if corr is not None:
            c = f"{corr.median:.1f} s | {corr.peak_bytes / 2**30:.2f} GiB"
            points.append({"p": p, "method": "corr", "seconds": corr.median, "peak": corr.peak_bytes})
        rows.append(
            f"| {p:,} | {p * (p - 1) // 2:,} | {_seconds(top)} | {s['screen']:.1f} s "
            f"({s['screen'] / top.median:.0%}) | {s['refine']:.1f} s | {top.reply['candidates']:,} | "
            f"{top.peak_bytes / 2**30:.2f} GiB | {top.reply['found']:.1%} | {c} | {at} |"
        )
    if points:
        _growth_plot(points)
    return [
        *rows,
        "",
        f"Planted tables of {GROWTH_ROWS:,} rows (100 groups of 20 noisy copies of a factor, the rest "
        "independent noise; float32 Parquet past 2,000 columns), `top_pairs(k=10)` from the Parquet file; "
        "pandas' Pearson `corr()` on the table already in memory (the speed of a correlation).",
        "",
        "![top_pairs and corr() as columns grow](pairs_growth.png)",
    ]


def _ranks_rows(records: dict[str, Record]) -> list[str]:
    rows = [
        "| table | places | median rank | 99th percentile | deepest | missed keeping 1k / 2k / 3k "
        "| kinds of the pairs ranked below 2k |",
        "|---|---|---|---|---|---|---|",
    ]
    for case, n in CASES.items():
        if (r := records.get(f"ranks/{case}")) is None:
            continue
        got = r.reply
        deep = ", ".join(f"{kinds}: {k}" for kinds, k in got["deep_kinds"].items()) or "none"
        missed = " / ".join(str(got["missed"][str(f)]) for f in (1, 2, 3))
        rows.append(
            f"| {case} x {n:,} | {got['places']:,} | {got['median']:.0f} | {got['p99']:.0f} | "
            f"{got['deepest']} | {missed} | {deep} |"
        )
    return [
        *rows,
        "",
        "For each column's 10 strongest partners above 0.02 nats in the dense matrix, the rank the partner "
        "had among its column's partners in the screen (the better of the pair's two columns). `top_pairs` "
        "keeps 3k = 30 partners per column. Kinds: c continuous, d discrete, a integer (discrete or "
        "continuous as the pass finds it).",
    ]


def _table(records: dict[str, Record]) -> list[str]:
    return [
        "### top_pairs beside the dense matrix and a correlation matrix",
        "",
        *_case_rows(records),
        "",
        "### As the columns grow (`--methods growth-300/top,...`)",
        "",
        *_growth_rows(records),
        "",
        "### How deep the screen must look (`--methods ranks/mixed-1000,...`, after the dense runs)",
        "",
        *_ranks_rows(records),
    ]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=HERE / "data", help="where the tables are written (once)"
    )


BENCH = Bench(
    name="pairs",
    title="Wide tables: `top_pairs` (issue 25)",
    methods=_methods(),
    measure=measure,
    describe=lambda args: (
        "A fresh process per run; the median of the runs shown (memory: the largest peak of a run's process "
        "tree). Rows measured at other sittings say their commit in the last column."
    ),
    table=_table,
    options=_options,
    prepare=_prepare,
    runs=lambda method, repeat: (
        1 if method.startswith(("ranks", "growth")) or method.endswith("dense") else repeat
    ),
)


def _growth_plot(kept: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for method, label in (("top", "dmi.top_pairs(k=10)"), ("corr", "pandas corr() (in memory)")):
        runs = sorted((v for v in kept if v["method"] == method), key=lambda v: v["p"])
        if not runs:
            continue
        p = [v["p"] for v in runs]
        left.loglog(p, [v["seconds"] for v in runs], "o-", label=label)
        right.loglog(p, [v["peak"] / 2**30 for v in runs], "o-", label=label)
        if method == "top":
            left.loglog(p, [v["phases"]["screen"] for v in runs], "o--", label="its screen")
    left.set(xlabel="columns", ylabel="seconds", title="time")
    right.set(xlabel="columns", ylabel="GiB", title="peak memory")
    left.legend()
    left.grid(True, which="both", alpha=0.3)
    right.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(HERE / "pairs_growth.png", dpi=100)


if __name__ == "__main__":
    main(BENCH)
