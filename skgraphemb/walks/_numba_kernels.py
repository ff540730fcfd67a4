"""Numba kernels for first-order (DeepWalk) and node2vec random walks.

Everything here works on raw CSR arrays of one graph:

``indptr`` : int64, shape (n_nodes + 1,)
    Row pointers; row ``v`` is ``indices[indptr[v]:indptr[v + 1]]``.
``indices`` : int32, shape (nnz,)
    Out-neighbour positions, **sorted and unique within each row**, so that
    "is ``x`` an out-neighbour of ``t``" is a binary search on row ``t``.
``weights`` : float64, shape (nnz,) or (0,)
    Positive edge weights; an empty array means "unweighted", and so do
    empty alias arrays below.
``alias_prob``, ``alias_node`` : float64 and int32, shape (nnz,) or (0,)
    One Walker alias table per row (see :func:`alias_tables`): slot ``j``
    of row ``v`` keeps ``indices[j]`` with probability ``alias_prob[j]``
    and otherwise yields ``alias_node[j]``.
``strength`` : float64, shape (n_nodes,) or (0,)
    Total out-weight of each node.

Node2vec walks are sampled *exactly* and *on the fly* in O(nnz) memory: a
proposal is drawn from the first-order (edge-weight) distribution and
accepted with probability ``alpha(t, x) / envelope`` (rejection sampling, as
in KnightKing, Yang et al. SOSP 2019).  No O(sum of squared degrees)
transition tables are built.

Each walk draws its random numbers from its own counter-based stream
``item_state(seed, walk_index)``, so the output depends on the seed and the
walk's global index only, never on the number of threads or on how the
driver splits the work into chunks.

This module holds jitted kernels only; the Python driver (chunking,
progress, thread count) is :mod:`skgraphemb.walks._plan`, the public
functions (validation) are in :mod:`skgraphemb.walks`.
"""

import numba
import numpy as np
from numba.core import cgutils
from numba.extending import intrinsic

from skgraphemb._kernels._random import item_state, next_below, next_float

# Start-node permutations draw from their own streams, ``item_state(seed,
# _PERMUTATION_STREAM + round)``.  Walk streams use indices below
# ``n_walks < 2**62``, so the two families can never share a stream.
_PERMUTATION_STREAM = 1 << 62

# The rejection sampler gives up after ``_TRIALS_PER_EDGE * deg(v) +
# _MIN_TRIALS`` rejected proposals and samples the step by an exact scan of
# row ``v`` instead.  The scan costs about two membership tests per edge of
# ``v``, so this bound keeps a step's cost within a small factor of the
# cheaper of the two methods even for extreme ``p``/``q`` where acceptance
# is rare.  Falling back after rejections keeps sampling exact: each trial
# is independent, and a trial that accepts returns a draw from the target.
_TRIALS_PER_EDGE = 2
_MIN_TRIALS = 8


# ---------------------------------------------------------------------------
# Reference-count-free views
# ---------------------------------------------------------------------------


@intrinsic
def _borrowed(typingctx, arr):
    """View of ``arr`` without a meminfo, so numba emits no refcount updates.

    Numba increments and decrements an array's reference count whenever the
    array is bound to a new variable, including every argument of every call
    to a step function.  Its refcount-pruning pass cannot remove the pairs
    that straddle the loops of a walk, and the atomic updates then cost more
    than a step itself (a serial walk ran 2.5x slower than the same code
    inside ``prange``, whose gufunc receives arrays without meminfos).  With
    a null meminfo known at compile time, LLVM drops the updates entirely.

    Only use on arrays that the caller keeps alive for the whole kernel
    call, such as the kernel's own arguments; never on arrays the kernel
    allocates.
    """

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, value=args[0])
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        return ary._getvalue()

    return arr(arr), codegen


