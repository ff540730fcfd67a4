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

SGNS_INLINE void SGNS_P(dot_rows)(const float *const *x, const int NR, const float *const *y, const int NT,
                                  int64_t dim, float *g, const float *labels2, float scale0, float scale1,
                                  sgns_table tab) {
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
    /* the coefficients, four at a time: logit a is row a / NT, target a % NT */
    for (a = 0; a + 4 <= NR * NT; a += 4) {
        sgns_v4 scale;
        for (int j = 0; j < 4; j++) scale[j] = a + j < NT ? scale0 : scale1;
        sgns_v4 four;
        memcpy(&four, sums + a, sizeof four);
        *(sgns_v4u *)(g + a) = sgns_coefficient4(four, *(const sgns_v4u *)(labels2 + a), scale, tab);
    }
    for (; a < NR * NT; a++) g[a] = sgns_coefficient(sums[a], labels2[a], a < NT ? scale0 : scale1, tab);
}

/* x[r] = xr[r] + g Y and y[k] = yb[k] + g^T X, with X read from xr and Y
 * from yr (the same rows as x and y, or where their values still are:
 * sgns_source); yb[k] is yr[k] at a target's first place in the window
 * and y[k] at a repeat, which thus adds its change to the first's. */
SGNS_INLINE void SGNS_P(update_rows)(float *const *x, const float *const *xr, int64_t m, float *const *y,
                                     const float *const *yr, const float *const *yb, const int NT, const float *gm,
                                     int64_t dim) {
    float *yp[SGNS_FUSED_TARGETS];
    const float *ypr[SGNS_FUSED_TARGETS], *ypb[SGNS_FUSED_TARGETS];
    for (int k = 0; k < NT; k++) {
        yp[k] = y[k];
        ypr[k] = yr[k];
        ypb[k] = yb[k];
    }
    int64_t t = 0;
    for (; t + SGNS_W <= dim; t += SGNS_W) {
        SGNS_VW w[SGNS_FUSED_TARGETS], og[SGNS_FUSED_TARGETS];
        for (int k = 0; k < NT; k++) {
            w[k] = *(const SGNS_VWU *)(ypr[k] + t);
            og[k] = (SGNS_VW){0};
        }
        const float *c = gm;
        for (int64_t r = 0; r < m; r++, c += NT) {
            /* x_r's change in two chains: a chain of NT dependent FMAs
             * per row would hold back the next rows. */
            SGNS_VW u = *(const SGNS_VWU *)(xr[r] + t), nu[2] = {u, {0}};
            for (int k = 0; k < NT; k++) { /* scalar * vector: a broadcast */
                og[k] += c[k] * u;
                nu[k & 1] += c[k] * w[k];
            }
            *(SGNS_VWU *)(x[r] + t) = NT > 1 ? nu[0] + nu[1] : nu[0];
        }
        for (int k = 0; k < NT; k++) *(SGNS_VWU *)(yp[k] + t) = *(const SGNS_VWU *)(ypb[k] + t) + og[k];
    }
    for (; t < dim; t++) {
        float w[SGNS_FUSED_TARGETS], og[SGNS_FUSED_TARGETS];
        for (int k = 0; k < NT; k++) {
            w[k] = ypr[k][t];
            og[k] = 0.0f;
        }
        const float *c = gm;
        for (int64_t r = 0; r < m; r++, c += NT) {
            float u = xr[r][t], nu = u;
            for (int k = 0; k < NT; k++) {
                og[k] += c[k] * u;
                nu += c[k] * w[k];
            }
            x[r][t] = nu;
        }
        for (int k = 0; k < NT; k++) yp[k][t] = ypb[k][t] + og[k];
    }
}

/* One window with NT targets, NT a constant: products, coefficients, update. */
SGNS_INLINE void SGNS_P(window_fused)(float **xs, const float **xr, int64_t m, float **ys, const float **yr,
                                      const float **yb, const int NT, float *grad, const float *labels2,
                                      const float *mult, sgns_table tab, float alpha, int64_t dim) {
    int64_t r = 0;
    for (; r + 2 <= m; r += 2)
        SGNS_P(dot_rows)(xr + r, 2, yr, NT, dim, grad + r * NT, labels2, alpha * mult[r], alpha * mult[r + 1], tab);
    if (r < m)
        SGNS_P(dot_rows)(xr + r, 1, yr, NT, dim, grad + r * NT, labels2, alpha * mult[r], 0.0f, tab);
    SGNS_P(update_rows)(xs, xr, m, ys, yr, yb, NT, grad, dim);
}

/* SGNS over one planned walk: token i is row ctx_ids[i] of syn0 as a context
 * and row tgt_ids[i] of syn1 as a centre, its negatives rows negs[i] of
 * syn1.  The lock-free kernel passes node positions and the shared vectors
 * (src0 and src1 NULL), the deterministic one slots of a shard's copy and
 * where their values are (sgns_source).  A node that fills several places
 * of a window is one context row with its coefficients times its count
 * (its logits are the same at each place). */
