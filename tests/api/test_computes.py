"""Every public function reads the data once: one Dask compute, pinned by a counting scheduler.

``method='binned'`` documents its two (the edges, then the counts); pair blocks document one
per block (``tests/pass/test_blocks.py``). A summary answers without any compute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dmi


@pytest.fixture
def frame():
    rng = np.random.default_rng(12)
    n = 4_000
    k = rng.integers(0, 5, n)
    return pd.DataFrame(
        {
            "k": k,
            "g": pd.array(np.array(list("abc"))[rng.integers(0, 3, n)], dtype="str"),
            "z": (k + rng.integers(0, 2, n)) % 3,
            "x": k + rng.standard_normal(n),
            "y": rng.standard_normal(n),
        }
    )


CALLS = {
    "matrix": lambda f: dmi.mutual_info_matrix(f, random_state=0),
    "with": lambda f: dmi.mutual_info_with(f, "x", random_state=0),
    "table": lambda f: dmi.mutual_info_table(f, random_state=0, permutations=19),
    "given": lambda f: dmi.mutual_info_matrix(f, given="z", random_state=0),
    "with-given": lambda f: dmi.mutual_info_with(f, "x", given="z", random_state=0),
    "conditional": lambda f: dmi.conditional_mutual_info(f, "k", "g", given="z"),
    "conditional-knn": lambda f: dmi.conditional_mutual_info(f, "x", "y", given="z", random_state=0),
    "summarize": lambda f: dmi.summarize(f),
    "summarize-given": lambda f: dmi.summarize(f, given="z"),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_one_compute(frame, count_computes, call):
    CALLS[call](frame)
    assert count_computes.calls == 1


def test_a_summary_answers_without_computing(frame, count_computes):
    s = dmi.summarize(frame, random_state=0)
    given = dmi.summarize(frame, given="z", random_state=0)
    assert count_computes.calls == 2
    dmi.mutual_info_matrix(s)
    dmi.mutual_info_table(s, permutations=19)
    dmi.mutual_info_with(given, "x", given="z")
    dmi.conditional_mutual_info(given, "k", "g", given="z")
    assert count_computes.calls == 2
