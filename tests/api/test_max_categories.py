"""``max_categories``: columns with too many values are folded, memory stays bounded, and a
result is either the exact (uncapped) value or NaN with a warning, never another number."""

from __future__ import annotations

import json
import math
import warnings
import zipfile

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_mutual_info_score, mutual_info_score, normalized_mutual_info_score

import dmi
from dmi._math.codes import Folded, IntRange, Values, fold, unite

RNG = np.random.default_rng(11)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dmi.IdentifierWarning)
        warnings.simplefilter("ignore", dmi.MaxCategoriesWarning)
        warnings.simplefilter("ignore", dmi.EmptyColumnWarning)  # drawn columns may be all missing
        return fn(*args, **kwargs)


def _frame(n: int = 4_000, ids: str = "ints") -> pd.DataFrame:
    other = RNG.integers(0, 5, n)
    if ids == "ints":  # a row number, shuffled within each quarter (ranges stay disjoint)
        ident = np.concatenate([RNG.permutation(q) for q in np.array_split(np.arange(n) * 7 + 3, 4)])
    elif ids == "padded":
        ident = np.array([f"row-{i:08d}" for i in range(n)], dtype=object)
    else:  # random tokens: partitions' ranges overlap
        ident = np.array([f"{v:016x}" for v in RNG.integers(0, 2**62, n)], dtype=object)
    return pd.DataFrame(
        {
            "id": ident,
            "other": other,
            "noisy": np.where(RNG.random(n) < 0.4, RNG.integers(0, 5, n), other),
            "label": pd.array(np.array(list("abc"))[RNG.integers(0, 3, n)], dtype="str"),
        }
    )


@pytest.mark.parametrize("ids", ["ints", "padded"])
@pytest.mark.parametrize("cap", [50, 1_500])  # folded in every partition / only once merged
def test_a_provable_identifier_over_the_cap_is_exact(ids, cap):
    frame = _frame(ids=ids)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    exact = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, max_categories=None)
    with pytest.warns(dmi.IdentifierWarning, match=r"'id' take a different value in every row"):
        capped = dmi.mutual_info_matrix(ddf, discrete=True, max_categories=cap)
    pd.testing.assert_frame_equal(capped, exact, check_exact=False, rtol=1e-12, atol=0)
    assert capped.loc["id", "other"] == capped.loc["other", "other"]  # MI = H(other), exactly
    assert capped.loc["id", "id"] == pytest.approx(math.log(len(frame)), rel=1e-15)
    assert capped.loc["id", "noisy"] == pytest.approx(mutual_info_score(frame.id, frame.noisy), rel=1e-12)
    summary = dmi.summarize(ddf, discrete=True, max_categories=cap, random_state=0)
    domain = summary.state.counts.domains[0]
    assert isinstance(domain, Folded) and domain.identifier  # its values were dropped...
    cs = summary.state.counts
    assert all(t.shape[0] == 2 for t, (a, _) in zip(cs.tables, cs.spec.pairs, strict=True) if a == 0)


def test_the_table_of_a_folded_identifier_matches_the_uncapped_one():
    frame = _frame(1_200)
    exact = _quiet(dmi.mutual_info_table, frame, discrete=True, max_categories=None, p_value="chi2")
    capped = _quiet(dmi.mutual_info_table, frame, discrete=True, max_categories=100, p_value="auto")
    same = ["x", "y", "n", "n_missing", "mi", "h_x", "h_y", "nmi", "ami", "mi_miller_madow", "g", "dof"]
    pd.testing.assert_frame_equal(capped[same], exact[same], check_exact=False, rtol=1e-9, atol=1e-12)
    first = capped.iloc[0]  # (id, other)
    assert first.ami == pytest.approx(adjusted_mutual_info_score(frame.id, frame.other), abs=1e-9)
    assert abs(first.ami) < 1e-9  # every permutation of an identifier gives the same MI
    assert first.nmi == pytest.approx(normalized_mutual_info_score(frame.id, frame.other), rel=1e-9)
    # the permutation test needs the identifier's margin in full; its p-value is the G-test's
    assert (capped.loc[capped.x == "id", "p_method"] == "chi2").all()
    assert capped.loc[capped.x == "id", "p_value"].to_numpy() == pytest.approx(
        exact.loc[exact.x == "id", "p_value"].to_numpy(), rel=1e-9
    )


