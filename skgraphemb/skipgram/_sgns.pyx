# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Bindings of the skip-gram kernels (``_sgns.h``), compiled when the package
is installed: arrays in, arrays out, no sklearn, logging or tqdm.  The
Python driver :mod:`skgraphemb.skipgram._native` owns the vocabulary
statistics, the learning-rate schedule, chunking, threads and progress.

Every training kernel releases the GIL: the driver's thread pool runs them
on disjoint work at once.  Argument types are checked by the bindings (a
wrong dtype or layout raises ``ValueError``); node positions are trusted to
lie in ``0 .. n_nodes - 1``, which the driver has checked.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

import numpy as np

cdef extern from "_sgns.h" nogil:
    ctypedef struct sgns_tables:
        const uint64_t *keep
        const uint64_t *neg_threshold
        const int32_t *neg_alias
        int64_t n_nodes
        int64_t dim
        int64_t window
        int64_t negative
        uint64_t seed

    uint64_t sge_item_state(uint64_t seed, uint64_t index)
    void sgns_init_vectors(float *out, int64_t n_nodes, int64_t dim, uint64_t seed)
    void sgns_sigmoid(const float *x, int64_t n, float *out)
    void sgns_alias_table(const double *weights, int64_t n, uint64_t *threshold, int32_t *alias, double *work)
    int64_t sgns_count_tokens(const int32_t *walks, int64_t n, int64_t width, int64_t *counts)
    void sgns_walk_lengths(const int32_t *walks, int64_t n, int64_t width, int64_t *out)
    void sgns_walk_digest(const int32_t *walks, int64_t n, int64_t width, uint64_t *out)
    int64_t sgns_format_walks(const int32_t *walks, int64_t n, int64_t width, uint8_t *buf)
    int64_t sgns_train_walks_hogwild(const int32_t *walks, int64_t n_walks, int64_t width, int64_t first_walk,
                                     const double *alphas, float *syn0, float *syn1, const sgns_tables *tb)
    ctypedef struct sgns_rounds:
        int32_t *plans
        int64_t plan_words
        int64_t shards
        int64_t shard_size
        int64_t n_parts
        int32_t *in_rows
        int32_t *in_order
        int32_t *out_rows
        int32_t *out_order
        int64_t *in_bounds
        int64_t *out_bounds
        int64_t n_in_max
        int64_t n_out_max
        float *in_local
        float *out_local

    int64_t sgns_plan_words(int64_t shard_size, int64_t width, int64_t negative)
    int64_t sgns_train_rounds(const int32_t *walks, int64_t n_walks, int64_t width, int64_t first_walk,
                              const double *alphas, float *syn0, float *syn1, const sgns_tables *tb,
                              int32_t *in_map, int32_t *out_map, const sgns_rounds *rd, int64_t part,
                              int32_t *barrier)
    void sgns_barrier_stop(int32_t *barrier)
    int sgns_simd_width()
    int sgns_set_simd_width(int width)
    enum: SGNS_B_THREADS, SGNS_B_PLANNED_AHEAD, SGNS_B_WORDS

#: The logits' range: beyond it the sigmoid is taken as exactly 0 or 1 (word2vec.c's MAX_EXP).
MAX_EXP = 6.0


def simd_width():
    """The block width (floats) of the window products in use: 16 on CPUs
    with AVX-512 (x86-64-v4, in builds by GCC for x86-64 Linux), else 8."""
    return sgns_simd_width()


def set_simd_width(int width):
    """Run the window products in blocks of ``width`` floats: 16 where the
    CPU runs them, else 8 (returned).  The width changes the last bits of
    the vectors, never their distribution; for tests and benchmarks that
    compare the two, set before training and not while a fit runs."""
    if width not in (8, 16):
        raise ValueError(f"set_simd_width: width must be 8 or 16, got {width}")
    return sgns_set_simd_width(width)

# Empty arrays have no first element to point to: kernels get this instead.
cdef int32_t _NO_INT = 0
cdef float _NO_FLOAT = 0
cdef double _NO_DOUBLE = 0


cdef inline const int32_t *_walks_ptr(const int32_t[:, ::1] walks) noexcept nogil:
    return &walks[0, 0] if walks.shape[0] * walks.shape[1] else &_NO_INT


def item_state(uint64_t seed, uint64_t index):
    """The first state of stream ``index`` under ``seed`` (as in
    :func:`skgraphemb._kernels._random.item_state`), a Python int."""
    return sge_item_state(seed, index)


