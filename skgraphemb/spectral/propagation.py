"""``SpectralPropagation``: ProNE's spectral propagation around any embedder."""

from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.base import clone

from skgraphemb.base import BaseGraphEmbedder
from skgraphemb.graph import Graph
from skgraphemb.utils._validation import HasMethods, Integral, Interval, constraints

logger = logging.getLogger(__name__)

__all__ = ["SpectralPropagation"]


class SpectralPropagation(BaseGraphEmbedder):
    """Fit an embedder, then propagate its embedding over the same graph.

    ProNE's second step (Zhang et al., IJCAI 2019) as a meta-estimator: the
    wrapped embedder's vectors ``X`` (rows scaled to unit length first, as
    ProNE's own factorisation gives them; see ``normalize_input``) are filtered by a band-pass filter of
    the normalised Laplacian, ``(I + A)(X - exp(-theta ((L - mu I)^2 / 2 -
    I)) X)`` in ``order`` Chebyshev terms, then re-orthogonalised (``U
    sqrt(S)`` of the result, rows of unit length).  ProNE reports gains for
    DeepWalk, LINE, node2vec and others; any skgraphemb embedder (or one
    following the same contract) can be wrapped.

    It is an embedder itself: graph as ``X`` or as the ``graph`` parameter,
    ids, pandas output, ``memory=`` caching, pipelines and grid searches,
    with the wrapped embedder's parameters reachable as
    ``embedder__<name>`` (``spectralpropagation__embedder__p`` in a
    pipeline).

    Parameters
    ----------
    embedder : estimator
        An unfitted graph embedder (cloned at fit; the clone is fitted on the
        graph given to this estimator and kept as ``embedder_``).  Its own
        ``graph`` parameter must be unset or the same graph.
    order : int, default=10
        Chebyshev terms of the propagation (``>= 2``).
    mu : float, default=0.2
        Centre of the band-pass filter.
    theta : float, default=0.5
        Width parameter of the filter.
    normalize_input : bool, default=True
        Scale the wrapped embedder's rows to unit length before the filter,
        as ProNE's factorisation is.  The filter is linear: without this,
        the nodes with the longest vectors (in an unnormalised SVD, the
        hubs) dominate their neighbours' propagated vectors.  On
        BlogCatalog, ``SpectralPropagation(SVDEmbedder())`` lifts SVD's
        macro-F1 by 0.047 with it and by 0.006 without.
    random_state : int, RandomState instance or None, default=None
        ``None`` leaves the wrapped embedder's own ``random_state`` alone;
        otherwise a seed drawn from it replaces that ``random_state`` at fit
        (the propagation itself draws nothing).  The ``memory`` cache needs
        an integer here.
    graph : graph-like, default=None
        The graph to embed; when set, ``X`` in ``fit``/``transform`` holds
        node ids.
    memory : str, joblib.Memory or None, default=None
        Cache for embeddings (with an integer ``random_state``).
    verbose : int, default=0
        Log timings at INFO level when > 0.
    n_jobs : int, default=None
        Threads of the propagation's sparse products (the wrapped embedder
        keeps its own ``n_jobs``).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_features), float32
        The propagated vectors, rows in ``nodes_`` order.
    embedder_ : estimator
        The fitted clone of ``embedder``.
    singular_values_ : ndarray
        Singular values of the propagated matrix.
    nodes_ : ndarray of shape (n_nodes,)
        Node ids of the fitted graph.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import SpectralPropagation, SVDEmbedder
    >>> model = SpectralPropagation(SVDEmbedder(n_components=8, random_state=0))
    >>> model.fit_transform(nx.karate_club_graph()).shape
    (34, 8)
    >>> sorted(model.get_params())[:3]
    ['embedder', 'embedder__algorithm', 'embedder__graph']
    """

    _parameter_constraints: dict = {
        **BaseGraphEmbedder._parameter_constraints,
        "embedder": [HasMethods(["fit", "get_params"])],
        **constraints("mu", "theta", order=[Interval(Integral, 2, None, closed="left")]),
        "normalize_input": ["boolean"],
    }

    def __init__(
        self,
        embedder,
        order=10,
        mu=0.2,
        theta=0.5,
        normalize_input=True,
        *,
        random_state=None,
        graph=None,
        memory=None,
        verbose=0,
        n_jobs=None,
    ):
        self.embedder = embedder
        self.random_state = random_state
        self.order = order
        self.mu = mu
        self.theta = theta
        self.normalize_input = normalize_input
        self.graph = graph
        self.memory = memory
        self.verbose = verbose
        self.n_jobs = n_jobs

    def _embed(self, graph: Graph, seed: int) -> tuple[np.ndarray, dict]:
        from skgraphemb.spectral._operators import normalize_rows, propagate
        from skgraphemb.utils._threads import kernel_threads

        inner = clone(self.embedder)
        if self.random_state is not None and "random_state" in inner.get_params():
            inner.set_params(random_state=seed)
        own = inner.get_params().get("graph")
        t0 = time.perf_counter()
        if own is not None:
            from skgraphemb.graph import as_graph

            if as_graph(own).fingerprint() != graph.fingerprint():
                raise ValueError(
                    f"{type(self).__name__}: the wrapped {type(inner).__name__} has its own `graph`, which "
                    "differs from the graph given to SpectralPropagation; the propagation needs the embedding "
                    "of the graph it propagates over. Unset the wrapped embedder's `graph` (set it on "
                    "SpectralPropagation instead)."
                )
            inner.fit()
        else:
            inner.fit(graph)
        X = np.array(inner.embedding_, dtype=np.float32, order="C")  # a copy: propagated in place
        nodes = np.asarray(inner.nodes_)
        if X.shape[0] != graph.n_nodes or not np.array_equal(nodes, graph.nodes):
            if len(nodes) != graph.n_nodes:
                raise ValueError(
                    f"{type(self).__name__}: the wrapped {type(inner).__name__} embedded {len(nodes)} nodes, "
                    f"but the graph has {graph.n_nodes}; it must embed every node of the graph."
                )
            X = X[inner._node_index().positions(graph.nodes)]
        if not np.all(np.isfinite(X)):
            raise ValueError(
                f"{type(self).__name__}: the wrapped {type(inner).__name__} returned non-finite vectors; "
                "fix that embedder's settings first."
            )
        if self.normalize_input:
            normalize_rows(X)
        t1 = time.perf_counter()
        with kernel_threads(self.n_jobs, dense_rows=graph.n_nodes):
            X, S = propagate(graph, X, order=int(self.order), mu=float(self.mu), theta=float(self.theta))
        logger.info(
            "SpectralPropagation: %s %.2fs, propagation (order %d) %.2fs",
            type(inner).__name__,
            t1 - t0,
            self.order,
            time.perf_counter() - t1,
        )
        return X, {"embedder_": inner, "singular_values_": S}
