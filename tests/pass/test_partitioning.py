"""Results do not depend on partitioning, merge order or input form (pandas, dask, Parquet)."""

from __future__ import annotations

import itertools

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from conftest import discrete_frame
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

import dmi


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return discrete_frame(4_000, seed=3, missing=True)


@pytest.fixture(scope="module")
def reference(frame) -> pd.DataFrame:
    return dmi.mutual_info_matrix(dd.from_pandas(frame, npartitions=1))


@pytest.mark.parametrize("npartitions", [1, 3, 7, 64])
@pytest.mark.parametrize("split_every", [False, 2, None])
def test_identical_across_partitionings(frame, reference, npartitions, split_every):
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    result = dmi.mutual_info_matrix(ddf, split_every=split_every)
    # Bit-identical, not merely close: the counts are exact and summed in a canonical order.
    pd.testing.assert_frame_equal(result, reference, check_exact=True)


@pytest.mark.parametrize("npartitions", [1, 7])
def test_mutual_info_with_identical_across_partitionings(frame, npartitions):
    ref = dmi.mutual_info_with(frame, "str", normalize="geometric")
    got = dmi.mutual_info_with(
        dd.from_pandas(frame, npartitions=npartitions, sort=False),
        "str",
        normalize="geometric",
        split_every=3,
    )
    pd.testing.assert_series_equal(got, ref, check_exact=True)


def test_pandas_dask_and_parquet_inputs_agree(frame, reference, tmp_path):
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 5)):
        p = tmp_path / f"part-{i}.parquet"
        frame.iloc[part].to_parquet(p, index=False)
        paths.append(p)
    from_pandas = dmi.mutual_info_matrix(frame)
    from_glob = dmi.mutual_info_matrix(str(tmp_path / "*.parquet"))
    from_dir = dmi.mutual_info_matrix(tmp_path)
    from_list = dmi.mutual_info_matrix(paths)
    for got in (from_pandas, from_glob, from_dir, from_list):
        pd.testing.assert_frame_equal(got, reference, check_exact=True)


def test_parquet_reads_only_needed_columns(frame, tmp_path):
    frame.to_parquet(tmp_path / "one.parquet", index=False)
    m = dmi.mutual_info_matrix(tmp_path / "one.parquet", columns=["int", "str"])
    assert list(m.columns) == ["int", "str"]
    complete = frame[frame["str"].notna()]
    assert m.loc["int", "str"] == pytest.approx(
        mutual_info_score(complete["int"], pd.factorize(complete["str"])[0]), rel=1e-9
    )


def test_row_order_does_not_matter(frame, reference):
    shuffled = frame.sample(frac=1.0, random_state=7)
    result = dmi.mutual_info_matrix(dd.from_pandas(shuffled, npartitions=5, sort=False))
    pd.testing.assert_frame_equal(result, reference, check_exact=True)


def test_input_is_not_modified(frame):
    before = frame.copy(deep=True)
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    ddf_before = ddf.compute()
    dmi.mutual_info_matrix(frame, dropna=False, normalize="max")
    dmi.mutual_info_with(ddf, "int", discrete=True)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(ddf.compute(), ddf_before)


def test_one_compute_per_call(frame, count_computes):
    ddf = dd.from_pandas(frame, npartitions=6, sort=False)
    dmi.mutual_info_matrix(ddf)
    assert count_computes.calls == 1
    dmi.mutual_info_with(ddf, "str", split_every=2)
    assert count_computes.calls == 2


def test_one_compute_from_parquet(frame, tmp_path, count_computes):
    frame.to_parquet(tmp_path / "x.parquet", index=False)
    dmi.mutual_info_matrix(tmp_path / "x.parquet")
    assert count_computes.calls == 1


# --- hypothesis: random frames cut at random places --------------------------------

_values = st.one_of(st.none(), st.integers(-3, 3))