def init_vectors(int64_t n_nodes, int64_t dimensions, uint64_t seed, out=None):
    """Input vectors uniform in ``[-1/d, 1/d)`` (gensim 4's scale), row ``v``
    from the stream ``(seed, v)``: a node's start does not depend on the
    number of nodes, the walks or the threads.  Written into ``out``
    (float32, C-contiguous, ``(n_nodes, dimensions)``) when given.

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
    """
    if out is None:
        out = np.empty((n_nodes, dimensions), dtype=np.float32)
    elif not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.flags.c_contiguous
              and out.shape == (n_nodes, dimensions)):
        raise ValueError(f"init_vectors: out must be a C-contiguous float32 array of shape ({n_nodes}, {dimensions})")
    cdef float[:, ::1] view = out
    if n_nodes * dimensions:
        with nogil:
            sgns_init_vectors(&view[0, 0], n_nodes, dimensions, seed)
    return out


def sigmoid(const float[::1] x):
    """The sigmoid of each logit in ``x`` (float32) as the kernels take it:
    ``1 / (1 + exp(-x))`` computed in float32 inside ``(-MAX_EXP, MAX_EXP)``,
    exactly 1 at or above ``MAX_EXP``, 0 at or below ``-MAX_EXP`` and for
    NaN."""
    out = np.empty(x.shape[0], dtype=np.float32)
    cdef float[::1] view = out
    if x.shape[0]:
        sgns_sigmoid(&x[0], x.shape[0], &view[0])
    return out


def alias_table(weights):
    """Walker/Vose alias table for drawing indices proportionally to
    ``weights`` (non-negative, positive sum): O(1) and branch-light per draw.

    Returns
    -------
    threshold : ndarray of shape (n,), uint64
        Slot ``i`` keeps ``i`` when a 32-bit uniform draw is below
        ``threshold[i]`` (at most ``2**32``), else takes ``alias[i]``.
    alias : ndarray of shape (n,), int32
    """
    cdef const double[::1] w = np.ascontiguousarray(weights, dtype=np.float64)
    cdef int64_t n = w.shape[0]
    threshold = np.empty(n, dtype=np.uint64)
    alias = np.empty(n, dtype=np.int32)
    work = np.empty(3 * n, dtype=np.float64)
    cdef uint64_t[::1] t = threshold
    cdef int32_t[::1] a = alias
    cdef double[::1] k = work
    if n:
        sgns_alias_table(&w[0], n, &t[0], &a[0], &k[0])
    return threshold, alias


def count_tokens(const int32_t[:, ::1] walks, int64_t[::1] counts):
    """Add each node's occurrences in ``walks`` (each row up to its first
    ``-1``) to ``counts``; returns the number of tokens counted."""
    cdef int64_t total
    with nogil:
        total = sgns_count_tokens(_walks_ptr(walks), walks.shape[0], walks.shape[1],
                                  &counts[0] if counts.shape[0] else <int64_t *>NULL)
    return total


def walk_digest(const int32_t[:, ::1] walks):
    """``(tokens, longest walk, checksum)`` of ``walks``, each row up to its
    first ``-1``: the checksum is a sum of a 64-bit hash of each token's
    node, modulo 2**64, so it does not depend on the order of the tokens
    or of the rows, and adding the digests of a stream's chunks gives the
    stream's."""
    cdef uint64_t out[3]
    out[0] = out[1] = out[2] = 0
    if walks.shape[0]:
        with nogil:
            sgns_walk_digest(_walks_ptr(walks), walks.shape[0], walks.shape[1], out)
    return int(out[0]), int(out[1]), int(out[2])


def walk_lengths(const int32_t[:, ::1] walks):
    """Effective length of each walk (position of its first ``-1``), int64."""
    out = np.empty(walks.shape[0], dtype=np.int64)
    cdef int64_t[::1] view = out
    if walks.shape[0]:
        with nogil:
            sgns_walk_lengths(_walks_ptr(walks), walks.shape[0], walks.shape[1], &view[0])
    return out


def format_walks(const int32_t[:, ::1] walks):
    """Walks as ASCII text, one walk per line, tokens separated by spaces
    (gensim's ``corpus_file`` format); empty walks are skipped.

    Returns
    -------
    buffer : ndarray of uint8
    """
    buf = np.empty(walks.shape[0] * walks.shape[1] * 11 + walks.shape[0] + 1, dtype=np.uint8)
    cdef uint8_t[::1] view = buf
    cdef int64_t size
    with nogil:
        size = sgns_format_walks(_walks_ptr(walks), walks.shape[0], walks.shape[1], &view[0])
    return buf[:size]


cdef sgns_tables _tables(const uint64_t[::1] keep, const uint64_t[::1] neg_threshold, const int32_t[::1] neg_alias,
                         int64_t dim, int64_t window, int64_t negative, uint64_t seed):
    cdef sgns_tables tb
    if neg_threshold.shape[0] != neg_alias.shape[0] or neg_threshold.shape[0] == 0:
        raise ValueError("neg_threshold and neg_alias must be one non-empty alias table")
    if window < 1 or negative < 0:
        raise ValueError("need window >= 1 and negative >= 0")
    tb.keep = &keep[0]
    tb.neg_threshold = &neg_threshold[0]
    tb.neg_alias = &neg_alias[0]
    tb.n_nodes = neg_threshold.shape[0]
    tb.dim = dim
    tb.window = window
    tb.negative = negative
    tb.seed = seed
    return tb


