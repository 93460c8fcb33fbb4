"""Pairs in blocks: when pair tables would exceed ``dmi.table-memory``, passes of smaller
blocks give the identical result, and a summary never allocates past its limit."""

from __future__ import annotations

import logging
import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

import dmi
from dmi._engine.validate import DEFAULT_MAX_CATEGORIES
from dmi._math.counts import CountSpec, TablesTooLarge, chunk, merge
from dmi._pass.blocks import Block, split, table_bytes


def _wide(n: int = 20_000, p: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"z{i}": rng.integers(0, 400, n) for i in range(p)})
    frame["z1"] = (frame["z0"] + rng.integers(0, 3, n)) % 400  # one strong dependence
    frame["s"] = pd.array(np.array(list("abcdefgh"))[rng.integers(0, 8, n)], dtype="str")
    frame["x"] = rng.normal(size=n) + frame["z0"] / 100  # continuous: k-NN pairs too
    return frame


def _codes(frame) -> list[str]:
    """The z columns are codes of 400 categories (integers with many values are continuous
    under discrete='auto'), and s is a string column: every column but x and y."""
    return [c for c in frame.columns if c not in ("x", "y")]


@pytest.mark.parametrize("dropna", [True, False])
def test_blocked_passes_give_the_one_pass_result(count_computes, caplog, dropna):
    frame = _wide()
    frame.loc[::7, "z3"] = None
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    kw = {"random_state": 1, "sample_size": 5_000, "dropna": dropna, "discrete": _codes(frame)}
    with dask.config.set({"dmi.table-memory": 2**40}):
        one = (
            dmi.mutual_info_matrix(ddf, **kw)
            if dropna
            else dmi.mutual_info_matrix(ddf.drop(columns="x"), **kw)
        )
    assert count_computes.calls == 1
    with dask.config.set({"dmi.table-memory": "8 MiB"}), caplog.at_level(logging.INFO, logger="dmi"):
        blocked = (
            dmi.mutual_info_matrix(ddf, **kw)
            if dropna
            else dmi.mutual_info_matrix(ddf.drop(columns="x"), **kw)
        )
    assert count_computes.calls > 3  # a failed first attempt, then one pass per block
    assert "passes instead of one" in caplog.text
    pd.testing.assert_frame_equal(blocked, one, check_exact=True)
    assert blocked.attrs == one.attrs
    assert blocked.loc["z0", "z1"] == pytest.approx(mutual_info_score(frame.z0, frame.z1), rel=1e-12)


def test_blocked_table_and_with_equal_the_one_pass_ones():
    frame = _wide(p=6)
    kw = {"random_state": 2, "sample_size": 5_000, "discrete": _codes(frame)}
    table_kw = {**kw, "p_value": "chi2"}  # permutations of 400 x 400 tables are slow
    with dask.config.set({"dmi.table-memory": 2**40}):
        table, with_z0 = dmi.mutual_info_table(frame, **table_kw), dmi.mutual_info_with(frame, "z0", **kw)
    with dask.config.set({"dmi.table-memory": "4 MiB"}):
        pd.testing.assert_frame_equal(dmi.mutual_info_table(frame, **table_kw), table, check_exact=True)
        pd.testing.assert_series_equal(dmi.mutual_info_with(frame, "z0", **kw), with_z0, check_exact=True)


def test_a_summary_refuses_to_allocate_past_its_limit():
    frame = _wide(p=4).drop(columns="x")
    pairs = ((0, 1), (0, 2), (1, 3))
    spec = CountSpec(tuple(frame.columns[:4]), pairs, table_bytes=100_000)
    with pytest.raises(TablesTooLarge) as info:
        chunk(frame.iloc[:, :4], spec)
    estimate = info.value.pair_bytes
    assert len(estimate) == 3 and sum(estimate) > 100_000 and "exceed the limit of 100,000" in str(info.value)
    # the estimate is an upper bound of what the tables take
    unlimited = chunk(frame.iloc[:, :4], CountSpec(spec.columns, pairs))
    actual = [t.nbytes if isinstance(t, np.ndarray) else 3 * t.counts.nbytes for t in unlimited.tables]
    assert all(a <= e for a, e in zip(actual, estimate, strict=True))
    # one pair alone is never refused (it cannot be split), and merging checks too
    single = CountSpec(spec.columns, ((0, 1),), table_bytes=1)
    chunk(frame.iloc[:, :4], single)
    halves = [
        chunk(part, CountSpec(spec.columns, pairs))
        for part in (frame.iloc[:9_000, :4], frame.iloc[9_000:, :4])
    ]
    tight = CountSpec(spec.columns, pairs, table_bytes=50_000)
    with pytest.raises(TablesTooLarge):
        merge([type(h)(tight, h.n_rows, h.domains, h.marginals, h.tables) for h in halves])


