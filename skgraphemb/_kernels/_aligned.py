"""Arrays whose rows start on a cache line, without numba.

numpy's large allocations start 16 bytes past a 64-byte boundary, so a row
of 64 bytes or a multiple of them straddles one more cache line than it
fills, and half of the 32-byte loads and stores on such rows cross a line
(each then costs two accesses).  :func:`aligned_empty` gives arrays whose
first byte, and so every row of ``k * 64`` bytes, sits on a boundary.

Kept apart from :mod:`skgraphemb._kernels._memory` (which re-exports it) so
that the skip-gram trainer's C path can use it without importing numba.
Nothing here imports anything above :mod:`skgraphemb._kernels`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CACHE_LINE", "aligned_empty", "aligned_zeros"]

#: Bytes per cache line (x86-64 and most ARM cores).
CACHE_LINE = 64


def aligned_empty(shape, dtype=np.float32, align: int = CACHE_LINE) -> np.ndarray:
    """An uninitialised C-ordered array whose first byte sits on an ``align``-byte boundary.

    Rows of ``k * align`` bytes then each occupy exactly ``k`` cache lines.
    The array is a view of a slightly larger byte buffer (kept alive by the
    view's ``base``); it pickles and copies like any array.
    """
    return _aligned(np.empty, shape, dtype, align)


def aligned_zeros(shape, dtype=np.float32, align: int = CACHE_LINE) -> np.ndarray:
    """:func:`aligned_empty`, all zeros; like ``np.zeros``, a large array's
    pages are only mapped, and zeroed by the system, when first touched."""
    return _aligned(np.zeros, shape, dtype, align)


def _aligned(allocate, shape, dtype, align: int) -> np.ndarray:
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = allocate(nbytes + align, dtype=np.uint8)
    offset = (-raw.ctypes.data) % align
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)
