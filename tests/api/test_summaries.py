"""summarize / merge / save / load: a summary stands in for its data, exactly."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import dmi


def _frame(seed=0, n=8_000):
    frame = dmi.make_example(n, random_state=seed, n_int_columns=4, max_cardinality=40, n_float_columns=2)
    frame.loc[frame.index[::17], "city"] = None
    return frame


def _same_state(a: dmi.Summary, b: dmi.Summary) -> None:
    assert a.n_rows == b.n_rows
    ca, cb = a.state.counts, b.state.counts
    for k in range(len(ca.spec.pairs)):
        assert ca.pair_counts(k) == cb.pair_counts(k)  # per value, whatever the codes
    for c in range(len(ca.spec.columns)):
        assert ca.marginal_counts(c) == cb.marginal_counts(c)
    np.testing.assert_array_equal(a.state.sample.keys, b.state.sample.keys)
    pd.testing.assert_frame_equal(a.state.sample.frame, b.state.sample.frame, check_dtype=False)


def test_summary_of_all_rows_equals_merged_summaries():
    frame = _frame()
    whole = dmi.summarize(frame, random_state=5, sample_size=3_000)
    # slices of a frame keep their RangeIndex labels, hence their rows' sample keys
    a = dmi.summarize(frame.iloc[:3_000], random_state=5, sample_size=3_000)
    b = dmi.summarize(frame.iloc[3_000:], random_state=5, sample_size=3_000)
    _same_state(whole, a.merge(b))
    _same_state(whole, b.merge(a))
    assert "8,000 rows" in repr(whole)


def test_results_from_a_summary_equal_results_from_the_data():
    frame = _frame(1)
    kw = {"random_state": 9, "sample_size": 3_000}
    s = dmi.summarize(frame, **kw)
    full = dmi.mutual_info_matrix(frame, **kw)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(s), full, check_exact=True)
    # A subset read from the summary uses the summary's sample, keyed on every column, so
    # it equals the full matrix's cells (a direct subset call keys its own sample).
    subset = ["city", "c02", "f00"]
    # (to rounding: a pair listed the other way round sums its table in the other order)
    got = dmi.mutual_info_matrix(s, subset)
    pd.testing.assert_frame_equal(got, full.loc[subset, subset], check_exact=False, rtol=1e-12)
    # mutual_info_with samples the same columns as the matrix (keys fold them in a
    # canonical order), so it equals the direct call
    pd.testing.assert_series_equal(
        dmi.mutual_info_with(s, "f01"),
        dmi.mutual_info_with(frame, "f01", **kw),
        check_exact=False,
        rtol=1e-12,
    )
    pd.testing.assert_frame_equal(
        dmi.mutual_info_table(s, random_state=9), dmi.mutual_info_table(frame, **kw), check_exact=True
    )


def test_save_and_load_round_trip(tmp_path):
    frame = _frame(2).assign(
        flag=lambda d: d.c00 > 0, wide=lambda d: d.c03 * 10**12, cat=lambda d: d.grade.astype("category")
    )
    s = dmi.summarize(frame.iloc[:5_000], random_state=3, sample_size=2_000)
    s = s.merge(dmi.summarize(frame.iloc[5_000:], random_state=3, sample_size=2_000))
    s.save(tmp_path / "table.dmi")
    loaded = dmi.load(tmp_path / "table.dmi")
    assert (loaded.columns, loaded.kinds, loaded.dtypes, loaded.seed) == (
        s.columns,
        s.kinds,
        s.dtypes,
        s.seed,
    )
    _same_state(s, loaded)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(loaded), dmi.mutual_info_matrix(s), check_exact=True)
    direct = dmi.mutual_info_matrix(frame, random_state=3, sample_size=2_000)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(loaded), direct, check_exact=True)
    with zipfile.ZipFile(tmp_path / "table.dmi") as z:  # a documented, non-pickle format
        meta = json.loads(z.read("meta.json"))
        assert meta["format"] == "dmi-summary" and meta["version"] == 5
        assert not any(name.endswith((".pkl", ".pickle")) for name in z.namelist())


@pytest.mark.parametrize("version", [1, 2])
def test_summaries_saved_in_older_format_versions_still_load(tmp_path, version):
    # an older file is today's file without the fields its version lacked: version 3 added
    # row_keys and the integer columns decided by the pass (kind "a", auto, auto_cap),
    # version 2 added max_categories; discrete=True keeps the kinds an older file could hold
    frame = _frame(4)
    s = dmi.summarize(frame, discrete=["c00", "c01", "c02", "c03", "city", "grade"], random_state=2)
    s.save(tmp_path / "new.dmi")
    with zipfile.ZipFile(tmp_path / "new.dmi") as z:
        files = {name: z.read(name) for name in z.namelist()}
    meta = json.loads(files["meta.json"])
    meta["version"] = version
    meta["counts"].pop("auto"), meta["counts"].pop("auto_cap")
    if version == 1:
        meta["counts"].pop("max_categories")
    files["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(tmp_path / "old.dmi", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)

    old = dmi.load(tmp_path / "old.dmi")
    assert old.kinds == s.kinds and old.row_keys == "content"
    assert old.max_categories == (None if version == 1 else s.max_categories)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(old), dmi.mutual_info_matrix(s), check_exact=True)
    with pytest.raises(ValueError, match="format version 1 or 2 keyed its sample by row content"):
        old.merge(s)


def test_nightly_update_from_new_files_only(tmp_path):
    days = [_frame(10 + d, n=4_000) for d in range(3)]
    for d, day in enumerate(days):
        day.to_parquet(tmp_path / f"day{d}.parquet", index=False)
    kw = {"random_state": 1, "sample_size": 2_500}
    running = dmi.summarize(tmp_path / "day0.parquet", **kw)
    for d in (1, 2):  # each night: summarize only the new file, merge, save
        running = running.merge(dmi.summarize(tmp_path / f"day{d}.parquet", **kw))
        running.save(tmp_path / "state.dmi")
        running = dmi.load(tmp_path / "state.dmi")
    everything = dmi.mutual_info_matrix(str(tmp_path / "day*.parquet"), **kw)
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(running), everything, check_exact=True)


def test_nightly_update_with_default_arguments(tmp_path):
    # exactly as a nightly job is written: no random_state, no sample_size
    days = [_frame(20 + d, n=3_000) for d in range(3)]
    for d, day in enumerate(days):
        day.to_parquet(tmp_path / f"day{d}.parquet", index=False)
    dmi.summarize(tmp_path / "day0.parquet").save(tmp_path / "state.dmi")
    for d in (1, 2):
        state = dmi.load(tmp_path / "state.dmi").merge(dmi.summarize(tmp_path / f"day{d}.parquet"))
        state.save(tmp_path / "state.dmi")
    state = dmi.load(tmp_path / "state.dmi")
    assert state.n_rows == 9_000
    everything = dmi.summarize(str(tmp_path / "day*.parquet"))
    _same_state(state, everything)  # bit for bit the summary of all three files
    direct = dmi.mutual_info_matrix(str(tmp_path / "day*.parquet"))
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(state), direct, check_exact=True)


def test_merging_summaries_that_share_rows_is_refused(tmp_path):
    monday, tuesday = _frame(30, n=2_000), _frame(31, n=2_000)
    monday.to_parquet(tmp_path / "monday.parquet", index=False)
    once = dmi.summarize(tmp_path / "monday.parquet")
    with pytest.raises(ValueError, match=r"share rows: 2,000 sampled rows .* summarized twice"):
        once.merge(dmi.summarize(tmp_path / "monday.parquet"))
    # two in-memory frames that both number their rows from 0
    with pytest.raises(ValueError, match=r"pd.RangeIndex\(start, start \+ len\(df\)\)"):
        dmi.summarize(monday).merge(dmi.summarize(tuesday))
    tuesday.index = pd.RangeIndex(len(monday), len(monday) + len(tuesday))
    both = dmi.summarize(monday).merge(dmi.summarize(tuesday))
    _same_state(both, dmi.summarize(pd.concat([monday, tuesday])))


def test_merged_sample_stays_uniform():
    n, parts = 60_000, 12
    frame = pd.DataFrame(
        {"v": np.random.default_rng(0).standard_normal(n), "part": np.repeat(np.arange(parts), n // parts)}
    )
    merged = None
    for p in range(parts):
        s = dmi.summarize(frame[frame.part == p], random_state=4, sample_size=6_000)
        merged = s if merged is None else merged.merge(s)
    sampled = merged.state.sample.frame.iloc[:, 1].astype(int)
    counts = np.bincount(sampled, minlength=parts)
    assert counts.sum() == 6_000
    assert stats.chisquare(counts).pvalue > 0.001


def test_merging_summaries_that_differ_names_the_difference():
    frame = _frame(3)
    s = dmi.summarize(frame, random_state=1, sample_size=1_000)
    with pytest.raises(ValueError, match=r"different columns"):
        s.merge(dmi.summarize(frame.drop(columns="c00"), random_state=1, sample_size=1_000))
    with pytest.raises(ValueError, match=r"column 'c00' has different dtypes: 'int64' and 'int32'"):
        s.merge(dmi.summarize(frame.astype({"c00": "int32"}), random_state=1, sample_size=1_000))
    with pytest.raises(ValueError, match=r"different seed: 1 and 2"):
        s.merge(dmi.summarize(frame, random_state=2, sample_size=1_000))
    with pytest.raises(ValueError, match=r"different sample_size"):
        s.merge(dmi.summarize(frame, random_state=1, sample_size=999))
    with pytest.raises(ValueError, match=r"different kinds"):
        s.merge(dmi.summarize(frame, random_state=1, sample_size=1_000, discrete=True))
    with pytest.raises(TypeError, match=r"can only merge a dmi Summary"):
        s.merge(frame)


def test_requests_a_summary_cannot_answer():
    s = dmi.summarize(_frame(4), random_state=1, sample_size=1_000)
    with pytest.raises(ValueError, match=r"discrete= cannot be changed for a summary"):
        dmi.mutual_info_matrix(s, discrete=True)
    with pytest.raises(ValueError, match=r"need the data, not a summary"):
        dmi.mutual_info_matrix(s, method="binned")
    with pytest.raises(ValueError, match=r"differs from the summary's seed 1"):
        dmi.mutual_info_matrix(s, random_state=2)
    with pytest.raises(KeyError, match=r"unknown column\(s\) 'nope'"):
        dmi.mutual_info_with(s, "nope")


def test_loading_other_files_is_a_clear_error(tmp_path):
    (tmp_path / "text.dmi").write_text("hello")
    with pytest.raises(ValueError, match=r"not a dmi summary file \(not a zip archive\)"):
        dmi.load(tmp_path / "text.dmi")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("data.csv", "a,b\n")
    with pytest.raises(ValueError, match=r"not a dmi summary file \(no readable meta.json\)"):
        dmi.load(tmp_path / "other.zip")
    s = dmi.summarize(_frame(5), random_state=1, sample_size=500)
    s.save(tmp_path / "s.dmi")
    for change, match in [
        ({"format": "something"}, r"format 'something'"),
        ({"version": 7}, r"version 7, newer"),
    ]:
        with zipfile.ZipFile(tmp_path / "s.dmi") as z:
            files = {name: z.read(name) for name in z.namelist()}
        meta = json.loads(files["meta.json"])
        meta.update(change)
        files["meta.json"] = json.dumps(meta).encode()
        with zipfile.ZipFile(tmp_path / "changed.dmi", "w") as z:
            for name, data in files.items():
                z.writestr(name, data)
        with pytest.raises(ValueError, match=match):
            dmi.load(tmp_path / "changed.dmi")


def test_a_given_summary_answers_conditional_requests(tmp_path):
    frame = _frame(6).assign(z=lambda d: d.c00 * 2 + (d.c01 % 2))
    kw = {"random_state": 2, "sample_size": 3_000}
    direct = dmi.mutual_info_matrix(frame, given="z", **kw)
    a = dmi.summarize(frame.iloc[:5_000], given="z", **kw)
    b = dmi.summarize(frame.iloc[5_000:], given="z", **kw)
    merged = a.merge(b)
    merged.save(tmp_path / "given.dmi")
    loaded = dmi.load(tmp_path / "given.dmi")
    assert loaded.given == "z" and "given 'z'" in repr(loaded)
    for s in (merged, loaded):
        got = dmi.mutual_info_matrix(s, given="z")
        pd.testing.assert_frame_equal(got, direct, check_exact=False, rtol=1e-12)
        subset = dmi.mutual_info_matrix(s, ["city", "c02", "c03"], given="z")  # pairs read either way round
        pd.testing.assert_frame_equal(
            subset, direct.loc[["city", "c02", "c03"], ["city", "c02", "c03"]], check_exact=False, rtol=1e-12
        )
        scalar = dmi.conditional_mutual_info(s, "c03", "c02", given="z")
        assert scalar == pytest.approx(dmi.conditional_mutual_info(frame, "c02", "c03", given="z"), rel=1e-9)
    with pytest.raises(ValueError, match=r"holds the counts for given='z' only"):
        dmi.mutual_info_matrix(loaded)
    with pytest.raises(ValueError, match=r"holds the counts for given='z' only; pass given='z'"):
        dmi.mutual_info_matrix(loaded, given="c00")
    with pytest.raises(ValueError, match=r"different given: 'z' and None"):
        merged.merge(dmi.summarize(frame.drop(columns="z"), **kw))
