"""progress=True: a bar on stderr (never stdout), the same result, on any scheduler."""

from __future__ import annotations

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from conftest import discrete_frame

import dmi
from dmi._pass import graph


def test_local_progress_bar_on_stderr(capsys, monkeypatch):
    monkeypatch.setattr(graph, "_PROGRESS_AFTER", 0.0)
    frame = discrete_frame(20_000, seed=3)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    with dask.config.set(scheduler="threads"):
        assert graph.active_client() is None
        quiet = dmi.mutual_info_matrix(ddf)
        assert capsys.readouterr().err == ""
        shown = dmi.mutual_info_matrix(ddf, progress=True)
    out, err = capsys.readouterr()
    pd.testing.assert_frame_equal(shown, quiet, check_exact=True)
    assert out == ""
    assert "100% Completed" in err


def test_progress_must_be_a_bool():
    with pytest.raises(TypeError, match="progress must be True or False, got 'yes'"):
        dmi.mutual_info_matrix(discrete_frame(100, seed=1), progress="yes")
