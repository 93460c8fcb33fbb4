"""dmi.sklearn: scikit-learn's own estimator checks, a Pipeline, every input form, and
the score function against dmi's exact MI and scipy's G-test."""

from __future__ import annotations

import functools

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import mutual_info_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import dmi
from dmi.sklearn import MutualInfoSelector, mutual_info_scores


# The checks fit on random numbers: the significance stop rightly selects nothing, and
# scikit-learn's transform says so with this warning (a correct outcome, not a failure).
@pytest.mark.filterwarnings("ignore:No features were selected:UserWarning")
@parametrize_with_checks([MutualInfoSelector(), MutualInfoSelector(k=1, method="jmi")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _data(n: int = 4_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 3, n), rng.integers(0, 4, n)
    noise, x = rng.integers(0, 3, n), rng.standard_normal(n)
    X = pd.DataFrame({"a": a, "b": b, "a_copy": a, "noise": noise, "x": x})
    y = (a + (b > 1) + (rng.random(n) < 0.1)) % 3
    return X, y


def test_fits_what_select_features_selects():
    X, y = _data()
    sel = MutualInfoSelector(method="cmim").fit(X, y)
    want = dmi.select_features(X.assign(y=y), "y", method="cmim")
    assert list(sel.get_feature_names_out()) == sorted(want["feature"], key=list(X.columns).index)
    assert sel.selection_["feature"].tolist() == want["feature"].tolist()
    np.testing.assert_allclose(sel.scores_[[0, 1]], want.set_index("feature").loc[["a", "b"], "score"])
    np.testing.assert_array_equal(sel.transform(X), X[["a", "b"]].to_numpy())
    assert sel.set_output(transform="pandas").transform(X).columns.tolist() == ["a", "b"]


def test_in_a_pipeline_on_numpy():
    X, _ = _data()
    y = ((X["a"] + (X["b"] > 1)) >= 2).to_numpy().astype(int)  # a, b and a threshold
    model = make_pipeline(MutualInfoSelector(k=2, method="jmi"), LogisticRegression())
    model.fit(X.to_numpy(), y)
    assert model[0].get_support().tolist() == [True, True, False, False, False]
    assert model.score(X.to_numpy(), y) > 0.8


def test_dask_input_stays_lazy_and_agrees():
    X, y = _data()
    lazy_X = dd.from_pandas(X, npartitions=3)
    lazy_y = dd.from_pandas(pd.Series(y, name="y"), npartitions=3)
    sel = MutualInfoSelector(method="jmi").fit(lazy_X, lazy_y)
    eager = MutualInfoSelector(method="jmi").fit(X, y)
    np.testing.assert_array_equal(sel.get_support(), eager.get_support())
    out = sel.transform(lazy_X)
    assert isinstance(out, dd.DataFrame) and list(out.columns) == ["a", "b"]


def test_score_func_equals_exact_mi_and_the_g_test():
    X, y = _data()
    scores, p = mutual_info_scores(X[["a", "b", "noise"]], y)
    for i, c in enumerate(["a", "b", "noise"]):
        mi = mutual_info_score(y, X[c])
        assert scores[i] == pytest.approx(mi, rel=1e-12)
        dof = (X[c].nunique() - 1) * (len(np.unique(y)) - 1)
        assert p[i] == pytest.approx(stats.chi2.sf(2 * len(y) * mi, dof), rel=1e-9, abs=1e-300)
    best = SelectKBest(functools.partial(mutual_info_scores, random_state=0), k=2).fit(X, y)
    assert best.get_feature_names_out().tolist() in (["a", "a_copy"], ["a", "b"])


def test_bad_input():
    X, y = _data()
    with pytest.raises(ValueError, match="requires y"):
        MutualInfoSelector().fit(X, None)
    with pytest.raises(ValueError, match="method"):
        MutualInfoSelector(method="nope").fit(X, y)
    with pytest.raises(TypeError, match="Dask Series"):
        MutualInfoSelector().fit(dd.from_pandas(X, npartitions=2), y)
