"""Numba kernels for skip-gram with negative sampling (SGNS) on node walks.

Only ``@njit`` functions live here: arrays in, arrays out, no sklearn, gensim,
logging or tqdm.  The Python driver :mod:`skgraphemb.skipgram._numba` owns the
vocabulary statistics, the learning-rate schedule, chunking and progress.

Layout of the shared arrays
---------------------------
``walks``
    ``(n_walks, walk_length)`` int32 node positions, ``-1`` after a walk ends.
``syn0``, ``syn1``
    ``(n_nodes, d)`` float32, C-contiguous: input ("embedding") and output
    ("context") vectors.  :func:`train_walks_hogwild` updates them in place,
    from all threads at once; the deterministic pair
    :func:`train_shards` / :func:`apply_deltas` reads them during a
    round and adds the round's changes after it, each row by one thread.
``keep``
    ``(n_nodes,)`` uint64: a token of node ``v`` survives frequent-token
    subsampling when a 32-bit uniform draw is ``< keep[v]`` (``2**32`` keeps
    always), which is gensim's ``sample_int`` test.
``neg_threshold``, ``neg_alias``
    ``(n_nodes,)`` uint64 / int32 alias table (:func:`alias_table`) of the
    negative-sampling distribution, unigram^0.75 over the nodes that occur.

Algorithm
---------
gensim's skip-gram trains, for each centre token ``c`` and each context token
``x`` in its (randomly reduced) window, the input vector of ``x`` against the
output vector of ``c`` (label 1) and ``K`` freshly drawn negatives (label 0):
a dot product and two axpys of length ``d`` per (context, target) pair, each
a separate level-1 BLAS call on rows scattered in memory.  Following Ji et al.
(2016) we draw the ``K`` negatives once per centre and share them across its
window.  The ``B`` context input rows ``X`` and the ``K + 1`` output rows
``Y`` then give a ``B x (K + 1)`` logit matrix ``X Y^T``, and both gradients
are small matrix products (``G Y`` for the inputs, ``G^T X`` for the
outputs); the ``B + K + 1`` rows (a few KiB) stay in L1 while they are
reused, which is where the speed comes from.  Both gradients are taken at
the values before the centre's update, as in a minibatch; a node that occurs
twice in the window receives both contributions.

Randomness comes from :mod:`._random`: every walk seeds its own stream from
``(seed, walk index)``, so a walk's subsampling, window sizes and negatives
do not depend on which thread runs it.
"""

import numba
import numpy as np

from skgraphemb._kernels._random import item_state, next_below, next_float, next_u64

# Range of word2vec.c's sigmoid table; beyond it the sigmoid is taken as
# exactly 0 or 1.
MAX_EXP = 6.0
_U32_SHIFT = np.uint64(32)
_U32_MASK = np.uint64(0xFFFFFFFF)


@numba.njit(cache=True, nogil=True)
def init_vectors(n_nodes, dimensions, seed):
    """Input-vector initialisation, uniform in ``[-1/d, 1/d)``.

    gensim 4's scale (``prep_vectors``), twice word2vec.c's ``0.5/d``: with
    one epoch on BlogCatalog walks the smaller scale loses about 0.006
    macro-F1.  Row ``v`` is drawn from the stream ``(seed, v)``, so a node's
    initial vector does not depend on the number of nodes, on the walks or
    on threads: the gensim adapter uses it for nodes that never occur.

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
    """
    out = np.empty((n_nodes, dimensions), dtype=np.float32)
    scale = 2.0 / dimensions
    for v in range(n_nodes):
        state = item_state(seed, v)
        for t in range(dimensions):
            out[v, t] = np.float32((next_float(state) - 0.5) * scale)
    return out


@numba.njit(cache=True, nogil=True)
def count_tokens(walks, counts):
    """Add the occurrences of each node in ``walks`` to ``counts`` (int64).

    Counting stops at the first ``-1`` of a row (end of that walk).  Returns
    the number of tokens counted.
    """
    total = 0
    for i in range(walks.shape[0]):
        for t in range(walks.shape[1]):
            v = walks[i, t]
            if v < 0:
                break
            counts[v] += 1
            total += 1
    return total


