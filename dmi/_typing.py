"""Type aliases shared across dmi's modules."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Hashable, Sequence
from typing import Literal, TypeAlias, Union

import numpy as np
import numpy.typing as npt

IntArray: TypeAlias = npt.NDArray[np.int64]

PathLike: TypeAlias = Union[str, "os.PathLike[str]"]

# every form of ``data`` (``dmi._engine.request.DataLike``), described once
DATA_FORMS: dict[str, str] = {
    "pandas DataFrame": "read in slices, without a copy",
    "Dask DataFrame": "its partitions, on the active scheduler",
    "polars DataFrame": "converted to pandas one slice at a time",
    "polars LazyFrame": "each partition collects its own slice of the query",
    "pyarrow Table": "converted to pandas one slice at a time",
    "pyarrow Dataset": "as Parquet files when it is one, else one fragment per partition",
    "Parquet": "a file, directory or glob (str or pathlib.Path), or a list of them; "
    "dmi.scan_parquet(...) adds filters= and storage_options=",
    "CSV": "paths ending in .csv, .tsv or .tab, compressed (.gz, .bz2, .xz, .zst, .zip) or not; "
    "dmi.scan_csv(...) adds read options",
    "dmi.Summary": "from dmi.summarize or dmi.load, or the path of a .dmi file saved by "
    "Summary.save: nothing is read but the summary",
}
FILE_FORMS: tuple[str, ...] = ("Parquet", "CSV", "dmi.Summary")
"""The forms a command line takes: files (a command cannot take a DataFrame)."""


def describe_data(indent: int = 8) -> str:
    """:data:`DATA_FORMS` as the lines of a numpydoc ``data`` parameter."""
    pad = " " * indent
    intro = (
        "The table, in any of these forms (nothing is read until a result is computed, and each "
        "partition reads only the columns the call needs):"
    )
    lines = [*textwrap.wrap(intro, 88, initial_indent=pad, subsequent_indent=pad), ""]
    items = [f"- {name}: {how}" for name, how in DATA_FORMS.items()]
    for k, item in enumerate(items):
        end = "." if k == len(items) - 1 else ";"
        lines += textwrap.wrap(item + end, 88, initial_indent=pad, subsequent_indent=pad + "  ")
    return "\n".join(lines)


Label: TypeAlias = Hashable
Normalize: TypeAlias = Literal["arithmetic", "geometric", "min", "max"]
Method: TypeAlias = Literal["auto", "binned"]
SampleMode: TypeAlias = Literal["rows", "partitions"]
SplitEvery: TypeAlias = int | Literal[False] | None
RandomState: TypeAlias = int | np.random.Generator | None
Discrete: TypeAlias = Literal["auto"] | bool | Sequence[Hashable]
