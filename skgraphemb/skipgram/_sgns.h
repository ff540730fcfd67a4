/* Skip-gram with negative sampling (SGNS) on node walks: the C kernels of
 * skgraphemb's own trainer, compiled ahead of time when the package is
 * installed (Cython bindings in _sgns.pyx; the Python driver is _native.py).
 *
 * Plain C99 with GCC/Clang vector extensions and atomic builtins, no Python
 * API: every function runs without the GIL, and the driver's thread pool
 * calls the serial kernels on disjoint work (the deterministic rounds' calls
 * meet at a barrier the driver provides).  Nothing here allocates shared
 * state; scratch memory belongs to one call.
 *
 * Layout (row-major, C-contiguous):
 *   walks            (n_walks, width) int32 node positions, -1 after a walk ends
 *   syn0, syn1       (n_nodes, dim) float32 input and output vectors
 *   keep             (n_nodes,) uint64: a token of v survives subsampling when
 *                    a 32-bit draw is below keep[v] (2**32 keeps it always)
 *   neg_threshold,   (n_nodes,) uint64 / int32 alias table of the negatives'
 *   neg_alias        distribution (sgns_alias_table)
 *
 * Algorithm: gensim's skip-gram (sg=1, hs=0), with the K negatives of a centre
 * drawn once and shared by its whole window (Ji et al., 2016).  The window's
 * B context input rows x_1 .. x_B (in the walk's order) and its output rows
 * y_u, the centre (label 1) and its negatives (label 0): the logits G = X
 * Y^T and coefficients g_ru = (label_u - sigmoid(G_ru)) * alpha
 * (the logistic function computed in float, sgns_logistic8, saturating at
 * +-MAX_EXP as word2vec.c's table does: reading that table of 1,000 points
 * took the trainers about 5% longer, benchmarks/README.md) are taken at the
 * values before the window, then the updates pair by pair, as gensim's
 * pairs make them: x_r += sum_u g_ru y_u with y_u as the pairs before r
 * have left it, then y_u += g_ru x_r with x_r's value before.  Updating X
 * from the output rows before the window instead (X += g Y, Y += g^T X, as
 * this kernel did before) lost about 0.005 macro-F1 on BlogCatalog at
 * the same cost; taking each pair's logits after the pairs before it too
 * (gensim exactly) gained nothing more and took 1.3-1.5 times as long
 * (benchmarks/README.md).  A negative equal to the centre is skipped, as
 * gensim skips it; a node drawn twice as a negative is one output row with
 * its coefficients times its count, and a node at several places of a
 * window one row of X likewise, at its first place.  The rows (a few KiB)
 * stay in L1 while they are reused: the logits are computed two context
 * rows against all targets at a time, then one pass over the width, 8
 * floats at a time with the targets' running values in registers, reads
 * and writes each context row once (sgns_window_fused; more than 6
 * distinct targets take blocked products instead).
 *
 * Randomness: SplitMix64 streams keyed by (seed, walk index) (_random.h, the
 * generator of skgraphemb._kernels._random and of the numpy mixer; tests
 * compare the streams), so a walk's subsampling, window sizes and
 * negatives do not depend on which thread trains it.
 */
#ifndef SKGRAPHEMB_SGNS_H
#define SKGRAPHEMB_SGNS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "_random.h"

#define SGNS_MAX_EXP 6.0

/* The products are compiled twice on x86-64 Linux with GCC, for AVX2 + FMA
 * and for the baseline, and the loader picks one for the CPU (an ifunc):
 * one build runs on any x86-64 machine at the speed of the one it runs on.
 * The same builds also get the window products in 16-float blocks for
 * AVX-512 (SGNS_WIDE, below). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SGNS_MULTIARCH 1
#define SGNS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SGNS_MULTIARCH 0
#define SGNS_CLONES
#endif
#define SGNS_INLINE static inline __attribute__((always_inline))

/* GCC at -O3 may turn the row copies and clears below into calls to libc's
 * memmove and memset; for rows of a few hundred bytes a call costs more
 * than the inline loop (see sgns_copy_row). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

/* Eight floats; the unaligned variant loads and stores rows of any width. */
typedef float sgns_v8 __attribute__((vector_size(32)));
typedef float sgns_v8u __attribute__((vector_size(32), aligned(4)));
typedef float sgns_v4 __attribute__((vector_size(16)));
typedef float sgns_v4u __attribute__((vector_size(16), aligned(4)));
typedef int32_t sgns_v8i __attribute__((vector_size(32)));
typedef uint32_t sgns_v8u32 __attribute__((vector_size(32)));

/* ------------------------------------------------------------------ */
/* Random numbers (_random.h) and the alias draw                       */
/* ------------------------------------------------------------------ */

/* The alias table's pick for a draw u: the high 32 bits pick the slot, the low 32
 * bits toss its coin. */
SGNS_INLINE int32_t sgns_alias_pick(const uint64_t *threshold, const int32_t *alias, int64_t n, uint64_t u) {
    int64_t slot = sge_scale(u, (uint64_t)n);
    /* A select, not a branch: the coin is a coin toss for the branch predictor. */
    uint32_t own = 0u - (uint32_t)((u & 0xFFFFFFFFULL) < threshold[slot]);
    return (int32_t)(((uint32_t)slot & own) | ((uint32_t)alias[slot] & ~own));
}

/* ------------------------------------------------------------------ */
/* Tables and small kernels                                            */
/* ------------------------------------------------------------------ */

/* Input vectors uniform in [-1/dim, 1/dim) (gensim 4's scale); row v from
 * the stream (seed, v), so a node's start does not depend on the others. */
static void sgns_init_vectors(float *out, int64_t n_nodes, int64_t dim, uint64_t seed) {
    double scale = 2.0 / (double)dim;
    for (int64_t v = 0; v < n_nodes; v++) {
        uint64_t state = sge_item_state(seed, (uint64_t)v);
        for (int64_t t = 0; t < dim; t++) {
            double u = (double)(sge_next(&state) >> 11) * (1.0 / 9007199254740992.0);
            out[v * dim + t] = (float)((u - 0.5) * scale);
        }
    }
}

/* Walker/Vose alias table of `weights` (non-negative, positive sum); `work`
 * holds 3 * n doubles.  Slot i keeps i when a 32-bit draw is below
 * threshold[i] (at most 2**32), else takes alias[i]. */
static void sgns_alias_table(const double *weights, int64_t n, uint64_t *threshold, int32_t *alias, double *work) {
    double *scaled = work;
    int64_t *small = (int64_t *)(work + n), *large = (int64_t *)(work + 2 * n);
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) total += weights[i];
    int64_t n_small = 0, n_large = 0;
    for (int64_t i = 0; i < n; i++) {
        scaled[i] = weights[i] * ((double)n / total);
        alias[i] = (int32_t)i;
        if (scaled[i] < 1.0) small[n_small++] = i;
        else large[n_large++] = i;
    }
    while (n_small > 0 && n_large > 0) {
        int64_t s = small[--n_small];
        int64_t g = large[n_large - 1];
        threshold[s] = (uint64_t)(scaled[s] * 4294967296.0);
        alias[s] = (int32_t)g;
        scaled[g] = (scaled[g] + scaled[s]) - 1.0; /* the large slot donates what the small one lacks */
        if (scaled[g] < 1.0) {
            n_large--;
            small[n_small++] = g;
        }
    }
    /* Leftovers are 1 up to rounding: they always keep themselves. */
    for (int64_t q = 0; q < n_large; q++) threshold[large[q]] = 4294967296ULL;
    for (int64_t q = 0; q < n_small; q++) threshold[small[q]] = 4294967296ULL;
}

/* Adds each node's occurrences to counts (stopping each row at its first
 * -1); returns the tokens counted. */
static int64_t sgns_count_tokens(const int32_t *walks, int64_t n, int64_t width, int64_t *counts) {
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *w = walks + i * width;
        for (int64_t t = 0; t < width && w[t] >= 0; t++) {
            counts[w[t]]++;
            total++;
        }
    }
    return total;
}

