"""Link prediction: edge splits with negative sampling, edge features, ROC AUC.

- :func:`split_edges` holds out a random share of a graph's edges and draws
  as many (or ``negative_ratio`` times as many) node pairs that are not edges;
  the embedder is then fitted on ``split.train_graph`` only.
- :func:`evaluate_link_prediction` scores pairs by cosine similarity and
  returns the ROC AUC (the reference workflow's function, vectorised).
- :class:`LinkPredictionScorer` wraps an embedder as a transformer whose X is
  an ``(m, 2)`` array of node-id pairs: edge features (Hadamard, average,
  weighted L1/L2) for a downstream classifier, or a similarity score, so that
  it is tuned by :class:`~sklearn.model_selection.GridSearchCV` with or
  without a classifier.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.metrics import roc_auc_score
from sklearn.utils import Bunch, check_random_state

from skgraphemb.graph import Graph, NodeIndex, as_graph
from skgraphemb.utils._ids import embedding_rows
from skgraphemb.utils._validation import (
    HasMethods,
    Integral,
    Real,
    StrictInterval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    constraints,
    validate_params,
)

__all__ = ["split_edges", "evaluate_link_prediction", "LinkPredictionScorer"]

_BINARY_OPERATORS = ("hadamard", "average", "l1", "l2")
_SCORE_OPERATORS = ("cosine", "dot")


# -- splitting -----------------------------------------------------------------
def _count(size, total: int) -> int:
    """Edges a validated ``test_size``/``val_size`` asks for: a count, or a share of ``total``."""
    return int(size) if isinstance(size, Integral) else int(round(float(size) * total))


def _spanning_forest_mask(rows, cols, n: int, rng) -> np.ndarray:
    """Mask of candidate edges (rows[i], cols[i]) on a random spanning forest.

    The forest is a minimum spanning forest of the undirected version of the
    graph under random edge weights; for directed graphs an edge lies on the
    forest when its node pair does (in either direction).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import minimum_spanning_tree

    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    keys = np.unique(lo * n + hi)
    w = rng.uniform(1.0, 2.0, size=len(keys))
    A = sp.csr_array((w, (keys // n, keys % n)), shape=(n, n))
    T = minimum_spanning_tree(A).tocoo()
    forest = T.row.astype(np.int64) * n + T.col.astype(np.int64)
    return np.isin(lo * n + hi, forest)


def _sample_negatives(graph: Graph, rows, cols, k: int, rng) -> np.ndarray:
    """``k`` distinct node-position pairs that are not edges of ``graph``."""
    n = graph.n_nodes
    if k == 0:
        return np.empty((0, 2), dtype=np.int64)
    n_loops = int(np.count_nonzero(rows == cols))
    if graph.directed:
        available = n * (n - 1) - (graph.nnz - n_loops)
    else:
        available = n * (n - 1) // 2 - ((graph.nnz - n_loops) // 2)
    if k > available:
        raise ValueError(
            f"cannot draw {k} negative pairs: the graph has only {available} node pairs "
            "that are not edges; lower negative_ratio or test_size"
        )
    edge_keys = np.unique(rows * n + cols)  # undirected: both directions stored
    chosen = np.empty(0, dtype=np.int64)
    for _ in range(1000):
        need = k - len(chosen)
        if need <= 0:
            break
        batch = max(2 * need, 1024)
        u = rng.randint(0, n, size=batch).astype(np.int64)
        v = rng.randint(0, n, size=batch).astype(np.int64)
        if not graph.directed:
            u, v = np.minimum(u, v), np.maximum(u, v)
        keep = u != v
        keys = (u * n + v)[keep]
        keys = keys[~np.isin(keys, edge_keys) & ~np.isin(keys, chosen)]
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)][:need]  # distinct, in draw order
        chosen = np.concatenate([chosen, keys])
    if len(chosen) < k:  # pragma: no cover - only for nearly complete graphs
        raise ValueError(
            f"could not draw {k} negative pairs by rejection sampling: the graph is "
            "nearly complete; lower negative_ratio or test_size"
        )
    return np.column_stack([chosen // n, chosen % n])


class EdgeSplit(Bunch):
    """The result of :func:`split_edges`: a Bunch that unpacks like a tuple.

    Attribute and key access work as on any :class:`~sklearn.utils.Bunch`
    (``split.train_graph``, ``split["test_pairs"]``), and iteration yields
    the *values* in order, so that ``g_train, pairs, labels = split_edges(G)``
    unpacks as :func:`~sklearn.model_selection.train_test_split` does
    (with a validation split: ``g_train, test_pairs, test_labels, val_pairs,
    val_labels``).  An integer index picks a value by position.  ``keys()``,
    ``values()`` and ``items()`` are the dict's.
    """

    def __iter__(self):
        return iter(self.values())

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer, slice)) and not isinstance(key, bool):
            return tuple(self.values())[key]
        return super().__getitem__(key)

    def __repr__(self) -> str:
        return f"EdgeSplit({', '.join(self.keys())})"


_SIZE = [StrictInterval(Real, 0, 1, closed="left"), StrictInterval(Integral, 0, None, closed="left")]


@validate_params(
    {
        **constraints("graph", "random_state"),
        "test_size": _SIZE,
        "val_size": _SIZE,
        "negative_ratio": [StrictInterval(Real, 0, math.inf, closed="left")],  # negatives per positive
        "keep_connected": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def split_edges(
    graph,
    test_size=0.1,
    negative_ratio: float = 1.0,
    keep_connected: bool = False,
    val_size=0.0,
    random_state=None,
) -> EdgeSplit:
    """Hold out edges for link prediction and draw negative (non-edge) pairs.

    Parameters
    ----------
    graph : graph-like
        Anything :func:`~skgraphemb.as_graph` accepts.
    test_size : float in [0, 1) or int, default=0.1
        Share (float) or number (int) of the candidate edges held out as
        test positives.  Candidates are the edges that are not self-loops
        (each undirected edge counted once), minus the spanning forest when
        ``keep_connected=True``.
    negative_ratio : float, default=1.0
        Negative pairs drawn per positive pair, for test and validation.
    keep_connected : bool, default=False
        Keep the edges of a random spanning forest (of the undirected version
        of the graph) in the training graph, so that held-out edges never
        disconnect a component nor isolate a node.  Fractions then apply to
        all candidate edges, and a ``ValueError`` says when the non-forest
        edges are too few.
    val_size : float in [0, 1) or int, default=0.0
        Share or number of candidate edges held out as validation positives.
    random_state : int, RandomState instance or None, default=None
        Seed for the choice of edges and negatives.

    Returns
    -------
    split : EdgeSplit
        A :class:`~sklearn.utils.Bunch` of ``train_graph`` (a
        :class:`~skgraphemb.Graph` with the same nodes and ids, held-out
        edges removed), ``test_pairs`` (``(m, 2)`` node ids),
        ``test_labels`` (1 for held-out edges, 0 for negatives), and with
        ``val_size > 0`` also ``val_pairs`` and ``val_labels``, which
        unpacks in that order: ``g_train, test_pairs, test_labels =
        split_edges(G)`` (iteration yields the values).  Pairs are
        shuffled.  Negatives are never edges of the original graph, never
        self-pairs and never repeated (undirected graphs: ``(u, v)`` and
        ``(v, u)`` are the same pair); test and validation negatives are
        disjoint.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import split_edges
    >>> split = split_edges(nx.karate_club_graph(), test_size=0.2, random_state=0)
    >>> split.train_graph.n_edges, split.test_pairs.shape, int(split.test_labels.sum())
    (62, (32, 2), 16)
    >>> g_train, test_pairs, test_labels = split   # unpacks like train_test_split
    >>> g_train is split.train_graph
    True
    """
    g = as_graph(graph)
    rng = check_random_state(random_state)
    n = g.n_nodes
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    cols = g.indices.astype(np.int64)

    candidate = rows != cols if g.directed else rows < cols
    cand = np.flatnonzero(candidate)
    if keep_connected and len(cand):
        cand = cand[~_spanning_forest_mask(rows[cand], cols[cand], n, rng)]
    n_total = int(np.count_nonzero(candidate))
    n_test = _count(test_size, n_total)
    n_val = _count(val_size, n_total)
    if n_test + n_val > len(cand):
        extra = " outside a spanning forest" if keep_connected else ""
        raise ValueError(
            f"cannot hold out {n_test + n_val} edges: the graph has only {len(cand)} "
            f"candidate edges{extra} (self-loops are never held out)"
        )
    picked = cand[rng.permutation(len(cand))[: n_test + n_val]]
    held = np.column_stack([rows[picked], cols[picked]])

    # Train graph: drop the held-out CSR entries (both directions if undirected).
    held_keys = held[:, 0] * n + held[:, 1]
    if not g.directed:
        held_keys = np.concatenate([held_keys, held[:, 1] * n + held[:, 0]])
    keep = ~np.isin(rows * n + cols, held_keys)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=indptr[1:])
    train = Graph(
        indptr,
        g.indices[keep],
        None if g.weights is None else g.weights[keep],
        nodes=g.nodes,
        directed=g.directed,
        features=g.features,
    )

    k_test = int(round(negative_ratio * n_test))
    k_val = int(round(negative_ratio * n_val))
    neg = _sample_negatives(g, rows, cols, k_test + k_val, rng)

    def pairs_and_labels(pos, negs):
        pairs = np.concatenate([pos, negs]).astype(np.int64)
        labels = np.concatenate([np.ones(len(pos), np.int64), np.zeros(len(negs), np.int64)])
        order = rng.permutation(len(pairs))
        return np.asarray(g.nodes)[pairs[order]].reshape(-1, 2), labels[order]

    out = EdgeSplit(train_graph=train)
    out.test_pairs, out.test_labels = pairs_and_labels(held[:n_test], neg[:k_test])
    if val_size > 0:
        out.val_pairs, out.val_labels = pairs_and_labels(held[n_test:], neg[k_test:])
    return out


# -- scoring ---------------------------------------------------------------------
def _check_pairs(pairs, name: str = "pairs") -> np.ndarray:
    """Pairs as an (m, 2) array, keeping id types (ints stay ints)."""
    if sp.issparse(pairs):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported: give a dense (m, 2) "
            "array of (u, v) node-id pairs"
        )
    if hasattr(pairs, "to_numpy"):
        pairs = pairs.to_numpy()
    if isinstance(pairs, (list, tuple)):
        rows = list(pairs)
        arr = np.empty((len(rows), 2), dtype=object)
        if any(not hasattr(r, "__len__") or len(r) != 2 for r in rows):
            raise ValueError(f"{name} must have shape (m, 2): one (u, v) node pair per row")
        for i, (u, v) in enumerate(rows):
            arr[i, 0], arr[i, 1] = u, v
        if arr.size and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr.ravel()):
            arr = arr.astype(np.int64)
    else:
        arr = np.asarray(pairs)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (m, 2): one (u, v) node pair per row; got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} holds no pairs (0 samples)")
    return arr