def test_an_identifier_whose_partition_ranges_overlap_is_nan_with_a_warning():
    frame = _frame(ids="tokens")
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    exact = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, max_categories=None)
    with pytest.warns(dmi.MaxCategoriesWarning) as record:
        capped = dmi.mutual_info_matrix(ddf, discrete=True, max_categories=500)
    message = str(record[0].message)
    assert "'id' (at least" in message and "max_categories=500" in message
    assert "never repeated a value within a partition" in message  # the identifier hint
    assert capped.loc["id"].isna().all() and capped["id"].isna().all()
    rest = ["other", "noisy", "label"]
    pd.testing.assert_frame_equal(capped.loc[rest, rest], exact.loc[rest, rest], check_exact=True)
    assert capped.attrs["n_rows"] == len(frame)  # the rows are still known
    with pytest.warns(dmi.MaxCategoriesWarning):  # and each pair's, in the long table
        table = dmi.mutual_info_table(ddf, ["id", "other"], discrete=True, max_categories=500)
    assert table["n"].tolist() == [len(frame)]


def test_a_repeating_column_over_the_cap_is_nan_never_another_number():
    n = 3_000
    frame = pd.DataFrame({"many": RNG.integers(0, 1_000, n), "k": RNG.integers(0, 3, n)})
    frame["many"] = frame["many"].astype(str)
    with pytest.warns(dmi.MaxCategoriesWarning) as record:
        got = dmi.mutual_info_matrix(frame, discrete=True, max_categories=100)
    assert "never repeated" not in str(record[0].message)
    assert math.isnan(got.loc["many", "k"]) and math.isnan(got.loc["many", "many"])
    assert got.loc["k", "k"] == pytest.approx(mutual_info_score(frame.k, frame.k), rel=1e-12)
    table = _quiet(dmi.mutual_info_table, frame, discrete=True, max_categories=100).iloc[0]
    assert table.n == n and table.n_missing == 0  # the rows are known, nothing else
    numbers = ["mi", "h_x", "h_y", "nmi", "ami", "mi_miller_madow", "g", "p_value", "q_value"]
    assert table[numbers].isna().all() and pd.isna(table.dof) and table.p_method is None


def test_the_cap_counts_the_values_present_not_a_range():
    n = 2_000  # two integers far apart: a range domain of a million codes, two values
    frame = pd.DataFrame({"far": np.where(RNG.random(n) < 0.5, 0, 10**6), "k": RNG.integers(0, 3, n)})
    got = dmi.mutual_info_matrix(frame, discrete=True, max_categories=10)
    assert got.loc["far", "k"] == pytest.approx(mutual_info_score(frame.far, frame.k), rel=1e-12)


def test_missing_values_in_a_folded_identifier():
    frame = _frame(2_000)
    frame["id"] = frame["id"].astype("Int64")
    frame.loc[RNG.choice(2_000, 300, replace=False), "id"] = None
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)  # the quarters: disjoint ranges
    for dropna in (True, False):
        exact = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, max_categories=None, dropna=dropna)
        capped = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, max_categories=40, dropna=dropna)
        pd.testing.assert_frame_equal(capped, exact, check_exact=False, rtol=1e-12, atol=1e-15)
    as_category = frame["id"].astype(object).where(frame["id"].notna(), "<NA>").astype(str)
    assert capped.loc["id", "noisy"] == pytest.approx(mutual_info_score(as_category, frame.noisy), rel=1e-12)


