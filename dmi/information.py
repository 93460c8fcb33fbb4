"""Information of sets of columns: :func:`mutual_info` of two sets (given a third),
:func:`total_correlation` and :func:`interaction_information`, over all rows.

Discrete columns take the exact joint counts of all rows (one pass, the joint tables of
:mod:`dmi._math.joint_tables`); every entropy of one call is over the same rows, those
where each of its columns has a value (with ``dropna``). Continuous columns are cut into
``bins`` quantile bins of the sample first (:func:`total_correlation`,
:func:`interaction_information`, and :func:`mutual_info` with ``method='binned'``), or
take the Frenzel-Pompe / KSG k-NN estimate on the sample (:func:`mutual_info`, the
default).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any, Unpack

import numpy as np

from dmi._engine.basis import basis_of
from dmi._engine.columns import CONTINUOUS, DISCRETE
from dmi._engine.given_sets import ESTIMATES, check_disjoint, column_set, open_data
from dmi._engine.independence import CiTest, run_tests
from dmi._engine.keywords import Options
from dmi._engine.notes import Notes
from dmi._engine.request import DataLike, check_options
from dmi._engine.select import binned_view
from dmi._engine.signatures import BinnedKeywords, EstimatorKeywords, takes
from dmi._math.entropy import entropy
from dmi._math.estimators import to_base
from dmi._math.joint_tables import marginal
from dmi._pass import tables as tables_pass


def _entropy(table: np.ndarray) -> float:
    """Plug-in entropy in nats of a joint table of counts (NaN without rows)."""
    return entropy(np.asarray(table).ravel())


def _discrete_view(data: Any, columns: Sequence[Hashable], opts: Options, what: str) -> tuple[Any, Options]:
    """The data with its continuous (and many-valued integer) columns cut into ``opts.bins``
    quantile bins of the sample (one pass for the edges), and the options for counting it."""
    source, kinds = open_data(data, columns, opts, what)
    labels = list(columns)
    kind_list = tuple(kinds[c] for c in labels)
    if all(k == DISCRETE for k in kind_list):
        return source, opts
    notes = Notes()
    frame, _, _, _ = binned_view(source, labels, kind_list, opts, notes)
    notes.emit()
    counted = replace(opts, discrete=True)
    return open_data(frame, labels, counted, what)[0], counted


def _joint_table(data: Any, columns: Sequence[Hashable], opts: Options, what: str) -> np.ndarray:
    """The joint counts of ``columns`` over the rows where each has a value (binned first)."""
    source, counted = _discrete_view(data, columns, opts, what)
    spec = tables_pass.TablesSpec((tuple(columns),), counted.dropna)
    state = tables_pass.run(source, spec, counted.split_every, progress=counted.progress)
    assert state.tables is not None
    table = state.tables.counts[0]
    assert table is not None
    return table


@takes(EstimatorKeywords)
def mutual_info(
    data: DataLike,
    x: Hashable | Sequence[Hashable],
    y: Hashable | Sequence[Hashable],
    given: Hashable | Sequence[Hashable] = (),
    **options: Unpack[EstimatorKeywords],
) -> float:
    """Mutual information of two sets of columns, ``I(X;Y)``, or ``I(X;Y|given)``.

    ``x=["a", "b"]`` is the pair of columns as one variable: ``I(a,b;y)`` is what the
    two tell about ``y`` together (a feature set and a target), which can exceed the sum
    of what each tells alone (``a`` XOR ``b``).

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s) or dmi.Scan
    x, y : column name or list of column names
    given : column name or list of column names, default ()
    method : {'auto', 'binned'}, default 'auto'
        ``'auto'``: exact counts when every column is discrete, else the k-NN estimate
        on the sample (KSG's, or Frenzel-Pompe's with ``given``; discrete columns as
        strata). ``'binned'``: continuous columns cut into ``bins`` quantile bins first,
        then counted.
    <keywords>

    Returns
    -------
    float
        In units of ``base``, never below 0; NaN without complete rows.

    Raises
    ------
    KeyError
        A column not in the data.
    ValueError
        An empty ``x`` or ``y``; a column in two of ``x``, ``y`` and ``given``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.integers(0, 2, 10000), "b": rng.integers(0, 2, 10000)})
    >>> df["y"] = df.a ^ df.b
    >>> round(dmi.mutual_info(df, "a", "y", base=2), 3)
    0.0
    >>> round(dmi.mutual_info(df, ["a", "b"], "y", base=2), 3)
    1.0
    """
    opts = check_options(**options)
    data = basis_of(data)  # opened once
    available = data.columns
    xs, ys = column_set("x", x, available), column_set("y", y, available)
    zs = column_set("given", given, available, empty_ok=True)
    check_disjoint(x=xs, y=ys, given=zs)
    test = CiTest(xs, ys, zs)
    if opts.method == "binned":
        source, counted = _discrete_view(data, test.columns, opts, "mutual_info")
        kinds: dict[Hashable, str] = dict.fromkeys(test.columns, str(DISCRETE))
    else:
        source, kinds = open_data(data, test.columns, opts, "mutual_info")
        counted = opts
        if not opts.dropna and any(k == CONTINUOUS for k in kinds.values()):
            raise ValueError("dropna=False needs discrete columns (a k-NN estimate has no 'missing' value)")
    (out,) = run_tests(source, list(test.columns), kinds, [test], counted, ESTIMATES).outcomes
    return float(to_base(out.mi, opts.base))


@takes(BinnedKeywords)
def total_correlation(
    data: DataLike, columns: Sequence[Hashable] | None = None, **options: Unpack[BinnedKeywords]
) -> float:
    """Total correlation (multi-information) ``sum_i H(X_i) - H(X_1, ..., X_n)``.

    How far the columns are from independent, all at once: 0 when they are mutually
    independent; for two columns, their mutual information. Continuous columns are cut
    into ``bins`` quantile bins of the sample first. Every entropy is over the same rows:
    those where every column has a value (with ``dropna``).

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s) or dmi.Scan
    columns : list of column names, optional
        At least two (default: all).
    <keywords>

    Returns
    -------
    float
        In units of ``base``; NaN without complete rows.

    Raises
    ------
    ValueError
        Fewer than two columns; a joint table too large to count (the product of the
        columns' numbers of values above 16,777,216).

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1] * 25, "b": [0, 1, 0, 1] * 25})
    >>> df["c"] = df.a ^ df.b                       # pairwise independent, jointly not
    >>> round(dmi.total_correlation(df, base=2), 12)
    1.0
    """
    opts = check_options(**options, method="binned")
    data = basis_of(data)  # opened once
    available = data.columns
    cols = column_set("columns", available if columns is None else columns, available)
    if len(cols) < 2:
        raise ValueError(f"total_correlation needs at least two columns, got {list(cols)!r}")
    table = _joint_table(data, cols, opts, "total_correlation")
    h = sum(_entropy(marginal(table, list(cols), [c])) for c in cols) - _entropy(table)
    return float(to_base(max(h, 0.0), opts.base))


@takes(BinnedKeywords)
def interaction_information(
    data: DataLike,
    x: Hashable | Sequence[Hashable],
    y: Hashable | Sequence[Hashable],
    z: Hashable | Sequence[Hashable],
    **options: Unpack[BinnedKeywords],
) -> float:
    """Interaction information ``I(X;Y|Z) - I(X;Y)``: synergy (above 0) or redundancy (below).

    With the sign of Jakulin and Bratko (2003) and pyitlib's ``information_interaction``:
    ``-sum_T (-1)^(3 - |T|) H(T)`` over the subsets ``T`` of ``{X, Y, Z}``; symmetric in
    the three. Positive when ``Z`` reveals a dependence of ``X`` and ``Y`` (XOR: ``+1``
    bit), negative when it explains one away (a common cause). Continuous columns are cut
    into ``bins`` quantile bins first; every entropy is over the rows where every column
    has a value.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s) or dmi.Scan
    x, y, z : column name or list of column names
    <keywords>

    Returns
    -------
    float
        In units of ``base`` (may be negative); NaN without complete rows.

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1] * 25, "b": [0, 1, 0, 1] * 25})
    >>> df["c"] = df.a ^ df.b
    >>> round(dmi.interaction_information(df, "a", "b", "c", base=2), 12)
    1.0
    """
    opts = check_options(**options, method="binned")
    data = basis_of(data)  # opened once
    available = data.columns
    sets = [column_set(name, v, available) for name, v in (("x", x), ("y", y), ("z", z))]
    check_disjoint(x=sets[0], y=sets[1], z=sets[2])
    cols = [c for s in sets for c in s]
    table = _joint_table(data, cols, opts, "interaction_information")
    total = 0.0
    for size in range(1, 4):
        for chosen in itertools.combinations(range(3), size):
            keep = [c for i in chosen for c in sets[i]]
            total -= (-1) ** (3 - size) * _entropy(marginal(table, cols, keep))
    return float(to_base(total, opts.base))
