"""Numba kernels that rank integer node ids without sorting them.

:func:`id_bitmap` marks the distinct values of some integer columns in a
presence bitmap over ``[lo, hi]`` (one bit per possible id, plus one int64
running count per 64 ids: 0.25 bytes per id of the range), :func:`bitmap_ids`
lists them in increasing order and :func:`bitmap_positions` maps each value to
its rank among them (its position in the sorted distinct ids), which is what
``np.unique(values, return_inverse=True)`` gives, without sorting.  The caller
(:mod:`skgraphemb.graph._build`) decides when a range is dense enough for a
bitmap.  The CSR structure built from the ranks is made by the compiled
kernels of :mod:`skgraphemb.graph._csr_kernels`.
"""

import numba
import numpy as np

from skgraphemb._kernels._pool import KernelThreads, row_ranges

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
