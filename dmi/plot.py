"""Pictures of dmi results (matplotlib; install with ``pip install 'dmi[plot]'``).

* :func:`heatmap` -- a :func:`dmi.mutual_info_matrix` result, columns ordered so that
  dependent columns sit together.
* :func:`bar` -- a :func:`dmi.mutual_info_with` result as a sorted bar chart.
* :func:`lags` -- a result with ``lags=``: MI against lag, per column or pair.
* :func:`selection` -- a :func:`dmi.select_features` result, step by step.
* :func:`tree` -- a :func:`dmi.dependency_tree` result (a tree or a forest).
* :func:`drift` -- a :func:`dmi.drift` result: the columns that shifted, the pairs that moved.
* :func:`graph` -- a :func:`dmi.causal_skeleton` result: its CPDAG, causes above effects.

All return the matplotlib ``Axes`` they drew on (:func:`drift`: its two), so they compose with the rest of a
figure; neither calls ``plt.show()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Values are written in the cells when the matrix has at most this many columns.
_ANNOTATE_UP_TO = 20


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("dmi.plot needs matplotlib: pip install 'dmi[plot]'") from err
    return plt


_MEASURE_LABELS = {
    "nmi": "normalized mutual information",
    "variation_of_information": "variation of information",
    "symmetric_uncertainty": "symmetric uncertainty",
    "uncertainty_coefficient": "uncertainty coefficient U(row | column)",
    "cramers_v": "Cramér's V",
    "information_correlation": "information correlation",
}


def unit_label(result: pd.DataFrame | pd.Series) -> str:
    """What the numbers of a dmi result measure, for an axis or colour-bar label (the
    measure of an :func:`dmi.association_matrix` result, and the direction of an
    asymmetric one)."""
    unit = result.attrs.get("unit")
    name = _MEASURE_LABELS.get(result.attrs.get("measure", "mi"), "mutual information")
    return f"{name} ({unit})" if unit and unit != "unitless" else name


def cluster_order(mi: pd.DataFrame) -> np.ndarray:
    """Positions of the columns in an order that puts dependent columns side by side.

    Average-linkage hierarchical clustering (scipy, optimal leaf ordering) on the
    distance ``max MI - MI`` between columns, off the diagonal; NaN counts as no
    dependence. Fewer than three columns keep their order.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    p = mi.shape[0]
    if p < 3:
        return np.arange(p)
    values = np.nan_to_num(mi.to_numpy(dtype=np.float64), nan=0.0)
    values = (values + values.T) / 2  # exactly symmetric for squareform
    np.fill_diagonal(values, 0.0)
    top = values.max()
    distance = top - values if top > 0 else np.ones_like(values)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average", optimal_ordering=True)
    return np.asarray(leaves_list(tree))


def heatmap(
    mi: pd.DataFrame,
    *,
    ax: Axes | None = None,
    cluster: bool = True,
    annotate: bool | None = None,
    cmap: str = "viridis",
    title: str | None = None,
) -> Axes:
    """Draw an MI matrix as a heatmap.

    Parameters
    ----------
    mi : pandas.DataFrame
        A result of :func:`dmi.mutual_info_matrix` (any square frame works).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized for the number of columns by default.
    cluster : bool, default True
        Order rows and columns by hierarchical clustering on the MI (see
        :func:`cluster_order`), so that groups of dependent columns form blocks.
    annotate : bool, optional
        Write the value in each cell; by default when there are at most 20 columns.
    cmap : str, default 'viridis'
        A matplotlib colour map.
    title : str, optional
        The title of the axes.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The diagonal (the entropy of each column, or NaN for continuous columns) is left
    blank: it is on another scale than the pairwise values and would wash out the
    colours. The colour bar is labelled with the result's measure and unit
    (``mi.attrs``). An asymmetric :func:`dmi.association_matrix` result (Theil's U) is
    drawn as it is, cell (row, column) = U(row | column), and the label says so; the
    clustering uses its symmetric part.
    """
    plt = _pyplot()
    if mi.shape[0] != mi.shape[1]:
        raise ValueError(f"mi must be a square matrix (a mutual_info_matrix result); got shape {mi.shape}")
    order = cluster_order(mi) if cluster else np.arange(mi.shape[0])
    shown = mi.iloc[order, order]
    p = shown.shape[0]
    values = shown.to_numpy(dtype=np.float64).copy()
    np.fill_diagonal(values, np.nan)
    if ax is None:
        side = float(min(22.0, max(4.5, 0.22 * p + 3.0)))
        _, ax = plt.subplots(figsize=(side + 1.2, side))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, interpolation="nearest")
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label(unit_label(mi))
    labels = [str(c) for c in shown.columns]
    size = float(min(10.0, max(4.0, 360.0 / max(p, 1))))
    ax.set_xticks(range(p), labels, rotation=90, fontsize=size)
    ax.set_yticks(range(p), labels, fontsize=size)
    ax.tick_params(length=0)
    if annotate is None:
        annotate = p <= _ANNOTATE_UP_TO
    if annotate:
        finite = values[np.isfinite(values)]
        middle = (finite.max() / 2) if finite.size else 0.0
        for i in range(p):
            for j in range(p):
                v = values[i, j]
                if np.isfinite(v):
                    colour = "black" if v > middle else "white"
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=size * 0.8, color=colour)
    if title is not None:
        ax.set_title(title)
    return ax