def _positions(index: NodeIndex | None, pairs, n_rows: int, name: str = "pairs") -> np.ndarray:
    """Row positions of the pairs: looked up by id, or (plain array) checked as positions."""
    arr = _check_pairs(pairs, name)
    if index is not None:
        return index.positions(arr.ravel()).reshape(-1, 2)
    if arr.dtype == object:  # a list mixing types: keep it only if all are ints
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr.ravel()):
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        flat = arr.ravel()
        example = next(
            (x for x in flat if not (isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)))),
            flat[0],
        )
        raise ValueError(
            f"{name} must hold integer row positions of the embeddings array (0 <= i < "
            f"{n_rows}); got {example!r} ({type(example).__name__}). To look pairs up by node "
            "id, pass a fitted embedder or a DataFrame indexed by node id"
        )
    bad = (arr < 0) | (arr >= n_rows)
    if bad.any():
        raise ValueError(
            f"{name} must hold row positions 0 <= i < {n_rows} (the rows of the embeddings "
            f"array); got {int(arr[bad][0])}"
        )
    return arr.astype(np.intp)


def _cosine(E: np.ndarray, pos: np.ndarray) -> np.ndarray:
    eu, ev = E[pos[:, 0]], E[pos[:, 1]]
    num = np.einsum("ij,ij->i", eu, ev)
    return num / (np.linalg.norm(eu, axis=1) * np.linalg.norm(ev, axis=1) + 1e-8)


