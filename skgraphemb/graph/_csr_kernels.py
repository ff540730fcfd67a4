"""Kernels that turn integer edge columns into a sorted, merged CSR structure.

Two jobs, both numpy/numba only:

**Ranking integer ids.**  :func:`id_bitmap` marks the distinct values of some
integer columns in a presence bitmap over ``[lo, hi]`` (one bit per possible
id, plus one int64 running count per 64 ids: 0.25 bytes per id of the range),
:func:`bitmap_ids` lists them in increasing order and :func:`bitmap_positions`
maps each value to its rank among them (its position in the sorted distinct
ids), which is what ``np.unique(values, return_inverse=True)`` gives, without
sorting.  The caller decides when a range is dense enough for a bitmap.

**CSR from positions.**  :func:`csr_from_edges` does what
``scipy.sparse.coo_array((w, (src, dst))).tocsr()`` followed by
``sum_duplicates`` and ``eliminate_zeros`` does, with int64 row pointers and
int32 column indices: a counting sort by row (entries land in their row in
input order, as in scipy's ``coo_tocsr``), then -- only when some row is not
already in order, the test scipy makes -- each row sorted by
:func:`_std_sort`, a line-by-line port of libstdc++'s ``std::sort`` (the
introsort scipy's ``csr_sort_indices`` calls on (column, weight) pairs,
comparing columns only).  Duplicates are then summed left to right, so even
the rounding of a sum of three or more parallel edges matches scipy bit for
bit; ``std::sort`` is not stable, so any other sort could order equal
columns differently and change the last bit of such sums.
"""

from contextlib import contextmanager

import numba
import numpy as np

from skgraphemb._kernels._pool import KernelThreads, row_ranges

#: Work of fewer items (values, edges or bytes) runs on the calling thread
#: only: handing it to pool threads costs more than it saves there, and on a
#: busy machine a thread can wait milliseconds to be scheduled.
PARALLEL_MIN = 1 << 18

_ONE = np.uint64(1)
_SIX = np.uint64(6)
_63 = np.uint64(63)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_S2 = np.uint64(2)
_S4 = np.uint64(4)
_S56 = np.uint64(56)
_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort leaves runs this short to insertion sort


@contextmanager
def threads_for(n_items):
    """The number of threads for work of ``n_items``: numba's thread count
    (set from ``n_jobs`` by the caller; it is per calling thread), or 1 below
    :data:`PARALLEL_MIN`.  The drivers size their :class:`KernelThreads` with
    it; inside the block numba's count reads the same."""
    saved = numba.get_num_threads()
    if n_items >= PARALLEL_MIN or saved == 1:
        yield saved
        return
    numba.set_num_threads(1)
    try:
        yield 1
    finally:
        numba.set_num_threads(saved)


@contextmanager
def pool_for(n_items, name="skgraphemb-csr"):
    """A :class:`KernelThreads` of :func:`threads_for` ``(n_items)`` threads."""
    with threads_for(n_items) as n_threads, KernelThreads(n_threads, name) as threads:
        yield threads


# -- integer id ranking ----------------------------------------------------------
# Serial nogil kernels over a slice [a, b) of values or bitmap words, run on
# several threads by KernelThreads (each thread writes its own slice).
@numba.njit(cache=True, nogil=True)
def _int_range(values, a, b):
    lo = np.int64(values[a])
    hi = lo
    for i in range(a, b):
        v = np.int64(values[i])
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    return lo, hi


def int_range(values, n_threads):
    """Smallest and largest value of a non-empty integer array, as int64."""
    with KernelThreads(n_threads, "skgraphemb-ids") as threads:
        parts = threads.map(_int_range, [(values, a, b) for a, b in row_ranges(len(values), threads.n_threads)])
    return min(p[0] for p in parts), max(p[1] for p in parts)


@numba.njit(inline="always", cache=True)
def _popcount(x):
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return np.int64((x * _H01) >> _S56)


@numba.njit(cache=True, nogil=True)
def _mark_bits(values, lo, row, a, b):
    """Set bit ``v - lo`` of ``row`` for the values ``values[a:b]``."""
    for i in range(a, b):
        k = np.uint64(np.int64(values[i]) - lo)
        row[k >> _SIX] |= _ONE << (k & _63)


