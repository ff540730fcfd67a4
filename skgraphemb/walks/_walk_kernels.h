/* First-order (DeepWalk) and node2vec random walks: the C kernels of the
 * native walk engine, compiled when the package is installed (bindings in
 * _walk_kernels.pyx; the driver is _plan.py).  Plain C99, no Python API:
 * everything runs without the GIL.
 *
 * Everything works on the raw CSR arrays of one graph:
 *   indptr      int64 (n_nodes + 1): row v is indices[indptr[v]:indptr[v + 1]]
 *   indices     int32 (nnz): out-neighbours, sorted and unique within each row,
 *               so "is x an out-neighbour of t" is a binary search on row t
 *   weights     float64 (nnz) or NULL: positive edge weights (NULL: unweighted)
 *   alias_prob, float64 / int32 (nnz) or NULL: one Walker alias table per row
 *   alias_node  (walk_alias_tables): slot j of row v keeps indices[j] with
 *               probability alias_prob[j], else yields alias_node[j]
 *   strength    float64 (n_nodes) or NULL: total out-weight of each node
 *
 * Node2vec walks are sampled exactly and on the fly in O(nnz) memory: a
 * proposal is drawn from the first-order (edge-weight) distribution and
 * accepted with probability alpha(t, x) / envelope (rejection sampling, as in
 * KnightKing, Yang et al. SOSP 2019), with an exact scan of the row after too
 * many rejections.  No O(sum of squared degrees) transition tables.
 *
 * Each walk draws from its own stream sge_item_state(seed, walk index)
 * (_random.h), so the output depends on the seed and the walk's global index
 * only, never on the number of threads or on how the driver splits the work.
 * Floating-point expressions are evaluated as written (the module is built
 * with -ffp-contract=off): the walks are the same on every machine.
 */
#ifndef SKGRAPHEMB_WALK_KERNELS_H
#define SKGRAPHEMB_WALK_KERNELS_H

#include <stdint.h>

#include "_random.h"

/* Start-node permutations draw from their own streams, (seed,
 * WALK_PERMUTATION_STREAM + round); walk streams use indices below 2**62. */
#define WALK_PERMUTATION_STREAM (1ULL << 62)

/* The rejection sampler gives up after WALK_TRIALS_PER_EDGE * deg(v) +
 * WALK_MIN_TRIALS rejected proposals and scans the row of v instead: the scan
 * costs about two membership tests per edge of v, so this keeps a step within
 * a small factor of the cheaper method for extreme p and q.  Falling back
 * after rejections keeps sampling exact: each trial is independent, and a
 * trial that accepts returns a draw from the target. */
#define WALK_TRIALS_PER_EDGE 2
#define WALK_MIN_TRIALS 8

typedef struct {
    const int64_t *indptr;
    const int32_t *indices;
    const double *weights;    /* NULL: unweighted */
    const double *alias_prob; /* NULL: unweighted */
    const int32_t *alias_node;
    const double *strength;   /* NULL: unweighted */
    int directed;
    int second_order; /* 0: first-order walks (p = q = 1), no neighbour tests */
    double inv_p, inv_q;
    uint64_t seed;
} walk_graph;

/* Walker alias tables of CSR rows lo .. hi - 1 (Vose's algorithm, row by
 * row): slots whose scaled weight deg * w / W is below 1 ("small") are topped
 * up from slots above 1 ("large").  A draw picks a slot j uniformly and keeps
 * indices[j] with probability alias_prob[j], else takes alias_node[j]: x with
 * probability w(v, x) / W in O(1).  `work` (nnz int32) is scratch; rows are
 * independent, so threads can build disjoint row ranges at once. */