/* What a pass over walks must reproduce (_corpus._WalkChunks): out[0] the
 * tokens (each row up to its first -1), out[1] the longest walk, out[2] the
 * sum of sge_mix(node + 1) over the tokens, modulo 2**64 (the same for any
 * order of the tokens, and of the rows). */
static void sgns_walk_digest(const int32_t *walks, int64_t n, int64_t width, uint64_t *out) {
    uint64_t tokens = 0, longest = 0, sum = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *w = walks + i * width;
        int64_t m = 0;
        for (; m < width && w[m] >= 0; m++) sum += sge_mix((uint64_t)w[m] + 1);
        tokens += (uint64_t)m;
        longest = (uint64_t)m > longest ? (uint64_t)m : longest;
    }
    out[0] = tokens;
    out[1] = longest;
    out[2] = sum;
}

static void sgns_walk_lengths(const int32_t *walks, int64_t n, int64_t width, int64_t *out) {
    for (int64_t i = 0; i < n; i++) {
        const int32_t *w = walks + i * width;
        int64_t m = 0;
        while (m < width && w[m] >= 0) m++;
        out[i] = m;
    }
}

/* Walks as ASCII lines of space-separated tokens (gensim's corpus_file
 * format), empty walks skipped; `buf` holds n * width * 11 + n bytes.
 * Returns the bytes written. */
