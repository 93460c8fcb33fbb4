"""Conditional tests from counts (:mod:`dmi._math.ci`): against scikit-learn and scipy per
stratum, and p-values uniform under a true null."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mutual_info_score

from dmi._math import ci
from dmi._math.stats import conditional_dof


def _table(x, y, z):
    t = np.zeros((z.max() + 1, x.max() + 1, y.max() + 1), dtype=np.int64)
    np.add.at(t, (z, x, y), 1)
    return t


def _data(n, seed, dependent=True):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 4, n)
    x = (z + rng.integers(0, 3, n)) % 5
    y = (z * 2 + rng.integers(0, 2, n) + (x if dependent else 0)) % 6
    return x, y, z


def test_conditional_mi_is_the_strata_average_of_scikit_learn():
    x, y, z = _data(20_000, 0)
    want = sum((z == v).mean() * mutual_info_score(x[z == v], y[z == v]) for v in range(4))
    got, n = ci.conditional_mi(_table(x, y, z))
    assert n == 20_000
    assert got == pytest.approx(want, rel=1e-9)


def test_g_test_is_the_sum_of_scipy_g_tests_per_stratum():
    x, y, z = _data(5_000, 1)
    t = _table(x, y, z)
    g, dof, p = ci.g_test(t)
    gs, dofs = 0.0, 0
    for s in t:
        s = s[s.sum(axis=1) > 0][:, s.sum(axis=0) > 0]  # scipy wants no empty rows or columns
        r = stats.chi2_contingency(s, correction=False, lambda_="log-likelihood")
        gs += r.statistic
        dofs += r.dof
    assert g == pytest.approx(gs, rel=1e-9)
    assert dof == dofs == conditional_dof(list(t))
    assert p == pytest.approx(stats.chi2.sf(gs, dofs), rel=1e-9)


def test_no_degree_of_freedom_gives_p_one_and_no_rows_nan():
    t = np.zeros((2, 2, 2), dtype=np.int64)
    t[0, 0, :] = [3, 4]  # x constant in stratum 0
    t[1, :, 1] = [5, 6]  # y constant in stratum 1
    assert ci.g_test(t)[1:] == (0, 1.0)
    g, dof, p = ci.g_test(np.zeros((1, 2, 2), dtype=np.int64))
    assert np.isnan(g) and np.isnan(p) and dof == 0


@pytest.mark.parametrize("sparse", [False, True])
def test_p_values_are_uniform_under_the_null(sparse):
    """100 seeds of X independent of Y given Z (both depend on Z): the G-test's (large
    tables) and the permutation test's (sparse tables) p-values are uniform (KS test)."""
    p_values = []
    n = 60 if sparse else 4_000
    for seed in range(100):
        x, y, z = _data(n, seed, dependent=False)
        t = _table(x, y, z)
        if sparse:
            assert ci.is_sparse(t)
            p_values.append(ci.permutation_p(t, 199, np.random.default_rng(seed)))
        else:
            assert not ci.is_sparse(t)
            p_values.append(ci.g_test(t)[2])
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
    x, y, z = _data(n, 1000, dependent=True)
    t = _table(x, y, z)
    p = ci.permutation_p(t, 199, np.random.default_rng(0)) if sparse else ci.g_test(t)[2]
    assert p < 0.01


def test_permutation_p_of_a_table_with_one_possible_arrangement_is_one():
    t = np.zeros((1, 2, 2), dtype=np.int64)
    t[0, 0, 0] = 5
    assert ci.permutation_p(t, 99, np.random.default_rng(0)) == 1.0


def test_strata_table_flattens_each_side():
    rng = np.random.default_rng(3)
    table = rng.integers(0, 5, (2, 3, 4, 5))
    cols = ["a", "b", "c", "d"]
    t = ci.strata_table(table, cols, ["b"], ["d", "a"], ["c"])
    assert t.shape == (4, 3, 10)
    np.testing.assert_array_equal(t[1, 2].reshape(5, 2), table[:, 2, 1, :].T)


def test_batch_g_tests_on_shared_tables_equal_each_test_on_its_own_three_way_table():
    rng = np.random.default_rng(3)
    a, b, c = _data(3_000, 2)
    d = (a + rng.integers(0, 2, a.size)) % 3
    four = np.zeros((5, 6, 4, 3), dtype=np.int64)
    np.add.at(four, (a, b, c, d), 1)
    sparse_one = np.zeros((7, 7, 2), dtype=np.int64)  # few rows for its cells
    np.add.at(sparse_one, tuple(rng.integers(0, [7, 7, 2], (40, 3)).T), 1)
    cols = ["a", "b", "c", "d"]
    X, Y, Z = ci.X, ci.Y, ci.Z
    tests = [  # (table, roles by axis): one table read by several tests
        (0, [X, Y, Z, Z]),
        (0, [Z, X, Y, Z]),
        (0, [X, Z, Z, Y]),
        (0, [X, X, Y, Z]),
        (1, [X, Y, Z]),
        (0, [Y, Z, X, Z]),
    ]
    tables = [four, sparse_one]
    got = ci.g_tests(tables, [r for _, r in tests], [w for w, _ in tests])
    alone = ci.g_tests([tables[w] for w, _ in tests], [r for _, r in tests])
    np.testing.assert_array_equal(got, alone)
    for (w, roles), (g, dof, n, sparse) in zip(tests, got, strict=True):
        names = cols[: tables[w].ndim]
        by = [[c for c, r in zip(names, roles, strict=True) if r == role] for role in (X, Y, Z)]
        t = ci.strata_table(tables[w], names, *by)
        want_g, want_dof, _ = ci.g_test(t)
        assert g == pytest.approx(want_g, rel=1e-9)
        assert (dof, n, bool(sparse)) == (want_dof, t.sum(), ci.is_sparse(t))
    assert got[-2, 3] == 1.0  # the sparse table is found sparse
    with pytest.raises(ValueError, match="roles"):
        ci.g_tests(tables, [[X, Y, Z]], [0, 1])
