"""Sphinx configuration of dmi's documentation site (PyData theme, MyST, executed notebooks).

Build: ``python -m sphinx -W --keep-going -n -b html docs docs/_build/html`` (``tests/docs/test_docs.py``
does, so a broken reference or docstring fails the suite). The notebooks in ``notebooks/`` are
copied in and executed at build time; ``DMI_DOCS_EXECUTE=off`` skips that for a quick build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dmi

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# The notebooks live in notebooks/ (committed without outputs); the site executes a copy.
shutil.rmtree(DOCS / "notebooks", ignore_errors=True)
shutil.copytree(ROOT / "notebooks", DOCS / "notebooks", ignore=shutil.ignore_patterns("*.py", "README.md"))

project = "dmi"
author = "the dmi developers"
copyright = "2026, the dmi developers"
release = version = dmi.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinxarg.ext",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "off" if os.environ.get("DMI_DOCS_EXECUTE") == "off" else "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True

autosummary_generate = True
templates_path = ["_templates"]
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

# Every reference inside the site must resolve (-n). Names of other libraries cannot be
# looked up without network access (no intersphinx), and dmi's private modules are not
# documented pages: those are the only references allowed to stay plain text.
nitpicky = True
_EXTERNAL = (
    "pandas|pd|numpy|np|dask|dd|distributed|matplotlib|pyarrow|pa|polars|pl|sklearn|scipy|fsspec|os|"
    "pathlib|collections|typing|datetime|io|argparse|networkx|IPython"
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({_EXTERNAL})(\..*)?"),
    (r"py:.*", r"dmi\._.*"),
    (r"py:.*", r"(optional|default.*|array-like|callable|path|str|int|float|bool|dict|list|tuple|None|Any)"),
]

html_theme = "pydata_sphinx_theme"
html_title = f"dmi {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
