"""What the commands print: tables, scores, the files written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _print_written(written: list[Path], what: str) -> None:
    print(f"{what} {written[0]}")
    if len(written) > 1:  # .npy: the ids are in a file beside the matrix
        print(f"node ids (row order): {written[1]}")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned plain-text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [header, *rows]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines)


def _describe(data) -> str:
    g = data.graph
    return f"{data.name} ({g.n_nodes} nodes, {g.n_edges} {'arcs' if g.directed else 'edges'})"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)
