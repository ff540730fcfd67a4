# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Kernels that turn edge columns of node positions into a sorted, merged CSR
structure, and check one given by hand; compiled when the package is
installed (C through Cython), so that building a graph compiles nothing.

:func:`csr_from_edges` does what ``scipy.sparse.coo_array((w, (src,
dst))).tocsr()`` followed by ``sum_duplicates`` and ``eliminate_zeros``
does, with int64 row pointers and int32 column indices: a counting sort by
row (entries land in their row in input order, as in scipy's
``coo_tocsr``), then -- only when some row is not already in order, the
test scipy makes -- each row sorted by :func:`_std_sort`, a line-by-line
port of libstdc++'s ``std::sort`` (the introsort scipy's
``csr_sort_indices`` calls on (column, weight) pairs, comparing columns
only).  Duplicates are then summed left to right, so even the rounding of a
sum of three or more parallel edges matches scipy bit for bit;
``std::sort`` is not stable, so any other sort could order equal columns
differently and change the last bit of such sums.  :func:`symmetrize_max`
is scipy's ``A.maximum(A.T)``, :func:`csr_problem` the checks of
:class:`~skgraphemb.Graph`'s public constructor.

The kernels are serial and release the GIL; the drivers here run one call
per thread with :class:`~skgraphemb._kernels._pool.KernelThreads`, each on
its own rows (no two threads write one row).  Integer ids are ranked by the
numba kernels of :mod:`skgraphemb.graph._id_kernels`.
"""

import os
import sys
import threading
from contextlib import contextmanager

import numpy as np

from libc.stdint cimport int32_t, int64_t
from libc.math cimport isfinite

from skgraphemb._kernels._pool import KernelThreads

ctypedef fused index_t:
    int32_t
    int64_t

#: Work of fewer items (values, edges or bytes) runs on the calling thread
#: only: handing it to pool threads costs more than it saves there, and on a
#: busy machine a thread can wait milliseconds to be scheduled.
PARALLEL_MIN = 1 << 18

# libstdc++'s _S_threshold: introsort leaves runs this short to insertion sort.
DEF _THRESHOLD = 16


_local = threading.local()


def kernel_thread_count():
    """The thread count of the kernels for the calling thread: one inside a
    :func:`threads_for` block of small work; else numba's (which
    :func:`~skgraphemb.utils._threads.kernel_threads` sets from ``n_jobs``
    for a call, per calling thread) when numba is loaded, or its default,
    ``NUMBA_NUM_THREADS`` or the CPUs this process may use: nothing can
    have changed it before numba is imported."""
    if getattr(_local, "single", 0):
        return 1
    numba = sys.modules.get("numba")
    if numba is not None:
        return numba.get_num_threads()
    env = os.environ.get("NUMBA_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def threads_for(n_items):
    """The number of threads for work of ``n_items``: the kernels' count
    (:func:`kernel_thread_count`), or 1 below :data:`PARALLEL_MIN`; inside
    the block the calling thread's count reads the same."""
    count = kernel_thread_count()
    if n_items >= PARALLEL_MIN or count == 1:
        yield count
        return
    _local.single = getattr(_local, "single", 0) + 1
    try:
        yield 1
    finally:
        _local.single -= 1


@contextmanager
def pool_for(n_items, name="skgraphemb-csr"):
    """A :class:`KernelThreads` of :func:`threads_for` ``(n_items)`` threads."""
    with threads_for(n_items) as n_threads, KernelThreads(n_threads, name) as threads:
        yield threads


# -- libstdc++ std::sort on (key, value) pairs, comparing keys ---------------------
# Element i is the pair (keys[i], vals[i]); with has_w False only keys move.
cdef inline void _swap(int32_t *keys, double *vals, bint has_w, int64_t i, int64_t j) noexcept nogil:
    cdef int32_t k = keys[i]
    cdef double v
    keys[i] = keys[j]
    keys[j] = k
    if has_w:
        v = vals[i]
        vals[i] = vals[j]
        vals[j] = v


cdef inline void _move(int32_t *keys, double *vals, bint has_w, int64_t dst, int64_t src) noexcept nogil:
    keys[dst] = keys[src]
    if has_w:
        vals[dst] = vals[src]


