"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, without errors.

The notebooks are committed without outputs; the documentation site's build executes them
(``tests/conftest.py::docs_site``), and these tests read what it produced.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_the_notebooks_are_found():
    assert {p.name for p in NOTEBOOKS} >= {
        "quickstart.ipynb",
        "cluster.ipynb",
        "feature-selection.ipynb",
        "causal-alarm.ipynb",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        f"{path.name} is committed with outputs; clear them"
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, docs_site):
    """Each notebook as the documentation site executed it (once, at build time: a cell
    that raises fails the build, and so this test)."""
    _, executed, proc = docs_site
    assert proc.returncode == 0, proc.stderr[-4000:]
    nb = nbformat.read(executed / "notebooks" / path.name, as_version=4)
    text = "".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert "Error" not in text
    if path.stem == "quickstart":
        assert "Pearson r(hour, distance)" in text
        _check_quickstart_prose(nb, text)
        images = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if "image/png" in o.get("data", {})
        ]
        assert len(images) >= 3  # heatmap, the hour/distance plot, the bar chart
    if path.stem == "causal-alarm":
        assert "passes over the data" in text and "true edges found:" in text
        found = int(re.search(r"true edges found: (\d+) of 46", text).group(1))
        assert found >= 40  # of ALARM's 46 arcs, from 60,000 rows
        assert any(
            "image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
    if path.stem == "feature-selection":
        assert "SelectKBest:" in text and "passes over the data" in text
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert any("image/png" in o.get("data", {}) for o in outputs)  # the selection plot
    if path.stem == "cluster":
        assert "Dashboard: http" in text and "identical to the threaded result: True" in text


def _check_quickstart_prose(nb, text: str) -> None:
    """The numbers the prose states are the numbers the notebook computes."""
    prose = " ".join("".join(c.source) for c in nb.cells if c.cell_type == "markdown")
    prose = re.sub(r"\s+", " ", prose)
    claimed = float(re.search(r"tells you about ([\d.]+) bits about the distance", prose).group(1))
    computed = float(re.search(r"MI\(hour; distance\)\s+= ([\d.]+) bits", text).group(1))
    assert abs(claimed - computed) <= 0.05, (claimed, computed)
    r = float(re.search(r"Pearson r\(hour, distance\) = ([-+\d.]+)", text).group(1))
    assert "The correlation is about zero" in prose and abs(r) < 0.05
    # the warning that explains the rule names distance, and only the integer measurements
    assert "'distance' (more than 64 values)" in text and "'hour'" not in text.split("more than 64")[0][-200:]