# ---------------------------------------------------------------------------
# Setup kernels
# ---------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def alias_tables(indptr, indices, weights, alias_prob, alias_node, strength, work, lo, hi):
    """Walker alias tables of CSR rows ``lo .. hi - 1``, for O(1) weighted draws.

    Built with Vose's algorithm, row by row: slots whose scaled
    weight ``deg * w / W`` is below 1 ("small") are topped up from slots
    above 1 ("large").  A draw then picks a slot ``j`` uniformly and keeps
    ``indices[j]`` with probability ``alias_prob[j]``, else takes
    ``alias_node[j]``, which gives ``x`` with probability ``w(v, x) / W``.
    Binary search over running sums would cost O(log deg) dependent memory
    reads per draw, which is what dominates walks through hubs.

    Rows are independent, so threads can build disjoint row ranges of the
    same tables at once (:func:`skgraphemb.walks._plan.build_alias_tables`).

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
    indices : ndarray of int32, shape (nnz,)
    weights : ndarray of float64, shape (nnz,)
        Positive, finite edge weights.
    alias_prob : ndarray of float64, shape (nnz,)
        Written: probability of keeping the slot's own edge, in (0, 1].
    alias_node : ndarray of int32, shape (nnz,)
        Written: node taken when the slot's own edge is not kept.
    strength : ndarray of float64, shape (n_nodes,)
        Written: total out-weight of each node (0 for nodes without out-edges).
    work : ndarray of int32, shape (nnz,)
        Scratch.
    lo, hi : int
        The rows to build.
    """
    # Work lists, row v using slots indptr[v]:indptr[v + 1]: "small" grows
    # up from the row start, "large" down from the row end.  Every slot is
    # in at most one list, so they never meet.
    for v in range(lo, hi):
        start = indptr[v]
        end = indptr[v + 1]
        deg = end - start
        strength[v] = 0.0
        if deg == 0:
            continue
        total = 0.0
        for j in range(start, end):
            total += weights[j]
        strength[v] = total
        n_small = 0
        n_large = 0
        for j in range(start, end):
            alias_node[j] = indices[j]
            alias_prob[j] = weights[j] * deg / total
            if alias_prob[j] < 1.0:
                work[start + n_small] = j - start
                n_small += 1
            else:
                n_large += 1
                work[end - n_large] = j - start
        while n_small > 0 and n_large > 0:
            n_small -= 1
            s = start + work[start + n_small]
            g = start + work[end - n_large]
            alias_node[s] = indices[g]
            # Written as (a + b) - 1 rather than a - (1 - b): the rounding
            # error stays relative to the large slot's value.
            alias_prob[g] = (alias_prob[g] + alias_prob[s]) - 1.0
            if alias_prob[g] < 1.0:
                n_large -= 1
                work[start + n_small] = g - start
                n_small += 1
        # What is left would be exactly 1 in exact arithmetic.
        for i in range(n_large):
            alias_prob[start + work[end - 1 - i]] = 1.0
        for i in range(n_small):
            alias_prob[start + work[start + i]] = 1.0


@numba.njit(cache=True, nogil=True)
def start_permutation(n_nodes, seed, round_index):
    """Start nodes of walk round ``round_index``: a permutation of all nodes.

    Shuffling the start nodes of each round decorrelates consecutive walks
    that a skip-gram trainer sees (PecanPy does the same).  The permutation
    is a Fisher-Yates shuffle driven by the stream ``(seed,
    _PERMUTATION_STREAM + round_index)``, so it is the same for any thread
    count or chunking.

    Returns
    -------
    perm : ndarray of int32, shape (n_nodes,)
    """
    perm = np.arange(n_nodes).astype(np.int32)
    state = item_state(seed, _PERMUTATION_STREAM + round_index)
    for i in range(n_nodes - 1, 0, -1):
        j = next_below(state, i + 1)
        tmp = perm[i]
        perm[i] = perm[j]
        perm[j] = tmp
    return perm


# ---------------------------------------------------------------------------
# Adjacency look-ups
# ---------------------------------------------------------------------------


