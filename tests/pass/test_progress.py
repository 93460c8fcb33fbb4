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


@pytest.mark.slow
@pytest.mark.parametrize("where", ["cluster", "threads"])
def test_progress_in_a_notebook_without_ipywidgets_is_one_updating_line(tmp_path, where) -> None:
    """In a kernel without ipywidgets, progress=True leaves one output line (updated in
    place), not a stream of partial lines; on a cluster and on local threads."""
    import nbformat
    from nbclient import NotebookClient

    setup = (
        "import sys; sys.modules['ipywidgets'] = None  # as if it were not installed\n"
        "import numpy as np, pandas as pd, dmi\n"
        "dmi._pass.graph._PROGRESS_AFTER = 0.0  # a local bar from the start (dmi is quick)\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({f'c{i}': rng.integers(0, 50, 2_000_000) for i in range(12)})\n"
    )
    if where == "cluster":
        setup += (
            "from distributed import Client, LocalCluster\n"
            "client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, "
            "dashboard_address=None))\n"
        )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("mi = dmi.mutual_info_matrix(df, progress=True, split_every=2)\nmi.shape"),
    ]
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[1].outputs
    streams = [
        o for o in outputs if o["output_type"] == "stream" and ("Completed" in o["text"] or "[#" in o["text"])
    ]
    lines = [o for o in outputs if o["output_type"] == "display_data"]
    assert not streams, streams[:3]
    assert len(lines) <= 2  # the pass, and the k-NN stage when there is one
    assert all("Completed" in o["data"]["text/plain"] for o in lines), lines
    assert any("100% Completed" in o["data"]["text/plain"] for o in lines), outputs
    assert outputs[-1]["output_type"] == "execute_result"