@numba.njit(cache=True, nogil=True)
def walk_lengths(walks):
    """Effective length of each walk (position of its first ``-1``), int64."""
    n, length = walks.shape
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        m = length
        for t in range(length):
            if walks[i, t] < 0:
                m = t
                break
        out[i] = m
    return out


@numba.njit(cache=True, nogil=True)
def format_walks(walks):
    """Render walks as ASCII text: one walk per line, tokens separated by spaces.

    This is the corpus-file format gensim's multi-core ``corpus_file`` mode
    reads; formatting in numba avoids millions of Python ``str`` objects.
    Walks of length zero are skipped (gensim would count an empty sentence).

    Returns
    -------
    buffer : ndarray of uint8
    """
    n, length = walks.shape
    # Upper bound: 10 digits + a separator per token.
    buf = np.empty(n * length * 11 + n, dtype=np.uint8)
    digits = np.empty(20, dtype=np.uint8)
    pos = 0
    for i in range(n):
        written = 0
        for t in range(length):
            v = walks[i, t]
            if v < 0:
                break
            if written > 0:
                buf[pos] = 32  # ' '
                pos += 1
            nd = 0
            while True:
                digits[nd] = 48 + v % 10
                nd += 1
                v //= 10
                if v == 0:
                    break
            for k in range(nd - 1, -1, -1):
                buf[pos] = digits[k]
                pos += 1
            written += 1
        if written > 0:
            buf[pos] = 10  # '\n'
            pos += 1
    return buf[:pos]