@numba.njit(inline="always", cache=True)
def edge_position(indptr, indices, u, x):
    """Position ``j`` in ``indices`` of the edge ``u -> x``, or -1 if absent.

    Binary search on row ``u``, which is sorted: O(log deg(u)).
    """
    lo = indptr[u]
    hi = indptr[u + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    if lo < indptr[u + 1] and indices[lo] == x:
        return lo
    return -1


@numba.njit(inline="always", cache=True)
def _linked(indptr, indices, directed, t, x):
    """Whether ``x`` is an out-neighbour of ``t`` (the edge ``t -> x`` exists).

    Undirected rows are symmetric, so the shorter of the rows of ``t`` and
    ``x`` answers the same question faster; that matters when ``t`` is a hub.
    """
    if not directed and indptr[x + 1] - indptr[x] < indptr[t + 1] - indptr[t]:
        return edge_position(indptr, indices, x, t) >= 0
    return edge_position(indptr, indices, t, x) >= 0


@numba.njit(inline="always", cache=True)
def _bias(indptr, indices, directed, t, x, inv_p, inv_q):
    """Unnormalised node2vec bias ``alpha(t, x)`` for a step ``v -> x``.

    ``1/p`` for a return to ``t``; 1 if ``t -> x`` is an edge (``x`` at
    distance 1 from ``t``); ``1/q`` otherwise.  On directed graphs the middle
    case uses the *out*-edge ``t -> x``, as PecanPy does.
    """
    if x == t:
        return inv_p
    if _linked(indptr, indices, directed, t, x):
        return 1.0
    return inv_q


# ---------------------------------------------------------------------------
# Step functions: one step of one walk.  They return the next node position,
# or -1 when the current node has no out-edge (the walk ends there).
#
# The hot ones are inlined at numba-IR level (``inline="always"``): a real
# call passes each array as seven scalars and checks an exception status,
# which cost more than the step itself (second-order walks ran 2-4x slower).
# ``_walk_one`` stays a plain call, one per walk, so the inlined body is
# compiled once and shared by the serial and parallel drivers.
# ---------------------------------------------------------------------------


@numba.njit(inline="always", cache=True)
def first_order_step(indptr, indices, alias_prob, alias_node, v, state):
    """Step from ``v`` to an out-neighbour drawn proportionally to edge weight.

    O(1): a uniform slot of the row, then (weighted graphs only) the slot's
    alias test.

    Parameters
    ----------
    indptr, indices, alias_prob, alias_node : ndarray
        CSR arrays and alias tables as described in the module docstring;
        empty alias arrays mean an unweighted graph.
    v : int
        Current node position.
    state : ndarray of uint64, shape (1,)
        Random stream of the walk, advanced in place.

    Returns
    -------
    x : int
        Next node position, or -1 if ``v`` has no out-edge.
    """
    start = indptr[v]
    end = indptr[v + 1]
    if start == end:
        return -1
    j = start + next_below(state, end - start)
    if alias_prob.shape[0] == 0 or next_float(state) < alias_prob[j]:
        return np.int64(indices[j])
    return np.int64(alias_node[j])


@numba.njit(inline="always", cache=True)
def node2vec_rejection_step(
    indptr,
    indices,
    weights,
    alias_prob,
    alias_node,
    strength,
    directed,
    t,
    v,
    inv_p,
    inv_q,
    max_trials,
    state,
):
    """Try to draw a node2vec step ``t -> v -> x`` by rejection sampling.

    The target is ``P(x) ~ w(v, x) * alpha(t, x)``.  Each trial proposes
    ``x`` from the first-order distribution ``~ w(v, x)`` and accepts it with
    probability ``alpha(t, x) / envelope``.  Two refinements keep trials
    cheap without changing the distribution:

    * a uniform ``u * envelope`` below the smallest possible ``alpha``
      accepts without the O(log deg) neighbour test;
    * when ``1/p`` is the largest bias, the envelope is
      ``max(1, 1/q)`` and the excess mass of the return edge,
      ``w(v, t) * (1/p - max(1, 1/q))``, is an "outlier" region that each
      trial hits first with probability proportional to its mass and that
      is always accepted (KnightKing's outlier trick).  Without it, small
      ``p`` would reject most proposals.

    Every trial is an independent draw under the same envelope, so the first
    accepted trial follows the target exactly.

    Parameters
    ----------
    indptr, indices, weights, alias_prob, alias_node, strength : ndarray
        CSR arrays and alias tables as described in the module docstring.
    directed : bool
        Whether the graph is directed.
    t, v : int
        Previous and current node positions: ``t -> v`` is an edge (the
        one the walk just took), and ``v`` has an out-edge.
    inv_p, inv_q : float
        ``1/p`` and ``1/q``, positive and finite.
    max_trials : int
        Number of proposals to try.
    state : ndarray of uint64, shape (1,)
        Random stream of the walk, advanced in place.

    Returns
    -------
    x : int
        The next node position, or -1 if all ``max_trials`` proposals were
        rejected (the caller then samples with :func:`node2vec_exact_step`).
    """
    start = indptr[v]
    end = indptr[v + 1]
    rest_max = max(1.0, inv_q)
    envelope = max(inv_p, rest_max)
    outlier = 0.0
    body = 0.0
    if inv_p > rest_max:
        envelope = rest_max
        if not directed and weights.shape[0] == 0:
            # t -> v was just traversed and undirected rows are symmetric.
            w_vt = 1.0
        else:
            j = edge_position(indptr, indices, v, t)
            if j < 0:
                w_vt = 0.0
            elif weights.shape[0] == 0:
                w_vt = 1.0
            else:
                w_vt = weights[j]
        outlier = w_vt * (inv_p - rest_max)
        total_w = strength[v] if strength.shape[0] > 0 else np.float64(end - start)
        body = total_w * envelope
    # Any proposal with u * envelope below this is accepted whatever x is.
    sure = min(min(inv_p, envelope), min(1.0, inv_q))
    for _ in range(max_trials):
        if outlier > 0.0 and next_float(state) * (body + outlier) < outlier:
            return np.int64(t)
        x = first_order_step(indptr, indices, alias_prob, alias_node, v, state)
        u = next_float(state) * envelope
        if u < sure:
            return x
        if x == t:
            # Capped at the envelope: the rest of 1/p is the outlier region.
            alpha = min(inv_p, envelope)
        else:
            alpha = _bias(indptr, indices, directed, t, x, inv_p, inv_q)
        if u < alpha:
            return x
    return -1


@numba.njit(cache=True, nogil=True)
def node2vec_exact_step(indptr, indices, weights, directed, t, v, inv_p, inv_q, state):
    """Draw a node2vec step ``t -> v -> x`` by scanning the row of ``v``.

    Computes every unnormalised probability ``w(v, x) * alpha(t, x)`` (twice:
    once for the total, once to locate the draw, so no scratch memory is
    needed).  O(deg(v) log deg) time; exact.  ``v`` must have an out-edge.

    Returns
    -------
    x : int
        The next node position.
    """
    start = indptr[v]
    end = indptr[v + 1]
    unweighted = weights.shape[0] == 0
    total = 0.0
    for j in range(start, end):
        w = 1.0 if unweighted else weights[j]
        total += w * _bias(indptr, indices, directed, t, indices[j], inv_p, inv_q)
    r = next_float(state) * total
    acc = 0.0
    for j in range(start, end):
        w = 1.0 if unweighted else weights[j]
        acc += w * _bias(indptr, indices, directed, t, indices[j], inv_p, inv_q)
        if acc > r:
            return np.int64(indices[j])
    # Only reached if rounding put r at the very top of the last interval.
    return np.int64(indices[end - 1])


@numba.njit(inline="always", cache=True)
def node2vec_step(indptr, indices, weights, alias_prob, alias_node, strength, directed, t, v, inv_p, inv_q, state):
    """One exact node2vec step ``t -> v -> x``; -1 if ``v`` has no out-edge.

    Rejection sampling first (:func:`node2vec_rejection_step`), then an exact
    scan (:func:`node2vec_exact_step`) if too many proposals were rejected,
    which bounds the cost of a step for extreme ``p`` and ``q``.
    """
    deg = indptr[v + 1] - indptr[v]
    if deg == 0:
        return -1
    x = node2vec_rejection_step(
        indptr,
        indices,
        weights,
        alias_prob,
        alias_node,
        strength,
        directed,
        t,
        v,
        inv_p,
        inv_q,
        _TRIALS_PER_EDGE * deg + _MIN_TRIALS,
        state,
    )
    if x < 0:
        x = node2vec_exact_step(indptr, indices, weights, directed, t, v, inv_p, inv_q, state)
    return x


# ---------------------------------------------------------------------------
# Walk drivers: a chunk of walks into a preallocated matrix.
# ---------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _walk_one(
    indptr,
    indices,
    weights,
    alias_prob,
    alias_node,
    strength,
    directed,
    second_order,
    inv_p,
    inv_q,
    seed,
    walk_index,
    row,
):
    """Fill ``row`` with the walk number ``walk_index`` starting at ``row[0]``.

    ``row[0]`` holds the start node on entry.  Entries after a dead end
    (a node with no out-edge) are set to -1.
    """
    # Borrowed here, inside the function that holds the step loop, so that
    # LLVM sees the missing meminfos wherever the steps are inlined.
    indptr = _borrowed(indptr)
    indices = _borrowed(indices)
    weights = _borrowed(weights)
    alias_prob = _borrowed(alias_prob)
    alias_node = _borrowed(alias_node)
    strength = _borrowed(strength)
    row = _borrowed(row)
    walk_length = row.shape[0]
    state = item_state(seed, walk_index)
    prev = np.int64(-1)  # not the literal -1: a callee would compile once more for Literal[int](-1)
    cur = np.int64(row[0])
    k = 1
    while k < walk_length:
        if second_order and prev >= 0:
            nxt = node2vec_step(
                indptr,
                indices,
                weights,
                alias_prob,
                alias_node,
                strength,
                directed,
                prev,
                cur,
                inv_p,
                inv_q,
                state,
            )
        else:
            nxt = first_order_step(indptr, indices, alias_prob, alias_node, cur, state)
        if nxt < 0:
            break
        row[k] = nxt
        prev = cur
        cur = nxt
        k += 1
    while k < walk_length:
        row[k] = -1
        k += 1


