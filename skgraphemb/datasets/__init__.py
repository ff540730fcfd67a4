"""Dataset loaders: bundled graphs and folders in the shared benchmark format.

The benchmark format (see ``docs/datasets.rst``): a folder with
``edges.tsv[.gz]`` (``src<TAB>dst``), optional ``labels.tsv``
(``node<TAB>label``, one line per pair, multi-label allowed), ``split.tsv``
(``node<TAB>train|val|test``) and ``features.npz`` (scipy sparse, row i =
node i), and a ``README.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skgraphemb.graph import as_graph, read_labels
from skgraphemb.graph._io import _resolve, read_table

__all__ = ["load_cora", "load_edgelist_dir", "load_karate"]

_DATA = Path(__file__).parent / "data"


def load_edgelist_dir(path: str | os.PathLike, *, directed: bool = False, features: bool = True) -> Bunch:
    """Load a graph folder in the benchmark format.

    Parameters
    ----------
    path : str or path-like
        Folder holding ``edges.tsv`` (or ``edges.tsv.gz``) and optionally
        ``labels.tsv``, ``split.tsv``, ``features.npz``, ``README.md``.
    directed : bool, default=False
        Read edges as arcs.
    features : bool, default=True
        Attach ``features.npz`` (when present) to the graph as node features.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``graph`` (:class:`~skgraphemb.Graph`), ``nodes`` (labelled node ids)
        and ``labels`` aligned with them (an array, or a list of label
        tuples when some node has several), ``split`` (dict node -> "train"
        / "val" / "test", or None), ``features`` (scipy sparse matrix or
        None), ``name`` and ``description`` (the README).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no dataset folder at {str(folder)!r}")
    X = None
    if (folder / "features.npz").exists():
        import scipy.sparse as sp

        X = sp.load_npz(folder / "features.npz").tocsr()
    graph = as_graph(_resolve(folder / "edges.tsv"), directed=directed)
    if X is not None:
        if X.shape[0] != graph.n_nodes or not np.array_equal(graph.nodes, np.arange(graph.n_nodes)):
            # Isolated nodes are missing from the edge list: list all nodes.
            # (`!=`, not `<`: isolated nodes at the end, beyond the largest id
            # in edges.tsv, leave the graph with fewer nodes than feature rows.)
            graph = as_graph(_resolve(folder / "edges.tsv"), directed=directed, nodes=np.arange(X.shape[0]))
        if features:
            graph = graph.with_features(X.toarray())
    nodes = labels = split = None
    if (folder / "labels.tsv").exists() or (folder / "labels.tsv.gz").exists():
        nodes, labels = read_labels(_resolve(folder / "labels.tsv"))
    if (folder / "split.tsv").exists():
        df = read_table(folder / "split.tsv")
        split = dict(zip(df[0].tolist(), df[1].tolist()))
    readme = folder / "README.md"
    return Bunch(
        graph=graph,
        nodes=nodes,
        labels=labels,
        split=split,
        features=X,
        name=folder.name,
        description=readme.read_text() if readme.exists() else "",
    )


def load_cora(*, features: bool = True) -> Bunch:
    """The Cora citation graph (2,708 nodes, 5,278 edges, 7 classes), bundled.

    Planetoid version with its public split and 1,433 bag-of-words features;
    see ``load_cora().description`` for the source and licence.  Same fields
    as :func:`load_edgelist_dir`.

    Examples
    --------
    >>> from skgraphemb import load_cora
    >>> cora = load_cora()
    >>> cora.graph
    Graph(n_nodes=2708, n_edges=5278, directed=False, weighted=False, n_features=1433)
    >>> len(cora.labels), sorted(set(cora.split.values()))
    (2708, ['test', 'train', 'val'])
    """
    return load_edgelist_dir(_DATA / "cora", features=features)


def load_karate() -> Bunch:
    """Zachary's karate club (34 nodes, 78 weighted edges), from networkx.

    Labels are the two clubs the members joined after the split
    (0 = "Mr. Hi", 1 = "Officer").

    Examples
    --------
    >>> from skgraphemb import load_karate
    >>> data = load_karate()
    >>> data.graph
    Graph(n_nodes=34, n_edges=78, directed=False, weighted=True)
    >>> data.labels[:5]
    array([0, 0, 0, 0, 0])
    """
    import networkx as nx

    G = nx.karate_club_graph()
    nodes = np.array(list(G.nodes()))
    labels = np.array([0 if G.nodes[v]["club"] == "Mr. Hi" else 1 for v in nodes])
    return Bunch(
        graph=as_graph(G),
        nodes=nodes,
        labels=labels,
        split=None,
        features=None,
        name="karate",
        description="Zachary's karate club, W. W. Zachary (1977), via networkx.",
    )
