"""A pair's kernels shared among threads give the same estimates, bit for bit."""

from __future__ import annotations

import threading

import dask
import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._math.jitter import axis, prepare
from dmi._math.knn import ross
from dmi._math.knn_pairs import threads_per_block
from dmi._math.parallel import ranges, run_pieces


@pytest.mark.parametrize("n", [0, 1, 5, 10])
@pytest.mark.parametrize("pieces", [1, 2, 3, 16])
def test_ranges_cover_the_work_once(n: int, pieces: int) -> None:
    parts = ranges(n, pieces)
    covered = [i for lo, hi in parts for i in range(lo, hi)]
    assert covered == list(range(n))
    assert len(parts) == max(1, min(pieces, n))


def test_run_pieces_uses_other_threads_and_keeps_order() -> None:
    seen: list[str] = []

    def piece(lo: int, hi: int) -> tuple[int, int]:
        seen.append(threading.current_thread().name)
        return lo, hi

    assert run_pieces(piece, 10, 1) == [(0, 10)]
    assert seen == [threading.current_thread().name]  # one piece: run here
    seen.clear()
    out = run_pieces(piece, 10, 2)
    assert [lo for lo, _ in out] == sorted(lo for lo, _ in out)
    assert sum(hi - lo for lo, hi in out) == 10
    if len(out) > 1:  # on a machine of one core, one piece
        assert any(name.startswith("dmi-kernel") for name in seen)


def test_threads_per_block() -> None:
    assert threads_per_block(2, 1) == 2  # one pair on two cores: both
    assert threads_per_block(2, 16) == 1
    assert threads_per_block(8, 3) == 2
    assert threads_per_block(1, 0) == 1


@pytest.mark.parametrize("classes", [2, 16, 1000])
def test_ross_with_threads_is_bit_identical(classes: int) -> None:
    rng = np.random.default_rng(classes)
    n = 30_000
    d = rng.integers(0, classes, n)
    c = np.round(d / classes + 0.3 * rng.standard_normal(n), 2)  # ties
    col = prepare(c, np.random.default_rng(1))
    ax = axis(col, np.ones(n, dtype=bool), col.order)
    assert ross(ax, d, 3, threads=2) == ross(ax, d, 3, threads=1)


def test_one_pair_on_two_threads_equals_one_thread() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.standard_normal(n)
    df = pd.DataFrame({"x": x, "y": np.round(x + rng.standard_normal(n), 1), "d": rng.integers(0, 5, n)})
    kw = {"random_state": 0, "discrete": ["d"]}
    with dask.config.set(num_workers=1):  # one thread: no pair is split
        single = dmi.mutual_info_matrix(df, **kw)
    with dask.config.set(num_workers=2):  # three pairs on two threads; then one pair alone
        split = dmi.mutual_info_matrix(df, **kw)
        alone = dmi.mutual_info_matrix(df[["x", "y"]], random_state=0)
    pd.testing.assert_frame_equal(single, split, check_exact=True)
    assert alone.loc["x", "y"] == single.loc["x", "y"]
