"""``ProNEEmbedder``: sparse matrix factorisation, then spectral propagation (Zhang et al., 2019)."""

from __future__ import annotations

import logging
import time

import numpy as np

from skgraphemb.base import SCALE_DIVERGENCE_HINT, BaseGraphEmbedder
from skgraphemb.graph import Graph
from skgraphemb.utils._validation import constraints

logger = logging.getLogger(__name__)

__all__ = ["ProNEEmbedder"]

#: Exponent of the negative-sampling distribution in ProNE's proximity matrix
#: (word2vec's 0.75).
_NEGATIVE_EXPONENT = 0.75


class _ProNEFactorOperator:
    """ProNE's proximity matrix ``F`` as an operator for the randomized SVD.

    ProNE factorises ``F[i, j] = log(C[i, j]) - log(w[i, j] P[j])`` over the
    stored edges, where ``C = D^-1 A`` is the transition matrix, ``P[j]``
    the negative-sampling distribution (column sums of ``C`` to the power
    0.75, normalised) and ``w[i, j]`` the edge weight.  The weight cancels:
    ``F[i, j] = -log d[i] - log P[j]`` on the pattern ``B`` of ``A``, that is
    ``F = -(diag(log d) B + B diag(log P))``, two products with the binary
    pattern and no matrix of its own.
    """

    order = 1  # read by randomized_svd_blocks (orders <= 3 may overwrite their input)

    def __init__(self, graph: Graph) -> None:
        from skgraphemb.spectral._operators import GraphProducts

        weighted = GraphProducts(graph)
        n = graph.n_nodes
        degree = weighted.degree()
        inv_degree = np.zeros(n, dtype=np.float64)
        np.divide(1.0, degree, out=inv_degree, where=degree > 0)
        # Column sums of C = D^-1 A: A^T (1/d).
        colsum = np.empty((n, 1), dtype=np.float32)
        weighted.product(inv_degree.astype(np.float32)[:, None], colsum, transpose=True)
        self.pattern = weighted.pattern()  # after the transposed product: shares its structure
        neg = np.clip(colsum[:, 0].astype(np.float64), 0.0, None) ** _NEGATIVE_EXPONENT
        total = neg.sum()
        if total > 0:
            neg /= total
        self.neg_log_degree = np.zeros(n)  # -log d (0 where a row is empty: never read)
        np.log(degree, out=self.neg_log_degree, where=degree > 0)
        self.neg_log_degree *= -1.0
        self.neg_log_negative = np.zeros(n)
        np.log(neg, out=self.neg_log_negative, where=neg > 0)
        self.neg_log_negative *= -1.0
        self.shape = (n, n)

    def apply(self, X, T, *, transpose=False, keep_input=True):
        """``F X`` (``F^T X`` with ``transpose``) into ``T``; ``X`` is kept.

        ``F = diag(a) B + B diag(b)`` with ``a = -log d`` and ``b = -log P``,
        so ``F^T = diag(b) B^T + B^T diag(a)``: one pass over ``B`` (or
        ``B^T``) computes both terms (:func:`affine_pattern_product`).
        """
        from skgraphemb.spectral._prone_kernels import affine_pattern_product

        bounds, indptr, indices, _ = self.pattern.side(transpose)
        rows, cols = self.neg_log_degree, self.neg_log_negative
        if transpose:
            rows, cols = cols, rows
        affine_pattern_product(bounds, indptr, indices, rows, cols, X, T)
        return T


