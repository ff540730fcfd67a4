"""The immutable CSR graph every estimator works on."""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError
from skgraphemb.graph import _store
from skgraphemb.utils._ids import NodeIndex, format_ids, py_scalar, readonly
from skgraphemb.utils._validation import constraints, validate_params


class Graph:
    """An immutable graph in compressed sparse row (CSR) form.

    This is the one internal form of every graph in skgraphemb: estimators
    call :func:`skgraphemb.as_graph` on what the user passes and work on the
    result.  Build one with :func:`~skgraphemb.as_graph` rather than by hand.

    Row ``i`` of the CSR structure lists the out-neighbours of the node at
    position ``i``; undirected graphs store each edge in both rows (a
    self-loop once).  Rows are sorted by column with no duplicates, and no
    stored weight is zero, so kernels can binary-search a row to test
    adjacency.

    Graphs are immutable (their arrays are read-only), so ``copy.copy`` and
    ``copy.deepcopy`` return the graph itself: cloning an estimator that holds
    a million-edge graph costs nothing.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
        CSR row pointers.
    indices : ndarray of int32, shape (nnz,)
        CSR column positions, sorted within each row.
    weights : ndarray of float64, shape (nnz,), or None
        Positive finite edge weights, or ``None`` for an unweighted graph.
    nodes : ndarray, shape (n_nodes,)
        The original node ids, position ``i`` holding the id of node ``i``.
        Integer ids are stored as int64, any other ids as an object array.
    directed : bool
        Whether edges are directed.
    features : ndarray of float32, shape (n_nodes, n_features), or None
        Optional node features, one row per node position.
    validate : bool, default=True
        Check the arrays in O(nnz): ``indptr`` runs from 0 to ``nnz``
        without decreasing, ``indices`` are integers within ``[0, n_nodes)``
        and strictly increasing within each row (sorted, no duplicates),
        weights are finite and positive, an undirected graph is symmetric
        (with equal weights), node ids are distinct and features finite.
        A graph that breaks these would give wrong answers or crash the
        compiled kernels, so a failed check raises
        :class:`~skgraphemb.exceptions.GraphFormatError`.  ``False`` skips
        them: only for arrays known to be valid (the package's own builders
        pass ``False``).

    Attributes
    ----------
    n_nodes : int
        Number of nodes.
    nnz : int
        Number of stored CSR entries (both directions of undirected edges).
    n_edges : int
        Number of edges: ``nnz`` for directed graphs, undirected edges
        counted once otherwise.

    See Also
    --------
    skgraphemb.as_graph : Build a graph from networkx, scipy, arrays, files...

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import as_graph
    >>> g = as_graph(nx.path_graph(["a", "b", "c"]))
    >>> g
    Graph(n_nodes=3, n_edges=2, directed=False, weighted=False)
    >>> g.neighbors("b")
    ['a', 'c']
    >>> g.positions(["c", "a"])
    array([2, 0])
    """

    __slots__ = (
        "indptr",
        "indices",
        "weights",
        "nodes",
        "directed",
        "features",
        "_index",
        "_fingerprint",
        "_store",
        "__weakref__",  # saved graphs are shared through a weak cache (graph._store)
    )

    def __init__(
        self,
        indptr: NDArray,
        indices: NDArray,
        weights: NDArray | None,
        *,
        nodes: NDArray,
        directed: bool,
        features: NDArray | None = None,
        validate: bool = True,
    ) -> None:
        if validate:
            indptr, indices, weights, nodes = _checked_arrays(indptr, indices, weights, nodes)
        set_ = object.__setattr__
        set_(self, "indptr", readonly(np.asarray(indptr, dtype=np.int64)))
        set_(self, "indices", readonly(np.asarray(indices, dtype=np.int32)))
        set_(
            self,
            "weights",
            None if weights is None else readonly(np.asarray(weights, dtype=np.float64)),
        )
        set_(self, "nodes", readonly(np.asarray(nodes)))
        set_(self, "directed", bool(directed))
        set_(
            self,
            "features",
            None if features is None else readonly(np.asarray(features, dtype=np.float32)),
        )
        set_(self, "_index", None)
        set_(self, "_fingerprint", None)
        set_(self, "_store", None)  # (path, fingerprint) of the file it is mapped from
        if self.indptr.shape != (len(self.nodes) + 1,) or self.indptr[-1] != len(self.indices):
            raise ValueError("inconsistent CSR arrays: indptr must have n_nodes + 1 entries")
        if self.weights is not None and self.weights.shape != self.indices.shape:
            raise ValueError("weights must have one entry per stored edge")
        if self.features is not None and (self.features.ndim != 2 or self.features.shape[0] != len(self.nodes)):
            raise ValueError(
                f"features must have shape (n_nodes, n_features) = ({len(self.nodes)}, ...); got {self.features.shape}"
            )
        if validate:
            _check_graph(self)

    # -- immutability ------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Graph objects are immutable; build a new one with as_graph")

    def __copy__(self) -> Graph:
        return self

    def __deepcopy__(self, memo: dict) -> Graph:
        return self

    def __reduce__(self):
        if self._store is not None:
            # Memory-mapped from a saved file: pickle a reference to it, so
            # that sending an estimator to a worker does not copy the graph.
            return (open_shared, self._store)
        return (_unpickle_graph, (self.__getstate__(),))

    def __getstate__(self) -> dict:
        return {
            "indptr": self.indptr,
            "indices": self.indices,
            "weights": self.weights,
            "nodes": self.nodes,
            "directed": self.directed,
            "features": self.features,
            # Carried along so that a worker receiving the graph does not
            # hash it again (for memory= cache keys).
            "fingerprint": self._fingerprint,
        }

    def __setstate__(self, state: dict) -> None:
        Graph.__init__(
            self,
            state["indptr"],
            state["indices"],
            state["weights"],
            nodes=state["nodes"],
            directed=state["directed"],
            features=state.get("features"),
            validate=False,  # a pickle is trusted (unpickling runs code anyway)
        )
        object.__setattr__(self, "_fingerprint", state.get("fingerprint"))

    # -- sizes -------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def nnz(self) -> int:
        return len(self.indices)

    @property
    def n_self_loops(self) -> int:
        rows = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        return int(np.count_nonzero(rows == self.indices))

    @property
    def n_edges(self) -> int:
        if self.directed:
            return self.nnz
        return (self.nnz + self.n_self_loops) // 2

    @property
    def weighted(self) -> bool:
        return self.weights is not None

    @property
    def out_degree(self) -> NDArray[np.int64]:
        """Number of stored out-neighbours of each node position."""
        return np.diff(self.indptr)

    def __len__(self) -> int:
        return self.n_nodes

    def __repr__(self) -> str:
        return (
            f"Graph(n_nodes={self.n_nodes}, n_edges={self.n_edges}, "
            f"directed={self.directed}, weighted={self.weighted}"
            + (f", n_features={self.features.shape[1]}" if self.features is not None else "")
            + ")"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Graph) and self.fingerprint() == other.fingerprint()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    # -- ids <-> positions -------------------------------------------------
    @property
    def index(self) -> NodeIndex:
        """The :class:`NodeIndex` mapping original ids to positions."""
        if self._index is None:
            object.__setattr__(self, "_index", NodeIndex(self.nodes))
        return self._index

    def positions(self, ids: Iterable[Hashable] | NDArray) -> NDArray[np.intp]:
        """Positions of node ``ids`` in this graph; see :meth:`NodeIndex.positions`."""
        return self.index.positions(ids)

    def __contains__(self, node: Hashable) -> bool:
        return node in self.index

    def neighbors(self, node: Hashable) -> list:
        """Original ids of the out-neighbours of ``node``."""
        i = self.positions([node])[0]
        return [py_scalar(v) for v in self.nodes[self.indices[self.indptr[i] : self.indptr[i + 1]]]]

    # -- conversions -------------------------------------------------------
    def to_scipy(self):
        """The adjacency matrix as a ``scipy.sparse.csr_array`` (float64)."""
        import scipy.sparse as sp

        data = self.weights if self.weights is not None else np.ones(self.nnz)
        return sp.csr_array(
            (np.array(data), np.array(self.indices), np.array(self.indptr)),
            shape=(self.n_nodes, self.n_nodes),
        )

    def to_networkx(self):
        """A networkx ``Graph``/``DiGraph`` with the original ids (and ``weight``)."""
        import networkx as nx

        G = nx.DiGraph() if self.directed else nx.Graph()
        G.add_nodes_from(py_scalar(v) for v in self.nodes.tolist())
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        src, dst = self.nodes[rows].tolist(), self.nodes[self.indices].tolist()
        if self.weights is None:
            G.add_edges_from(zip(src, dst))
        else:
            G.add_weighted_edges_from(zip(src, dst, self.weights.tolist()))
        return G

    # -- storage -----------------------------------------------------------
    def save(self, path) -> None:
        """Write the graph to one file that :func:`~skgraphemb.load_graph` opens in seconds.

        The CSR arrays, node ids (integers or strings), weights, features
        and the fingerprint are stored as raw arrays with checksums, so a
        graph parsed once from a large edge list is then opened without
        parsing, memory-mapped.  The file is written under a temporary name
        in the same folder and renamed at the end: an interrupted save
        leaves any previous file at ``path`` intact.

        Parameters
        ----------
        path : str or path-like
            Where to write (any name; ``.skgraph`` is the convention).

        Raises
        ------
        TypeError
            For node ids other than integers and strings.

        See Also
        --------
        skgraphemb.load_graph : Open the file again.
        """
        _store.save_graph(self, path)

    @property
    def path(self) -> str | None:
        """The file this graph is memory-mapped from (:func:`~skgraphemb.load_graph`), or None."""
        return None if self._store is None else self._store[0]

    def with_features(self, features: NDArray | None) -> Graph:
        """A new graph with the same edges and the given node features."""
        return Graph(
            self.indptr,
            self.indices,
            self.weights,
            nodes=self.nodes,
            directed=self.directed,
            features=_finite_features(features),
            validate=False,
        )

    def subgraph(self, ids: Iterable[Hashable]) -> Graph:
        """The graph induced by the given node ids (in that order).

        Raises
        ------
        GraphFormatError
            If ``ids`` lists a node twice.
        """
        pos = self.positions(list(ids))
        if len(np.unique(pos)) != len(pos):
            dup = pos[np.flatnonzero(np.bincount(pos, minlength=self.n_nodes)[pos] > 1)]
            raise GraphFormatError(
                f"`nodes` contains duplicate ids: {format_ids(dict.fromkeys(self.nodes[dup].tolist()))}; "
                "list each node once"
            )
        sub = self.to_scipy()[pos][:, pos].tocsr()
        sub.sort_indices()
        return Graph(
            sub.indptr,
            sub.indices,
            None if self.weights is None else sub.data,
            nodes=self.nodes[pos],
            directed=self.directed,
            features=None if self.features is None else self.features[pos],
            validate=False,
        )

    # -- identity ----------------------------------------------------------
    def fingerprint(self) -> str:
        """A content hash of the graph (structure, weights, ids, features).

        Equal graphs built from different inputs have equal fingerprints, so
        it keys caches of deterministic embeddings (see ``memory=``).
        """
        if self._fingerprint is None:
            import joblib

            fp = joblib.hash(
                (
                    self.indptr,
                    self.indices,
                    self.weights,
                    self.nodes,
                    self.directed,
                    self.features,
                )
            )
            object.__setattr__(self, "_fingerprint", fp)
        return self._fingerprint

    def dead_ends(self) -> NDArray[np.intp]:
        """Positions of nodes with no out-edges (walks stop there)."""
        return np.flatnonzero(np.diff(self.indptr) == 0)

    def memory_bytes(self) -> int:
        """Bytes held by the CSR arrays (ids and features excluded)."""
        w = 0 if self.weights is None else self.weights.nbytes
        return self.indptr.nbytes + self.indices.nbytes + w

    @property
    def density(self) -> float:
        n = self.n_nodes
        return self.nnz / (n * n) if n else math.nan


