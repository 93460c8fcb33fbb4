"""The Frenzel-Pompe conditional estimator and the local-permutation null
(:mod:`dmi._math.conditional_knn`): against the formula written out by brute force, the
Gaussian closed form, ennemi, scikit-learn's KSG and Ross, and calibration under a true null."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import digamma

from dmi._math.conditional_knn import Role, fp_cmi, local_permutation, permutation_p, strata


def brute_force(xc, xd, yc, yd, zc, zd, k):
    """Frenzel-Pompe written out: all pairwise max-norm distances, inf across categories."""
    n = len(next(a for a in (*xc, *xd, *yc, *yd, *zc, *zd)))

    def dist(cont, disc):
        d = np.zeros((n, n))
        for c in cont:
            d = np.maximum(d, np.abs(c[:, None] - c[None, :]))
        for c in disc:
            d = np.where(c[:, None] != c[None, :], np.inf, d)
        return d

    joint = dist([*xc, *yc, *zc], [*xd, *yd, *zd])
    xz, yz, z = dist([*xc, *zc], [*xd, *zd]), dist([*yc, *zc], [*yd, *zd]), dist(zc, zd)
    terms = []
    for i in range(n):
        others = np.delete(joint[i], i)
        eps = np.sort(others)[k - 1]
        if not np.isfinite(eps):
            continue
        n_xz, n_yz, n_z = ((m[i] < eps).sum() for m in (xz, yz, z))  # self included (distance 0)
        terms.append(digamma(n_xz) + digamma(n_yz) - digamma(n_z))
    return digamma(k) - np.mean(terms), len(terms)


def _cases(rng, n):
    a, b, c, d = (rng.normal(size=n) for _ in range(4))
    g1 = rng.integers(0, 3, n)
    g2 = rng.integers(0, 2, n)
    y = a + 0.5 * c + 0.3 * g1
    return {
        "ccc": ((a,), (), (y,), (), (c,), ()),
        "cc|cc": ((a,), (), (y,), (), (c, d), ()),
        "cc|d": ((a,), (), (y,), (), (), (g1,)),
        "cc|cd": ((a,), (), (y,), (), (c,), (g1, g2)),
        "dc|c": ((), (g1,), (y,), (), (c,), ()),
        "dd|c": ((), (g1,), (), (g2,), (c,), ()),
        "cc": ((a,), (), (y,), (), (), ()),
        "dc": ((), (g1,), (y,), (), (), ()),
        "c2c|c": ((a, b), (), (y,), (), (c,), ()),
    }


@pytest.mark.parametrize("case", list(_cases(np.random.default_rng(0), 10)))
@pytest.mark.parametrize("k", [1, 3])
def test_equals_the_formula_by_brute_force(case, k):
    rng = np.random.default_rng(7)
    xc, xd, yc, yd, zc, zd = _cases(rng, 150)[case]
    got = fp_cmi(Role(xc, xd), Role(yc, yd), Role(zc, zd), k)
    want, used = brute_force(xc, xd, yc, yd, zc, zd, k)
    assert got.n == used and got.left_out == 150 - used
    assert got.mi == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_gaussian_closed_form_and_ennemi():
    ennemi = pytest.importorskip("ennemi")
    rng = np.random.default_rng(3)
    n = 20_000
    cov = np.array([[1, 0.6, 0.5], [0.6, 1, 0.4], [0.5, 0.4, 1]])
    x, y, z = rng.multivariate_normal(np.zeros(3), cov, size=n).T
    partial = (0.6 - 0.5 * 0.4) / math.sqrt((1 - 0.25) * (1 - 0.16))
    truth = -0.5 * math.log(1 - partial**2)
    got = fp_cmi(Role((x,)), Role((y,)), Role((z,)), 3).mi
    assert got == pytest.approx(truth, abs=0.015)
    # ennemi scales each variable to unit variance, as these already nearly are
    reference = float(np.asarray(ennemi.estimate_mi(y, x, cond=z, k=3)).ravel()[0])
    assert got == pytest.approx(reference, abs=0.005)


def test_conditioning_on_two_gaussians():
    rng = np.random.default_rng(4)
    n = 20_000
    z1, z2 = rng.normal(size=(2, n))
    x = z1 + z2 + rng.normal(size=n)
    y = z1 - z2 + rng.normal(size=n)
    # X and Y are independent given (z1, z2): the estimate is near 0, unconditional is not
    assert abs(fp_cmi(Role((x,)), Role((y,)), Role((z1, z2)), 5).mi) < 0.02
    assert fp_cmi(Role((x,)), Role((y,)), Role((z1,)), 5).mi > 0.1


def test_without_z_is_ksg_and_ross_of_scikit_learn():
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    rng = np.random.default_rng(5)
    n = 3_000
    x = rng.normal(size=n)
    y = x + rng.normal(size=n)
    label = (x + rng.normal(size=n) > 0).astype(int)
    # scikit-learn scales to unit std and jitters; without ties its jitter cannot change counts
    xs, ys = x / x.std(ddof=1), y / y.std(ddof=1)
    ksg = fp_cmi(Role((xs,)), Role((ys,)), Role(), 3).mi
    sk = mutual_info_regression(x[:, None], y, n_neighbors=3, random_state=0)[0]
    assert ksg == pytest.approx(sk, rel=1e-6)
    ross = fp_cmi(Role((), (label,)), Role((xs,)), Role(), 3).mi
    sk_ross = mutual_info_classif(x[:, None], label, n_neighbors=3, random_state=0)[0]
    assert ross == pytest.approx(sk_ross, rel=1e-6)


def test_discrete_z_is_the_strata_average():
    rng = np.random.default_rng(6)
    n = 4_000
    g = rng.integers(0, 3, n)
    x = rng.normal(size=n) + g
    y = x * (g == 1) + rng.normal(size=n)
    whole = fp_cmi(Role((x,)), Role((y,)), Role((), (g,)), 3).mi
    parts = [fp_cmi(Role((x[g == v],)), Role((y[g == v],)), Role(), 3).mi for v in range(3)]
    weights = np.bincount(g) / n
    assert whole == pytest.approx(float(np.dot(weights, parts)), rel=1e-12)


def test_small_strata_are_left_out_and_none_left_is_an_error():
    x = np.arange(10.0)
    y = np.sin(x)
    g = np.array([0] * 8 + [1, 2])
    est = fp_cmi(Role((x,)), Role((y,)), Role((), (g,)), 3)
    assert (est.n, est.left_out) == (8, 2)
    with pytest.raises(ValueError, match="n_neighbors=3"):
        fp_cmi(Role((x,)), Role((y,)), Role((), (np.arange(10),)), 3)
    with pytest.raises(ValueError, match="continuous"):
        fp_cmi(Role((), (g,)), Role((), (g,)), Role(), 3)


def test_strata_codes():
    a = np.array([3, 1, 3, 1, 2])
    b = np.array(["u", "v", "u", "u", "v"], dtype=object)
    codes = strata([a, b], 5)
    assert codes[0] == codes[2] and len(set(codes.tolist())) == 4
    assert (strata([], 3) == 0).all()


def test_local_permutation_is_a_permutation_that_stays_near_in_z():
    rng = np.random.default_rng(8)
    n = 2_000
    z = np.sort(rng.normal(size=n))
    g = rng.integers(0, 2, n)
    perm = local_permutation(Role((z,), (g,)), n, 5, np.random.default_rng(0))
    assert (g[perm] == g).all()  # never across a stratum of Z's discrete part
    # mostly a permutation (Runge's algorithm allows a few repeats), and always close in z
    assert np.unique(perm).size > 0.9 * n
    assert np.quantile(np.abs(z[perm] - z), 0.99) < 0.1
    free = local_permutation(Role((), (g,)), n, 5, np.random.default_rng(0))
    assert sorted(free.tolist()) == list(range(n)) and (g[free] == g).all()


@pytest.mark.parametrize("z_kind", ["continuous", "discrete"])
def test_local_permutation_p_values_are_uniform_under_the_null(z_kind):
    """X and Y both depend on Z and are independent given Z: over 100 seeds the p-values
    are uniform (KS test), and a dependent pair gets small p-values."""
    p_values = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        n = 150
        z = rng.normal(size=n) if z_kind == "continuous" else rng.integers(0, 3, n).astype(float)
        x = z + rng.normal(size=n)
        y = z + rng.normal(size=n)
        zr = Role((z,)) if z_kind == "continuous" else Role((), (z,))
        _, p = permutation_p(Role((x,)), Role((y,)), zr, 3, 19, 5, np.random.default_rng(seed + 1000))
        p_values.append(p)
    # p takes values k/20: compare with the discrete uniform's CDF, allowing its steps
    assert stats.kstest(np.array(p_values) - 0.025, "uniform").pvalue > 0.01
    rng = np.random.default_rng(1)
    z = rng.normal(size=150)
    x = z + rng.normal(size=150)
    y = x + z + 0.5 * rng.normal(size=150)
    _, p = permutation_p(Role((x,)), Role((y,)), Role((z,)), 3, 19, 5, rng)
    assert p == pytest.approx(1 / 20)
