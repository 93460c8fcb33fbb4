"""The radix argsorts equal numpy's stable argsort, ties and special floats included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dmi._math.sorting import argsort_float64, argsort_uint64

_FLOATS = st.floats(allow_nan=False, allow_subnormal=True, width=64)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 300), elements=_FLOATS))
def test_float_argsort_equals_numpy_stable(values: np.ndarray) -> None:
    before = values.copy()
    assert np.array_equal(argsort_float64(values), np.argsort(values, kind="stable"))
    assert np.array_equal(values, before, equal_nan=True)  # the input is not modified


_TIED = st.sampled_from([-1.5, -0.0, 0.0, 2.0, np.inf, -np.inf, 5e-324])


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 300), elements=_TIED))
def test_float_argsort_keeps_ties_in_input_order(values: np.ndarray) -> None:
    assert np.array_equal(argsort_float64(values), np.argsort(values, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.uint64, st.integers(0, 300), elements=st.integers(0, 2**64 - 1)))
def test_uint64_argsort_equals_numpy_stable(keys: np.ndarray) -> None:
    before = keys.copy()
    assert np.array_equal(argsort_uint64(keys), np.argsort(keys, kind="stable"))
    assert np.array_equal(keys, before)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 100_000])
def test_large_and_boundary_sizes(n: int) -> None:
    rng = np.random.default_rng(n)
    x = np.round(rng.standard_normal(n) * 100, 1)  # many ties, -0.0 among them
    keys = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True) >> np.uint64(rng.integers(0, 60))
    assert np.array_equal(argsort_float64(x), np.argsort(x, kind="stable"))
    assert np.array_equal(argsort_uint64(keys), np.argsort(keys, kind="stable"))


def test_strided_input() -> None:
    x = np.arange(20, dtype=np.float64)[::-2]
    assert np.array_equal(argsort_float64(x), np.argsort(x, kind="stable"))


@pytest.mark.parametrize(
    ("fn", "bad"),
    [
        (argsort_float64, np.arange(4)),
        (argsort_float64, np.zeros((2, 2))),
        (argsort_uint64, np.arange(4)),
        (argsort_uint64, np.zeros(3, dtype=np.uint32)),
    ],
)
def test_wrong_dtype_is_a_type_error(fn, bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="1-d"):
        fn(bad)