def _finite_features(features):
    if features is not None:
        f = np.asarray(features, dtype=np.float32)
        if not np.all(np.isfinite(f)):
            raise GraphFormatError("node features contain NaN or infinite values")
    return features


def _count_distinct(ids: NDArray, unhashable: str) -> int:
    """Number of distinct ids (a sort for integers, a set otherwise); a
    :class:`GraphFormatError` starting with ``unhashable`` for ids a set cannot hold."""
    if ids.dtype.kind in "iu":
        return len(np.unique(ids))
    try:
        return len(set(ids.tolist()))
    except TypeError as e:
        raise GraphFormatError(f"{unhashable} ({e})") from None


def _checked_arrays(indptr, indices, weights, nodes):
    """The arrays of a hand-built graph, checked before any cast (an int64
    column beyond int32, or a float row pointer, must not wrap silently)."""
    indptr, indices = np.asarray(indptr), np.asarray(indices)
    nodes = np.asarray(nodes)
    for name, a in (("indptr", indptr), ("indices", indices)):
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise GraphFormatError(f"{name} must be a 1-d integer array; got dtype {a.dtype} and shape {a.shape}")
    if nodes.ndim != 1:
        raise GraphFormatError(f"nodes must be a 1-d array of ids; got shape {nodes.shape}")
    n, nnz = len(nodes), len(indices)
    if indptr.shape != (n + 1,):
        raise GraphFormatError(
            f"inconsistent CSR arrays: indptr must have n_nodes + 1 = {n + 1} entries; got {indptr.shape[0]}"
        )
    if indptr[0] != 0 or indptr[-1] != nnz or np.any(np.diff(indptr) < 0):
        raise GraphFormatError(
            f"inconsistent CSR arrays: indptr must start at 0, never decrease and end at len(indices) = {nnz}"
        )
    if nnz and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)][0]
        raise GraphFormatError(f"indices must be node positions in [0, {n}); got {py_scalar(bad)}")
    if weights is not None:
        weights = np.asarray(weights)
        if weights.dtype.kind not in "iuf" and weights.size:
            raise GraphFormatError(f"weights must be numbers; got dtype {weights.dtype}")
        weights = weights.astype(np.float64, copy=False)
        if weights.shape != indices.shape:
            raise GraphFormatError(f"weights must have one entry per stored edge ({nnz}); got shape {weights.shape}")
    distinct = _count_distinct(nodes, "node ids must be hashable")
    if distinct != n:
        raise GraphFormatError(f"nodes must be distinct ids; {n - distinct} id(s) repeat")
    return indptr.astype(np.int64, copy=False), indices.astype(np.int32, copy=False), weights, nodes