static void walk_alias_tables(const int64_t *indptr, const int32_t *indices, const double *weights,
                              double *alias_prob, int32_t *alias_node, double *strength, int32_t *work, int64_t lo,
                              int64_t hi) {
    for (int64_t v = lo; v < hi; v++) {
        int64_t start = indptr[v], end = indptr[v + 1], deg = end - start;
        strength[v] = 0.0;
        if (deg == 0) continue;
        double total = 0.0;
        for (int64_t j = start; j < end; j++) total += weights[j];
        strength[v] = total;
        /* Work lists: "small" grows up from the row start, "large" down from
         * the row end; a slot is in at most one, so they never meet. */
        int64_t n_small = 0, n_large = 0;
        for (int64_t j = start; j < end; j++) {
            alias_node[j] = indices[j];
            alias_prob[j] = weights[j] * (double)deg / total;
            if (alias_prob[j] < 1.0) work[start + n_small++] = (int32_t)(j - start);
            else work[end - ++n_large] = (int32_t)(j - start);
        }
        while (n_small > 0 && n_large > 0) {
            n_small--;
            int64_t s = start + work[start + n_small];
            int64_t g = start + work[end - n_large];
            alias_node[s] = indices[g];
            /* (a + b) - 1, not a - (1 - b): the rounding error stays relative
             * to the large slot's value. */
            alias_prob[g] = (alias_prob[g] + alias_prob[s]) - 1.0;
            if (alias_prob[g] < 1.0) {
                n_large--;
                work[start + n_small++] = (int32_t)(g - start);
            }
        }
        /* What is left would be exactly 1 in exact arithmetic. */
        for (int64_t i = 0; i < n_large; i++) alias_prob[start + work[end - 1 - i]] = 1.0;
        for (int64_t i = 0; i < n_small; i++) alias_prob[start + work[start + i]] = 1.0;
    }
}

/* Start nodes of walk round `round`: a Fisher-Yates shuffle of 0 .. n - 1
 * driven by the stream (seed, WALK_PERMUTATION_STREAM + round). */
