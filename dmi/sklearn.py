"""scikit-learn integration (needs ``pip install 'dmi[sklearn]'``).

* :class:`MutualInfoSelector` -- :func:`dmi.select_features` as a scikit-learn feature
  selector, for a ``Pipeline``.
* :func:`mutual_info_scores` -- a ``score_func`` for ``SelectKBest`` and
  ``SelectPercentile``: each feature's MI with the target and its G-test p-value.

Both take numpy arrays, pandas DataFrames (their dtypes kept: strings and categories are
discrete) and Dask DataFrames (with a Dask Series ``y`` of the same partitions, nothing
is collected into memory).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from dmi._engine.keywords import default
from dmi._engine.select import binned_options, relevance
from dmi._typing import Discrete, RandomState
from dmi.selection import select_features

_TARGET = "__dmi_target__"


def _table(estimator: Any, X: Any, y: Any, *, reset: bool) -> tuple[Any, list[Hashable]]:
    """``X`` and ``y`` as one frame (the target under a name no feature has), and the
    feature names; checks them as scikit-learn's own estimators do."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None")
    if isinstance(X, dd.DataFrame):
        if not isinstance(y, dd.Series):
            raise TypeError("with a Dask DataFrame X, y must be a Dask Series of the same partitions")
        names = list(X.columns)
        name = _free_name(names)
        if reset:
            estimator.n_features_in_ = len(names)
            estimator.feature_names_in_ = np.asarray([str(c) for c in names], dtype=object)
        return X.assign(**{name: y}), names
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, y, reset=reset, skip_check_array=True)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        frame = X.reset_index(drop=True)
    else:
        arr, y = validate_data(
            estimator,
            X,
            y,
            reset=reset,
            accept_sparse=False,
            ensure_all_finite="allow-nan",
            dtype=None,
            ensure_min_samples=2,
        )
        if arr.dtype.kind not in "biufUSO":
            raise ValueError(f"X must hold numbers or strings, got dtype {arr.dtype}")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    names = list(frame.columns)
    name = _free_name(names)
    target = np.asarray(y)
    if target.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {target.shape}")
    return frame.assign(**{name: target}), names


def _free_name(names: list[Hashable]) -> str:
    name = _TARGET
    while name in names:
        name += "_"
    return name


