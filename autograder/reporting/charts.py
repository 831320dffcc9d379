"""The report's charts, drawn with matplotlib as PNG images in a light and a dark version.

The page shows the dark version when the browser prefers a dark colour scheme (a ``<picture>`` with a
``prefers-color-scheme`` source), so text and bars stay readable either way. Figures are drawn with
matplotlib's object API (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    text: str
    grid: str
    bar: str
    accent: str


LIGHT = Theme("light", "#ffffff", "#1f2328", "#d0d7de", "#3b6ea8", "#b3261e")
DARK = Theme("dark", "#161b22", "#e6edf3", "#3d444d", "#79a6dc", "#f28b82")
THEMES = (LIGHT, DARK)


@dataclass(frozen=True)
class Chart:
    """One chart as PNG bytes per theme name."""

    png: dict[str, bytes]


def _styled(fig: Figure, theme: Theme):
    ax = fig.add_subplot()
    fig.set_facecolor(theme.background)
    ax.set_facecolor(theme.background)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    ax.tick_params(colors=theme.text, labelsize=9)
    ax.xaxis.label.set_color(theme.text)
    ax.yaxis.label.set_color(theme.text)
    return ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor=fig.get_facecolor())
    return buf.getvalue()


def histogram(scores: Sequence[float], max_score: float, xlabel: str, ylabel: str) -> Chart:
    """Scores in bins of one point, from 0 to ``max_score``."""
    edges = [i - 0.5 for i in range(int(max_score) + 2)] if max_score >= 1 else 10
    png = {}
    for theme in THEMES:
        fig = Figure(figsize=(7, 2.8))
        ax = _styled(fig, theme)
        ax.hist(list(scores), bins=edges, color=theme.bar, edgecolor=theme.background)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="y", color=theme.grid, linewidth=0.5)
        ax.set_axisbelow(True)
        png[theme.name] = _png(fig)
    return Chart(png)


def bars(labels: Sequence[str], values: Sequence[float], xlabel: str, limit: float | None = None,
         marked: Sequence[bool] = (), counts: bool = False) -> Chart:
    """Horizontal bars, first label on top; ``marked`` bars in the accent colour; ``limit`` fixes the x range;
    ``counts``: whole-number ticks."""
    png = {}
    height = 0.8 + 0.3 * max(len(labels), 1)
    for theme in THEMES:
        fig = Figure(figsize=(7, height))
        ax = _styled(fig, theme)
        colours = [theme.accent if i < len(marked) and marked[i] else theme.bar for i in range(len(labels))]
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, list(values), color=colours)
        ax.set_yticks(positions, [label[:60].replace("$", r"\$") for label in labels])  # no mathtext
        ax.set_xlabel(xlabel)
        if limit is not None:
            ax.set_xlim(0, limit)
        if counts:
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="x", color=theme.grid, linewidth=0.5)
        ax.set_axisbelow(True)
        png[theme.name] = _png(fig)
    return Chart(png)