_CSR_PROBLEMS = {
    1: "a column index is outside [0, n_nodes)",
    2: "the indices of a row are not strictly increasing (unsorted or duplicate columns; "
    "scipy: sum_duplicates() then sort_indices())",
    3: "a weight is NaN or infinite",
    4: "a weight is zero or negative (random walks need positive weights; drop zero entries)",
    5: "the graph is undirected but not symmetric (entry (u, v) has no mirror (v, u) of equal "
    "weight); pass directed=True or symmetrise it",
}


def _check_graph(graph: Graph) -> None:
    from skgraphemb.graph._csr_kernels import csr_problem

    code, at = csr_problem(graph.indptr, graph.indices, graph.weights, graph.n_nodes, graph.directed)
    if code:
        row = int(np.searchsorted(graph.indptr, at, side="right")) - 1
        raise GraphFormatError(
            f"invalid Graph arrays: {_CSR_PROBLEMS[code]}; first at entry {at} "
            f"(row {row}, column {int(graph.indices[at])}"
            + (f", weight {float(graph.weights[at])!r}" if graph.weights is not None else "")
            + "). Build graphs with skgraphemb.as_graph unless the arrays are known to be valid."
        )
    if graph.features is not None and not np.all(np.isfinite(graph.features)):
        raise GraphFormatError("node features contain NaN or infinite values")