class ProNEEmbedder(BaseGraphEmbedder):
    """ProNE node embeddings: a sparse matrix factorisation enhanced by spectral propagation.

    Two steps (Zhang et al., IJCAI 2019):

    1. **Sparse factorisation.**  A randomized truncated SVD of ProNE's
       proximity matrix ``F = log(D^-1 A) - log(negative sampling)``, which
       has the sparsity of the graph (``F[i, j] = -log d_i - log P_j`` on
       the stored edges, ``P`` the degree-based negative-sampling
       distribution of word2vec); the embedding is ``U sqrt(S)`` with rows
       scaled to unit length.  ``F`` is applied as two products with the
       graph's pattern: no matrix is built.
    2. **Spectral propagation.**  The embedding ``X`` is filtered by a
       band-pass filter of the normalised Laplacian ``L = I - D'^-1 (I +
       A)``: ``(I + A)(X - exp(-theta ((L - mu I)^2 / 2 - I)) X)``,
       expanded in ``order`` Chebyshev terms (a sparse product each, two
       per term), then re-orthogonalised by an SVD of the ``n x d`` result
       (``U sqrt(S)``, rows scaled to unit length).  ``order=1`` skips it.

    Everything runs in float32 on the graph's CSR arrays (numba kernels,
    parallel over rows); the propagation runs on column blocks as wide as
    256 MB of temporaries allow (32 columns at least: five ``n x 32``
    float32 blocks).
    Memory beyond the graph: the randomized SVD's two ``n x (n_components +
    n_oversamples)`` float32 blocks, then the ``n x n_components`` embedding
    and five ``n x block`` blocks.

    A directed graph is factorised as it is (``A[i, j]`` the weight of ``i
    -> j``; rows of nodes without out-edges are zero in ``F``) and
    propagated along out-edges.  Weights enter through the degrees ``d``
    and the transition matrix.

    Parameters
    ----------
    n_components : int, default=128
        Size of the embedding vectors; smaller than the number of nodes.
    order : int, default=10
        Chebyshev terms of the spectral propagation (the paper's ``k``);
        ``1`` returns the sparse factorisation alone.
    mu : float, default=0.2
        Centre of the band-pass filter on the Laplacian's spectrum (the
        paper's ``mu``).
    theta : float, default=0.5
        Width parameter of the filter (the paper's ``theta``).
    n_iter : int, default=5
        Power iterations of the randomized SVD.
    n_oversamples : int, default=10
        Extra random vectors of the randomized SVD.
    random_state : int, RandomState instance or None, default=None
        Seeds the randomized SVD's test matrix.  With an int the embedding
        is reproducible (and the same for any ``n_jobs``).
    graph : graph-like, default=None
        The graph to embed; when set, ``X`` in ``fit``/``transform`` holds
        node ids.
    memory : str, joblib.Memory or None, default=None
        Cache for embeddings (with an integer ``random_state``).
    verbose : int, default=0
        Log timings at INFO level when > 0.
    n_jobs : int, default=None
        Threads of the sparse products and the BLAS pool.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components), float32
        Rows in ``nodes_`` order, each of unit length (zero for a node the
        factorisation cannot place, e.g. an isolated one).
    singular_values_ : ndarray of shape (n_components,)
        Singular values of the last SVD step (of ``F``, or of the
        propagated matrix when ``order > 1``).
    nodes_ : ndarray of shape (n_nodes,)
        Node ids of the fitted graph.
    fit_time_ : float
        Seconds spent in ``fit``.

    See Also
    --------
    FastRPEmbedder : Random projections of adjacency powers; faster still.
    SpectralPropagation : The propagation step around any embedder.
    SVDEmbedder : Truncated SVD of ``A + A^2 + ...``.

    References
    ----------
    .. [1] J. Zhang, Y. Dong, Y. Wang, J. Tang and M. Ding, "ProNE: Fast and
       Scalable Network Representation Learning", IJCAI 2019.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import ProNEEmbedder
    >>> emb = ProNEEmbedder(n_components=8, random_state=0)
    >>> Z = emb.fit_transform(nx.karate_club_graph())
    >>> Z.shape, Z.dtype
    ((34, 8), dtype('float32'))
    """

    _divergence_hint = SCALE_DIVERGENCE_HINT
    _parameter_constraints: dict = {
        **BaseGraphEmbedder._parameter_constraints,
        **constraints("n_components", "order", "mu", "theta", "n_iter", "n_oversamples"),
    }

    def __init__(
        self,
        n_components=128,
        order=10,
        mu=0.2,
        theta=0.5,
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
        self.mu = mu
        self.theta = theta
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.random_state = random_state
        self.graph = graph
        self.memory = memory
        self.verbose = verbose
        self.n_jobs = n_jobs

    def _embed(self, graph: Graph, seed: int) -> tuple[np.ndarray, dict]:
        from skgraphemb.spectral._operators import propagate
        from skgraphemb.utils._threads import kernel_threads
        from skgraphemb.utils._validation import check_n_components

        k = check_n_components(type(self).__name__, graph.n_nodes, int(self.n_components))
        t0 = time.perf_counter()
        with kernel_threads(self.n_jobs, dense_rows=graph.n_nodes):
            X, S = _factorise(graph, k, int(self.n_oversamples), int(self.n_iter), seed)
            t1 = time.perf_counter()
            if self.order > 1:
                X, S = propagate(graph, X, order=int(self.order), mu=float(self.mu), theta=float(self.theta))
        t2 = time.perf_counter()
        logger.info(
            "ProNEEmbedder: %d nodes, factorisation %.2fs, propagation (order %d) %.2fs",
            graph.n_nodes,
            t1 - t0,
            self.order,
            t2 - t1,
        )
        return X, {"singular_values_": S}


def _factorise(graph: Graph, k: int, n_oversamples: int, n_iter: int, seed: int):
    """ProNE's sparse factorisation: ``U sqrt(S)`` of ``F``, rows of unit length."""
    from skgraphemb._kernels._linalg import randomized_svd_blocks
    from skgraphemb.spectral._operators import normalize_rows

    op = _ProNEFactorOperator(graph)
    U, S, V = randomized_svd_blocks(op, k, n_oversamples=n_oversamples, n_iter=n_iter, seed=seed)
    del V
    np.multiply(U, np.sqrt(np.clip(S, 0.0, None)).astype(np.float32), out=U)
    return normalize_rows(U), S