@numba.njit(cache=True, nogil=True)
def alias_table(weights):
    """Walker/Vose alias table for drawing indices proportionally to ``weights``.

    An O(1), branch-light draw (see :func:`_draw_alias`); a binary search
    over a cumulative table costs ~14 unpredictable branches per negative,
    more than the rest of a centre's bookkeeping together.

    Parameters
    ----------
    weights : ndarray of shape (n,), float64
        Non-negative, with a positive sum.

    Returns
    -------
    threshold : ndarray of shape (n,), uint64
        Slot ``i`` keeps ``i`` when a 32-bit uniform draw is below
        ``threshold[i]`` (at most ``2**32``), else takes ``alias[i]``.
    alias : ndarray of shape (n,), int32
    """
    n = weights.shape[0]
    scaled = weights * (n / weights.sum())
    threshold = np.empty(n, dtype=np.uint64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = 0
    n_large = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        g = large[n_large - 1]
        threshold[s] = np.uint64(scaled[s] * 4294967296.0)
        alias[s] = g
        # The large slot donates what the small one lacks.
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        if scaled[g] < 1.0:
            n_large -= 1
            small[n_small] = g
            n_small += 1
    # Leftovers are 1 up to rounding: they always keep themselves.
    for q in range(n_large):
        threshold[large[q]] = np.uint64(4294967296)
    for q in range(n_small):
        threshold[small[q]] = np.uint64(4294967296)
    return threshold, alias


@numba.njit(inline="always", cache=True)
def _draw_alias(threshold, alias, state):
    """One draw from an :func:`alias_table`: the high 32 bits of a 64-bit
    draw pick the slot, the low 32 bits toss its coin."""
    u = next_u64(state)
    slot = np.int64(((u >> _U32_SHIFT) * np.uint64(threshold.shape[0])) >> _U32_SHIFT)
    if (u & _U32_MASK) < threshold[slot]:
        return slot
    return np.int64(alias[slot])


# Micro-kernels on blocks of rows: two "left" rows against up to four
# "right" rows, for the logits (dot products) and for the gradient updates
# (``Z[z_i] += sum_j C[c + i, k + j] * V[rows[k + j]]``).  Each SIMD block of
# the right rows is loaded once and used for both left rows, which turns
# level-1 work into small register-blocked products; LLVM vectorises every
# kernel over the embedding dimension (several reductions in one loop are
# fine under fastmath).  A 2 x 4 block halves the number of loops per centre
# against 1 x 4 (about 25% less time per token at d=128, where the setup of
# each short loop costs as much as its arithmetic).
#
# The kernels take 2-D arrays plus row numbers, never row views, and hold a
# single loop with no branching around it: numba reference-counts views and,
# in inlined callees with richer control flow, the callee's array arguments
# (atomic NRT_incref/decref calls that its refcount pruning cannot pair
# across loops), which cost more than the arithmetic.  The grouping logic
# therefore lives in the caller.
#
# LLVM guards each vectorised loop with a runtime overlap test of the rows it
# writes and reads, so a node that fills both rows of a written pair (a walk
# returning to it within the window) takes the scalar loop, which adds both
# contributions in order: correct, just slower.


@numba.njit(inline="always", cache=True)
def _dot2x4(X, arows, r, Y, rows, k):
    """``X[arows[r + i]] . Y[rows[k + j]]`` for ``i < 2``, ``j < 4``, row-major."""
    a0 = arows[r]
    a1 = arows[r + 1]
    b0 = rows[k]
    b1 = rows[k + 1]
    b2 = rows[k + 2]
    b3 = rows[k + 3]
    f0 = f1 = f2 = f3 = h0 = h1 = h2 = h3 = np.float32(0.0)
    for t in range(X.shape[1]):
        x0 = X[a0, t]
        x1 = X[a1, t]
        y0 = Y[b0, t]
        y1 = Y[b1, t]
        y2 = Y[b2, t]
        y3 = Y[b3, t]
        f0 += x0 * y0
        f1 += x0 * y1
        f2 += x0 * y2
        f3 += x0 * y3
        h0 += x1 * y0
        h1 += x1 * y1
        h2 += x1 * y2
        h3 += x1 * y3
    return f0, f1, f2, f3, h0, h1, h2, h3


@numba.njit(inline="always", cache=True)
def _dot2x2(X, arows, r, Y, rows, k):
    """:func:`_dot2x4` for two right rows."""
    a0 = arows[r]
    a1 = arows[r + 1]
    b0 = rows[k]
    b1 = rows[k + 1]
    f0 = f1 = h0 = h1 = np.float32(0.0)
    for t in range(X.shape[1]):
        x0 = X[a0, t]
        x1 = X[a1, t]
        y0 = Y[b0, t]
        y1 = Y[b1, t]
        f0 += x0 * y0
        f1 += x0 * y1
        h0 += x1 * y0
        h1 += x1 * y1
    return f0, f1, h0, h1


@numba.njit(inline="always", cache=True)
def _dot2x1(X, arows, r, Y, rows, k):
    """:func:`_dot2x4` for one right row."""
    a0 = arows[r]
    a1 = arows[r + 1]
    b0 = rows[k]
    f0 = h0 = np.float32(0.0)
    for t in range(X.shape[1]):
        y0 = Y[b0, t]
        f0 += X[a0, t] * y0
        h0 += X[a1, t] * y0
    return f0, h0


@numba.njit(inline="always", cache=True)
def _axpy2x4(Z, z0, z1, C, c, V, rows, k):
    """``Z[z_i] += sum_{j < 4} C[c + i, k + j] * V[rows[k + j]]`` for ``i < 2``."""
    p0 = C[c, k]
    p1 = C[c, k + 1]
    p2 = C[c, k + 2]
    p3 = C[c, k + 3]
    q0 = C[c + 1, k]
    q1 = C[c + 1, k + 1]
    q2 = C[c + 1, k + 2]
    q3 = C[c + 1, k + 3]
    v0 = rows[k]
    v1 = rows[k + 1]
    v2 = rows[k + 2]
    v3 = rows[k + 3]
    for t in range(Z.shape[1]):
        w0 = V[v0, t]
        w1 = V[v1, t]
        w2 = V[v2, t]
        w3 = V[v3, t]
        Z[z0, t] += p0 * w0 + p1 * w1 + p2 * w2 + p3 * w3
        Z[z1, t] += q0 * w0 + q1 * w1 + q2 * w2 + q3 * w3


@numba.njit(inline="always", cache=True)
def _axpy2x2(Z, z0, z1, C, c, V, rows, k):
    """:func:`_axpy2x4` for two right rows."""
    p0 = C[c, k]
    p1 = C[c, k + 1]
    q0 = C[c + 1, k]
    q1 = C[c + 1, k + 1]
    v0 = rows[k]
    v1 = rows[k + 1]
    for t in range(Z.shape[1]):
        w0 = V[v0, t]
        w1 = V[v1, t]
        Z[z0, t] += p0 * w0 + p1 * w1
        Z[z1, t] += q0 * w0 + q1 * w1


@numba.njit(inline="always", cache=True)
def _axpy2x1(Z, z0, z1, C, c, V, rows, k):
    """:func:`_axpy2x4` for one right row."""
    p0 = C[c, k]
    q0 = C[c + 1, k]
    v0 = rows[k]
    for t in range(Z.shape[1]):
        w0 = V[v0, t]
        Z[z0, t] += p0 * w0
        Z[z1, t] += q0 * w0


@numba.njit(inline="always", cache=True)
def _axpy4(Z, z, coef, c, V, rows, k):
    """``Z[z] += sum_{i < 4} coef[c, k + i] * V[rows[k + i]]`` (one left row)."""
    a0 = coef[c, k]
    a1 = coef[c, k + 1]
    a2 = coef[c, k + 2]
    a3 = coef[c, k + 3]
    v0 = rows[k]
    v1 = rows[k + 1]
    v2 = rows[k + 2]
    v3 = rows[k + 3]
    for t in range(Z.shape[1]):
        Z[z, t] += a0 * V[v0, t] + a1 * V[v1, t] + a2 * V[v2, t] + a3 * V[v3, t]


@numba.njit(inline="always", cache=True)
def _axpy2(Z, z, coef, c, V, rows, k):
    """:func:`_axpy4` for two right rows."""
    a0 = coef[c, k]
    a1 = coef[c, k + 1]
    v0 = rows[k]
    v1 = rows[k + 1]
    for t in range(Z.shape[1]):
        Z[z, t] += a0 * V[v0, t] + a1 * V[v1, t]


@numba.njit(inline="always", cache=True)
def _axpy1(Z, z, coef, c, V, rows, k):
    """:func:`_axpy4` for one right row."""
    a0 = coef[c, k]
    v0 = rows[k]
    for t in range(Z.shape[1]):
        Z[z, t] += a0 * V[v0, t]


@numba.njit(cache=True, nogil=True)
def _plan_walk(walk, keep, neg_threshold, neg_alias, window, negative, state, sentence, widths, negs):
    """Every random draw of one walk, in the stream's order; returns the
    number of kept tokens.

    Frequent-token subsampling first (``sentence`` gets the kept nodes),
    then windows over what is left, as gensim does: dropping a token brings
    its neighbours closer.  Per kept token ``i``: its reduced window
    ``widths[i]`` in ``1 .. window`` (word2vec.c's draw), then, when the
    walk has a second token (so that every window holds a context), its
    ``negative`` negatives ``negs[i]``, shared by its whole window.
    """
    length = 0
    for t in range(walk.shape[0]):
        v = walk[t]
        if v < 0:
            break
        if (next_u64(state) >> _U32_SHIFT) < keep[v]:
            sentence[length] = v
            length += 1
    for i in range(length):
        widths[i] = window - next_below(state, window)
        if length > 1:
            for k in range(negative):
                negs[i, k] = _draw_alias(neg_threshold, neg_alias, state)
    return length


@numba.njit(fastmath=True, cache=True, nogil=True)
def _train_plan(
    length, ctx_ids, tgt_ids, widths, negs, syn0, syn1, sigmoid, alpha,
    contexts, targets, labels, grad, grad_t, out_grad,
):  # fmt: skip
    """SGNS over one planned walk (:func:`_plan_walk`).

    Token ``i`` is row ``ctx_ids[i]`` of ``syn0`` as a context and row
    ``tgt_ids[i]`` of ``syn1`` as a centre; its negatives are rows
    ``negs[i]`` of ``syn1``.  The Hogwild kernel passes node positions and
    the shared vectors; the deterministic one passes rows of a walk-local
    copy.  Scratch buffers, owned by the calling thread: ``contexts``
    (int32, ``2 * window + 1``), ``targets`` (int32, ``K + 1``), ``labels``
    (float32, ``K + 1``), ``grad`` (float32, ``(2 * window + 1, K + 1)``),
    ``grad_t`` (float32, ``(K + 2, 2 * window)``, row ``K + 1`` all zeros)
    and ``out_grad`` (float32, ``(K + 2, d)``, all zeros on entry and again
    on return).  The extra rows let odd counts of contexts and targets run
    in pairs.
    """
    dim = syn0.shape[1]
    n_targets = negs.shape[1] + 1
    table_scale = (sigmoid.shape[0] - 1) / (2.0 * MAX_EXP)
    alpha32 = np.float32(alpha)

    for i in range(length):
        b = widths[i]
        n_ctx = 0
        for j in range(max(0, i - b), min(length, i + b + 1)):
            if j != i:
                contexts[n_ctx] = ctx_ids[j]
                n_ctx += 1
        if n_ctx == 0:
            continue

        # Target 0 is the centre's output vector (label 1); the K negatives
        # are shared by the whole window.  A negative equal to the centre is
        # masked out (label -1, zero gradient), as gensim skips it.
        centre = tgt_ids[i]
        targets[0] = centre
        labels[0] = 1.0
        for k in range(1, n_targets):
            neg = negs[i, k - 1]
            targets[k] = neg
            labels[k] = -1.0 if neg == centre else 0.0

        # G = X Y^T, two context rows at a time; an odd count repeats the
        # last context, whose extra logits are ignored ...
        contexts[n_ctx] = contexts[n_ctx - 1]
        for r in range(0, n_ctx, 2):
            k = 0
            while k + 4 <= n_targets:
                (
                    grad[r, k],
                    grad[r, k + 1],
                    grad[r, k + 2],
                    grad[r, k + 3],
                    grad[r + 1, k],
                    grad[r + 1, k + 1],
                    grad[r + 1, k + 2],
                    grad[r + 1, k + 3],
                ) = _dot2x4(syn0, contexts, r, syn1, targets, k)
                k += 4
            if k + 2 <= n_targets:
                grad[r, k], grad[r, k + 1], grad[r + 1, k], grad[r + 1, k + 1] = _dot2x2(
                    syn0, contexts, r, syn1, targets, k
                )
                k += 2
            if k < n_targets:
                grad[r, k], grad[r + 1, k] = _dot2x1(syn0, contexts, r, syn1, targets, k)
        # ... then g = (label - sigmoid(G)) * alpha, with word2vec.c's table
        # saturating beyond +-MAX_EXP.
        for r in range(n_ctx):
            for k in range(n_targets):
                f = grad[r, k]
                label = labels[k]
                if label < 0.0:
                    g = np.float32(0.0)
                elif f >= MAX_EXP:
                    g = (label - np.float32(1.0)) * alpha32
                elif f <= -MAX_EXP:
                    g = label * alpha32
                else:
                    g = (label - sigmoid[int((f + MAX_EXP) * table_scale)]) * alpha32
                grad[r, k] = g
                grad_t[k, r] = g

        # Output gradient G^T X from the inputs before their update, two
        # rows of the scratch out_grad (all zeros here) at a time; with an
        # odd count the last pair ends in the spare row, whose coefficients
        # (grad_t's spare row) are zeros ...
        for k in range(0, n_targets, 2):
            r = 0
            while r + 4 <= n_ctx:
                _axpy2x4(out_grad, k, k + 1, grad_t, k, syn0, contexts, r)
                r += 4
            if r + 2 <= n_ctx:
                _axpy2x2(out_grad, k, k + 1, grad_t, k, syn0, contexts, r)
                r += 2
            if r < n_ctx:
                _axpy2x1(out_grad, k, k + 1, grad_t, k, syn0, contexts, r)
        # ... the input update X += G Y from the outputs before theirs, two
        # context rows at a time (a node repeated in the pair falls back to
        # LLVM's scalar loop, which adds both rows in order) ...
        for r in range(0, n_ctx - 1, 2):
            k = 0
            while k + 4 <= n_targets:
                _axpy2x4(syn0, contexts[r], contexts[r + 1], grad, r, syn1, targets, k)
                k += 4
            if k + 2 <= n_targets:
                _axpy2x2(syn0, contexts[r], contexts[r + 1], grad, r, syn1, targets, k)
                k += 2
            if k < n_targets:
                _axpy2x1(syn0, contexts[r], contexts[r + 1], grad, r, syn1, targets, k)
        if n_ctx % 2:
            r = n_ctx - 1
            k = 0
            while k + 4 <= n_targets:
                _axpy4(syn0, contexts[r], grad, r, syn1, targets, k)
                k += 4
            if k + 2 <= n_targets:
                _axpy2(syn0, contexts[r], grad, r, syn1, targets, k)
                k += 2
            if k < n_targets:
                _axpy1(syn0, contexts[r], grad, r, syn1, targets, k)
        # ... then the outputs.  Repeated rows simply receive summed updates.
        for k in range(n_targets):
            if labels[k] >= 0.0:
                y = targets[k]
                for t in range(dim):
                    syn1[y, t] += out_grad[k, t]
                    out_grad[k, t] = 0.0
            else:
                for t in range(dim):
                    out_grad[k, t] = 0.0


@numba.njit(cache=True, nogil=True)
def sigmoid_table(size):
    """Logistic function sampled at ``size + 1`` points on ``[-MAX_EXP, MAX_EXP]``.

    A table lookup replaces one scalar ``expf`` call per (context, target)
    pair, which costs as much as the pair's 128-wide dot product; word2vec.c
    and gensim use the same table (1000 intervals).
    """
    out = np.empty(size + 1, dtype=np.float32)
    for i in range(size + 1):
        x = -MAX_EXP + 2.0 * MAX_EXP * i / size
        out[i] = 1.0 / (1.0 + np.exp(-x))
    return out


@numba.njit(cache=True, nogil=True)
def _walk_scratch(walk_length, window, negative, dim):
    """A thread's scratch buffers for :func:`_plan_walk` and :func:`_train_plan`:
    ``sentence, widths, negs, ctx_ids, tgt_ids, contexts, targets, labels,
    grad, grad_t, out_grad``."""
    n_targets = negative + 1
    return (
        np.empty(walk_length, dtype=np.int32),
        np.empty(walk_length, dtype=np.int64),
        np.empty((walk_length, negative), dtype=np.int32),
        np.empty(walk_length, dtype=np.int32),
        np.empty(walk_length, dtype=np.int32),
        np.empty(2 * window + 1, dtype=np.int32),
        np.empty(n_targets, dtype=np.int32),
        np.empty(n_targets, dtype=np.float32),
        np.empty((2 * window + 1, n_targets), dtype=np.float32),
        np.zeros((n_targets + 1, 2 * window), dtype=np.float32),
        np.zeros((n_targets + 1, dim), dtype=np.float32),
    )


@numba.njit(fastmath=True, cache=True, nogil=True)
def train_walks_hogwild(
    walks, first_walk, alphas, syn0, syn1, keep, neg_threshold, neg_alias, sigmoid, window, negative, seed
):
    """SGNS over a block of walks, in order, updating ``syn0`` and ``syn1`` in place.

    Serial and ``nogil``: the driver's threads run it on disjoint slices of
    a block at once, writing to the shared vectors without locks
    ("Hogwild", as word2vec and gensim do); on one thread it is plain SGD.

    Parameters
    ----------
    walks : ndarray of shape (n_walks, walk_length), int32
        Node positions, ``-1`` padded.
    first_walk : int
        Global index of ``walks[0]`` (in the whole run, across epochs); walk
        ``i`` draws from the stream ``(seed, first_walk + i)``.
    alphas : ndarray of shape (n_walks,), float64
        Learning rate for each walk (the driver's linear schedule).
    syn0, syn1 : ndarray of shape (n_nodes, d), float32
        Updated in place.
    keep : ndarray of shape (n_nodes,), uint64
        Subsampling thresholds (module docstring).
    neg_threshold, neg_alias : ndarray of shape (n_nodes,)
        :func:`alias_table` of the negative-sampling distribution.
    sigmoid : ndarray, float32
        :func:`sigmoid_table`.
    window, negative, seed : int

    Returns
    -------
    n_trained : int
        Tokens kept after subsampling (the effective words trained).
    """
    sentence, widths, negs, _, _, contexts, targets, labels, grad, grad_t, out_grad = _walk_scratch(
        walks.shape[1], window, negative, syn0.shape[1]
    )
    kept = 0
    for i in range(walks.shape[0]):
        state = item_state(seed, first_walk + i)
        length = _plan_walk(walks[i], keep, neg_threshold, neg_alias, window, negative, state, sentence, widths, negs)
        _train_plan(
            length, sentence, sentence, widths, negs, syn0, syn1, sigmoid, alphas[i],
            contexts, targets, labels, grad, grad_t, out_grad,
        )  # fmt: skip
        kept += length
    return kept


@numba.njit(cache=True, nogil=True)
def _localise(nodes, ids, row_map, rows, s, n, local, shared):
    """Rows ``ids`` of ``nodes`` in shard ``s``'s local copy of ``shared``,
    copying a node's row in on its first use; returns the rows in use.

    One call per array, not per node: a call of a compiled function costs
    atomic reference counts on each array argument.
    """
    dim = shared.shape[1]
    for q in range(nodes.shape[0]):
        v = nodes[q]
        r = row_map[v]
        if r < 0:
            r = n
            row_map[v] = r
            rows[s, r] = v
            for t in range(dim):
                local[r, t] = shared[v, t]
            n += 1
        ids[q] = r
    return n


@numba.njit(cache=True, nogil=True)
def _release_rows(row_map, rows, s, n):
    """Clear ``row_map`` of slot ``s``'s ``n`` rows for the next shard."""
    for r in range(n):
        row_map[rows[s, r]] = -1


@numba.njit(fastmath=True, cache=True, nogil=True)
def train_shards(
    walks, n_walks, shard_size, first_shard, stop_shard, first_walk, alphas, syn0, syn1, keep, neg_threshold,
    neg_alias, sigmoid, window, negative, seed, in_map, out_map, in_rows, in_count, in_local, out_rows, out_count,
    out_local,
):  # fmt: skip
    """First half of a deterministic round: shards ``first_shard ..
    stop_shard - 1`` of the round's walks, each trained from the vectors at
    the start of the round on a private copy of the rows it touches.

    Shard ``s`` is walks ``s * shard_size ..`` (at most ``shard_size``,
    below ``n_walks``) of ``walks``, trained in order as
    :func:`train_walks_hogwild` would on one thread (walk ``i`` draws from
    the stream ``(seed, first_walk + i)`` at rate ``alphas[i]``) but on its
    copy: ``syn0`` and ``syn1`` are only read, so shards can run on any
    threads in any order with the same result.  Shard ``s`` ends with
    ``in_count[s]`` distinct input rows ``in_rows[s, :in_count[s]]`` (node
    positions) and their trained values ``in_local[s, :in_count[s]]``,
    likewise for the output rows; :func:`apply_deltas` turns them into
    changes as it adds them.

    ``in_map`` and ``out_map`` (int32, ``(n_nodes,)``, all ``-1``) belong
    to the calling thread; they are all ``-1`` again on return.  Returns
    the tokens kept after subsampling.
    """
    sentence, widths, negs, ctx_ids, tgt_ids, contexts, targets, labels, grad, grad_t, out_grad = _walk_scratch(
        walks.shape[1], window, negative, syn0.shape[1]
    )
    kept = 0
    for s in range(first_shard, stop_shard):
        local0 = in_local[s]
        local1 = out_local[s]
        n_in = n_out = np.int64(0)  # not a literal: callees would compile once more for Literal[int](0)
        for i in range(s * shard_size, min(n_walks, (s + 1) * shard_size)):
            state = item_state(seed, first_walk + i)
            length = _plan_walk(
                walks[i], keep, neg_threshold, neg_alias, window, negative, state, sentence, widths, negs
            )
            nodes = sentence[:length]
            n_in = _localise(nodes, ctx_ids, in_map, in_rows, s, n_in, local0, syn0)
            n_out = _localise(nodes, tgt_ids, out_map, out_rows, s, n_out, local1, syn1)
            if length > 1:
                drawn = negs[:length].reshape(-1)
                n_out = _localise(drawn, drawn, out_map, out_rows, s, n_out, local1, syn1)
            _train_plan(
                length, ctx_ids, tgt_ids, widths, negs, local0, local1, sigmoid, alphas[i],
                contexts, targets, labels, grad, grad_t, out_grad,
            )  # fmt: skip
            kept += length
        _release_rows(in_map, in_rows, s, n_in)
        _release_rows(out_map, out_rows, s, n_out)
        in_count[s] = n_in
        out_count[s] = n_out
    return kept


@numba.njit(cache=True, nogil=True)
def _add_changes(vectors, rows, count, local, n_slots, part, n_parts, first, start):
    """``vectors[v] += local[s, j] - start_v`` over slots ``s`` in order, for the rows ``v``
    with ``v % n_parts == part``; ``start_v`` is ``vectors[v]`` before the first
    change, kept in ``start`` (``first[v]`` its slot, ``-1`` again on return)."""
    n_start = 0
    for s in range(n_slots):
        for j in range(count[s]):
            v = rows[s, j]
            if v % n_parts == part:
                k = first[v]
                if k < 0:  # (explicit loops: a slice assignment costs seconds of compilation)
                    k = n_start
                    first[v] = k
                    for t in range(vectors.shape[1]):
                        start[k, t] = vectors[v, t]
                    n_start += 1
                for t in range(vectors.shape[1]):
                    vectors[v, t] += local[s, j, t] - start[k, t]
    for s in range(n_slots):  # clear the slots of the rows met
        for j in range(count[s]):
            first[rows[s, j]] = -1


@numba.njit(cache=True, nogil=True)
def apply_deltas(
    syn0, syn1, in_rows, in_count, in_local, out_rows, out_count, out_local, n_slots, part, n_parts, first, start
):
    """Second half of a deterministic round: add the changes of shards
    ``0 .. n_slots - 1`` (:func:`train_shards`: each row's trained value
    less its value at the start of the round) to the rows ``v`` with ``v %
    n_parts == part``.

    Each row receives its changes in shard order, that is in corpus order,
    whatever ``n_parts`` is: threads that take one part each write disjoint
    rows, and the sums are bitwise the same for any number of threads.  A
    row's start value is copied once, into ``start`` (float32, as many rows
    as the part can meet), on its first change; ``first`` (int32,
    ``(n_nodes,)``, all ``-1``, one per part) is all ``-1`` again on return.
    The changes are computed here, not at the end of each shard, so the
    shards' rows are read once and the round's start values once.
    """
    _add_changes(syn0, in_rows, in_count, in_local, n_slots, part, n_parts, first, start)
    _add_changes(syn1, out_rows, out_count, out_local, n_slots, part, n_parts, first, start)
