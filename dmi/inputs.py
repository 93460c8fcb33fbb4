"""Files read lazily, with the options a big table needs: :func:`scan_parquet` and :func:`scan_csv`.

Every dmi function takes ``data`` as a pandas or Dask DataFrame, a polars ``DataFrame`` or
``LazyFrame``, a pyarrow ``Table`` or ``Dataset``, or paths. A path is read as Parquet,
or as CSV when it ends in ``.csv``/``.tsv`` (compressed or not). These two functions say
more about how to read the files; nothing is read until a result is computed::

    import dmi
    data = dmi.scan_parquet("s3://bucket/events/", filters=[("year", "==", 2026)],
                            storage_options={"anon": True})
    mi = dmi.mutual_info_matrix(data)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from dmi._inputs.scan import Scan
from dmi._typing import PathLike


def _path_list(paths: PathLike | Sequence[PathLike]) -> tuple[str, ...]:
    if isinstance(paths, str | os.PathLike):
        return (os.fspath(paths),)
    if isinstance(paths, Sequence) and paths and all(isinstance(p, str | os.PathLike) for p in paths):
        return tuple(os.fspath(p) for p in paths)
    raise TypeError(f"paths must be a path, glob or a non-empty list of them; got {paths!r}")


def _check_storage_options(storage_options: Any) -> dict[str, Any] | None:
    if storage_options is not None and not isinstance(storage_options, dict):
        raise TypeError(f"storage_options must be a dict or None, got {type(storage_options).__name__}")
    return storage_options


def scan_parquet(
    paths: PathLike | Sequence[PathLike],
    *,
    filters: Any = None,
    storage_options: dict[str, Any] | None = None,
) -> Scan:
    """Parquet files (paths, directories or globs; local or remote) to read lazily.

    Parameters
    ----------
    paths : str, pathlib.Path or list of them
        Files, directories (read recursively) or globs; any fsspec URL: ``s3://``,
        ``gs://``, ``abfs://``, ``memory://``... Hive partition folders below a directory
        (``year=2026/month=11/part-0.parquet``) become columns (integers when every value
        is one, else strings).
    filters : list or pyarrow.compute.Expression, optional
        The rows to keep, spelled as for ``pyarrow.parquet.read_table`` and
        ``dask.dataframe.read_parquet``: ``[("year", "==", 2026), ("kind", "in", ["a",
        "b"])]`` (all hold) or a list of such lists (any holds), or a pyarrow expression.
        Files are pruned by their partition values and row groups by their statistics
        before anything is read; the rest are filtered row by row. A list reads only the
        columns it names; an expression reads every column with each piece.
    storage_options : dict, optional
        Passed to fsspec for the file system (credentials, ``anon``, endpoints...).

    Returns
    -------
    Scan
        Pass it as ``data`` to any dmi function.

    Notes
    -----
    Each row keeps its identity (its file and position in the file) through a filter, so
    the sample of a filtered table holds the same rows as the sample of the unfiltered
    one would, where they match. With filters the number of rows is known only after the
    pass.

    Examples
    --------
    >>> import pandas as pd, dmi, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> df = pd.DataFrame({"a": [1, 2, 1, 2], "b": list("xyxy")})
    >>> for year in (2025, 2026):
    ...     (root / f"year={year}").mkdir()
    ...     df.to_parquet(root / f"year={year}" / "0.parquet")
    >>> data = dmi.scan_parquet(root, filters=[("year", "==", 2026)])
    >>> dmi.mutual_info_table(data, ["a", "b", "year"])[["x", "y", "n"]].values.tolist()
    [['a', 'b', 4], ['a', 'year', 4], ['b', 'year', 4]]
    """
    if filters is not None:
        import pyarrow.compute as pc

        if not isinstance(filters, list | pc.Expression):
            raise TypeError(
                "filters must be a list of (column, op, value) tuples, a list of such lists, or a "
                f"pyarrow.compute.Expression; got {type(filters).__name__}"
            )
    options: dict[str, Any] = {"filters": filters, "storage_options": _check_storage_options(storage_options)}
    return Scan("parquet", _path_list(paths), {k: v for k, v in options.items() if v is not None})


def scan_csv(
    paths: PathLike | Sequence[PathLike],
    *,
    sep: str | None = None,
    dtype: dict[str, Any] | None = None,
    blocksize: int | None = 64 * 2**20,
    sample_rows: int = 10_000,
    storage_options: dict[str, Any] | None = None,
    **read_csv_kwargs: Any,
) -> Scan:
    """CSV or TSV files (paths or globs; compressed or not; local or remote) to read lazily.

    Column types are decided once, before the pass, from the first ``sample_rows``
    rows of the first file (as ``pandas.read_csv`` infers them), then every block of
    every file is read with those types, so a column cannot change type between blocks.
    Integer columns are read as pandas' nullable ``Int64`` (a missing value later in the
    file is then not an error), booleans as ``boolean``, text as ``str``. A block whose
    values do not fit the decided type stops the pass with a ValueError naming the file,
    the column, a value and the ``dtype=`` to pass. Only the columns a call needs are
    parsed.

    Parameters
    ----------
    paths : str, pathlib.Path or list of them
        Files or globs (``data/*.csv``, ``s3://bucket/2026-*.csv.gz``).
    sep : str, optional
        The delimiter; default ``"\\t"`` for ``.tsv``/``.tab`` files, else ``","``.
    dtype : dict, optional
        Types of some columns (``{"zip": "str"}``), overriding the decided ones.
    blocksize : int or None, default 64 MiB
        Bytes per partition of an uncompressed file; None reads each file whole.
        Compressed files are always read whole. A quoted field holding a line break needs
        ``blocksize=None``.
    sample_rows : int, default 10,000
        Rows of the first file the types are decided from.
    storage_options : dict, optional
        Passed to fsspec for the file system.
    **read_csv_kwargs
        Passed to ``pandas.read_csv`` (``na_values``, ``decimal``, ``encoding``,
        ``quotechar``...). Not ``usecols``, ``names``, ``header``, ``nrows``, ``skiprows``
        or ``chunksize``, which dmi sets.

    Returns
    -------
    Scan
        Pass it as ``data`` to any dmi function.
    """
    from dmi._inputs.csv import check_options

    options = check_options(
        sep=sep,
        dtype=dtype,
        blocksize=blocksize,
        sample_rows=sample_rows,
        storage_options=_check_storage_options(storage_options),
        read_csv_kwargs=read_csv_kwargs,
    )
    return Scan("csv", _path_list(paths), options)
