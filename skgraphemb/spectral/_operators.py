"""Sparse products and dense steps shared by the spectral embedders.

Everything here works on float32 ``(n, width)`` blocks and the graph's own
CSR arrays, through the parallel, GIL-free :func:`~skgraphemb._kernels._linalg.spmm`
kernel (``out = diag(l) A diag(r) src + add``): no scaled copy of the
adjacency matrix and no dense ``n x n`` matrix exists anywhere.  Column
blocks keep the temporaries at ``n x block`` floats each, whatever the
embedding's width.

- :class:`GraphProducts`: products with ``A`` (and ``A^T``) with row and
  column scalings, and the graph's weighted degrees.
- :func:`chebyshev_propagate`: ProNE's spectral propagation, in place.
- :func:`svd_embedding`: ``U sqrt(S)`` of a tall ``(n, d)`` matrix, in place,
  from its ``d x d`` Gram matrix.
- :func:`normalize_rows`: L2 row normalisation, in place.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from skgraphemb._kernels._linalg import _row_sums, _task_bounds, one_blas_thread, spmm, transpose_csr
from skgraphemb._kernels._memory import aligned_empty

__all__ = [
    "GraphProducts",
    "block_buffers",
    "chebyshev_propagate",
    "column_block",
    "normalize_rows",
    "propagate",
    "svd_embedding",
]

#: Narrowest column block of the column-blocked steps: each temporary is
#: then ``n x 32`` float32 (1.28 GB at 10M nodes).  A product's cost is in
#: the neighbours' rows it fetches (cache lines at random addresses), not in
#: their width: on a 2M-node graph one 32-column block of the propagation
#: took 1.2-1.3x the time of a 16-column one, so 32 columns cost 40% less
#: per column, while five temporaries stay within the 128-column embedding's
#: size (+25%).
MIN_BLOCK = 32
#: Column blocks are widened (in steps of ``MIN_BLOCK``) while all their
#: temporaries together stay within this many bytes: wide blocks read each
#: neighbour's row in longer runs, narrow ones bound the memory of big graphs.
BLOCK_BUDGET_BYTES = 256 << 20
#: Row chunk of the dense steps, in float64 entries.
_ROW_CHUNK_ENTRIES = 1 << 20
_MAX_TASKS = 4096


def column_block(n_rows: int, n_columns: int, n_buffers: int) -> int:
    """Columns per block for ``n_buffers`` float32 temporaries of ``n_rows`` rows.

    The widest multiple of :data:`MIN_BLOCK` (at most ``n_columns``) whose
    temporaries fit in :data:`BLOCK_BUDGET_BYTES`; never narrower than
    ``MIN_BLOCK`` (or ``n_columns`` when smaller).
    """
    per_column = 4 * max(1, n_rows) * max(1, n_buffers)
    width = (BLOCK_BUDGET_BYTES // per_column) // MIN_BLOCK * MIN_BLOCK
    return max(1, min(n_columns, max(MIN_BLOCK, width)))


def block_buffers(buffers: list, n_rows: int, width: int, count: int) -> list:
    """``count`` C-contiguous float32 ``(n_rows, width)`` blocks, reusing ``buffers`` when they have that width.

    The column-blocked loops allocate their temporaries once and again only
    for the narrower last block (the kernels need C-contiguous blocks).  The
    blocks start on a cache line (:func:`aligned_empty`): a row of 16, 32 or
    64 columns then spans 1, 2 or 4 lines instead of one more.
    """
    if len(buffers) != count or buffers[0].shape != (n_rows, width):
        buffers = [aligned_empty((n_rows, width), np.float32) for _ in range(count)]
    return buffers


class GraphProducts:
    """``diag(l) A diag(r) X (+ Y)`` for the graph's (weighted) adjacency ``A``.

    ``A[i, j]`` is the weight of the stored edge ``i -> j`` (1 when the
    graph is unweighted, or in :meth:`pattern`: the binary pattern).  The
    transposed products of a directed graph use a transposed CSR built on
    first use; an undirected graph's CSR is symmetric and serves both ways.
    """

    def __init__(self, graph) -> None:
        self.n = graph.n_nodes
        self.indptr = np.asarray(graph.indptr)
        self.indices = np.asarray(graph.indices)
        self.data = None if graph.weights is None else np.asarray(graph.weights)
        self.directed = bool(graph.directed)
        self.bounds = _task_bounds(self.indptr, max(1, min(self.n, _MAX_TASKS)))
        self._transposed = None

    def pattern(self) -> GraphProducts:
        """The same products with every stored entry 1 (the binary pattern),
        sharing the row bounds and the transposed structure, if built."""
        other = copy.copy(self)
        other.data = None
        if self._transposed is not None:
            other._transposed = (*self._transposed[:3], None)
        return other

    def degree(self) -> NDArray[np.float64]:
        """Weighted out-degrees (row sums of ``A``), float64."""
        if self.data is None:
            return np.diff(self.indptr).astype(np.float64)
        return _row_sums(self.indptr, self.data)

    def side(self, transpose: bool = False):
        """``(bounds, indptr, indices, data)`` of ``A`` (of ``A^T`` with ``transpose``)."""
        if not transpose or not self.directed:
            return self.bounds, self.indptr, self.indices, self.data
        if self._transposed is None:
            t_indptr, t_indices, t_data = transpose_csr(self.indptr, self.indices, self.data)
            bounds = _task_bounds(t_indptr, max(1, min(self.n, _MAX_TASKS)))
            self._transposed = (bounds, t_indptr, t_indices, t_data)
        return self._transposed

    def product(
        self, src, out, *, row_scale=None, col_scale=None, add=None, transpose=False, s0=0, a0=0, o0=0, width=None
    ) -> None:
        """``out[:, o0:o0+w] = diag(l) A diag(r) src[:, s0:s0+w] (+ add[:, a0:a0+w])``.

        ``A^T`` instead of ``A`` with ``transpose=True``.  ``add`` may be
        ``out`` itself (same window); ``src`` must not overlap ``out``.
        """
        bounds, indptr, indices, data = self.side(transpose)
        width = src.shape[1] if width is None else width
        spmm(bounds, indptr, indices, data, row_scale, col_scale, src, s0, add, a0, out, o0, width)


def _as_scale(values: NDArray) -> NDArray[np.float64]:
    return np.ascontiguousarray(values, dtype=np.float64)


def chebyshev_propagate(
    products: GraphProducts,
    X: NDArray[np.float32],
    *,
    order: int,
    mu: float,
    theta: float,
    block: int | None = None,
) -> NDArray[np.float32]:
    """ProNE's spectral propagation of ``X``, in place; returns ``X``.

    With ``Â = D'^-1 (I + A)`` (``D'`` the row sums of ``I + A``), ``L = I -
    Â`` and ``M = L - mu I``, the propagated embedding is ``(I + A)(X -
    C X)`` where ``C`` approximates the band-pass filter ``exp(-theta (M^2 /
    2 - I))`` by its Chebyshev expansion of ``order`` terms (coefficients
    the modified Bessel functions ``I_k(theta)``), the recurrence of Zhang
    et al.'s ProNE code.  Columns are independent: the work runs on column
    blocks of ``block`` columns (default: :func:`column_block`,
    :data:`MIN_BLOCK` or more), with five ``n x block`` float32 temporaries
    (three rotating Chebyshev terms, the ``M T_k`` step, the sum).
    """
    from scipy.special import iv

    from skgraphemb.spectral._prone_kernels import laplacian_step

    if order < 2:
        raise ValueError(f"the Chebyshev expansion needs order >= 2; got {order}")
    n, d = X.shape
    if block is None:
        block = column_block(n, d, 5)

    inv = 1.0 / (1.0 + products.degree())  # D'^-1, D' = 1 + degree
    neg_inv = _as_scale(-inv)
    keep = (1.0 - mu - inv).astype(np.float32)  # (1 - mu) I - D'^-1 I
    coef = [float(iv(k, theta)) for k in range(max(order, 2))]
    bounds, indptr, indices, data = products.side()
    bufs: list = []

    def step(src, out, scale=1.0, sub1=None, b1=0.0, sub2=None, b2=0.0, acc=None, c=0.0):
        # out = scale M src - b1 sub1 - b2 sub2; acc += c out (unused blocks: any stand-in)
        laplacian_step(
            bounds, indptr, indices, data, keep, neg_inv, src, scale,
            src if sub1 is None else sub1, b1, src if sub2 is None else sub2, b2,
            out, out if acc is None else acc, c,
        )  # fmt: skip

    for c0 in range(0, d, block):
        w = min(block, d - c0)
        bufs = block_buffers(bufs, n, w, 5)
        prev, cur, nxt, tmp, conv = bufs
        prev[...] = X[:, c0 : c0 + w]  # T_0 (the kernels read C-contiguous blocks)
        # T_0 = X, T_1 = M^2 X / 2 - X, T_{k+1} = (M^2 - 2) T_k - T_{k-1};
        # conv = I_0 T_0 - 2 I_1 T_1 + 2 I_2 T_2 - ... (the Bessel coefficients)
        np.multiply(prev, coef[0], out=conv)
        step(prev, tmp)
        step(tmp, cur, 0.5, prev, 1.0, acc=conv, c=-2.0 * coef[1])
        for k in range(2, order):
            step(cur, tmp)
            step(tmp, nxt, 1.0, cur, 2.0, prev, 1.0, acc=conv, c=2.0 * coef[k] if k % 2 == 0 else -2.0 * coef[k])
            prev, cur, nxt = cur, nxt, prev  # T_{k-1} is no longer needed: its buffer takes T_{k+2}
        np.subtract(X[:, c0 : c0 + w], conv, out=tmp)  # X - C X (X's block is still the input)
        products.product(tmp, nxt, add=tmp)  # (I + A)(X - C X)
        X[:, c0 : c0 + w] = nxt
    return X


def _row_chunks(n_rows: int, n_cols: int):
    step = max(1, _ROW_CHUNK_ENTRIES // max(1, n_cols))
    for i0 in range(0, n_rows, step):
        yield i0, min(n_rows, i0 + step)


def normalize_rows(X: NDArray[np.float32]) -> NDArray[np.float32]:
    """Scale each row of ``X`` to unit L2 norm, in place (zero rows stay zero)."""
    for i0, i1 in _row_chunks(*X.shape):
        rows = X[i0:i1]
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows, dtype=np.float64))
        norms[norms == 0] = 1.0
        rows /= norms[:, None].astype(np.float32)
    return X


def svd_embedding(X: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """``U sqrt(S)`` of the thin SVD ``X = U S V^T``, written over ``X``; returns ``(X, S)``.

    From the Gram matrix ``X^T X = V S^2 V^T`` (float64, ``d x d``):
    ``U sqrt(S) = X V S^-1/2``, applied to row chunks in place, so no second
    ``n x d`` array exists.  Directions with ``S`` below ``1e-6 S_max``
    (numerically absent) get zero columns.  Signs follow
    :func:`sklearn.utils.extmath.svd_flip` with ``u_based_decision=False``
    (the largest entry of each ``V`` column is positive), so the result is
    deterministic.
    """
    n, d = X.shape
    G = np.zeros((d, d), dtype=np.float64)
    for i0, i1 in _row_chunks(n, d):
        rows = X[i0:i1].astype(np.float64)
        G += rows.T @ rows
    with one_blas_thread():
        evals, V = scipy.linalg.eigh(G, check_finite=False)
    evals, V = evals[::-1], V[:, ::-1]
    S = np.sqrt(np.clip(evals, 0.0, None))
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(d)])
    signs[signs == 0] = 1.0
    V *= signs
    scale = np.zeros(d)
    alive = S > 1e-6 * max(S[0], np.finfo(np.float64).tiny)
    scale[alive] = S[alive] ** -0.5
    W = V * scale
    for i0, i1 in _row_chunks(n, d):
        X[i0:i1] = X[i0:i1].astype(np.float64) @ W
    return X, S


def propagate(graph, X: NDArray[np.float32], *, order: int, mu: float, theta: float):
    """ProNE's enhancement of an embedding ``X`` (overwritten): propagation,
    then ``U sqrt(S)`` with rows of unit length.  Returns ``(X, S)``."""
    chebyshev_propagate(GraphProducts(graph), X, order=order, mu=mu, theta=theta)
    X, S = svd_embedding(X)
    return normalize_rows(X), S
