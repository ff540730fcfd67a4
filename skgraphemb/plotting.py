"""Figures of evaluation results, drawn with matplotlib (the ``plot`` extra).

Figures are bare :class:`matplotlib.figure.Figure` objects on an Agg canvas,
never touching pyplot's global state, and are saved atomically.  matplotlib
is imported only when a figure is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _require_matplotlib(caller: str) -> None:
    """Import matplotlib for ``caller`` or raise an ImportError saying how to install it."""
    from skgraphemb._optional import import_optional

    import_optional("matplotlib", caller)


def _image_formats() -> set[str]:
    """Suffixes (without the dot) a figure can be saved as."""
    from matplotlib.backend_bases import FigureCanvasBase

    return set(FigureCanvasBase.get_supported_filetypes())


def _save_figure(fig, path: Path) -> None:
    """``fig.savefig`` through atomic_write (a temporary file renamed over ``path``)."""
    from skgraphemb.utils._filelock import atomic_write

    with atomic_write(path) as fh:
        fig.savefig(fh, dpi=120, format=path.suffix.lower().lstrip("."))


def _plot_methods(path: Path, methods: list[str], scores: list, title: str) -> None:
    """Bar chart of macro-F1 (mean ± std over folds) per method, on an Agg canvas."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.2 * len(methods) + 2.5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    means = [s.mean for s in scores]
    ax.bar(range(len(methods)), means, yerr=[s.std for s in scores], capsize=4, color="tab:blue")
    ax.set_xticks(range(len(methods)), methods)
    for i, m in enumerate(means):
        ax.text(i, m / 2, f"{m:.3f}", ha="center", va="center", color="white")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("macro-F1")
    ax.set_title(title)
    _save_figure(fig, path)


def _plot_grid(path: Path, results, names: list[str], title: str, fmt: Callable[[Any], str]) -> None:
    """Heatmap of mean macro-F1 over two grid parameters (p/q when both are tuned).

    ``results`` is a DataFrame with a column per parameter in ``names`` and
    a ``mean`` column; ``fmt`` writes a parameter value as a tick label.
    Other tuned parameters are maximised over.  Drawn on a bare
    ``matplotlib.figure.Figure`` (Agg canvas), never touching pyplot's state.
    """
    from matplotlib.figure import Figure

    x, y = ("q", "p") if {"p", "q"} <= set(names) else (names[-1], names[0] if len(names) > 1 else None)
    if y is None:
        pivot = results.groupby(x)["mean"].max().to_frame().T
    else:
        pivot = results.pivot_table(index=y, columns=x, values="mean", aggfunc="max")
    values = pivot.to_numpy(dtype=float)
    fig = Figure(figsize=(1.3 * values.shape[1] + 2.5, 1.0 * values.shape[0] + 1.8), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="viridis", origin="lower", aspect="auto")
    ax.set_xticks(range(values.shape[1]), [fmt(v) for v in pivot.columns])
    ax.set_xlabel(x)
    if y is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(values.shape[0]), [fmt(v) for v in pivot.index])
        ax.set_ylabel(y)
    mid, top = np.nanmean(values), np.nanmax(values)
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j,
            i,
            f"{v:.3f}",
            ha="center",
            va="center",
            color="black" if v > mid else "white",
            fontweight="bold" if v == top else "normal",
        )
    others = [n for n in names if n not in (x, y)]
    if others:
        title += f"\n(best over {', '.join(others)})"
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="macro-F1")
    _save_figure(fig, path)