def test_split_covers_every_pair_once_within_the_target():
    p = 30
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)]
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 100, len(pairs)).tolist()
    sizes[5] = 10_000  # bigger than the target: a block of its own
    knn = [len(pairs)]  # a k-NN pair (not counted) stays with the diagonal in the first block
    block = Block(tuple(range(len(pairs))) + tuple(knn), True)
    out = split(block, list(range(len(pairs))), sizes, [*pairs, (0, 1)], limit=1_000)
    flat = [k for b in out for k in b.pairs]
    assert sorted(flat) == sorted(block.pairs)  # every pair exactly once
    assert out[0].diagonal and not any(b.diagonal for b in out[1:]) and knn[0] in out[0].pairs
    for b in out:
        counted = [k for k in b.pairs if k < len(pairs)]
        assert sum(sizes[k] for k in counted) <= 500 or len(counted) == 1
    columns_read = [len({c for k in b.pairs if k < len(pairs) for c in pairs[k]}) for b in out]
    assert np.mean(columns_read) < p / 2  # tiles of columns: each pass reads a part of them


def test_bad_table_memory_config():
    for value in ("lots", -1, 0):
        with (
            dask.config.set({"dmi.table-memory": value}),
            pytest.raises(ValueError, match=r"dmi\.table-memory"),
        ):
            table_bytes(8)
    with dask.config.set({"dmi.table-memory": "1 GiB"}):
        assert table_bytes(8) == 2**30 // 8
        assert table_bytes(40) == 2**30 // 40  # a flat merge of 40 partitions holds all 40


def test_summarize_keeps_every_table():
    frame = _wide(p=4).drop(columns="x")
    with dask.config.set({"dmi.table-memory": 1_000}), warnings.catch_warnings():
        warnings.simplefilter("error")
        s = dmi.summarize(frame, random_state=0, max_categories=DEFAULT_MAX_CATEGORIES, discrete=True)
    assert len(s.state.counts.tables) == 10  # a summary is all the tables, by request


def test_progress_says_why_more_passes_follow(capsys):
    frame = _wide(p=4).drop(columns="x")
    with dask.config.set({"dmi.table-memory": "1 MiB"}):
        dmi.mutual_info_matrix(frame, progress=True, discrete=True)
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    # what was compared with what, in units that add up: a summary's tables against its share
    assert "more than its share of dmi.table-memory (1.00 MiB over the" in stderr
    assert "counting the pairs in" in stderr


def test_warnings_are_given_once_over_all_blocks():
    frame = _wide(p=5).drop(columns="x")
    frame["id"] = np.arange(len(frame))
    with dask.config.set({"dmi.table-memory": "2 MiB"}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dmi.mutual_info_matrix(frame, discrete=True)
    identifier = [w for w in caught if issubclass(w.category, dmi.IdentifierWarning)]
    assert len(identifier) == 1 and "'id'" in str(identifier[0].message)


@st.composite
def _frames(draw):
    n = draw(st.integers(1, 40))
    p = draw(st.integers(2, 6))
    cols = {}
    for i in range(p):
        k = draw(st.integers(1, 30))
        values = draw(st.lists(st.integers(0, k), min_size=n, max_size=n))
        cols[f"c{i}"] = pd.array(values, dtype="Int64") if draw(st.booleans()) else values
        if draw(st.booleans()):
            cols[f"c{i}"] = pd.array([None if v == 0 else str(v) for v in values], dtype="str")
    return pd.DataFrame(cols), draw(st.integers(1, 3)), draw(st.booleans())


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames())
def test_any_blocking_gives_the_one_pass_result(drawn):
    frame, npartitions, dropna = drawn
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = dmi.mutual_info_matrix(ddf, dropna=dropna)
        with dask.config.set({"dmi.table-memory": 8}):  # 1 byte per summary: every pair alone
            blocked = dmi.mutual_info_matrix(ddf, dropna=dropna)
    pd.testing.assert_frame_equal(blocked, one, check_exact=True)
    assert blocked.attrs == one.attrs


