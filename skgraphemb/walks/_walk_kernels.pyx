# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Bindings of the walk kernels (``_walk_kernels.h``), compiled when the
package is installed: arrays in, arrays out.  The driver
:mod:`skgraphemb.walks._plan` owns chunking, threads and progress; the
public functions (validation) are in :mod:`skgraphemb.walks`.

The CSR arrays are those of :class:`~skgraphemb.Graph`: ``indptr`` int64,
``indices`` int32 (sorted, unique within each row); ``weights``,
``alias_prob``, ``alias_node`` and ``strength`` are empty for an unweighted
graph.  The walk and table kernels release the GIL: the driver's threads
run them on disjoint rows at once.  Argument types are checked here (a
wrong dtype or layout raises ``ValueError``); node positions are trusted to
lie in the graph, which the driver has checked.
"""

from libc.stdint cimport int32_t, int64_t, uint64_t

import numpy as np

cdef extern from "_walk_kernels.h" nogil:
    ctypedef struct walk_graph:
        const int64_t *indptr
        const int32_t *indices
        const double *weights
        const double *alias_prob
        const int32_t *alias_node
        const double *strength
        int directed
        int second_order
        double inv_p
        double inv_q
        uint64_t seed

    void walk_alias_tables(const int64_t *indptr, const int32_t *indices, const double *weights, double *alias_prob,
                           int32_t *alias_node, double *strength, int32_t *work, int64_t lo, int64_t hi)
    void walk_start_permutation(int32_t *perm, int64_t n, uint64_t seed, uint64_t round)
    int64_t walk_edge_position(const int64_t *indptr, const int32_t *indices, int64_t u, int64_t x)
    int64_t walk_first_order_step(const walk_graph *g, int64_t v, uint64_t *state)
    int64_t walk_rejection_step(const walk_graph *g, int64_t t, int64_t v, int64_t max_trials, uint64_t *state)
    int64_t walk_exact_step(const walk_graph *g, int64_t t, int64_t v, uint64_t *state)
    int64_t walk_node2vec_step(const walk_graph *g, int64_t t, int64_t v, uint64_t *state)
    void c_walk_chunk "walk_chunk"(const walk_graph *g, int64_t first_walk, const int32_t *starts, int64_t n,
                                   int32_t *out, int64_t length)
    uint64_t sge_item_state(uint64_t seed, uint64_t index)


cdef walk_graph _graph(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] weights,
                       const double[::1] alias_prob, const int32_t[::1] alias_node, const double[::1] strength,
                       bint directed, bint second_order, double inv_p, double inv_q, uint64_t seed):
    cdef walk_graph g
    cdef int64_t n = indptr.shape[0] - 1
    if n < 0 or indices.shape[0] != indptr[n]:
        raise ValueError("indptr and indices are not one CSR matrix")
    if weights.shape[0] not in (0, indices.shape[0]) or alias_prob.shape[0] != alias_node.shape[0] \
            or alias_prob.shape[0] not in (0, indices.shape[0]) or strength.shape[0] not in (0, n):
        raise ValueError("weights, alias tables and strength must be empty or one per edge / node")
    g.indptr = &indptr[0]
    g.indices = &indices[0] if indices.shape[0] else NULL
    g.weights = &weights[0] if weights.shape[0] else NULL
    g.alias_prob = &alias_prob[0] if alias_prob.shape[0] else NULL
    g.alias_node = &alias_node[0] if alias_node.shape[0] else NULL
    g.strength = &strength[0] if strength.shape[0] else NULL
    g.directed = directed
    g.second_order = second_order
    g.inv_p = inv_p
    g.inv_q = inv_q
    g.seed = seed
    return g


def alias_tables(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] weights,
                 double[::1] alias_prob, int32_t[::1] alias_node, double[::1] strength, int32_t[::1] work,
                 int64_t lo, int64_t hi):
    """Walker alias tables of CSR rows ``lo .. hi - 1``, for O(1) weighted
    draws, written into ``alias_prob``, ``alias_node`` (one slot per edge)
    and ``strength`` (total out-weight per node); ``work`` (one int32 per
    edge) is scratch.  Rows are independent: threads can build disjoint row
    ranges of the same tables at once.  A draw picks a slot ``j`` of the row
    uniformly and keeps ``indices[j]`` with probability ``alias_prob[j]``,
    else takes ``alias_node[j]``: ``x`` with probability ``w(v, x) / W``."""
    cdef int64_t nnz = indices.shape[0]
    if not (0 <= lo <= hi <= indptr.shape[0] - 1 and weights.shape[0] == nnz and alias_prob.shape[0] == nnz
            and alias_node.shape[0] == nnz and work.shape[0] == nnz and strength.shape[0] == indptr.shape[0] - 1):
        raise ValueError("alias_tables: arrays of inconsistent sizes")
    if lo == hi:
        return
    with nogil:
        walk_alias_tables(&indptr[0], &indices[0] if nnz else NULL, &weights[0] if nnz else NULL,
                          &alias_prob[0] if nnz else NULL, &alias_node[0] if nnz else NULL, &strength[0],
                          &work[0] if nnz else NULL, lo, hi)


def start_permutation(int64_t n_nodes, uint64_t seed, uint64_t round_index):
    """Start nodes of walk round ``round_index``: a permutation of all nodes.

    Shuffling the start nodes of each round decorrelates consecutive walks
    that a skip-gram trainer sees (PecanPy does the same).  A Fisher-Yates
    shuffle driven by its own stream, so it is the same for any thread
    count or chunking.

    Returns
    -------
    perm : ndarray of int32, shape (n_nodes,)
    """
    perm = np.empty(n_nodes, dtype=np.int32)
    cdef int32_t[::1] view = perm
    if n_nodes:
        walk_start_permutation(&view[0], n_nodes, seed, round_index)
    return perm


def edge_position(const int64_t[::1] indptr, const int32_t[::1] indices, int64_t u, int64_t x):
    """Position of the edge ``u -> x`` in ``indices``, or -1 if absent
    (binary search on row ``u``, which is sorted)."""
    if not 0 <= u < indptr.shape[0] - 1:
        raise ValueError(f"no row {u}")
    if indices.shape[0] == 0:
        return -1
    return walk_edge_position(&indptr[0], &indices[0], u, x)


def walk_chunk(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] weights,
               const double[::1] alias_prob, const int32_t[::1] alias_node, const double[::1] strength,
               bint directed, bint second_order, double inv_p, double inv_q, uint64_t seed, int64_t first_walk,
               const int32_t[::1] starts, int32_t[:, ::1] out):
    """Generate ``starts.shape[0]`` walks into ``out`` (int32, ``(n_walks,
    walk_length)``): walk ``i`` starts at ``starts[i]``, draws from the
    stream ``(seed, first_walk + i)`` and is ``-1`` after a dead end (a node
    without out-edge).

    ``second_order`` False gives first-order walks (node2vec with ``p = q =
    1``: no neighbour tests); True, exact node2vec walks with biases
    ``inv_p = 1/p`` and ``inv_q = 1/q``.  Threads that each generate a
    contiguous share of a chunk (row slices of ``starts`` and ``out``,
    ``first_walk`` offset to match) give the same walks for any count.
    """
    cdef walk_graph g = _graph(indptr, indices, weights, alias_prob, alias_node, strength, directed, second_order,
                               inv_p, inv_q, seed)
    if out.shape[0] != starts.shape[0]:
        raise ValueError("walk_chunk: one start node per row of out")
    if starts.shape[0] == 0 or out.shape[1] == 0:
        return
    with nogil:
        c_walk_chunk(&g, first_walk, &starts[0], starts.shape[0], &out[0, 0], out.shape[1])


# Samplers of sample_steps (tests compare each one's law with node2vec's).
SAMPLERS = {"step": 0, "rejection": 1, "exact": 2, "first_order": 3}


def sample_steps(const int64_t[::1] indptr, const int32_t[::1] indices, const double[::1] weights,
                 const double[::1] alias_prob, const int32_t[::1] alias_node, const double[::1] strength,
                 bint directed, int64_t t, int64_t v, double inv_p, double inv_q, int method, int64_t n,
                 uint64_t seed, int64_t max_trials=-1):
    """Histogram of ``n`` draws of one step from ``v`` (previous node ``t``)
    by one sampler (``SAMPLERS``): draw ``i`` uses the stream ``(seed, i)``.
    For the tests of each sampler's law; ``rejection`` with ``max_trials``
    (default: unbounded) counts exhausted draws in an extra last bin."""
    cdef walk_graph g = _graph(indptr, indices, weights, alias_prob, alias_node, strength, directed, True,
                               inv_p, inv_q, 0)
    cdef int64_t n_nodes = indptr.shape[0] - 1
    if not (0 <= v < n_nodes and 0 <= method <= 3 and (method == 3 or 0 <= t < n_nodes)):
        raise ValueError("sample_steps: t, v or method out of range")
    counts = np.zeros(n_nodes + 1, dtype=np.int64)
    cdef int64_t[::1] c = counts
    cdef int64_t i, x
    cdef uint64_t state
    cdef int64_t trials = max_trials if max_trials >= 0 else (<int64_t>1) << 62
    with nogil:
        for i in range(n):
            state = sge_item_state(seed, <uint64_t>i)
            if method == 0:
                x = walk_node2vec_step(&g, t, v, &state)
            elif method == 1:
                x = walk_rejection_step(&g, t, v, trials, &state)
            elif method == 2:
                x = walk_exact_step(&g, t, v, &state) if indptr[v + 1] > indptr[v] else -1
            else:
                x = walk_first_order_step(&g, v, &state)
            c[x if x >= 0 else n_nodes] += 1
    return counts
