/* The skip-gram trainer's window products and its walk loop, in blocks of
 * SGNS_W floats, included by _sgns.h once per block width: 8 (AVX2 + FMA,
 * or the baseline) and, where the compiler targets x86-64, 16 (AVX-512).
 * The includer defines SGNS_W, SGNS_P(name) (the width's function name)
 * and SGNS_PLAN_TARGET (the train_plan function's target attribute). */

typedef float SGNS_P(vw) __attribute__((vector_size(4 * SGNS_W)));
typedef float SGNS_P(vwu) __attribute__((vector_size(4 * SGNS_W), aligned(4)));
#define SGNS_VW SGNS_P(vw)
#define SGNS_VWU SGNS_P(vwu)

/* A block as 8 floats: its halves added (the lanes' sums' order, so that
 * sgns_hsum and sgns_hsum4 finish them). */
SGNS_INLINE sgns_v8 SGNS_P(half)(SGNS_VW a) {
#if SGNS_W == 8
    return a;
#else
    return __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15);
#endif
}

/* g[r * 8 + k] = <x_r, y_k> for NR <= 2 rows x and NT rows y, turned into
 * their coefficients (sgns_row_coefficients). */
SGNS_INLINE void SGNS_P(dot_rows)(const float *const *x, const int NR, const float *const *y, const int NT,
                                  int64_t dim, float *g, const sgns_coefficients *co) {
    const float *xp[2], *yp[SGNS_FUSED_TARGETS];
    SGNS_VW acc[2 * SGNS_FUSED_TARGETS]; /* acc[r * NT + k] */
    for (int r = 0; r < NR; r++) xp[r] = x[r];
    for (int k = 0; k < NT; k++) yp[k] = y[k];
    for (int a = 0; a < NR * NT; a++) acc[a] = (SGNS_VW){0};
    int64_t t = 0;
    for (; t + SGNS_W <= dim; t += SGNS_W) {
        SGNS_VW u[2];
        for (int r = 0; r < NR; r++) u[r] = *(const SGNS_VWU *)(xp[r] + t);
        for (int k = 0; k < NT; k++) {
            SGNS_VW w = *(const SGNS_VWU *)(yp[k] + t);
            for (int r = 0; r < NR; r++) acc[r * NT + k] += u[r] * w;
        }
    }
    if (t == dim) {
        /* Each row's logits as two vectors of four, in registers, then its
         * coefficients (sgns_row_coefficients' arithmetic), stored once:
         * the logits stored one by one and read back as a vector of 8
         * could not be forwarded from the stores, and stalled. */
        const sgns_v8 zero = {0};
        const sgns_v8 label = *(const sgns_v8u *)co->labels, weight = *(const sgns_v8u *)co->weights;
        for (int r = 0; r < NR; r++) {
            sgns_v8 h[8];
            for (int k = 0; k < 8; k++) h[k] = k < NT ? SGNS_P(half)(acc[r * NT + k]) : zero;
            sgns_v4 lo = sgns_hsum4(h[0], h[1], h[2], h[3]);
            sgns_v4 hi = NT > 4 ? sgns_hsum4(h[4], h[5], h[6], h[7]) : (sgns_v4){0};
            *(sgns_v8u *)(g + r * 8) = sgns_coefficient8(__builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7), label,
                                                         weight * (co->alpha * co->mult[r]));
        }
        return;
    }
    float sums[2 * SGNS_FUSED_TARGETS];
    int a = 0;
    for (; a + 4 <= NR * NT; a += 4) {
        sgns_v4 four = sgns_hsum4(SGNS_P(half)(acc[a]), SGNS_P(half)(acc[a + 1]), SGNS_P(half)(acc[a + 2]),
                                  SGNS_P(half)(acc[a + 3]));
        memcpy(sums + a, &four, sizeof four);
    }
    for (; a < NR * NT; a++) sums[a] = sgns_hsum(SGNS_P(half)(acc[a]));
    if (t < dim)
        for (int r = 0; r < NR; r++)
            for (int k = 0; k < NT; k++)
                for (int64_t q = t; q < dim; q++) sums[r * NT + k] += xp[r][q] * yp[k][q];
    for (int r = 0; r < NR; r++)
        for (int k = 0; k < NT; k++) g[r * 8 + k] = sums[r * NT + k];
    sgns_row_coefficients(g, NR, 1, co->labels, co->weights, co->mult, co->alpha);
}

/* The window's updates pair by pair: x_r = xr_r + sum_k c[r][k] y_k, then
 * y_k += c[r][k] x_r (c: rows of 8), the targets' running values in
 * registers, read from yr and written to y: the value, or where
 * changes[k] (yr[k] a shared row), the value less yr[k]'s. */