@numba.njit(cache=True, nogil=True)
def _or_rows(bits, a, b):
    """OR the rows of ``bits`` into row 0, for the words ``a .. b``."""
    for w in range(a, b):
        acc = bits[0, w]
        for t in range(1, bits.shape[0]):
            acc |= bits[t, w]
        bits[0, w] = acc


@numba.njit(cache=True, nogil=True)
def _ranks(words):
    """Number of set bits before each word; the total is the last entry."""
    rank = np.empty(words.shape[0] + 1, dtype=np.int64)
    total = np.int64(0)
    for w in range(words.shape[0]):
        rank[w] = total
        total += _popcount(words[w])
    rank[words.shape[0]] = total
    return rank


def id_bitmap(columns, lo, hi, n_threads):
    """Presence bitmap of the values of ``columns`` over ``[lo, hi]``.

    Each thread marks its share of a column in its own row of words (so no
    two threads write one word); the rows are then OR-ed together.

    Returns
    -------
    words : ndarray of uint64, shape (ceil((hi - lo + 1) / 64),)
        Bit ``k`` is set when ``lo + k`` occurs.
    rank : ndarray of int64, shape (len(words) + 1,)
        Set bits before each word; ``rank[-1]`` is the number of distinct
        values.
    """
    n_words = (int(hi) - int(lo)) // 64 + 1
    words = None
    with KernelThreads(n_threads, "skgraphemb-ids") as threads:
        for col in columns:
            if len(col) == 0:
                continue
            slices = row_ranges(len(col), threads.n_threads)
            bits = np.zeros((len(slices), n_words), dtype=np.uint64)
            threads.map(_mark_bits, [(col, np.int64(lo), bits[t], a, b) for t, (a, b) in enumerate(slices)])
            threads.map(_or_rows, [(bits, a, b) for a, b in row_ranges(n_words, threads.n_threads)])
            words = bits[0].copy() if words is None else np.bitwise_or(words, bits[0], out=words)
            del bits
    if words is None:
        words = np.zeros(n_words, dtype=np.uint64)
    return words, _ranks(words)


@numba.njit(cache=True, nogil=True)
def _bitmap_ids(words, rank, lo, ids, a, b):
    for w in range(a, b):
        word = words[w]
        out = rank[w]
        bit = np.int64(0)
        while word != 0:
            if word & _ONE:
                ids[out] = lo + w * 64 + bit
                out += 1
            word >>= _ONE
            bit += 1


def bitmap_ids(words, rank, lo, n_threads):
    """The values whose bit is set, increasing, as int64."""
    ids = np.empty(rank[-1], dtype=np.int64)
    with KernelThreads(n_threads, "skgraphemb-ids") as threads:
        threads.map(_bitmap_ids, [(words, rank, lo, ids, a, b) for a, b in row_ranges(len(words), threads.n_threads)])
    return ids


@numba.njit(cache=True, nogil=True)
def _bitmap_positions(values, lo, hi, words, rank, out, a, b):
    missing = 0
    for i in range(a, b):
        v = np.int64(values[i])
        if v < lo or v > hi:
            out[i] = -1
            missing += 1
        else:
            k = np.uint64(v - lo)
            w = k >> _SIX
            bit = _ONE << (k & _63)
            if words[w] & bit:
                out[i] = rank[w] + _popcount(words[w] & (bit - _ONE))
            else:
                out[i] = -1
                missing += 1
    return missing


def bitmap_positions(values, lo, hi, words, rank, out, n_threads):
    """``out[i]`` = rank of ``values[i]`` among the set bits (its position in
    the sorted distinct ids), or -1 when its bit is not set.

    Returns the number of such missing values.
    """
    with KernelThreads(n_threads, "skgraphemb-ids") as threads:
        calls = [(values, lo, hi, words, rank, out, a, b) for a, b in row_ranges(len(values), threads.n_threads)]
        return sum(threads.map(_bitmap_positions, calls))


@numba.njit(cache=True, nogil=True)
def _remap(positions, order, a, b):
    for i in range(a, b):
        if positions[i] >= 0:
            positions[i] = order[positions[i]]


def remap(positions, order, n_threads):
    """``positions[i] = order[positions[i]]`` where ``positions[i] >= 0``."""
    with KernelThreads(n_threads, "skgraphemb-ids") as threads:
        threads.map(_remap, [(positions, order, a, b) for a, b in row_ranges(len(positions), threads.n_threads)])