def _unpickle_graph(state: dict) -> Graph:
    graph = Graph.__new__(Graph)
    graph.__setstate__(state)
    return graph


# -- saved graphs (the file format is in _store) ------------------------------
@validate_params(constraints("path", mmap=["boolean"], verify=["boolean"]), prefer_skip_nested_validation=True)
def load_graph(path: str | os.PathLike, *, mmap: bool = True, verify: bool = True):
    """Open a graph saved with :meth:`Graph.save <skgraphemb.Graph.save>`.

    Parameters
    ----------
    path : str or path-like
        The file.
    mmap : bool, default=True
        Map the CSR arrays (and integer ids, features) from the file
        instead of reading them: opening costs no memory and little time,
        pages are read when the walks touch them, and processes that open
        the same file share them.  Such a graph pickles as a reference to
        the file (see Notes).  ``False`` reads everything into memory.
    verify : bool, default=True
        Check every array against the CRC-32 stored when it was saved (one
        pass over the file, about a second per GB; the pages stay cached),
        and the arrays as a graph (indices in range, sorted rows, positive
        finite weights: what :class:`~skgraphemb.Graph` checks).  The
        header and the file size are always checked; ``False`` trusts the
        rest of the file.

    Returns
    -------
    Graph
        Equal to the saved graph, with the same :meth:`~Graph.fingerprint`.

    Raises
    ------
    GraphFormatError
        The file is not a graph file, comes from an incompatible format
        version, is truncated, or fails its checksums.
    FileNotFoundError
        There is no such file.

    Notes
    -----
    A memory-mapped graph pickles as its path and fingerprint, so sending
    an estimator that holds it to a worker costs nothing; the worker opens
    the file (once per process) and checks the fingerprint.  The file must
    then be readable at the same path by every worker (shared storage).  A
    graph opened with ``mmap=False`` pickles with its data.

    Examples
    --------
    >>> import os, tempfile
    >>> import networkx as nx
    >>> from skgraphemb import as_graph, load_graph
    >>> g = as_graph(nx.karate_club_graph())
    >>> path = os.path.join(tempfile.mkdtemp(), "karate.skgraph")
    >>> g.save(path)
    >>> h = load_graph(path)
    >>> h == g, h.fingerprint() == g.fingerprint()
    (True, True)
    """
    path = Path(path)
    arrays, nodes, meta = _store.read_graph_file(path, mmap=mmap, verify=verify)
    try:
        # The checksums prove the arrays are those Graph.save wrote from a
        # valid graph; the full structural check (symmetry, distinct ids: 30 s
        # at 100M edges) is not repeated, only what a kernel could crash on.
        graph = Graph(
            arrays["indptr"],
            arrays["indices"],
            arrays.get("weights"),
            nodes=nodes,
            directed=meta["directed"],
            features=arrays.get("features"),
            validate=False,
        )
    except ValueError as e:
        raise GraphFormatError(f"graph file {str(path)!r} holds an inconsistent graph: {e}") from e
    object.__setattr__(graph, "_fingerprint", meta["fingerprint"])
    key = None
    if mmap:
        key = (str(path.resolve()), meta["fingerprint"])
        object.__setattr__(graph, "_store", key)
    _store.remember_open(key, graph)  # what unpickling a reference here returns
    return graph


