"""The math modules tested directly, each against an independent reference: the G-test and
the false-discovery rate (scipy, the definition), the expected MI (scikit-learn), the
counting kernel (numpy), the selection criteria (their formulas), and the estimator records."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sklearn.metrics.cluster import contingency_matrix
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information

from dmi._math import estimators, kernels, selection, stats


def test_g_statistic_is_twice_n_times_mi_against_chi_square() -> None:
    g, p = stats.g_statistic(0.01, 1_000, 4)
    assert g == 20.0 and p == pytest.approx(scipy_stats.chi2.sf(20.0, 4), rel=1e-12)
    assert stats.g_statistic(0.3, 50, 0) == (30.0, 1.0)  # no degree of freedom: nothing to test
    assert all(math.isnan(v) for v in stats.g_statistic(0.1, 0, 3))


def test_g_statistic_equals_scipy_log_likelihood_test_of_a_table() -> None:
    rng = np.random.default_rng(1)
    table = rng.integers(1, 40, (3, 4))
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    mi = float((table / n * np.log(table / expected)).sum())
    g, p = stats.g_statistic(mi, int(n), 6)
    ref = scipy_stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert g == pytest.approx(ref.statistic, rel=1e-12) and p == pytest.approx(ref.pvalue, rel=1e-10)


def test_benjamini_hochberg_is_the_step_up_definition() -> None:
    rng = np.random.default_rng(2)
    p = rng.random(40) ** 3
    p[[3, 17]] = np.nan
    q = stats.benjamini_hochberg(p)
    ok = ~np.isnan(p)
    m = ok.sum()
    # q_i = min over j with p_j >= p_i of p_j m / rank_j, capped at 1 (written out)
    ranks = {v: r + 1 for r, v in enumerate(sorted(p[ok]))}
    for i in np.flatnonzero(ok):
        ref = min(min(pj * m / ranks[pj] for pj in p[ok] if pj >= p[i]), 1.0)
        assert q[i] == pytest.approx(ref, rel=1e-12)
    assert np.isnan(q[[3, 17]]).all()
    assert (stats.benjamini_hochberg(p, total=400)[ok] >= q[ok]).all()  # untested hypotheses count


def test_conditional_dof_counts_the_values_seen_in_each_stratum() -> None:
    strata = [np.array([[3, 0, 1], [2, 2, 0]]), np.array([[5, 0], [0, 0]]), np.zeros((2, 2))]
    assert stats.conditional_dof(strata) == (2 - 1) * (3 - 1) + 0 + 0


def test_expected_mi_matches_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 5, 300), rng.integers(0, 7, 300)
    contingency = contingency_matrix(a, b, sparse=True)
    ref = expected_mutual_information(contingency, 300)
    got = stats.expected_mi(np.bincount(a), np.bincount(b), 300)
    assert got == pytest.approx(ref, rel=1e-9)


def test_counting_kernel_equals_numpy_bincounts() -> None:
    rng = np.random.default_rng(4)
    sizes = np.array([3, 5, 2], dtype=np.int64)
    codes = np.vstack([rng.integers(0, s + 1, 1_001) for s in sizes]).astype(np.uint16)  # 0: missing
    pair_a, pair_b = np.array([0, 1, 0], dtype=np.int64), np.array([1, 2, 2], dtype=np.int64)
    margins, tables = kernels.count_dense(codes, sizes, pair_a, pair_b)
    for c, s in enumerate(sizes):
        np.testing.assert_array_equal(margins[c], np.bincount(codes[c], minlength=s + 1))
    for t, (a, b) in zip(tables, zip(pair_a, pair_b, strict=True), strict=True):
        ref = np.bincount(
            codes[a].astype(np.int64) * (sizes[b] + 1) + codes[b], minlength=(sizes[a] + 1) * (sizes[b] + 1)
        )
        np.testing.assert_array_equal(t, ref.reshape(sizes[a] + 1, sizes[b] + 1))


def test_selection_scores_are_their_criteria() -> None:
    relevance = np.array([0.5, 0.3, 0.2])
    redundancy = np.array([[0.1, 0.3], [0.2, 0.0], [0.05, 0.05]])
    conditional = np.array([[0.4, 0.2], [0.25, 0.35], [0.1, np.nan]])
    np.testing.assert_array_equal(selection.scores("mim", relevance).score, relevance)
    np.testing.assert_allclose(
        selection.scores("mrmr", relevance, redundancy).score, relevance - redundancy.mean(1)
    )
    miq = selection.scores("mrmr", relevance, redundancy, quotient=True).score
    np.testing.assert_allclose(miq, relevance / redundancy.mean(1))
    np.testing.assert_allclose(
        selection.scores("jmi", relevance, conditional=conditional).score[:2], [0.3, 0.3]
    )
    np.testing.assert_allclose(
        selection.scores("cmim", relevance, conditional=conditional).score[:2], [0.2, 0.25]
    )
    with pytest.raises(ValueError, match="method must be one of"):
        selection.scores("best", relevance)


def test_estimator_records_and_their_registry() -> None:
    assert [estimators.for_pair(n).name for n in range(3)] == ["plug-in", "ross", "ksg"]
    assert estimators.to_base(math.log(8), 2) == pytest.approx(3.0)
    plug_in = estimators.for_pair(0)
    assert plug_in.entropies and plug_in.rows_available(10, 3) == 10
    assert not estimators.KSG.entropies and estimators.KSG.rows_available(10, 3) == 3
    with pytest.raises(ValueError, match="serves 'dd', 'dc' or 'cc'"):
        estimators.register(estimators.Estimator("x", "xy", estimators.Reads.COUNTS, plug_in.statistics))
    with pytest.raises(ValueError, match="only a pair of discrete columns is counted"):
        estimators.register(estimators.Estimator("x", "cc", estimators.Reads.COUNTS, plug_in.statistics))