cdef void _unguarded_linear_insert(int32_t *keys, double *vals, bint has_w, int64_t last) noexcept nogil:
    cdef int32_t key = keys[last]
    cdef double val = vals[last] if has_w else 0.0
    cdef int64_t nxt = last - 1
    while key < keys[nxt]:
        _move(keys, vals, has_w, last, nxt)
        last = nxt
        nxt -= 1
    keys[last] = key
    if has_w:
        vals[last] = val


cdef void _insertion_sort(int32_t *keys, double *vals, bint has_w, int64_t first, int64_t last) noexcept nogil:
    cdef int64_t i, j
    cdef int32_t key
    cdef double val
    if first == last:
        return
    for i in range(first + 1, last):
        if keys[i] < keys[first]:
            key = keys[i]
            val = vals[i] if has_w else 0.0
            j = i
            while j > first:  # move_backward(first, i, i + 1)
                _move(keys, vals, has_w, j, j - 1)
                j -= 1
            keys[first] = key
            if has_w:
                vals[first] = val
        else:
            _unguarded_linear_insert(keys, vals, has_w, i)


cdef void _adjust_heap(int32_t *keys, double *vals, bint has_w, int64_t first, int64_t hole, int64_t length,
                       int32_t key, double val) noexcept nogil:
    cdef int64_t top = hole, second = hole, parent
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if keys[first + second] < keys[first + second - 1]:
            second -= 1
        _move(keys, vals, has_w, first + hole, first + second)
        hole = second
    if (length & 1) == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        _move(keys, vals, has_w, first + hole, first + second - 1)
        hole = second - 1
    # __push_heap(first, hole, top, value)
    parent = (hole - 1) // 2
    while hole > top and keys[first + parent] < key:
        _move(keys, vals, has_w, first + hole, first + parent)
        hole = parent
        parent = (hole - 1) // 2
    keys[first + hole] = key
    if has_w:
        vals[first + hole] = val


cdef void _heap_sort(int32_t *keys, double *vals, bint has_w, int64_t first, int64_t last) noexcept nogil:
    """``std::__partial_sort(first, last, last)``: make_heap then sort_heap."""
    cdef int64_t length = last - first, parent
    cdef int32_t key
    cdef double val
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            key = keys[first + parent]
            val = vals[first + parent] if has_w else 0.0
            _adjust_heap(keys, vals, has_w, first, parent, length, key, val)
            if parent == 0:
                break
            parent -= 1
    while last - first > 1:
        last -= 1
        # __pop_heap(first, last, last)
        key = keys[last]
        val = vals[last] if has_w else 0.0
        _move(keys, vals, has_w, last, first)
        _adjust_heap(keys, vals, has_w, first, 0, last - first, key, val)


