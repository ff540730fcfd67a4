"""Where a skip-gram window's quality goes: update orders and negatives, side by side.

A plain, single-threaded numba SGNS trainer (independent of skgraphemb's
kernels: its own subsampling, window draws and unigram^0.75 negatives, exact
sigmoid clipped at +-6), run on the same walks with variants that differ in
one thing at a time, each scored with the DeepWalk protocol (one-vs-rest
logistic regression, 50% labelled, 5 splits, macro-F1).  With the same seed,
all variants with shared negatives draw the same random numbers, so the
differences between them are paired.

Variants (a window: a centre's output row and its K negatives, the
"targets", against its context input rows x_1 .. x_B in the walk's order):

* ``pairs``: gensim's order: pair r takes its logits at the targets as the
  pairs before it left them, then x_r += sum_k g_rk y_k, y_k += g_rk x_r.
* ``start-logits``: every pair's logits at the values before the window,
  then the updates pair by pair as in ``pairs`` (skgraphemb's kernel).
* ``minibatch``: logits and both updates from the values before the window
  (X += g Y, Y += g^T X; skgraphemb's kernel before this comparison).

Each with ``-shared`` (K negatives per centre, shared by its window, as
skgraphemb draws them) or ``-fresh`` (K negatives per pair, as gensim).
The learning rate decays linearly in steps of 10,000 tokens from 0.025 to
``--min-alpha`` (default: where gensim's corpus-file mode ends with two
workers).  Each training takes one to three minutes.

Usage::

    python benchmarks/bench_sgns_orders.py --seeds 0 1
    python benchmarks/bench_sgns_orders.py --variants pairs-fresh minibatch-shared --seeds 0

Needs ``../shared/data/blogcatalog`` (``--data`` to point elsewhere).
"""

# numba's jitted code draws from numpy's legacy global generator, seeded inside it.
# ruff: noqa: NPY002

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np
from _data import missing_dataset  # sibling module (benchmarks/ is on sys.path)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "blogcatalog"
VARIANTS = tuple(f"{o}-{n}" for o in ("pairs", "start-logits", "minibatch") for n in ("shared", "fresh"))
PAIRS, START_LOGITS, MINIBATCH = 0, 1, 2


@numba.njit(fastmath=True, nogil=True, cache=True)
def _update(syn0, syn1, ctx, tg, g, old, work, r, neg, dim):
    # x_r += sum_k g_rk y_k (the outputs as the pairs before left them), y_k += g_rk x_r
    x, x0 = syn0[ctx[r]], old[r]
    work[:] = 0.0
    for k in range(neg + 1):
        y, c = syn1[tg[r, k]], g[r, k]
        for q in range(dim):
            work[q] += c * y[q]
            y[q] += c * x0[q]
    for q in range(dim):
        x[q] += work[q]