@st.composite
def frames_and_cuts(draw):
    n = draw(st.integers(1, 60))
    ncols = draw(st.integers(1, 4))
    data = {}
    for c in range(ncols):
        kind = draw(st.sampled_from(["int", "Int64", "str", "bool", "wide"]))
        raw = draw(st.lists(_values, min_size=n, max_size=n))
        if kind == "int":
            data[f"c{c}"] = np.array([0 if v is None else v for v in raw], dtype=np.int64)
        elif kind == "wide":
            data[f"c{c}"] = np.array([0 if v is None else v * 10**12 for v in raw], dtype=np.int64)
        elif kind == "Int64":
            data[f"c{c}"] = pd.array(raw, dtype="Int64")
        elif kind == "str":
            data[f"c{c}"] = pd.array([None if v is None else f"v{v}" for v in raw], dtype="str")
        else:
            data[f"c{c}"] = pd.array([None if v is None else v > 0 for v in raw], dtype="boolean")
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=6))) - {n})
    return pd.DataFrame(data), cuts


def _from_cuts(frame: pd.DataFrame, cuts: list[int]) -> dd.DataFrame:
    bounds = [0, *cuts, len(frame)]
    parts = [frame.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    return dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts])


@pytest.mark.filterwarnings("ignore::dmi.EmptyColumnWarning")  # a drawn column may be all missing
@given(frames_and_cuts(), st.sampled_from([False, 2, 3]), st.booleans())
def test_random_cuts_equal_one_partition(frame_cuts, split_every, dropna):
    frame, cuts = frame_cuts
    ddf = _from_cuts(frame, cuts)
    ref = dmi.mutual_info_matrix(frame, dropna=dropna)
    got = dmi.mutual_info_matrix(ddf, dropna=dropna, split_every=split_every)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    values = ref.to_numpy()
    np.testing.assert_array_equal(values, values.T)
    diag = np.diag(values)
    for i in range(len(values)):
        for j in range(len(values)):
            if i != j and not np.isnan(values[i, j]):
                assert values[i, j] >= 0.0
                # I(X;Y) <= H(X) with X's entropy over the same rows: compare with sklearn
                a, b = frame.iloc[:, i], frame.iloc[:, j]
                keep = (a.notna() & b.notna()).to_numpy() if dropna else np.ones(len(a), bool)
                la = pd.factorize(a[keep], use_na_sentinel=False)[0]
                lb = pd.factorize(b[keep], use_na_sentinel=False)[0]
                expected = mutual_info_score(la, lb)
                assert values[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-12)
                if not dropna:
                    assert values[i, j] <= min(diag[i], diag[j]) + 1e-12


@pytest.mark.filterwarnings("ignore::dmi.IdentifierWarning")  # the id column is one on purpose
@pytest.mark.parametrize("dropna", [True, False])
def test_sparse_high_cardinality_pairs_identical_across_partitionings(dropna):
    rng = np.random.default_rng(17)
    n = 30_000
    ids = rng.permutation(n)
    frame = pd.DataFrame(
        {
            # string ids: hashed codes in order of appearance, sparse tables against the others
            "id": pd.array([f"user-{i}" if i % 11 else None for i in ids], dtype="str"),
            "g": rng.integers(0, 300, n),
            "h": pd.array(np.where(rng.random(n) < 0.1, None, (ids // 3).astype(str)), dtype="str"),
        }
    )
    ref = dmi.mutual_info_matrix(frame, dropna=dropna, discrete=True)  # g: codes of 300 categories
    for npartitions, split_every in [(4, 2), (13, False), (29, 3)]:
        shuffled = frame.sample(frac=1.0, random_state=npartitions)
        got = dmi.mutual_info_matrix(
            dd.from_pandas(shuffled, npartitions=npartitions, sort=False),
            dropna=dropna,
            split_every=split_every,
            discrete=True,
        )
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
    keep = frame["id"].notna() & frame["g"].notna() if dropna else np.ones(n, bool)
    expected = mutual_info_score(pd.factorize(frame.loc[keep, "id"])[0], frame.loc[keep, "g"])
    assert ref.loc["id", "g"] == pytest.approx(expected, rel=1e-9)
