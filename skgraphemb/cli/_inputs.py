"""What the commands read (graphs, labels) and check before any work (outputs, options)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from skgraphemb.cli._errors import CLIError, _one_line
from skgraphemb.export.files import OUTPUT_FORMATS

#: Bundled dataset names -> loader in :mod:`skgraphemb.datasets`.
BUNDLED = {"karate": "load_karate", "cora": "load_cora"}

# What reading a user's file can raise: bad bytes, bad lines, a truncated or
# corrupt archive, a folder or an unreadable path.
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error)


@contextlib.contextmanager
def _reading(spec: str) -> Iterator[None]:
    """Make sure a read error names the file it came from (one line, exit 2)."""
    try:
        yield
    except CLIError:
        raise
    except _READ_ERRORS as e:
        message = _one_line(e)
        if spec in message or Path(spec).name in message:
            raise
        raise CLIError(f"cannot read {spec!r}: {message}") from e


_HEADER = {"auto": None, "yes": True, "no": False}


def _load_graph(spec: str, directed: bool, header: bool | None = None):
    """``GRAPH`` as a Bunch with ``graph``, ``nodes``/``labels`` (or None), ``name``.

    An existing path wins over a bundled dataset of the same name.
    """
    with _reading(spec):
        return _read_graph_spec(spec, directed, header)


def _read_graph_spec(spec: str, directed: bool, header: bool | None = None):
    from sklearn.utils import Bunch

    from skgraphemb import datasets
    from skgraphemb.graph import read_edgelist
    from skgraphemb.graph._io import resolve_gz

    path = Path(spec)
    if path.is_dir():
        if not resolve_gz(path / "edges.tsv").exists():
            raise CLIError(f"{spec!r} is a folder but holds no edges.tsv or edges.tsv.gz")
        return datasets.load_edgelist_dir(path, directed=directed, features=False)
    if resolve_gz(path).exists():
        from skgraphemb.graph import load_graph
        from skgraphemb.graph._store import is_graph_file

        if is_graph_file(path):  # written by Graph.save
            graph = load_graph(path)
            if directed and not graph.directed:
                raise CLIError(f"--directed: the graph saved in {spec!r} is undirected")
        else:
            graph = read_edgelist(path, directed=directed, header=header)
        return Bunch(graph=graph, nodes=None, labels=None, name=path.name)
    if spec in BUNDLED:
        if directed:
            raise CLIError(
                f"--directed applies to edge-list files and dataset folders; the bundled {spec!r} graph is undirected"
            )
        loader = getattr(datasets, BUNDLED[spec])
        return loader(features=False) if spec == "cora" else loader()
    raise CLIError(
        f"no such edge-list file, dataset folder or bundled dataset: {spec!r} (bundled: {', '.join(BUNDLED)})"
    )


def _load_labels(args: argparse.Namespace, data) -> tuple[np.ndarray, Any]:
    """Labelled node ids and their labels, kept to nodes of the graph."""
    from skgraphemb.graph import read_labels
    from skgraphemb.graph._io import resolve_gz

    if args.labels is not None:
        if not resolve_gz(args.labels).exists():
            raise CLIError(f"no such labels file: {args.labels!r}")
        with _reading(args.labels):
            nodes, labels = read_labels(args.labels)
        source = args.labels
    elif data.labels is not None:
        nodes, labels = np.asarray(data.nodes), data.labels
        source = f"the {data.name} labels"
    else:
        raise CLIError(f"{args.graph!r} comes with no labels: pass --labels FILE (node<TAB>label lines)")
    graph = data.graph
    keep = np.fromiter((v in graph for v in nodes.tolist()), dtype=bool, count=len(nodes))
    if not keep.any():
        raise CLIError(
            f"none of the {len(nodes)} labelled nodes in {source} is a node of the graph "
            f"(e.g. {nodes[:3].tolist()} vs graph nodes {graph.nodes[:3].tolist()})"
        )
    if not keep.all():
        print(
            f"note: ignoring {int((~keep).sum())} of {len(nodes)} labelled nodes in {source}: not nodes of the graph",
            file=sys.stderr,
        )
        nodes = nodes[keep]
        labels = labels[keep] if isinstance(labels, np.ndarray) else [lab for lab, k in zip(labels, keep) if k]
    return nodes, labels


def _check_output(path: str | None, who: str) -> Path | None:
    """Check ``-o`` before any work: known format, optional dependency present."""
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lower() not in OUTPUT_FORMATS:
        raise CLIError(
            f"unknown output format {out.suffix or '(no suffix)'!r} for {path!r}; "
            f"use one of {', '.join(OUTPUT_FORMATS)}"
        )
    if out.suffix.lower() == ".parquet":
        from skgraphemb._optional import import_optional

        import_optional("pyarrow", f"{who} -o {out.name}")
    _check_writable(out, "-o")
    return out


def _check_plot(spec: str | None, what: str) -> Path | None:
    """``--plot IMAGE`` checked before any work (matplotlib present, image suffix)."""
    if spec is None:
        return None
    from skgraphemb.plotting import _image_formats, _require_matplotlib

    _require_matplotlib(what)
    plot = Path(spec)
    if plot.suffix.lower().lstrip(".") not in _image_formats():
        raise CLIError(f"--plot {spec!r}: use an image suffix such as .png, .svg or .pdf")
    _check_writable(plot, "--plot")
    return plot


def _check_writable(out: Path, option: str) -> None:
    """The folder of an output file exists (created if need be); the path is not a folder."""
    if out.is_dir():
        raise CLIError(f"{option} {str(out)!r} is a folder; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"{option} {str(out)!r}: cannot create its folder: {_one_line(e)}") from None


def _check_int(value: int, name: str, low: int) -> None:
    if value < low:
        raise CLIError(f"{name} must be >= {low}; got {value}")