@numba.njit(fastmath=True, nogil=True, cache=True)
def train(walks, n, dim, window, neg, alpha0, alpha1, keep, cum, seed, fresh, order):
    np.random.seed(seed)
    syn0 = ((np.random.random((n, dim)) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((n, dim), np.float32)
    n_walks, length = walks.shape
    total = n_walks * length
    sentence = np.empty(length, np.int32)
    ctx = np.empty(2 * window, np.int32)
    tg = np.empty((2 * window, neg + 1), np.int32)
    g = np.zeros((2 * window, neg + 1), np.float32)
    old = np.empty((2 * window, dim), np.float32)
    work = np.empty(dim, np.float32)
    done = 0
    for w in range(n_walks):
        alpha = alpha0 - (alpha0 - alpha1) * ((done // 10000) * 10000) / total
        done += length
        m = 0
        for i in range(length):
            v = walks[w, i]
            if v >= 0 and keep[v] >= np.random.random():
                sentence[m] = v
                m += 1
        for i in range(m):
            b = window - np.random.randint(window)
            centre = sentence[i]
            nc = 0
            for j in range(max(0, i - b), min(m, i + b + 1)):
                if j != i:
                    ctx[nc] = sentence[j]
                    nc += 1
            if nc == 0:
                continue
            for r in range(nc):
                tg[r, 0] = centre
                for k in range(neg):
                    if fresh or r == 0:
                        tg[r, k + 1] = np.searchsorted(cum, np.random.random() * cum[-1], side="right")
                    else:
                        tg[r, k + 1] = tg[0, k + 1]
            for r in range(nc):
                old[r] = syn0[ctx[r]]
            for r in range(nc):
                if order != PAIRS and r > 0:
                    break
                for rr in range(r, nc if order != PAIRS else r + 1):
                    x0 = old[rr]
                    for k in range(neg + 1):
                        t = tg[rr, k]
                        if k > 0 and t == centre:  # gensim skips it
                            g[rr, k] = 0.0
                            continue
                        y = syn1[t]
                        f = np.float32(0.0)
                        for q in range(dim):
                            f += x0[q] * y[q]
                        f = max(-6.0, min(6.0, f))
                        g[rr, k] = ((1.0 if k == 0 else 0.0) - 1.0 / (1.0 + np.exp(-f))) * alpha
                if order == PAIRS:  # this pair's update before the next pair's logits
                    _update(syn0, syn1, ctx, tg, g, old, work, r, neg, dim)
            if order == START_LOGITS:
                for r in range(nc):
                    _update(syn0, syn1, ctx, tg, g, old, work, r, neg, dim)
            elif order == MINIBATCH:
                for r in range(nc):  # X += g Y from the outputs before the window
                    x = syn0[ctx[r]]
                    for k in range(neg + 1):
                        y, c = syn1[tg[r, k]], g[r, k]
                        for q in range(dim):
                            x[q] += c * y[q]
                for r in range(nc):  # then Y += g^T X from the inputs before
                    x0 = old[r]
                    for k in range(neg + 1):
                        y, c = syn1[tg[r, k]], g[r, k]
                        for q in range(dim):
                            y[q] += c * x0[q]
    return syn0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv.gz, labels.tsv)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--min-alpha", type=float, default=0.025 - (0.025 - 0.0001) / 2)
    args = parser.parse_args(argv)
    if missing_dataset("bench_sgns_orders", args.data):
        return 1

    import pandas as pd

    from skgraphemb import evaluate_node_classification, load_edgelist_dir
    from skgraphemb.walks import random_walks

    data = load_edgelist_dir(args.data)
    graph = data.graph
    walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=2).astype(np.int32)
    counts = np.bincount(walks[walks >= 0], minlength=graph.n_nodes).astype(np.float64)
    threshold = 1e-3 * counts.sum()  # gensim's sample=0.001
    keep = np.where(counts > 0, (np.sqrt(counts / threshold) + 1) * threshold / np.maximum(counts, 1), 1.0)
    cum = np.cumsum(counts**0.75)
    orders = {"pairs": PAIRS, "start-logits": START_LOGITS, "minibatch": MINIBATCH}
    print(f"{data.name}: walks {walks.shape}, d=128, window 10, 5 negatives, alpha 0.025 -> {args.min_alpha:.4f}")
    scores = {v: [] for v in args.variants}
    for seed in args.seeds:
        for variant in args.variants:
            order, negatives = variant.rsplit("-", 1)
            t = time.perf_counter()
            fresh = negatives == "fresh"
            Z = train(walks, graph.n_nodes, 128, 10, 5, 0.025, args.min_alpha, keep, cum, seed, fresh, orders[order])
            seconds = time.perf_counter() - t
            frame = pd.DataFrame(Z, index=graph.nodes)
            score = evaluate_node_classification(
                frame, data.labels, nodes=data.nodes, cv=5, train_size=0.5, random_state=0, n_jobs=1
            )
            scores[variant].append(score.mean)
            print(f"  seed {seed} {variant:20s} {seconds:6.1f}s macro-F1 {score.mean:.4f}", flush=True)
    print(f"\n{'variant':20s} " + " ".join(f"seed {s:<3d}" for s in args.seeds) + "    mean")
    for variant, values in scores.items():
        print(f"{variant:20s} " + " ".join(f"{v:8.4f}" for v in values) + f" {np.mean(values):7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