static int64_t sgns_format_walks(const int32_t *walks, int64_t n, int64_t width, uint8_t *buf) {
    int64_t pos = 0;
    char digits[12];
    for (int64_t i = 0; i < n; i++) {
        const int32_t *w = walks + i * width;
        int64_t written = 0;
        for (int64_t t = 0; t < width && w[t] >= 0; t++) {
            if (written++ > 0) buf[pos++] = ' ';
            uint32_t v = (uint32_t)w[t];
            int nd = 0;
            do {
                digits[nd++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            while (nd) buf[pos++] = (uint8_t)digits[--nd];
        }
        if (written) buf[pos++] = '\n';
    }
    return pos;
}

/* ------------------------------------------------------------------ */
/* One walk                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    /* the trainer's tables */
    const uint64_t *keep, *neg_threshold;
    const int32_t *neg_alias;
    int64_t n_nodes, dim, window, negative;
    uint64_t seed;
} sgns_tables;

/* One thread's scratch for a walk of up to `width` tokens.  A window has
 * at most n_c = 2 min(window, width) + 2 context rows (one spare; a window
 * wider than the walk holds the walk) and n_t = negative + 1
 * targets; its logits and coefficients are rows of ldc floats (n_t rounded
 * up to blocks of 8). */
typedef struct {
    uint64_t *draws; /* a walk's random draws (sgns_plan_walk) */
    int32_t *sentence, *widths, *negs, *contexts, *targets;
    int32_t *prev, *place; /* per token its previous place (sgns_previous_places); per window place, its context */
    float *labels, *weights, *mult, *grad, *old_row;
    uint8_t *changes; /* per target: its update is written as a change (sgns_target_sources) */
    int64_t ldc;
    const float **xs, **ys; /* a window's context and target rows ... */
    const float **xr, **yr; /* ... where their values are read (sgns_source) */
    void *block;
} sgns_scratch;

static int sgns_scratch_alloc(sgns_scratch *s, int64_t width, int64_t window, int64_t negative, int64_t dim) {
    int64_t n_t = negative + 1, n_c = 2 * (window < width ? window : width) + 2, ldc = (n_t + 7) / 8 * 8;
    size_t ints = (size_t)(4 * width + width * negative + 2 * n_c + n_t + 8 + n_t / 4 + 1);
    size_t floats = (size_t)(2 * ldc + n_c + n_c * ldc + dim + 24);
    size_t ptrs = (size_t)(2 * n_c + 2 * n_t + 4), draws = (size_t)(width * n_t);
    char *block = (char *)calloc(ptrs * sizeof(float *) + draws * 8 + ints * 4 + floats * 4 + 64, 1);
    if (!block) return -1;
    s->block = block;
    s->ldc = ldc;
    s->xs = (const float **)block;
    s->ys = s->xs + n_c;
    s->xr = s->ys + n_t;
    s->yr = s->xr + n_c;
    block += ptrs * sizeof(float *);
    s->draws = (uint64_t *)block;
    block += draws * 8;
    int32_t *ip = (int32_t *)block;
    s->sentence = ip; ip += width;
    s->widths = ip; ip += width;
    s->negs = ip; ip += width * negative + 1;
    s->contexts = ip; ip += n_c;
    s->targets = ip; ip += n_t;
    s->prev = ip; ip += width;
    s->place = ip; ip += n_c;
    s->changes = (uint8_t *)ip;
    float *fp = (float *)(block + ints * 4);
    s->labels = fp; fp += ldc;
    s->weights = fp; fp += ldc;
    s->mult = fp; fp += n_c;
    s->grad = fp; fp += n_c * ldc + 8;
    s->old_row = fp;
    return 0;
}

static void sgns_scratch_free(sgns_scratch *s) { free(s->block); }

#if SGNS_MULTIARCH
#define SGNS_DRAW_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SGNS_DRAW_CLONES
#endif

/* The next n draws of the stream at `state`, as n calls of sge_next give
 * them (out[j] = sge_mix(first + (j + 1) * SGE_GOLDEN), `first` the state
 * on entry), leaving the state where they would.  The mixes are
 * independent, so the compiler runs the loop as vectors (eight lanes with
 * AVX-512's 64-bit multiplies); one sge_next after another took planning
 * about 1.5 times its samples (benchmarks/README.md). */
SGNS_DRAW_CLONES static void sgns_draws(uint64_t *state, int64_t n, uint64_t *out) {
    const uint64_t first = *state;
    for (int64_t j = 0; j < n; j++) out[j] = sge_mix(first + (uint64_t)(j + 1) * SGE_GOLDEN);
    *state = first + (uint64_t)n * SGE_GOLDEN;
}

/* Every random draw of one walk, in the stream's order; returns the tokens
 * kept.  Subsampling first (`sentence` gets the kept nodes), then per kept
 * token its reduced window in 1 .. window (`widths`), then (when the walk
 * has a second token, so that every window holds a context) its shared
 * negatives (`negs`, `negative` per token).  The draws come from
 * sgns_draws in two batches (`draws`: room for width * (negative + 1)),
 * the same numbers as sge_next one by one. */
static int64_t sgns_plan_walk(const int32_t *walk, int64_t width, const sgns_tables *tb, uint64_t *state,
                              int32_t *sentence, int32_t *widths, int32_t *negs, uint64_t *draws) {
    int64_t tokens = 0, length = 0;
    while (tokens < width && walk[tokens] >= 0) tokens++;
    sgns_draws(state, tokens, draws);
    const uint64_t *keep = tb->keep;
    for (int64_t t = 0; t < tokens; t++) {
        int32_t v = walk[t];
        sentence[length] = v; /* kept or not: a select (hubs' tokens are a coin toss) */
        length += (draws[t] >> 32) < keep[v];
    }
    /* Locals: under -fno-strict-aliasing each store to negs would reload the fields. */
    const int64_t window = tb->window, negative = length > 1 ? tb->negative : 0, n = tb->n_nodes;
    const int64_t per = negative + 1;
    const uint64_t *threshold = tb->neg_threshold;
    const int32_t *alias = tb->neg_alias;
    sgns_draws(state, length * per, draws);
    for (int64_t i = 0; i < length; i++) {
        const uint64_t *u = draws + i * per;
        widths[i] = (int32_t)(window - sge_scale(u[0], (uint64_t)window));
        for (int64_t k = 0; k < negative; k++) negs[i * negative + k] = sgns_alias_pick(threshold, alias, n, u[1 + k]);
    }
    return length;
}

/* dst = src, z -= a and z += a over a row: inline vector loops (a libc call
 * per 512-byte row cost more than the copy). */
SGNS_INLINE void sgns_copy_row(float *restrict dst, const float *restrict src, int64_t dim) {
    int64_t t = 0;
    for (; t + 8 <= dim; t += 8) *(sgns_v8u *)(dst + t) = *(const sgns_v8u *)(src + t);
    for (; t < dim; t++) dst[t] = src[t];
}

SGNS_INLINE void sgns_subtract_row(float *restrict z, const float *restrict a, int64_t dim) {
    int64_t t = 0;
    for (; t + 8 <= dim; t += 8) *(sgns_v8u *)(z + t) = *(sgns_v8u *)(z + t) - *(const sgns_v8u *)(a + t);
    for (; t < dim; t++) z[t] -= a[t];
}

SGNS_INLINE void sgns_add_row(float *restrict z, const float *restrict a, int64_t dim) {
    int64_t t = 0;
    for (; t + 8 <= dim; t += 8) *(sgns_v8u *)(z + t) = *(sgns_v8u *)(z + t) + *(const sgns_v8u *)(a + t);
    for (; t < dim; t++) z[t] += a[t];
}

/* Asks for a row's cache lines ahead of its use: to write them
 * (PREFETCHW where the code is compiled for it, so that a row another core
 * holds moves here once, not once to read and again to write), or only to
 * read them (a shared row that other cores read too). */
#ifndef SGNS_AHEAD
#define SGNS_AHEAD 2
#endif
SGNS_INLINE void sgns_prefetch_write(const float *row, int64_t dim) {
    for (int64_t t = 0; t < dim; t += 16) __builtin_prefetch(row + t, 1, 3);
}

SGNS_INLINE void sgns_prefetch_read(const float *row, int64_t dim) {
    for (int64_t t = 0; t < dim; t += 16) __builtin_prefetch(row + t, 0, 3);
}

/* Horizontal sum of a vector, in a fixed order. */
SGNS_INLINE float sgns_hsum(sgns_v8 a) {
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* The horizontal sums of four vectors at once, each in sgns_hsum's order:
 * halves added, then pairs of lanes, then the two pairs. */
SGNS_INLINE sgns_v4 sgns_hsum4(sgns_v8 a, sgns_v8 b, sgns_v8 c, sgns_v8 d) {
    sgns_v8 ab = __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11) +
                 __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
    sgns_v8 cd = __builtin_shufflevector(c, d, 0, 1, 2, 3, 8, 9, 10, 11) +
                 __builtin_shufflevector(c, d, 4, 5, 6, 7, 12, 13, 14, 15);
    /* (a04 + a15, a26 + a37, c04 + c15, c26 + c37, then b and d likewise) */
    sgns_v8 e = __builtin_shufflevector(ab, cd, 0, 2, 8, 10, 4, 6, 12, 14) +
                __builtin_shufflevector(ab, cd, 1, 3, 9, 11, 5, 7, 13, 15);
    return __builtin_shufflevector(e, e, 0, 4, 2, 6) + __builtin_shufflevector(e, e, 1, 5, 3, 7);
}

/* The logistic function 1 / (1 + exp(-x)) lane by lane, for |x| <= MAX_EXP
 * (its callers clamp x there): exp as in Cephes' expf, -x = n ln2 + r with
 * |r| <= ln2 / 2 and n an integer, exp(r) by a polynomial of degree 6 and
 * 2^n added to its exponent; within a few units in the last place of the
 * exact value (test_sigmoid_is_the_logistic_function_to_a_few_ulp). */
SGNS_INLINE sgns_v8 sgns_logistic8(sgns_v8 x) {
    const sgns_v8 zero = {0};
    sgns_v8 y = -x;
    /* n = round(y / ln2): y / ln2 + 12.5 > 0 for |y| <= 6, so truncation floors */
    sgns_v8i k = __builtin_convertvector(y * 1.44269504088896341f + 12.5f, sgns_v8i) - 12;
    sgns_v8 n = __builtin_convertvector(k, sgns_v8);
    sgns_v8 r = (y - n * 0.693359375f) + n * 2.12194440e-4f; /* ln2 in two parts */
    sgns_v8 p = zero + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    sgns_v8 e = (sgns_v8)((sgns_v8u32)p + ((sgns_v8u32)k << 23)); /* p * 2^n, n in -9 .. 9 */
    return 1.0f / (1.0f + e);
}

/* The sigmoid of eight logits f as the kernels take it: sgns_logistic8
 * inside (-MAX_EXP, MAX_EXP), exactly 1 at or above MAX_EXP and 0 at or
 * below -MAX_EXP (word2vec.c's clipping), 0 for NaN. */
SGNS_INLINE sgns_v8 sgns_sigmoid8(sgns_v8 f) {
    const sgns_v8 hi_f = (sgns_v8){0} + (float)SGNS_MAX_EXP, lo_f = -hi_f, one = (sgns_v8){0} + 1.0f;
    sgns_v8i hi = f >= hi_f, in = (f > lo_f) & ~hi;
    sgns_v8 fc = (sgns_v8)(((sgns_v8i)f & in) | ((sgns_v8i)lo_f & ~in)); /* out of range: -MAX_EXP, unused */
    return (sgns_v8)(((sgns_v8i)sgns_logistic8(fc) & in) | ((sgns_v8i)one & hi));
}

/* The coefficients of eight targets from their logits f:
 * (label - sigmoid(f)) * scale lane by lane (sgns_sigmoid8).  Lanes past
 * the window's last target have weight 0, so scale 0: their coefficients
 * are +-0 (sigmoid8 is finite even for a NaN logit), and a mask of them
 * here took about 2% of the kernel's time. */
SGNS_INLINE sgns_v8 sgns_coefficient8(sgns_v8 f, sgns_v8 label, sgns_v8 scale) {
    return (label - sgns_sigmoid8(f)) * scale;
}

/* sgns_sigmoid8 of n logits x, for the tests. */
static void sgns_sigmoid(const float *x, int64_t n, float *out) {
    for (int64_t q = 0; q < n; q += 8) {
        sgns_v8 f = {0};
        for (int64_t k = 0; k < 8 && q + k < n; k++) f[k] = x[q + k];
        sgns_v8 s = sgns_sigmoid8(f);
        for (int64_t k = 0; k < 8 && q + k < n; k++) out[q + k] = s[k];
    }
}

/* The loops below copy their row pointers and coefficients into locals
 * first: Python extensions build with -fno-strict-aliasing, so a store to a
 * row could otherwise be taken to change them, and they would be reloaded on
 * every iteration. */

/* g[r][k] = <x_r, y_k> for two rows x and NY rows y; `g` rows are `ld` apart. */
SGNS_INLINE void sgns_dot(const float *restrict x0, const float *restrict x1, const float *const *y, int NY,
                          int64_t dim, float *g, int64_t ld) {
    const float *yp[4];
    sgns_v8 a0[4], a1[4];
    for (int j = 0; j < NY; j++) {
        yp[j] = y[j];
        a0[j] = (sgns_v8){0};
        a1[j] = (sgns_v8){0};
    }
    int64_t t = 0;
    for (; t + 8 <= dim; t += 8) {
        sgns_v8 u0 = *(const sgns_v8u *)(x0 + t), u1 = *(const sgns_v8u *)(x1 + t);
        for (int j = 0; j < NY; j++) {
            sgns_v8 w = *(const sgns_v8u *)(yp[j] + t);
            a0[j] += u0 * w;
            a1[j] += u1 * w;
        }
    }
    for (int j = 0; j < NY; j++) {
        float s0 = sgns_hsum(a0[j]), s1 = sgns_hsum(a1[j]);
        for (int64_t q = t; q < dim; q++) {
            s0 += x0[q] * yp[j][q];
            s1 += x1[q] * yp[j][q];
        }
        g[j] = s0;
        g[ld + j] = s1;
    }
}

/* sum_j c[j] w[j] over NV terms, as a tree two chains deep. */
SGNS_INLINE sgns_v8 sgns_combo(const sgns_v8 *c, const sgns_v8 *w, int NV) {
    sgns_v8 e = c[0] * w[0], o = {0};
    if (NV > 1) o = c[1] * w[1];
    if (NV > 2) e += c[2] * w[2];
    if (NV > 3) o += c[3] * w[3];
    return e + o;
}

/* z_i += sum_j c_i[j] v_j for the NZ rows z (distinct rows, NZ <= 2) over NV
 * rows v. */
SGNS_INLINE void sgns_axpy(float *const *z, const float *const *c, const float *const *v, int NZ, int NV,
                           int64_t dim) {
    float *zp[2];
    const float *vp[4];
    float cs[2][4];
    sgns_v8 cb[2][4];
    for (int i = 0; i < NZ; i++) {
        zp[i] = z[i];
        for (int j = 0; j < NV; j++) {
            cs[i][j] = c[i][j];
            cb[i][j] = (sgns_v8){0} + cs[i][j];
        }
    }
    for (int j = 0; j < NV; j++) vp[j] = v[j];
    int64_t t = 0;
    for (; t + 8 <= dim; t += 8) {
        sgns_v8 w[4];
        for (int j = 0; j < NV; j++) w[j] = *(const sgns_v8u *)(vp[j] + t);
        for (int i = 0; i < NZ; i++) *(sgns_v8u *)(zp[i] + t) = *(sgns_v8u *)(zp[i] + t) + sgns_combo(cb[i], w, NV);
    }
    for (; t < dim; t++) {
        for (int i = 0; i < NZ; i++) {
            float acc = 0.0f;
            for (int j = 0; j < NV; j++) acc += cs[i][j] * vp[j][t];
            zp[i][t] += acc;
        }
    }
}

/* Blocks of up to four right rows, with the block width a constant in each
 * call so that the accumulators stay in registers. */
SGNS_INLINE void sgns_dot_blocks(const float *x0, const float *x1, const float *const *y, int64_t n, int64_t dim,
                                 float *g, int64_t ld) {
    int64_t k = 0;
    for (; k + 4 <= n; k += 4) sgns_dot(x0, x1, y + k, 4, dim, g + k, ld);
    switch (n - k) {
    case 3: sgns_dot(x0, x1, y + k, 3, dim, g + k, ld); break;
    case 2: sgns_dot(x0, x1, y + k, 2, dim, g + k, ld); break;
    case 1: sgns_dot(x0, x1, y + k, 1, dim, g + k, ld); break;
    }
}

/* z0 (and z1 unless NULL) += their coefficients times n rows v, in blocks of
 * up to four rows. */
SGNS_INLINE void sgns_axpy_blocks(float *z0, float *z1, const float *c0, const float *c1, const float *const *v,
                                  int64_t n, int64_t dim) {
    if (!z1) c1 = c0; /* never read: keeps every pointer valid for the compiler */
    float *z[2] = {z0, z1};
    const float *c[2] = {c0, c1};
    int nz = z1 ? 2 : 1;
    int64_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const float *ck[2] = {c0 + k, c1 + k};
        if (nz == 2) sgns_axpy(z, ck, v + k, 2, 4, dim);
        else sgns_axpy(z, ck, v + k, 1, 4, dim);
    }
    const float *ck[2] = {c[0] + k, c[1] + k};
    switch ((n - k) * 2 + nz - 1) {
    case 6: sgns_axpy(z, ck, v + k, 1, 3, dim); break;
    case 7: sgns_axpy(z, ck, v + k, 2, 3, dim); break;
    case 4: sgns_axpy(z, ck, v + k, 1, 2, dim); break;
    case 5: sgns_axpy(z, ck, v + k, 2, 2, dim); break;
    case 2: sgns_axpy(z, ck, v + k, 1, 1, dim); break;
    case 3: sgns_axpy(z, ck, v + k, 2, 1, dim); break;
    }
}