def _check_vectors(const float[:, ::1] syn0, const float[:, ::1] syn1, n_nodes):
    if syn0.shape[0] != n_nodes or syn1.shape[0] != n_nodes or syn0.shape[1] != syn1.shape[1]:
        raise ValueError("syn0 and syn1 must both be (n_nodes, d), n_nodes the length of the tables")


def train_walks_hogwild(const int32_t[:, ::1] walks, int64_t first_walk, const double[::1] alphas,
                        float[:, ::1] syn0, float[:, ::1] syn1, const uint64_t[::1] keep,
                        const uint64_t[::1] neg_threshold, const int32_t[::1] neg_alias,
                        int64_t window, int64_t negative, uint64_t seed):
    """SGNS over a block of walks, in order, updating ``syn0`` and ``syn1`` in place.

    Serial, without the GIL: the driver's threads run it on disjoint slices
    of a block at once, writing to the shared vectors without locks
    ("Hogwild", as word2vec and gensim do); on one thread it is plain SGD.
    Walk ``i`` draws from the stream ``(seed, first_walk + i)`` and trains
    at rate ``alphas[i]``.  Returns the tokens kept after subsampling.
    """
    cdef sgns_tables tb = _tables(keep, neg_threshold, neg_alias, syn0.shape[1], window, negative, seed)
    _check_vectors(syn0, syn1, tb.n_nodes)
    if alphas.shape[0] < walks.shape[0] or keep.shape[0] != tb.n_nodes:
        raise ValueError("need one learning rate per walk and one keep threshold per node")
    if walks.shape[0] == 0:
        return 0
    cdef int64_t kept
    with nogil:
        kept = sgns_train_walks_hogwild(&walks[0, 0], walks.shape[0], walks.shape[1], first_walk, &alphas[0],
                                        &syn0[0, 0], &syn1[0, 0], &tb)
    if kept < 0:
        raise MemoryError("train_walks_hogwild: out of memory for a thread's scratch buffers")
    return kept


def new_barrier(int64_t n_parts):
    """The barrier at which ``n_parts`` threads of one :func:`train_rounds`
    block meet (int32 words, the layout of ``_sgns.h``)."""
    barrier = np.zeros(SGNS_B_WORDS, dtype=np.int32)
    barrier[SGNS_B_THREADS] = n_parts
    return barrier


def plan_words(int64_t shard_size, int64_t width, int64_t negative):
    """int32 words of one shard's plan in :func:`train_rounds`' ``plans``."""
    return sgns_plan_words(shard_size, width, negative)


def planned_ahead(int32_t[::1] barrier):
    """Shards that :func:`train_rounds`' threads planned while waiting at the
    barrier ``barrier``, for the next round."""
    return barrier[SGNS_B_PLANNED_AHEAD]


def train_rounds(int32_t[::1] barrier, int64_t part, int64_t n_parts, *args):
    """The deterministic rounds of a block of walks, on ``n_parts`` threads
    that call this at once with the same arguments but their own ``part``
    and row maps, meeting at ``barrier`` (:func:`new_barrier`, new for each
    block).

    ``args`` are ``walks, n_walks, shards, shard_size, first_walk, alphas,
    syn0, syn1, keep, neg_threshold, neg_alias, window, negative,
    seed, in_map, out_map, in_rows, in_order, in_bounds, in_local, out_rows,
    out_order, out_bounds, out_local, plans``.  Round ``k`` is walks ``k *
    shards * shard_size ..`` of the first ``n_walks`` rows of ``walks`` (the
    last round may be short), in ``shards`` shards of ``shard_size``
    consecutive walks.  A shard is planned first (its random draws, its
    distinct rows and their slots), into the buffers of its round's parity:
    ``plans[p * S + s]`` (``S = in_local.shape[0] >= shards``; int32, ``(2 *
    S, plan_words(shard_size, width, negative))``), the distinct input rows
    in ``in_rows[p * S + s, :n]`` and in ``in_order[p * S + s]`` and
    ``in_bounds[p * S + s]`` (int32 ``(2 * S, n_in)``, int64 ``(2 * S,
    n_parts + 1)``) its slots grouped by the part of their row (likewise for
    the output rows).  Then it trains its walks in order, as
    :func:`train_walks_hogwild` on one thread, on a private copy of the rows
    it touches, from the vectors at the start of the round, leaving in
    ``in_local[s]`` (``(S, n_in, dim)``) their changes; the threads claim
    the shards one at a time, and a thread waiting for the others plans the
    next round's shards meanwhile.  Then each thread adds the changes of the
    rows of its part (a multiplicative hash of the row, ``sgns_part_of``),
    each row its changes in shard order, that is in corpus order.  So the
    vectors are bitwise the same for any ``n_parts``.  ``in_map`` and
    ``out_map`` (int32, ``(n_nodes,)``, all ``-1``) belong to the calling
    thread; they are all ``-1`` again on return.  Returns the tokens this
    thread kept after subsampling, or -1 when a thread ran out of memory.
    A thread whose arguments are rejected stops the others (they return -1)
    and raises ``ValueError``.
    """
    if barrier.shape[0] != SGNS_B_WORDS:
        raise ValueError("train_rounds: the barrier must be new_barrier(n_parts)")
    try:
        if not (barrier[SGNS_B_THREADS] == n_parts and 0 <= part < n_parts):
            raise ValueError("train_rounds: the barrier must be new_barrier(n_parts), and n_parts > part >= 0")
        return _train_rounds(barrier, part, n_parts, *args)
    except BaseException:
        sgns_barrier_stop(&barrier[0])
        raise


