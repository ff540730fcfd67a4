"""The product with ProNE's proximity matrix in one pass over the graph.

ProNE factorises ``F[i, j] = a[i] + b[j]`` on the stored entries of the
graph (``a = -log d``, ``b = -log P``, see
:class:`skgraphemb.spectral.prone._ProNEFactorOperator`).  ``F X`` is
``diag(a) B X + B diag(b) X`` with ``B`` the binary pattern: two sparse
products with the same structure.  :func:`affine_pattern_product` computes
both sums while it reads each neighbour's row once, so the randomized SVD's
products cost one pass over the graph instead of two (the products are
bound by memory traffic: reading the neighbours' rows).
"""

from __future__ import annotations

import numba
import numpy as np

from skgraphemb._kernels._linalg import _NEIGHBOUR_BLOCK, neighbour_sum
from skgraphemb._kernels._memory import PREFETCH_DISTANCE, prefetch_row

#: Column offset 0 of the shared row helpers, as int64: a literal ``0`` would
#: compile them once more (for ``Literal[int](0)``) beside the ``int64`` callers.
_FIRST_COLUMN = np.int64(0)

__all__ = ["affine_pattern_product"]


@numba.njit(parallel=True, nogil=True, cache=True)
def affine_pattern_product(bounds, indptr, indices, row_shift, col_shift, src, out):
    """``out[i] = sum_{j in row i} (row_shift[i] + col_shift[j]) src[j]``.

    ``(indptr, indices)`` is a CSR pattern (every stored entry 1);
    ``row_shift`` and ``col_shift`` are float64 vectors; ``src`` and ``out``
    are C-ordered float32 blocks of the same width that must not overlap.
    ``bounds`` splits the rows into ranges of similar cost, run in parallel.
    As in :func:`skgraphemb._kernels._linalg.spmm`, neighbours are summed in
    float32 ``_NEIGHBOUR_BLOCK`` at a time and each partial sum joins a
    float64 accumulator, so the rounding error does not grow with the degree;
    the row ``PREFETCH_DISTANCE`` entries ahead is prefetched.
    """
    width = src.shape[1]
    n_entries = indices.shape[0]
    for task in numba.prange(bounds.shape[0] - 1):
        plain = np.empty(width, dtype=np.float32)
        shifted = np.empty(width, dtype=np.float32)
        total_plain = np.empty(width, dtype=np.float64)
        total_shifted = np.empty(width, dtype=np.float64)
        for i in range(bounds[task], bounds[task + 1]):
            for t in range(width):
                total_plain[t] = 0.0
                total_shifted[t] = 0.0
            lo = indptr[i]
            hi = indptr[i + 1]
            while lo < hi:
                stop = min(hi, lo + _NEIGHBOUR_BLOCK)
                for t in range(width):
                    plain[t] = 0.0
                    shifted[t] = 0.0
                for e in range(lo, stop):
                    ahead = e + PREFETCH_DISTANCE
                    if ahead < n_entries:
                        prefetch_row(src, indices[ahead], _FIRST_COLUMN, width)
                    j = indices[e]
                    c = np.float32(col_shift[j])
                    row = src[j]
                    for t in range(width):
                        plain[t] += row[t]
                        shifted[t] += c * row[t]
                for t in range(width):
                    total_plain[t] += plain[t]
                    total_shifted[t] += shifted[t]
                lo = stop
            r = row_shift[i]
            dst = out[i]
            for t in range(width):
                dst[t] = r * total_plain[t] + total_shifted[t]


@numba.njit(parallel=True, nogil=True, cache=True)
def laplacian_step(bounds, indptr, indices, data, keep, neg_inv, src, scale, sub1, b1, sub2, b2, out, acc, c):
    """One step of the Chebyshev recurrence of ProNE's propagation, in one pass.

    ``out = scale (diag(keep) src + diag(neg_inv) A src) - b1 sub1 - b2 sub2``
    and, when ``c != 0``, ``acc += c out``; ``M src = diag(keep) src +
    diag(neg_inv) A src`` is the shifted Laplacian's product.  ``A`` is the
    CSR matrix ``(indptr, indices, data)`` (``data=None``: every stored
    entry 1); ``keep`` is float32, ``neg_inv`` float64; ``src``, ``sub1``,
    ``sub2``, ``out`` and ``acc`` are C-ordered float32 blocks of one width
    (``sub1``/``sub2`` are read only when their coefficient is non-zero, so
    any block may stand in for an unused one; ``src`` must not overlap
    ``out``).  Neighbours are summed by
    :func:`skgraphemb._kernels._linalg.neighbour_sum` (float32 partial sums
    of ``_NEIGHBOUR_BLOCK``, a float64 accumulator); the combination is
    float64.
    """
    width = src.shape[1]
    for task in numba.prange(bounds.shape[0] - 1):
        part = np.empty(width, dtype=np.float32)
        total = np.empty(width, dtype=np.float64)
        for i in range(bounds[task], bounds[task + 1]):
            neighbour_sum(indptr, indices, data, None, src, _FIRST_COLUMN, width, i, part, total)
            k = np.float64(keep[i])
            s = neg_inv[i]
            mine = src[i]
            dst = out[i]
            for t in range(width):
                v = scale * (k * mine[t] + s * total[t])
                if b1 != 0.0:
                    v -= b1 * sub1[i, t]
                if b2 != 0.0:
                    v -= b2 * sub2[i, t]
                dst[t] = v
                if c != 0.0:
                    acc[i, t] += c * v
