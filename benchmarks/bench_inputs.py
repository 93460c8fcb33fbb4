"""The same table in every input form: time and memory from the files to the MI matrix.

dmi's example table (2M rows x 13 columns: 8 integer codes, 2 strings, 3 floats; 78 pairs)
written as 2 Parquet files, 2 CSV files and 2 gzip CSV files. Each method runs in a fresh
process, median of ``--repeat`` runs, the read included:

* dmi on the paths (Parquet, CSV, CSV.gz), on a pyarrow Dataset, a polars LazyFrame
  (``pl.scan_parquet``) and a polars DataFrame (``pl.read_parquet`` first);
* what users do without dmi's readers: ``pandas.read_csv`` of both files then dmi on the
  pandas frame, and ``dask.dataframe.read_csv`` then dmi on the Dask frame.

Every method's counted pairs (the integer and string columns) are checked equal to the
Parquet path's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _harness import Bench, Record, main

FILES = 2
ROWS_PER_FILE = 1_000_000
EXAMPLE = {"n_int_columns": 8, "max_cardinality": 60, "n_float_columns": 3}
COUNTED = ["c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "city", "grade"]


def make(root: Path) -> None:
    import dmi

    if (root / "_done").exists():
        return
    for sub in ("parquet", "csv", "gz"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        frame = dmi.make_example(ROWS_PER_FILE, random_state=i, **EXAMPLE)
        frame.to_parquet(root / "parquet" / f"part-{i}.parquet", index=False)
        frame.to_csv(root / "csv" / f"part-{i}.csv", index=False)
        frame.to_csv(root / "gz" / f"part-{i}.csv.gz", index=False)
    (root / "_done").write_text("ok")


def run(method: str, root: Path) -> dict:
    import dmi

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    if method == "dmi-parquet":
        data: object = str(root / "parquet")
    elif method == "dmi-csv":
        data = str(root / "csv" / "*.csv")
    elif method == "dmi-csv-gz":
        data = str(root / "gz" / "*.csv.gz")
    elif method == "dmi-pyarrow-dataset":
        import pyarrow.dataset as ds

        data = ds.dataset(str(root / "parquet"))
    elif method == "dmi-polars-lazy":
        import polars as pl

        data = pl.scan_parquet(str(root / "parquet" / "*.parquet"))
    elif method == "dmi-polars":
        import polars as pl

        data = pl.read_parquet(str(root / "parquet" / "*.parquet"))
    elif method == "pandas-read_csv":
        import pandas as pd

        data = pd.concat([pd.read_csv(p) for p in sorted((root / "csv").glob("*.csv"))], ignore_index=True)
    else:  # dask-read_csv
        import dask.dataframe as dd

        data = dd.read_csv(str(root / "csv" / "*.csv"))
    mi = dmi.mutual_info_matrix(data, random_state=0)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "counted": mi.loc[COUNTED, COUNTED].to_numpy().tolist()}


METHODS = [
    "dmi-parquet",
    "dmi-pyarrow-dataset",
    "dmi-polars-lazy",
    "dmi-polars",
    "dmi-csv",
    "dmi-csv-gz",
    "pandas-read_csv",
    "dask-read_csv",
]
NAMES = {
    "dmi-parquet": "dmi, Parquet directory",
    "dmi-pyarrow-dataset": "dmi, `pyarrow.dataset.dataset(dir)`",
    "dmi-polars-lazy": "dmi, polars `scan_parquet` (LazyFrame)",
    "dmi-polars": "polars `read_parquet`, then dmi on the DataFrame",
    "dmi-csv": "dmi, CSV glob",
    "dmi-csv-gz": "dmi, gzip CSV glob",
    "pandas-read_csv": "`pandas.read_csv` of each file + `concat`, then dmi",
    "dask-read_csv": "`dask.dataframe.read_csv`, then dmi",
}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench-inputs")


def _describe(args: argparse.Namespace | None) -> str:
    return (
        f"dmi's example table, {FILES * ROWS_PER_FILE:,} rows x 13 columns (78 pairs; 3 float columns on "
        f"the 100,000-row sample), as {FILES} files per form; from the files to the matrix, read included. "
        "Medians of the runs shown; each run a fresh process."
    )


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "| method | median (s) | runs (s) | peak RSS (MiB) | counted pairs equal to the Parquet path's |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    reference = records.get("dmi-parquet")
    for method in METHODS:
        if method not in records:
            continue
        r = records[method]
        same = (
            np.array_equal(r.reply["counted"], reference.reply["counted"], equal_nan=True)
            if reference
            else None
        )
        equal = {None: "-", True: "yes", False: "NO"}[same]
        lines.append(f"| {NAMES[method]} | {r.median:.2f} | {r.runs(2)} | {r.peak_mib:.0f} | {equal} |")
    return lines


BENCH = Bench(
    name="inputs",
    title="Input forms (issue 17)",
    methods=METHODS,
    measure=lambda method, args: run(method, args.root),
    describe=_describe,
    table=_table,
    options=_options,
    prepare=lambda args: make(args.root),
)


if __name__ == "__main__":
    main(BENCH)