cdef int64_t _partition_pivot(int32_t *keys, double *vals, bint has_w, int64_t first, int64_t last) noexcept nogil:
    """``std::__unguarded_partition_pivot``: median of three, then Hoare."""
    cdef int64_t a = first + 1, b = first + (last - first) // 2, c = last - 1
    cdef int64_t lo, hi
    cdef int32_t pivot
    if keys[a] < keys[b]:
        if keys[b] < keys[c]:
            _swap(keys, vals, has_w, first, b)
        elif keys[a] < keys[c]:
            _swap(keys, vals, has_w, first, c)
        else:
            _swap(keys, vals, has_w, first, a)
    elif keys[a] < keys[c]:
        _swap(keys, vals, has_w, first, a)
    elif keys[b] < keys[c]:
        _swap(keys, vals, has_w, first, c)
    else:
        _swap(keys, vals, has_w, first, b)
    lo = first + 1
    hi = last
    pivot = keys[first]
    while True:
        while keys[lo] < pivot:
            lo += 1
        hi -= 1
        while pivot < keys[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(keys, vals, has_w, lo, hi)
        lo += 1


cdef void _introsort(int32_t *keys, double *vals, bint has_w, int64_t first, int64_t last) noexcept nogil:
    """Sort ``[first, last)`` exactly as libstdc++'s ``std::sort`` would.

    ``__introsort_loop`` recurses on the right part and loops on the left;
    the parts are disjoint, so an explicit stack visiting them in any order
    moves every element as the recursion does (at most one entry per level
    of depth, 2 log2(n) <= 128 levels).
    """
    cdef int64_t n = last - first, depth = 0, m, top, lo, hi, d, cut, i
    cdef int64_t s_first[130]
    cdef int64_t s_last[130]
    cdef int64_t s_depth[130]
    if n <= 1:
        return
    if n > _THRESHOLD:
        m = n
        while m > 1:  # std::__lg(n) * 2
            m >>= 1
            depth += 1
        depth *= 2
        s_first[0] = first
        s_last[0] = last
        s_depth[0] = depth
        top = 1
        while top > 0:
            top -= 1
            lo = s_first[top]
            hi = s_last[top]
            d = s_depth[top]
            while hi - lo > _THRESHOLD:
                if d == 0:
                    _heap_sort(keys, vals, has_w, lo, hi)
                    break
                d -= 1
                cut = _partition_pivot(keys, vals, has_w, lo, hi)
                s_first[top] = cut
                s_last[top] = hi
                s_depth[top] = d
                top += 1
                hi = cut
        # __final_insertion_sort
        _insertion_sort(keys, vals, has_w, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(keys, vals, has_w, i)
    else:
        _insertion_sort(keys, vals, has_w, first, last)


def _std_sort(int32_t[::1] keys, double[::1] vals, bint has_w, int64_t first, int64_t last):
    """Sort the pairs ``(keys[i], vals[i])`` of ``[first, last)`` by key as
    libstdc++'s ``std::sort`` does (equal keys end in its order)."""
    if not (0 <= first <= last <= keys.shape[0]) or (has_w and vals.shape[0] < last):
        raise ValueError("_std_sort: range outside the arrays")
    cdef double dummy = 0.0
    if last - first > 1:
        with nogil:
            _introsort(&keys[0], &vals[0] if has_w else &dummy, has_w, first, last)


# -- CSR construction ------------------------------------------------------------
def _count_rows(const index_t[::1] src, const index_t[::1] dst, bint directed, int64_t[::1] counts, int64_t lo,
                int64_t hi):
    """``counts[r + 1]`` = entries of row ``r``, for the rows in ``[lo, hi)``,
    scanning every edge (reads are cheap)."""
    cdef int64_t e, r, c
    with nogil:
        for e in range(src.shape[0]):
            r = src[e]
            c = dst[e]
            if lo <= r < hi:
                counts[r + 1] += 1
            if not directed and c != r and lo <= c < hi:
                counts[c + 1] += 1


def _scatter(const index_t[::1] src, const index_t[::1] dst, const double[::1] w, bint has_w, bint directed,
             const int64_t[::1] indptr, int32_t[::1] indices, double[::1] data, int64_t lo, int64_t hi):
    """Entries of the rows in ``[lo, hi)`` into place in scipy's ``coo_tocsr``
    order: the edges as given, then (undirected) the reversed copies of the
    non-loop edges."""
    cursor_array = np.array(indptr[lo:hi], dtype=np.int64)
    cdef int64_t[::1] cursor = cursor_array
    cdef int64_t e, r, p
    with nogil:
        for e in range(src.shape[0]):
            r = src[e]
            if lo <= r < hi:
                p = cursor[r - lo]
                indices[p] = <int32_t>dst[e]
                if has_w:
                    data[p] = w[e]
                cursor[r - lo] = p + 1
        if not directed:
            for e in range(src.shape[0]):
                r = dst[e]
                if src[e] != r and lo <= r < hi:
                    p = cursor[r - lo]
                    indices[p] = <int32_t>src[e]
                    if has_w:
                        data[p] = w[e]
                    cursor[r - lo] = p + 1


def _row_blocks(indptr, n_blocks):
    """Row boundaries splitting the entries into ``n_blocks`` similar parts."""
    # (no negative indices here: the module is compiled with wraparound off)
    last = len(indptr) - 1
    targets = np.linspace(0, indptr[last], n_blocks + 1)
    bounds = np.searchsorted(indptr, targets, side="left")
    bounds[0], bounds[len(bounds) - 1] = 0, last
    return np.unique(np.minimum(bounds, last)).astype(np.int64)


def _block_calls(blocks, *args):
    """One ``(*args, lo, hi)`` call per block of rows."""
    return [(*args, int(blocks[i]), int(blocks[i + 1])) for i in range(len(blocks) - 1)]


def _rows_sorted(const int64_t[::1] indptr, const int32_t[::1] indices, int64_t lo, int64_t hi):
    cdef int64_t r, p
    cdef bint ok = True
    with nogil:
        for r in range(lo, hi):
            for p in range(indptr[r] + 1, indptr[r + 1]):
                if indices[p - 1] > indices[p]:
                    ok = False
                    break
            if not ok:
                break
    return ok


def _sort_rows(const int64_t[::1] indptr, int32_t[::1] indices, double[::1] data, bint has_w, int64_t lo, int64_t hi):
    cdef int64_t r
    cdef double dummy = 0.0
    cdef double *vals = &data[0] if data.shape[0] else &dummy
    if indices.shape[0] == 0:
        return
    with nogil:
        for r in range(lo, hi):
            _introsort(&indices[0], vals, has_w, indptr[r], indptr[r + 1])


def _merge_rows(const int64_t[::1] indptr, int32_t[::1] indices, double[::1] data, bint has_w,
                int64_t[::1] lengths, int64_t lo, int64_t hi):
    """Sum runs of equal columns left to right (scipy's ``csr_sum_duplicates``)
    and drop zero sums (``eliminate_zeros``), packing each row at its start."""
    cdef int64_t r, p, stop, out
    cdef int32_t col
    cdef double x
    with nogil:
        for r in range(lo, hi):
            p = indptr[r]
            stop = indptr[r + 1]
            out = p
            while p < stop:
                col = indices[p]
                x = data[p] if has_w else 1.0
                p += 1
                while p < stop and indices[p] == col:
                    if has_w:
                        x = x + data[p]
                    p += 1
                if x != 0.0:
                    indices[out] = col
                    if has_w:
                        data[out] = x
                    out += 1
            lengths[r] = out - indptr[r]


def _pack_rows(int64_t[::1] indptr, int32_t[::1] indices, double[::1] data, bint has_w, const int64_t[::1] lengths):
    """Close the gaps left by :func:`_merge_rows`; ``indptr`` becomes final."""
    cdef int64_t out = 0, r, start, k
    with nogil:
        for r in range(lengths.shape[0]):
            start = indptr[r]
            if start != out:
                for k in range(lengths[r]):
                    indices[out + k] = indices[start + k]
                    if has_w:
                        data[out + k] = data[start + k]
            indptr[r] = out
            out += lengths[r]
        indptr[lengths.shape[0]] = out
    return out


def csr_from_edges(src, dst, w, n, directed):
    """Sorted, merged CSR arrays of the edges ``src[e] -> dst[e]`` on ``n`` nodes.

    Parameters
    ----------
    src, dst : ndarray of int32 or int64
        Node positions in ``[0, n)``.
    w : ndarray of float64 or None
        Edge weights (finite, non-negative); ``None`` for an unweighted graph,
        whose merged duplicates keep weight 1.
    n : int
        Number of nodes.
    directed : bool
        When False each non-loop edge is stored in both rows, a self-loop
        once.  Weighted: parallel arcs ``u -> v`` are summed, then edge
        ``{u, v}`` weighs the larger of the sums of the two directions
        (``max(A, A.T)`` of the directed matrix ``A``), so that input that
        already lists both directions of each edge is not doubled.

    Returns
    -------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32
        Columns, strictly increasing within each row.
    data : ndarray of float64 or None
        Summed weights, none zero; ``None`` when ``w`` is None.

    Runs on as many threads as :func:`threads_for` gives (the kernels'
    thread count, or one for small input).
    """
    with pool_for(len(src)) as threads:
        return _csr_from_edges(src, dst, w, n, directed, threads)


def _csr_from_edges(src, dst, w, n, directed, threads):
    has_w = w is not None
    if has_w and not directed:
        # Parallel arcs are summed per direction, then the two directions of
        # an undirected edge are one edge weighing the larger (max(A, A.T)).
        indptr, indices, data = _csr_from_edges(src, dst, w, n, True, threads)
        return _symmetrize_max(indptr, indices, data, n, threads)
    if src.dtype != dst.dtype or src.dtype not in (np.int32, np.int64):
        src, dst = np.ascontiguousarray(src, dtype=np.int64), np.ascontiguousarray(dst, dtype=np.int64)
    # Rows split evenly for counting, by entries for scattering.
    indptr = np.zeros(n + 1, dtype=np.int64)
    even = np.linspace(0, n, threads.n_threads + 1).astype(np.int64)
    threads.map(_count_rows, _block_calls(even, src, dst, bool(directed), indptr))
    np.cumsum(indptr, out=indptr)
    nnz = int(indptr[n])
    indices = np.empty(nnz, dtype=np.int32)
    data = np.empty(nnz if has_w else 0, dtype=np.float64)
    blocks = _row_blocks(indptr, threads.n_threads)
    weights = np.ascontiguousarray(w, dtype=np.float64) if has_w else data
    threads.map(_scatter, _block_calls(blocks, src, dst, weights, has_w, bool(directed), indptr, indices, data))
    if not all(threads.map(_rows_sorted, _block_calls(blocks, indptr, indices))):
        threads.map(_sort_rows, _block_calls(blocks, indptr, indices, data, has_w))
    lengths = np.empty(n, dtype=np.int64)
    threads.map(_merge_rows, _block_calls(blocks, indptr, indices, data, has_w, lengths))
    kept = _pack_rows(indptr, indices, data, has_w, lengths)
    del lengths
    if kept < nnz:  # shrink in place (realloc), no second copy
        indices.resize(kept, refcheck=False)
        if has_w:
            data.resize(kept, refcheck=False)
    return indptr, indices, data if has_w else None


# -- undirected weights: the larger of the two directions ----------------------------
def _transpose(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] data, int64_t n):
    """CSR of the transpose; rows come out sorted (rows are scanned in order)."""
    cdef int64_t nnz = indices.shape[0], p, i, r, q
    cdef int32_t c
    tptr_array = np.zeros(n + 1, dtype=np.int64)
    tind_array = np.empty(nnz, dtype=np.int32)
    tdat_array = np.empty(nnz, dtype=np.float64)
    cursor_array = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] tptr = tptr_array, cursor = cursor_array
    cdef int32_t[::1] tind = tind_array
    cdef double[::1] tdat = tdat_array
    with nogil:
        for p in range(nnz):
            tptr[indices[p] + 1] += 1
        for i in range(n):
            tptr[i + 1] += tptr[i]
        for i in range(n):
            cursor[i] = tptr[i]
        for r in range(n):
            for p in range(indptr[r], indptr[r + 1]):
                c = indices[p]
                q = cursor[c]
                tind[q] = <int32_t>r
                tdat[q] = data[p]
                cursor[c] = q + 1
    return tptr_array, tind_array, tdat_array