class MutualInfoSelector(SelectorMixin, BaseEstimator):
    """Select features by mutual information: :func:`dmi.select_features` for scikit-learn.

    Parameters
    ----------
    k : int, optional
        The most features to select (``None``: until the significance stop).
    method : {'mrmr', 'mim', 'jmi', 'cmim'}, default 'mrmr'
        The criterion; see :func:`dmi.select_features`.
    alpha : float, default 0.05
        The level of the Benjamini-Hochberg stop.
    discrete : 'auto', bool or list, default 'auto'
        Which features are discrete (as for :func:`dmi.mutual_info_matrix`; a list names
        columns of a DataFrame, or ``x0, x1, ...`` of an array). ``y`` is discrete when
        it holds integers, booleans or strings, else binned.
    bins : int or 'auto', default 'auto'
        Quantile bins of each continuous feature (``'auto'``: ``floor(sqrt(rows / 5))``,
        from 2 to 32).
    random_state : int, optional
        Seed of the sample the quantile bins are taken from.

    Attributes
    ----------
    selection_ : pandas.DataFrame
        The step table of :func:`dmi.select_features` (features named as in ``X``).
    scores_ : numpy.ndarray
        Each feature's criterion score: at the step it was selected, else at the last
        step evaluated (NaN for a feature never scored).
    support_ : numpy.ndarray
        Which features were selected.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from dmi.sklearn import MutualInfoSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 3, (2_000, 4))
    >>> y = X[:, 1] + (rng.random(2_000) < 0.2)
    >>> MutualInfoSelector(method="jmi").fit(X, y).get_support().tolist()
    [False, True, False, False]
    """

    def __init__(
        self,
        k: int | None = None,
        method: str = "mrmr",
        alpha: float = 0.05,
        discrete: Discrete = default("discrete"),
        bins: int | str = default("bins"),
        random_state: RandomState = default("random_state"),
    ) -> None:
        self.k = k
        self.method = method
        self.alpha = alpha
        self.discrete = discrete
        self.bins = bins
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> MutualInfoSelector:
        """Select the features of ``X`` that tell most about ``y``.

        Parameters
        ----------
        X : array-like, pandas.DataFrame or dask.dataframe.DataFrame, (n_samples, n_features)
        y : array-like, pandas.Series or dask.dataframe.Series, (n_samples,)

        Returns
        -------
        MutualInfoSelector
            The fitted selector.
        """
        frame, names = _table(self, X, y, reset=True)
        target = frame.columns[-1]
        discrete = self.discrete
        if isinstance(discrete, list | tuple):
            discrete = [*discrete, target]
        k = self.k if self.k is None else min(int(self.k), len(names))
        steps = select_features(
            frame,
            target,
            k,
            method=self.method,
            alpha=self.alpha,
            discrete=discrete,
            bins=self.bins,
            random_state=self.random_state,
        )
        position = {name: i for i, name in enumerate(names)}
        scores = np.full(len(names), np.nan)
        rest = steps.attrs["not_selected"]
        for feature, score in zip(rest["feature"], rest["score"], strict=True):
            scores[position[feature]] = score
        support = np.zeros(len(names), dtype=bool)
        for feature, score in zip(steps["feature"], steps["score"], strict=True):
            scores[position[feature]] = score
            support[position[feature]] = True
        self.selection_ = steps
        self.scores_ = scores
        self.support_ = support
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def transform(self, X: Any) -> Any:
        """``X`` with only the selected features (a Dask DataFrame stays lazy).

        Parameters
        ----------
        X : array-like, pandas.DataFrame or dask.dataframe.DataFrame

        Returns
        -------
        The selected columns, of the same type as ``X``.
        """
        if isinstance(X, dd.DataFrame):
            check_is_fitted(self, "support_")
            if len(X.columns) != self.n_features_in_:
                raise ValueError(
                    f"X has {len(X.columns)} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input"
                )
            return X[[c for c, keep in zip(X.columns, self.support_, strict=True) if keep]]
        return super().transform(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags


def mutual_info_scores(
    X: Any,
    y: Any,
    *,
    discrete: Discrete = default("discrete"),
    bins: int | str = default("bins"),
    random_state: RandomState = default("random_state"),
) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's mutual information with ``y`` (nats) and its G-test p-value.

    A ``score_func`` for ``sklearn.feature_selection.SelectKBest`` (use
    ``functools.partial`` to set the keywords): one pass over the data, every feature
    made discrete as in :func:`dmi.select_features` (continuous ones in ``bins``
    quantile bins), the exact plug-in MI of its counts with ``y`` over all rows.

    Parameters
    ----------
    X : array-like, pandas.DataFrame or dask.dataframe.DataFrame, (n_samples, n_features)
    y : array-like, pandas.Series or dask.dataframe.Series, (n_samples,)
    discrete, bins, random_state
        As for :class:`MutualInfoSelector`.

    Returns
    -------
    scores : numpy.ndarray
        ``I(X_k;Y)`` in nats.
    p_values : numpy.ndarray
        The G-test of independence of each feature and ``y``.
    """
    holder = BaseEstimator()
    frame, names = _table(holder, X, y, reset=True)
    target = frame.columns[-1]
    if isinstance(discrete, list | tuple):
        discrete = [*discrete, target]
    opts = binned_options(discrete=discrete, bins=bins, random_state=random_state)
    terms = relevance(frame, names, target, opts)
    return terms.relevance, np.array([t[2] for t in terms.relevance_test])
