"""``as_graph``: the single entry point from user inputs to :class:`Graph`.

Every estimator, loader and command goes through :func:`as_graph`; all input
checks (shape, ids, weights, emptiness) live here, so the rest of the package
can trust a :class:`Graph`.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError, UnknownNodeError
from skgraphemb.graph._build import (
    _FLOAT_EXACT,
    _build,
    _check_weights,
    _feature_matrix,
    _finish_csr,
    _from_columns,
    _ids_array,
    _nodes_array,
)
from skgraphemb.graph._graph import Graph, load_graph
from skgraphemb.graph._io import _local_source, _read_edgelist
from skgraphemb.graph._store import is_graph_file
from skgraphemb.utils._ids import format_ids
from skgraphemb.utils._validation import constraints, validate_params

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    import pandas as pd

#: Everything :func:`as_graph` accepts.
GraphLike = Union[
    Graph,
    "nx.Graph",
    sp.sparray,
    sp.spmatrix,
    NDArray,
    "pd.DataFrame",
    Sequence[tuple],
    str,
    os.PathLike,
    Any,  # torch_geometric.data.Data (duck-typed: has ``edge_index``)
]

_SOURCE_COLUMNS = ("source", "src", "from", "u", "head", "node1")
_TARGET_COLUMNS = ("target", "dst", "to", "v", "tail", "node2")


@validate_params(
    constraints(
        "header",
        data="no_validation",  # every graph-like form, checked below
        directed=["boolean", None],
        weight=[Hashable, None],  # a column label
        nodes="no_validation",
        features="no_validation",
    ),
    prefer_skip_nested_validation=True,
)
def as_graph(
    data: GraphLike,
    *,
    directed: bool | None = None,
    weight: str | None = "weight",
    nodes: Sequence[Hashable] | None = None,
    features: NDArray | str | None = None,
    header: bool | None = None,
) -> Graph:
    """Convert a graph-like input into an immutable :class:`Graph`.

    Parameters
    ----------
    data : graph-like
        One of:

        - a :class:`Graph` (returned as is unless other arguments change it);
        - a networkx ``Graph``, ``DiGraph``, ``MultiGraph`` or
          ``MultiDiGraph``; node ids and order are kept, edge weights are
          read from the ``weight`` attribute (missing -> 1);
        - a square scipy.sparse adjacency matrix; nodes are ``0..n-1``;
        - an ``(m, 2)`` array (or list) of edges, or ``(m, 3)`` with weights
          in the third column; node ids are the sorted distinct ids found;
        - a pandas DataFrame of edges: ``source``/``target`` columns (or
          ``src``/``dst``, ``head``/``tail``..., else the first two columns)
          and weights from the column named by ``weight`` (other columns,
          such as timestamps, are ignored);
        - a PyTorch Geometric ``Data`` object (``edge_index``, optional
          ``edge_weight`` and ``x``);
        - a path to an edge-list file, ``.tsv``/``.csv``/``.edg``/``.txt``,
          optionally ``.gz`` (see :func:`read_edgelist`); pipes such as
          ``/dev/stdin`` or ``<(zcat g.edg.gz)`` are read once.
    directed : bool, default=None
        Whether the graph is directed.  ``None`` takes it from the input:
        networkx graphs know it; a scipy matrix or PyG ``Data`` is undirected
        exactly when it is symmetric; edge arrays, frames and files are
        undirected.
    weight : str or None, default="weight"
        Edge attribute (networkx) or column (pandas) holding weights; ``None``
        ignores weights (files: reads no weight column).  Only this column
        of a frame is read as weights: a frame without it is unweighted.
    nodes : sequence of hashable, default=None
        Explicit node ids and their order, e.g. to include isolated nodes in
        an edge list.  Edges must only use these ids; each id is listed once.
    features : array-like of shape (n_nodes, n_features) or str, default=None
        Node features, one row per node in ``nodes`` order, or (networkx)
        the name of a node attribute holding each node's feature vector.
    header : bool, default=None
        Files only: whether the first data line names the columns; ``None``
        detects it (see :func:`read_edgelist`).

    Returns
    -------
    Graph

    Raises
    ------
    GraphFormatError
        For empty graphs, wrong shapes, NaN/inf/negative/non-numeric weights
        (also a sum of duplicate edges that overflows), missing ids, integer
        ids beyond 64 bits, duplicate ids in ``nodes`` and ids that cannot
        be ordered.
    TypeError
        For unsupported input types.

    Notes
    -----
    - **Multi-edges** (the same arc ``u -> v`` given several times) are
      merged into one: their weights are summed in a weighted graph; an
      unweighted graph stays unweighted.
    - **Undirected graphs from arcs**: every input is read as arcs (an edge
      list's rows, a matrix's entries, a directed networkx graph's edges,
      ``edge_index`` columns).  With ``directed=False``, the edge ``{u, v}``
      weighs the **larger** of the (summed) arcs ``u -> v`` and ``v -> u``:
      ``max(A, A.T)`` of the directed adjacency ``A``, for every input form.
      Max, not sum, because most undirected inputs already list both
      directions of each edge (a symmetric matrix, a PyG ``edge_index``,
      edge lists that repeat ``v u`` after ``u v``, ``Graph.to_networkx``
      of a graph made directed): summing would double their weights, while
      max leaves them unchanged and a graph round-trips through every form.
      Undirected networkx multigraphs have no directions: their parallel
      edges are summed.
    - **Integer ids** are int64; ids beyond int64 that are all non-negative
      (hashed 64-bit ids) are kept as uint64.  Other ids beyond 64 bits are
      refused (convert them to str).
    - **Self-loops** are kept (a walk may stay on the node).
    - **Zero-weight edges** are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> from skgraphemb import as_graph
    >>> as_graph(np.array([[0, 1], [1, 2], [2, 0]]))
    Graph(n_nodes=3, n_edges=3, directed=False, weighted=False)
    >>> as_graph([("a", "b", 2.0), ("b", "c", 0.5)], directed=True)
    Graph(n_nodes=3, n_edges=2, directed=True, weighted=True)
    """
    return _as_graph(data, directed, weight, nodes, features, header)


def _as_graph(data, directed, weight, nodes, features, header=None) -> Graph:
    if header is not None and not isinstance(data, (str, os.PathLike)):
        raise ValueError(f"header={header!r} applies to edge-list files only; got {type(data).__name__}")
    if isinstance(data, Graph):
        graph = data
        if directed is not None and bool(directed) != graph.directed:
            raise GraphFormatError(
                f"cannot reinterpret a {'directed' if graph.directed else 'undirected'} "
                "Graph with a different `directed`; rebuild it from the source data"
            )
        if nodes is not None:
            graph = graph.subgraph(nodes)
        if features is not None:
            graph = graph.with_features(_feature_matrix(features, graph.n_nodes))
        return graph

    if isinstance(data, (str, os.PathLike)):
        if is_graph_file(data):  # written by Graph.save: open it, memory-mapped
            return as_graph(load_graph(data), directed=directed, nodes=nodes, features=features)
        with _local_source(data) as src:  # a pipe is read once, into a temporary file
            if src.spooled and is_graph_file(src.path):
                graph = load_graph(src.path, mmap=False)
                return as_graph(graph, directed=directed, nodes=nodes, features=features)
            return _read_edgelist(
                src,
                directed=bool(directed),
                weighted=False if weight is None else None,
                nodes=nodes,
                features=features,
                header=header,
            )

    if is_networkx(data):
        return _from_networkx(data, directed, weight, nodes, features)
    if sp.issparse(data):
        return _from_matrix(data, directed, nodes, features)
    if hasattr(data, "edge_index"):
        return _from_pyg(data, directed, nodes, features)
    if _is_dataframe(data):
        return _from_frame(data, directed, weight, nodes, features)
    if isinstance(data, (np.ndarray, list, tuple)):
        return _from_array(data, directed, nodes, features)
    raise TypeError(
        f"cannot build a graph from {type(data).__name__!s}; expected a networkx graph, "
        "a scipy.sparse adjacency matrix, an (m, 2) or (m, 3) edge array, a pandas edge "
        "frame, a torch_geometric Data object or an edge-list file path"
    )


# -- input-specific adapters ---------------------------------------------------
def is_graph_like(X: Any) -> bool:
    """Whether ``X`` is unambiguously a graph (not a column of node ids).

    True for a :class:`Graph`, a networkx graph (subclasses too) and a
    torch_geometric ``Data`` (anything with ``edge_index``).
    """
    return isinstance(X, Graph) or is_networkx(X) or hasattr(X, "edge_index")


def is_networkx(data: Any) -> bool:
    """Whether ``data`` is a networkx graph, without importing networkx."""
    # Look along the MRO, not only at type(data): user subclasses of
    # nx.Graph (and other libraries' graph classes) are networkx graphs too.
    # Checking module names avoids importing networkx for other inputs.
    return hasattr(data, "is_directed") and any(
        (c.__module__ or "").startswith("networkx.") for c in type(data).__mro__
    )


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "columns")


def _from_networkx(G, directed, weight, nodes, features) -> Graph:
    is_directed = G.is_directed()
    if directed and not is_directed:
        G = G.to_directed()  # each edge becomes two arcs of its weight
        is_directed = True
    # A directed graph made undirected is built from its arcs with the
    # max(A, A.T) rule of _build (G.to_undirected keeps whichever arc of a
    # reciprocal pair comes last).
    is_directed = is_directed if directed is None else bool(directed)
    if nodes is None:
        node_list = list(G.nodes())
        ids = _ids_array(node_list)
    else:
        ids = _nodes_array(nodes)
        node_list = ids.tolist()
        listed = set(node_list)  # a set built once: the check below is O(n), not O(n^2)
        missing = [v for v in G.nodes() if v not in listed]
        if missing:
            raise UnknownNodeError(f"the graph has nodes not listed in `nodes`: {format_ids(missing)}", missing)
    index = {v: i for i, v in enumerate(node_list)}
    m = G.number_of_edges()
    src = np.empty(m, dtype=np.int64)
    dst = np.empty(m, dtype=np.int64)
    w = np.ones(m, dtype=np.float64)
    any_weight = False
    for k, (u, v, d) in enumerate(G.edges(data=weight, default=None) if weight else G.edges(data=True)):
        src[k] = index[u]
        dst[k] = index[v]
        if weight and d is not None:
            any_weight = True
            w[k] = _number(d, lambda u=u, v=v, d=d: f"edge ({u!r}, {v!r}) has a non-numeric {weight!r} attribute {d!r}")
    if isinstance(features, str):
        features = _networkx_features(G, node_list, features)
    return _build(src, dst, w if any_weight else None, ids, is_directed, features)


def _number(value, message) -> float:
    """``value`` as a float, or a GraphFormatError with ``message()``."""
    if isinstance(value, (str, bytes)):
        raise GraphFormatError(message() + "; weights must be numbers")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise GraphFormatError(message() + "; weights must be numbers") from None


def _networkx_features(G, node_list, key: str) -> NDArray:
    rows = []
    for v in node_list:
        if key not in G.nodes[v]:
            raise GraphFormatError(f"node {v!r} has no feature attribute {key!r}")
        rows.append(np.asarray(G.nodes[v][key], dtype=np.float32).ravel())
    try:
        return np.stack(rows)
    except ValueError as e:
        raise GraphFormatError(f"node feature attribute {key!r} has vectors of different lengths") from e


def _from_matrix(A, directed, nodes, features) -> Graph:
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise GraphFormatError(
            f"an adjacency matrix must be square; got shape {A.shape}. For an edge list use an (m, 2) or (m, 3) array."
        )
    n = A.shape[0]
    if A.dtype.kind not in "biuf":
        raise GraphFormatError(f"an adjacency matrix must hold real numbers; got dtype {A.dtype}")
    A = sp.csr_array(A, dtype=np.float64)
    A.sum_duplicates()
    _check_weights(A.data)
    symmetric = (A != A.T).nnz == 0
    if directed is None:
        directed = not symmetric
    if not directed and not symmetric:
        A = A.maximum(A.T).tocsr()  # the undirected rule of as_graph (Notes)
    ids = np.arange(n) if nodes is None else _nodes_array(nodes)
    if len(ids) != n:
        raise GraphFormatError(f"`nodes` has {len(ids)} ids but the matrix has {n} rows")
    return _finish_csr(A, ids, bool(directed), features)


def _from_pyg(data, directed, nodes, features) -> Graph:
    ei = data.edge_index
    ei = ei.detach().cpu().numpy() if hasattr(ei, "detach") else np.asarray(ei)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise GraphFormatError(f"edge_index must have shape (2, m); got {ei.shape}")
    if ei.size and ei.dtype.kind not in "iu":
        raise GraphFormatError(f"edge_index must hold integer node positions; got dtype {ei.dtype}")
    m = ei.shape[1]
    if m == 0:
        raise GraphFormatError("edge_index is empty: a graph needs at least one edge")
    n = getattr(data, "num_nodes", None)
    n = int(ei.max()) + 1 if n is None else int(n)
    lo, hi = int(ei.min()), int(ei.max())
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise GraphFormatError(
            f"edge_index holds node position {bad}, outside [0, num_nodes={n}); "
            "positions must be 0 .. num_nodes - 1 (no -1 padding)"
        )
    w = getattr(data, "edge_weight", None)
    if w is not None:
        w = w.detach().cpu().numpy() if hasattr(w, "detach") else np.asarray(w)
        if w.dtype.kind not in "biuf":
            raise GraphFormatError(f"edge_weight must hold numbers; got dtype {w.dtype}")
        w = np.asarray(w, dtype=np.float64)
        if w.ndim > 1 and w.size == m:
            w = w.ravel()  # an (m, 1) column
        if w.shape != (m,):
            raise GraphFormatError(
                f"edge_weight must have one weight per edge_index column: expected ({m},), got {w.shape}"
            )
    ids = np.arange(n) if nodes is None else _nodes_array(nodes)
    if len(ids) != n:
        raise GraphFormatError(f"`nodes` has {len(ids)} ids but the graph has num_nodes={n}")
    if features is None and getattr(data, "x", None) is not None:
        x = data.x
        features = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if directed is None:
        # Undirected exactly when symmetric: then max(A, A.T) is A itself.
        g = _build(ei[0], ei[1], w, ids, True, features)
        A = g.to_scipy()
        if (A != A.T).nnz:
            return g
        return Graph(g.indptr, g.indices, g.weights, nodes=g.nodes, directed=False, features=g.features, validate=False)
    return _build(ei[0], ei[1], w, ids, bool(directed), features)


def _from_frame(df, directed, weight, nodes, features) -> Graph:
    cols = [str(c) for c in df.columns]
    lower = [c.lower() for c in cols]

    def pick(names, default):
        for name in names:
            if name in lower:
                return df.columns[lower.index(name)]
        return df.columns[default]

    if len(cols) < 2:
        raise GraphFormatError(f"an edge frame needs at least 2 columns; got {cols}")
    s, t = pick(_SOURCE_COLUMNS, 0), pick(_TARGET_COLUMNS, 1)
    w = None
    if weight is not None and weight in df.columns:
        col = df[weight]
        if col.isna().any():
            raise GraphFormatError(
                f"the weight column {weight!r} has {int(col.isna().sum())} missing value(s) "
                f"(first at row {_first_row(col.isna())}); drop those edges or fill them"
            )
        if col.dtype.kind not in "biuf":
            bad = next((v for v in col.tolist() if not _is_number(v)), None)
            try:
                if bad is not None:
                    raise ValueError(bad)
                w = col.to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                raise GraphFormatError(
                    f"the weight column {weight!r} holds a non-numeric value {bad!r}; weights must be numbers"
                ) from None
        else:
            w = col.to_numpy(dtype=np.float64)
    elif weight is not None and weight != "weight":
        raise GraphFormatError(
            f"weight={weight!r} names no column of the frame (columns: {cols}); "
            "pass weight=None for an unweighted graph"
        )
    return _from_columns(_frame_ids(df, s), _frame_ids(df, t), w, directed, nodes, features)


def _first_row(mask) -> Any:
    return mask.index[np.flatnonzero(mask.to_numpy())[0]]


def _is_number(v) -> bool:
    if isinstance(v, (str, bytes)):
        return False
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _frame_ids(df, col) -> NDArray:
    """A frame's id column as an array, refusing missing ids (pandas'
    nullable ``Int64`` would otherwise turn into floats with NaN)."""
    s = df[col]
    missing = s.isna()
    if missing.any():
        raise GraphFormatError(
            f"the id column {col!r} has {int(missing.sum())} missing id(s) "
            f"(first at row {_first_row(missing)}); drop those edges"
        )
    if s.dtype.kind in "iu" and not isinstance(s.dtype, np.dtype):  # Int64, UInt64...
        return s.to_numpy(dtype=s.dtype.numpy_dtype)
    return s.to_numpy()


def _from_array(data, directed, nodes, features) -> Graph:
    try:
        arr = np.asarray(data) if not isinstance(data, np.ndarray) else data
    except ValueError as e:  # ragged rows
        raise GraphFormatError(f"edge rows must all have 2 (source, target) or 3 (..., weight) fields ({e})") from None
    if arr.dtype == object and arr.ndim == 1 and len(arr) and isinstance(arr[0], (tuple, list)):
        rows = [tuple(r) for r in arr]
        if len({len(r) for r in rows}) > 1:
            raise GraphFormatError("edge rows must all have 2 (source, target) or 3 (..., weight) fields")
        arr = np.empty((len(rows), len(rows[0])), dtype=object)
        arr[:] = rows
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise GraphFormatError(
            f"an edge array must have shape (m, 2) or (m, 3) (source, target[, weight]); got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise GraphFormatError("the edge array is empty: a graph needs at least one edge")
    if isinstance(data, (list, tuple)) and arr.dtype.kind in "USf":
        # np.asarray turned every field into a string (a (str, str, float)
        # weight column, or int ids mixed with str ids: [(1, "a")] -> "1"),
        # or into a float (float weights, or ints beyond int64: 2**64 - 1
        # would lose its last digits).  Take the originals so ids keep their
        # type and value (mixed ids then fail clearly in _unique_ids).
        obj = np.empty(arr.shape, dtype=object)
        obj[:] = [tuple(r) for r in data]
        arr = obj
    w = None
    if arr.shape[1] == 3:
        col = arr[:, 2]
        if col.dtype == object and any(isinstance(v, (str, bytes)) for v in col.tolist()):
            col = None
        try:
            w = None if col is None else col.astype(np.float64)
        except (TypeError, ValueError):
            w = None
        if w is None:
            raise GraphFormatError("the third column of an (m, 3) edge array must hold numeric weights")
    src, dst = arr[:, 0], arr[:, 1]
    if arr.dtype.kind == "f" and arr.shape[1] == 3:
        # Ids arrived as floats because the weights made the array float.
        with np.errstate(invalid="ignore"):
            whole = np.all(np.mod(arr[:, :2], 1) == 0) and np.all(np.abs(arr[:, :2]) <= _FLOAT_EXACT)
        if whole:
            src, dst = src.astype(np.int64), dst.astype(np.int64)
    return _from_columns(src, dst, w, directed, nodes, features)
