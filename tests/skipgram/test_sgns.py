"""The compiled skip-gram kernels (``_sgns``) against independent answers: the
blocked SGD kernel against a plain numpy replay of its random streams drawn
by the numba generator (``skgraphemb._kernels._random``), the corpus-file
formatter against Python, the alias table and the sigmoid against their
definitions, the initial vectors against the numpy mixer."""

from __future__ import annotations

import numpy as np
import pytest

from skgraphemb.skipgram import _sgns as kernels
from skgraphemb.skipgram._corpus import _keep_thresholds, _negative_weights


def _reference_sgns(walks, first_walk, alphas, syn0, syn1, keep, neg_threshold, neg_alias, window, negative, seed):
    """The kernel's algorithm written plainly in numpy (float64), replaying
    the kernel's random streams: per centre, the window's distinct contexts
    X (in the order of their first place; a repeat adds to the count) and
    the distinct targets Y (the centre, then the shared negatives but the
    centre, each with its count); the logits G = X Y^T at the values before
    the window, then pair by pair x_r += g_r Y and Y += g_r^T x_r with Y as
    the pairs before have left it and x_r's value before."""
    from skgraphemb._kernels._random import item_state, next_below, next_u64

    def draw_alias(state):  # the high 32 bits pick a slot, the low 32 its coin
        u = int(next_u64(state))
        slot = ((u >> 32) * len(neg_threshold)) >> 32
        return slot if (u & 0xFFFFFFFF) < int(neg_threshold[slot]) else int(neg_alias[slot])

    def coefficients(f, labels, scale):
        # The logistic function inside (-MAX_EXP, MAX_EXP), exactly 0 or 1 outside.
        m = kernels.MAX_EXP
        s = np.where(f >= m, 1.0, np.where(f <= -m, 0.0, 1 / (1 + np.exp(-np.clip(f, -m, m)))))
        return (labels - s) * scale

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
            negatives = [draw_alias(state) for _ in range(negative)]
            contexts = list(dict.fromkeys(ctx))
            targets = [centre] + list(dict.fromkeys(t for t in negatives if t != centre))
            labels = np.array([1.0] + [0.0] * (len(targets) - 1))
            weights = np.array([1.0] + [negatives.count(t) for t in targets[1:]])
            X, Y = syn0[contexts].astype(np.float64), syn1[targets].astype(np.float64)
            counts = np.array([ctx.count(v) for v in contexts], dtype=np.float32)
            g = coefficients(X @ Y.T, labels, np.float32(alphas[i]) * counts[:, None] * weights)
            for r, v in enumerate(contexts):
                syn0[v] = (X[r] + g[r] @ Y).astype(np.float32)
                Y += np.outer(g[r], X[r])
            syn1[targets] = Y.astype(np.float32)


@pytest.mark.parametrize(
    ("negative", "d", "spread"),
    [(0, 17, 0.5), (1, 8, 0.5), (4, 8, 0.5), (5, 8, 0.5), (5, 13, 0.5), (2, 24, 0.5), (6, 3, 0.5), (9, 19, 0.5),
     (5, 16, 3.0), (2, 11, 3.0), (8, 16, 3.0)],
)  # fmt: skip
def test_kernel_matches_numpy_reference(negative, d, spread, simd_width):
    """Known answer for the blocked kernel, including odd numbers of contexts
    and targets, nodes repeated within a window (short cycles) and widths
    that are not a multiple of the SIMD block (13, 3, 19, 24), at both
    block widths.  With vectors of
    spread 3 most logits lie beyond +-MAX_EXP (6), where the coefficients
    saturate (the fused path's branch-free lanes, and the fallback's)."""
    n, window = 9, 3
    rng = np.random.default_rng(negative)
    walks = rng.integers(0, 4, (12, 15)).astype(np.int32)  # 4 nodes: many repeats
    walks[3:6] = rng.integers(0, n, (3, 15))
    walks[5, 9:] = -1
    counts = np.bincount(walks[walks >= 0], minlength=n)
    keep = _keep_thresholds(counts, int(counts.sum()), 0.05)
    threshold, alias = kernels.alias_table(_negative_weights(counts, 0.75))
    syn0 = rng.uniform(-spread, spread, (n, d)).astype(np.float32)
    syn1 = rng.uniform(-spread, spread, (n, d)).astype(np.float32)
    alphas = np.linspace(0.2, 0.1, len(walks))  # large steps: differences show
    if spread > 1:
        # A logit that float32 and float64 sums put on either side of
        # +-MAX_EXP moves its coefficient by the sigmoid's jump there
        # (~0.0025 x alpha), which large steps carry into every later update; small
        # steps keep that inside the tolerance, while a wrong saturated
        # coefficient (off by up to 1 x alpha) still shows 400 times over.
        alphas *= 0.01
    ref0, ref1 = syn0.copy(), syn1.copy()
    if spread > 1:  # most logits saturate, in both directions
        logits = syn0 @ syn1.T
        assert (logits >= kernels.MAX_EXP).mean() > 0.15 and (logits <= -kernels.MAX_EXP).mean() > 0.15
    kept = kernels.train_walks_hogwild(walks, 40, alphas, syn0, syn1, keep, threshold, alias, window, negative, 7)
    _reference_sgns(walks, 40, alphas, ref0, ref1, keep, threshold, alias, window, negative, 7)
    assert 0 < kept < (walks >= 0).sum()  # subsampling dropped some tokens
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-5)
    assert not np.allclose(syn1, 0)