def evaluate_link_prediction(embeddings, test_edges, negative_edges) -> float:
    """ROC AUC of the cosine similarity of positive versus negative pairs.

    The reference workflow's function (``dot / (|u| |v| + 1e-8)``), vectorised.

    Parameters
    ----------
    embeddings : array-like of shape (n_nodes, d), fitted embedder, DataFrame or embedding store
        With an array, pairs hold row positions: integers ``0 <= i < n_nodes``
        (anything else, negative or float positions included, is a
        ``ValueError``).  With a fitted embedder
        (``embedding_``, ``nodes_``), a DataFrame indexed by node id or an
        embedding store (e.g. :class:`~skgraphemb.export.FileEmbeddingStore`),
        pairs hold node ids, which must be unique.
    test_edges : array-like of shape (m, 2)
        Positive pairs (held-out edges).
    negative_edges : array-like of shape (k, 2)
        Negative pairs (non-edges).

    Returns
    -------
    auc : float

    Examples
    --------
    >>> import skgraphemb as sge
    >>> split = sge.split_edges(sge.load_karate().graph, test_size=0.2, random_state=0)
    >>> emb = sge.SVDEmbedder(n_components=8, random_state=0).fit(split.train_graph)
    >>> pos = split.test_pairs[split.test_labels == 1]
    >>> neg = split.test_pairs[split.test_labels == 0]
    >>> auc = sge.evaluate_link_prediction(emb, pos, neg)
    >>> 0.5 < auc <= 1.0
    True
    """
    E, index = embedding_rows(embeddings, name="embeddings")
    pos = _cosine(E, _positions(index, test_edges, E.shape[0], "test_edges"))
    neg = _cosine(E, _positions(index, negative_edges, E.shape[0], "negative_edges"))
    labels = np.r_[np.ones(len(pos), dtype=int), np.zeros(len(neg), dtype=int)]
    return float(roc_auc_score(labels, np.concatenate([pos, neg])))