static void walk_start_permutation(int32_t *perm, int64_t n, uint64_t seed, uint64_t round) {
    for (int64_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    uint64_t state = sge_item_state(seed, WALK_PERMUTATION_STREAM + round);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = sge_below(&state, (uint64_t)(i + 1));
        int32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

/* Position of the edge u -> x in `indices`, or -1 (binary search on row u). */
SGE_ALWAYS_INLINE int64_t walk_edge_position(const int64_t *indptr, const int32_t *indices, int64_t u, int64_t x) {
    int64_t lo = indptr[u], hi = indptr[u + 1], stop = hi;
    while (lo < hi) {
        int64_t mid = (lo + hi) >> 1;
        if (indices[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < stop && indices[lo] == x ? lo : -1;
}

/* Whether the edge t -> x exists; undirected rows are symmetric, so the
 * shorter of the rows of t and x answers (that matters when t is a hub). */
SGE_ALWAYS_INLINE int walk_linked(const walk_graph *g, int64_t t, int64_t x) {
    const int64_t *ip = g->indptr;
    if (!g->directed && ip[x + 1] - ip[x] < ip[t + 1] - ip[t]) return walk_edge_position(ip, g->indices, x, t) >= 0;
    return walk_edge_position(ip, g->indices, t, x) >= 0;
}

/* The unnormalised node2vec bias alpha(t, x) of a step v -> x: 1/p for a
 * return to t, 1 when t -> x is an edge, 1/q otherwise (on directed graphs
 * the out-edge t -> x, as PecanPy does). */
SGE_ALWAYS_INLINE double walk_bias(const walk_graph *g, int64_t t, int64_t x) {
    if (x == t) return g->inv_p;
    return walk_linked(g, t, x) ? 1.0 : g->inv_q;
}

/* A step from v to an out-neighbour drawn proportionally to edge weight, in
 * O(1): a uniform slot of the row, then (weighted graphs) its alias test.
 * -1 when v has no out-edge. */
SGE_ALWAYS_INLINE int64_t walk_first_order_step(const walk_graph *g, int64_t v, uint64_t *state) {
    int64_t start = g->indptr[v], end = g->indptr[v + 1];
    if (start == end) return -1;
    int64_t j = start + sge_below(state, (uint64_t)(end - start));
    if (!g->alias_prob || sge_next_float(state) < g->alias_prob[j]) return g->indices[j];
    return g->alias_node[j];
}

/* Try to draw a node2vec step t -> v -> x by rejection sampling; -1 when all
 * max_trials proposals were rejected.  The target is w(v, x) * alpha(t, x);
 * each trial proposes x ~ w(v, x) and accepts it with probability
 * alpha(t, x) / envelope.  A uniform below the smallest possible alpha
 * accepts without the neighbour test; when 1/p is the largest bias, the
 * envelope is max(1, 1/q) and the excess mass of the return edge,
 * w(v, t) * (1/p - max(1, 1/q)), is an "outlier" region each trial hits
 * first in proportion to its mass, always accepted (KnightKing's trick). */
SGE_ALWAYS_INLINE int64_t walk_rejection_step(const walk_graph *g, int64_t t, int64_t v, int64_t max_trials,
                                              uint64_t *state) {
    int64_t start = g->indptr[v], end = g->indptr[v + 1];
    double inv_p = g->inv_p, inv_q = g->inv_q;
    double rest_max = inv_q > 1.0 ? inv_q : 1.0;
    double envelope = inv_p > rest_max ? inv_p : rest_max;
    double outlier = 0.0, body = 0.0;
    if (inv_p > rest_max) {
        envelope = rest_max;
        double w_vt;
        if (!g->directed && !g->weights) {
            w_vt = 1.0; /* t -> v was just traversed and undirected rows are symmetric */
        } else {
            int64_t j = walk_edge_position(g->indptr, g->indices, v, t);
            w_vt = j < 0 ? 0.0 : (g->weights ? g->weights[j] : 1.0);
        }
        outlier = w_vt * (inv_p - rest_max);
        double total_w = g->strength ? g->strength[v] : (double)(end - start);
        body = total_w * envelope;
    }
    /* Any proposal with u * envelope below this is accepted whatever x is. */
    double low_p = inv_p < envelope ? inv_p : envelope, low_q = inv_q < 1.0 ? inv_q : 1.0;
    double sure = low_p < low_q ? low_p : low_q;
    for (int64_t trial = 0; trial < max_trials; trial++) {
        if (outlier > 0.0 && sge_next_float(state) * (body + outlier) < outlier) return t;
        int64_t x = walk_first_order_step(g, v, state);
        double u = sge_next_float(state) * envelope;
        if (u < sure) return x;
        /* A return is capped at the envelope: the rest of 1/p is the outlier region. */
        double alpha = x == t ? (inv_p < envelope ? inv_p : envelope) : walk_bias(g, t, x);
        if (u < alpha) return x;
    }
    return -1;
}

/* A node2vec step t -> v -> x by scanning the row of v (v has an out-edge):
 * every w(v, x) * alpha(t, x), once for the total and once to locate the
 * draw, so no scratch memory.  O(deg(v) log deg); exact. */
static int64_t walk_exact_step(const walk_graph *g, int64_t t, int64_t v, uint64_t *state) {
    int64_t start = g->indptr[v], end = g->indptr[v + 1];
    double total = 0.0;
    for (int64_t j = start; j < end; j++) total += (g->weights ? g->weights[j] : 1.0) * walk_bias(g, t, g->indices[j]);
    double r = sge_next_float(state) * total, acc = 0.0;
    for (int64_t j = start; j < end; j++) {
        acc += (g->weights ? g->weights[j] : 1.0) * walk_bias(g, t, g->indices[j]);
        if (acc > r) return g->indices[j];
    }
    return g->indices[end - 1]; /* only when rounding put r at the very top */
}

/* One exact node2vec step t -> v -> x; -1 when v has no out-edge. */
SGE_ALWAYS_INLINE int64_t walk_node2vec_step(const walk_graph *g, int64_t t, int64_t v, uint64_t *state) {
    int64_t deg = g->indptr[v + 1] - g->indptr[v];
    if (deg == 0) return -1;
    int64_t x = walk_rejection_step(g, t, v, WALK_TRIALS_PER_EDGE * deg + WALK_MIN_TRIALS, state);
    return x >= 0 ? x : walk_exact_step(g, t, v, state);
}

/* n walks of `length` nodes into out (n, length): walk i starts at starts[i]
 * and draws from the stream (seed, first_walk + i); entries after a dead end
 * (a node without out-edge) are -1.  Threads that each take a contiguous
 * share of a chunk give the same walks as one. */
static void walk_chunk(const walk_graph *g, int64_t first_walk, const int32_t *starts, int64_t n, int32_t *out,
                       int64_t length) {
    for (int64_t i = 0; i < n; i++) {
        int32_t *row = out + i * length;
        uint64_t state = sge_item_state(g->seed, (uint64_t)(first_walk + i));
        int64_t prev = -1, cur = starts[i], k = 1;
        if (length > 0) row[0] = starts[i];
        for (; k < length; k++) {
            int64_t next = g->second_order && prev >= 0 ? walk_node2vec_step(g, prev, cur, &state)
                                                        : walk_first_order_step(g, cur, &state);
            if (next < 0) break;
            row[k] = (int32_t)next;
            prev = cur;
            cur = next;
        }
        for (; k < length; k++) row[k] = -1;
    }
}

#endif /* SKGRAPHEMB_WALK_KERNELS_H */