SGNS_PLAN_TARGET static void SGNS_P(train_plan)(int64_t length, const int32_t *ctx_ids, const int32_t *tgt_ids,
                                                const int32_t *negs, const int32_t *widths, float *syn0, float *syn1,
                                                const sgns_source *src0, const sgns_source *src1,
                                                const sgns_tables *tb, float alpha, sgns_scratch *s) {
    const int64_t dim = tb->dim, negative = tb->negative, n_t = negative + 1;
    const sgns_table tab = sgns_table_of(tb->sigmoid, tb->table_size);
    float **xs = (float **)s->xs, **ys = (float **)s->ys;
    const float **xr = s->xr, **yr = s->yr, **yb = s->yb;
    /* Locals, not fields: under -fno-strict-aliasing every float store would
     * otherwise reload them. */
    int32_t *contexts = s->contexts, *targets = s->targets;
    float *labels = s->labels, *labels2 = s->labels2, *mult = s->mult, *grad = s->grad, *grad_t = s->grad_t;
    float *out_grad = s->out_grad;
    int64_t n_c = 2 * tb->window + 2; /* leading dimension of grad_t */
    for (int64_t i = 0; i < length; i++) {
        /* The next centre's output rows (its negatives are random rows,
         * mostly outside L2) and its farthest possible new context. */
        if (i + SGNS_AHEAD < length) {
            int64_t a = i + SGNS_AHEAD;
            sgns_prefetch_slot(syn1, src1, tgt_ids[a], dim);
            for (int64_t k = 0; k < negative; k++) sgns_prefetch_slot(syn1, src1, negs[a * negative + k], dim);
            if (a + tb->window < length) sgns_prefetch_slot(syn0, src0, ctx_ids[a + tb->window], dim);
        }
        int64_t b = widths[i], m = 0;
        int64_t lo = i - b < 0 ? 0 : i - b, hi = i + b + 1 > length ? length : i + b + 1;
        for (int64_t j = lo; j < hi; j++) {
            if (j == i) continue;
            int32_t v = ctx_ids[j];
            int64_t q = 0;
            while (q < m && contexts[q] != v) q++;
            if (q == m) {
                contexts[m] = v;
                mult[m++] = 1.0f;
            } else {
                mult[q] += 1.0f;
            }
        }
        if (m == 0) continue;
        int32_t centre = tgt_ids[i];
        targets[0] = centre;
        labels[0] = 1.0f;
        for (int64_t k = 1; k < n_t; k++) {
            int32_t neg = negs[i * negative + k - 1];
            targets[k] = neg;
            labels[k] = neg == centre ? -1.0f : 0.0f;
        }
        for (int64_t k = 0; k < n_t; k++) labels2[k] = labels2[n_t + k] = labels[k];
        for (int64_t r = 0; r < m; r++) xr[r] = xs[r] = syn0 + (int64_t)contexts[r] * dim;
        for (int64_t k = 0; k < n_t; k++) yb[k] = yr[k] = ys[k] = syn1 + (int64_t)targets[k] * dim;
        if (src0) sgns_context_sources(src0, contexts, m, xr, dim);
        if (src1) sgns_target_sources(src1, targets, n_t, ys, yr, yb, dim);

        switch (n_t) {
#define SGNS_FUSED_CASE(NT)                                                                        \
    case NT: SGNS_P(window_fused)(xs, xr, m, ys, yr, yb, NT, grad, labels2, mult, tab, alpha, dim); \
        continue;
        SGNS_FUSED_CASE(1)
        SGNS_FUSED_CASE(2)
        SGNS_FUSED_CASE(3)
        SGNS_FUSED_CASE(4)
        SGNS_FUSED_CASE(5)
        SGNS_FUSED_CASE(6)
#undef SGNS_FUSED_CASE
        default: break;
        }

        /* Rows not yet in the shard's copy are copied in first, as values. */
        for (int64_t r = 0; r < m; r++)
            if (xr[r] != xs[r]) sgns_copy_row(xs[r], xr[r], dim);
        for (int64_t k = 0; k < n_t; k++)
            if (yr[k] != ys[k]) {
                sgns_copy_row(ys[k], yr[k], dim);
                src1->ready[targets[k]] = SGNS_VALUE;
            }

        /* More targets than registers: G = X Y^T two contexts at a time ... */
        xs[m] = xs[m - 1]; /* an odd count repeats the last context; its logits are ignored */
        for (int64_t r = 0; r < m; r += 2)
            sgns_dot_blocks(xs[r], xs[r + 1], (const float *const *)ys, n_t, dim, grad + r * n_t, n_t);
        sgns_coefficients(grad, grad_t, n_c, m, n_t, labels, mult, tab, alpha);
        /* ... the output gradient g^T X from the inputs before their update,
         * two rows of out_grad (zeros on entry) at a time; an odd count of
         * targets ends in the spare row, whose coefficients (grad_t's spare
         * row) are zeros ... */
        for (int64_t k = 0; k < n_t; k += 2)
            sgns_axpy_blocks(out_grad + k * dim, out_grad + (k + 1) * dim, grad_t + k * n_c,
                             grad_t + (k + 1) * n_c, (const float *const *)xs, m, dim);
        /* ... the input update X += g Y from the outputs before theirs, two
         * (distinct) context rows at a time ... */
        int64_t r = 0;
        for (; r + 1 < m; r += 2)
            sgns_axpy_blocks(xs[r], xs[r + 1], grad + r * n_t, grad + (r + 1) * n_t, (const float *const *)ys, n_t,
                             dim);
        if (r < m) sgns_axpy_blocks(xs[r], NULL, grad + r * n_t, NULL, (const float *const *)ys, n_t, dim);
        /* ... then the outputs; repeated rows receive summed updates. */
        for (int64_t k = 0; k < n_t; k++) {
            float *restrict og = out_grad + k * dim, *restrict y = ys[k];
            for (int64_t t = 0; t < dim; t++) {
                y[t] += og[t];
                og[t] = 0.0f;
            }
        }
    }
}

#undef SGNS_VW
#undef SGNS_VWU