SGNS_INLINE void SGNS_P(update_rows)(float *const *x, const float *const *xr, int64_t m, float *const *y,
                                     const float *const *yr, const uint8_t *changes, const int NT,
                                     const float *co, int64_t dim) {
    float *yp[SGNS_FUSED_TARGETS];
    const float *ypr[SGNS_FUSED_TARGETS];
    int chg[SGNS_FUSED_TARGETS];
    for (int k = 0; k < NT; k++) {
        yp[k] = y[k];
        ypr[k] = yr[k];
        chg[k] = changes[k];
    }
    int64_t t = 0;
    for (; t + SGNS_W <= dim; t += SGNS_W) {
        SGNS_VW w[SGNS_FUSED_TARGETS];
        for (int k = 0; k < NT; k++) w[k] = *(const SGNS_VWU *)(ypr[k] + t);
        const float *c = co;
        for (int64_t r = 0; r < m; r++, c += 8) {
            /* x_r's change in two chains: a chain of NT dependent FMAs
             * per row would hold back the next rows. */
            SGNS_VW u = *(const SGNS_VWU *)(xr[r] + t), nu[2] = {u, {0}};
            for (int k = 0; k < NT; k++) { /* scalar * vector: a broadcast */
                nu[k & 1] += c[k] * w[k];
                w[k] += c[k] * u;
            }
            *(SGNS_VWU *)(x[r] + t) = NT > 1 ? nu[0] + nu[1] : nu[0];
        }
        for (int k = 0; k < NT; k++)
            *(SGNS_VWU *)(yp[k] + t) = chg[k] ? w[k] - *(const SGNS_VWU *)(ypr[k] + t) : w[k];
    }
    for (; t < dim; t++) {
        float w[SGNS_FUSED_TARGETS];
        for (int k = 0; k < NT; k++) w[k] = ypr[k][t];
        const float *c = co;
        for (int64_t r = 0; r < m; r++, c += 8) {
            float u = xr[r][t], nu = u;
            for (int k = 0; k < NT; k++) {
                nu += c[k] * w[k];
                w[k] += c[k] * u;
            }
            x[r][t] = nu;
        }
        for (int k = 0; k < NT; k++) yp[k][t] = chg[k] ? w[k] - ypr[k][t] : w[k];
    }
}

/* One window with NT distinct targets, NT a constant: the logits and
 * coefficients two contexts at a time, then the updates. */
SGNS_INLINE void SGNS_P(window_fused)(float **xs, const float **xr, int64_t m, float **ys, const float **yr,
                                      const uint8_t *changes, const int NT, float *co, const float *labels,
                                      const float *weights, const float *mult, float alpha,
                                      int64_t dim) {
    int64_t r = 0;
    sgns_coefficients c = {labels, weights, mult, alpha};
    for (; r + 2 <= m; r += 2, c.mult += 2) SGNS_P(dot_rows)(xr + r, 2, yr, NT, dim, co + r * 8, &c);
    if (r < m) SGNS_P(dot_rows)(xr + r, 1, yr, NT, dim, co + r * 8, &c);
    SGNS_P(update_rows)(xs, xr, m, ys, yr, changes, NT, co, dim);
}

/* SGNS over one planned walk: token i is row ctx_ids[i] of syn0 as a context
 * and row tgt_ids[i] of syn1 as a centre, its negatives rows negs[i] of
 * syn1.  The lock-free kernel passes node positions and the shared vectors
 * (src0 and src1 NULL), the deterministic one slots of a shard's copy and
 * where their values are (sgns_source).  A node that fills several places
 * of a window is one context row with its coefficients times its count,
 * at its first place (its logits are the same at each place), and a
 * negative drawn several times one target likewise. */
