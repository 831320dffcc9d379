"""One figure style for the whole book: labelled, readable in light and dark mode."""

from __future__ import annotations

import matplotlib as mpl

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 110,
    "figure.facecolor": "white",  # an opaque background keeps plots readable in dark mode
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.bbox": "tight",
}


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` to matplotlib; call once at the top of a chapter."""
    mpl.rcParams.update(BOOK_STYLE)