def test_simd_width_is_8_or_16():
    with pytest.raises(ValueError, match="8 or 16"):
        kernels.set_simd_width(12)
    assert kernels.set_simd_width(8) == 8 == kernels.simd_width()
    assert kernels.set_simd_width(16) in (8, 16)


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


def test_sigmoid_is_the_logistic_function_to_a_few_ulp():
    """The kernels' sigmoid (computed in float32) against float64's, at
    2**20 + 1 logits over the range and at its ends: within 4 units in the
    last place of float32, and saturated to exactly 0 or 1 (and 0 for NaN)
    outside, as word2vec.c's table is."""
    m = kernels.MAX_EXP
    x = np.linspace(-m, m, (1 << 20) + 1).astype(np.float32)[1:-1]
    got = kernels.sigmoid(x)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert (np.abs(got - exact) / ulp).max() <= 4
    edges = np.array([-np.inf, -1e30, -m, m, 7.0, np.inf, np.nan], dtype=np.float32)
    np.testing.assert_array_equal(kernels.sigmoid(edges), [0, 0, 0, 1, 1, 1, 0])
    inside = np.nextafter(np.float32([-m, m]), np.float32(0))
    np.testing.assert_allclose(kernels.sigmoid(inside), 1 / (1 + np.exp(-inside.astype(np.float64))), rtol=1e-6)


def test_random_streams_match_the_numpy_mixer():
    """The C generator is SplitMix64 keyed as the numba one and the numpy mixer:
    stream states, and initial vectors drawn from them."""
    from skgraphemb.utils._random_state import GOLDEN, mix64

    seeds = np.array([0, 1, 7, 2**63 - 1, 2**64 - 1], dtype=np.uint64)
    index = np.array([0, 3, 2**40, 5, 2**64 - 1], dtype=np.uint64)
    expected = mix64(mix64(seeds + GOLDEN) ^ (index * GOLDEN))
    assert [kernels.item_state(int(s), int(i)) for s, i in zip(seeds, index, strict=True)] == expected.tolist()
    # Row v of the initial vectors is (u - 0.5) * 2 / d for the stream (seed, v)'s draws u.
    n, d, seed = 4, 5, 123
    state = mix64(mix64(np.full(n, seed, np.uint64) + GOLDEN) ^ (np.arange(n, dtype=np.uint64) * GOLDEN))
    draws = mix64(state[:, None] + GOLDEN * np.arange(1, d + 1, dtype=np.uint64))
    u = (draws >> np.uint64(11)).astype(np.float64) / 2.0**53
    np.testing.assert_array_equal(kernels.init_vectors(n, d, seed), ((u - 0.5) * (2.0 / d)).astype(np.float32))


def test_count_and_lengths_stop_at_the_first_padding():
    walks = np.array([[3, 1, -1, 2], [-1, 0, 0, 0], [2, 2, 2, 0]], dtype=np.int32)
    counts = np.zeros(4, dtype=np.int64)
    assert kernels.count_tokens(walks, counts) == 6
    np.testing.assert_array_equal(counts, [1, 1, 3, 1])
    np.testing.assert_array_equal(kernels.walk_lengths(walks), [2, 0, 4])
    empty = np.empty((0, 5), dtype=np.int32)
    assert kernels.count_tokens(empty, counts) == 0 and kernels.walk_lengths(empty).shape == (0,)