SGNS_PLAN_TARGET static void SGNS_P(train_plan)(int64_t length, const int32_t *ctx_ids, const int32_t *tgt_ids,
                                                const int32_t *negs, const int32_t *widths, float *syn0, float *syn1,
                                                const sgns_source *src0, const sgns_source *src1,
                                                const sgns_tables *tb, float alpha, sgns_scratch *s) {
    const int64_t dim = tb->dim, negative = tb->negative, ldc = s->ldc;
    float **xs = (float **)s->xs, **ys = (float **)s->ys;
    const float **xr = s->xr, **yr = s->yr;
    /* Locals, not fields: under -fno-strict-aliasing every float store would
     * otherwise reload them. */
    int32_t *contexts = s->contexts, *targets = s->targets;
    float *labels = s->labels, *weights = s->weights, *mult = s->mult, *co = s->grad;
    uint8_t *changes = s->changes;
    int32_t *prev = s->prev, *place = s->place;
    for (int64_t k = 0; k < ldc; k++) labels[k] = weights[k] = 0.0f; /* targets past the last: weight 0 */
    sgns_previous_places(ctx_ids, length, 2 * tb->window, prev);
    for (int64_t i = 0; i < length; i++) {
        /* The next centre's output rows (its negatives are random rows,
         * mostly outside L2) and its farthest possible new context. */
        if (i + SGNS_AHEAD < length) {
            int64_t a = i + SGNS_AHEAD;
            sgns_prefetch_slot(syn1, src1, tgt_ids[a], dim);
            for (int64_t k = 0; k < negative; k++) sgns_prefetch_slot(syn1, src1, negs[a * negative + k], dim);
            if (a + tb->window < length) sgns_prefetch_slot(syn0, src0, ctx_ids[a + tb->window], dim);
        }
        /* The window's distinct contexts in order of place, each with its
         * count: a place whose node was seen at an earlier place of the
         * window (prev, skipping the centre's) adds to that one's count. */
        int64_t b = widths[i], m = 0;
        int64_t lo = i - b < 0 ? 0 : i - b, hi = i + b + 1 > length ? length : i + b + 1;
        for (int64_t j = lo; j < hi; j++) {
            if (j == i) continue;
            int64_t p = prev[j];
            p = p == i ? prev[i] : p;
            int seen = p >= lo;
            int64_t q = place[seen ? p - lo : 0]; /* place[0]: read, not used */
            q = seen ? q : m;
            place[j - lo] = (int32_t)q;
            contexts[m] = ctx_ids[j];
            mult[m] = 0.0f;
            mult[q] += 1.0f;
            m += !seen;
        }
        if (m == 0) continue;
        /* The distinct targets: the centre, then each negative but the
         * centre (skipped, as gensim does) with its count. */
        int32_t centre = tgt_ids[i];
        int64_t n_t = 1;
        targets[0] = centre;
        labels[0] = 1.0f;
        weights[0] = 1.0f;
        for (int64_t k = 0; k < negative; k++) {
            int32_t neg = negs[i * negative + k];
            int64_t q = 0;
            while (q < n_t && targets[q] != neg) q++;
            if (q == 0) continue;
            if (q < n_t) {
                weights[q] += 1.0f;
                continue;
            }
            targets[n_t] = neg;
            labels[n_t] = 0.0f;
            weights[n_t++] = 1.0f;
        }
        for (int64_t r = 0; r < m; r++) xr[r] = xs[r] = syn0 + (int64_t)contexts[r] * dim;
        for (int64_t k = 0; k < n_t; k++) {
            yr[k] = ys[k] = syn1 + (int64_t)targets[k] * dim;
            changes[k] = 0;
        }
        if (src0) sgns_context_sources(src0, contexts, m, xr, dim);
        if (src1) sgns_target_sources(src1, targets, n_t, ys, yr, changes, dim);

        switch (n_t) {
#define SGNS_FUSED_CASE(NT)                                                                                  \
    case NT:                                                                                                 \
        SGNS_P(window_fused)(xs, xr, m, ys, yr, changes, NT, co, labels, weights, mult, alpha, dim);      \
        break;
            SGNS_FUSED_CASE(1)
            SGNS_FUSED_CASE(2)
            SGNS_FUSED_CASE(3)
            SGNS_FUSED_CASE(4)
            SGNS_FUSED_CASE(5)
            SGNS_FUSED_CASE(6)
#undef SGNS_FUSED_CASE
        default: {
            /* More targets than registers: the rows are copied in first, as
             * values, and each pair updates them in turn ... */
            for (int64_t r = 0; r < m; r++)
                if (xr[r] != xs[r]) sgns_copy_row(xs[r], xr[r], dim);
            for (int64_t k = 0; k < n_t; k++)
                if (changes[k]) {
                    sgns_copy_row(ys[k], yr[k], dim);
                    src1->ready[targets[k]] = SGNS_VALUE;
                }
            /* ... G = X Y^T two contexts at a time (an odd count repeats
             * the last context; its logits are ignored) and the
             * coefficients, then pair by pair x_r += sum_k c[r][k] y_k and
             * y_k += c[r][k] x_r with x_r's value before, kept in old_row. */
            xs[m] = xs[m - 1];
            for (int64_t r = 0; r < m; r += 2)
                sgns_dot_blocks(xs[r], xs[r + 1], (const float *const *)ys, n_t, dim, co + r * ldc, ldc);
            sgns_row_coefficients(co, m, ldc / 8, labels, weights, mult, alpha);
            float *old = s->old_row;
            for (int64_t r = 0; r < m; r++) {
                const float *c = co + r * ldc;
                sgns_copy_row(old, xs[r], dim);
                sgns_axpy_blocks(xs[r], NULL, c, NULL, (const float *const *)ys, n_t, dim);
                int64_t k = 0;
                for (; k + 1 < n_t; k += 2)
                    sgns_axpy_blocks(ys[k], ys[k + 1], c + k, c + k + 1, (const float *const *)&old, 1, dim);
                if (k < n_t) sgns_axpy_blocks(ys[k], NULL, c + k, NULL, (const float *const *)&old, 1, dim);
            }
            break;
        }
        }
        for (int64_t k = 0; k < n_t; k++) weights[k] = 0.0f;
    }
}

#undef SGNS_VW
#undef SGNS_VWU