def test_memory_does_not_grow_with_a_folded_columns_values():
    def nbytes(n):
        frame = pd.DataFrame(
            {"id": [f"{v:016x}" for v in RNG.integers(0, 2**62, n)], "k": RNG.integers(0, 9, n)}
        )
        s = _quiet(
            dmi.summarize,
            dd.from_pandas(frame, npartitions=4, sort=False),
            discrete=True,
            max_categories=1_000,
        )
        cs = s.state.counts
        arrays = [*cs.marginals, *(t if isinstance(t, np.ndarray) else t.counts for t in cs.tables)]
        values = sum(d.index().memory_usage(deep=True) for d in cs.domains)
        return sum(a.nbytes for a in arrays) + values

    assert nbytes(200_000) == nbytes(20_000)  # 10x the rows, not one byte more kept
    exact = pd.DataFrame({"id": np.arange(20_000).astype(str), "k": 0})
    uncapped = dmi.summarize(exact, discrete=True, max_categories=None).state.counts
    assert uncapped.domains[0].size == 20_000  # without the cap, every value is kept


@st.composite
def _frames_and_cap(draw):
    n = draw(st.integers(1, 60))
    cols = {}
    for i in range(draw(st.integers(2, 4))):
        distinct = draw(st.integers(1, 80))
        kind = draw(st.sampled_from(["ints", "strs", "unique"]))
        if kind == "unique":
            values = np.arange(n) * draw(st.integers(1, 3))
            if draw(st.booleans()):
                values = values[::-1].copy()
        else:
            values = np.array(draw(st.lists(st.integers(0, distinct), min_size=n, max_size=n)))
        col = pd.Series(values).astype(str) if kind == "strs" else pd.Series(values)
        if draw(st.booleans()):
            col = col.astype("Int64" if kind != "strs" else "str").mask(
                np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            )
        cols[f"c{i}"] = col.to_numpy() if col.dtype == object else col.array
    frame = pd.DataFrame(cols)
    cap = draw(st.integers(1, 12))
    npartitions = draw(st.integers(1, 4))
    return frame, cap, npartitions, draw(st.booleans())


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames_and_cap())
def test_capped_results_are_exact_or_nan(drawn):
    frame, cap, npartitions, dropna = drawn
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    exact = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, dropna=dropna, max_categories=None)
    capped = _quiet(dmi.mutual_info_matrix, ddf, discrete=True, dropna=dropna, max_categories=cap)
    got, want = capped.to_numpy(), exact.to_numpy()
    known = ~np.isnan(got)
    assert np.allclose(got[known], want[known], rtol=1e-12, atol=1e-15, equal_nan=True)
    assert (got == got.T)[known].all()
    distinct = frame.nunique(dropna=True).to_numpy()
    small = distinct <= cap  # a column under the cap everywhere is never folded
    block = np.ix_(small, small)
    assert (np.isnan(got[block]) == np.isnan(want[block])).all()


def test_fold_and_unite():
    a = fold(IntRange(0, 4), np.array([2, 1, 1, 0, 1, 1]))  # values 0, 1, 3, 4 once each
    assert (a.at_least, a.unique, a.ranges) == (4, True, ((0, 4),))
    b = fold(Values(pd.Index(["x", "y"])), np.array([0, 1, 2]))
    assert not b.unique and not b.identifier
    c = fold(IntRange(10, 12), np.array([0, 1, 1, 1]))
    united, maps = unite([c, a], 10)
    assert united.identifier and united.ranges == ((0, 4), (10, 12)) and maps == [None, None]
    overlapping = fold(IntRange(3, 5), np.array([0, 1, 1, 1]))
    assert unite([a, overlapping], 10)[0].ranges is None  # they could share a value: unproven
    mixed = fold(Values(pd.Index([1, "1"], dtype=object)), np.array([0, 1, 1]))
    assert mixed.ranges is None and not mixed.identifier  # values that do not compare
    empty = fold(Values(pd.Index([], dtype=object)), np.array([5]))
    assert empty.identifier and unite([a, empty], 10)[0].ranges == ((0, 4),)
    with pytest.raises(ValueError, match="fold every slice"):
        unite([a, IntRange(0, 3)], 10)