class LinkPredictionScorer(TransformerMixin, BaseEstimator):
    """Edge features and similarity scores of node pairs from an embedder.

    X is an ``(m, 2)`` array of node-id pairs.  ``fit`` clones ``embedder``
    and fits it on its own ``graph`` (set it to ``split.train_graph`` from
    :func:`split_edges`, so held-out edges are never seen); the pairs only
    have their ids checked.

    Parameters
    ----------
    embedder : estimator
        A graph embedder with ``graph=`` set (e.g.
        :class:`~skgraphemb.Node2VecEmbedder`).
    operator : {"cosine", "dot", "hadamard", "average", "l1", "l2"}, default="cosine"
        What :meth:`transform` returns per pair ``(u, v)``: the cosine
        similarity or dot product (one column), or the node2vec paper's
        binary operators: Hadamard ``a*b``, average ``(a+b)/2``, weighted-L1
        ``|a-b|``, weighted-L2 ``(a-b)**2`` (``d`` columns).

    Attributes
    ----------
    embedder_ : estimator
        The fitted clone of ``embedder``.
    n_features_in_ : int
        Always 2.

    Notes
    -----
    :meth:`decision_function` and :meth:`score` use the dot product when
    ``operator="dot"`` and the cosine similarity otherwise (including the
    binary operators, whose features need a downstream classifier: put one
    after this step in a :class:`~sklearn.pipeline.Pipeline` and search with
    ``scoring="roc_auc"``).

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import LinkPredictionScorer, Node2VecEmbedder, split_edges
    >>> G = nx.connected_caveman_graph(6, 6)
    >>> split = split_edges(G, test_size=0.2, random_state=0)
    >>> emb = Node2VecEmbedder(graph=split.train_graph, n_components=16, walk_length=20,
    ...                        num_walks=10, sample=0, random_state=0)
    >>> lp = LinkPredictionScorer(emb).fit(split.test_pairs)
    >>> lp.score(split.test_pairs, split.test_labels) > 0.75
    True
    """

    _parameter_constraints: dict = {
        "embedder": [HasMethods(["fit", "transform"])],
        "operator": [StrOptions(set(_SCORE_OPERATORS + _BINARY_OPERATORS))],
    }

    def __init__(self, embedder, operator: str = "cosine") -> None:
        self.embedder = embedder
        self.operator = operator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X=None, y=None):
        """Fit a clone of ``embedder`` on its graph; check the ids of X.

        Parameters
        ----------
        X : array-like of shape (m, 2) or None
            Node-id pairs (only checked to be nodes of the graph).
        y : ignored
            Never used to build the embedding.

        Returns
        -------
        self : object
        """
        params = self.embedder.get_params(deep=False)
        if params.get("graph") is None:
            raise ValueError(
                "LinkPredictionScorer needs an embedder with `graph=` set (the training "
                "graph, e.g. split_edges(...).train_graph); X holds node-id pairs"
            )
        if X is not None:
            X = _check_pairs(X, "X")
        est = clone(self.embedder)
        est.fit(None)
        self.embedder_ = est
        self._index = NodeIndex(np.asarray(est.nodes_))
        if X is not None:
            self._index.positions(X.ravel())  # unknown ids -> error naming them
        self.n_features_in_ = 2
        return self

    def _ends(self, X) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "embedder_")
        E = np.asarray(self.embedder_.embedding_)
        index = getattr(self, "_index", None)
        if index is None:  # derived state an older or trimmed pickle may lack
            index = self._index = NodeIndex(np.asarray(self.embedder_.nodes_))
        pos = _positions(index, X, E.shape[0], "X")
        return E[pos[:, 0]], E[pos[:, 1]]

    def transform(self, X):
        """Edge features of the pairs in X.

        Returns
        -------
        features : ndarray of shape (m, d) or (m, 1), float32
            Binary-operator features, or the similarity for "cosine"/"dot".
        """
        a, b = self._ends(X)
        op = self.operator
        if op == "hadamard":
            return a * b
        if op == "average":
            return (a + b) / 2
        if op == "l1":
            return np.abs(a - b)
        if op == "l2":
            return (a - b) ** 2
        return self.decision_function(X)[:, None]

    def decision_function(self, X) -> np.ndarray:
        """Similarity of each pair: dot product for "dot", cosine otherwise."""
        a, b = self._ends(X)
        dot = np.einsum("ij,ij->i", a, b)
        if self.operator == "dot":
            return dot
        return dot / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-8)

    score_pairs = decision_function

    def score(self, X, y, sample_weight=None) -> float:
        """ROC AUC of :meth:`decision_function` against 0/1 labels ``y``."""
        return float(roc_auc_score(y, self.decision_function(X), sample_weight=sample_weight))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``[operator]`` for "cosine"/"dot", else ``operator0 .. operator{d-1}``."""
        check_is_fitted(self, "embedder_")
        if self.operator in _SCORE_OPERATORS:
            return np.asarray([self.operator], dtype=object)
        d = np.asarray(self.embedder_.embedding_).shape[1]
        return np.asarray([f"{self.operator}{i}" for i in range(d)], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.target_tags.required = False
        return tags
