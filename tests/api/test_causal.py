"""dmi.independence_test, dmi.causal_skeleton and the adapters, against the real libraries
(scikit-learn, scipy, causal-learn, pgmpy) on data whose structure is known."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import mutual_info_score

import dmi


def alarm(rows: int, seed: int = 0) -> tuple[pd.DataFrame, set[frozenset[str]]]:
    """ALARM (37 variables, 46 arcs) forward-sampled from pgmpy's BIF file, and its skeleton."""
    pytest.importorskip("pgmpy")
    frame, arcs = dmi.sample_network("alarm", rows, random_state=seed)
    return frame, {frozenset(a) for a in zip(arcs.parent, arcs.child, strict=True)}


def confounded(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """x and y both depend on z (3 values) and w (2 values), and not on each other."""
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 3, n)
    w = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "z": z,
            "w": pd.array(np.array(["no", "yes"])[w], dtype="str"),
            "x": (z + w + rng.integers(0, 2, n)) % 4,
            "y": (2 * z + w + rng.integers(0, 3, n)) % 5,
            "c": z + w + rng.normal(size=n),
            "d": z - w + rng.normal(size=n),
        }
    )


# --- independence_test ---------------------------------------------------------------


def test_counted_test_equals_scikit_learn_and_scipy_per_stratum():
    df = confounded()
    res = dmi.independence_test(df, "x", "y", given=["z", "w"])
    strata = df.groupby(["z", "w"]).groups
    want_mi = sum(len(i) / len(df) * mutual_info_score(df.x[i], df.y[i]) for i in strata.values())
    g = dof = 0
    for i in strata.values():
        t = pd.crosstab(df.x[i], df.y[i]).to_numpy()
        r = stats.chi2_contingency(t, correction=False, lambda_="log-likelihood")
        g, dof = g + r.statistic, dof + r.dof
    assert res.mi == pytest.approx(want_mi, rel=1e-9)
    assert res.statistic == pytest.approx(g, rel=1e-9) and res.dof == dof
    assert res.p_value == pytest.approx(stats.chi2.sf(g, dof), rel=1e-9)
    assert res.n == len(df) and res.method == "g-test" and res.independent(0.01)
    assert not dmi.independence_test(df, "x", "y").independent(0.01)


def test_a_set_is_its_columns_joined():
    df = confounded()
    joined = df.assign(zw=df.z.astype(str) + "/" + df.w)
    a = dmi.independence_test(df, ["z", "w"], "x", base=2)
    b = dmi.independence_test(joined, "zw", "x", base=2)
    assert a.mi == pytest.approx(b.mi, rel=1e-12) and a.dof == b.dof and a.unit == "bits"
    c = dmi.independence_test(df, "y", "x", given=["w", "z"])
    d = dmi.independence_test(joined, "y", "x", given="zw")
    assert c.statistic == pytest.approx(d.statistic, rel=1e-9) and c.dof == d.dof


def test_sparse_tables_take_the_permutation_test():
    df = confounded(n=80)
    res = dmi.independence_test(df, "x", "y", given=["z", "w"])
    assert res.method == "permutation"
    assert 0 < res.p_value <= 1 and res.p_value * 1000 == pytest.approx(round(res.p_value * 1000))
    forced = dmi.independence_test(df, "x", "y", given=["z", "w"], method="g-test")
    assert forced.method == "g-test" and forced.statistic == res.statistic


def test_continuous_columns_take_the_knn_test():
    df = confounded(n=3_000)
    res = dmi.independence_test(df, "c", "d", given=["z", "w"], knn_permutations=99)
    assert res.method == "knn-permutation" and np.isnan(res.dof) and res.n == 3_000
    assert res.p_value > 0.01
    dep = dmi.independence_test(df, "c", "d", knn_permutations=99)
    assert dep.p_value == pytest.approx(0.01) and dep.mi > 0.02
    est = dmi.independence_test(df, "c", "x", given="z", knn_permutations=0)
    assert est.method == "knn" and np.isnan(est.p_value)


def test_gaussian_closed_form():
    rng = np.random.default_rng(1)
    n = 20_000
    z = rng.normal(size=n)
    x = z + rng.normal(size=n)
    y = 0.5 * x + z + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": y, "z": z})
    c = np.corrcoef([x, y, z])
    r = (c[0, 1] - c[0, 2] * c[1, 2]) / np.sqrt((1 - c[0, 2] ** 2) * (1 - c[1, 2] ** 2))
    res = dmi.independence_test(df, "x", "y", given="z", knn_permutations=0, sample_size=n)
    assert res.mi == pytest.approx(-0.5 * np.log(1 - r**2), abs=0.015)