/* The window products for NT <= SGNS_FUSED_TARGETS distinct targets, NT a
 * constant in each call:
 *
 * - G[r][u] = <x_r, y_u> for one or two context rows x against all NT
 *   targets at a time (NT or 2 NT accumulators in registers), and their
 *   coefficients (sgns_row_coefficients);
 * - then one pass over the width in blocks of 8 floats: the targets' blocks
 *   held in registers as their running values, every context row's block
 *   read once, written once with x_r + sum_u g[r][u] y_u, and added to the
 *   targets as g[r][u] x_r; the targets' blocks are written at the end. */
#define SGNS_FUSED_TARGETS 6

/* The coefficients of a window's contexts r < nr from their logits, in
 * blocks of 8 targets (n_blocks per context, rows of 8 * n_blocks floats):
 * (label_u - sigmoid(<x_r, y_u>)) * alpha * mult[r] * weight_u, written over
 * the logits; targets past the last (weights 0) get 0. */
SGNS_INLINE void sgns_row_coefficients(float *co, int64_t nr, int64_t n_blocks, const float *labels,
                                       const float *weights, const float *mult, float alpha) {
    for (int64_t r = 0; r < nr; r++)
        for (int64_t b = 0; b < n_blocks; b++) {
            float *row = co + (r * n_blocks + b) * 8;
            sgns_v8 f = *(const sgns_v8u *)row, label = *(const sgns_v8u *)(labels + 8 * b);
            sgns_v8 scale = *(const sgns_v8u *)(weights + 8 * b) * (alpha * mult[r]);
            *(sgns_v8u *)row = sgns_coefficient8(f, label, scale);
        }
}

/* What turns a window's logits into coefficients (sgns_row_coefficients):
 * its targets' labels and weights (8 each), the contexts' multiplicities
 * from the first row's and the learning rate. */
typedef struct {
    const float *labels, *weights, *mult;
    float alpha;
} sgns_coefficients;

/* Where a shard's rows are read (deterministic rounds): slot j of the
 * shard's copy stands for node rows[j], in the state ready[j]:
 *   SGNS_UNTOUCHED  never written: the value is the shared row's;
 *   SGNS_CHANGE     the slot holds the change (value: shared row + slot);
 *   SGNS_VALUE      the slot holds the value.
 * A window reads an untouched row from the shared vectors and its update
 * writes the slot, so that no pass copies rows in before training.  Output
 * rows (src1 of sgns_train_plan: mostly negatives, touched about once)
 * keep their first update as a change, which is what the shard hands over
 * at its end; a second use first turns the slot into the value.  Input rows
 * (contexts, reused by the next ~10 windows) take the value at once. */
enum { SGNS_UNTOUCHED = 0, SGNS_CHANGE = 1, SGNS_VALUE = 2 };
typedef struct {
    const float *shared;
    const int32_t *rows;
    uint8_t *ready;
} sgns_source;

/* Where a window reads its context rows xs (distinct): an untouched one
 * from the shared vectors, its update then writing the slot as the value. */
SGNS_INLINE void sgns_context_sources(const sgns_source *src, const int32_t *contexts, int64_t m, const float **xr,
                                      int64_t dim) {
    for (int64_t r = 0; r < m; r++)
        if (src->ready[contexts[r]] == SGNS_UNTOUCHED) {
            xr[r] = src->shared + (int64_t)src->rows[contexts[r]] * dim;
            src->ready[contexts[r]] = SGNS_VALUE;
        }
}

/* Where a window reads its target rows ys (distinct) and how it writes
 * them: an untouched row is read shared and its update written as the
 * change (changes[u] = 1, from 0 on entry: the trained value less the
 * shared row); a row holding a change becomes the value before the window. */
SGNS_INLINE void sgns_target_sources(const sgns_source *src, const int32_t *targets, int64_t n_t, float **ys,
                                     const float **yr, uint8_t *changes, int64_t dim) {
    for (int64_t u = 0; u < n_t; u++) {
        uint8_t *ready = src->ready + targets[u];
        const float *shared = src->shared + (int64_t)src->rows[targets[u]] * dim;
        switch (*ready) {
        case SGNS_UNTOUCHED:
            yr[u] = shared;
            changes[u] = 1;
            *ready = SGNS_CHANGE;
            break;
        case SGNS_CHANGE:
            sgns_add_row(ys[u], shared, dim);
            *ready = SGNS_VALUE;
            break;
        default: break;
        }
    }
}

