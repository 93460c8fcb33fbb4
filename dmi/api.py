"""Public entry points: :func:`mutual_info_matrix`, :func:`mutual_info_with`, :func:`mutual_info_table`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any, Unpack

import pandas as pd

from dmi._engine.basis import basis_of
from dmi._engine.columns import check_known, matrix_pairs
from dmi._engine.given_sets import given_columns, set_scalar, takes_sets
from dmi._engine.given_table import conditional_table
from dmi._engine.independence import Settings
from dmi._engine.lags import lag_matrix, lag_request, lag_table, lag_with
from dmi._engine.matrix import matrix, with_target
from dmi._engine.request import (
    DataLike,
    check_given_dtype,
    check_options,
    compute,
    conditional,
    prepare,
)
from dmi._engine.signatures import MatrixKeywords, WeightedKnnKeywords, takes
from dmi._engine.table import P_VALUE_METHODS, pair_table
from dmi._engine.validate import check_choice, check_positive_int
from dmi._math.estimators import to_base
from dmi._typing import (
    describe_data,
)


@takes(MatrixKeywords)
def mutual_info_matrix(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    given: Hashable | Sequence[Hashable] | None = None,
    lags: Any = None,
    by: Hashable | None = None,
    time: Hashable | None = None,
    tolerance: Any = None,
    **options: Unpack[MatrixKeywords],
) -> pd.DataFrame:
    """Mutual information between every pair of columns, over all rows, in one pass.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s), dmi.Scan or dmi.Summary
    <data forms>
    columns : list of column names, optional
        Columns to analyse, in the order wanted in the result. Default: all columns,
        in the frame's order.
    <keywords>
    given : column name or list of column names, optional
        Condition every pair on these columns: each cell is ``I(X;Y|Z)`` (see
        :func:`conditional_mutual_info`), the diagonal ``H(X|Z)`` of discrete columns
        (given discrete columns), over the rows where every column of ``given`` has a
        value; the ``given`` columns are left out. One discrete column takes strata of
        its values; several columns, or a float column, take the joint counts of all
        rows when every column is discrete, else the Frenzel-Pompe k-NN estimate on the
        sample (discrete columns as strata). ``attrs["given"]`` names them. Needs
        ``method='auto'`` and ``normalize=None``; ``dropna=False`` only with discrete
        columns.
    lags : int, Timedelta or a list of them, optional
        Rows in time order: ``I(X_t; Y_{t-lag})`` for each lag (rows back), every
        column at t against every column ``lag`` rows before, all lags in one pass
        (each partition reads the last ``max(lags)`` rows of the one before, so no pair
        crosses a partition's edge; a row with no predecessor that far back is left
        out of that lag's pairs). Returns a frame indexed by ``(lag, x)`` with a column
        per ``y``: ``result.loc[3]`` is the lag-3 matrix (not symmetric), ``lag 0``
        the plain one. See :func:`dmi.plot.lags`. Lags given as ``pandas.Timedelta``
        are spans of time, with ``time=`` a datetime column: the value of ``Y`` as of
        ``t - lag`` is that of the latest row at or before it in the series, no older
        than ``tolerance`` more (as :func:`pandas.merge_asof`), so gaps in the rows
        do not shift the lags.
    by : column name, optional
        With ``lags``: the series each row belongs to (a sensor, a ticker, an
        airport); lags never cross series. The rows must be grouped by it, each
        series in time order (sorted by ``[by, time]``). Not analysed.
    time : column name, optional
        With ``lags``: a column the rows are ordered by, checked: rows that go back
        in time (within a series) raise ValueError instead of giving wrong lags. Not
        analysed.
    tolerance : Timedelta, optional
        With lags in time: how much older than ``t - lag`` the row read may be
        (default: the smallest lag > 0); a row with none that recent has no value for
        that lag.

    Returns
    -------
    pandas.DataFrame
        Square and exactly symmetric, indexed by the column names on both axes.
        Off-diagonal: ``I(X;Y)``. Diagonal: the entropy ``H(X)`` of a discrete or
        binned column (1.0 when normalized); NaN for a continuous column under
        ``method='auto'`` (``I(X;X)`` is infinite). A pair with no complete rows,
        and the diagonal of a column with no values, is NaN. ``result.attrs["n_rows"]``
        is the most rows a cell used (every row, when a column has no missing values),
        ``result.attrs["sample_rows"]`` the rows of the sample the k-NN cells used (when
        there are such cells); each pair's own rows are the ``n`` column of
        :func:`dmi.mutual_info_table` (``attrs`` stay small: pandas copies them on every
        operation). ``result.attrs["unit"]`` names the unit (``'nats'``, ``'bits'``,
        ``'log base 10'``, or ``'normalized, arithmetic'``).

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame or path; an argument has the wrong type; a column
        has a dtype dmi cannot analyse.
    ValueError
        No columns or no rows; duplicate column names; an argument outside its
        allowed values; +-inf in a continuous column; ``n_neighbors`` not below a
        pair's rows; ``normalize`` with continuous columns under ``method='auto'``.
    KeyError
        ``columns`` or ``discrete`` names columns that do not exist (all are listed).

    Warns
    -----
    ContinuousIntegersWarning
        ``discrete='auto'`` treats integer columns with more than 64 distinct values
        as continuous (they are named; list them in ``discrete=`` to count them).
    LooksCategoricalWarning
        A column treated as continuous has fewer than 20 distinct values in the
        sample: it is probably a category (pass it in ``discrete=``).
    IdentifierWarning
        A discrete column takes a different value in every row (of at least 1,000):
        its MI with any column is that column's entropy.
    MaxCategoriesWarning
        A discrete column has more than ``max_categories`` values and is not a
        provable identifier: its cells are NaN.

    Notes
    -----
    The k-NN estimators follow scikit-learn's conventions: each continuous column is
    scaled to unit variance over the pair's rows and jittered by ``1e-10 * max(1,
    mean|x|)`` to break ties; marginal counts use a strict inequality; negative
    estimates are clipped to 0. On the same rows, values equal
    ``mutual_info_regression`` / ``mutual_info_classif`` up to that jitter. A constant
    continuous column gives 0 with every column.

    The data is read once (twice with ``method='binned'``). Each partition is
    summarized by contingency counts of every discrete pair in local integer codes (no
    pre-pass to learn the categories) and by its rows with the smallest seeded keys;
    the summaries are merged in a tree of fan-in ``split_every``, the k-NN estimators
    run as Dask tasks on the merged sample (shipped to each worker once), and the
    entropies are computed from the merged counts. Discrete pairs equal
    :func:`sklearn.metrics.mutual_info_score` on the same rows, whatever the
    partitioning. Exactly one Dask compute runs (two with ``method='binned'``), on the
    active scheduler (a ``distributed.Client`` if one is active); dmi never starts a
    cluster itself.

    Memory: pair tables take about 8 bytes per cell (dense) or 24 bytes per distinct
    value pair present (sparse). When the tables of one summary would exceed
    ``dmi.table-memory`` (a Dask config key, default ``"2 GiB"``, shared by the
    ``split_every`` summaries a merge holds), dmi does not build them: it counts the
    pairs in blocks instead, one compute and one read of the block's columns per
    block, with identical results. A single pair is never split.

    References
    ----------
    A. Kraskov, H. Stögbauer, P. Grassberger (2004). Estimating mutual information.
    Phys. Rev. E 69, 066138. doi:10.1103/PhysRevE.69.066138

    B. C. Ross (2014). Mutual information between discrete and continuous data sets.
    PLoS ONE 9(2), e87357. doi:10.1371/journal.pone.0087357

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"x": [0, 1, 1, 0, 0], "y": [1, 0, 0, 0, 1], "z": list("aabbb")})
    >>> dmi.mutual_info_matrix(df).round(4)
            x       y       z
    x  0.6730  0.2911  0.0138
    y  0.2911  0.6730  0.0138
    z  0.0138  0.0138  0.6730
    >>> dmi.mutual_info_matrix(df, ["x", "y"], base=2).round(4)
           x      y
    x  0.971  0.420
    y  0.420  0.971
    """
    opts = check_options(**options)
    if lags is not None:
        return lag_matrix(*lag_request(data, columns, opts, lags, by, time, given=given, tolerance=tolerance))
    _no_order(by, time, tolerance)
    return matrix(prepare(data, columns, opts, given=given), given)


def _no_order(by: Hashable | None, time: Hashable | None, tolerance: Any) -> None:
    """TypeError for ``by=``, ``time=`` or ``tolerance=`` without ``lags=`` (they order
    lagged rows only)."""
    if by is not None or time is not None or tolerance is not None:
        raise TypeError("by=, time= and tolerance= order the rows for lags=; pass lags=[...] with them")


mutual_info_matrix.__doc__ = (mutual_info_matrix.__doc__ or "").replace(
    "<data forms>", describe_data().lstrip()
)


@takes(MatrixKeywords)
def mutual_info_with(
    data: DataLike,
    target: Hashable,
    columns: Sequence[Hashable] | None = None,
    *,
    given: Hashable | Sequence[Hashable] | None = None,
    sort: bool = False,
    lags: Any = None,
    by: Hashable | None = None,
    time: Hashable | None = None,
    tolerance: Any = None,
    **options: Unpack[MatrixKeywords],
) -> pd.Series | pd.DataFrame:
    """Mutual information of one target column with every other column.

    Like :meth:`pandas.DataFrame.corrwith`: only the pairs ``(target, column)`` are
    counted, not the whole matrix, and the result keeps the columns' order (as
    ``corrwith`` does) unless ``sort=True`` asks for the largest first (as ``dmi with``
    prints it).

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s), dmi.Scan or dmi.Summary
        The table, in any form :func:`mutual_info_matrix` takes.
    target : column name
        The column to relate every other column to.
    columns : list of column names, optional
        The columns to relate to ``target``, in the order wanted. Default: every
        column except ``target``, in the frame's order. ``target`` itself is skipped
        if listed.
    given : column name or list of column names, optional
        As for :func:`mutual_info_matrix`.
    <keywords>
    sort : bool, default False
        Largest first (NaN last, ties in the columns' order) instead of the columns' order.
    lags, by, time, tolerance
        As for :func:`mutual_info_matrix`: ``I(target_t; X_{t-lag})``, what each
        column's past tells about the target now. Returns a frame with a row per lag
        and a column per column, the target's own past last (NaN at lag 0); ``sort``
        then orders the columns by their largest value.

    Returns
    -------
    pandas.Series
        ``I(target; column)`` indexed by column name, named after ``target``.
        ``result.attrs["n_rows"]`` maps each column to the rows its pair used;
        ``result.attrs["unit"]`` names the unit.

    Raises
    ------
    TypeError, ValueError
        As for :func:`mutual_info_matrix`.
    KeyError
        ``target``, ``columns`` or ``discrete`` names a column that does not exist.

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"x": [0, 1, 1, 0, 0], "y": [1, 0, 0, 0, 1], "z": list("aabbb")})
    >>> dmi.mutual_info_with(df, "y").round(4)
    x    0.2911
    z    0.0138
    Name: y, dtype: float64
    """
    request = check_options(**options)
    if not isinstance(sort, bool):
        raise TypeError(f"sort must be True or False, got {sort!r}")
    if target is None:
        raise TypeError("target must be a column name, got None")
    if lags is not None:
        planned = lag_request(
            data, columns, request, lags, by, time, target=target, given=given, tolerance=tolerance
        )
        lagged = lag_with(*planned)
        if sort:
            strongest = lagged.max().sort_values(ascending=False, na_position="last", kind="stable").index
            return lagged[list(strongest)]
        return lagged
    _no_order(by, time, tolerance)
    result = with_target(prepare(data, columns, request, target=target, given=given), target, given)
    if sort:
        return result.sort_values(ascending=False, na_position="last", kind="stable")
    return result


@takes(MatrixKeywords)
def mutual_info_table(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    given: Hashable | Sequence[Hashable] | None = None,
    p_value: str = "auto",
    permutations: int = 999,
    stderr_splits: int = 10,
    knn_permutations: int = 0,
    lags: Any = None,
    by: Hashable | None = None,
    time: Hashable | None = None,
    tolerance: Any = None,
    **options: Unpack[MatrixKeywords],
) -> pd.DataFrame:
    """Every pair of columns as one row, with significance, bias correction and uncertainty.

    The same one-pass computation as :func:`mutual_info_matrix`, reported long-form.

    Parameters
    ----------
    data, columns, discrete, method, bins, n_neighbors, sample_size, base, dropna, random_state, \
