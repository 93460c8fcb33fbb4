"""Tests of conditional independence ``X ⊥ Y | Z`` from exact counts (pure numpy/scipy).

A test's counts are a three-way array ``t[z, x, y]``: every combination of the values of
the conditioning columns, of ``X``'s columns and of ``Y``'s (:func:`strata_table`).

* :func:`conditional_mi` -- ``I(X;Y|Z) = sum_{z,x,y} p(x,y,z) ln(p(z) p(x,y,z) / (p(x,z) p(y,z)))``
  (nats) and the rows it is over.
* :func:`g_test` -- ``G = 2 N I(X;Y|Z)`` against chi-square with
  ``sum_z (R_z - 1)(C_z - 1)`` degrees of freedom, ``R_z`` and ``C_z`` the values of ``X``
  and ``Y`` seen in stratum ``z`` (a stratum where one of them is constant adds none).
* :func:`permutation_p` -- the exact-conditional alternative where the chi-square
  approximation is poor (:func:`is_sparse`): in each stratum, random tables with the
  stratum's margins (Patefield's algorithm, ``scipy.stats.random_table``), which is ``X``
  permuted within the strata; ``p = (1 + #{G* >= G}) / (1 + permutations)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numba
import numpy as np
from scipy import stats as scipy_stats

from dmi._math.joint_tables import marginal
from dmi._math.stats import SPARSE_SHARE


def strata_table(
    table: np.ndarray,
    columns: Sequence[Hashable],
    x: Sequence[Hashable],
    y: Sequence[Hashable],
    z: Sequence[Hashable],
) -> np.ndarray:
    """The counts ``t[z, x, y]`` of a test from the joint table of ``columns`` (which holds
    ``x``, ``y`` and ``z``; each side's combinations flattened)."""
    t = marginal(table, list(columns), [*z, *x, *y])
    shape = t.shape
    nz = int(np.prod(shape[: len(z)], dtype=np.int64))
    nx = int(np.prod(shape[len(z) : len(z) + len(x)], dtype=np.int64))
    return t.reshape(nz, nx, -1)


def _xlogx(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    out = np.zeros_like(a)
    np.multiply(a, np.log(a, where=a > 0, out=np.zeros_like(a)), out=out, where=a > 0)
    return out


def _g_per_stratum(t: np.ndarray) -> np.ndarray:
    """``G`` of each stratum's table (the last two axes): ``2 (sum t ln t - sum r ln r -
    sum c ln c + n ln n)``; any leading axes are kept (draws of a permutation test)."""
    rows, cols, n = t.sum(axis=-1), t.sum(axis=-2), t.sum(axis=(-1, -2))
    g = _xlogx(t).sum(axis=(-1, -2)) - _xlogx(rows).sum(axis=-1) - _xlogx(cols).sum(axis=-1) + _xlogx(n)
    return np.maximum(2.0 * g, 0.0)


def g_statistics(t: np.ndarray) -> tuple[float, int, int]:
    """``(G, dof, rows)`` of ``t[z, x, y]`` (G NaN without rows); see :func:`g_p_values`.
    One test of :func:`g_tests`, the kernel every counted test goes through."""
    g, d, n, _ = g_tests([np.asarray(t)], [[Z, X, Y]])[0]
    return float(g), int(d), int(n)


def conditional_mi(t: np.ndarray) -> tuple[float, int]:
    """``I(X;Y|Z)`` in nats and the rows of ``t[z, x, y]``; NaN without rows."""
    g, _, n = g_statistics(t)
    return (g / (2.0 * n) if n else math.nan), n


def dof(t: np.ndarray) -> int:
    """``sum_z (R_z - 1)(C_z - 1)`` over the values of ``X`` and ``Y`` seen in each stratum."""
    return g_statistics(t)[1]


def g_p_values(g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The G-tests' p-values, all at once: chi-square(``d``) tail of ``g``; 1 without a
    degree of freedom, NaN where ``g`` is NaN (no rows)."""
    g, d = np.asarray(g, dtype=np.float64), np.asarray(d, dtype=np.float64)
    p = np.ones(g.shape)
    ok = d > 0
    p[ok] = scipy_stats.chi2.sf(g[ok], d[ok])
    p[np.isnan(g)] = np.nan
    return p


def g_test(t: np.ndarray) -> tuple[float, int, float]:
    """``(G, dof, p)``; p = 1 without a degree of freedom, NaN without rows."""
    g, d, _ = g_statistics(t)
    return g, d, float(g_p_values(np.array([g]), np.array([d]))[0])


def is_sparse(t: np.ndarray) -> bool:
    """More than ``SPARSE_SHARE`` of the expected counts ``n_xz n_yz / n_z`` of the cells
    with a degree of freedom (strata where X and Y each take two values or more) below 5."""
    small = cells = 0
    for s in t:
        r, c = s.sum(axis=1), s.sum(axis=0)
        r, c = r[r > 0], c[c > 0]
        if r.size < 2 or c.size < 2:
            continue
        expected = np.outer(r, c) / s.sum()
        small += int((expected < 5).sum())
        cells += expected.size
    return cells > 0 and small / cells > SPARSE_SHARE


def permutation_p(
    t: np.ndarray, permutations: int, rng: np.random.Generator, stop_after: int | None = None
) -> float:
    """The permutation p-value of ``G`` within strata (see the module).

    ``stop_after``: draw in batches and stop once this many random tables reached the
    observed ``G``, with the p-value ``stop_after / tables drawn`` (Besag and Clifford
    1991); the small p-values, where a decision is close, always draw all ``permutations``."""
    observed = float(_g_per_stratum(t).sum())
    margins = []
    for s in t:
        r, c = s.sum(axis=1), s.sum(axis=0)
        r, c = r[r > 0], c[c > 0]
        if r.size >= 2 and c.size >= 2:  # else one possible table: G = 0
            margins.append(scipy_stats.random_table(r, c, seed=rng))
    # a tolerance for the rounding of sums of logs: an equal table is "at least as large"
    floor = observed - 1e-9 * max(1.0, observed)
    above = drawn = 0
    # one batch of 99 first when a decision may stop it early, then the rest at once (each
    # batch costs a call per stratum, whatever its size)
    batches = [permutations] if stop_after is None else [min(permutations, 99), max(permutations - 99, 0)]
    for size in batches:
        if size == 0:
            break
        total = np.zeros(size)
        for table in margins:
            total += _g_per_stratum(table.rvs(size=size))
        above += int(np.sum(total >= floor))
        drawn += size
        if stop_after is not None and above >= stop_after:
            return above / drawn
    return (1 + above) / (1 + permutations)


def conditional_entropy(t: np.ndarray) -> tuple[float, int]:
    """``H(X|Z)`` in nats and the rows of ``t[z, x, 1]`` (a test's table without ``Y``)."""
    t = np.asarray(t, dtype=np.float64).reshape(t.shape[0], -1)
    n = float(t.sum())
    if n == 0:
        return math.nan, 0
    per_z = t.sum(axis=1)
    h = (_xlogx(per_z).sum() - _xlogx(t).sum()) / n
    return max(float(h), 0.0), int(n)


X, Y, Z = 1, 2, 0
"""An axis's role in a test's joint table (:func:`g_tests`)."""


def g_tests(
    tables: Sequence[np.ndarray], roles: Sequence[Sequence[int]], which: Sequence[int] | None = None
) -> np.ndarray:
    """``(G, dof, rows, sparse)`` of many tests at once, one row each: test ``i`` reads the
    joint table ``tables[which[i]]`` (``tables[i]`` when ``which`` is None; tests over the
    same columns share a table) whose axis ``a`` is a column of ``Z``, ``X`` or ``Y`` by
    ``roles[i][a]`` (every axis one of them). ``sparse`` is :func:`is_sparse`'s rule. The
    same numbers as :func:`g_statistics` and :func:`is_sparse` of :func:`strata_table`,
    without building each test's three-way array."""
    picks = np.arange(len(tables)) if which is None else np.asarray(which, dtype=np.int64)
    if len(picks) != len(roles):
        raise ValueError(f"{len(roles)} tests' roles for {len(picks)} tables")
    width = max((t.ndim for t in tables), default=1)
    # weighted sums (a float weights column) stay float; counts are int64
    dtype = np.float64 if any(t.dtype.kind == "f" for t in tables) else np.int64
    flat = (
        np.concatenate([np.ascontiguousarray(t, dtype=dtype).ravel() for t in tables])
        if tables
        else np.zeros(0, dtype)
    )
    offsets = np.zeros(len(tables) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([t.size for t in tables])
    shapes = np.array([(*t.shape, *(1,) * (width - t.ndim)) for t in tables], dtype=np.int64).reshape(
        -1, width
    )
    role = np.array([(*r, *(-1,) * (width - len(r))) for r in roles], dtype=np.int64).reshape(-1, width)
    return _g_tests(flat, offsets, picks, shapes[picks], role, SPARSE_SHARE)


@numba.njit(nogil=True, cache=True)
def _g_tests(
    flat: np.ndarray,
    offsets: np.ndarray,
    picks: np.ndarray,
    shapes: np.ndarray,
    role: np.ndarray,
    share: float,
) -> np.ndarray:  # pragma: no cover
    out = np.zeros((shapes.shape[0], 4))
    width = shapes.shape[1]
    for i in range(shapes.shape[0]):
        nz = nx = ny = 1
        for a in range(width):
            if role[i, a] == 0:
                nz *= shapes[i, a]
            elif role[i, a] == 1:
                nx *= shapes[i, a]
            elif role[i, a] == 2:
                ny *= shapes[i, a]
        xz = np.zeros(nz * nx)
        yz = np.zeros(nz * ny)
        zz = np.zeros(nz)
        g = 0.0
        index = np.zeros(width, dtype=np.int64)
        for f in range(offsets[picks[i]], offsets[picks[i] + 1]):
            v = flat[f]
            if v > 0:
                zi = xi = yi = 0
                for a in range(width):
                    r = role[i, a]
                    if r == 0:
                        zi = zi * shapes[i, a] + index[a]
                    elif r == 1:
                        xi = xi * shapes[i, a] + index[a]
                    elif r == 2:
                        yi = yi * shapes[i, a] + index[a]
                xz[zi * nx + xi] += v
                yz[zi * ny + yi] += v
                zz[zi] += v
                g += v * math.log(v)
            for a in range(width - 1, -1, -1):  # the next cell's index, last axis fastest
                index[a] += 1
                if index[a] < shapes[i, a]:
                    break
                index[a] = 0
        dof = 0
        n = 0.0
        small = cells = 0
        for z in range(nz):
            if zz[z] == 0:
                continue
            n += zz[z]
            g += zz[z] * math.log(zz[z])
            rows = cols = 0
            for x in range(nx):
                c = xz[z * nx + x]
                if c > 0:
                    g -= c * math.log(c)
                    rows += 1
            for y in range(ny):
                c = yz[z * ny + y]
                if c > 0:
                    g -= c * math.log(c)
                    cols += 1
            dof += (rows - 1) * (cols - 1)
            if rows >= 2 and cols >= 2:
                for x in range(nx):
                    a = xz[z * nx + x]
                    if a == 0:
                        continue
                    for y in range(ny):
                        b = yz[z * ny + y]
                        if b > 0:
                            cells += 1
                            small += a * b / zz[z] < 5
        out[i, 0] = max(2.0 * g, 0.0) if n > 0 else math.nan
        out[i, 1] = dof
        out[i, 2] = n
        out[i, 3] = 1.0 if cells > 0 and small / cells > share else 0.0
    return out
