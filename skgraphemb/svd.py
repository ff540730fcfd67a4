"""``SVDEmbedder``: truncated SVD of ``A + A^2 + ... + A^order``, never forming ``A^k``."""

from __future__ import annotations

import logging
import time

import numpy as np
from tqdm.auto import tqdm

from skgraphemb.base import BaseGraphEmbedder
from skgraphemb.graph import Graph
from skgraphemb.utils._validation import StrOptions, constraints

logger = logging.getLogger(__name__)

__all__ = ["SVDEmbedder"]


class SVDEmbedder(BaseGraphEmbedder):
    """Spectral node embeddings: truncated SVD of a k-step proximity matrix.

    Factorises ``M = A + A^2 + ... + A^order``, where ``A`` is the (weighted)
    adjacency matrix, optionally normalised, and embeds node ``i`` as row
    ``i`` of ``U * sqrt(S)`` for the ``n_components`` leading singular
    triplets ``M ~ U S V^T``.  ``order=1`` is a plain adjacency SVD;
    ``order=2`` also sees shared neighbours (second-order proximity, as in
    GraRep and HOPE-style methods).

    ``A^k`` is never formed: products with ``M`` apply the powers by
    repeated sparse products (Horner's scheme, ``Mx = A(x + A(x + ...))``),
    so each costs ``order`` sparse products.  The default randomized
    algorithm runs in float32 on the graph's own CSR arrays (numba kernels,
    parallel over rows; normalisations are row and column scalings, never a
    scaled copy) and holds two ``n_nodes x p`` float32 blocks, ``p =
    n_components + n_oversamples``, plus a narrow panel: about ``8 n p``
    bytes beyond the graph (12.3 GB for 10M nodes and ``p = 138``).  The
    estimate (:func:`~skgraphemb._kernels._linalg.svd_memory_bytes`) is logged
    at INFO before the work starts.  ``algorithm="arpack"`` stays in
    float64 on a scipy copy of the graph: accurate, for small graphs.

    For a directed graph ``M`` is factorised as it is (non-symmetric, with
    ``A[i, j]`` the weight of edge ``i -> j``): ``embedding_ = U sqrt(S)``
    are the *source* embeddings (how a node reaches others) and
    ``components_ = V sqrt(S)`` the *target* embeddings (how it is reached),
    so that ``embedding_ @ components_.T`` approximates ``M``.

    Parameters
    ----------
    n_components : int, default=128
        Size of the embedding vectors; must be smaller than the number of
        nodes.
    order : int, default=2
        Highest power of ``A`` in ``M`` (``order >= 1``).
    normalization : {None, "transition", "symmetric"}, default=None
        ``None`` uses the raw (weighted) adjacency; ``"transition"`` the
        row-stochastic random-walk matrix ``D^-1 A``; ``"symmetric"``
        ``D^-1/2 A D^-1/2``.  ``D`` holds weighted out-degrees (row sums);
        rows (and, for ``"symmetric"``, columns) of zero-degree nodes stay
        zero.
    scaling : {"sqrt", "singular_values", "none"}, default="sqrt"
        How the singular values weigh the embedding: ``"sqrt"`` returns
        ``U * sqrt(S)`` (source and target embeddings share the scale, and
        their dot products approximate ``M``); ``"singular_values"``
        returns ``U * S``, exactly what
        ``TruncatedSVD(n_components).fit_transform(M)`` returns for the
        explicit matrix (same algorithm, same ``n_iter``); ``"none"``
        returns the orthonormal ``U``.  ``components_`` takes the rest of
        the scale, so that ``embedding_ @ components_.T`` approximates
        ``M`` in every case (with ``"singular_values"``, ``components_`` is
        ``V``: ``TruncatedSVD``'s ``components_.T``).
    algorithm : {"randomized", "arpack"}, default="randomized"
        ``"randomized"``: the Halko-Martinsson-Tropp randomized SVD in
        float32 (fast, approximate, improved by ``n_iter``; singular values
        to float32 precision once converged; scales to ~10M nodes in 16 GB);
        ``"arpack"``: :func:`scipy.sparse.linalg.svds` in float64 (Lanczos,
        accurate, for small graphs: it copies the graph to a float64 scipy
        matrix and keeps float64 ``n_nodes``-long Lanczos vectors).
    n_iter : int, default=5
        Power iterations of the randomized algorithm.
    n_oversamples : int, default=10
        Extra random vectors of the randomized algorithm.
    random_state : int, RandomState instance or None, default=None
        Seeds the random test matrix (``"randomized"``) or the start vector
        (``"arpack"``).  With an int, the embedding is reproducible: column
        signs are fixed deterministically (:func:`sklearn.utils.extmath.svd_flip`).
    graph : graph-like, default=None
        The graph to embed.  When set, ``X`` in ``fit``/``transform`` holds
        node ids (for a ``Pipeline`` split by node in a grid search); when
        ``None``, ``X`` of ``fit`` is the graph.
    memory : str, joblib.Memory or None, default=None
        Cache for embeddings: with an integer ``random_state``, the embedding
        of a (graph, parameters) pair is computed once and reused.
    verbose : int, default=0
        When > 0, show a progress bar of the randomized SVD's power
        iterations (on stderr, as node2vec's walks and training do) and
        log timings at INFO level.
    n_jobs : int, default=None
        Threads of the sparse products (numba) and of the BLAS pool for the
        dense steps, for the duration of the fit; the result is the same
        for any ``n_jobs``.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all cores.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components), float32
        ``U * sqrt(S)`` (by default; see ``scaling``), rows in ``nodes_``
        order (source embeddings for a directed graph).
    components_ : ndarray of shape (n_nodes, n_components), float32
        ``V * sqrt(S)`` (by default; ``V`` or ``V * S`` with the other
        ``scaling`` values): target embeddings (equal to ``embedding_`` up
        to column signs when ``M`` is symmetric positive semi-definite and
        ``scaling="sqrt"``).
    singular_values_ : ndarray of shape (n_components,)
        Leading singular values of ``M``, descending.
    nodes_ : ndarray of shape (n_nodes,)
        Node ids of the fitted graph.
    n_features_in_ : int
        1 when fitted on a column of node ids (``graph`` set).
    fit_time_ : float
        Seconds spent in ``fit``.

    See Also
    --------
    Node2VecEmbedder : Random-walk embeddings.
    sklearn.decomposition.TruncatedSVD : The same factorisation of an explicit matrix.

    References
    ----------
    .. [1] N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with
       randomness", SIAM Review 53(2), 2011.
    .. [2] S. Cao, W. Lu and Q. Xu, "GraRep: Learning Graph Representations
       with Global Structural Information", CIKM 2015.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import SVDEmbedder
    >>> G = nx.karate_club_graph()
    >>> emb = SVDEmbedder(n_components=8, order=2, random_state=0)
    >>> Z = emb.fit_transform(G)
    >>> Z.shape, Z.dtype
    ((34, 8), dtype('float32'))
    >>> emb.singular_values_.shape
    (8,)
    """

    _parameter_constraints: dict = {
        **BaseGraphEmbedder._parameter_constraints,
        **constraints("n_components", "order", "n_iter", "n_oversamples"),
        "normalization": [None, StrOptions({"transition", "symmetric"})],
        "scaling": [StrOptions({"sqrt", "singular_values", "none"})],
        "algorithm": [StrOptions({"randomized", "arpack"})],
    }

    #: Exponent of ``S`` in ``embedding_`` for each ``scaling`` (``components_`` gets ``1 - e``).
    _SCALING_EXPONENT = {"sqrt": 0.5, "singular_values": 1.0, "none": 0.0}

    def __init__(
        self,
        n_components=128,
        order=2,
        normalization=None,
        scaling="sqrt",
        algorithm="randomized",
        n_iter=5,
        n_oversamples=10,
        *,
        random_state=None,
        graph=None,
        memory=None,
        verbose=0,
        n_jobs=None,
    ):
        self.n_components = n_components
        self.order = order
        self.normalization = normalization
        self.scaling = scaling
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.random_state = random_state
        self.graph = graph
        self.memory = memory
        self.verbose = verbose
        self.n_jobs = n_jobs

    _divergence_hint = (
        "Divide the edge weights by a constant (e.g. their maximum), lower `order`, or use "
        "normalization='transition' or 'symmetric'."
    )

    def _embed(self, graph: Graph, seed: int) -> tuple[np.ndarray, dict]:
        from skgraphemb.utils._validation import check_n_components

        n = graph.n_nodes
        k = check_n_components(type(self).__name__, n, int(self.n_components))
        weights, scale = self._scaled_weights(graph)
        t0 = time.perf_counter()
        try:
            if self.algorithm == "arpack":
                U, S, V = self._arpack(graph, k, seed, weights)
            else:
                U, S, V = self._randomized(graph, k, seed, weights)
        except FloatingPointError as e:
            if self.algorithm == "arpack":
                raise self._too_large(graph, "the float64 ARPACK products would overflow") from e
            raise self._too_large(
                graph,
                "the float32 randomized SVD overflowed",
                " For a small graph, algorithm='arpack' computes in float64.",
            ) from e
        # U and V are float32 and C-contiguous, U * S^e is taken in place:
        # base.fit's np.ascontiguousarray(embedding, dtype=np.float32) is then a no-op.
        S = np.clip(np.asarray(S, dtype=np.float64) * scale, 0.0, None)
        if not np.isfinite(S).all():
            raise self._too_large(graph, "the singular values overflow float64")
        e = self._SCALING_EXPONENT[self.scaling]
        left, right = S**e, S ** (1.0 - e)
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(U, left.astype(U.dtype), out=U)
            np.multiply(V, right.astype(V.dtype), out=V)
        if not (np.isfinite(U).all() and np.isfinite(V).all()):
            raise self._too_large(
                graph,
                f"the embedding (singular values up to {S.max():.3g}, scaling={self.scaling!r}) overflows float32",
            )
        elapsed = time.perf_counter() - t0
        if self.verbose:
            logger.info("SVD (%s, order=%d) of %d nodes: %.2fs", self.algorithm, self.order, n, elapsed)
        return U, {"components_": V, "singular_values_": S}

    def _scaled_weights(self, graph: Graph):
        """(weights to factorise, factor of their singular values).

        Weights far from 1 (beyond 1e±10) are divided by their largest
        magnitude when that changes nothing but the range: the normalized
        matrices do not depend on the scale of ``A`` (and their degree sums
        would overflow or underflow), and with ``order=1`` and no
        normalization ``M = A`` scales with the weights, so its singular
        values are scaled back in float64 (the singular vectors do not
        change).  For ``order > 1`` without normalization scaling ``A``
        would change the relative weight of its powers: weights are used as
        they are, and a result out of range is refused.
        """
        w = graph.weights
        if w is None or w.size == 0 or (self.normalization is None and int(self.order) != 1):
            return w, 1.0
        top = float(np.max(np.abs(w)))
        if not 0.0 < top < np.inf or 1e-10 <= top <= 1e10:
            return w, 1.0
        scaled = (w / top).astype(w.dtype, copy=False)
        return scaled, (1.0 if self.normalization is not None else top)

    def _too_large(self, graph: Graph, detail: str, extra: str = "") -> FloatingPointError:
        w = graph.weights
        top = f"{float(np.max(np.abs(w))):.3g}" if w is not None and w.size else "1"
        return FloatingPointError(
            f"SVDEmbedder: {detail}: with edge weights up to {top} and order={int(self.order)} "
            "the proximity matrix is too large for float32 embeddings. " + self._divergence_hint + extra
        )

    def _randomized(self, graph: Graph, k: int, seed: int, weights=None):
        """float32 randomized SVD on the graph's own CSR arrays (see ``_kernels._linalg``)."""
        from skgraphemb._kernels._linalg import PowerSumOperator, randomized_svd_blocks, svd_memory_bytes
        from skgraphemb.utils._threads import kernel_threads

        need = svd_memory_bytes(
            graph.n_nodes,
            graph.nnz,
            k,
            int(self.n_oversamples),
            int(self.order),
            directed=graph.directed,
            weighted=graph.weighted,
            normalization=self.normalization,
        )
        logger.info(
            "SVDEmbedder: randomized float32 SVD of %d nodes, %d stored entries (order=%d, "
            "%d vectors): about %.2f GB beyond the graph's %.2f GB",
            graph.n_nodes,
            graph.nnz,
            self.order,
            min(k + int(self.n_oversamples), graph.n_nodes),
            need / 1e9,
            graph.memory_bytes() / 1e9,
        )
        with kernel_threads(self.n_jobs, dense_rows=graph.n_nodes):
            op = PowerSumOperator(
                graph.indptr,
                graph.indices,
                weights,
                order=int(self.order),
                normalization=self.normalization,
                symmetric=not graph.directed,
            )
            n_iter = int(self.n_iter)
            with tqdm(total=n_iter, desc="SVDEmbedder power iterations", unit="iter", disable=not self.verbose) as bar:
                return randomized_svd_blocks(
                    op,
                    k,
                    n_oversamples=int(self.n_oversamples),
                    n_iter=n_iter,
                    seed=seed,
                    on_iteration=lambda: bar.update(1),
                )

    def _arpack(self, graph: Graph, k: int, seed: int, weights=None):
        """float64 ARPACK on a scipy copy of the graph: accurate, for small graphs."""
        from scipy.sparse.linalg import svds
        from sklearn.utils.extmath import svd_flip

        from skgraphemb._kernels._linalg import normalize_adjacency, power_sum_operator
        from skgraphemb.utils._threads import blas_threads

        A = graph.to_scipy()
        if weights is not None:
            A.data = np.asarray(weights, dtype=np.float64)
        A = normalize_adjacency(A, self.normalization)
        if A.nnz and self.normalization is None and int(self.order) > 1:
            # ||M|| <= sum of R^j, R the largest absolute row sum: refuse a
            # matrix whose Lanczos products (squares of ||M||) overflow float64.
            R = float(np.max(abs(A).sum(axis=1)))
            if R > 0 and int(self.order) * np.log10(R) > 150:
                raise FloatingPointError("the float64 ARPACK products would overflow")
        op = power_sum_operator(A, int(self.order))
        # BLAS only (scipy products, no numba kernel): not kernel_threads,
        # whose launch lock would serialise concurrent fits for nothing.
        with blas_threads(self.n_jobs):
            U, S, Vt = svds(op, k=k, solver="arpack", random_state=np.random.RandomState(seed))
        idx = np.argsort(S)[::-1]
        U, Vt = svd_flip(U[:, idx], Vt[idx], u_based_decision=True)
        return (np.ascontiguousarray(U, dtype=np.float32), S[idx], np.ascontiguousarray(Vt.T, dtype=np.float32))
