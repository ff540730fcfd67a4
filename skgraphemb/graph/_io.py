"""Edge-list and label files (tsv/csv/edg, optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError

_HEADER_WORDS = {
    "source", "target", "src", "dst", "from", "to", "u", "v", "head", "tail",
    "weight", "node", "node1", "node2", "label", "id", "relation",
}


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def _separator(path: Path) -> str:
    base = path.name[:-3] if path.name.endswith(".gz") else path.name
    if base.endswith(".csv"):
        return ","
    if base.endswith(".tsv"):
        return "\t"
    return r"\s+"  # .edg, .txt, .el ...: any whitespace (PecanPy's .edg format)


def _first_line(path: Path, comments: str) -> str | None:
    with _open_text(path) as f:
        for line in f:
            if line.strip() and not line.startswith(comments):
                return line
    return None


def _resolve(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists() and Path(str(path) + ".gz").exists():
        path = Path(str(path) + ".gz")  # shared data stores big files as name.gz
    if not path.exists():
        raise FileNotFoundError(f"no such edge-list file: {str(path)!r}")
    return path


def read_table(path: str | os.PathLike, *, comments: str = "#", usecols=None, dtype=None):
    """Read a whitespace/tab/comma separated table into a pandas DataFrame.

    Columns are numbered from 0; a first line made of column names such as
    ``source``/``target``/``weight`` is detected and skipped.  With
    ``dtype=None`` integer columns become int64, numeric ones float64 and
    others strings; ``dtype=str`` keeps every field a string (ids with
    leading zeros, such as WN18RR's).
    """
    import pandas as pd

    path = _resolve(path)
    sep = _separator(path)
    first = _first_line(path, comments)
    if first is None:
        raise GraphFormatError(f"{str(path)!r} holds no data lines")
    split = first.split(",") if sep == "," else first.split()
    header = 0 if {s.strip().lower() for s in split} & _HEADER_WORDS else None
    df = pd.read_csv(
        path,
        sep=sep,
        header=header,
        comment=comments[0] if comments else None,
        dtype=dtype,
        usecols=usecols,
        engine="c",
        skip_blank_lines=True,
        keep_default_na=False,
    )
    df.columns = range(df.shape[1])
    for c in df.columns:
        if df[c].dtype.kind not in "iufb":
            df[c] = df[c].astype(object)  # plain Python str ids, not pandas' StringDtype
    return df


def read_edgelist(
    path: str | os.PathLike,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    nodes: Sequence[Hashable] | None = None,
    features: NDArray | None = None,
    comments: str = "#",
):
    """Read an edge-list file into a :class:`~skgraphemb.Graph`.

    Parameters
    ----------
    path : str or path-like
        ``.tsv`` (tab), ``.csv`` (comma), or ``.edg``/``.txt``/other
        (whitespace) file, optionally gzip-compressed (``.gz``).  Lines are
        ``source target [weight]``; lines starting with ``comments`` are
        skipped, as is a header line naming the columns.  If ``path`` does
        not exist but ``path + ".gz"`` does, that file is read.
    directed : bool, default=False
        Whether each line is an arc ``source -> target``.
    weighted : bool, default=None
        Read the third column as weights; ``None`` does so when there is one.
    nodes : sequence of hashable, default=None
        Explicit node ids and order (e.g. to include isolated nodes).
    features : array-like, default=None
        Node features, one row per node.
    comments : str, default="#"
        Comment prefix.

    Returns
    -------
    Graph
        Integer ids are read as ints, others as strings.
    """
    from skgraphemb.graph._adapters import _from_columns

    df = read_table(path, comments=comments)
    if df.shape[1] < 2:
        raise GraphFormatError(
            f"{str(path)!r} has {df.shape[1]} column(s); an edge list needs 'source target [weight]'"
        )
    w = None
    if df.shape[1] >= 3 and weighted is not False:
        try:
            w = df[2].astype(np.float64).to_numpy()
        except ValueError as e:
            raise GraphFormatError(f"the third column of {str(path)!r} is not numeric weights") from e
    elif weighted:
        raise GraphFormatError(f"weighted=True but {str(path)!r} has no weight column")
    return _from_columns(
        df[0].to_numpy(), df[1].to_numpy(), w, directed, nodes, features
    )


def read_labels(path: str | os.PathLike, *, comments: str = "#"):
    """Read a ``node<TAB>label`` file (one line per pair; multi-label allowed).

    Returns
    -------
    nodes : ndarray
        Distinct labelled node ids, in first-seen order.
    labels : ndarray or list of tuple
        One label per node when every node has exactly one, else a list of
        label tuples per node (for ``MultiLabelBinarizer``).
    """
    df = read_table(path, comments=comments)
    if df.shape[1] < 2:
        raise GraphFormatError(f"{str(path)!r} must have 'node label' columns")
    per_node = df.groupby(0, sort=False)[1].agg(tuple)
    nodes = per_node.index.to_numpy()
    if (per_node.map(len) == 1).all():
        return nodes, np.asarray([t[0] for t in per_node])
    return nodes, [tuple(t) for t in per_node]