def bar(
    series: pd.Series,
    *,
    ax: Axes | None = None,
    top: int | None = None,
    color: str = "C0",
    title: str | None = None,
) -> Axes:
    """Draw a :func:`dmi.mutual_info_with` result as a sorted horizontal bar chart.

    Parameters
    ----------
    series : pandas.Series
        MI of a target with each column, indexed by column name.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized for the number of bars by default.
    top : int, optional
        Show only the ``top`` largest values.
    color : str, default 'C0'
        Bar colour.
    title : str, optional
        Title; by default "Mutual information with <target>".

    Returns
    -------
    matplotlib.axes.Axes
        The largest value is at the top; NaN values are left out.
    """
    plt = _pyplot()
    values = series.dropna().sort_values(ascending=False)
    if top is not None:
        values = values.iloc[:top]
    values = values.iloc[::-1]  # barh draws bottom-up: the largest at the top
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, float(min(30.0, max(2.5, 0.3 * len(values) + 1.2)))))
    ax.barh([str(c) for c in values.index], values.to_numpy(dtype=np.float64), color=color)
    ax.set_xlabel(unit_label(series))
    ax.set_xlim(left=0.0)
    if title is None and series.name is not None:
        title = f"Mutual information with {series.name}"
    if title is not None:
        ax.set_title(title)
    ax.figure.tight_layout()  # type: ignore[union-attr]
    return ax


def _lag_curves(result: pd.DataFrame) -> pd.DataFrame:
    """A lagged result as one curve per column (of a target's result) or per pair
    ``x <- y`` (of a matrix or table): lags down the index."""
    if "lag" in result.columns and {"x", "y", "mi"} <= set(result.columns):  # the long table
        wide = result.assign(pair=[f"{x} <- {y}" for x, y in zip(result.x, result.y, strict=True)])
        return wide.pivot(index="lag", columns="pair", values="mi")
    if isinstance(result.index, pd.MultiIndex) and result.index.names == ["lag", "x"]:  # the matrix
        stacked = pd.Series(result.stack(future_stack=True), name="mi").reset_index()
        stacked = stacked[(stacked["lag"] != _zero(stacked["lag"])) | (stacked["x"] != stacked["y"])]
        return _lag_curves(stacked)
    if result.index.name == "lag":  # a target's result
        return result
    raise TypeError(
        "plot.lags draws a result of mutual_info_matrix, mutual_info_with or mutual_info_table "
        "called with lags=[...]"
    )


def _zero(lags: Any) -> Any:
    """Lag 0 in the lags' own type (rows, or a span of time)."""
    return pd.Timedelta(0) if pd.api.types.is_timedelta64_dtype(lags.dtype) else 0