/* prev[j] = the nearest place k < j with ids[k] == ids[j], or -1 when
 * there is none within `span` places (two places of one window are at most
 * 2 window apart). */
static void sgns_previous_places(const int32_t *ids, int64_t length, int64_t span, int32_t *prev) {
    for (int64_t j = 0; j < length; j++) {
        int32_t v = ids[j], p = -1;
        for (int64_t k = j - span < 0 ? 0 : j - span; k < j; k++) p = ids[k] == v ? (int32_t)k : p;
        prev[j] = p;
    }
}

/* Prefetch what the next use of slot `id` reads: the row itself (lock-free),
 * or (rounds) the slot holding the value, else the shared row, plus the
 * slot of a row that holds a change.  The address is a select: which rows
 * a shard has touched is a coin toss for the branch predictor, and two
 * branches on the state took about 2% of the rounds' time. */
SGNS_INLINE void sgns_prefetch_slot(const float *local, const sgns_source *src, int32_t id, int64_t dim) {
    const float *mine = local + (int64_t)id * dim;
    if (!src) {
        sgns_prefetch_write(mine, dim);
        return;
    }
    uint8_t st = src->ready[id];
    const float *shared = src->shared + (int64_t)src->rows[id] * dim;
    sgns_prefetch_read(st == SGNS_VALUE ? mine : shared, dim);
    if (st == SGNS_CHANGE) sgns_prefetch_write(mine, dim);
}

/* The window products and the walk loop (_sgns_plan.h), in blocks of 8
 * floats and, on x86-64 with GCC, of 16 for CPUs with AVX-512
 * (x86-64-v4), which run them in about 0.9 of the time; sgns_train_plan
 * picks the widest the CPU runs (sgns_simd_width), once. */
#define SGNS_W 8
#define SGNS_P(name) sgns_##name##_w8
#define SGNS_PLAN_TARGET SGNS_CLONES
#include "_sgns_plan.h"
#undef SGNS_W
#undef SGNS_P
#undef SGNS_PLAN_TARGET
#if SGNS_MULTIARCH
#define SGNS_WIDE 1
#define SGNS_W 16
#define SGNS_P(name) sgns_##name##_w16
#define SGNS_PLAN_TARGET __attribute__((target("arch=x86-64-v4,prfchw")))
#include "_sgns_plan.h"
#undef SGNS_W
#undef SGNS_P
#undef SGNS_PLAN_TARGET
#else
#define SGNS_WIDE 0
#endif

/* The block width of the window products: 16 where the CPU has AVX-512
 * (and the build its variant), else 8; sgns_set_simd_width(8) makes a
 * wide CPU run the narrow blocks (the tests run both).  The last bits of
 * the vectors depend on it (the order of the products' sums), so the same
 * seed gives the same vectors for any n_jobs on one machine, and machines
 * with and without AVX-512 differ in their last bits. */
static int sgns_width = 0;

static int sgns_simd_width(void) {
    if (!sgns_width) {
#if SGNS_WIDE
        __builtin_cpu_init();
        sgns_width = __builtin_cpu_supports("x86-64-v4") ? 16 : 8;
#else
        sgns_width = 8;
#endif
    }
    return sgns_width;
}

/* 8, or 16 where this CPU runs it; returns the width in use. */
static int sgns_set_simd_width(int width) {
    sgns_width = 0;
    if (width == 16 && sgns_simd_width() == 16) return 16;
    sgns_width = 8;
    return 8;
}

static void sgns_train_plan(int64_t length, const int32_t *ctx_ids, const int32_t *tgt_ids, const int32_t *negs,
                            const int32_t *widths, float *syn0, float *syn1, const sgns_source *src0,
                            const sgns_source *src1, const sgns_tables *tb, float alpha, sgns_scratch *s) {
#if SGNS_WIDE
    if (sgns_simd_width() == 16) {
        sgns_train_plan_w16(length, ctx_ids, tgt_ids, negs, widths, syn0, syn1, src0, src1, tb, alpha, s);
        return;
    }
#endif
    sgns_train_plan_w8(length, ctx_ids, tgt_ids, negs, widths, syn0, syn1, src0, src1, tb, alpha, s);
}

/* ------------------------------------------------------------------ */
/* Lock-free training                                                  */
/* ------------------------------------------------------------------ */

/* SGNS over a block of walks in order, updating syn0 and syn1 in place
 * (threads on disjoint blocks write to them without locks: "Hogwild").
 * Walk i draws from the stream (seed, first_walk + i) at rate alphas[i].
 * Returns the tokens kept after subsampling, or -1 when out of memory. */
static int64_t sgns_train_walks_hogwild(const int32_t *walks, int64_t n_walks, int64_t width, int64_t first_walk,
                                        const double *alphas, float *syn0, float *syn1, const sgns_tables *tb) {
    sgns_scratch s;
    if (sgns_scratch_alloc(&s, width, tb->window, tb->negative, tb->dim)) return -1;
    int64_t kept = 0;
    for (int64_t i = 0; i < n_walks; i++) {
        uint64_t state = sge_item_state(tb->seed, (uint64_t)(first_walk + i));
        int64_t length = sgns_plan_walk(walks + i * width, width, tb, &state, s.sentence, s.widths, s.negs, s.draws);
        sgns_train_plan(length, s.sentence, s.sentence, s.negs, s.widths, syn0, syn1, NULL, NULL, tb,
                        (float)alphas[i], &s);
        kept += length;
    }
    sgns_scratch_free(&s);
    return kept;
}

/* ------------------------------------------------------------------ */
/* Deterministic rounds                                                */
/* ------------------------------------------------------------------ */

/* Slots `ids` of `nodes` in a shard's copy, giving a node the next slot on
 * its first use (row_map[v] < 0; rows[slot] = v); returns the slots in use.
 * The row itself is copied by its first update (sgns_source).  `ids` may be
 * `nodes`. */
static int64_t sgns_localise(const int32_t *nodes, int32_t *ids, int64_t count, int32_t *row_map, int32_t *rows,
                             int64_t n) {
    for (int64_t q = 0; q < count; q++) {
        int32_t v = nodes[q];
        if (q + 8 < count) __builtin_prefetch(row_map + nodes[q + 8], 0, 3); /* random entries */
        int32_t r = row_map[v];
        if (r < 0) {
            r = (int32_t)n++;
            row_map[v] = r;
            rows[r] = v;
        }
        ids[q] = r;
    }
    return n;
}

/* A shard's end: its n slots' changes (a value less the shared row, read
 * while the shard's rows are still in cache; zero for a slot never
 * written), its slots' states cleared. */
static void sgns_changes(float *local, const float *shared, const int32_t *rows, uint8_t *ready, int64_t n,
                         int64_t dim) {
    for (int64_t r = 0; r < n; r++) {
        if (r + 4 < n && ready[r + 4] == SGNS_VALUE) sgns_prefetch_read(shared + (int64_t)rows[r + 4] * dim, dim);
        if (ready[r] == SGNS_VALUE) sgns_subtract_row(local + r * dim, shared + (int64_t)rows[r] * dim, dim);
        else if (ready[r] == SGNS_UNTOUCHED) for (int64_t t = 0; t < dim; t++) local[r * dim + t] = 0.0f;
        ready[r] = SGNS_UNTOUCHED;
    }
}

/* One thread's scratch for the shards of deterministic rounds: a walk's
 * scratch and the states of its slots. */
typedef struct {
    sgns_scratch s;
    uint8_t *ready;
} sgns_shard_scratch;

static void sgns_shard_scratch_free(sgns_shard_scratch *ss) {
    free(ss->ready);
    sgns_scratch_free(&ss->s);
}

