"""dmi.sample_network: the standard Bayesian networks' rows, drawn as their files say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dmi

pytest.importorskip("pgmpy")


def test_alarm_rows_follow_the_conditional_tables():
    rows, arcs = dmi.sample_network("alarm", 200_000, random_state=1)
    assert rows.shape == (200_000, 37) and len(arcs) == 46
    assert (rows.dtypes == "category").all()
    # HYPOVOLEMIA has no parent: its table is (0.2, 0.8) for TRUE, FALSE
    share = rows.HYPOVOLEMIA.value_counts(normalize=True)
    assert share["TRUE"] == pytest.approx(0.2, abs=0.005)
    # LVEDVOLUME | HYPOVOLEMIA=TRUE, LVFAILURE=FALSE is (0.01, 0.09, 0.90) for LOW, NORMAL, HIGH
    part = rows[(rows.HYPOVOLEMIA == "TRUE") & (rows.LVFAILURE == "FALSE")].LVEDVOLUME
    assert part.value_counts(normalize=True)["HIGH"] == pytest.approx(0.90, abs=0.01)
    again, _ = dmi.sample_network("alarm", 1_000, random_state=1)
    pd.testing.assert_frame_equal(again, dmi.sample_network("alarm", 1_000, random_state=1)[0])
    assert not again.equals(dmi.sample_network("alarm", 1_000, random_state=2)[0])


def test_ecoli70_rows_follow_the_regressions():
    rows, arcs = dmi.sample_network("ecoli70", 100_000)
    assert rows.shape == (100_000, 46) and len(arcs) == 70
    # aceB = 0.1324 + 1.0464 icdA + N(0, 0.0853): least squares recovers it
    slope, intercept = np.polyfit(rows.icdA, rows.aceB, 1)
    assert slope == pytest.approx(1.0464, abs=0.01) and intercept == pytest.approx(0.1324, abs=0.02)
    residual = rows.aceB - (intercept + slope * rows.icdA)
    assert residual.var() == pytest.approx(0.0853, rel=0.02)


def test_unknown_network_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"choose from .*alarm.*ecoli70"):
        dmi.sample_network("nope")
