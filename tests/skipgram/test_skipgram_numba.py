"""The numba skip-gram kernels against independent answers: the blocked SGD
kernel against a plain numpy replay of its random streams, the corpus-file
formatter against Python, the alias and sigmoid tables against their
definitions."""

from __future__ import annotations

import numpy as np
import pytest

from skgraphemb.skipgram import _numba_kernels as kernels
from skgraphemb.skipgram._corpus import _keep_thresholds, _negative_weights


def _reference_sgns(
    walks, first_walk, alphas, syn0, syn1, keep, neg_threshold, neg_alias, sigmoid, window, negative, seed
):
    """The kernel's algorithm written plainly in numpy (float64), replaying
    the kernel's random streams: per centre, G = X Y^T over the window's
    contexts X and the targets Y (centre + shared negatives), then
    X += g Y and Y += g^T X from the values before the update."""
    from skgraphemb._kernels._random import item_state, next_below, next_u64

    scale = (len(sigmoid) - 1) / (2 * kernels.MAX_EXP)
    for i, walk in enumerate(walks):
        state = item_state(seed, first_walk + i)
        sentence = []
        for v in walk:
            if v < 0:
                break
            if (int(next_u64(state)) >> 32) < keep[v]:
                sentence.append(int(v))
        for c, centre in enumerate(sentence):
            b = window - int(next_below(state, window))
            ctx = [sentence[j] for j in range(max(0, c - b), min(len(sentence), c + b + 1)) if j != c]
            if not ctx:
                continue
            targets = [centre] + [int(kernels._draw_alias(neg_threshold, neg_alias, state)) for _ in range(negative)]
            labels = np.array([1.0] + [0.0] * negative)
            live = np.array([k == 0 or t != centre for k, t in enumerate(targets)])
            X, Y = syn0[ctx].astype(np.float64), syn1[targets].astype(np.float64)
            G = X @ Y.T
            # word2vec.c's table inside (-MAX_EXP, MAX_EXP), exactly 0 or 1 outside.
            m = kernels.MAX_EXP
            idx = np.minimum(((np.clip(G, -m, m) + m) * scale).astype(int), len(sigmoid) - 1)
            s = np.where(G >= m, 1.0, np.where(G <= -m, 0.0, sigmoid[idx]))
            g = (labels - s) * np.float32(alphas[i]) * live
            np.add.at(syn0, ctx, (g @ Y).astype(np.float32))
            np.add.at(syn1, np.array(targets)[live], (g.T @ X)[live].astype(np.float32))


@pytest.mark.parametrize("negative", [1, 4, 5])
def test_kernel_matches_numpy_reference(negative):
    """Known answer for the blocked kernel, including odd numbers of contexts
    and targets and nodes repeated within a window (short cycles)."""
    n, d, window = 9, 8, 3
    rng = np.random.default_rng(negative)
    walks = rng.integers(0, 4, (12, 15)).astype(np.int32)  # 4 nodes: many repeats
    walks[3:6] = rng.integers(0, n, (3, 15))
    walks[5, 9:] = -1
    counts = np.bincount(walks[walks >= 0], minlength=n)
    keep = _keep_thresholds(counts, int(counts.sum()), 0.05)
    threshold, alias = kernels.alias_table(_negative_weights(counts, 0.75))
    sigmoid = kernels.sigmoid_table(1000)
    syn0 = rng.uniform(-0.5, 0.5, (n, d)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (n, d)).astype(np.float32)
    alphas = np.linspace(0.2, 0.1, len(walks))  # large steps: differences show
    ref0, ref1 = syn0.copy(), syn1.copy()
    kept = kernels.train_walks_hogwild(
        walks, 40, alphas, syn0, syn1, keep, threshold, alias, sigmoid, window, negative, 7
    )
    _reference_sgns(walks, 40, alphas, ref0, ref1, keep, threshold, alias, sigmoid, window, negative, 7)
    assert 0 < kept < (walks >= 0).sum()  # subsampling dropped some tokens
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-5)
    assert not np.allclose(syn1, 0)


def test_format_walks_matches_python():
    walks = np.array([[0, 12, 345, -1], [-1, 3, 3, 3], [6789, 0, 10, 2147483647]], dtype=np.int32)
    expected = "0 12 345\n6789 0 10 2147483647\n"
    assert kernels.format_walks(walks).tobytes().decode() == expected


def test_alias_table_is_exact():
    """The alias table's distribution equals the normalised weights."""
    rng = np.random.default_rng(0)
    weights = rng.pareto(1.5, 500) ** 0.75
    weights[rng.choice(500, 50, replace=False)] = 0.0  # nodes never seen
    threshold, alias = kernels.alias_table(weights)
    n = len(weights)
    stay = threshold.astype(np.float64) / 2.0**32
    prob = stay / n
    np.add.at(prob, alias, (1.0 - stay) / n)
    np.testing.assert_allclose(prob, weights / weights.sum(), atol=1e-9)
    assert (prob[weights == 0] < 1e-9).all()


def test_sigmoid_table():
    table = kernels.sigmoid_table(1000)
    x = np.linspace(-kernels.MAX_EXP, kernels.MAX_EXP, 1001)
    np.testing.assert_allclose(table, 1 / (1 + np.exp(-x)), rtol=1e-6)