def open_shared(path: str, fingerprint: str):
    """Unpickle a reference to a saved graph: the process's open copy, or open it.

    Raises
    ------
    FileNotFoundError
        The file is not at ``path`` on this machine (not on shared storage).
    GraphFormatError
        The file there holds another graph than the one pickled.
    """
    key = (path, fingerprint)
    graph = _store.find_open(key)
    if graph is None:
        with _store.OPEN_LOCK:  # one thread opens, the others wait and share it
            graph = _store.find_open(key)
            if graph is None:
                graph = _open_reference(path, fingerprint)
    _store.keep_open(graph)  # for the next task that refers to it
    return graph


def _open_reference(path: str, fingerprint: str):
    """:func:`open_shared`'s opening of the file, with its errors."""
    try:
        graph = load_graph(path, mmap=True)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"this process received a graph saved at {path!r} (pickled by reference), but "
            "there is no such file here. Put the file on storage that every worker reads at "
            "the same path, or send the graph itself: load_graph(path, mmap=False)."
        ) from None
    if graph.fingerprint() != fingerprint:
        raise GraphFormatError(
            f"the graph file {path!r} changed since this reference to it was made "
            "(its fingerprint differs): the workers would embed another graph. "
            "Do not overwrite a saved graph while it is in use; save to a new path."
        )
    return graph