# -- libstdc++ std::sort on (key, value) pairs, comparing keys ---------------------
# Element i is the pair (keys[i], vals[i]); with has_w False only keys move.
@numba.njit(inline="always", cache=True)
def _swap(keys, vals, has_w, i, j):
    keys[i], keys[j] = keys[j], keys[i]
    if has_w:
        vals[i], vals[j] = vals[j], vals[i]


@numba.njit(inline="always", cache=True)
def _move(keys, vals, has_w, dst, src):
    keys[dst] = keys[src]
    if has_w:
        vals[dst] = vals[src]


@numba.njit(cache=True, nogil=True)
def _unguarded_linear_insert(keys, vals, has_w, last):
    key, val = keys[last], vals[last] if has_w else 0.0
    nxt = last - 1
    while key < keys[nxt]:
        _move(keys, vals, has_w, last, nxt)
        last = nxt
        nxt -= 1
    keys[last] = key
    if has_w:
        vals[last] = val


@numba.njit(cache=True, nogil=True)
def _insertion_sort(keys, vals, has_w, first, last):
    if first == last:
        return
    for i in range(first + 1, last):
        if keys[i] < keys[first]:
            key, val = keys[i], vals[i] if has_w else 0.0
            for j in range(i, first, -1):  # move_backward(first, i, i + 1)
                _move(keys, vals, has_w, j, j - 1)
            keys[first] = key
            if has_w:
                vals[first] = val
        else:
            _unguarded_linear_insert(keys, vals, has_w, i)


@numba.njit(cache=True, nogil=True)
def _adjust_heap(keys, vals, has_w, first, hole, length, key, val):
    top = hole
    second = hole
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


@numba.njit(cache=True, nogil=True)
def _heap_sort(keys, vals, has_w, first, last):
    """``std::__partial_sort(first, last, last)``: make_heap then sort_heap."""
    length = last - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            key, val = keys[first + parent], vals[first + parent] if has_w else 0.0
            _adjust_heap(keys, vals, has_w, first, parent, length, key, val)
            if parent == 0:
                break
            parent -= 1
    while last - first > 1:
        last -= 1
        # __pop_heap(first, last, last)
        key, val = keys[last], vals[last] if has_w else 0.0
        _move(keys, vals, has_w, last, first)
        _adjust_heap(keys, vals, has_w, first, 0, last - first, key, val)