def test_bindings_reject_wrong_arrays():
    """A wrong dtype or inconsistent buffers raise ValueError, never touch memory out of bounds."""
    walks = np.zeros((2, 3), dtype=np.int32)
    with pytest.raises(ValueError, match="dtype mismatch"):
        kernels.walk_lengths(walks.astype(np.int64))
    n, d = 4, 8
    threshold, alias = kernels.alias_table(np.ones(n))
    args = (np.zeros((n, d), np.float32), np.zeros((n, d), np.float32), np.full(n, 2**32, np.uint64),
            threshold, alias, 2, 1, 0)  # fmt: skip
    with pytest.raises(ValueError, match="learning rate per walk"):
        kernels.train_walks_hogwild(walks, 0, np.zeros(1), *args)
    with pytest.raises(ValueError, match="syn0 and syn1"):
        kernels.train_walks_hogwild(walks, 0, np.zeros(2), np.zeros((n + 1, d), np.float32), *args[1:])


def _round_buffers(shards, n_in, n_out, d, n_parts, shard_size, width, negative):
    """train_rounds' buffers for ``shards`` shards: rows, slot order, bounds
    and the plans of two rounds, the copies of one."""

    def side(n):
        rows = np.empty((2 * shards, n), np.int32)
        return (
            rows,
            np.empty_like(rows),
            np.zeros((2 * shards, n_parts + 1), np.int64),
            np.empty((shards, n, d), np.float32),
        )

    plans = np.zeros((2 * shards, kernels.plan_words(shard_size, width, negative)), np.int32)
    return (*side(n_in), *side(n_out), plans)


def test_training_kernels_release_the_gil(runs_without_the_gil):
    """The driver's threads train at once only if a kernel call lets Python run meanwhile."""
    n, d = 2000, 64
    rng = np.random.default_rng(0)
    walks = rng.integers(0, n, (3000, 40)).astype(np.int32)
    threshold, alias = kernels.alias_table(np.ones(n))
    tables = (np.full(n, 2**32, np.uint64), threshold, alias, 5, 5, 0)
    alphas = np.full(len(walks), 0.01)

    def hogwild():
        syn0, syn1 = kernels.init_vectors(n, d, 1), np.zeros((n, d), np.float32)
        kernels.train_walks_hogwild(walks, 0, alphas, syn0, syn1, *tables)

    def rounds():
        syn0, syn1 = kernels.init_vectors(n, d, 1), np.zeros((n, d), np.float32)
        maps = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
        buffers = _round_buffers(30, min(n, walks.shape[1] * 100), n, d, 1, 100, walks.shape[1], 5)
        barrier = kernels.new_barrier(1)
        kernels.train_rounds(barrier, 0, 1, walks, len(walks), 30, 100, 0, alphas, syn0, syn1, *tables, *maps,
                             *buffers)  # fmt: skip

    runs_without_the_gil(hogwild)
    runs_without_the_gil(rounds)


def test_rounds_stop_every_thread_when_one_call_is_rejected(raised_within):
    """The threads of train_rounds wait for each other at a barrier: a call
    whose arguments are rejected raises and lets the others return (-1)
    instead of leaving them waiting for ever."""
    from skgraphemb._kernels._pool import KernelThreads

    n, d = 50, 8
    walks = np.random.default_rng(0).integers(0, n, (40, 10)).astype(np.int32)
    threshold, alias = kernels.alias_table(np.ones(n))
    tables = (np.full(n, 2**32, np.uint64), threshold, alias, 3, 2, 0)
    syn0, syn1 = kernels.init_vectors(n, d, 1), np.zeros((n, d), np.float32)
    buffers = _round_buffers(4, n, n, d, 2, 2, walks.shape[1], 2)
    barrier = kernels.new_barrier(2)

    def call(part, map_size):
        maps = np.full(map_size, -1, np.int32), np.full(map_size, -1, np.int32)
        return kernels.train_rounds(barrier, part, 2, walks, len(walks), 4, 2, 0, np.full(len(walks), 0.01),
                                    syn0, syn1, *tables, *maps, *buffers)  # fmt: skip

    def run():
        with KernelThreads(2) as threads:
            threads.run_together(call, [(0, n), (1, n - 1)])  # part 1's row maps are too short

    error = raised_within(run, ValueError, 60)
    assert error is not None and "inconsistent round buffers" in str(error)
    assert barrier[3] == 1  # the stop flag (SGNS_B_STOP)
    with pytest.raises(ValueError, match="barrier must be"):
        kernels.train_rounds(kernels.new_barrier(2)[:-1].copy(), 0, 2, walks)
    bad_part = kernels.new_barrier(2)
    with pytest.raises(ValueError, match="n_parts > part >= 0"):
        kernels.train_rounds(bad_part, 2, 2, walks)
    assert bad_part[3] == 1  # a thread with a wrong part stops the others too
    maps = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    unequal = list(buffers)
    unequal[6] = np.zeros((8, 4), np.int64)  # the output rows' slots in another number of parts
    with pytest.raises(ValueError, match="inconsistent round buffers"):
        kernels.train_rounds(kernels.new_barrier(1), 0, 1, walks, len(walks), 4, 2, 0, np.full(len(walks), 0.01),
                             syn0, syn1, *tables, *maps, *unequal)  # fmt: skip


