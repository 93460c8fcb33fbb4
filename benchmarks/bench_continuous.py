"""Continuous and mixed MI: dmi against scikit-learn and ennemi, side by side, in one run.

1. One KSG pair (bivariate Gaussian, rho = 0.6) at n = 1e4, 1e5, 1e6: dmi's public API
   (the whole call: hashing, sample, Dask) and its kernel alone, against
   ``sklearn.feature_selection.mutual_info_regression`` and ``ennemi.estimate_mi``;
   values and times.
2. One Ross pair (1e5 rows) with 16 and with 1000 classes against
   ``mutual_info_classif``; sklearn's own seed-to-seed spread is shown beside the
   difference (at 1e5 points the closest pairs are ~1e-10 apart, the size of the
   tie-breaking jitter).
3. The whole mixed matrix, 12 discrete + 6 continuous columns, 10M rows from Parquet,
   sample 100,000, end to end with peak memory (process tree), against the
   discrete-only matrix (the 12 discrete columns) on the same files.

Writes its section of ``benchmarks/RESULTS.md``. Usage::

    python benchmarks/run.py continuous [--rows 10000000] [--repeat 3] [--methods ksg-100000-dmi-api,...]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import Bench, Record, example_parquet, main

DISCRETE_COLUMNS = [f"c{i:02d}" for i in range(10)] + ["city", "grade"]


def ensure_mixed_data(rows: int, root: Path) -> Path:
    """The mixed benchmark table: 10 int + 2 string + 6 float columns."""
    return example_parquet(root, "mixed", rows, n_int_columns=10, n_float_columns=6)


def ksg_kernel(px, py, rows):
    """The KSG kernel of one pair, its axes included (what one pair of a matrix costs)."""
    from dmi._math.jitter import axis
    from dmi._math.knn import ksg

    return ksg(axis(px, rows, py.order), axis(py, rows, px.order), 3)


def ross_kernel(pc, labels, rows):
    from dmi._math.jitter import axis
    from dmi._math.knn import ross

    return ross(axis(pc, rows, np.flatnonzero(rows)), labels, 3)


KSG_SIZES = (10_000, 100_000, 1_000_000)
ROSS_ROWS, ROSS_CLASSES = 100_000, (16, 1000)
KSG_WHO, ROSS_WHO = ("dmi-api", "dmi-kernel", "sklearn", "ennemi"), ("dmi-api", "dmi-kernel", "sklearn")
MATRICES = {"matrix-discrete-only": 66, "matrix-mixed": 153}


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    """Seconds of one call of ``fn`` after a first, untimed one (kernels compiled and loaded)."""
    fn(*args, **kwargs)
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def ksg_pair(n: int, who: str) -> dict:
    """One KSG pair (bivariate Gaussian, rho 0.6) of ``n`` rows by one method: its time and value."""
    import pandas as pd

    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    y = 0.6 * x + 0.8 * rng.standard_normal(n)
    if who == "dmi-api":
        import dmi

        seconds, m = _timed(
            dmi.mutual_info_matrix, pd.DataFrame({"x": x, "y": y}), sample_size=n, random_state=0
        )
        return {"seconds": seconds, "value": float(m.loc["x", "y"])}
    if who == "dmi-kernel":
        from dmi._math.jitter import prepare

        px, py = prepare(x, np.random.default_rng(1)), prepare(y, np.random.default_rng(2))
        seconds, out = _timed(ksg_kernel, px, py, np.ones(n, dtype=bool))
        return {"seconds": seconds, "value": float(out[0])}
    if who == "sklearn":
        from sklearn.feature_selection import mutual_info_regression

        seconds, out = _timed(mutual_info_regression, x[:, None], y, n_neighbors=3, random_state=0)
        return {"seconds": seconds, "value": float(out[0])}
    import ennemi

    seconds, out = _timed(ennemi.estimate_mi, y, x, k=3)
    return {"seconds": seconds, "value": float(np.ravel(out)[0])}


def ross_pair(classes: int, who: str) -> dict:
    """One Ross pair of ``ROSS_ROWS`` rows and ``classes`` classes by one method; sklearn's run
    also reports its own seed-to-seed spread (untimed)."""
    import pandas as pd

    rng = np.random.default_rng(classes)
    d = rng.integers(0, classes, ROSS_ROWS)
    c = d / classes + 0.3 * rng.standard_normal(ROSS_ROWS)
    if who == "dmi-api":
        import dmi

        kw = {"sample_size": ROSS_ROWS, "random_state": 0, "discrete": ["d"]}  # d: class labels
        seconds, out = _timed(dmi.mutual_info_with, pd.DataFrame({"d": d, "c": c}), "d", **kw)
        return {"seconds": seconds, "value": float(out["c"])}
    if who == "dmi-kernel":
        from dmi._math.jitter import prepare

        pc = prepare(c, np.random.default_rng(1))
        seconds, out = _timed(ross_kernel, pc, d, np.ones(ROSS_ROWS, dtype=bool))
        return {"seconds": seconds, "value": float(out[0])}
    from sklearn.feature_selection import mutual_info_classif

    seconds, out = _timed(mutual_info_classif, c[:, None], d, n_neighbors=3, random_state=0)
    sk = float(out[0])
    seeds = [float(mutual_info_classif(c[:, None], d, n_neighbors=3, random_state=r)[0]) for r in range(1, 4)]
    return {"seconds": seconds, "value": sk, "spread": (max([sk, *seeds]) - min([sk, *seeds])) / sk}


def run_matrix(path: Path, which: str) -> dict:
    """In a child: the mixed or the discrete-only matrix of the Parquet files."""
    import dmi

    glob = str(sorted(path.glob("*.parquet"))[0])
    columns = DISCRETE_COLUMNS if which == "discrete-only" else None
    # the c columns are integer codes (categories), as are city and grade; the f columns numbers
    codes = DISCRETE_COLUMNS
    dmi.mutual_info_matrix(glob, columns=["c00", "f00"], discrete=["c00"], random_state=0)  # compile/load

    from dask.diagnostics import Profiler

    with Profiler() as prof:
        start = time.perf_counter()
        dmi.mutual_info_matrix(str(path / "*.parquet"), columns=columns, discrete=codes, random_state=0)
        seconds = time.perf_counter() - start
    # Where the time went: the pass ends with the last merge; the k-NN stage is the rest.
    t0 = min(r.start_time for r in prof.results)
    end = {}
    for r in prof.results:
        name = str(r.key[0] if isinstance(r.key, tuple) else r.key)
        stage = "pass" if name.startswith(("read", "dmi-chunk", "dmi-merge")) else "knn"
        end[stage] = max(end.get(stage, 0.0), r.end_time - t0)
    return {"seconds": seconds, "pass": end["pass"], "knn": end.get("knn", end["pass"]) - end["pass"]}


def measure(method: str, args: argparse.Namespace) -> dict:
    kind, *rest = method.split("-", 2)
    if kind == "matrix":
        got = run_matrix(ensure_mixed_data(args.rows, args.data), method.removeprefix("matrix-"))
        return {**got, "rows": args.rows}
    size, who = rest
    return ksg_pair(int(size), who) if kind == "ksg" else ross_pair(int(size), who)


def _table(records: dict[str, Record]) -> list[str]:
    lines: list[str] = []
    got = [m for m in MATRICES if m in records]
    if got:
        rows = records[got[0]].reply.get("rows")
        lines += [
            f"### Whole matrix, {rows:,} rows from Parquet (sample 100,000 for the k-NN pairs)",
            "",
            "| matrix | pairs | median time (s) | runs (s) | the pass (s) | k-NN stage (s) "
            "| peak RSS (MiB) |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        for m in got:
            r = records[m]
            cells = [m.removeprefix("matrix-"), str(MATRICES[m]), f"{r.median:.2f}", r.runs(2)]
            cells += [f"{r.reply['pass']:.2f}", f"{r.reply['knn']:.2f}", f"{r.peak_mib:.0f}"]
            lines.append(f"| {' | '.join(cells)} |")
        if len(got) == 2:
            mixed, discrete = records["matrix-mixed"], records["matrix-discrete-only"]
            lines += [
                "",
                f"Mixed / discrete-only time: {mixed.median / discrete.median:.2f}x. 'The pass' ends when "
                "the last merge of counts and sample finishes (reading included); the k-NN stage is the "
                "rest: preparing the sample and its 87 KSG/Ross pairs (the first run's stages). The mixed "
                f"pass alone is {mixed.reply['pass'] / discrete.reply['pass']:.2f}x the discrete-only pass.",
            ]
        lines.append("")
    lines += [
        "### One KSG pair (bivariate Gaussian, rho = 0.6, k = 3)",
        "",
        "| n | closed form | dmi | sklearn | ennemi | dmi API (s) | dmi kernel (s) | sklearn (s) "
        "| ennemi (s) | sklearn / dmi API | sklearn / dmi kernel |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in KSG_SIZES:
        r = {who: records.get(f"ksg-{n}-{who}") for who in KSG_WHO}
        if None in r.values():
            continue
        api, kernel, sk, en = (r[w] for w in KSG_WHO)
        values = [-0.5 * math.log(1 - 0.36), api.reply["value"], sk.reply["value"], en.reply["value"]]
        times = [api.median, kernel.median, sk.median, en.median]
        cells = [f"{n:,}", *(f"{v:.6f}" for v in values), *(f"{t:.3f}" for t in times)]
        cells += [f"{sk.median / api.median:.1f}x", f"{sk.median / kernel.median:.1f}x"]
        lines.append(f"| {' | '.join(cells)} |")
    lines += [
        "",
        f"### One Ross pair ({ROSS_ROWS:,} rows, k = 3)",
        "",
        "| classes | dmi | sklearn | rel. diff | sklearn seed spread | dmi API (s) | dmi kernel (s) "
        "| sklearn (s) | sklearn / dmi API | sklearn / dmi kernel |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for classes in ROSS_CLASSES:
        r = {who: records.get(f"ross-{classes}-{who}") for who in ROSS_WHO}
        if None in r.values():
            continue
        api, kernel, sk = (r[w] for w in ROSS_WHO)
        value, ref = api.reply["value"], sk.reply["value"]
        cells = [str(classes), f"{value:.6f}", f"{ref:.6f}", f"{abs(value - ref) / ref:.1e}"]
        cells += [f"{sk.reply['spread']:.1e}", *(f"{t.median:.3f}" for t in (api, kernel, sk))]
        cells += [f"{sk.median / api.median:.1f}x", f"{sk.median / kernel.median:.1f}x"]
        lines.append(f"| {' | '.join(cells)} |")
    return lines


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the whole-matrix table")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")


BENCH = Bench(
    name="continuous",
    title="Continuous and mixed MI (issue 3)",
    methods=[
        *MATRICES,
        *(f"ksg-{n}-{who}" for n in KSG_SIZES for who in KSG_WHO),
        *(f"ross-{c}-{who}" for c in ROSS_CLASSES for who in ROSS_WHO),
    ],
    measure=measure,
    describe=lambda args: (
        "Each run a fresh process timing one call after an untimed first one; medians of the runs shown "
        "(one run at 1e6 rows); every method on the same rows. 'dmi API' is the whole public call (row keys, "
        "sample, Dask graph); 'dmi kernel' the estimator alone, as sklearn's time is its estimator."
    ),
    table=_table,
    options=_options,
    prepare=lambda args: ensure_mixed_data(args.rows, args.data),
    runs=lambda method, repeat: 1 if "-1000000-" in method else repeat,
)


if __name__ == "__main__":
    main(BENCH)
