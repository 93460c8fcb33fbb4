"""Statistics that make a plug-in MI trustworthy, from a pair's margins and counts (pure numpy/scipy).

* :func:`g_test` -- the likelihood-ratio (G) test of independence: ``G = 2 N MI`` (MI in
  nats), ``dof = (R - 1)(C - 1)`` over the non-empty rows and columns, p from chi2. The
  same numbers as ``scipy.stats.chi2_contingency(table, correction=False,
  lambda_="log-likelihood")``.
* :func:`permutation_p` -- the exact-conditional alternative for sparse tables: MI of
  random tables with the observed margins (``scipy.stats.random_table``, Patefield's
  algorithm), so no second pass over the data is needed.
* :func:`expected_mi` and :func:`adjusted` -- adjusted MI (Vinh, Epps & Bailey 2010) with
  the exact expected MI under fixed margins, as ``sklearn.metrics.adjusted_mutual_info_score``.
* :func:`miller_madow` -- MI with the Miller-Madow bias correction of each entropy.
* :func:`benjamini_hochberg` -- q-values over many pairs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as scipy_stats
from scipy.special import gammaln

from dmi._math.entropy import PairStats

# A table is "sparse" (the chi2 approximation is poor) when more than this share of its
# expected counts is below 5 (Cochran's rule).
SPARSE_SHARE = 0.2
# The hypergeometric sum of the expected MI is cut at this many standard deviations from
# each cell's mean: the tail beyond holds less than 1e-30 of the probability.
_EMI_SDS = 12.0
# Expected-MI terms evaluated per block (memory bound).
_EMI_BLOCK = 4_000_000


def g_test(s: PairStats) -> tuple[float, int, float]:
    """``(G, dof, p)`` of the G-test of independence (NaN for a pair without rows);
    with fractional weights ``G = 2 n_eff MI`` (Kish's effective rows, ``s.n_eff``)."""
    if s.n == 0:
        return math.nan, 0, math.nan
    g = 2.0 * s.rows * s.mi
    dof = (s.k_x - 1) * (s.k_y - 1)
    p = float(scipy_stats.chi2.sf(g, dof)) if dof > 0 else 1.0
    return g, dof, p


def is_sparse(s: PairStats) -> bool:
    """Whether more than ``SPARSE_SHARE`` of the expected counts are below 5."""
    if s.n == 0 or s.k_x < 2 or s.k_y < 2:
        return False
    (a, a_times), (b, b_times) = _groups(s, 0), _groups(s, 1)
    if s.n_eff is not None:  # expected counts in effective rows
        a, b = a * (s.n_eff / s.n), b * (s.n_eff / s.n)
    # cells with a_i * b_j / n < 5, counted per distinct row sum by binary search (no R x C array)
    below = np.r_[0, np.cumsum(b_times)][np.searchsorted(b, 5.0 * s.rows / a, side="left")]
    small = float(np.sum(below * a_times.astype(np.float64)))
    return bool(small / (float(s.k_x) * float(s.k_y)) > SPARSE_SHARE)


def _groups(s: PairStats, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-zero sums of one margin (float64, sorted) and how often each occurs,
    the margin's singletons (a folded identifier's rows) included."""
    margin = np.asarray(s.margins[side], dtype=np.float64)
    values, times = np.unique(margin[margin > 0], return_counts=True)
    singles = s.singletons[side]
    if singles:
        if values.size and values[0] == 1.0:
            times[0] += singles
        else:
            values, times = np.r_[1.0, values], np.r_[singles, times]
    return values, times


def permutation_p(s: PairStats, permutations: int, seed: int | np.random.Generator) -> float:
    """P-value of the observed MI among MIs of ``permutations`` random tables with its margins.

    ``(1 + #{MI* >= MI}) / (1 + permutations)``, which is never 0 and is exact in the
    sense of a permutation test conditional on both margins.
    """
    if s.n == 0:
        return math.nan
    if s.k_x < 2 or s.k_y < 2:
        return 1.0
    if any(s.singletons):
        raise ValueError("a permutation test needs both margins in full; this pair has a folded identifier")
    if s.n_eff is not None:
        raise ValueError(
            "a permutation test draws tables of whole rows; with fractional weights use the G-test "
            "(p_value='chi2'), which takes Kish's effective sample size"
        )
    a, b = s.margins
    tables = scipy_stats.random_table(a, b, seed=seed).rvs(permutations)
    n = float(s.n)
    outer = np.outer(a, b).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(tables > 0, tables * np.log(tables * n / outer), 0.0)
    mis = terms.sum(axis=(1, 2)) / n
    # the observed MI was summed in another order: compare with a relative tolerance
    at_least = int(np.sum(mis >= s.mi * (1 - 1e-12) - 1e-15))
    return (1 + at_least) / (1 + permutations)


def expected_mi(a: np.ndarray, b: np.ndarray, n: int) -> float:
    """Expected MI in nats of two labelings with margins ``a`` and ``b`` (hypergeometric model).

    The sum over each cell's possible counts is cut at ``_EMI_SDS`` standard deviations
    from its mean, so the cost does not grow with ``n`` (scikit-learn sums the whole
    support, which at 10M rows is slow).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a[a > 0], b[b > 0]
    # The sum depends on the margins' values only: equal row (column) sums give equal
    # terms, so each distinct value is summed once and weighted by how often it occurs
    # (an identifier column, all ones, is one row of terms).
    a, a_times = np.unique(a, return_counts=True)
    b, b_times = np.unique(b, return_counts=True)
    return expected_mi_grouped(a, a_times, b, b_times, n)


def expected_mi_grouped(
    a: np.ndarray, a_times: np.ndarray, b: np.ndarray, b_times: np.ndarray, n: int
) -> float:
    """:func:`expected_mi` of margins given as distinct sums ``a`` (``b``), each occurring
    ``a_times`` (``b_times``) times."""
    if n <= 1 or a.size == 0 or b.size == 0:
        return 0.0
    per_block = max(1, _EMI_BLOCK // (16 * b.size))
    return float(
        sum(
            _expected_mi_rows(a[i : i + per_block], a_times[i : i + per_block], b, b_times, n)
            for i in range(0, a.size, per_block)
        )
    )


def _expected_mi_rows(
    a: np.ndarray, a_times: np.ndarray, b: np.ndarray, b_times: np.ndarray, n: int
) -> float:
    """The expected-MI terms of the cells in rows with sums ``a`` (each sum ``a_times``
    rows) and columns with sums ``b`` (``b_times`` columns); see :func:`expected_mi`."""
    big_a, big_b = np.meshgrid(a, b, indexing="ij")
    weight = np.outer(a_times, b_times).ravel().astype(np.float64)
    big_a, big_b = big_a.ravel(), big_b.ravel()
    mean = big_a * big_b / n
    sd = np.sqrt(big_a * big_b * (n - big_a) * (n - big_b) / (n * n * (n - 1.0)))
    lo = np.maximum(np.maximum(1.0, big_a + big_b - n), np.floor(mean - _EMI_SDS * sd - 2))
    hi = np.minimum(np.minimum(big_a, big_b), np.ceil(mean + _EMI_SDS * sd + 2))
    lengths = np.maximum(hi - lo + 1, 0).astype(np.int64)
    log_const = gammaln(big_a + 1) + gammaln(big_b + 1) + gammaln(n - big_a + 1) + gammaln(n - big_b + 1)
    log_const -= gammaln(n + 1)
    total = 0.0
    start = 0
    ends = np.cumsum(lengths)
    while start < big_a.size:
        stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + _EMI_BLOCK, side="right"))
        stop = max(stop, start + 1)
        cell = np.repeat(np.arange(start, stop), lengths[start:stop])
        if cell.size:
            first = np.cumsum(lengths[start:stop]) - lengths[start:stop]
            k = lo[cell] + (np.arange(cell.size) - np.repeat(first, lengths[start:stop]))
            ai, bj = big_a[cell], big_b[cell]
            log_p = log_const[cell] - (
                gammaln(k + 1) + gammaln(ai - k + 1) + gammaln(bj - k + 1) + gammaln(n - ai - bj + k + 1)
            )
            terms = k / n * np.log(n * k / (ai * bj)) * np.exp(log_p)
            total += float(np.sum(terms * weight[cell]))
        start = stop
    return total


def _mean(h_x: float, h_y: float, average: str) -> float:
    if average == "arithmetic":
        return (h_x + h_y) / 2
    if average == "geometric":
        return math.sqrt(h_x * h_y)
    if average == "min":
        return min(h_x, h_y)
    if average == "max":
        return max(h_x, h_y)
    raise ValueError(f"unknown average method {average!r}")  # pragma: no cover - validated earlier


def adjusted(s: PairStats, average: str) -> float:
    """Adjusted MI with scikit-learn's conventions (``adjusted_mutual_info_score``); NaN
    with fractional weights (its expected MI counts tables of whole rows)."""
    if s.n == 0 or s.n_eff is not None:
        return math.nan
    if s.k_x == s.k_y == 1:
        return 1.0
    emi = expected_mi_grouped(*_groups(s, 0), *_groups(s, 1), int(s.n))
    denominator = _mean(s.h_x, s.h_y, average) - emi
    eps = float(np.finfo(np.float64).eps)
    denominator = min(denominator, -eps) if denominator < 0 else max(denominator, eps)
    return (s.mi - emi) / denominator


def miller_madow(s: PairStats) -> float:
    """MI in nats with each entropy Miller-Madow corrected: ``H + (m - 1) / 2N``.

    ``I = H(X) + H(Y) - H(X, Y)``, so the correction adds ``(k_x + k_y - cells - 1) / 2N``
    (non-empty values and cells); it can be negative, and the result is not clipped.
    With fractional weights ``N`` is Kish's effective rows (``s.n_eff``).
    """
    if s.n == 0:
        return math.nan
    return s.mi + (s.k_x + s.k_y - s.cells - 1) / (2.0 * s.rows)


def benjamini_hochberg(p: np.ndarray, total: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg q-values of p-values (NaN stays NaN and is not counted).

    ``total``: the number of hypotheses, when only some were tested (a screen kept them):
    the others count as p = 1, which keeps the false-discovery rate over all of them."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = max(ok.size, total or 0)
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, ok.size + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def g_statistic(mi: float, n: float, dof: int) -> tuple[float, float]:
    """``(G, p)`` of a G-test: ``G = 2 n I`` (``I`` in nats) against chi-square(``dof``);
    p = 1 with no degree of freedom, NaN without rows."""
    if n == 0 or math.isnan(mi):
        return math.nan, math.nan
    g = 2.0 * n * mi
    return g, float(scipy_stats.chi2.sf(g, dof)) if dof > 0 else 1.0


def conditional_dof(tables: list[np.ndarray]) -> int:
    """Degrees of freedom of a conditional independence test from its strata's tables:
    ``sum_z (r_z - 1)(c_z - 1)`` over the values seen in each stratum (a stratum where
    X or Y takes one value adds none)."""
    dof = 0
    for t in tables:
        rows = int(np.count_nonzero(t.sum(axis=1)))
        cols = int(np.count_nonzero(t.sum(axis=0)))
        dof += max(rows - 1, 0) * max(cols - 1, 0)
    return dof
