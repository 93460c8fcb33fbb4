"""The sample's continuous columns prepared on first read, within a memory budget."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from dmi._math.knn_pairs import KnnTask, estimate_block, prepare_sample
from dmi._math.prepared import Lru, nbytes
from dmi._math.sample import Sample


def _sample(n: int = 2_000) -> Sample:
    rng = np.random.default_rng(0)
    z = rng.standard_normal(n)
    frame = pd.DataFrame(
        {
            0: z + rng.standard_normal(n),
            1: rng.integers(0, 3, n),
            2: np.exp(z + rng.standard_normal(n)),
            3: np.round(z + rng.standard_normal(n), 1),  # ties: an axis per pair
            4: z * z + rng.standard_normal(n),
        }
    )
    frame.loc[::7, 2] = np.nan  # the pairs of column 2 are on fewer rows
    return Sample(np.arange(n, dtype=np.uint64), frame, n)


def _all_pairs(p: int) -> list[KnnTask]:
    return [KnnTask(s, a, b) for s, (a, b) in enumerate((a, b) for a in range(p) for b in range(a + 1, p))]


def test_a_tiny_budget_gives_the_same_estimates_making_columns_again() -> None:
    sample = _sample()
    names, continuous = list("abcde"), [True, False, True, True, True]
    roomy = prepare_sample(sample, names, continuous, seed=3)
    tight = prepare_sample(sample, names, continuous, seed=3, memory=1)
    tasks = _all_pairs(5)
    assert estimate_block(tight, tasks, 3) == estimate_block(roomy, tasks, 3)
    assert roomy.continuous.cache.made == 4 + 3  # each column once, the 3 untied ones' axes once
    assert tight.continuous.cache.made > roomy.continuous.cache.made  # made again when read again
    assert len(tight.continuous.cache._items) == 1  # only the last item outlives a 1-byte budget


def test_nothing_is_prepared_before_a_pair_reads_it() -> None:
    prep = prepare_sample(_sample(), list("abcde"), [True, False, True, True, True], seed=3)
    assert prep.continuous.cache.made == 0
    assert list(prep.continuous) == [0, 2, 3, 4]
    np.testing.assert_array_equal(prep.present(2), ~np.isnan(_sample().frame[2].to_numpy()))
    assert prep.continuous.cache.made == 0  # presence is read from the values
    assert prep.counts(3) == (np.unique(_sample().frame[3]).size, 2_000)


def test_a_pickled_sample_leaves_its_cache_behind_and_estimates_the_same() -> None:
    prep = prepare_sample(_sample(), list("abcde"), [True, False, True, True, True], seed=3)
    tasks = _all_pairs(5)
    before = estimate_block(prep, tasks, 3)
    copy = pickle.loads(pickle.dumps(prep))
    assert copy.continuous.cache.made == 0 and copy.continuous.cache.used == 0
    assert estimate_block(copy, tasks, 3) == before


def test_lru_keeps_the_most_recent_within_its_budget() -> None:
    sample = _sample()
    prep = prepare_sample(sample, list("abcde"), [True, False, True, True, True], seed=3)
    size = nbytes(prep.continuous[0])
    cache = Lru(2 * size + size // 2)
    made = []

    def make(c: int):
        made.append(c)
        return prep.continuous[0]

    for c in (0, 1, 0, 2, 0, 1):  # 1 is the least recent when 2 arrives: dropped
        cache.get(c, lambda c=c: make(c))
    assert made == [0, 1, 2, 1]
    assert cache.used <= cache.budget


@pytest.mark.parametrize("budget", ["0 B", "lots", -1])
def test_a_bad_knn_memory_names_its_key(budget: object) -> None:
    import dask

    from dmi._pass.config import knn_memory

    with dask.config.set({"dmi.knn-memory": budget}), pytest.raises(ValueError, match=r"dmi\.knn-memory"):
        knn_memory()


def test_blocks_go_tile_by_tile_and_hold_every_pair_once() -> None:
    from dmi._math.knn_pairs import TILE, in_blocks

    p = 3 * TILE
    tasks = _all_pairs(p)
    blocks = in_blocks(tasks)
    flat = [t for block in blocks for t in block]
    assert sorted(t.slot for t in flat) == [t.slot for t in tasks]  # each pair once
    tiles = [(min(t.a, t.b) // TILE, max(t.a, t.b) // TILE) for t in flat]
    assert tiles == sorted(tiles)  # one tile after another
    # a block holds the pairs of one tile pair, or the end of one and the start of the next
    spans = [{(min(t.a, t.b) // TILE, max(t.a, t.b) // TILE) for t in block} for block in blocks]
    assert max(len(span) for span in spans) <= 2
    assert max(len({c for t in block for c in (t.a, t.b)}) for block in blocks) <= 4 * TILE


@pytest.mark.parametrize("seed", range(4))
def test_an_untied_columns_axis_deals_as_the_general_walk_does(seed: int) -> None:
    """A column without ties takes its draws by sequential reads of its order (the rows of
    the pair among them); it must deal exactly what the general walk over the partner's
    order (``_deal``) deals, for any rows of a pair and any partner order, and lay out the
    same axis."""
    from dmi._math.jitter import _axis, _deal, axis, prepare

    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(50):
        n = int(rng.integers(1, 2_000))
        raw = rng.normal(size=n)
        raw[rng.random(n) < rng.random() * 0.5] = np.nan
        col = prepare(raw, rng)
        assert not col.tied
        rows = ~np.isnan(raw) & (rng.random(n) >= rng.random() * 0.5)
        partner = rng.permutation(np.flatnonzero(rows))  # the partner's order: any order of the rows
        walk, drawn = _deal(col.group, col.starts, col.draws, col.by_draw, rows, partner)
        in_pair = rows[col.order]
        assert np.array_equal(walk, col.order[in_pair]) and np.array_equal(drawn, col.draws[in_pair])
        general, untied = _axis(col.raw, rows, walk, drawn), axis(col, rows, partner)
        for field in ("values", "sorted", "by_value", "rank"):
            assert np.array_equal(getattr(general, field), getattr(untied, field))
        checked += int(rows.sum())
    assert checked > 10_000


@pytest.mark.parametrize("n", [1, 1_023, 1_024, 1_025, 100_000])
def test_the_cache_counts_a_value_index_at_the_bytes_it_takes(n: int) -> None:
    """An axis's value index is made when KSG first reads it; the cache counts its bytes
    before then, so the count must be what ``value_index`` makes."""
    from dmi._math.neighbours import CELLS, SEGMENT, value_index, value_index_nbytes

    values = np.sort(np.random.default_rng(n).normal(size=n))
    assert value_index_nbytes(n) == sum(a.nbytes for a in value_index(values, SEGMENT, CELLS))