@numba.njit(cache=True, nogil=True)
def _partition_pivot(keys, vals, has_w, first, last):
    """``std::__unguarded_partition_pivot``: median of three, then Hoare."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
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
    lo, hi = first + 1, last
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


@numba.njit(inline="always", cache=True)
def _floor_log2(n):
    lg = 0
    while n > 1:
        n >>= 1
        lg += 1
    return lg


@numba.njit(cache=True, nogil=True)
def _std_sort(keys, vals, has_w, first, last):
    """Sort ``[first, last)`` exactly as libstdc++'s ``std::sort`` would.

    ``__introsort_loop`` recurses on the right part and loops on the left;
    the parts are disjoint, so an explicit stack visiting them in any order
    moves every element as the recursion does.
    """
    n = last - first
    if n <= 1:
        return
    if n > _THRESHOLD:
        depth = 2 * _floor_log2(n)  # std::__lg(n) * 2
        cap = (depth + 1) * (depth + 2) // 2 + 1
        s_first = np.empty(cap, dtype=np.int64)
        s_last = np.empty(cap, dtype=np.int64)
        s_depth = np.empty(cap, dtype=np.int64)
        s_first[0], s_last[0], s_depth[0] = first, last, depth
        top = 1
        while top > 0:
            top -= 1
            lo, hi, d = s_first[top], s_last[top], s_depth[top]
            while hi - lo > _THRESHOLD:
                if d == 0:
                    _heap_sort(keys, vals, has_w, lo, hi)
                    break
                d -= 1
                cut = _partition_pivot(keys, vals, has_w, lo, hi)
                s_first[top], s_last[top], s_depth[top] = cut, hi, d
                top += 1
                hi = cut
        # __final_insertion_sort
        _insertion_sort(keys, vals, has_w, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(keys, vals, has_w, i)
    else:
        _insertion_sort(keys, vals, has_w, first, last)


# -- CSR construction ------------------------------------------------------------
# Serial nogil kernels over a range of rows [lo, hi); the drivers below run one
# call per thread with KernelThreads, each on its own rows (no two threads
# write one row).
@numba.njit(cache=True, nogil=True)
def _count_rows(src, dst, directed, counts, lo, hi):
    """``counts[r + 1]`` = entries of row ``r``, for the rows in ``[lo, hi)``,
    scanning every edge (reads are cheap)."""
    for e in range(src.shape[0]):
        r, c = src[e], dst[e]
        if lo <= r < hi:
            counts[r + 1] += 1
        if not directed and c != r and lo <= c < hi:
            counts[c + 1] += 1


@numba.njit(cache=True, nogil=True)
def _scatter(src, dst, w, has_w, directed, indptr, indices, data, lo, hi):
    """Entries of the rows in ``[lo, hi)`` into place in scipy's ``coo_tocsr``
    order: the edges as given, then (undirected) the reversed copies of the
    non-loop edges."""
    cursor = indptr[lo:hi].copy()
    for e in range(src.shape[0]):
        r = src[e]
        if lo <= r < hi:
            p = cursor[r - lo]
            indices[p] = dst[e]
            if has_w:
                data[p] = w[e]
            cursor[r - lo] = p + 1
    if not directed:
        for e in range(src.shape[0]):
            r = dst[e]
            if src[e] != r and lo <= r < hi:
                p = cursor[r - lo]
                indices[p] = src[e]
                if has_w:
                    data[p] = w[e]
                cursor[r - lo] = p + 1


def _row_blocks(indptr, n_blocks):
    """Row boundaries splitting the entries into ``n_blocks`` similar parts."""
    targets = np.linspace(0, indptr[-1], n_blocks + 1)
    bounds = np.searchsorted(indptr, targets, side="left")
    bounds[0], bounds[-1] = 0, len(indptr) - 1
    return np.unique(np.minimum(bounds, len(indptr) - 1)).astype(np.int64)


def _block_calls(blocks, *args):
    """One ``(*args, lo, hi)`` call per block of rows."""
    return [(*args, int(lo), int(hi)) for lo, hi in zip(blocks[:-1], blocks[1:])]


@numba.njit(cache=True, nogil=True)
def _rows_sorted(indptr, indices, lo, hi):
    for r in range(lo, hi):
        for p in range(indptr[r] + 1, indptr[r + 1]):
            if indices[p - 1] > indices[p]:
                return False
    return True


@numba.njit(cache=True, nogil=True)
def _sort_rows(indptr, indices, data, has_w, lo, hi):
    for r in range(lo, hi):
        _std_sort(indices, data, has_w, indptr[r], indptr[r + 1])


@numba.njit(cache=True, nogil=True)
def _merge_rows(indptr, indices, data, has_w, lengths, lo, hi):
    """Sum runs of equal columns left to right (scipy's ``csr_sum_duplicates``)
    and drop zero sums (``eliminate_zeros``), packing each row at its start."""
    for r in range(lo, hi):
        p, stop = indptr[r], indptr[r + 1]
        out = p
        while p < stop:
            col = indices[p]
            x = data[p] if has_w else 1.0
            p += 1
            while p < stop and indices[p] == col:
                if has_w:
                    x += data[p]
                p += 1
            if x != 0.0:
                indices[out] = col
                if has_w:
                    data[out] = x
                out += 1
        lengths[r] = out - indptr[r]


@numba.njit(cache=True, nogil=True)
def _pack_rows(indptr, indices, data, has_w, lengths):
    """Close the gaps left by :func:`_merge_rows`; ``indptr`` becomes final."""
    out = np.int64(0)
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

    Runs on as many threads as :func:`threads_for` gives (numba's thread
    count, or one for small input).
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
    # Rows split evenly for counting, by entries for scattering.
    indptr = np.zeros(n + 1, dtype=np.int64)
    even = np.linspace(0, n, threads.n_threads + 1).astype(np.int64)
    threads.map(_count_rows, _block_calls(even, src, dst, directed, indptr))
    np.cumsum(indptr, out=indptr)
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int32)
    data = np.empty(nnz if has_w else 0, dtype=np.float64)
    blocks = _row_blocks(indptr, threads.n_threads)
    threads.map(_scatter, _block_calls(blocks, src, dst, w if has_w else data, has_w, directed, indptr, indices, data))
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
@numba.njit(cache=True, nogil=True)
def _transpose(indptr, indices, data, n):
    """CSR of the transpose; rows come out sorted (rows are scanned in order)."""
    nnz = indices.shape[0]
    tptr = np.zeros(n + 1, dtype=np.int64)
    for p in range(nnz):
        tptr[indices[p] + 1] += 1
    for i in range(n):
        tptr[i + 1] += tptr[i]
    cursor = tptr[:n].copy()
    tind = np.empty(nnz, dtype=indices.dtype)
    tdat = np.empty(nnz, dtype=np.float64)
    for r in range(n):
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            q = cursor[c]
            tind[q] = r
            tdat[q] = data[p]
            cursor[c] = q + 1
    return tptr, tind, tdat


@numba.njit(cache=True, nogil=True)
def _union_lengths(indptr, indices, tptr, tind, lengths, lo, hi):
    for r in range(lo, hi):
        p, pe, q, qe = indptr[r], indptr[r + 1], tptr[r], tptr[r + 1]
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


@numba.njit(cache=True, nogil=True)
def _merge_max(indptr, indices, data, tptr, tind, tdat, optr, oind, odat, lo, hi):
    for r in range(lo, hi):
        p, pe, q, qe = indptr[r], indptr[r + 1], tptr[r], tptr[r + 1]
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
                odat[o] = max(data[p], tdat[q])
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
    oind = np.empty(int(optr[-1]), dtype=indices.dtype)
    odat = np.empty(int(optr[-1]), dtype=np.float64)
    threads.map(_merge_max, _block_calls(blocks, indptr, indices, data, tptr, tind, tdat, optr, oind, odat))
    return optr, oind, odat


# -- checks of a CSR structure given by hand (Graph's public constructor) -------------
#: Problems :func:`csr_problem` reports (0 = none).
CSR_OK, CSR_RANGE, CSR_ORDER, CSR_NOT_FINITE, CSR_NOT_POSITIVE, CSR_ASYMMETRIC = 0, 1, 2, 3, 4, 5


@numba.njit(cache=True, nogil=True)
def _csr_problems(indptr, indices, weights, has_w, n, lo, hi):
    """``(code, entry)`` of the first problem in rows ``[lo, hi)``, ``(0, -1)`` if none."""
    for r in range(lo, hi):
        start, stop = indptr[r], indptr[r + 1]
        for p in range(start, stop):
            c = indices[p]
            code = 0
            if c < 0 or c >= n:
                code = 1
            elif p > start and indices[p - 1] >= c:
                code = 2
            elif has_w:
                x = weights[p]
                if not np.isfinite(x):
                    code = 3
                elif x <= 0.0:
                    code = 4
            if code:
                return code, p
    return 0, -1


@numba.njit(cache=True, nogil=True)
def _asymmetric(indptr, indices, weights, has_w, lo, hi):
    """The first entry ``(r, c)`` of rows ``[lo, hi)`` whose mirror ``(c, r)`` is
    missing or weighs differently, as ``(5, entry)``, or ``(0, -1)``; rows must
    be sorted (binary search)."""
    for r in range(lo, hi):
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            a, b = indptr[c], indptr[c + 1]
            while a < b:
                mid = (a + b) // 2
                if indices[mid] < r:
                    a = mid + 1
                else:
                    b = mid
            if a == indptr[c + 1] or indices[a] != r or (has_w and weights[a] != weights[p]):
                return 5, p
    return 0, -1


def csr_problem(indptr, indices, weights, n, directed):
    """The first problem of a CSR structure (``indptr`` already checked to
    run from 0 to ``len(indices)`` without decreasing): ``(code, entry)``,
    ``(CSR_OK, -1)`` when there is none."""
    has_w = weights is not None
    w = weights if has_w else np.empty(0, dtype=np.float64)
    with pool_for(len(indices)) as threads:
        blocks = _row_blocks(indptr, threads.n_threads)
        found = threads.map(_csr_problems, _block_calls(blocks, indptr, indices, w, has_w, n))
        if not any(code for code, _ in found) and not directed:
            found = threads.map(_asymmetric, _block_calls(blocks, indptr, indices, w, has_w))
    for code, entry in found:  # blocks in row order: the first problem
        if code:
            return int(code), int(entry)
    return CSR_OK, -1
