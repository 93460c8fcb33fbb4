"""mutual_info_table: every statistic against an independent reference (scipy, scikit-learn)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import adjusted_mutual_info_score, mutual_info_score, normalized_mutual_info_score

import dmi


def _rows_of(table) -> pd.DataFrame:
    """A two-column frame whose contingency table is ``table``."""
    table = np.asarray(table)
    xs, ys = np.nonzero(table)
    reps = table[xs, ys]
    return pd.DataFrame({"x": np.repeat(xs, reps), "y": np.repeat(ys, reps)})


@pytest.mark.parametrize(
    ("table", "mi", "g", "p"),
    [([[10, 0], [0, 10]], math.log(2), 27.7259, 1.398e-7), ([[8, 2], [3, 7]], 0.132505, 5.3002, 0.021323)],
)
def test_reference_tables(table, mi, g, p):
    row = dmi.mutual_info_table(_rows_of(table), p_value="chi2").iloc[0]
    assert row["mi"] == pytest.approx(mi, rel=1e-5)
    assert row["g"] == pytest.approx(g, rel=1e-5)
    assert row["p_value"] == pytest.approx(p, rel=1e-3)
    assert row["dof"] == 1 and row["p_method"] == "chi2"
    # in bits, MI changes and G does not (G in bits is a known bug elsewhere)
    in_bits = dmi.mutual_info_table(_rows_of(table), base=2, p_value="chi2").iloc[0]
    assert in_bits["mi"] == pytest.approx(row["mi"] / math.log(2))
    assert in_bits["g"] == row["g"] and in_bits["p_value"] == row["p_value"]


def test_reference_labels_mi_and_ami():
    a = [1] * 6 + [2] * 6 + [3] * 5
    b = [1, 1, 1, 1, 2, 1, 2, 2, 2, 2, 3, 1, 3, 3, 3, 2, 2]
    row = dmi.mutual_info_table(pd.DataFrame({"a": a, "b": b})).iloc[0]
    assert row["mi"] == pytest.approx(0.41022, abs=1e-5)
    assert row["ami"] == pytest.approx(0.27821, abs=1e-5)


def _random_frame(seed, n=3_000):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n)
    return pd.DataFrame(
        {
            "x": x,
            "y": (x + rng.integers(0, 4, n)) % 7,
            "z": pd.array(rng.choice(list("pqrs"), n), dtype="str"),
            "w": np.where(rng.random(n) < 0.1, None, rng.integers(0, 3, n).astype(str)),
        }
    )


@pytest.mark.parametrize("average", ["arithmetic", "geometric", "min", "max"])
def test_against_scipy_and_sklearn(average):
    frame = _random_frame(1)
    table = dmi.mutual_info_table(frame, normalize=average, p_value="chi2")
    for row in table.itertuples():
        both = frame[[row.x, row.y]].dropna()
        xs, ys = both[row.x].astype(str), both[row.y].astype(str)
        assert row.n == len(both) and row.n_missing == len(frame) - len(both)
        assert row.mi == pytest.approx(mutual_info_score(xs, ys), rel=1e-9)
        assert row.nmi == pytest.approx(
            normalized_mutual_info_score(xs, ys, average_method=average), rel=1e-9
        )
        assert row.ami == pytest.approx(adjusted_mutual_info_score(xs, ys, average_method=average), rel=1e-9)
        counts = pd.crosstab(xs, ys).to_numpy()
        g, p, dof, _ = stats.chi2_contingency(counts, correction=False, lambda_="log-likelihood")
        assert row.g == pytest.approx(g, rel=1e-9) and row.dof == dof
        assert row.p_value == pytest.approx(p, rel=1e-6, abs=1e-300)
        # Miller-Madow: each plug-in entropy plus (non-empty cells - 1) / 2N
        n = counts.sum()

        def mm(c, n=n):
            c = c[c > 0]
            return stats.entropy(c) + (c.size - 1) / (2 * n)

        expected = mm(counts.sum(1)) + mm(counts.sum(0)) - mm(counts.ravel())
        assert row.mi_miller_madow == pytest.approx(expected, rel=1e-9)
    q = stats.false_discovery_control(table["p_value"].to_numpy(), method="bh")
    np.testing.assert_allclose(table["q_value"].to_numpy(), q, rtol=1e-12)


def test_sparse_tables_get_permutation_p_values():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.integers(0, 30, 200), "b": rng.integers(0, 30, 200)})
    row = dmi.mutual_info_table(frame, random_state=1).iloc[0]
    assert row["p_method"] == "permutation"  # 900 cells for 200 rows: expected counts far below 5
    assert 0 < row["p_value"] <= 1
    # against an independent permutation test: shuffle b, recompute MI with sklearn
    observed = mutual_info_score(frame.a, frame.b)
    shuffled = [mutual_info_score(frame.a, rng.permutation(frame.b)) for _ in range(999)]
    reference = (1 + sum(s >= observed - 1e-12 for s in shuffled)) / 1000
    assert row["p_value"] == pytest.approx(reference, abs=0.06)
    again = dmi.mutual_info_table(frame, random_state=1).iloc[0]
    assert again["p_value"] == row["p_value"]  # seeded


@pytest.mark.parametrize("sparse", [False, True])
def test_p_values_are_uniform_under_independence(sparse):
    rng = np.random.default_rng(11 + sparse)
    n, k = (60, 8) if sparse else (2_000, 4)
    frame = pd.DataFrame({f"c{i}": rng.integers(0, k, n) for i in range(16)})  # 120 independent pairs
    table = dmi.mutual_info_table(frame, random_state=3, permutations=199)
    assert set(table["p_method"]) == {"permutation" if sparse else "chi2"}
    assert stats.kstest(table["p_value"], "uniform").pvalue > 0.001
    assert (table["q_value"] >= table["p_value"]).all()


def test_ksg_standard_error_covers_the_true_value():
    rho, n = 0.6, 2_000
    truth = -0.5 * math.log(1 - rho**2)
    covered = []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(n)
        y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
        row = dmi.mutual_info_table(pd.DataFrame({"x": x, "y": y}), random_state=seed).iloc[0]
        assert row["kind"] == "cc" and row["estimator"] == "ksg" and row["mi_stderr"] > 0
        covered.append(abs(row["mi"] - truth) <= 1.96 * row["mi_stderr"])
    assert 0.8 <= np.mean(covered) <= 1.0


def test_kinds_and_what_does_not_apply():
    frame = dmi.make_example(5_000, random_state=2, n_int_columns=3, max_cardinality=10, n_float_columns=2)
    table = dmi.mutual_info_table(frame, random_state=0, sample_size=2_000)
    by_pair = table.set_index(["x", "y"])
    assert by_pair.loc[("c00", "c01"), "kind"] == "dd"
    assert by_pair.loc[("c00", "f00"), "kind"] == "dc" and by_pair.loc[("c00", "f00"), "estimator"] == "ross"
    assert by_pair.loc[("f00", "f01"), "kind"] == "cc"
    knn = table[table["kind"] != "dd"]
    assert knn["g"].isna().all() and knn["dof"].isna().all() and knn["p_value"].isna().all()
    assert (knn["n"] + knn["n_missing"] == 2_000).all() and knn["mi_stderr"].notna().all()
    assert table[table["kind"] == "dd"]["mi_stderr"].isna().all()
    matrix = dmi.mutual_info_matrix(frame, random_state=0, sample_size=2_000)
    for row in table.itertuples():
        assert row.mi == matrix.loc[row.x, row.y]  # the same computation as the matrix
    assert len(table) == 7 * 6 // 2  # 3 int + 2 string + 2 float columns


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"p_value": "exact"}, ValueError, r"p_value must be one of 'auto', 'chi2', 'permutation'"),
        ({"permutations": 0}, ValueError, r"permutations"),
        ({"stderr_splits": 1}, ValueError, r"stderr_splits"),
        ({"normalize": "median"}, ValueError, r"normalize must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        dmi.mutual_info_table(pd.DataFrame({"a": [0, 1], "b": [1, 0]}), **kwargs)


def test_knn_permutation_p_values():
    rng = np.random.default_rng(21)
    n = 400
    x = rng.standard_normal(n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": x + 0.5 * rng.standard_normal(n),  # strongly dependent on x
            "label": pd.array(np.where(x > 0, "pos", "neg"), dtype="str"),
            **{f"n{i}": rng.standard_normal(n) for i in range(12)},  # independent noise
        }
    )
    table = dmi.mutual_info_table(frame, random_state=0, knn_permutations=49).set_index(["x", "y"])
    assert table.loc[("x", "y"), "p_value"] == pytest.approx(1 / 50)  # no shuffle reaches it
    assert table.loc[("x", "label"), "p_value"] == pytest.approx(1 / 50)
    assert (table["p_method"] == "permutation").all()
    noise = table.loc[[(a, b) for a, b in table.index if a.startswith("n") and b.startswith("n")], "p_value"]
    assert len(noise) == 66 and stats.kstest(noise, "uniform").pvalue > 0.001  # calibrated
    plain = dmi.mutual_info_table(frame, random_state=0)
    assert plain["p_value"].isna().all()  # off by default: k-NN p-values cost estimates
    assert (plain["mi"].to_numpy() == table["mi"].to_numpy()).all()