def _train_rounds(int32_t[::1] barrier, int64_t part, int64_t n_parts, const int32_t[:, ::1] walks, int64_t n_walks,
                   int64_t shards, int64_t shard_size, int64_t first_walk, const double[::1] alphas,
                   float[:, ::1] syn0, float[:, ::1] syn1, const uint64_t[::1] keep,
                   const uint64_t[::1] neg_threshold, const int32_t[::1] neg_alias, int64_t window,
                   int64_t negative, uint64_t seed, int32_t[::1] in_map, int32_t[::1] out_map,
                   int32_t[:, ::1] in_rows, int32_t[:, ::1] in_order, int64_t[:, ::1] in_bounds,
                   float[:, :, ::1] in_local, int32_t[:, ::1] out_rows, int32_t[:, ::1] out_order,
                   int64_t[:, ::1] out_bounds, float[:, :, ::1] out_local, int32_t[:, ::1] plans):
    cdef sgns_tables tb = _tables(keep, neg_threshold, neg_alias, syn0.shape[1], window, negative, seed)
    _check_vectors(syn0, syn1, tb.n_nodes)
    cdef int64_t n_in = in_rows.shape[1], n_out = out_rows.shape[1], width = walks.shape[1]
    cdef int64_t slots = in_local.shape[0]  # shards the buffers hold
    if not (1 <= shards <= slots and shard_size >= 1
            and 0 <= n_walks <= walks.shape[0] and n_walks <= alphas.shape[0]
            and out_local.shape[0] == slots
            and in_rows.shape[0] == 2 * slots and out_rows.shape[0] == 2 * slots
            and in_order.shape[0] == 2 * slots and in_order.shape[1] == n_in
            and out_order.shape[0] == 2 * slots and out_order.shape[1] == n_out
            and in_bounds.shape[0] == 2 * slots and out_bounds.shape[0] == 2 * slots
            and in_bounds.shape[1] == n_parts + 1 and out_bounds.shape[1] == n_parts + 1
            and plans.shape[0] == 2 * slots and plans.shape[1] >= sgns_plan_words(shard_size, width, negative)
            and in_local.shape[1] == n_in and out_local.shape[1] == n_out
            and in_local.shape[2] == tb.dim and out_local.shape[2] == tb.dim
            and in_map.shape[0] == tb.n_nodes and out_map.shape[0] == tb.n_nodes and keep.shape[0] == tb.n_nodes
            and n_in >= min(tb.n_nodes, width * shard_size)
            and n_out >= min(tb.n_nodes, width * shard_size * (negative + 1))):
        raise ValueError("train_rounds: inconsistent round buffers")
    cdef sgns_rounds rd
    rd.plans = &plans[0, 0]
    rd.plan_words = plans.shape[1]
    rd.shards = shards
    rd.shard_size = shard_size
    rd.n_parts = n_parts
    rd.in_rows, rd.in_order, rd.in_bounds, rd.in_local = &in_rows[0, 0], &in_order[0, 0], &in_bounds[0, 0], &in_local[0, 0, 0]
    rd.out_rows, rd.out_order, rd.out_bounds = &out_rows[0, 0], &out_order[0, 0], &out_bounds[0, 0]
    rd.out_local = &out_local[0, 0, 0]
    rd.n_in_max, rd.n_out_max = n_in, n_out
    cdef const int32_t *w = _walks_ptr(walks)
    cdef const double *a = &alphas[0] if alphas.shape[0] else &_NO_DOUBLE
    cdef int64_t kept
    with nogil:
        kept = sgns_train_rounds(w, n_walks, width, first_walk, a, &syn0[0, 0], &syn1[0, 0], &tb, &in_map[0],
                                 &out_map[0], &rd, part, &barrier[0])
    return kept