def test_the_test_does_not_depend_on_the_partitioning(tmp_path):
    df = confounded(n=5_000)
    df.iloc[::7, 2] = np.nan  # missing x
    whole = dmi.independence_test(
        df, "x", "y", given="z", discrete=["x", "y", "z"]
    )  # whole numbers as floats
    for i, lo in enumerate(range(0, len(df), 1_300)):
        df.iloc[lo : lo + 1_300].to_parquet(tmp_path / f"part-{i}.parquet")
    parts = dmi.independence_test(str(tmp_path), "x", "y", given="z", discrete=["x", "y", "z"])
    assert (parts.statistic, parts.dof, parts.n) == (whole.statistic, whole.dof, whole.n)
    assert whole.n == len(df) - len(df.iloc[::7]) and whole.method == "g-test"


def test_constant_and_one_row_strata():
    df = confounded(n=2_000).assign(k=1)
    a = dmi.independence_test(df, "x", "y", given="k")
    b = dmi.independence_test(df, "x", "y")
    assert a.statistic == pytest.approx(b.statistic, rel=1e-12) and a.dof == b.dof
    single = df.assign(s=np.arange(len(df)))  # every stratum one row: nothing to test
    res = dmi.independence_test(single, "x", "y", given="s", method="g-test", discrete=["x", "y", "s"])
    assert (res.statistic, res.dof, res.p_value) == (0.0, 0, 1.0)
    # an integer column with many values is continuous (as everywhere in dmi), and says so
    with pytest.warns(dmi.ContinuousIntegersWarning, match="'s'"):
        knn = dmi.independence_test(single, "x", "y", given="s", knn_permutations=0)
    assert knn.method == "knn"


def test_bad_input():
    df = confounded(n=500)
    with pytest.raises(ValueError, match="'z' is in both x and given"):
        dmi.independence_test(df, ["x", "z"], "y", given="z")
    with pytest.raises(KeyError, match="nope"):
        dmi.independence_test(df, "x", "y", given=["z", "nope"])
    with pytest.raises(ValueError, match="x must name at least one column"):
        dmi.independence_test(df, [], "y")
    with pytest.raises(ValueError, match="names a column twice"):
        dmi.independence_test(df, "x", "y", given=["z", "z"])
    with pytest.raises(ValueError, match="method"):
        dmi.independence_test(df, "x", "y", method="chi")
    with pytest.raises(TypeError, match="Summary"):
        dmi.independence_test(dmi.summarize(df), "x", "y")
    with pytest.raises(ValueError, match="combinations"):
        wide = confounded(n=2_000)
        ids = wide.assign(i=np.arange(2_000), j=np.arange(2_000) * 3)
        dmi.independence_test(ids, "x", "y", given=["i", "j"], discrete=["x", "y", "i", "j"])
    before = df.copy()
    dmi.independence_test(df, "x", "y", given="z")
    pd.testing.assert_frame_equal(df, before)


# --- causal_skeleton -----------------------------------------------------------------


def test_skeleton_of_a_collider_and_its_removed_edges():
    df = confounded(n=20_000)
    g = dmi.causal_skeleton(df, ["z", "w", "x", "y"], alpha=0.01)
    assert g.skeleton() == {frozenset(e) for e in [("z", "x"), ("z", "y"), ("w", "x"), ("w", "y")]}
    arcs = {(x, y) for x, y, e in zip(g.edges.x, g.edges.y, g.edges.edge, strict=True) if e == "->"}
    assert arcs == {("z", "x"), ("w", "x"), ("z", "y"), ("w", "y")}  # two colliders
    removed = {
        frozenset((x, y)): set(s) for x, y, s in zip(g.removed.x, g.removed.y, g.removed.given, strict=True)
    }
    assert removed == {frozenset(("z", "w")): set(), frozenset(("x", "y")): {"z", "w"}}
    assert (g.removed.p_value > 0.01).all() and g.passes == 3
    nx_graph = g.to_networkx()
    assert set(nx_graph.edges) == arcs


def test_alarm_equals_causal_learn_pc_stable():
    pytest.importorskip("causallearn")
    from causallearn.search.ConstraintBased.PC import pc

    frame, truth = alarm(20_000)
    g = dmi.causal_skeleton(frame, alpha=0.01, max_given=2, method="g-test")
    cols = list(frame.columns)
    data = np.column_stack([frame[c].cat.codes.to_numpy() for c in cols]).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cg = pc(data, 0.01, "gsq", stable=True, uc_rule=0, uc_priority=2, max_k=2, show_progress=False)
    m = cg.G.graph
    p = len(cols)
    theirs = {frozenset((cols[i], cols[j])) for i in range(p) for j in range(i + 1, p) if m[i, j] != 0}
    assert g.skeleton() == theirs
    their_arcs = {(cols[i], cols[j]) for i in range(p) for j in range(p) if m[i, j] == -1 and m[j, i] == 1}
    ours = {(x, y) for x, y, e in zip(g.edges.x, g.edges.y, g.edges.edge, strict=True) if e == "->"}
    assert ours == their_arcs
    assert len(g.skeleton() & truth) >= 40  # of 46 true edges


