"""The report's charts, drawn with matplotlib as PNG images in a light and a dark version.

The page shows the dark version when the browser prefers a dark colour scheme (a ``<picture>`` with a
``prefers-color-scheme`` source), so text and bars stay readable either way. Figures are drawn with
matplotlib's object API (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

# Fonts with Hangul, tried after matplotlib's own for any glyph it lacks (Korean labels: --lang ko).
HANGUL_FONTS = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo")
HANGUL_FONT_FILES = ("NanumGothic", "NotoSansCJK", "NotoSansKR", "malgun", "AppleSDGothic")


@functools.cache
def _font_family() -> list[str]:
    """matplotlib's default sans-serif, then the Hangul fonts installed here (none: Hangul shows as boxes)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not installed & set(HANGUL_FONTS):  # matplotlib's font cache may predate the fonts: look once
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name for part in HANGUL_FONT_FILES):
                with contextlib.suppress(Exception):  # a font file matplotlib cannot read is simply not used
                    font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in HANGUL_FONTS if name in installed)]


def _with_fonts(draw: Callable) -> Callable:
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context({"font.family": _font_family()}):
            return draw(*args, **kwargs)

    return drawn


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


@_with_fonts
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


@_with_fonts
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