static int sgns_shard_scratch_alloc(sgns_shard_scratch *ss, int64_t width, const sgns_tables *tb, int64_t n_in_max,
                                    int64_t n_out_max) {
    if (sgns_scratch_alloc(&ss->s, width, tb->window, tb->negative, tb->dim)) return -1;
    ss->ready = (uint8_t *)calloc((size_t)(n_in_max + n_out_max + 2), 1);
    if (ss->ready) return 0;
    sgns_shard_scratch_free(ss);
    return -1;
}

/* The part 0 .. n_parts - 1 that row v belongs to: a multiplicative hash
 * (`v % n_parts` took an integer division per row and per look-ahead). */
SGNS_INLINE int64_t sgns_part_of(int32_t v, int64_t n_parts) {
    return (int64_t)(((uint64_t)((uint32_t)v * 0x9E3779B1u) * (uint64_t)n_parts) >> 32);
}

/* Slots 0 .. n - 1 (rows[slot] their rows) grouped by the part of their row,
 * each part in slot order: part p's slots are order[bounds[p] ..
 * bounds[p + 1] - 1] (bounds: n_parts + 1 entries, bounds[n_parts] = n),
 * so that the thread adding part p's changes walks its own rows only. */
static void sgns_bucket(const int32_t *rows, int64_t n, int64_t n_parts, int32_t *order, int64_t *bounds) {
    for (int64_t p = 0; p <= n_parts; p++) bounds[p] = 0;
    for (int64_t r = 0; r < n; r++) bounds[sgns_part_of(rows[r], n_parts) + 1]++;
    for (int64_t p = 0; p < n_parts; p++) bounds[p + 1] += bounds[p];
    for (int64_t r = 0; r < n; r++) order[bounds[sgns_part_of(rows[r], n_parts)]++] = (int32_t)r;
    for (int64_t p = n_parts; p > 0; p--) bounds[p] = bounds[p - 1]; /* each bounds[p] had moved to p + 1's */
    bounds[0] = 0;
}

/* A deterministic round's buffers (_native._Rounds).  A round is `shards`
 * shards of `shard_size` consecutive walks; its shards are planned (their
 * random draws and rows, sgns_plan_shard) into the buffers of the round's
 * parity, so that the next round can be planned while this one's changes
 * are added:
 *   plans       (2 * shards, plan_words) int32: buffer p * shards + s plans
 *               shard s of a round of parity p (layout: sgns_plan_layout);
 *   in_rows     (2 * shards, n_in_max) int32: the shard's distinct input
 *               rows, in the order of their slots;
 *   in_order,   (2 * shards, n_in_max) int32 and (2 * shards, n_parts + 1)
 *   in_bounds   int64: its slots grouped by the part of their row
 *               (sgns_bucket);
 *   in_local    (shards, n_in_max, dim) float32: the slots' copies of the
 *               rows, then their changes;
 * and likewise for the output rows. */
typedef struct {
    int32_t *plans;
    int64_t plan_words, shards, shard_size, n_parts;
    int32_t *in_rows, *in_order, *out_rows, *out_order;
    int64_t *in_bounds, *out_bounds, n_in_max, n_out_max;
    float *in_local, *out_local;
} sgns_rounds;

/* A shard's plan: a head of SGNS_PLAN_HEAD words (its state, the numbers of
 * its input and output slots and of its walks), each walk's kept tokens,
 * then per walk `width` windows (sgns_plan_walk), `width` input slots,
 * `width` output slots of the centres and `width * negative` of the
 * negatives. */
enum { SGNS_PLAN_STATE, SGNS_PLAN_N_IN, SGNS_PLAN_N_OUT, SGNS_PLAN_WALKS, SGNS_PLAN_HEAD };

static int64_t sgns_plan_words(int64_t shard_size, int64_t width, int64_t negative) {
    return SGNS_PLAN_HEAD + shard_size + shard_size * width * (3 + negative);
}

typedef struct {
    int32_t *head, *lengths, *widths, *ctx, *tgt, *negs;
} sgns_plan_layout;

/* The plan of shard `sh` of a round of parity `parity`. */
static sgns_plan_layout sgns_plan_of(const sgns_rounds *rd, int64_t parity, int64_t sh, int64_t width) {
    sgns_plan_layout p;
    int64_t run = rd->shard_size * width;
    p.head = rd->plans + (parity * rd->shards + sh) * rd->plan_words;
    p.lengths = p.head + SGNS_PLAN_HEAD;
    p.widths = p.lengths + rd->shard_size;
    p.ctx = p.widths + run;
    p.tgt = p.ctx + run;
    p.negs = p.tgt + run;
    return p;
}

/* Plans shard `sh` of a round (walks: the round's first n_walks walks, the
 * first of them walk first_walk of the corpus) for round `round` of the
 * call: each walk's draws (sgns_plan_walk), its tokens' slots in the
 * shard's copies, given in the order of first use (sgns_localise, through
 * the calling thread's row maps, all -1 on entry and on return), the
 * shard's rows and their slots grouped by part (sgns_bucket).  The plan
 * depends only on the walks, not on the thread, so any thread may plan a
 * shard, in any round before it is trained. */
static void sgns_plan_shard(sgns_scratch *s, const sgns_rounds *rd, const int32_t *walks, int64_t n_walks,
                            int64_t width, int64_t first_walk, int64_t round, int64_t sh, const sgns_tables *tb,
                            int32_t *in_map, int32_t *out_map) {
    const int64_t negative = tb->negative, slot = (round & 1) * rd->shards + sh;
    sgns_plan_layout p = sgns_plan_of(rd, round & 1, sh, width);
    int32_t *rows0 = rd->in_rows + slot * rd->n_in_max, *rows1 = rd->out_rows + slot * rd->n_out_max;
    int64_t n_in = 0, n_out = 0, first = sh * rd->shard_size;
    int64_t stop = first + rd->shard_size < n_walks ? first + rd->shard_size : n_walks;
    for (int64_t i = first; i < stop; i++) {
        int64_t j = i - first;
        int32_t *ctx = p.ctx + j * width, *tgt = p.tgt + j * width, *negs = p.negs + j * width * negative;
        uint64_t state = sge_item_state(tb->seed, (uint64_t)(first_walk + i));
        int64_t length = sgns_plan_walk(walks + i * width, width, tb, &state, s->sentence, p.widths + j * width, negs,
                                        s->draws);
        n_in = sgns_localise(s->sentence, ctx, length, in_map, rows0, n_in);
        n_out = sgns_localise(s->sentence, tgt, length, out_map, rows1, n_out);
        if (length > 1) n_out = sgns_localise(negs, negs, length * negative, out_map, rows1, n_out);
        p.lengths[j] = (int32_t)length;
    }
    for (int64_t r = 0; r < n_in; r++) in_map[rows0[r]] = -1;
    for (int64_t r = 0; r < n_out; r++) out_map[rows1[r]] = -1;
    sgns_bucket(rows0, n_in, rd->n_parts, rd->in_order + slot * rd->n_in_max, rd->in_bounds + slot * (rd->n_parts + 1));
    sgns_bucket(rows1, n_out, rd->n_parts, rd->out_order + slot * rd->n_out_max,
                rd->out_bounds + slot * (rd->n_parts + 1));
    p.head[SGNS_PLAN_N_IN] = (int32_t)n_in;
    p.head[SGNS_PLAN_N_OUT] = (int32_t)n_out;
    p.head[SGNS_PLAN_WALKS] = (int32_t)(stop - first);
}

/* Trains planned shard `sh` of round `round`: its walks in order, as on one
 * thread, on a private copy of the rows it touches, from the vectors at the
 * start of the round (a row enters the copy with its first update:
 * sgns_source).  syn0 and syn1 are only read, so shards can run on any
 * threads in any order with the same result.  The shard ends with its
 * slots' changes in in_local[sh] and out_local[sh] (trained value less the
 * value at the start of the round, taken while the shard's rows are still
 * in cache).  Returns the tokens kept. */
