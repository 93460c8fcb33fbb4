"""dmi.plot draws real pictures: rendered to PNG with Agg and inspected, not only run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import dmi
from dmi import plot


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mi():
    frame = dmi.make_example(20_000, random_state=1, n_int_columns=6, max_cardinality=30, n_float_columns=3)
    return dmi.mutual_info_matrix(frame, random_state=0, base=2)


def _pixels(ax, path):
    ax.figure.savefig(path, dpi=80)
    return plt.imread(path)


def test_heatmap_is_a_real_picture_with_labels_and_units(mi, tmp_path):
    ax = plot.heatmap(mi, title="example")
    image = _pixels(ax, tmp_path / "heat.png")
    assert image.shape[0] > 300 and image.shape[1] > 300
    rgb = image[..., :3].reshape(-1, 3)
    assert len(np.unique(rgb.round(2), axis=0)) > 50  # many colours: not blank
    assert rgb.std() > 0.1
    ticks = {t.get_text() for t in ax.get_xticklabels()} | {t.get_text() for t in ax.get_yticklabels()}
    assert ticks == {str(c) for c in mi.columns}
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "mutual information (bits)"
    assert ax.get_title() == "example"
    written = [t.get_text() for t in ax.texts]  # small matrix: values written in the cells
    assert f"{mi.loc['c05', 'city']:.2f}" in written
    off_diagonal = mi.to_numpy()[~np.eye(len(mi), dtype=bool)]
    assert len(written) == np.isfinite(off_diagonal).sum()  # every pair, not the diagonal


def test_heatmap_orders_dependent_columns_together():
    names = ["a", "b", "c", "d", "e"]
    values = np.full((5, 5), 0.01)
    for x, y, v in [("a", "c", 0.9), ("b", "e", 0.8), ("c", "a", 0.9), ("e", "b", 0.8)]:
        values[names.index(x), names.index(y)] = v
    np.fill_diagonal(values, 1.0)
    mi = pd.DataFrame(values, index=names, columns=names)
    order = [names[i] for i in plot.cluster_order(mi)]
    assert abs(order.index("a") - order.index("c")) == 1
    assert abs(order.index("b") - order.index("e")) == 1
    ax = plot.heatmap(mi)
    assert [t.get_text() for t in ax.get_xticklabels()] == order
    assert [t.get_text() for t in plot.heatmap(mi, cluster=False).get_xticklabels()] == names


def test_heatmap_of_100_columns_keeps_every_label_and_writes_no_values(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.random((100, 100))
    names = [f"column_{i:03d}" for i in range(100)]
    mi = pd.DataFrame((values + values.T) / 2, index=names, columns=names)
    ax = plot.heatmap(mi)
    labels = ax.get_xticklabels()
    assert [t.get_text() for t in labels] == [names[i] for i in plot.cluster_order(mi)]
    assert min(t.get_fontsize() for t in labels) >= 4
    assert len(ax.texts) == 0  # too many cells to annotate
    _, height = ax.figure.get_size_inches()
    assert height >= 20  # room for 100 labels
    assert _pixels(ax, tmp_path / "wide.png").shape[0] > 1000


def test_heatmap_refuses_a_non_square_frame():
    with pytest.raises(ValueError, match=r"mi must be a square matrix .*shape \(2, 3\)"):
        plot.heatmap(pd.DataFrame(np.zeros((2, 3))))


def test_bar_is_sorted_with_the_largest_on_top(tmp_path):
    frame = dmi.make_example(20_000, random_state=2, n_int_columns=6, max_cardinality=30)
    series = dmi.mutual_info_with(frame, "city", base=2)
    series["c02"] = np.nan  # NaN values are left out
    ax = plot.bar(series)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    shown = series.dropna().sort_values()
    assert labels == [str(c) for c in shown.index]  # bottom-up: the largest is last, on top
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(shown.to_list())
    assert ax.get_xlabel() == "mutual information (bits)"
    assert ax.get_title() == "Mutual information with city"
    image = _pixels(ax, tmp_path / "bar.png")
    assert image[..., :3].std() > 0.05
    assert len(plot.bar(series, top=3).patches) == 3


def test_graph_draws_arrows_lines_and_causes_above_effects(tmp_path):
    rng = np.random.default_rng(0)
    n = 20_000
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    c = (a + b + (rng.random(n) < 0.1)) % 3
    d = (c + (rng.random(n) < 0.2)) % 3
    e = rng.integers(0, 2, n)
    f = (e + (rng.random(n) < 0.2)) % 2  # e - f: undirected
    g = dmi.causal_skeleton(pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}))
    ax = plot.graph(g)
    labels = {t.get_text(): t.get_position() for t in ax.texts if t.get_text()}
    assert set(labels) == set("abcdef")
    assert labels["a"][1] > labels["c"][1] > labels["d"][1]  # a -> c -> d, top to bottom
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 3 and len(ax.lines) == 1  # a->c, b->c, c->d; e - f
    assert "3 directed, 1 undirected" in ax.get_title()
    pixels = _pixels(ax, tmp_path / "graph.png")
    assert pixels.std() > 0.05


def test_lags_draws_each_curve_against_its_lags_in_rows_or_time(tmp_path):
    rng = np.random.default_rng(0)
    n = 3_000
    x = rng.integers(0, 4, n)
    frame = pd.DataFrame({"x": x, "y": (np.roll(x, 2) + (rng.random(n) < 0.2)) % 4})
    frame["time"] = pd.date_range("2026-01-01", periods=n, freq="h")
    rows = dmi.mutual_info_with(frame, "y", columns=["x"], lags=[0, 1, 2, 3], discrete=True)
    ax = plot.lags(rows)
    line = {ln.get_label(): ln for ln in ax.get_lines()}["x"]
    assert list(line.get_xdata()) == [0, 1, 2, 3] and np.argmax(line.get_ydata()) == 2
    assert ax.get_xlabel() == "lag (rows back)"
    spans = [pd.Timedelta(h, "h") for h in (0, 1, 2, 3)]
    timed = dmi.mutual_info_with(frame, "y", columns=["x"], lags=spans, time="time", discrete=True)
    ax = plot.lags(timed)
    line = {ln.get_label(): ln for ln in ax.get_lines()}["x"]
    assert list(line.get_xdata()) == [0.0, 1.0, 2.0, 3.0] and np.argmax(line.get_ydata()) == 2
    assert ax.get_xlabel() == "lag (hours back)"
    matrix = dmi.mutual_info_matrix(frame, columns=["x", "y"], lags=spans, time="time", discrete=True)
    labels = [ln.get_label() for ln in plot.lags(matrix, top=1).get_lines()]
    assert labels == ["y <- x"]  # y now, x two hours before
    assert _pixels(ax, tmp_path / "lags.png")[..., :3].std() > 0.05
