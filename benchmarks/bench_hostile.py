"""Scale edges: a 500-column table, and an identifier column with millions of values,
with and without the ``max_categories`` cap.

    python benchmarks/run.py hostile [--repeat 3] [--methods wide,wide-with]

Each configuration runs in a fresh child process; time from the call to the result,
peak RSS of the process tree (threaded scheduler, 2 threads). The identifier data sets
are Parquet files of 1M rows, written once to a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _harness import Bench, Record, main

_DATA = Path(tempfile.gettempdir()) / "dmi-bench-hostile"


def identifier_parquet(name: str) -> Path:
    """``id`` (a shuffled or a sequential identifier), ``city`` (40 values) and ``flag``,
    as Parquet files of 1M rows in a temporary directory (written once, never committed)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    order, rows = name.split("-")
    root = _DATA / name
    if (root / "_done").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n = int(rows)
    ident = rng.permutation(n) if order == "perm" else np.arange(n)
    for i, start in enumerate(range(0, n, 1_000_000)):
        stop = min(start + 1_000_000, n)
        table = pa.table(
            {
                "id": ident[start:stop],
                "city": rng.integers(0, 40, stop - start),
                "flag": rng.integers(0, 2, stop - start),
            }
        )
        pq.write_table(table, root / f"part-{i:04d}.parquet")
    (root / "_done").touch()
    return root


def wide_cardinal_parquet() -> Path:
    """30 columns of 1,000 values each, 2M rows, as Parquet files of 1M rows (written once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = _DATA / "wide-cardinal"
    if (root / "_done").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(2):
        pq.write_table(
            pa.table({f"z{c:02d}": rng.integers(0, 1_000, 1_000_000).astype(np.int16) for c in range(30)}),
            root / f"part-{i}.parquet",
        )
    (root / "_done").touch()
    return root


def child(which: str) -> dict:
    import numpy as np
    import pandas as pd

    import dmi

    rng = np.random.default_rng(0)
    if which.startswith("cardinal"):  # 435 pairs of 1,000 x 1,000 tables
        import dask

        budget = 2**50 if which == "cardinal-one-pass" else "2 GiB"
        start = time.perf_counter()
        with dask.config.set({"dmi.table-memory": budget}):
            mi = dmi.mutual_info_matrix(wide_cardinal_parquet(), discrete=True)
        return {"seconds": time.perf_counter() - start, "z00_z01": float(mi.loc["z00", "z01"])}
    if which.startswith("wide"):
        n = 100_000
        frame = pd.DataFrame({f"c{i:03d}": rng.integers(0, 5, n).astype(np.int8) for i in range(500)})
        start = time.perf_counter()
        if which == "wide-with":
            dmi.mutual_info_with(frame, "c000", discrete=True)
        else:
            dmi.mutual_info_matrix(frame, discrete=True)
    else:  # id-{perm,seq}-{rows}[-uncapped]: Parquet files written by the parent
        _, order, rows, *uncapped = which.split("-")
        frame = identifier_parquet(f"{order}-{rows}")
        cap = None if uncapped else 1_000_000
        start = time.perf_counter()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmi.IdentifierWarning)
            warnings.simplefilter("ignore", dmi.MaxCategoriesWarning)
            mi = dmi.mutual_info_matrix(frame, max_categories=cap, discrete=True)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "id_city": float(mi.loc["id", "city"])}
    return {"seconds": time.perf_counter() - start}


CASES = {
    "wide": "500 int8 columns x 100,000 rows, all 124,750 pairs",
    "wide-with": "the same table, mutual_info_with one target (499 pairs)",
    "cardinal-one-pass": "30 columns of 1,000 values x 2M rows (435 pairs), one pass (no memory limit)",
    "cardinal-blocks": "the same, default dmi.table-memory (2 GiB): passes of pair blocks",
    "id-perm-1000000-uncapped": "shuffled identifier x city x flag, 1M rows, max_categories=None",
    "id-perm-4000000-uncapped": "the same, 4M rows, max_categories=None",
    "id-perm-16000000-uncapped": "the same, 16M rows, max_categories=None",
    "id-perm-4000000": "shuffled identifier, 4M rows, default cap (1M): NaN + warning",
    "id-perm-16000000": "shuffled identifier, 16M rows, default cap: NaN + warning",
    "id-seq-4000000": "row-number identifier, 4M rows, default cap: exact",
    "id-seq-16000000": "row-number identifier, 16M rows, default cap: exact",
    "id-perm-32000000": "shuffled identifier, 32M rows, default cap: NaN + warning",
}


def _prepare(args: argparse.Namespace) -> None:
    """The data sets of the chosen cases, written once (not timed)."""
    for which in [m for m in args.methods.split(",") if m] or CASES:
        if which.startswith("id-"):
            identifier_parquet("-".join(which.split("-")[1:3]))
        if which.startswith("cardinal"):
            wide_cardinal_parquet()


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "| case | median time (s) | runs (s) | peak RSS (MiB) | MI(id; city) or MI(z00; z01) (nats) |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for which, label in CASES.items():
        if which in records:
            r = records[which]
            mi = r.reply.get("id_city", r.reply.get("z00_z01"))
            shown = "" if mi is None else f"{mi:.6f}"
            lines.append(f"| {label} | {r.median:.2f} | {r.runs(2)} | {r.peak_mib:.0f} | {shown} |")
    return [
        *lines,
        "",
        "Reading the table:",
        "- With the default `max_categories`, an identifier column is folded once a merge sees more",
        "  values than the cap, and memory levels off as the rows grow; a row-number identifier keeps",
        "  its exact MI (= H(city)). Without the cap, memory and time grow with the rows.",
        "- Pair blocks: the one-pass run holds all 435 pair tables at once; with the default",
        "  `dmi.table-memory` the summaries refuse to, and the pairs are counted in blocks (a pass per",
        "  block, reading only its columns). Same MI, to the bit.",
        "- The uncapped identifier at 16M rows pays for that guard: its two big pair tables exceed a",
        "  summary's share of `dmi.table-memory` in the last merge, so a first attempt is abandoned",
        "  and each pair gets its own pass; the peak stays about the same, because the column's 16M",
        "  values, not its tables, dominate. The cap is the remedy (or a larger `dmi.table-memory`).",
    ]


BENCH = Bench(
    name="hostile",
    title="Scale edges (issue 7)",
    methods=list(CASES),
    measure=lambda which, args: child(which),
    describe=lambda args: (
        "Medians of the runs shown, each in a fresh process; peak RSS of the process tree (data included)."
    ),
    table=_table,
    prepare=_prepare,
)


if __name__ == "__main__":
    main(BENCH)