SGNS_CLONES static int64_t sgns_train_shard(sgns_shard_scratch *ss, const sgns_rounds *rd, int64_t width,
                                            int64_t round, int64_t sh, const double *alphas, const float *syn0,
                                            const float *syn1, const sgns_tables *tb) {
    const int64_t dim = tb->dim, negative = tb->negative, slot = (round & 1) * rd->shards + sh;
    sgns_plan_layout p = sgns_plan_of(rd, round & 1, sh, width);
    float *local0 = rd->in_local + sh * rd->n_in_max * dim, *local1 = rd->out_local + sh * rd->n_out_max * dim;
    const int32_t *rows0 = rd->in_rows + slot * rd->n_in_max, *rows1 = rd->out_rows + slot * rd->n_out_max;
    sgns_source src0 = {syn0, rows0, ss->ready}, src1 = {syn1, rows1, ss->ready + rd->n_in_max};
    int64_t kept = 0, first = sh * rd->shard_size;
    for (int64_t j = 0; j < p.head[SGNS_PLAN_WALKS]; j++) {
        int64_t length = p.lengths[j];
        sgns_train_plan(length, p.ctx + j * width, p.tgt + j * width, p.negs + j * width * negative,
                        p.widths + j * width, local0, local1, &src0, &src1, tb, (float)alphas[first + j], &ss->s);
        kept += length;
    }
    sgns_changes(local0, syn0, rows0, src0.ready, p.head[SGNS_PLAN_N_IN], dim);
    sgns_changes(local1, syn1, rows1, src1.ready, p.head[SGNS_PLAN_N_OUT], dim);
    return kept;
}

/* vectors[v] += change[s, j] over slots s in order, for the rows v of part
 * `part` (sgns_part_of), found through each slot's order and bounds
 * (sgns_bucket): each row sums its changes in shard order, that is in
 * corpus order, whatever n_parts is.  Scanning every slot for the part's
 * rows instead made the adds no faster on two threads than on one. */
