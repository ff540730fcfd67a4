"""Kernels for ``SVDEmbedder``: a float32 randomized SVD of ``A + A^2 + ... + A^order``.

``M = Â + Â^2 + ... + Â^order`` is never formed, and neither is ``Â``:

- :func:`spmm` multiplies the graph's own CSR arrays (``indptr`` int64,
  ``indices`` int32, optional weights; ``None`` means all ones) by a
  C-ordered float32 block, writing into a preallocated output, in parallel
  over rows.  The normalisations ``D^-1 A`` and ``D^-1/2 A D^-1/2`` are row
  and column scalings applied inside the product (``Â = diag(l) A diag(r)``),
  so no scaled copy of ``A`` exists.
- :class:`PowerSumOperator` applies ``M`` or ``M^T`` with Horner's scheme in
  place on two ping-pong blocks (column panels where an input must survive).
  A directed graph's ``A^T`` is built once as its own CSR (int32 indices,
  float32 weights, counting sort); an undirected graph is symmetric, so
  ``A`` serves for both.
- :func:`orthonormalize` is CholeskyQR2 with the Gram matrix accumulated in
  float64 over row chunks and ``Q = Y R^-1`` written back in place; a failed
  or ill-conditioned Cholesky factorisation (rank deficiency) falls back to
  a deflating eigen-step that replaces the lost directions by random ones.
- :func:`randomized_svd_blocks` is the Halko-Martinsson-Tropp randomized SVD
  on two ``(n, p)`` float32 blocks; the singular vectors it returns are the
  first ``k`` columns of those blocks, compacted in place.
- :func:`svd_memory_bytes` says how much all of that allocates.

The float64 :class:`scipy.sparse.linalg.LinearOperator` of
:func:`power_sum_operator` stays for ``algorithm="arpack"``.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.linalg import blas, lapack
from scipy.sparse.linalg import LinearOperator

from skgraphemb._kernels._memory import PREFETCH_DISTANCE, prefetch_row

__all__ = [
    "PANEL_WIDTH",
    "PowerSumOperator",
    "normalize_adjacency",
    "orthonormalize",
    "power_sum_operator",
    "randomized_svd_blocks",
    "spmm",
    "svd_memory_bytes",
    "transpose_csr",
]

#: Columns per panel where Horner's scheme must keep its input (see
#: :meth:`PowerSumOperator.apply`): the panel is ``n_nodes x PANEL_WIDTH``
#: float32, a quarter of a 128-column block.
PANEL_WIDTH = 32
#: Neighbours summed in float32 before the partial sum joins the row's
#: float64 accumulator (:func:`spmm`).
_NEIGHBOUR_BLOCK = 32
#: Row ranges of one sparse product, balanced by (rows + stored entries).
_MAX_TASKS = 4096
#: Bytes of one float64 row chunk of the dense steps (Gram, solves, products).
_CHUNK_BYTES = 8 << 20
#: CholeskyQR gives up on a Gram matrix whose (column-scaled) Cholesky factor
#: has a 1-norm reciprocal condition number below this: the block is then
#: rank deficient to float32 precision, and :func:`orthonormalize` deflates.
_MIN_RCOND = 1e-7
#: The second CholeskyQR pass must see a nearly orthonormal block.
_MIN_RCOND_SECOND = 1e-2
#: A first pass this well conditioned needs no second one: with ``rcond >=
#: 1e-2`` (2-norm condition number ``kappa <= 100 p``) the first ``Q`` is
#: orthonormal to ``kappa^2 u64 < u32``, below the float32 rounding that a
#: second pass would leave anyway.
_ONE_PASS_RCOND = 1e-2
#: Eigenvalues of the scaled Gram matrix below this fraction of the largest
#: are dropped by the deflating step (singular values below 1e-6 of the
#: largest: float32 rounding noise).
_DEFLATION_TOL = 1e-12
#: Blocks up to this many entries may fall back to Householder QR.
_HOUSEHOLDER_MAX = 1 << 22


# -- sparse x dense -----------------------------------------------------------
@numba.njit(nogil=True, cache=True)
def neighbour_sum(indptr, indices, data, col_scale, src, s0, width, i, part, total):
    """``total[:width] = sum_e a_e src[indices[e], s0:s0+width]`` over the stored entries ``e`` of row ``i``.

    ``a_e = data[e] * col_scale[indices[e]]`` (``None``: 1).  The neighbours
    are summed in float32 ``_NEIGHBOUR_BLOCK`` at a time (``part``) and each
    partial sum joins the float64 ``total``: the float32 inner loop keeps the
    SIMD width of the gather, while the rounding error of a row does not grow
    with its degree.  The row loop of every sparse-times-dense kernel.

    The row of the entry :data:`~skgraphemb._kernels._memory.PREFETCH_DISTANCE`
    places ahead (in this row or a later one) is prefetched, so that its
    memory latency overlaps the sums of the rows in between.
    """
    for t in range(width):
        total[t] = 0.0
    n_entries = indices.shape[0]
    lo = indptr[i]
    hi = indptr[i + 1]
    while lo < hi:
        stop = min(hi, lo + _NEIGHBOUR_BLOCK)
        for t in range(width):
            part[t] = 0.0
        for e in range(lo, stop):
            ahead = e + PREFETCH_DISTANCE  # the row read a few entries later
            if ahead < n_entries:
                prefetch_row(src, indices[ahead], s0, width)
            j = indices[e]
            a = np.float32(1.0)
            if data is not None:
                a = np.float32(data[e])
            if col_scale is not None:
                a *= np.float32(col_scale[j])
            row = src[j, s0 : s0 + width]
            for t in range(width):
                part[t] += a * row[t]
        for t in range(width):
            total[t] += part[t]
        lo = stop


@numba.njit(parallel=True, nogil=True, cache=True)
def spmm(bounds, indptr, indices, data, row_scale, col_scale, src, s0, add, a0, out, o0, width):
    """``out[:, o0:o0+w] = diag(l) A diag(r) src[:, s0:s0+w] (+ add[:, a0:a0+w])``.

    ``A`` is the CSR matrix ``(indptr, indices, data)``; ``data=None`` means
    every stored entry is 1.  ``row_scale`` (``l``) and ``col_scale`` (``r``)
    are float64 vectors or ``None`` (no scaling).  ``src``, ``add`` and
    ``out`` are C-ordered float32 blocks; a column window of each is given
    by its first column and the common ``width``.  ``add`` (or ``None``) is
    read in the same row only, so it may be ``out`` itself (same window);
    ``src`` must not overlap ``out``.  ``bounds`` splits the rows into
    ranges of similar cost (:func:`_task_bounds`), run in parallel.

    Each row sums its neighbours in float32, ``_NEIGHBOUR_BLOCK`` at a time,
    and adds each partial sum to a float64 accumulator: the float32 inner
    loop keeps the SIMD width of the gather (as fast as a pure float32 sum),
    while the rounding error of a row does not grow with its degree (a
    hub of 100,000 neighbours is summed as well as a node of 32).
    """
    for task in numba.prange(bounds.shape[0] - 1):
        part = np.empty(width, dtype=np.float32)
        total = np.empty(width, dtype=np.float64)
        for i in range(bounds[task], bounds[task + 1]):
            neighbour_sum(indptr, indices, data, col_scale, src, s0, width, i, part, total)
            s = 1.0
            if row_scale is not None:
                s = row_scale[i]
            dst = out[i, o0 : o0 + width]
            if add is None:
                for t in range(width):
                    dst[t] = s * total[t]
            else:
                extra = add[i, a0 : a0 + width]
                for t in range(width):
                    dst[t] = s * total[t] + extra[t]


@numba.njit(cache=True, nogil=True)
def _task_bounds(indptr, n_tasks):
    """Row ranges ``bounds[t]:bounds[t+1]`` of about equal rows + stored entries."""
    n = indptr.shape[0] - 1
    total = indptr[n] + n
    bounds = np.empty(n_tasks + 1, dtype=np.int64)
    bounds[0] = 0
    t = 1
    for i in range(n):
        cost = indptr[i + 1] + i + 1
        while t < n_tasks and cost * n_tasks >= t * total:
            bounds[t] = i + 1
            t += 1
    while t <= n_tasks:
        bounds[t] = n
        t += 1
    return bounds


@numba.njit(parallel=True, nogil=True, cache=True)
def _copy_columns(src, dst, d0, width):
    """``dst[:, d0:d0+width] = src[:, :width]`` in parallel over rows."""
    for i in numba.prange(src.shape[0]):
        for t in range(width):
            dst[i, d0 + t] = src[i, t]


@numba.njit(parallel=True, nogil=True, cache=True)
def _row_sums(indptr, data):
    """Row sums of a weighted CSR matrix, in float64."""
    n = indptr.shape[0] - 1
    out = np.zeros(n, dtype=np.float64)
    for i in numba.prange(n):
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            s += data[e]
        out[i] = s
    return out


@numba.njit(cache=True, nogil=True)
def _transpose_into(indptr, indices, data, indptr_t, indices_t, data_t):
    """Counting sort of a CSR matrix into its transpose (rows come out sorted)."""
    n = indptr.shape[0] - 1
    indptr_t[:] = 0
    for e in range(indices.shape[0]):
        indptr_t[indices[e] + 1] += 1
    for i in range(n):
        indptr_t[i + 1] += indptr_t[i]
    cursor = indptr_t[:n].copy()
    for i in range(n):
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            pos = cursor[j]
            indices_t[pos] = i
            if data is not None:
                data_t[pos] = data[e]
            cursor[j] = pos + 1


def transpose_csr(indptr, indices, data=None):
    """The transpose of a square CSR matrix: ``(indptr int64, indices int32, data float32 | None)``.

    One counting sort, no float64 copy: the transposed weights are stored
    as float32 (``None`` stays ``None``).

    Examples
    --------
    >>> import numpy as np
    >>> indptr, indices = np.array([0, 2, 2, 3]), np.array([1, 2, 0], dtype=np.int32)
    >>> t_indptr, t_indices, _ = transpose_csr(indptr, indices)
    >>> t_indptr.tolist(), t_indices.tolist()
    ([0, 1, 2, 3], [2, 0, 0])
    """
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int32)
    n = len(indptr) - 1
    indptr_t = np.empty(n + 1, dtype=np.int64)
    indices_t = np.empty(len(indices), dtype=np.int32)
    data_t = None if data is None else np.empty(len(indices), dtype=np.float32)
    _transpose_into(indptr, indices, data, indptr_t, indices_t, data_t)
    return indptr_t, indices_t, data_t


# -- the operator -------------------------------------------------------------
class _Csr:
    """One side of the operator: CSR arrays, scalings and task bounds."""

    __slots__ = ("indptr", "indices", "data", "row_scale", "col_scale", "bounds")

    def __init__(self, indptr, indices, data, row_scale, col_scale, bounds=None):
        self.indptr, self.indices, self.data = indptr, indices, data
        self.row_scale, self.col_scale = row_scale, col_scale
        n = len(indptr) - 1
        self.bounds = _task_bounds(indptr, max(1, min(n, _MAX_TASKS))) if bounds is None else bounds

    def product(self, src, out, *, add=None, s0=0, a0=0, o0=0, width=None):
        width = src.shape[1] if width is None else width
        spmm(
            self.bounds,
            self.indptr,
            self.indices,
            self.data,
            self.row_scale,
            self.col_scale,
            src,
            s0,
            add,
            a0,
            out,
            o0,
            width,
        )


class PowerSumOperator:
    """``M = Â + Â^2 + ... + Â^order`` applied to float32 blocks, in place.

    ``Â = diag(l) A diag(r)`` with ``A`` the CSR matrix given (read as it
    is: no copy, no float64 conversion): ``l = r = None`` for
    ``normalization=None``, ``l = 1/d`` for ``"transition"`` and
    ``l = r = 1/sqrt(d)`` for ``"symmetric"``, where ``d`` holds the
    (weighted) row sums and zero-degree rows (and columns) get 0.  ``Â^T =
    diag(r) A^T diag(l)`` uses ``A`` itself when ``symmetric`` (undirected
    graphs), otherwise a transposed CSR built once (:func:`transpose_csr`).

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSR arrays of the square matrix ``A``: int64, int32, and float32 or
        float64 weights (``None``: all ones).
    order : int
        Highest power of ``Â``.
    normalization : {None, "transition", "symmetric"}
        See above.
    symmetric : bool
        Whether ``A`` equals its transpose (an undirected graph).

    Examples
    --------
    >>> import numpy as np
    >>> indptr = np.array([0, 1, 3, 4]); indices = np.array([1, 0, 2, 1], dtype=np.int32)
    >>> op = PowerSumOperator(indptr, indices, None, order=2, symmetric=True)  # path 0-1-2
    >>> X = np.eye(3, dtype=np.float32); T = np.empty_like(X)
    >>> op.apply(X, T)  # A + A^2
    array([[1., 1., 1.],
           [1., 2., 1.],
           [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, indptr, indices, data=None, *, order, normalization=None, symmetric):
        if order < 1:
            raise ValueError(f"order must be >= 1; got {order}")
        if normalization not in (None, "transition", "symmetric"):
            raise ValueError(f"unknown normalization {normalization!r}")
        indptr = np.asarray(indptr)
        indices = np.asarray(indices)
        if indptr.dtype != np.int64 or indices.dtype != np.int32:
            raise TypeError("PowerSumOperator reads int64 indptr and int32 indices as they are")
        if data is not None and np.asarray(data).dtype not in (np.float32, np.float64):
            raise TypeError("data must be float32, float64 or None")
        self.n = len(indptr) - 1
        self.order = int(order)
        self.normalization = normalization
        self.symmetric = bool(symmetric)
        left = right = None
        if normalization is not None:
            deg = np.diff(indptr).astype(np.float64) if data is None else _row_sums(indptr, data)
            positive = deg > 0
            if normalization == "transition":
                np.divide(1.0, deg, out=deg, where=positive)
                left = deg
            else:
                np.sqrt(deg, out=deg)
                np.divide(1.0, deg, out=deg, where=positive)
                left = right = deg
            deg[~positive] = 0.0
        self._a = _Csr(indptr, indices, data, left, right)
        if self.symmetric and left is right:
            self._at = self._a
        elif self.symmetric:  # the same matrix, scaled the other way round
            self._at = _Csr(indptr, indices, data, right, left, self._a.bounds)
        else:
            t_indptr, t_indices, t_data = transpose_csr(indptr, indices, data)
            self._at = _Csr(t_indptr, t_indices, t_data, right, left)

    @property
    def shape(self):
        return (self.n, self.n)

    def apply(self, X, T, *, transpose=False, keep_input=True):
        """``M @ X`` (or ``M^T @ X``) with Horner's scheme; returns the block holding it.

        ``X`` and ``T`` are C-ordered float32 ``(n, p)`` blocks; the result
        lands in one of them, which is returned (the caller swaps names:
        ping-pong).  With ``keep_input=False`` and ``order <= 3`` the
        scheme runs in place on the two blocks and overwrites ``X``:
        ``t_1 = X + ÂX`` into ``T``, ``t_2 = X + Â t_1`` into ``X`` (``X``
        is only read row by row there, so it may be overwritten),
        ``Â t_{order-1}`` into the other block.  Otherwise ``X`` is kept:
        ``t_1`` goes to ``T`` at full width, then each further step
        ``t_i = X + Â t_{i-1}`` runs on column panels of
        :data:`PANEL_WIDTH` columns through an ``n x PANEL_WIDTH`` scratch
        panel copied back into ``T`` (columns of ``M X`` are independent).
        """
        side = self._at if transpose else self._a
        order = self.order
        if order == 1:
            side.product(X, T)
            return T
        side.product(X, T, add=X)  # t_1 = X + Â X
        if not keep_input and order <= 3:
            if order == 2:
                side.product(T, X)  # Â t_1
                return X
            side.product(T, X, add=X)  # t_2 = X + Â t_1, X read row-locally
            side.product(X, T)  # Â t_2
            return T
        n, p = X.shape
        width = min(p, PANEL_WIDTH)
        panel = np.empty((n, width), dtype=np.float32)
        for step in range(2, order + 1):
            last = step == order
            for c0 in range(0, p, width):
                w = min(width, p - c0)
                side.product(T, panel, add=None if last else X, s0=c0, a0=c0, o0=0, width=w)
                _copy_columns(panel, T, c0, w)
        return T


# -- dense steps on row chunks ------------------------------------------------
def _chunks(n_rows, n_cols):
    step = max(1, _CHUNK_BYTES // (8 * max(1, n_cols)))
    for i0 in range(0, n_rows, step):
        yield i0, min(n_rows, i0 + step)


_BLAS_CONTROLLER = None


def one_blas_thread():
    """Context: the BLAS pools limited to one thread for the body.

    For the ``p x p`` factorisations between the big products (Cholesky,
    condition estimate, triangular inverse, eigen- and singular value
    decompositions of the small matrices): a multi-threaded BLAS gains
    nothing on them and, on a busy machine or right after a numba parallel
    kernel whose workers still spin, makes a 138 x 138 Cholesky take 150 ms
    instead of 0.1 ms (measured on 2 loaded cores).  The threadpoolctl
    controller is built once (scanning the loaded libraries takes
    milliseconds); each limit then costs microseconds.
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def _chunk_buffer(n_rows, n_cols):
    return np.empty((min(n_rows, max(1, _CHUNK_BYTES // (8 * max(1, n_cols)))), n_cols))


def gram(Y):
    """``Y^T Y`` in float64, accumulated over row chunks (no copy of ``Y``)."""
    n, p = Y.shape
    G = np.zeros((p, p), order="F")
    buf = _chunk_buffer(n, p)
    for i0, i1 in _chunks(n, p):
        b = buf[: i1 - i0]
        b[...] = Y[i0:i1]
        G = blas.dsyrk(1.0, b.T, beta=1.0, c=G, trans=0, lower=0, overwrite_c=1)
    return np.triu(G) + np.triu(G, 1).T


def _solve_upper_right(Y, R):
    """``Y <- Y R^-1`` in place, row chunk by row chunk (``R`` upper triangular).

    ``R^-1`` is formed once (``dtrtri``; it is well conditioned here, see
    :func:`_cholesky_factor`) and applied by ``dtrmm``, which is about
    twice as fast as ``dtrsm`` on these tall chunks.
    """
    n, p = Y.shape
    buf = _chunk_buffer(n, p)
    with one_blas_thread():
        R_inv, info = lapack.dtrtri(np.asfortranarray(R), lower=0)
    if info != 0:  # pragma: no cover - R has a zero pivot: _cholesky_factor rejects it first
        raise np.linalg.LinAlgError("singular triangular factor")
    for i0, i1 in _chunks(n, p):
        b = buf[: i1 - i0]
        b[...] = Y[i0:i1]
        # b R^-1 = (R^-T b^T)^T, and b^T is the Fortran view of b.
        x = blas.dtrmm(1.0, R_inv, b.T, side=0, lower=0, trans_a=1, diag=0, overwrite_b=1)
        Y[i0:i1] = x.T


def _cholesky_factor(G, min_rcond):
    """``(R, rcond)``: upper ``R`` with ``R^T R = G``, or ``(None, 0)`` if ``G`` is (nearly) singular.

    The test is scale-free: ``G`` is scaled to unit diagonal first, so
    columns of very different norms are not mistaken for rank deficiency;
    ``rcond`` is LAPACK's estimate of the reciprocal 1-norm condition
    number of the scaled factor.
    """
    d = np.sqrt(np.diag(G))
    if not np.all(np.isfinite(d)) or np.any(d == 0):
        return None, 0.0
    Gs = G / d[:, None] / d[None, :]
    with one_blas_thread():
        try:
            Rs = scipy.linalg.cholesky(Gs, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            return None, 0.0
        rcond, info = lapack.dtrcon(Rs, norm="1", uplo="U", diag="N")
    if info != 0 or not rcond >= min_rcond:
        return None, 0.0
    return Rs * d[None, :], rcond


def _deflate(Y, G, rng):
    """Replace the numerically dependent directions of ``Y`` by random ones.

    From the eigen-decomposition of the (column-scaled) Gram matrix
    ``G = Y^T Y``: the ``r`` directions whose eigenvalue exceeds
    ``_DEFLATION_TOL`` times the largest become the first ``r`` columns,
    ``Y V Λ^-1/2`` (orthonormal up to the Gram matrix's precision), and
    the other ``p - r`` columns are filled with standard normal values.
    Returns the ``(p, p)`` matrix ``C`` with ``Y_before ≈ Y_after C``
    (its last ``p - r`` rows are zero).
    """
    n, p = Y.shape
    d = np.sqrt(np.diag(G))
    d[~(d > 0)] = 1.0
    with one_blas_thread():
        lam, V = scipy.linalg.eigh(G / d[:, None] / d[None, :], check_finite=False)
    top = lam[-1] if len(lam) else 0.0
    keep = np.flatnonzero(lam > _DEFLATION_TOL * top)[::-1] if top > 0 else np.empty(0, dtype=int)
    r = len(keep)
    root = np.sqrt(lam[keep])
    W = V[:, keep] / root[None, :] / d[:, None]  # (p, r)
    C = np.zeros((p, p))
    C[:r] = root[:, None] * V[:, keep].T * d[None, :]
    buf = _chunk_buffer(n, p)
    for i0, i1 in _chunks(n, p):
        b = buf[: i1 - i0]
        b[...] = Y[i0:i1]
        Y[i0:i1, :r] = b @ W
        Y[i0:i1, r:] = rng.standard_normal((i1 - i0, p - r), dtype=np.float32)
    return C


def orthonormalize(Y, rng=None):
    """Orthonormalise the columns of the float32 block ``Y`` in place; return ``C``.

    On return ``Y`` holds ``Q`` with orthonormal columns (to float32
    precision) and ``Y_before ≈ Q C`` with ``C`` a ``(p, p)`` float64
    matrix: ``C`` is upper triangular unless a deflation happened.

    CholeskyQR2: two passes of ``G = Y^T Y`` (float64, row chunks),
    ``R = chol(G)``, ``Y <- Y R^-1`` (row chunks, in place), so no copy of
    the block is made.  The second pass only runs when the first factor's
    condition number (LAPACK's estimate) exceeds 100: below that the first
    pass is already orthonormal to float32 precision (its error,
    ``kappa^2`` times float64's unit roundoff, is under float32's).
    CholeskyQR fails when ``Y`` is rank deficient or too
    ill-conditioned for the Gram matrix (tiny or disconnected graphs, ``p``
    close to ``n``, matrices with fewer than ``p`` non-zero singular values):
    a Cholesky factor that does not exist, or whose condition number passes
    ``1 / _MIN_RCOND``, makes it deflate instead (:func:`_deflate`: the
    dependent directions are dropped and replaced by random vectors, which
    spans the same range plus random directions) and start CholeskyQR2
    again.  Blocks with non-finite values raise ``FloatingPointError``.

    Parameters
    ----------
    Y : ndarray of float32, shape (n, p)
        C-ordered, ``n >= p``; overwritten.
    rng : numpy Generator, optional
        Draws the replacement columns of a deflation.

    Returns
    -------
    C : ndarray of float64, shape (p, p)

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)
    >>> Y[:, 2] = Y[:, 0]  # rank 2
    >>> Y0 = Y.astype(np.float64)
    >>> C = orthonormalize(Y)
    >>> bool(np.allclose(Y.T @ Y, np.eye(3), atol=1e-5)), bool(np.allclose(Y @ C, Y0, atol=1e-4))
    (True, True)
    """
    n, p = Y.shape
    if p > n:
        raise ValueError(f"cannot orthonormalise {p} columns in dimension {n}")
    rng = np.random.default_rng(0) if rng is None else rng
    C = np.eye(p)
    passes = deflations = 0
    while deflations <= 2:
        G = gram(Y)
        if not np.all(np.isfinite(G)):
            raise FloatingPointError(
                "the randomized SVD overflowed float32 (non-finite values): the weights or "
                "the order are too large for the float32 range finder; normalise the graph "
                "(normalization='transition' or 'symmetric'), rescale the weights, or use "
                "algorithm='arpack' (float64)"
            )
        R, rcond = _cholesky_factor(G, _MIN_RCOND if passes == 0 else _MIN_RCOND_SECOND)
        if R is None:
            C = _deflate(Y, G, rng) @ C
            passes = 0
            deflations += 1
            continue
        _solve_upper_right(Y, R)
        C = R @ C
        passes += 1
        if passes == 2 or rcond >= _ONE_PASS_RCOND:
            return C
    if n * p <= _HOUSEHOLDER_MAX:  # pragma: no cover - never needed in the tests
        Q, R = np.linalg.qr(Y.astype(np.float64))
        Y[...] = Q
        return R @ C
    raise np.linalg.LinAlgError(  # pragma: no cover
        "could not orthonormalise the randomized SVD's block (CholeskyQR failed after "
        "deflation); use algorithm='arpack'"
    )


def _product_into_prefix(flat, n, p, T, scale=None, track_signs=False):
    """``flat[:n*k]`` (as ``(n, k)``) = ``flat`` (as ``(n, p)``) ``@ T`` (``(p, k)``).

    The product overwrites the same buffer, compacted to ``k`` columns:
    row chunks are taken in order, each read whole (as float64) before its
    ``k``-column result is written at ``flat[i0*k : i1*k]``, which lies at
    or before its own rows ``flat[i0*p : i1*p]`` and after every row already
    read.  ``scale`` multiplies the result's columns.  With
    ``track_signs``, returns the sign of the largest-magnitude entry of each
    column of ``flat @ T`` (before ``scale``; the first such entry on ties,
    as :func:`sklearn.utils.extmath.svd_flip` does).
    """
    k = T.shape[1]
    Y = flat[: n * p].reshape(n, p)
    out = flat[: n * k].reshape(n, k)
    best = np.full(k, -1.0)
    signs = np.ones(k)
    buf = _chunk_buffer(n, p)
    cols = np.arange(k)
    for i0, i1 in _chunks(n, p):
        b = buf[: i1 - i0]
        b[...] = Y[i0:i1]
        res = b @ T
        if track_signs:
            where = np.argmax(np.abs(res), axis=0)
            values = res[where, cols]
            better = np.abs(values) > best
            best[better] = np.abs(values[better])
            signs[better] = np.where(values[better] < 0, -1.0, 1.0)
        if scale is not None:
            res *= scale
        out[i0:i1] = res
    return signs


def _shrink(holder, n, k):
    """The flat block popped from the list ``holder``, cut to ``n*k`` entries, shaped ``(n, k)``.

    ``ndarray.resize`` gives the tail back to the allocator (a large block
    is ``realloc``-ed in place) when nothing else refers to the block: the
    list hands over the only reference.  If a view is still alive, the
    block stays as it is and an ``(n, k)`` view of its start is returned.
    """
    flat = holder.pop()
    try:
        flat.resize((n, k), refcheck=True)  # not .shape = ...: deprecated from numpy 2.5
    except ValueError:
        return flat[: n * k].reshape(n, k)
    return flat


def randomized_svd_blocks(op, k, *, n_oversamples=10, n_iter=5, seed=0, on_iteration=None):
    """Randomized SVD of ``op`` on two float32 ``(n, p)`` blocks; ``p = k + n_oversamples``.

    Halko, Martinsson and Tropp's algorithm with ``n_iter`` power
    iterations, each followed by an orthonormalisation
    (:func:`orthonormalize`): ``Q = orth(M Ω)``, then ``n_iter`` times
    ``Z = orth(M^T Q)``, ``Q = orth(M Z)``; finally ``B^T = M^T Q`` is
    factorised as ``Q_2 C`` (:func:`orthonormalize` again), so that
    ``B = C^T Q_2^T`` and the SVD of the ``p x p`` matrix ``C^T = U_c S
    V_c^T`` gives ``U = Q U_c`` and ``V = Q_2 V_c``.  The test matrix
    ``Ω`` is ``numpy.random.default_rng(seed).standard_normal((n, p),
    dtype=numpy.float32)``, drawn straight into the first block (numpy's
    float32 sampler: 5x faster than a float64 draw, and no float64 copy).

    Memory: the two blocks, plus an ``n x PANEL_WIDTH`` panel when
    :meth:`PowerSumOperator.apply` must keep its input (the last product;
    every product when ``order >= 4``), plus float64 row chunks of
    ``_CHUNK_BYTES``.  ``U`` and ``V`` are computed into the first ``k``
    columns of the blocks holding ``Q`` and ``Q_2`` and the blocks are
    shrunk to them (:func:`_product_into_prefix`), so no other ``n x k``
    array is allocated.

    Returns
    -------
    U : ndarray of float32, shape (n, k)
        Left singular vectors, C-contiguous; column signs fixed as
        :func:`sklearn.utils.extmath.svd_flip` with ``u_based_decision=True``.
    S : ndarray of float64, shape (k,)
        Singular values, descending.
    V : ndarray of float32, shape (n, k)
        Right singular vectors (the same signs as ``U``).
    """
    n = op.shape[0]
    p = min(k + n_oversamples, n)
    rng = np.random.default_rng(seed)
    spare = np.random.default_rng([seed, 1])  # replacement columns of deflations
    # The blocks are flat arrays so that they can be shrunk to their first
    # n*k entries at the end; ``views`` are their (n, p) shapes.
    blocks = [np.empty(n * p, dtype=np.float32), np.empty(n * p, dtype=np.float32)]
    views = [b.reshape(n, p) for b in blocks]
    rng.standard_normal(out=views[0], dtype=np.float32)  # drawn in place: no float64 copy
    keep_input = op.order > 3  # orders 1-3 run in place (PowerSumOperator.apply)
    src = 0  # index of the block holding the current input

    def product(src, transpose, keep_input=keep_input):
        out = op.apply(views[src], views[1 - src], transpose=transpose, keep_input=keep_input)
        return 0 if out is views[0] else 1

    src = product(src, False)
    orthonormalize(views[src], spare)  # Q
    for _ in range(n_iter):
        src = product(src, True)
        orthonormalize(views[src], spare)  # Z
        src = product(src, False)
        orthonormalize(views[src], spare)  # Q
        if on_iteration is not None:  # progress (a bar's update)
            on_iteration()
    if product(src, True, keep_input=True) != 1 - src:  # B^T = M^T Q, Q kept
        raise AssertionError("PowerSumOperator.apply(keep_input=True) must write the other block")
    C = orthonormalize(views[1 - src], spare)  # B^T = Q_2 C, so B = C^T Q_2^T
    Uc, S, Vct = _small_svd(C.T)
    views.clear()
    flat_b = blocks.pop(1 - src)
    signs = _product_into_prefix(blocks[0], n, p, Uc[:, :k], track_signs=True)
    U = _shrink(blocks, n, k)  # U = Q U_c
    np.multiply(U, signs.astype(np.float32), out=U)
    blocks.append(flat_b)
    del flat_b
    _product_into_prefix(blocks[0], n, p, Vct[:k].T * signs[None, :])
    V = _shrink(blocks, n, k)  # V = Q_2 V_c
    return U, S[:k].copy(), V


def _small_svd(B):
    with one_blas_thread():
        try:
            return scipy.linalg.svd(B, full_matrices=False, check_finite=False)
        except np.linalg.LinAlgError:  # pragma: no cover - gesdd rarely fails to converge
            return scipy.linalg.svd(B, full_matrices=False, check_finite=False, lapack_driver="gesvd")


def svd_memory_bytes(
    n_nodes, nnz, n_components, n_oversamples=10, order=2, directed=False, weighted=False, normalization=None
):
    """Bytes the randomized ``SVDEmbedder`` fit allocates beyond the graph, at its peak.

    ``2 n p`` float32 for the two blocks (``p = min(n_components +
    n_oversamples, n_nodes)``), plus the larger of an ``n x min(p, 32)``
    float32 panel (when ``order >= 2``) and the float64 row chunks of the
    dense steps (about 25 MB), a float64 degree vector for a normalisation, and for a directed graph the
    transposed CSR (``(n + 1)`` int64, ``nnz`` int32, and ``nnz`` float32
    when weighted).

    Examples
    --------
    >>> gb = svd_memory_bytes(10_000_000, 200_000_000, 128) / 1e9
    >>> round(gb, 1)
    12.3
    """
    n = int(n_nodes)
    p = min(int(n_components) + int(n_oversamples), n)
    total = 2 * n * p * 4
    # The panel (products that keep their input) and the float64 row chunks
    # of the dense steps (a chunk copy, a product, its absolute values) are
    # never alive at the same time.
    chunks = 3 * min(n, max(1, _CHUNK_BYTES // (8 * max(1, p)))) * p * 8
    total += max(n * min(p, PANEL_WIDTH) * 4 if order >= 2 else 0, chunks)
    if normalization is not None:
        total += n * 8
    if directed:
        total += (n + 1) * 8 + int(nnz) * 4 + (int(nnz) * 4 if weighted else 0)
    return int(total)


# -- float64 reference path (algorithm="arpack") ------------------------------
def normalize_adjacency(A, normalization: str | None):
    """``A`` (CSR), ``D^-1 A`` ("transition") or ``D^-1/2 A D^-1/2`` ("symmetric").

    ``D`` holds the (weighted) out-degrees, the row sums of ``A``; rows and
    columns of zero-degree nodes stay zero.  A float64 scipy copy, for the
    ``"arpack"`` path and for small graphs.
    """
    A = sp.csr_array(A, dtype=np.float64)
    if normalization is None:
        return A
    deg = np.asarray(A.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        if normalization == "transition":
            inv = np.where(deg > 0, 1.0 / deg, 0.0)
            return sp.csr_array(sp.diags_array(inv) @ A)
        if normalization == "symmetric":
            inv = np.where(deg > 0, 1.0 / np.sqrt(deg), 0.0)
            D = sp.diags_array(inv)
            return sp.csr_array(D @ A @ D)
    raise ValueError(f"unknown normalization {normalization!r}")


def power_sum_operator(A, order: int) -> LinearOperator:
    """``M = A + A^2 + ... + A^order`` as a float64 LinearOperator; ``A^k`` is never formed.

    ``M x = A(x + A(x + ... A x))`` (Horner) and ``M^T x`` likewise with
    ``A^T``: ``order`` sparse products per application.  Used by
    ``algorithm="arpack"``; the randomized path uses :class:`PowerSumOperator`.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1; got {order}")
    A = sp.csr_array(A, dtype=np.float64)
    AT = sp.csr_array(A.T)
    n, m = A.shape

    def _horner(B, x):
        y = B @ x
        for _ in range(order - 1):
            y = B @ (x + y)
        return y

    def matmat(X):
        return _horner(A, np.asarray(X, dtype=np.float64))

    def rmatmat(X):
        return _horner(AT, np.asarray(X, dtype=np.float64))

    return LinearOperator(
        shape=(n, m),
        matvec=matmat,
        rmatvec=rmatmat,
        matmat=matmat,
        rmatmat=rmatmat,
        dtype=np.float64,
    )