def _union_lengths(const int64_t[::1] indptr, const int32_t[::1] indices, const int64_t[::1] tptr,
                   const int32_t[::1] tind, int64_t[::1] lengths, int64_t lo, int64_t hi):
    cdef int64_t r, p, pe, q, qe, k
    with nogil:
        for r in range(lo, hi):
            p = indptr[r]
            pe = indptr[r + 1]
            q = tptr[r]
            qe = tptr[r + 1]
            k = 0
            while p < pe or q < qe:
                if q >= qe or (p < pe and indices[p] < tind[q]):
                    p += 1
                elif p >= pe or tind[q] < indices[p]:
                    q += 1
                else:
                    p += 1
                    q += 1
                k += 1
            lengths[r + 1] = k


def _merge_max(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] data,
               const int64_t[::1] tptr, const int32_t[::1] tind, const double[::1] tdat, const int64_t[::1] optr,
               int32_t[::1] oind, double[::1] odat, int64_t lo, int64_t hi):
    cdef int64_t r, p, pe, q, qe, o
    with nogil:
        for r in range(lo, hi):
            p = indptr[r]
            pe = indptr[r + 1]
            q = tptr[r]
            qe = tptr[r + 1]
            o = optr[r]
            while p < pe or q < qe:
                if q >= qe or (p < pe and indices[p] < tind[q]):
                    oind[o] = indices[p]
                    odat[o] = data[p]
                    p += 1
                elif p >= pe or tind[q] < indices[p]:
                    oind[o] = tind[q]
                    odat[o] = tdat[q]
                    q += 1
                else:
                    oind[o] = indices[p]
                    odat[o] = data[p] if data[p] >= tdat[q] else tdat[q]  # max(a, b): a on ties, as Python's
                    p += 1
                    q += 1
                o += 1


