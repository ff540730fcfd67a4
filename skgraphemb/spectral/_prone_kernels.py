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

from skgraphemb._kernels._linalg import _NEIGHBOUR_BLOCK

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
    float64 accumulator, so the rounding error does not grow with the degree.
    """
    width = src.shape[1]
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
