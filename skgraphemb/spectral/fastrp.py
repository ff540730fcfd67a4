"""``FastRPEmbedder``: very sparse random projections of transition-matrix powers (Chen et al., 2019)."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
from numpy.typing import NDArray

from skgraphemb.base import SCALE_DIVERGENCE_HINT, BaseGraphEmbedder
from skgraphemb.graph import Graph
from skgraphemb.utils._validation import Interval, Real, StrOptions, constraints

logger = logging.getLogger(__name__)

__all__ = ["FastRPEmbedder"]


def sparse_projection_columns(n: int, columns: range, density: float, n_components: int, seed: int):
    """The nonzeros of columns ``columns`` of FastRP's very sparse projection ``R``.

    Each column is drawn from its own stream (``default_rng([seed, j])``), so
    a column does not depend on the block it is drawn in: ``R[i, j]`` is
    ``+s`` or ``-s`` with probability ``density / 2`` each and 0 otherwise,
    ``s = 1 / sqrt(density * n_components)`` (Li, Hastie and Church's very
    sparse projection; scikit-learn's ``SparseRandomProjection`` scaling).
    Yields ``(j, rows, values)``.
    """
    scale = 1.0 / math.sqrt(density * n_components)
    for j in columns:
        rng = np.random.default_rng([seed, j])
        count = int(rng.binomial(n, density))
        rows = np.sort(rng.choice(n, size=count, replace=False))
        values = np.where(rng.random(count) < 0.5, -scale, scale)
        yield j, rows, values


def sparse_projection(n: int, n_components: int, density: float, seed: int) -> NDArray[np.float64]:
    """The whole projection ``R`` as a dense ``(n, n_components)`` array (for small graphs and tests)."""
    R = np.zeros((n, n_components))
    for j, rows, values in sparse_projection_columns(n, range(n_components), density, n_components, seed):
        R[rows, j] = values
    return R


class FastRPEmbedder(BaseGraphEmbedder):
    """FastRP node embeddings: a weighted sum of random projections of ``S, S^2, ..., S^q``.

    Fast Random Projection (Chen et al., CIKM 2019) embeds the rows of the
    transition matrix ``S = D^-1 A`` and of its powers with one very sparse
    random projection ``R`` (``n x n_components``, about ``sqrt(n)``
    nonzeros per column):

    ``N_1 = S D^beta R``, ``N_k = S N_{k-1}``, ``E = sum_k w_k N_k``,

    then standardises each column of ``E`` (zero mean, unit variance, like
    :func:`sklearn.preprocessing.scale`).  ``D^beta`` weighs each node's
    random vector by its degree to the power ``beta`` (the paper's
    normalisation strength; negative values damp hubs).  With
    ``normalize_powers=True`` each ``N_k`` has its rows scaled to unit
    length before the sum, as the paper's variant.

    The cost is ``len(weights)`` sparse products of an ``n x
    n_components`` block: seconds where random walks take minutes.  Work
    runs on column blocks (columns are independent) as wide as 256 MB of
    temporaries allow and never narrower than 32 columns, so memory beyond
    the graph is the embedding plus about four ``n x block`` float32
    blocks.  ``normalize_powers`` needs each power's row norms over all
    columns: when one block holds every column the powers are kept
    (``len(weights)`` more blocks), otherwise a first pass takes the norms
    (``8 n len(weights)`` bytes) and a second one sums.

    A directed graph uses its out-edges (``S[i, j]`` the share of ``i ->
    j`` in ``i``'s weighted out-degree; rows of nodes without out-edges
    are zero).

    Parameters
    ----------
    n_components : int, default=128
        Size of the embedding vectors.
    weights : sequence of float, default=(0.0, 0.0, 1.0, 6.67)
        ``w_1 .. w_q``: the weight of each power of ``S``; its length is
        the highest power ``q``.  The default keeps the third and fourth
        powers, as the paper's BlogCatalog configuration.
    beta : float, default=-0.9
        Degree normalisation strength: ``R``'s row of node ``i`` is scaled
        by ``degree_i ** beta``.
    normalize_powers : bool, default=True
        Scale the rows of each ``N_k`` to unit length before weighting, as
        the paper's normalised variant (its reference code's
        ``normalization=True``).  On BlogCatalog this lifts macro-F1 from
        0.218 to 0.246 at the default ``beta`` and ``weights`` (see
        ``benchmarks/README.md``); ``False`` sums the raw powers.
    density : float or "auto", default="auto"
        Share of nonzeros in ``R``; ``"auto"`` is ``1 / sqrt(n_nodes)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the projection.  With an int the embedding is reproducible
        (and the same for any ``n_jobs``).
    graph : graph-like, default=None
        The graph to embed; when set, ``X`` in ``fit``/``transform`` holds
        node ids.
    memory : str, joblib.Memory or None, default=None
        Cache for embeddings (with an integer ``random_state``).
    verbose : int, default=0
        Log timings at INFO level when > 0.
    n_jobs : int, default=None
        Threads of the sparse products.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components), float32
        Rows in ``nodes_`` order; columns standardised.
    nodes_ : ndarray of shape (n_nodes,)
        Node ids of the fitted graph.
    fit_time_ : float
        Seconds spent in ``fit``.

    See Also
    --------
    ProNEEmbedder : Sparse factorisation plus spectral propagation.
    SpectralPropagation : Propagation around any embedder.

    References
    ----------
    .. [1] H. Chen, S. F. Sultan, Y. Tian, M. Chen and S. Skiena, "Fast and
       Accurate Network Embeddings via Very Sparse Random Projection",
       CIKM 2019.
    .. [2] P. Li, T. J. Hastie and K. W. Church, "Very Sparse Random
       Projections", KDD 2006.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import FastRPEmbedder
    >>> Z = FastRPEmbedder(n_components=16, random_state=0).fit_transform(nx.karate_club_graph())
    >>> Z.shape, Z.dtype
    ((34, 16), dtype('float32'))
    """

    _divergence_hint = SCALE_DIVERGENCE_HINT
    _parameter_constraints: dict = {
        **BaseGraphEmbedder._parameter_constraints,
        **constraints("n_components"),
        "weights": ["array-like"],
        "beta": [Interval(Real, None, None, closed="neither")],
        "normalize_powers": ["boolean"],
        "density": [Interval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        n_components=128,
        weights=(0.0, 0.0, 1.0, 6.67),
        beta=-0.9,
        normalize_powers=True,
        density="auto",
        *,
        random_state=None,
        graph=None,
        memory=None,
        verbose=0,
        n_jobs=None,
    ):
        self.n_components = n_components
        self.weights = weights
        self.beta = beta
        self.normalize_powers = normalize_powers
        self.density = density
        self.random_state = random_state
        self.graph = graph
        self.memory = memory
        self.verbose = verbose
        self.n_jobs = n_jobs

    def _power_weights(self) -> NDArray[np.float64]:
        w = np.asarray(self.weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)):
            raise ValueError(
                f"weights must be a non-empty 1-d sequence of finite floats (one per power of the "
                f"transition matrix); got {self.weights!r}"
            )
        if not np.any(w):
            raise ValueError("weights are all zero: the embedding would be zero; give some power a weight")
        return w

    def _embed(self, graph: Graph, seed: int) -> tuple[np.ndarray, dict]:
        from skgraphemb.spectral._operators import GraphProducts
        from skgraphemb.utils._threads import kernel_threads

        weights = self._power_weights()
        n, d = graph.n_nodes, int(self.n_components)
        density = 1.0 / math.sqrt(n) if self.density == "auto" else float(self.density)
        density = min(1.0, max(density, 1.0 / n))
        t0 = time.perf_counter()
        products = GraphProducts(graph)
        degree = products.degree()
        positive = degree > 0
        inv_degree = np.zeros(n)
        np.divide(1.0, degree, out=inv_degree, where=positive)
        node_scale = np.zeros(n)
        node_scale[positive] = degree[positive] ** float(self.beta)
        with kernel_threads(self.n_jobs, dense_rows=n):
            E = fastrp_projection(
                products,
                inv_degree,
                node_scale,
                weights,
                d,
                density,
                seed,
                normalize_powers=bool(self.normalize_powers),
            )
        logger.info("FastRPEmbedder: %d nodes, %d powers, %.2fs", n, len(weights), time.perf_counter() - t0)
        return E, {}


def fastrp_projection(
    products,
    inv_degree: NDArray[np.float64],
    node_scale: NDArray[np.float64],
    weights: NDArray[np.float64],
    n_components: int,
    density: float,
    seed: int,
    *,
    normalize_powers: bool = False,
    block: int | None = None,
) -> NDArray[np.float32]:
    """``scale(sum_k w_k N_k)`` with ``N_1 = S diag(node_scale) R``, ``N_k = S N_{k-1}``.

    ``S = diag(inv_degree) A``.  Runs on column blocks of ``block`` columns
    (default: :func:`~skgraphemb.spectral._operators.column_block`, 16 or
    more).  With ``normalize_powers`` each power's rows are scaled by their
    norms over all columns: when one block holds every column the powers
    are kept for that (one pass), otherwise a first pass takes the norms
    and a second one sums.
    """
    from skgraphemb.spectral._operators import column_block

    n = len(inv_degree)
    q = len(weights)
    keep = False
    if block is None:
        block = column_block(n, n_components, 4)
        if normalize_powers and column_block(n, n_components, 4 + q) >= n_components:
            block, keep = n_components, True  # one block: keep the q powers, no second pass
    blocks = _PowerBlocks(products, inv_degree, node_scale, q, n_components, density, seed, block)
    E = np.empty((n, n_components), dtype=np.float32)
    norms = None
    if normalize_powers and not keep:
        sq = np.zeros((q, n))
        for _c0, _w, powers in blocks:
            for k, N in enumerate(powers):
                sq[k] += np.einsum("ij,ij->i", N, N, dtype=np.float64)
        norms = _safe_sqrt(sq)
    for c0, w, powers in blocks:
        if keep:
            powers = [N.copy() for N in powers]
            norms = _safe_sqrt(np.stack([np.einsum("ij,ij->i", N, N, dtype=np.float64) for N in powers]))
        # Sum and standardise in place in E's columns (float32 buffers reused: no
        # n x block temporary is allocated per power, which cost page faults).
        target = E[:, c0 : c0 + w]
        target[...] = 0.0
        tmp = blocks.scratch(w)
        for k, N in enumerate(powers):
            if weights[k] == 0:
                continue
            coef = weights[k] if norms is None else (weights[k] / norms[k]).astype(np.float32)[:, None]
            np.multiply(N, coef, out=tmp)
            target += tmp
        _standardize_columns(target)
    return E


def _standardize_columns(X: NDArray[np.float32]) -> None:
    """Zero mean, unit variance per column, in place (float64 statistics);
    constant columns become 0, like :func:`sklearn.preprocessing.scale`."""
    n = X.shape[0]
    mean = X.mean(axis=0, dtype=np.float64)
    X -= mean.astype(np.float32)
    std = np.sqrt(np.einsum("ij,ij->j", X, X, dtype=np.float64) / max(n, 1))
    std[std == 0] = 1.0
    X /= std.astype(np.float32)


def _safe_sqrt(squares: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row norms from their squares; zero rows get norm 1 (they stay zero)."""
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    return norms