split_every, sample, progress, max_categories
        As for :func:`mutual_info_matrix`.
    <keywords>
    given : column name or list of column names, optional
        Condition every pair on these columns (as for :func:`mutual_info_matrix`, whose
        cells the ``mi`` column then equals) and test conditional independence, as
        :func:`dmi.independence_test` does: discrete pairs the G-test with
        ``sum_z (R_z - 1)(C_z - 1)`` degrees of freedom (or the permutation test within
        strata, by ``p_value``), k-NN pairs Runge's local-permutation test when
        ``knn_permutations`` is above 0. The table's columns are then ``x``, ``y``,
        ``kind``, ``estimator``, ``n``, ``mi``, ``g``, ``dof``, ``p_value``,
        ``p_method`` and ``q_value`` (the measures of one pair's margins do not apply);
        ``attrs["given"]`` names the columns.
    p_value : {'auto', 'chi2', 'permutation'}, default 'auto'
        How discrete pairs get their p-value. ``'chi2'``: the G-test's chi-square
        approximation. ``'permutation'``: the share of ``permutations`` random tables
        with the pair's own margins (Patefield's algorithm, no second pass over the
        data) whose MI is at least the observed one. ``'auto'``: the permutation test
        where the chi-square approximation is poor, i.e. where more than 20% of the
        expected counts are below 5 (Cochran's rule), chi-square elsewhere. Column
        ``p_method`` says which one each pair got. A pair with a column folded by
        ``max_categories`` (an identifier, whose margin is not kept) takes the G-test.
    permutations : int, default 999
        Random tables per permutation p-value (the smallest possible p is
        ``1 / (permutations + 1)``).
    stderr_splits : int, default 10
        The standard error of each k-NN estimate comes from this many disjoint
        sub-samples of the pair's sample rows: their spread divided by
        ``sqrt(stderr_splits)``. Costs about one more estimate per pair.
    knn_permutations : int, default 0
        When above 0, k-NN pairs also get a permutation p-value: one column of the
        pair is shuffled over the pair's sample rows this many times and re-estimated,
        ``p = (1 + #{MI* >= MI}) / (1 + knn_permutations)``. Costs that many estimates
        per pair (a KSG pair at 100,000 sample rows takes about 35 ms); 0 leaves their
        p-values NaN.

    Returns
    -------
    pandas.DataFrame
        One row per pair ``(x, y)`` in the order of ``mutual_info_matrix``'s upper
        triangle. Columns:

        - ``kind``: ``'dd'``, ``'dc'`` or ``'cc'`` (discrete/continuous); ``estimator``:
          ``'plug-in'``, ``'ross'`` or ``'ksg'``.
        - ``n``: rows used (sample rows for k-NN pairs); ``n_missing``: rows (or
          sample rows) left out because ``x`` or ``y`` is missing.
        - ``mi``: MI in units of ``base``; ``h_x``, ``h_y``: entropies over the same rows
          (discrete pairs).
        - ``nmi``, ``ami``: normalized and adjusted MI (scikit-learn's
          ``normalized_mutual_info_score`` and ``adjusted_mutual_info_score``, the
          latter with the exact expected MI under fixed margins).
        - ``mi_miller_madow``: MI with Miller-Madow corrected entropies (not clipped).
        - ``g``, ``dof``: the G statistic ``2 N MI`` (MI in nats, whatever ``base``) and
          ``(R - 1)(C - 1)`` over non-empty rows and columns; as
          ``scipy.stats.chi2_contingency(correction=False, lambda_='log-likelihood')``.
        - ``p_value``, ``p_method``: the test of independence (discrete pairs; k-NN
          pairs with ``knn_permutations``); ``q_value``: Benjamini-Hochberg over all
          pairs with a p-value.
        - ``mi_stderr``: standard error of k-NN estimates, in units of ``base``.

        Statistics that do not apply to a pair are NaN (``dof``: ``<NA>``).

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1] * 5, "b": [0, 0, 1, 1] * 4 + [0, 1, 0, 1]})
    >>> t = dmi.mutual_info_table(df)
    >>> t[["x", "y", "mi", "ami", "g", "dof", "p_value", "p_method"]].round(4)
       x  y      mi     ami        g  dof  p_value p_method
    0  a  b  0.3681  0.5119  14.7226    1   0.0001     chi2
    """
    check_choice("p_value", p_value, P_VALUE_METHODS)
    check_positive_int("permutations", permutations)
    check_positive_int("stderr_splits", stderr_splits, minimum=2)
    check_positive_int("knn_permutations", knn_permutations, minimum=0)
    checked = check_options(**options)
    if lags is not None:
        req, order = lag_request(data, columns, checked, lags, by, time, given=given, tolerance=tolerance)
        return lag_table(
            replace(req, opts=replace(req.opts, normalize=None)),
            order,
            base=checked.base,
            seed=req.opts.seed,
            stderr_splits=stderr_splits,
            knn_permutations=knn_permutations,
            average=checked.normalize or "arithmetic",
            p_value=p_value,
            permutations=permutations,
        )
    _no_order(by, time, tolerance)
    if given_columns(given) is not None:
        req = prepare(data, columns, checked, given=given)
        method = {"chi2": "g-test"}.get(p_value, p_value)
        return conditional_table(req, given, Settings(method, permutations, knn_permutations))
    average = checked.normalize  # nmi and ami take the mean; mi is not normalized
    request = replace(checked, normalize=None)
    req = prepare(data, columns, request)
    opts, labels = req.opts, req.labels
    pairs = matrix_pairs(len(labels))
    res = compute(
        req,
        pairs,
        diagonal=False,
        stderr_splits=stderr_splits,
        knn_permutations=knn_permutations,
    )
    table = pair_table(
        labels,
        pairs,
        res,
        base=opts.base,
        average=average or "arithmetic",
        p_value=p_value,
        permutations=permutations,
        seed=opts.seed,
    )
    if res.bins is not None:
        table.attrs["bins"] = res.bins
    return table


@takes(WeightedKnnKeywords)
def conditional_mutual_info(
    data: DataLike,
    x: Hashable,
    y: Hashable,
    given: Hashable | Sequence[Hashable],
    **options: Unpack[WeightedKnnKeywords],
) -> float:
    """Conditional mutual information ``I(X;Y|Z)``: what ``x`` tells about ``y`` once ``given`` is known.

    0 when ``x`` and ``y`` are independent within every value of ``given``.

    - ``x`` and ``y`` discrete: the exact plug-in estimate from the three-way
      contingency counts of all rows, gathered in one pass like the matrix.
    - ``x`` or ``y`` continuous: ``sum_z p(z) I(X;Y | Z=z)`` on the uniform sample, each
      stratum's term by KSG (both continuous) or Ross (one discrete) with
      ``n_neighbors``, ``p(z)`` the stratum's share of the sample's complete rows. For a
      discrete ``Z`` this is the Frenzel-Pompe conditional KSG estimator.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s), dmi.Scan or dmi.Summary
        The table, in any form :func:`mutual_info_matrix` takes.
    x, y : column name
        The two columns whose dependence is measured.
    given : column name or list of column names
        The column(s) to condition on. One column is treated as discrete (``discrete``
        applies to ``x`` and ``y``) unless it is a float column that ``discrete`` does not
        name, which is continuous. Several columns: exact counts when all of ``x``,
        ``y`` and ``given`` are discrete, else the Frenzel-Pompe estimator on the sample
        (k nearest neighbours in max-norm in the space of the continuous columns, within
        strata of the discrete ones).
    <keywords>

    Returns
    -------
    float
        ``I(X;Y|Z)`` in units of ``base``, never below 0; NaN when no row has all three
        values. For discrete columns, ``H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)``.

    Raises
    ------
    KeyError
        A column that does not exist.
    ValueError
        The same column twice (or ``x`` or ``y`` in ``given``); with continuous ``x`` or
        ``y`` and one discrete ``given``, a stratum with no more sample rows than
        ``n_neighbors`` (fewer strata, or a larger ``sample_size``, helps).

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"x": [0, 0, 1, 1], "y": [0, 1, 0, 1]})
    >>> df["z"] = df.x ^ df.y                   # z = x xor y
    >>> dmi.mutual_info_matrix(df, ["x", "y"], base=2).loc["x", "y"]
    np.float64(0.0)
    >>> round(dmi.conditional_mutual_info(df, "x", "y", given="z", base=2), 12)
    1.0
    """
    checked = check_options(**options)
    basis = basis_of(data)
    check_known("x, y", [x, y], basis.columns)
    givens = given_columns(given) or ()
    if len({x, y, *givens}) < 2 + len(givens) or not givens:
        raise ValueError(f"x, y and given must be different columns; got {x!r}, {y!r}, {given!r}")
    req = prepare(basis, [x, y], checked, given=givens[0] if len(givens) == 1 else None)
    if takes_sets(req, givens):
        return set_scalar(req, x, y, givens)
    given = givens[0]
    basis.check_given(given, checked, check_given_dtype)
    req = prepare(basis, [x, y], checked, given=given)
    mi, _, _ = conditional(req, [(0, 1)], given, diagonal=False)
    return float(to_base(mi[0], req.opts.base))
