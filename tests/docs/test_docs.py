"""The documentation site builds with warnings as errors, every link inside it resolves, the
notebooks are rendered with their outputs, and the API and CLI references are complete."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

import dmi
from dmi.cli import build_parser

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_the_site_builds_without_a_warning(docs_site) -> None:
    _, _, proc = docs_site
    # Sphinx's own messages ("file:line: WARNING: ..."); -W makes any of them fail the build,
    # and the notebooks' kernels and Dask workers log to the same stream in their own format
    problems = [line for line in proc.stderr.splitlines() if ": WARNING:" in line or ": ERROR:" in line]
    assert proc.returncode == 0 and not problems, proc.stderr[-4000:]


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("href", "src"):
            if tag in ("a", "img", "link", "script") and found.get(name):
                self.links.append(str(found[name]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_link_inside_the_site_resolves(docs_site) -> None:
    """Relative links and their #anchors; links that leave the site are not followed
    (CI has no network)."""
    root, _, proc = docs_site
    assert proc.returncode == 0
    pages = {p: _parse(p) for p in root.rglob("*.html") if "_static" not in p.parts}  # not theme templates
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            url = urlparse(link)
            if url.scheme or link.startswith(("//", "mailto:")):
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(root)} -> {link}")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(f"{page.relative_to(root)} -> {link} (no such anchor)")
    assert not broken, broken[:20]
    assert len(pages) > 30


def test_notebooks_are_rendered_with_their_outputs(docs_site) -> None:
    root, _, _ = docs_site
    for name, images in (("quickstart", 3), ("feature-selection", 1), ("cluster", 0)):
        page = (root / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        assert page.count('class="cell_output') >= 3, name
        assert page.count("<img") >= images, name
    assert "Pearson r(hour, distance) = " in (root / "notebooks" / "quickstart.html").read_text()
    # the guide's own code cells run too
    assert 'class="cell_output' in (root / "guide" / "inputs.html").read_text()


def test_the_api_reference_lists_every_public_name(docs_site) -> None:
    root, _, _ = docs_site
    api = (root / "api.html").read_text(encoding="utf-8")
    public = [n for n in dmi.__all__ if n not in ("__version__", "plot", "interop")]
    missing = [n for n in public if f"dmi.{n}.html" not in api]
    assert not missing
    for name in ("heatmap", "bar", "selection", "tree", "drift"):
        assert f"dmi.plot.{name}.html" in api
    for name in ("pgmpy_ci_test", "causal_learn_test"):
        assert f"dmi.interop.{name}.html" in api
    page = (root / "generated" / "dmi.mutual_info_matrix.html").read_text(encoding="utf-8")
    assert "Parameters" in page and "max_categories" in page and "Examples" in page


def test_the_cli_reference_is_the_parser(docs_site) -> None:
    root, _, _ = docs_site
    page = (root / "cli.html").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command, parser in commands.items():
        assert re.search(rf">\s*{command}\s*<", page), command
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in page, (command, option)


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