@numba.njit(cache=True, nogil=True)
def walk_chunk(
    indptr,
    indices,
    weights,
    alias_prob,
    alias_node,
    strength,
    directed,
    second_order,
    inv_p,
    inv_q,
    seed,
    first_walk,
    starts,
    out,
):
    """Generate ``starts.shape[0]`` walks into ``out``.

    Walks are independent and each owns its random stream, so threads that
    each generate a contiguous share of a chunk (one call each, on row
    slices of ``starts`` and ``out`` with ``first_walk`` offset to match)
    give bit-identical results for any thread count.

    Parameters
    ----------
    indptr, indices, weights, alias_prob, alias_node, strength : ndarray
        CSR arrays and alias tables as described in the module docstring;
        all but the first two are empty for unweighted walks.
    directed : bool
        Whether the graph is directed (selects the neighbour test).
    second_order : bool
        False for first-order walks (node2vec with ``p = q = 1``, no
        neighbour tests at all); True for biased node2vec walks.
    inv_p, inv_q : float
        ``1/p`` and ``1/q`` (ignored when ``second_order`` is False).
    seed : int
        Non-negative 63-bit seed of the whole run.
    first_walk : int
        Global index of the chunk's first walk; walk ``i`` of the chunk uses
        the stream ``item_state(seed, first_walk + i)``.
    starts : ndarray of int32, shape (n_walks,)
        Start node of each walk.
    out : ndarray of int32, shape (n_walks, walk_length)
        Written in place: node positions, -1 after a walk ended early.
    """
    # Without this, slicing ``out[i]`` updates the refcount of ``out``.
    out = _borrowed(out)
    for i in range(starts.shape[0]):
        out[i, 0] = starts[i]
        _walk_one(
            indptr,
            indices,
            weights,
            alias_prob,
            alias_node,
            strength,
            directed,
            second_order,
            inv_p,
            inv_q,
            seed,
            first_walk + i,
            out[i],
        )
