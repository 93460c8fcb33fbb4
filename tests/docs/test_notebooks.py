"""The notebooks in notebooks/ are found and committed without outputs.

The documentation site's build executes them (``tests/conftest.py::docs_site``); the tests
that read what it produced are in ``test_docs.py``, so that the site is built once, by one
test process (two builds at once would both copy the notebooks into ``docs/``).
"""

from __future__ import annotations

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