SGNS_CLONES static void sgns_add_changes(float *vectors, int64_t dim, const int32_t *rows, const int32_t *order,
                                         const int64_t *bounds, const float *change, int64_t n_max, int64_t n_slots,
                                         int64_t part, int64_t n_parts) {
    for (int64_t s = 0; s < n_slots; s++) {
        const int32_t *rs = rows + s * n_max, *os = order + s * n_max;
        const float *cs = change + s * n_max * dim;
        int64_t stop = bounds[s * (n_parts + 1) + part + 1];
        for (int64_t q = bounds[s * (n_parts + 1) + part]; q < stop; q++) {
            /* Random rows: ask for one a few places ahead. */
            if (q + 6 < stop) {
                sgns_prefetch_write(vectors + (int64_t)rs[os[q + 6]] * dim, dim);
                sgns_prefetch_read(cs + (int64_t)os[q + 6] * dim, dim);
            }
            sgns_add_row(vectors + (int64_t)rs[os[q]] * dim, cs + (int64_t)os[q] * dim, dim);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Deterministic rounds on several threads, in one call per thread       */
/* ------------------------------------------------------------------ */

/* A barrier for the n_parts threads of sgns_train_rounds, in SGNS_B_WORDS
 * int32 words that the caller zeroes but for the number of threads
 * (new_barrier in _sgns.pyx): arrivals, generation, the number of
 * threads, a stop flag and the number of sleeping threads; one more word
 * counts the shards of the current round claimed so far.  A
 * waiting thread spins for up to SGNS_SPIN_NS, then sleeps on the
 * generation word (a futex on Linux; elsewhere it yields its core in a
 * loop).  Spinning longer gained nothing measurable on one fit, and cost
 * where threads wait for a core (two fits of two threads at once on two
 * cores: 100 us of spinning took as long as thread-pool calls per round,
 * 1 ms took 1.3 times as long; benchmarks/README.md). */
enum {
    SGNS_B_ARRIVED, SGNS_B_GENERATION, SGNS_B_THREADS, SGNS_B_STOP, SGNS_B_SLEEPERS, SGNS_B_CLAIMED,
    SGNS_B_PLANNED_AHEAD, SGNS_B_WORDS
};

#ifndef SGNS_SPIN_NS
#define SGNS_SPIN_NS 5000
#endif

SGNS_INLINE void sgns_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t sgns_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sgns_sleep_on(int32_t *word, int32_t value) {
#ifdef __linux__
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
    (void)word;
    (void)value;
    sched_yield();
#endif
}

/* A new generation: the waiting threads go on (sleepers are woken). */
static void sgns_barrier_release(int32_t *b) {
    __atomic_add_fetch(&b[SGNS_B_GENERATION], 1, __ATOMIC_SEQ_CST);
#ifdef __linux__
    if (__atomic_load_n(&b[SGNS_B_SLEEPERS], __ATOMIC_SEQ_CST))
        syscall(SYS_futex, &b[SGNS_B_GENERATION], FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
#endif
}

/* Every thread's next or current wait returns -1. */
static void sgns_barrier_stop(int32_t *b) {
    __atomic_store_n(&b[SGNS_B_STOP], 1, __ATOMIC_SEQ_CST);
    sgns_barrier_release(b);
}

/* Arrives at the barrier.  Returns 1 when this thread arrived last (the
 * others are released), else 0 with *generation the generation to wait
 * out (sgns_barrier_finish). */
static int sgns_barrier_arrive(int32_t *b, int32_t *generation) {
    *generation = __atomic_load_n(&b[SGNS_B_GENERATION], __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b[SGNS_B_ARRIVED], 1, __ATOMIC_ACQ_REL) == b[SGNS_B_THREADS]) {
        __atomic_store_n(&b[SGNS_B_ARRIVED], 0, __ATOMIC_RELAXED);
        sgns_barrier_release(b);
        return 1;
    }
    return 0;
}

/* Whether the wait for `generation` is over (all arrived, or a stop). */
static int sgns_barrier_open(int32_t *b, int32_t generation) {
    return __atomic_load_n(&b[SGNS_B_STOP], __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&b[SGNS_B_GENERATION], __ATOMIC_ACQUIRE) != generation;
}

/* Waits out `generation`: returns 0 once all threads have arrived, -1 when a
 * thread stopped. */
static int sgns_barrier_finish(int32_t *b, int32_t generation) {
    int64_t until = -1;
    for (int64_t turn = 0;; turn++) {
        if (__atomic_load_n(&b[SGNS_B_STOP], __ATOMIC_SEQ_CST)) return -1;
        if (__atomic_load_n(&b[SGNS_B_GENERATION], __ATOMIC_ACQUIRE) != generation) return 0;
        if (turn % 64 == 0) {
            int64_t now = sgns_now_ns();
            if (until < 0) until = now + SGNS_SPIN_NS;
            if (now >= until) break;
        }
        sgns_relax();
    }
    for (;;) {
        __atomic_add_fetch(&b[SGNS_B_SLEEPERS], 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b[SGNS_B_GENERATION], __ATOMIC_SEQ_CST) == generation &&
            !__atomic_load_n(&b[SGNS_B_STOP], __ATOMIC_SEQ_CST))
            sgns_sleep_on(&b[SGNS_B_GENERATION], generation);
        __atomic_sub_fetch(&b[SGNS_B_SLEEPERS], 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&b[SGNS_B_STOP], __ATOMIC_SEQ_CST)) return -1;
        if (__atomic_load_n(&b[SGNS_B_GENERATION], __ATOMIC_ACQUIRE) != generation) return 0;
    }
}

/* Returns 0 once all threads have arrived, -1 when a thread stopped. */
static int sgns_barrier_wait(int32_t *b) {
    int32_t generation;
    if (sgns_barrier_arrive(b, &generation)) return __atomic_load_n(&b[SGNS_B_STOP], __ATOMIC_ACQUIRE) ? -1 : 0;
    return sgns_barrier_finish(b, generation);
}

/* Round `round` of a sgns_train_rounds call: its n_walks walks (none past
 * the call's last round), the first of them walk first_walk of the
 * corpus. */
typedef struct {
    const int32_t *walks;
    int64_t n_walks, width, first_walk, round;
} sgns_round_walks;

static sgns_round_walks sgns_round_at(const int32_t *walks, int64_t n_walks, int64_t width, int64_t first_walk,
                                      int64_t per_round, int64_t round) {
    int64_t first = round * per_round, left = n_walks - first;
    sgns_round_walks w = {walks + first * width, left < 0 ? 0 : left < per_round ? left : per_round, width,
                          first_walk + first, round};
    return w;
}

/* A plan's state word: for round r of a call (r from 0), 2 (r + 1) while a
 * thread plans it and 2 (r + 1) + 1 once planned; any other value is
 * another round's (the buffers of a parity serve every other round; the
 * call's first thread zeroes the states, so that a plan of an earlier call
 * is never taken for this one's).  Returns 1 when the shard's plan for
 * round r is ready, 0 when the caller has just claimed it to plan, or -1
 * when another thread is planning it and `wait` is 0 (with `wait`, waits
 * until that thread is done). */
static int sgns_plan_claim(int32_t *state, int64_t round, int wait) {
    const int32_t planning = (int32_t)(2 * (round + 1)), ready = planning + 1;
    for (int64_t turns = 0;;) {
        int32_t seen = __atomic_load_n(state, __ATOMIC_ACQUIRE);
        if (seen == ready) return 1;
        if (seen != planning) {
            if (__atomic_compare_exchange_n(state, &seen, planning, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return 0;
            continue;
        }
        if (!wait) return -1;
        if (++turns % 1024 == 0) sched_yield(); /* the planner may have lost its core */
        else sgns_relax();
    }
}

/* Makes sure shard sh of round w has its plan: plans it unless another
 * thread has (or, with `wait` 0, is planning it: then returns at once).
 * Returns 1 when this thread planned it. */
static int sgns_ensure_plan(sgns_scratch *s, const sgns_rounds *rd, const sgns_round_walks *w, int64_t sh,
                            const sgns_tables *tb, int32_t *in_map, int32_t *out_map, int wait) {
    int32_t *state = rd->plans + ((w->round & 1) * rd->shards + sh) * rd->plan_words + SGNS_PLAN_STATE;
    if (sgns_plan_claim(state, w->round, wait) != 0) return 0;
    sgns_plan_shard(s, rd, w->walks, w->n_walks, w->width, w->first_walk, w->round, sh, tb, in_map, out_map);
    __atomic_store_n(state, (int32_t)(2 * (w->round + 1) + 1), __ATOMIC_RELEASE);
    return 1;
}

/* sgns_barrier_wait, planning the shards of round `next` (in shard order)
 * while the other threads have not all arrived. */
static int sgns_wait_planning(int32_t *barrier, sgns_scratch *s, const sgns_rounds *rd, const sgns_round_walks *next,
                              const sgns_tables *tb, int32_t *in_map, int32_t *out_map) {
    int32_t generation;
    if (sgns_barrier_arrive(barrier, &generation))
        return __atomic_load_n(&barrier[SGNS_B_STOP], __ATOMIC_ACQUIRE) ? -1 : 0;
    int64_t used = (next->n_walks + rd->shard_size - 1) / rd->shard_size;
    for (int64_t sh = 0; sh < used && !sgns_barrier_open(barrier, generation); sh++)
        if (sgns_ensure_plan(s, rd, next, sh, tb, in_map, out_map, 0))
            __atomic_add_fetch(&barrier[SGNS_B_PLANNED_AHEAD], 1, __ATOMIC_RELAXED);
    return sgns_barrier_finish(barrier, generation);
}

/* Every round of a block of walks, on part `part` of rd->n_parts threads
 * that make this call at once with the same arguments but their own part
 * and row maps, meeting at `barrier` (sgns_barrier_wait).  Round k holds
 * walks k * shards * shard_size .. of `walks` (the last round may be
 * short).  The threads claim the round's shards one at a time from a count
 * in the barrier's words, plan those not yet planned and train them
 * (sgns_plan_shard, sgns_train_shard; a shard's result does not depend on
 * the thread), so that a thread slowed down for a while (on a virtual
 * machine, a core that another guest shares: one of two threads ran 1.5
 * times slower for hundreds of rounds at a time) trains fewer shards rather
 * than holding the others at the barrier; once all shards are trained,
 * each thread adds the changes of the rows of its part
 * (sgns_add_changes).  A thread that waits for the others at either
 * barrier plans the next round's shards meanwhile (sgns_wait_planning:
 * planning reads only the walks, never the vectors).  A round costs two
 * barriers and no call from Python, and the vectors are the same as with
 * one thread.  Returns the tokens this thread kept, or -1 when a thread
 * ran out of memory or stopped. */
static int64_t sgns_train_rounds(const int32_t *walks, int64_t n_walks, int64_t width, int64_t first_walk,
                                 const double *alphas, float *syn0, float *syn1, const sgns_tables *tb,
                                 int32_t *in_map, int32_t *out_map, const sgns_rounds *rd, int64_t part,
                                 int32_t *barrier) {
    sgns_shard_scratch ss;
    int allocated = sgns_shard_scratch_alloc(&ss, width, tb, rd->n_in_max, rd->n_out_max) == 0;
    if (!allocated) sgns_barrier_stop(barrier);
    /* No plan is from this call yet; the others wait at the barrier below. */
    if (part == 0)
        for (int64_t q = 0; q < 2 * rd->shards; q++) rd->plans[q * rd->plan_words + SGNS_PLAN_STATE] = 0;
    const int64_t per_round = rd->shards * rd->shard_size, n_parts = rd->n_parts;
    int64_t kept = 0;
    int failed = sgns_barrier_wait(barrier);
    for (int64_t round = 0; !failed && round * per_round < n_walks; round++) {
        sgns_round_walks w = sgns_round_at(walks, n_walks, width, first_walk, per_round, round);
        sgns_round_walks next = sgns_round_at(walks, n_walks, width, first_walk, per_round, round + 1);
        int64_t used = (w.n_walks + rd->shard_size - 1) / rd->shard_size; /* shards of this round */
        const double *round_alphas = alphas + round * per_round;
        for (;;) {
            int64_t sh = __atomic_fetch_add(&barrier[SGNS_B_CLAIMED], 1, __ATOMIC_RELAXED);
            if (sh >= used) break;
            sgns_ensure_plan(&ss.s, rd, &w, sh, tb, in_map, out_map, 1);
            kept += sgns_train_shard(&ss, rd, width, round, sh, round_alphas, syn0, syn1, tb);
        }
        if ((failed = sgns_wait_planning(barrier, &ss.s, rd, &next, tb, in_map, out_map))) break;
        /* Nobody claims again before the second barrier: the first part
         * resets the count for the next round in between. */
        if (part == 0) __atomic_store_n(&barrier[SGNS_B_CLAIMED], 0, __ATOMIC_RELAXED);
        int64_t parity = round & 1;
        sgns_add_changes(syn0, tb->dim, rd->in_rows + parity * rd->shards * rd->n_in_max,
                         rd->in_order + parity * rd->shards * rd->n_in_max,
                         rd->in_bounds + parity * rd->shards * (n_parts + 1), rd->in_local, rd->n_in_max, used, part,
                         n_parts);
        sgns_add_changes(syn1, tb->dim, rd->out_rows + parity * rd->shards * rd->n_out_max,
                         rd->out_order + parity * rd->shards * rd->n_out_max,
                         rd->out_bounds + parity * rd->shards * (n_parts + 1), rd->out_local, rd->n_out_max, used,
                         part, n_parts);
        failed = sgns_wait_planning(barrier, &ss.s, rd, &next, tb, in_map, out_map);
    }
    if (allocated) sgns_shard_scratch_free(&ss);
    return failed ? -1 : kept;
}

#endif /* SKGRAPHEMB_SGNS_H */