class _PowerBlocks:
    """Iterate over column blocks: ``(c0, width, [N_1, ..., N_q])`` (the list is filled lazily).

    Three ``n x block`` float32 buffers (the projection, the current and the
    next power, plus a scratch block for the caller) are allocated once and
    reused by every block and every pass.
    """

    def __init__(self, products, inv_degree, node_scale, q, n_components, density, seed, block):
        self.args = (products, inv_degree, node_scale, q, n_components, density, seed)
        self.block = block
        self._bufs: list = []

    def _buffers(self, w: int) -> list:
        from skgraphemb.spectral._operators import block_buffers

        self._bufs = block_buffers(self._bufs, len(self.args[1]), w, 3)
        return self._bufs

    def scratch(self, w: int) -> NDArray[np.float32]:
        return self._buffers(w)[2]

    def __iter__(self):
        products, inv_degree, node_scale, q, n_components, density, seed = self.args
        n = len(inv_degree)
        for c0 in range(0, n_components, self.block):
            w = min(self.block, n_components - c0)
            src, cur, _ = self._buffers(w)
            src[...] = 0.0
            cols = range(c0, c0 + w)
            for j, rows, values in sparse_projection_columns(n, cols, density, n_components, seed):
                src[rows, j - c0] = values * node_scale[rows]
            products.product(src, cur, row_scale=inv_degree)  # N_1 = S D^beta R
            yield c0, w, _powers(products, inv_degree, cur, src, q)


def _powers(products, inv_degree, first, spare, q):
    cur, nxt = first, spare
    for k in range(q):
        if k:
            products.product(cur, nxt, row_scale=inv_degree)  # N_{k+1} = S N_k
            cur, nxt = nxt, cur
        yield cur