def test_skeleton_from_parquet_equals_pandas(tmp_path):
    frame, _ = alarm(6_000, seed=3)
    frame = frame.iloc[:, :12]
    for i, lo in enumerate(range(0, len(frame), 1_500)):
        frame.iloc[lo : lo + 1_500].to_parquet(tmp_path / f"p{i}.parquet")
    a = dmi.causal_skeleton(frame, alpha=0.05, max_given=2)
    b = dmi.causal_skeleton(str(tmp_path), alpha=0.05, max_given=2)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    pd.testing.assert_frame_equal(a.removed, b.removed)


def test_continuous_skeleton_with_the_knn_test():
    rng = np.random.default_rng(5)
    n = 600
    a = rng.normal(size=n)
    b = np.tanh(a) * 2 + 0.5 * rng.normal(size=n)  # a -> b -> c, non-linear
    c = b**2 / 2 + 0.5 * rng.normal(size=n)
    g = dmi.causal_skeleton(pd.DataFrame({"a": a, "b": b, "c": c}), alpha=0.05, knn_permutations=39)
    assert g.skeleton() == {frozenset("ab"), frozenset("bc")}
    assert set(g.edges.edge) == {"--"}  # a chain: no v-structure to orient


def test_skeleton_bad_input():
    df = confounded(n=300)
    for alpha in (0, 1, 1.5, -0.1, "0.05", True):
        with pytest.raises(ValueError, match="alpha"):
            dmi.causal_skeleton(df, alpha=alpha)
    with pytest.raises(ValueError, match="max_given"):
        dmi.causal_skeleton(df, max_given=-1)
    with pytest.raises(ValueError, match="at least two columns"):
        dmi.causal_skeleton(df, ["x"])
    with pytest.raises(KeyError, match="nope"):
        dmi.causal_skeleton(df, ["x", "nope"])


def test_few_rows_per_cell_warn():
    df = confounded(n=120).assign(v=lambda f: f.x * 7 + f.y)
    shown = r"1 of 1 .*fewer than 5 rows per degree of freedom \('x' ⊥ 'v' \| 'z', 'w'\)"
    with pytest.warns(dmi.SparseTableWarning, match=shown):
        dmi.independence_test(df, "x", "v", given=["z", "w"], method="g-test")


# --- adapters ------------------------------------------------------------------------


def test_pgmpy_pc_with_dmi_test_equals_its_own_g_test():
    pytest.importorskip("pgmpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.estimators import PC

    df = confounded(n=5_000)[["z", "w", "x", "y"]]
    kw = dict(variant="stable", significance_level=0.01, show_progress=False, max_cond_vars=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = PC(df).estimate(ci_test=dmi.interop.pgmpy_ci_test(method="g-test"), **kw)
        theirs = PC(df).estimate(ci_test="g_sq", **kw)
    assert set(ours.edges()) == set(theirs.edges())
    assert {frozenset(e) for e in ours.edges()} == {
        frozenset(e) for e in [("z", "x"), ("z", "y"), ("w", "x"), ("w", "y")]
    }


def test_causal_learn_pc_with_dmi_test_equals_its_gsq():
    pytest.importorskip("causallearn")
    from causallearn.search.ConstraintBased.PC import pc

    df = confounded(n=5_000)[["z", "x", "y"]]
    data = df.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = pc(data, 0.01, dmi.interop.causal_learn_test(method="g-test"), show_progress=False)
        theirs = pc(data, 0.01, "gsq", show_progress=False)
    np.testing.assert_array_equal(ours.G.graph, theirs.G.graph)


def test_level_zero_from_a_summary_equals_the_data():
    df = confounded(n=20_000)[["z", "w", "x", "y"]]
    from_data = dmi.causal_skeleton(df, max_given=0, method="g-test")
    stored = dmi.causal_skeleton(dmi.summarize(df), max_given=0, method="g-test")
    pd.testing.assert_frame_equal(stored.edges, from_data.edges)
    cols = ["x", "y", "given", "p_value", "statistic", "dof", "n", "method", "level"]
    pd.testing.assert_frame_equal(stored.removed[cols], from_data.removed[cols], check_exact=False, rtol=1e-9)
    assert stored.passes == 0 and from_data.passes == 1
    with pytest.raises(ValueError, match="max_given=0"):
        dmi.causal_skeleton(dmi.summarize(df), max_given=1)