def test_binned_columns_are_blocked_with_the_same_edges():
    frame = _wide(p=4)
    frame["y"] = frame["x"] + np.random.default_rng(1).normal(size=len(frame))
    kw = {"method": "binned", "bins": 64, "random_state": 1, "discrete": _codes(frame)}
    one = dmi.mutual_info_matrix(frame, **kw)
    with dask.config.set({"dmi.table-memory": 1_000}):
        pd.testing.assert_frame_equal(dmi.mutual_info_matrix(frame, **kw), one, check_exact=True)


def test_a_flat_merge_shares_the_budget_among_all_partitions(passes):
    ddf = dd.from_pandas(_wide(n=2_000, p=3).drop(columns="x"), npartitions=16, sort=False)
    with dask.config.set({"dmi.table-memory": "16 MiB"}):
        dmi.mutual_info_matrix(ddf, discrete=True, split_every=False)  # one merge holds 16 summaries
        dmi.mutual_info_matrix(ddf, discrete=True, split_every=4)
    assert [spec.counts.table_bytes for _, spec in passes] == [2**20, 4 * 2**20]


@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_a_partition_counts_its_pairs_in_blocks_with_the_same_result(monkeypatch, scheduler):
    # one partition, more threads than partitions: its columns are encoded in runs and
    # its pairs counted in blocks, one task each; every number is the same as one task's
    from dmi._pass import blocks, graph

    frame = _wide(n=5_000)
    frame.loc[frame.index[::7], "z3"] = None  # missing values in one run of columns
    one = dd.from_pandas(frame, npartitions=1)
    kw = {"discrete": _codes(frame), "random_state": 0, "p_value": "chi2"}
    with dask.config.set(scheduler=scheduler):
        whole = dmi.mutual_info_table(one, **kw)
        monkeypatch.setattr(blocks, "_MIN_PAIRS_PER_TASK", 2)
        monkeypatch.setattr(graph, "threads", lambda: 4)
        assert len(blocks.within_partition(36, 1, 4)) == 4
        graphs, calls = [], []
        real = graph.compute_all

        def spy(objs, **kwargs):
            calls.append(len(objs))
            graphs.extend(dict(o.dask) for o in objs)
            return real(objs, **kwargs)

        monkeypatch.setattr(graph, "compute_all", spy)
        split = dmi.mutual_info_table(one, **kw)
        assert len(calls) == 1
        with dask.config.set({"dmi.table-memory": "2 MiB"}):  # too large: passes of fewer pairs
            blocked = dmi.mutual_info_table(one, **kw)
    tasks = {"-".join(str(k).split("-")[:2]) for g in graphs for k in g}
    assert {"dmi-encode", "dmi-count", "dmi-chunk"} <= tasks
    assert len(calls) > 3  # the oversized first attempt, then a pass per block
    pd.testing.assert_frame_equal(split, whole, check_exact=True)
    pd.testing.assert_frame_equal(blocked, whole, check_exact=True)


def test_blocks_within_a_partition_follow_the_threads():
    from dmi._pass.blocks import within_partition

    assert within_partition(19_900, 1, 2) == [range(0, 9_950), range(9_950, 19_900)]
    assert within_partition(19_900, 4, 2) == [range(19_900)]  # the partitions keep both busy
    assert within_partition(66, 1, 2) == [range(66)]  # too few pairs for a task of their own
    blocks = within_partition(1_000, 1, 8)
    assert [len(b) for b in blocks] == [334, 334, 332] and blocks[0].start == 0 and blocks[-1].stop == 1_000