def symmetrize_max(indptr, indices, data, n):
    """``max(A, A.T)`` of a sorted, merged CSR matrix with non-negative data:
    the undirected graph whose edge ``{u, v}`` weighs the larger of the arcs
    ``u -> v`` and ``v -> u`` (scipy's ``A.maximum(A.T)``, bit for bit)."""
    with pool_for(len(indices)) as threads:
        return _symmetrize_max(indptr, indices, data, n, threads)


def _symmetrize_max(indptr, indices, data, n, threads):
    tptr, tind, tdat = _transpose(indptr, indices, data, n)
    blocks = _row_blocks(indptr, threads.n_threads)
    lengths = np.zeros(n + 1, dtype=np.int64)
    threads.map(_union_lengths, _block_calls(blocks, indptr, indices, tptr, tind, lengths))
    optr = np.cumsum(lengths)
    del lengths
    oind = np.empty(int(optr[n]), dtype=np.int32)
    odat = np.empty(int(optr[n]), dtype=np.float64)
    threads.map(_merge_max, _block_calls(blocks, indptr, indices, data, tptr, tind, tdat, optr, oind, odat))
    return optr, oind, odat


# -- checks of a CSR structure given by hand (Graph's public constructor) -------------
#: Problems :func:`csr_problem` reports (0 = none).
CSR_OK, CSR_RANGE, CSR_ORDER, CSR_NOT_FINITE, CSR_NOT_POSITIVE, CSR_ASYMMETRIC = 0, 1, 2, 3, 4, 5