@pytest.mark.parametrize("n_parts", [2, 3, 5])
def test_rounds_give_the_same_vectors_for_any_number_of_threads(n_parts):
    """The threads of train_rounds share a round's shards, then each adds the
    changes of its part of the rows, found through each shard's slots
    grouped by part: the vectors equal one thread's, which adds all rows."""
    from skgraphemb._kernels._pool import KernelThreads

    n, d, shards = 300, 16, 6
    walks = np.random.default_rng(1).integers(0, n, (100, 20)).astype(np.int32)
    threshold, alias = kernels.alias_table(np.ones(n))
    tables = (np.full(n, 2**32, np.uint64), threshold, alias, 4, 3, 0)
    alphas = np.linspace(0.05, 0.01, len(walks))

    def train(n_parts):
        syn0, syn1 = kernels.init_vectors(n, d, 1), np.zeros((n, d), np.float32)
        buffers = _round_buffers(shards, n, n, d, n_parts, 3, walks.shape[1], 3)
        barrier = kernels.new_barrier(n_parts)
        calls = [(barrier, part, n_parts, walks, len(walks), shards, 3, 0, alphas, syn0, syn1, *tables,
                  np.full(n, -1, np.int32), np.full(n, -1, np.int32), *buffers) for part in range(n_parts)]  # fmt: skip
        with KernelThreads(n_parts) as threads:
            kept = threads.run_together(kernels.train_rounds, calls)
        return syn0, syn1, sum(kept)

    expected, got = train(1), train(n_parts)
    assert expected[2] == got[2] > 0
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert not np.array_equal(expected[0], kernels.init_vectors(n, d, 1))  # it trained


@pytest.mark.parametrize("n_parts", [2, 3])
def test_threads_waiting_at_a_barrier_plan_the_next_round(n_parts):
    """A thread that waits for the others plans the next round's shards
    (here one shard per round, so every round leaves a thread waiting): the
    plans it leaves are the ones the shard's own thread would make, so the
    vectors equal one thread's.  Plans are tagged with their call's round:
    a block on the same buffers never trains an earlier block's (the last
    two blocks are one round each, the same round of the call)."""
    from skgraphemb._kernels._pool import KernelThreads

    n, d, width = 200, 16, 20
    rng = np.random.default_rng(2)
    blocks = [rng.integers(0, n, (size, width)).astype(np.int32) for size in (120, 120, 1, 1)]
    threshold, alias = kernels.alias_table(np.ones(n))
    tables = (np.full(n, 2**32, np.uint64), threshold, alias, 3, 2, 0)

    def train(n_parts, fresh):
        syn0, syn1 = kernels.init_vectors(n, d, 1), np.zeros((n, d), np.float32)
        buffers = _round_buffers(1, width, n, d, n_parts, 1, width, 2)
        ahead = 0
        with KernelThreads(n_parts) as threads:
            for b, walks in enumerate(blocks):
                if fresh:
                    buffers = _round_buffers(1, width, n, d, n_parts, 1, width, 2)
                barrier = kernels.new_barrier(n_parts)
                alphas = np.full(len(walks), 0.02)
                calls = [(barrier, part, n_parts, walks, len(walks), 1, 1, 1000 * b, alphas, syn0, syn1,
                          *tables, np.full(n, -1, np.int32), np.full(n, -1, np.int32), *buffers)
                         for part in range(n_parts)]  # fmt: skip
                assert min(threads.run_together(kernels.train_rounds, calls)) >= 0
                ahead += kernels.planned_ahead(barrier)
        return syn0, syn1, ahead

    expected, got = train(1, fresh=True), train(n_parts, fresh=False)
    assert expected[2] == 0 < got[2]  # one thread never waits; here the others planned ahead
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