def test_summaries_keep_the_cap(tmp_path):
    frame = _frame(2_000)
    s = _quiet(dmi.summarize, frame, discrete=True, max_categories=100, random_state=1)
    s.save(tmp_path / "s.dmi")
    loaded = dmi.load(tmp_path / "s.dmi")
    assert loaded.max_categories == 100 and isinstance(loaded.state.counts.domains[0], Folded)
    direct = _quiet(dmi.mutual_info_matrix, frame, discrete=True, max_categories=100, random_state=1)
    pd.testing.assert_frame_equal(_quiet(dmi.mutual_info_matrix, loaded), direct, check_exact=True)
    parts = (frame[:1000], frame[1000:])
    halves = [
        _quiet(dmi.summarize, part, discrete=True, max_categories=100, random_state=1) for part in parts
    ]
    merged = halves[0].merge(halves[1])
    pd.testing.assert_frame_equal(_quiet(dmi.mutual_info_matrix, merged), direct, check_exact=True)
    other = _quiet(dmi.summarize, frame[1000:], discrete=True, max_categories=None, random_state=1)
    with pytest.raises(ValueError, match="different max_categories: 100 and None"):
        halves[0].merge(other)
    with pytest.raises(ValueError, match=r"max_categories=5 differs from the summary's 100"):
        dmi.mutual_info_matrix(loaded, max_categories=5)
    # the default's value, chosen explicitly, is a choice too (a summary's cap is fixed)
    with pytest.raises(ValueError, match=r"max_categories=1000000 differs from the summary's 100"):
        dmi.mutual_info_matrix(loaded, max_categories=1_000_000)
    assert _quiet(dmi.mutual_info_matrix, loaded).equals(
        _quiet(dmi.mutual_info_matrix, loaded, max_categories=100)
    )
    # a version-1 file (before the cap) reads as uncapped
    uncapped = dmi.summarize(frame[:50], random_state=1, discrete=True, max_categories=None)
    uncapped.save(tmp_path / "v1.dmi")
    with zipfile.ZipFile(tmp_path / "v1.dmi") as z:
        files = {name: z.read(name) for name in z.namelist()}
    meta = json.loads(files["meta.json"])
    meta["version"] = 1
    del meta["counts"]["max_categories"]
    files["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "v1.dmi", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    assert dmi.load(tmp_path / "v1.dmi").max_categories is None


def test_conditioning_with_a_folded_column_is_nan_with_a_warning():
    frame = _frame(1_500, ids="tokens").assign(z=lambda d: d.other % 2)
    with pytest.warns(dmi.MaxCategoriesWarning, match="'id'"):
        got = dmi.mutual_info_matrix(frame, given="z", discrete=True, max_categories=200)
    assert got.loc["id"].isna().all()
    exact = dmi.mutual_info_matrix(
        frame[["other", "noisy", "label", "z"]], given="z", discrete=True, max_categories=200
    )
    assert got.loc["other", "noisy"] == exact.loc["other", "noisy"]


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0, ValueError, r"max_categories must be an integer >= 1, got 0"),
        ("10", TypeError, r"max_categories must be an integer >= 1, got '10'"),
        (True, TypeError, r"max_categories must be an integer >= 1, got True"),
        (2.5, TypeError, r"max_categories must be an integer >= 1, got 2.5"),
    ],
)
def test_bad_max_categories(value, error, match):
    frame = _frame(20)
    with pytest.raises(error, match=match):
        dmi.mutual_info_matrix(frame, discrete=True, max_categories=value)
    with pytest.raises(error, match=match):
        dmi.summarize(frame, discrete=True, max_categories=value)