def _csr_problems(const int64_t[::1] indptr, const index_t[::1] indices, const double[::1] weights, bint has_w,
                  int64_t n, int64_t lo, int64_t hi):
    """``(code, entry)`` of the first problem in rows ``[lo, hi)``, ``(0, -1)`` if none."""
    cdef int64_t r, start, stop, p, c, code = 0, at = -1
    cdef double x
    with nogil:
        for r in range(lo, hi):
            start = indptr[r]
            stop = indptr[r + 1]
            for p in range(start, stop):
                c = indices[p]
                if c < 0 or c >= n:
                    code = 1
                elif p > start and indices[p - 1] >= c:
                    code = 2
                elif has_w:
                    x = weights[p]
                    if not isfinite(x):
                        code = 3
                    elif x <= 0.0:
                        code = 4
                if code:
                    at = p
                    break
            if code:
                break
    return code, at


def _asymmetric(const int64_t[::1] indptr, const index_t[::1] indices, const double[::1] weights, bint has_w,
                int64_t lo, int64_t hi):
    """The first entry ``(r, c)`` of rows ``[lo, hi)`` whose mirror ``(c, r)`` is
    missing or weighs differently, as ``(5, entry)``, or ``(0, -1)``; rows must
    be sorted (binary search)."""
    cdef int64_t r, p, c, a, b, mid, at = -1
    with nogil:
        for r in range(lo, hi):
            for p in range(indptr[r], indptr[r + 1]):
                c = indices[p]
                a = indptr[c]
                b = indptr[c + 1]
                while a < b:
                    mid = (a + b) // 2
                    if indices[mid] < r:
                        a = mid + 1
                    else:
                        b = mid
                if a == indptr[c + 1] or indices[a] != r or (has_w and weights[a] != weights[p]):
                    at = p
                    break
            if at >= 0:
                break
    if at >= 0:
        return 5, at
    return 0, -1


def csr_problem(indptr, indices, weights, n, directed):
    """The first problem of a CSR structure (``indptr`` already checked to
    run from 0 to ``len(indices)`` without decreasing): ``(code, entry)``,
    ``(CSR_OK, -1)`` when there is none."""
    has_w = weights is not None
    w = np.ascontiguousarray(weights, dtype=np.float64) if has_w else np.empty(0, dtype=np.float64)
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    if indices.dtype not in (np.int32, np.int64) or not indices.flags.c_contiguous:
        indices = np.ascontiguousarray(indices, dtype=np.int64)
    with pool_for(len(indices)) as threads:
        blocks = _row_blocks(indptr, threads.n_threads)
        found = threads.map(_csr_problems, _block_calls(blocks, indptr, indices, w, has_w, n))
        if not any(code for code, _ in found) and not directed:
            found = threads.map(_asymmetric, _block_calls(blocks, indptr, indices, w, has_w))
    for code, entry in found:  # blocks in row order: the first problem
        if code:
            return int(code), int(entry)
    return CSR_OK, -1
