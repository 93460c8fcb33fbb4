"""What a command writes: the files of ``--out`` and ``--plot`` (checked before any work,
written atomically) and the numbers it prints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from dmi.cli.arguments import (
    OUTPUT_FORMATS,
    UsageError,
)
from dmi.cli.cluster import _say


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output files dmi cannot write before any work is done."""
    tables = [("--out", args.out), ("--pairs-out", getattr(args, "pairs_out", None))]  # pairs: dmi drift
    for option, table in tables:
        if table is not None and table.suffix.lower() not in OUTPUT_FORMATS:
            raise UsageError(
                f"{option}: unknown format {table.suffix or '(none)'!r}; use one of {OUTPUT_FORMATS}"
            )
    if args.plot is not None:
        if args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise UsageError(f"--plot: use a .png, .svg or .pdf file, got {str(args.plot)!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'dmi[plot]'") from None
    for path in (*(table for _, table in tables), args.plot):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {str(path)!r}: no directory {str(path.parent)!r}")


def _format(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


def _strongest(mi: pd.DataFrame, symmetric: bool) -> list[tuple[str, str, float]]:
    """The off-diagonal cells (each pair once when ``symmetric``), largest first, NaN left out."""
    names, values = [str(c) for c in mi.columns], mi.to_numpy(dtype=float)
    cells = [
        (names[i], names[j], float(values[i, j]))
        for i in range(len(names))
        for j in range(len(names))
        if (j > i or (not symmetric and j != i)) and not math.isnan(values[i, j])
    ]
    return sorted(cells, key=lambda cell: -cell[2])


def _plot_pairs(table: pd.DataFrame, path: Path) -> None:
    from dmi import plot

    top = table.head(30)
    series = pd.Series(
        top["mi"].to_numpy(), index=[f"{x} ~ {y}" for x, y in zip(top["x"], top["y"], strict=True)]
    )
    series.attrs = {"unit": table.attrs["unit"]}
    _savefig(plot.bar(series), path)


def _drift_axes(result: Any) -> Any:
    from dmi import plot

    return plot.drift(result)[0]


def _write(args: argparse.Namespace, result: pd.DataFrame | pd.Series, plot: Any) -> None:
    if args.out is not None:
        _write_table(args, result, args.out)
    if args.plot is not None:
        with _atomic(args.plot) as tmp:
            plot(tmp)
        _say(args, f"Drew {args.plot}")


def _write_table(args: argparse.Namespace, result: pd.DataFrame | pd.Series, path: Path) -> None:
    with _atomic(path) as tmp:
        _save(result, tmp, path.suffix.lower())
    _say(args, f"Wrote {path}")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed onto it only when the block succeeds."""
    # Not mkstemp, which makes the file private (0600): created with 0666 less the
    # user's umask, the result gets the mode of any other file the user writes.
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{path.suffix}"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _save(result: pd.DataFrame | pd.Series, path: Path, fmt: str) -> None:
    frame = result.to_frame("mi") if isinstance(result, pd.Series) else result
    frame = frame.copy()
    frame.attrs = {}
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    if fmt == ".csv":
        frame.to_csv(path)
    elif fmt == ".parquet":
        frame.to_parquet(path)
    elif not all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes):  # a table of records
        records = [
            {k: _plain(v) for k, v in row.items()} for row in frame.reset_index().to_dict(orient="records")
        ]
        doc_records = {"unit": result.attrs.get("unit"), "records": records}
        path.write_text(json.dumps(doc_records, indent=1) + "\n")
    else:  # exact floats (pandas' to_json keeps 15 digits), NaN as null
        rows = [[None if math.isnan(v) else v for v in row] for row in frame.to_numpy(dtype=float).tolist()]
        doc = {
            "unit": result.attrs.get("unit"),
            "index": list(frame.index),
            "columns": list(frame.columns),
            "data": rows,
        }
        path.write_text(json.dumps(doc, indent=1) + "\n")


def _plain(value: Any) -> Any:
    """A cell as JSON holds it: NaN and NA as null, numpy numbers as Python numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _plot_matrix(mi: pd.DataFrame, path: Path) -> None:
    from dmi import plot

    _savefig(plot.heatmap(mi), path)


def _plot_series(mi: pd.Series, path: Path) -> None:
    from dmi import plot

    _savefig(plot.bar(mi), path)


def _plot_selection(steps: pd.DataFrame, path: Path) -> None:
    from dmi import plot

    _savefig(plot.selection(steps), path)


def _savefig(ax: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure = ax.figure
    figure.savefig(path, dpi=120, bbox_inches="tight", format=path.suffix.lstrip(".").lower())
    plt.close(figure)