def lags(result: pd.DataFrame, *, top: int = 8, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw MI against lag: a result of :func:`dmi.mutual_info_matrix`,
    :func:`dmi.mutual_info_with` or :func:`dmi.mutual_info_table` called with ``lags=``.

    Parameters
    ----------
    result : pandas.DataFrame
        The lagged result.
    top : int, default 8
        Draw the ``top`` curves with the largest value at a lag > 0 (a column's past
        with a target; a pair ``x <- y``, ``x`` now and ``y`` ``lag`` rows before).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title; by default what the curves are.

    Returns
    -------
    matplotlib.axes.Axes
        One line per curve with a marker at each lag, the strongest first in the legend.
    """
    plt = _pyplot()
    curves = _lag_curves(result).astype(np.float64)
    past = curves.index != _zero(curves.index)
    later = curves[past] if past.any() else curves
    strongest = later.max().sort_values(ascending=False, na_position="last").index[:top]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    in_time = pd.api.types.is_timedelta64_dtype(curves.index.dtype)
    at = pd.TimedeltaIndex(curves.index).total_seconds() / 3600 if in_time else curves.index  # in hours
    for name in strongest:
        ax.plot(at, curves[name].to_numpy(), "o-", label=str(name), ms=4)
    ax.set_xlabel("lag (hours back)" if in_time else "lag (rows back)")
    ax.set_ylabel(unit_label(result))
    ax.set_ylim(bottom=0.0)
    target = result.attrs.get("target")
    ax.set_title(title or (f"What each column's past tells about {target}" if target else "MI against lag"))
    ax.legend(fontsize=8)
    ax.figure.tight_layout()  # type: ignore[union-attr]
    return ax


def selection(steps: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a :func:`dmi.select_features` result: each step's score, relevance and redundancy.

    The selected features run along the x axis in the order they were chosen, so the
    step where the information they add runs out shows as the score falling towards 0
    while the redundancy rises. Steps whose score is negative (a feature more redundant
    with those already selected than relevant to the target, which mRMR's significance
    stop still takes) are marked in red, and a line marks the first of them. The best
    remaining candidate (``attrs["not_selected"]``), where the selection stopped, is
    drawn after the last step in grey.

    Parameters
    ----------
    steps : pandas.DataFrame
        The step table :func:`dmi.select_features` returns.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized for the number of steps by default.
    title : str, optional
        Title; by default "<method> selection for <target>".

    Returns
    -------
    matplotlib.axes.Axes
        mRMR's quotient form has no score on the scale of information: only relevance
        and redundancy are drawn.
    """
    plt = _pyplot()
    names = [str(f) for f in steps["feature"]]
    x = np.arange(len(names))
    if ax is None:
        _, ax = plt.subplots(figsize=(float(min(16.0, max(5.0, 0.6 * len(names) + 2.5))), 3.8))
    unit = steps.attrs.get("unit")
    quotient = bool(steps.attrs.get("quotient", False))
    ax.plot(x, steps["relevance"].to_numpy(dtype=np.float64), "o--", color="C0", label="relevance I(X;Y)")
    ax.plot(x, steps["redundancy"].to_numpy(dtype=np.float64), "s:", color="C3", label="redundancy term")
    if not quotient:
        score = steps["score"].to_numpy(dtype=np.float64)
        ax.plot(x, score, "D-", color="C2", label="score")
        negative = np.flatnonzero(score < 0)
        if negative.size:
            ax.plot(x[negative], score[negative], "D", color="C3", mfc="none", ms=11, label="score < 0")
            ax.axvline(negative[0] - 0.5, color="C3", ls=":", lw=1.0)
            ax.annotate(
                f"score < 0 from step {negative[0] + 1}",
                (negative[0] - 0.45, 1.0),
                xycoords=("data", "axes fraction"),
                va="top",
                fontsize=8,
                color="C3",
            )
    rest = steps.attrs.get("not_selected")
    if isinstance(rest, pd.DataFrame) and len(rest) and not quotient:
        ax.plot([len(names)], [float(rest["score"].iloc[0])], "D", color="0.6", label="best not selected")
        names = [*names, f"({rest['feature'].iloc[0]})"]
    ax.set_xticks(np.arange(len(names)), names, rotation=45, ha="right")
    ax.axhline(0.0, color="0.8", lw=0.8)
    ax.set_xlabel("selection step")
    ax.set_ylabel(f"information ({unit})" if unit else "information")
    if title is None:
        title = f"{steps.attrs.get('method', '')} selection for {steps.attrs.get('target', '')}".strip()
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()  # type: ignore[union-attr]
    return ax


def _tree_layout(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Positions of a forest drawn top-down: each component from its best-connected node,
    one row per depth, components side by side (unlinked columns at the right)."""
    neighbours: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    placed: dict[str, tuple[float, float]] = {}
    left = 0.0
    for start in sorted(nodes, key=lambda n: (-len(neighbours[n]), nodes.index(n))):
        if start in placed:
            continue
        level, depth, width = [start], 0, 1
        seen = {start}
        while level:
            width = max(width, len(level))
            for i, n in enumerate(level):
                placed[n] = (left + i, -float(depth))
            following = [m for n in level for m in neighbours[n] if m not in seen]
            seen.update(following)
            level, depth = list(dict.fromkeys(following)), depth + 1
        left += width + 0.5
    return placed


def _nodes(ax: Axes, position: dict[str, tuple[float, float]], fontsize: int) -> None:
    """Each node's name in a box at its place, the axes fitted around them and hidden."""
    for name, (x, y) in position.items():
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.3", "fc": "0.95", "ec": "0.5"},
        )
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")


def tree(edges: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a :func:`dmi.dependency_tree` result: columns as nodes, edges as lines whose
    width grows with their MI (written on them when there are at most 30).

    Each component of the forest is drawn from its best-connected column downwards;
    columns with no edge (independent of the rest under ``alpha``) stand alone on the
    right.

    Parameters
    ----------
    edges : pandas.DataFrame
        The edge table :func:`dmi.dependency_tree` returns (its ``attrs["columns"]``
        lists every node).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title; by default "Dependency tree" ("forest" when it has several components).

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    nodes = [str(c) for c in edges.attrs.get("columns", [])] or list(
        dict.fromkeys([*map(str, edges["x"]), *map(str, edges["y"])])
    )
    pairs = [(str(x), str(y)) for x, y in zip(edges["x"], edges["y"], strict=True)]
    position = _tree_layout(nodes, pairs)
    if ax is None:
        xs = [p[0] for p in position.values()]
        ys = [p[1] for p in position.values()]
        size = (
            float(min(16.0, max(5.0, 1.1 * (max(xs) - min(xs) + 2)))),
            float(min(12.0, max(3.0, 1.2 * (max(ys) - min(ys) + 2)))),
        )
        _, ax = plt.subplots(figsize=size)
    mi = edges["mi"].to_numpy(dtype=np.float64)
    top = float(np.nanmax(mi)) if mi.size else 1.0
    for (a, b), value in zip(pairs, mi, strict=True):
        (x0, y0), (x1, y1) = position[a], position[b]
        ax.plot([x0, x1], [y0, y1], color="C0", lw=0.8 + 4.0 * (value / top if top > 0 else 0), zorder=1)
        if len(pairs) <= 30:
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                f"{value:.2g}",
                fontsize=7,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                zorder=2,
            )
    _nodes(ax, position, fontsize=9)
    components = len(nodes) - len(pairs)
    unit = edges.attrs.get("unit")
    if title is None:
        title = ("Dependency forest" if components > 1 else "Dependency tree") + (
            f" (MI in {unit})" if unit else ""
        )
    ax.set_title(title)
    return ax


def _layers(
    nodes: list[str], arcs: list[tuple[str, str]], lines: list[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Positions with causes above effects: a node's row is the longest chain of arcs into
    it; within a row, nodes sit near the mean place of their neighbours in the rows above."""
    parents: dict[str, list[str]] = {v: [] for v in nodes}
    for a, b in arcs:
        parents[b].append(a)
    depth: dict[str, int] = {}

    def row(v: str, seen: frozenset[str] = frozenset()) -> int:
        if v not in depth:
            depth[v] = 1 + max((row(p, seen | {v}) for p in parents[v] if p not in seen), default=-1)
        return depth[v]

    for v in nodes:
        row(v)
    neighbours: dict[str, list[str]] = {v: [] for v in nodes}
    for a, b in [*arcs, *lines]:
        neighbours[a].append(b)
        neighbours[b].append(a)
    position: dict[str, tuple[float, float]] = {}
    for r in range(max(depth.values(), default=0) + 1):
        members = [v for v in nodes if depth[v] == r]
        placed = [
            (
                np.mean([position[u][0] for u in neighbours[v] if u in position])
                if any(u in position for u in neighbours[v])
                else i,
                v,
            )
            for i, v in enumerate(members)
        ]
        width = max(len(members), 1)
        for i, (_, v) in enumerate(sorted(placed, key=lambda t: t[0])):
            position[v] = (i - (width - 1) / 2, -float(r))
    return position


def graph(result: Any, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Draw a :func:`dmi.causal_skeleton` result: columns as nodes, its directed edges as
    arrows, its undirected ones as lines; causes above their effects.

    Parameters
    ----------
    result : dmi.CausalGraph
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    title : str, optional
        Title; by default the number of edges and the tests' level ``alpha``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    edges = result.edges
    nodes = [str(c) for c in result.columns]
    arcs = [
        (str(x), str(y)) for x, y, e in zip(edges["x"], edges["y"], edges["edge"], strict=True) if e == "->"
    ]
    lines = [
        (str(x), str(y)) for x, y, e in zip(edges["x"], edges["y"], edges["edge"], strict=True) if e != "->"
    ]
    position = _layers(nodes, arcs, lines)
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    if ax is None:
        size = (
            float(min(18.0, max(5.0, 1.3 * (max(xs) - min(xs) + 2)))),
            float(min(14.0, max(3.0, 1.4 * (max(ys) - min(ys) + 2)))),
        )
        _, ax = plt.subplots(figsize=size)
    for a, b in lines:
        (x0, y0), (x1, y1) = position[a], position[b]
        ax.plot([x0, x1], [y0, y1], color="0.45", lw=1.2, zorder=1)
    for a, b in arcs:
        ax.annotate(
            "",
            xy=position[b],
            xytext=position[a],
            arrowprops={"arrowstyle": "-|>", "color": "C0", "lw": 1.2, "shrinkA": 12, "shrinkB": 12},
            zorder=1,
        )
    _nodes(ax, position, fontsize=8)
    if title is None:
        title = (
            f"Causal skeleton: {len(arcs)} directed, {len(lines)} undirected edges (alpha={result.alpha:g})"
        )
    ax.set_title(title)
    return ax


def drift(result: Any, *, top: int = 20, axes: Any = None, title: str | None = None) -> Any:
    """Draw a :func:`dmi.drift` result: each column's shift, and the pairs that moved most.

    Left, the Jensen-Shannon divergence of each column's two distributions (largest at
    the top); right, the ``top`` pairs with the largest change of MI, as an arrow from
    MI before to MI after. Columns and pairs whose test is significant
    (``drifted``, ``changed``) are drawn in red, the rest in grey.

    Parameters
    ----------
    result : dmi.Drift
        What :func:`dmi.drift` returned.
    top : int, default 20
        How many columns and pairs to show.
    axes : pair of matplotlib.axes.Axes, optional
        Where to draw; a new figure of two panels by default (one without pairs).
    title : str, optional
        Title of the figure.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The panels drawn on.
    """
    plt = _pyplot()
    cols = result.columns.dropna(subset=["js_divergence"]).sort_values("js_divergence", ascending=False)
    cols = cols.iloc[:top].iloc[::-1]
    pairs = result.pairs.dropna(subset=["change"])
    pairs = pairs.reindex(pairs["change"].abs().sort_values(ascending=False).index).iloc[:top].iloc[::-1]
    panels = 2 if len(pairs) else 1
    if axes is None:
        height = float(min(12.0, max(2.5, 0.3 * max(len(cols), len(pairs)) + 1.4)))
        _, axes = plt.subplots(1, panels, figsize=(6.0 * panels, height), squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(axes)
    unit = result.columns.attrs.get("unit", "")
    colours = np.where(cols["drifted"].to_numpy(dtype=bool), "C3", "0.6")
    axes[0].barh(
        [str(c) for c in cols["column"]], cols["js_divergence"].to_numpy(dtype=np.float64), color=colours
    )
    axes[0].set_xlabel(f"Jensen-Shannon divergence ({unit})")
    axes[0].set_title("columns (red: drifted)")
    if panels == 2:
        y = np.arange(len(pairs))
        moved = pairs["changed"].to_numpy(dtype=bool)
        for k, (before, after, hit) in enumerate(
            zip(pairs["mi_before"], pairs["mi_after"], moved, strict=True)
        ):
            colour = "C3" if hit else "0.6"
            axes[1].annotate(
                "", xy=(after, k), xytext=(before, k), arrowprops={"arrowstyle": "->", "color": colour}
            )
            axes[1].plot([before, after], [k, k], color=colour, lw=0.8, alpha=0.5)  # sets the limits
            axes[1].plot([before], [k], "o", color=colour, ms=3)
        axes[1].set_yticks(y, [f"{a} ~ {b}" for a, b in zip(pairs["x"], pairs["y"], strict=True)])
        axes[1].set_ylim(-0.8, len(pairs) - 0.2)
        axes[1].set_xlabel(f"mutual information ({unit}), before -> after")
        axes[1].set_title("pairs (red: dependence changed)")
    if title is not None:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return axes
