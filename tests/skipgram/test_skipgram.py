"""Skip-gram trainers: the numba SGNS trainer against gensim on the same walks,
reproducibility and chunking invariance, padding, warm starts, subsampling
and negative weights against gensim, and input errors (the numba kernels
against their definitions: test_skipgram_numba.py)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import normalize

from skgraphemb import as_graph
from skgraphemb.skipgram import _sgns as kernels
from skgraphemb.skipgram import train_gensim, train_skipgram
from skgraphemb.skipgram._corpus import _keep_thresholds, _negative_weights, _substream_seed, _WalkChunks
from skgraphemb.walks import iter_walk_chunks, random_walks

# Small but real settings: the kernels run the same code paths as on large
# graphs (windows wider than some walks, several negatives, subsampling on).
SMALL = dict(dimensions=16, window=5, negative=5, epochs=2, sample=1e-3)


@pytest.fixture(scope="module")
def communities():
    """Four planted communities of 40 nodes, their walks and block labels."""
    G = nx.planted_partition_graph(4, 40, 0.25, 0.01, seed=3)
    graph = as_graph(G)
    labels = np.array([G.nodes[v]["block"] for v in graph.nodes])
    walks = random_walks(graph, walk_length=30, num_walks=10, random_state=0)
    return graph, walks, labels


def _community_accuracy(vectors, labels):
    """5-fold logistic-regression accuracy of the block labels."""
    X = normalize(vectors)
    return cross_val_score(LogisticRegression(max_iter=1000), X, labels, cv=5).mean()


def _neighbour_purity(vectors, labels):
    """Share of nodes whose cosine nearest neighbour is in their block."""
    X = normalize(vectors)
    sim = X @ X.T
    np.fill_diagonal(sim, -np.inf)
    return float(np.mean(labels[sim.argmax(axis=1)] == labels))


def test_output_shape_dtype(communities):
    graph, walks, _ = communities
    Z = train_skipgram(walks, graph.n_nodes, seed=0, **SMALL)
    assert Z.shape == (graph.n_nodes, 16)
    assert Z.dtype == np.float32 and Z.flags.c_contiguous
    assert np.isfinite(Z).all()


def test_communities_recovered_like_gensim(communities):
    """Independent implementations on the same walks reach the same quality."""
    graph, walks, labels = communities
    ours = train_skipgram(walks, graph.n_nodes, seed=0, **SMALL)
    ref = train_gensim(walks, graph.n_nodes, seed=0, **SMALL)
    acc_ours, acc_ref = _community_accuracy(ours, labels), _community_accuracy(ref, labels)
    nn_ours, nn_ref = _neighbour_purity(ours, labels), _neighbour_purity(ref, labels)
    # Chance is 0.25; both trainers separate the planted blocks.
    assert acc_ours >= 0.9 and acc_ref >= 0.9
    assert nn_ours >= 0.85 and nn_ref >= 0.85
    assert acc_ours >= acc_ref - 0.05
    assert nn_ours >= nn_ref - 0.05


@pytest.mark.parametrize("deterministic", [True, False])
def test_parallel_training_quality(communities, deterministic):
    """Deterministic rounds and Hogwild threads separate the blocks alike."""
    graph, walks, labels = communities
    Z = train_skipgram(walks, graph.n_nodes, seed=0, n_jobs=2, deterministic=deterministic, **SMALL)
    assert _community_accuracy(Z, labels) >= 0.9
    assert _neighbour_purity(Z, labels) >= 0.85


def test_same_vectors_for_any_thread_count_and_chunking(communities, simd_width, uncapped_threads):
    """The default (deterministic) trainer: bitwise the same vectors for
    n_jobs 1, 2 and 3 and for any split of the walks, streamed or not.
    Threads take different shards of each round and different rows of its
    update, so a change that let the serial and the threaded paths diverge
    fails here.  Both block widths of the window products (8 and 16 floats)."""
    graph, walks, _ = communities
    n = graph.n_nodes
    one = train_skipgram(walks, n, seed=4, n_jobs=1, **SMALL)
    assert np.isfinite(one).all()
    pieces = [walks[:3], walks[3:250], walks[250:251], walks[251:]]
    for n_jobs in (2, 3):
        np.testing.assert_array_equal(train_skipgram(walks, n, seed=4, n_jobs=n_jobs, **SMALL), one)
        np.testing.assert_array_equal(train_skipgram(pieces, n, seed=4, n_jobs=n_jobs, **SMALL), one)
    stream = lambda: iter_walk_chunks(graph, walk_length=30, num_walks=10, chunk_size=37, random_state=0)  # noqa: E731
    np.testing.assert_array_equal(train_skipgram(stream, n, seed=4, n_jobs=3, **SMALL), one)
    assert 3 in uncapped_threads  # three threads ran, on any host
    # Hogwild is another algorithm: same quality, other vectors.
    assert not np.array_equal(train_skipgram(walks, n, seed=4, n_jobs=1, deterministic=False, **SMALL), one)


def test_fits_at_once_in_threads_keep_their_own_rounds(communities):
    """Fits running at once in Python threads (joblib's threading backend,
    Dask's threaded workers), each on two threads of its own, more threads
    than this machine's cores: each gives the vectors of a fit alone (the
    rounds' threads meet at a barrier of their fit's only)."""
    import threading

    graph, walks, _ = communities
    seeds = (1, 2, 3)
    alone = [train_skipgram(walks, graph.n_nodes, seed=seed, n_jobs=1, **SMALL) for seed in seeds]
    together = {}

    def fit(seed):
        together[seed] = train_skipgram(walks, graph.n_nodes, seed=seed, n_jobs=2, **SMALL)

    fits = [threading.Thread(target=fit, args=(seed,), daemon=True) for seed in seeds]
    for thread in fits:
        thread.start()
    for thread in fits:
        thread.join(120)
    assert not any(thread.is_alive() for thread in fits), "a fit never returned"
    for seed, a in zip(seeds, alone, strict=True):
        np.testing.assert_array_equal(together[seed], a)


@pytest.mark.parametrize(
    ("negative", "d", "blocks", "n_jobs"), [(2, 8, False, 2), (7, 13, False, 3), (2, 8, True, 2), (4, 40, False, 2)]
)
def test_rounds_train_shards_apart_and_apply_in_corpus_order(
    monkeypatch, negative, d, blocks, n_jobs, simd_width, uncapped_threads
):
    """Known answer on a graph small enough for one round to hold several
    shards: the deterministic trainer equals the Hogwild kernel run on one
    thread, shard by shard, each from the vectors at the start of its
    round, the shards' changes summed in order.  12 nodes: targets repeat
    within windows; 8 targets take the kernel's blocked path; a walk of one
    token puts rows in a shard that no update writes.  With ``blocks`` the
    walks come in blocks of other widths (wider than the longest walk,
    narrower), which split rounds: a round is completed from the next
    blocks."""
    import skgraphemb.skipgram._native as driver

    monkeypatch.setattr(driver, "_round_shape", lambda *args: (3, 2))  # rounds of 3 shards of 2 walks
    rng = np.random.default_rng(1)
    n = 12
    walks = rng.integers(0, n, (13, 9)).astype(np.int32)  # 13 walks: the last round holds 1 walk
    walks[12, 1:] = -1  # the last round: one walk of one token, rows that no update writes
    init = rng.uniform(-0.5, 0.5, (n, d)).astype(np.float32)
    init_out = rng.uniform(-0.5, 0.5, (n, d)).astype(np.float32)
    args = dict(dimensions=d, window=3, negative=negative, sample=0.0, alpha=0.1, min_alpha=0.1, seed=3)
    source = walks
    if blocks:  # 4, 1, 7 and 1 walks; a width of its own makes each a block
        pad = lambda w, k: np.pad(w, ((0, 0), (0, k)), constant_values=-1)  # noqa: E731
        source = [pad(walks[:4], 3), walks[4:5], pad(walks[5:12], 1), walks[12:, :1]]
    got0, got1 = train_skipgram(source, n, init=init, init_output=init_out, return_output=True, n_jobs=n_jobs, **args)
    assert uncapped_threads == [n_jobs]

    counts = np.bincount(walks[walks >= 0], minlength=n)
    keep = _keep_thresholds(counts, int(counts.sum()), 0.0)
    threshold, alias = kernels.alias_table(_negative_weights(counts, 0.75))
    seed = _substream_seed(3, 1)
    syn0, syn1 = init.copy(), init_out.copy()
    alphas = np.full(len(walks), 0.1)
    for start in range(0, len(walks), 6):
        delta0, delta1 = [], []
        for shard in range(start, min(start + 6, len(walks)), 2):
            s0, s1 = syn0.copy(), syn1.copy()
            kernels.train_walks_hogwild(
                walks[shard : shard + 2], shard, alphas, s0, s1, keep, threshold, alias, 3, negative, seed
            )
            delta0.append(s0 - syn0)
            delta1.append(s1 - syn1)
        for a, b in zip(delta0, delta1, strict=True):
            syn0 += a
            syn1 += b
    np.testing.assert_allclose(got0, syn0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got1, syn1, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got0, init, atol=1e-3)


def test_reproducible_with_one_thread(communities, global_random_seed):
    graph, walks, _ = communities
    a = train_skipgram(walks, graph.n_nodes, seed=global_random_seed, n_jobs=1, **SMALL)
    b = train_skipgram(walks, graph.n_nodes, seed=global_random_seed, n_jobs=1, **SMALL)
    c = train_skipgram(walks, graph.n_nodes, seed=global_random_seed + 7, n_jobs=1, **SMALL)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_chunking_and_streaming_do_not_change_the_result(communities):
    """A walk's random stream and learning rate depend on its global index,
    not on how the walks are split into arrays or padded."""
    graph, walks, _ = communities
    whole = train_skipgram(walks, graph.n_nodes, seed=5, **SMALL)
    # Uneven pieces, one of them wider (padded with -1), one of them empty.
    cuts = [0, 1, 97, 97, 350, len(walks)]
    pieces = [walks[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    pieces[3] = np.hstack([pieces[3], np.full((len(pieces[3]), 4), -1, np.int32)])
    from_list = train_skipgram(pieces, graph.n_nodes, seed=5, **SMALL)
    from_callable = train_skipgram(lambda: iter(pieces), graph.n_nodes, seed=5, **SMALL)
    np.testing.assert_array_equal(whole, from_list)
    np.testing.assert_array_equal(whole, from_callable)


def test_streams_walks_from_the_walk_generator(communities):
    """A callable over iter_walk_chunks re-generates the same walks on every
    pass, so nothing of the size of the walk matrix is ever held."""
    graph, walks, _ = communities
    stream = lambda: iter_walk_chunks(graph, walk_length=30, num_walks=10, chunk_size=64, random_state=0)  # noqa: E731
    np.testing.assert_array_equal(
        train_skipgram(stream, graph.n_nodes, seed=2, **SMALL),
        train_skipgram(walks, graph.n_nodes, seed=2, **SMALL),
    )


def test_padding_ends_walks():
    """Tokens after the first -1 of a row are ignored: a node seen only
    there keeps its initial vector; a row of -1 trains nothing."""
    n, d = 6, 8
    init = np.random.default_rng(0).uniform(-1, 1, (n, d)).astype(np.float32)
    walks = np.array(
        [
            [0, 1, 2, 1, 0, -1, 5, 5],
            [2, 1, 0, 1, -1, 5, 4, 3],
            [-1, 4, 4, 4, 4, 4, 4, 4],
            [1, 2, 3, 2, 1, 0, -1, -1],
        ],
        dtype=np.int32,
    )
    Z = train_skipgram(walks, n, dimensions=d, window=2, sample=0, init=init, seed=0)
    np.testing.assert_array_equal(Z[[4, 5]], init[[4, 5]])
    assert not np.allclose(Z[[0, 1, 2, 3]], init[[0, 1, 2, 3]])
    lengths = kernels.walk_lengths(walks)
    np.testing.assert_array_equal(lengths, [5, 4, 0, 6])
    counts = np.zeros(n, dtype=np.int64)
    assert kernels.count_tokens(walks, counts) == 15
    np.testing.assert_array_equal(counts, [4, 6, 4, 1, 0, 0])


def test_warm_start_keeps_unseen_nodes(communities):
    graph, walks, _ = communities
    n = graph.n_nodes
    init = train_skipgram(walks, n, seed=0, **SMALL)
    init_copy = init.copy()
    # Retrain on walks that avoid the last 20 nodes.
    subset = walks[(walks < n - 20).all(axis=1)]
    assert len(subset) > 100
    warm = train_skipgram(subset, n, seed=1, init=init, **SMALL)
    np.testing.assert_array_equal(init, init_copy)  # input not modified
    np.testing.assert_array_equal(warm[n - 20 :], init[n - 20 :])
    assert not np.allclose(warm[: n - 20], init[: n - 20])
    # gensim's adapter honours the same contract.
    warm_ref = train_gensim(subset, n, seed=1, init=init, **SMALL)
    np.testing.assert_array_equal(warm_ref[n - 20 :], init[n - 20 :])


def test_default_initialisation_of_unseen_nodes():
    """Without init, never-seen nodes get the same deterministic vector in
    both trainers: uniform in [-1/d, 1/d), keyed by (seed, node)."""
    walks = np.array([[0, 1, 2, 3, 2, 1, 0]], dtype=np.int32)
    ours = train_skipgram(walks, 6, dimensions=32, window=2, seed=11)
    ref = train_gensim(walks, 6, dimensions=32, window=2, seed=11)
    np.testing.assert_array_equal(ours[4:], ref[4:])
    assert np.abs(ours[4:]).max() < 1 / 32
    assert np.abs(ours[4:]).max() > 0.9 / 32  # spread over the whole range
    other = train_skipgram(walks, 6, dimensions=32, window=2, seed=12)
    assert not np.array_equal(ours[4:], other[4:])


@pytest.mark.parametrize("corpus", ["file", "iterable"])
def test_gensim_corpus_modes(communities, corpus):
    graph, walks, labels = communities
    Z = train_gensim(walks, graph.n_nodes, seed=0, corpus=corpus, **SMALL)
    assert Z.shape == (graph.n_nodes, 16) and Z.dtype == np.float32
    # Rows are in node-position order: the blocks are recovered.
    assert _neighbour_purity(Z, labels) >= 0.85


def test_subsampling_matches_gensim():
    """Keep probabilities equal gensim's sample_int for the same counts."""
    from gensim.models import Word2Vec

    rng = np.random.default_rng(1)
    counts = rng.zipf(1.3, 300).clip(1, 10**6).astype(np.int64)
    counts[:5] = 0
    total = int(counts.sum())
    for sample in (1e-3, 1e-5, 50.0):
        keep = _keep_thresholds(counts, total, sample) / 2.0**32
        model = Word2Vec(sample=sample, min_count=1, vector_size=4)
        model.build_vocab_from_freq({str(v): int(c) for v, c in enumerate(counts) if c})
        ref = np.array([model.wv.get_vecattr(str(v), "sample_int") for v in range(5, 300)]) / (2.0**32 - 1)
        np.testing.assert_allclose(keep[5:], ref, atol=1e-8)
        np.testing.assert_array_equal(keep[:5], 1.0)  # unseen: irrelevant but defined
    for exponent in (0.75, 0.0, -0.5, 300.0):
        weights = _negative_weights(counts, exponent)
        np.testing.assert_array_equal(weights[:5], 0.0)
        assert np.isfinite(weights).all() and weights.max() == 1.0
        if exponent < 100:
            ref = counts[5:].astype(float) ** exponent
            np.testing.assert_allclose(weights[5:] / weights.sum(), ref / ref.sum(), rtol=1e-12)


def test_no_tokens_returns_initial_vectors():
    walks = np.full((3, 4), -1, dtype=np.int32)
    init = np.ones((5, 4), dtype=np.float32)
    np.testing.assert_array_equal(train_skipgram(walks, 5, dimensions=4, init=init), init)


@pytest.mark.parametrize(
    "walks, error, match",
    [
        (np.array([[0, 1, 7]]), ValueError, r"0\.\.4 .* found values in \[0, 7\]"),
        (np.array([[0, -2, 1]]), ValueError, "or -1 after a walk ends"),
        (np.array([0, 1, 2]), ValueError, "2-D arrays"),
        (np.array([[0.0, 1.0]]), TypeError, "integer node positions"),
        ((np.zeros((2, 3), np.int32) for _ in range(2)), TypeError, "one-shot iterator"),
        (42, TypeError, "walks must be an int array"),
    ],
)
def test_bad_walks(walks, error, match):
    with pytest.raises(error, match=match):
        train_skipgram(walks, 5, dimensions=4)


def test_bad_values_in_a_streamed_chunk():
    chunks = [np.zeros((2, 3), np.int32), np.array([[0, 9]], np.int32)]
    with pytest.raises(ValueError, match="found values in"):
        train_skipgram(chunks, 5, dimensions=4)


def _passes(first, later):
    """A walk source whose first pass gives ``first`` and every later pass ``later``."""
    calls = []

    def source():
        calls.append(None)
        return [first] if len(calls) == 1 else later

    return source


def _train(trainer, walks, n, **kw):
    if trainer == "torch":
        pytest.importorskip("torch")
        from skgraphemb.skipgram import train_skipgram_torch

        return train_skipgram_torch(walks, n, **kw)
    if trainer == "gensim":
        return train_gensim(walks, n, corpus="iterable", **kw)
    return train_skipgram(walks, n, deterministic=trainer == "rounds", **kw)


TRAINERS = ["rounds", "lock-free", "torch", "gensim"]


@pytest.mark.parametrize("trainer", TRAINERS)
@pytest.mark.parametrize(
    ("change", "match"),
    [
        ("longer walk", "a walk of 40 tokens, longer than any counted"),
        ("more walks", "more than the 600 tokens counted"),
        ("fewer walks", "300 tokens where it counted 600"),
        ("other nodes", "its 600 tokens, but of other nodes"),
        ("empty rows", "more than the 60 walks counted"),
    ],
)
def test_later_passes_must_give_the_counted_walks(trainer, change, match):
    """Before: a source that gave other walks after the counting pass
    trained silently on nodes it had never counted, or ran the learning
    rate below zero on extra tokens and then blamed alpha for the
    divergence.  Every trainer that reads a stream twice or more now names
    the change; a block past the count raises before it is trained on."""
    rng = np.random.default_rng(0)
    walks = rng.integers(0, 30, (60, 10)).astype(np.int32)
    later = {
        "longer walk": [walks[:30], rng.integers(0, 30, (1, 40)).astype(np.int32)],
        "more walks": [walks, walks],
        "fewer walks": [walks[:30]],
        "other nodes": [(walks + 30) % 60],
        "empty rows": [walks, np.full((3, 10), -1, np.int32)],
    }[change]
    with pytest.raises(ValueError, match=f"pass 2 over the walk source gave other walks than the first pass: {match}"):
        _train(trainer, _passes(walks, later), 60, dimensions=8, window=3, epochs=2, seed=0, n_jobs=2)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_later_passes_may_split_and_order_the_walks_anew(trainer):
    """What the check accepts: the counted walks in other pieces (the same
    vectors, for the trainers that promise it) or in another order."""
    rng = np.random.default_rng(1)
    walks = rng.integers(0, 30, (60, 10)).astype(np.int32)
    kw = dict(dimensions=8, window=3, epochs=2, seed=0, n_jobs=1)
    split = _train(trainer, _passes(walks, [walks[:7], walks[7:8], walks[8:]]), 30, **kw)
    assert np.isfinite(split).all()
    if trainer != "gensim":
        np.testing.assert_array_equal(split, _train(trainer, walks, 30, **kw))
    shuffled = _train(trainer, _passes(walks, [walks[::-1]]), 30, **kw)
    assert np.isfinite(shuffled).all()


def test_a_source_that_fails_on_a_later_pass_does_not_hang_gensim(raised_within):
    """Before: an error of the walk source on a later pass was raised in
    gensim's producer thread, which died, and Word2Vec.train waited for
    its jobs forever.  Now the error reaches the caller."""
    walks = np.random.default_rng(2).integers(0, 30, (60, 10)).astype(np.int32)
    calls = []

    def source():
        calls.append(None)
        if len(calls) > 1:
            raise OSError("the walk file went away")
        return [walks]

    def train_gensim_on_source():
        train_gensim(source, 30, dimensions=8, epochs=2, corpus="iterable", n_jobs=2)

    error = raised_within(train_gensim_on_source, OSError, 120)
    assert str(error) == "the walk file went away"


@pytest.mark.parametrize("trainer", ["rounds", "lock-free", "torch"])
def test_a_window_wider_than_the_walks_spans_them(trainer):
    """Before: the native trainer sized its scratch by the window, so
    window=10**9 on walks of 10 tokens raised MemoryError, and the torch
    trainer grouped centres by every window size up to it, one pass of the
    chunk per size (hours).  A token's
    reduced window (1 .. window) then exceeds the walk on every draw here,
    so two such windows give the same vectors bit for bit.  Past a 32-bit
    window (the reduced windows' type) the parameter is rejected."""
    walks = np.random.default_rng(4).integers(0, 30, (60, 10)).astype(np.int32)
    kw = dict(dimensions=8, sample=0.0, epochs=2, seed=0, n_jobs=1 if trainer == "lock-free" else 2)
    wide = _train(trainer, walks, 30, window=10**9, **kw)
    np.testing.assert_array_equal(wide, _train(trainer, walks, 30, window=2**31 - 1, **kw))
    assert not np.array_equal(wide, _train(trainer, walks, 30, window=2, **kw))
    with pytest.raises(ValueError, match=r"'window' parameter .* range \[1, 2147483647\]"):
        _train(trainer, walks, 30, window=2**31, **kw)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_starting_vectors_whose_products_overflow_are_refused(trainer):
    """Before: starting vectors of 1e25 or more made gensim's float32 dot
    products overflow to NaN, and its compiled loop crashed the process
    (segmentation fault); the native trainer returned vectors of 1e30 from
    training on overflowed logits.  Starts are now bounded so that vectors
    up to the divergence limit (10 times the start) have finite float32
    products, and every trainer refuses what is past the bound, float64
    values past float32's range included.  A start within it trains."""
    from skgraphemb.skipgram._corpus import _start_bound

    n, d = 20, 8
    bound = _start_bound(d)
    edge = np.full(d, 10 * bound, np.float32)
    with np.errstate(over="ignore"):
        assert np.isfinite(np.dot(edge, edge)) and not np.isfinite(np.dot(edge * 1.1, edge * 1.1))
    walks = np.random.default_rng(5).integers(0, n, (40, 10)).astype(np.int32)
    signs = np.random.default_rng(6).choice([-1.0, 1.0], (n, d))
    kw = dict(dimensions=d, seed=0, n_jobs=1)
    for name in ("init", "init_output"):
        for start in (signs * 1.01 * bound, np.full((n, d), 1e300)):
            with pytest.raises(ValueError, match=f"{name} holds values up to .* too large to train from"):
                _train(trainer, walks, n, **{name: start}, **kw)
    within = _train(trainer, walks, n, init=signs * 0.99 * bound, init_output=-signs * 0.99 * bound, **kw)
    assert np.isfinite(within).all()


@pytest.mark.parametrize("trainer", TRAINERS)
def test_learning_rates_past_float32_are_refused(trainer):
    """Before: alpha or min_alpha past float32's largest value became an
    infinite rate in the kernels, and gensim crashed on it."""
    walks = np.random.default_rng(7).integers(0, 20, (40, 10)).astype(np.int32)
    for rates in ({"alpha": 1e39}, {"min_alpha": 1e39}):
        with pytest.raises(ValueError, match=f"'{next(iter(rates))}' parameter .* range"):
            _train(trainer, walks, 20, dimensions=8, **rates)


def test_walk_digest_is_the_sum_of_the_tokens_hashes():
    """The digest the passes are checked by, against numpy's SplitMix64
    finaliser: tokens up to each row's first -1, the longest walk, and the
    sum of mix64(node + 1) modulo 2**64, whatever the order of the rows."""
    from skgraphemb.utils._random_state import mix64

    rng = np.random.default_rng(3)
    walks = rng.integers(0, 2**31 - 1, (50, 12)).astype(np.int32)
    walks[5, 4:] = -1
    walks[6, 0] = -1
    walks[7, 9] = -1  # tokens after it are ignored
    tokens = np.concatenate([row[: kernels.walk_lengths(row[None])[0]] for row in walks])
    expected = int(mix64(tokens.astype(np.uint64) + np.uint64(1)).sum(dtype=np.uint64))
    assert kernels.walk_digest(walks) == (tokens.size, 12, expected)
    assert kernels.walk_digest(walks[::-1].copy()) == kernels.walk_digest(walks)
    assert kernels.walk_digest(np.zeros((0, 3), np.int32)) == (0, 0, 0)


def test_bad_parameters():
    walks = np.zeros((2, 3), np.int32)
    with pytest.raises(ValueError, match="'negative' parameter"):
        train_skipgram(walks, 5, negative=0)
    with pytest.raises(ValueError, match="init must have shape"):
        train_skipgram(walks, 5, dimensions=4, init=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        train_skipgram(walks, 2, dimensions=2, init=np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match=r"'vector_size' \(use the 'dimensions' argument\)"):
        train_gensim(walks, 5, word2vec_kwargs={"vector_size": 8})


def _record_alphas(monkeypatch, deterministic):
    """Spy on the training kernel of a mode: the learning rates it gets, walk by walk."""
    recorded = []
    if deterministic:
        real = kernels.train_rounds

        def spy(barrier, part, n_parts, walks, n_walks, shards, size, first_walk, alphas, *args):
            if part == 0:
                recorded.append(alphas[:n_walks].copy())
            return real(barrier, part, n_parts, walks, n_walks, shards, size, first_walk, alphas, *args)

        monkeypatch.setattr(kernels, "train_rounds", spy)
    else:
        real = kernels.train_walks_hogwild

        def spy(walks, first_walk, alphas, *args):
            recorded.append(alphas.copy())
            return real(walks, first_walk, alphas, *args)

        monkeypatch.setattr(kernels, "train_walks_hogwild", spy)
    return recorded


@pytest.mark.parametrize("deterministic", [True, False])
def test_learning_rate_steps_like_gensim(monkeypatch, deterministic):
    """Each walk trains at gensim's rate for the 10,000-token job it would
    fall in: alpha - (alpha - min_alpha) * (epoch + done / total) / epochs,
    with done rounded down to a multiple of 10,000 tokens."""
    recorded = _record_alphas(monkeypatch, deterministic)
    walks = np.arange(500 * 50, dtype=np.int32).reshape(500, 50) % 97
    walks[::7, 45:] = -1  # uneven lengths
    lengths = (walks >= 0).sum(axis=1)
    total = int(lengths.sum())
    # (alpha=0.5 diverges on these walks: a TrainingDivergedError now)
    train_skipgram(
        walks, 97, dimensions=4, epochs=2, alpha=0.05, min_alpha=0.01, seed=0, n_jobs=1, deterministic=deterministic
    )
    alphas = np.concatenate(recorded).reshape(2, len(walks))
    done = np.cumsum(lengths) - lengths
    done -= done % 10_000
    for epoch in range(2):
        np.testing.assert_allclose(alphas[epoch], 0.05 - 0.04 * (epoch + done / total) / 2)
        # three jobs per epoch: tokens 0.., 10,000.., 20,000..
        assert len(np.unique(alphas[epoch])) == 3


def test_large_chunks_are_split(monkeypatch):
    """Kernel calls see bounded chunks; the split is invisible in results."""
    import skgraphemb.skipgram._corpus as sg

    walks = np.arange(40, dtype=np.int32).reshape(10, 4) % 7
    monkeypatch.setattr(sg, "_CHUNK_TOKENS", 12)
    sizes = [c.shape[0] for c in _WalkChunks(walks, 7)]
    assert sizes == [3, 3, 3, 1]
    small = train_skipgram(walks, 7, dimensions=4, window=2, seed=0)
    monkeypatch.setattr(sg, "_CHUNK_TOKENS", 1 << 18)
    np.testing.assert_array_equal(small, train_skipgram(walks, 7, dimensions=4, window=2, seed=0))


def test_blocks_do_not_depend_on_how_the_source_splits_the_walks(monkeypatch):
    """Rows left over from one source chunk join the next: a stream of any
    chunking gives the blocks of the whole matrix (walks of one length)."""
    import skgraphemb.skipgram._corpus as sg

    monkeypatch.setattr(sg, "_CHUNK_TOKENS", 12)  # blocks of 3 walks of 4 nodes
    walks = (np.arange(44, dtype=np.int32).reshape(11, 4) * 7) % 13
    expected = [b.tolist() for b in _WalkChunks(walks, 13)]
    assert [len(b) for b in expected] == [3, 3, 3, 2]
    for cuts in ([1, 2, 8], [5], [1] * 10, [2, 2, 2, 2, 2], [3, 3, 3], [10]):
        bounds = np.cumsum([0, *cuts])
        parts = [walks[a:b] for a, b in zip(bounds, [*bounds[1:], None], strict=True)]
        assert [b.tolist() for b in _WalkChunks(parts, 13)] == expected, cuts
    # Walks of another length start a block of their own.
    mixed = [walks[:2], walks[2:4, :3], walks[4:]]
    assert [b.shape for b in _WalkChunks(mixed, 13)] == [(2, 4), (2, 3), (3, 4), (3, 4), (1, 4)]


# -- torch trainer ----------------------------------------------------------------


@pytest.mark.torch
def test_torch_trainer_recovers_communities_like_numba(communities, one_torch_thread):
    """An independent implementation of the same model on the same walks
    separates the planted blocks as well as the numba trainer."""
    from skgraphemb.skipgram import train_skipgram_torch

    graph, walks, labels = communities
    Z = train_skipgram_torch(walks, graph.n_nodes, seed=0, **SMALL)
    ref = train_skipgram(walks, graph.n_nodes, seed=0, **SMALL)
    assert Z.shape == (graph.n_nodes, 16) and Z.dtype == np.float32 and Z.flags.c_contiguous
    assert _community_accuracy(Z, labels) >= 0.9
    assert _neighbour_purity(Z, labels) >= 0.85
    assert _neighbour_purity(Z, labels) >= _neighbour_purity(ref, labels) - 0.05


@pytest.mark.torch
def test_torch_trainer_reproducible(communities, one_torch_thread):
    from skgraphemb.skipgram import train_skipgram_torch

    graph, walks, _ = communities
    a = train_skipgram_torch(walks[:400], graph.n_nodes, seed=3, **SMALL)
    np.testing.assert_array_equal(a, train_skipgram_torch(walks[:400], graph.n_nodes, seed=3, **SMALL))
    assert not np.array_equal(a, train_skipgram_torch(walks[:400], graph.n_nodes, seed=4, **SMALL))


@pytest.mark.torch
def test_torch_trainer_on_cpu_same_for_any_thread_count_and_chunking(communities):
    """The torch trainer keeps the promise on the CPU: its blocks do not
    depend on the chunking, and torch's CPU kernels (bmm, index_add_) give
    the same sums on any number of threads."""
    from skgraphemb.skipgram import train_skipgram_torch

    graph, walks, _ = communities
    n = graph.n_nodes
    one = train_skipgram_torch(walks, n, seed=4, n_jobs=1, **SMALL)
    pieces = [walks[:3], walks[3:250], walks[250:251], walks[251:]]
    for n_jobs in (2, 3):
        np.testing.assert_array_equal(train_skipgram_torch(walks, n, seed=4, n_jobs=n_jobs, **SMALL), one)
        np.testing.assert_array_equal(train_skipgram_torch(pieces, n, seed=4, n_jobs=n_jobs, **SMALL), one)


@pytest.mark.torch
@pytest.mark.gpu
def test_torch_trainer_on_a_gpu(communities, cuda):
    """On a real GPU the trainer separates the blocks as on the CPU, and a
    seed gives the same vectors twice: the updates of a repeated row are
    summed in a fixed order (deterministic=True, the default)."""
    from skgraphemb.skipgram import train_skipgram_torch

    graph, walks, labels = communities
    Z = train_skipgram_torch(walks, graph.n_nodes, seed=0, device=cuda, **SMALL)
    assert Z.shape == (graph.n_nodes, 16) and Z.dtype == np.float32 and np.isfinite(Z).all()
    assert _community_accuracy(Z, labels) >= 0.9
    assert _neighbour_purity(Z, labels) >= 0.85
    again = train_skipgram_torch(walks, graph.n_nodes, seed=0, device=cuda, **SMALL)
    np.testing.assert_array_equal(again, Z)
    # Atomic sums: the opt-in faster mode, as good but not reproducible bit for bit.
    atomic = train_skipgram_torch(walks, graph.n_nodes, seed=0, device=cuda, deterministic=False, **SMALL)
    assert _community_accuracy(atomic, labels) >= 0.9
    np.testing.assert_allclose(atomic, Z, atol=0.05)


def _trainers():
    from skgraphemb.skipgram import train_skipgram_torch

    return {"native": train_skipgram, "gensim": train_gensim, "torch": train_skipgram_torch}


@pytest.mark.parametrize("trainer", ["native", "gensim", pytest.param("torch", marks=pytest.mark.torch)])
def test_output_vectors_in_and_out(communities, trainer):
    """init_output seeds the output vectors and return_output hands them
    back; nodes absent from the walks keep both initial rows."""
    if trainer == "torch":
        pytest.importorskip("torch")
    train = _trainers()[trainer]
    graph, walks, labels = communities
    n = graph.n_nodes
    vectors, output = train(walks, n, seed=0, return_output=True, **SMALL)
    assert output.shape == vectors.shape and output.dtype == np.float32
    assert np.abs(output).max() > 0  # trained from zeros
    subset = walks[(walks < n - 20).all(axis=1)]
    warm, warm_out = train(subset, n, seed=1, init=vectors, init_output=output, return_output=True, **SMALL)
    np.testing.assert_array_equal(warm[n - 20 :], vectors[n - 20 :])
    np.testing.assert_array_equal(warm_out[n - 20 :], output[n - 20 :])
    cold_out = train(subset, n, seed=1, init=vectors, return_output=True, **SMALL)[1]
    np.testing.assert_array_equal(cold_out[n - 20 :], 0.0)
    # Continuing from the output vectors keeps the blocks apart from the start.
    assert _neighbour_purity(warm, labels) >= 0.85
    with pytest.raises(ValueError, match="init_output must have shape"):
        train(walks, n, init_output=np.zeros((n, 3)), **SMALL)


# -- divergence and degenerate walks: an error or a warning, never NaN ---------
def _trainer_functions():
    from skgraphemb.skipgram import train_skipgram_torch

    out = [train_skipgram, train_gensim]
    try:
        import torch  # noqa: F401

        out.append(train_skipgram_torch)
    except ImportError:  # pragma: no cover - torch is in the test extras
        pass
    return out


@pytest.mark.parametrize("trainer", _trainer_functions(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("alpha", [0.025, 0.05])
def test_sane_learning_rates_train_finite_vectors(communities, trainer, alpha):
    graph, walks, _ = communities
    vectors, output = trainer(walks, graph.n_nodes, alpha=alpha, seed=0, return_output=True, **SMALL)
    assert np.isfinite(vectors).all() and np.isfinite(output).all()


@pytest.mark.parametrize("alpha", [1.0, 5.0, 100.0])
def test_divergence_raises_and_says_lower_alpha(communities, alpha):
    """Before: train_skipgram returned all-NaN vectors from alpha=1 on (and
    the torch trainer from 0.2 on), silently."""
    from skgraphemb import TrainingDivergedError
    from skgraphemb.skipgram import train_skipgram_torch

    graph, walks, _ = communities
    for trainer in (train_skipgram, train_skipgram_torch):
        with pytest.raises(TrainingDivergedError, match=rf"alpha={alpha:g} is too high.*lower alpha"):
            trainer(walks, graph.n_nodes, alpha=alpha, seed=0, **SMALL)
    assert issubclass(TrainingDivergedError, FloatingPointError)


@pytest.mark.parametrize("deterministic", [True, False])
def test_divergence_is_caught_within_the_first_block(communities, monkeypatch, deterministic):
    """The per-block check stops a diverging fit early, not after all epochs."""
    import skgraphemb.skipgram._corpus as sg
    from skgraphemb import TrainingDivergedError

    graph, walks, _ = communities
    calls = _record_alphas(monkeypatch, deterministic)
    monkeypatch.setattr(sg, "_CHUNK_TOKENS", 300)  # many blocks of 10 walks
    train_skipgram(walks, graph.n_nodes, seed=0, n_jobs=1, deterministic=deterministic, **{**SMALL, "epochs": 1})
    per_epoch = len(calls)
    calls.clear()
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        train_skipgram(walks, graph.n_nodes, alpha=50.0, seed=0, n_jobs=1, deterministic=deterministic, **SMALL)
    assert len(calls) < per_epoch / 2  # stopped early in the first epoch


def test_gensim_output_is_checked(communities, monkeypatch):
    """train_gensim checks what gensim returns too."""
    from gensim.models import Word2Vec

    from skgraphemb import TrainingDivergedError

    graph, walks, _ = communities
    real_train = Word2Vec.train

    def poisoned(self, *args, **kwargs):
        out = real_train(self, *args, **kwargs)
        self.wv.vectors[0, 0] = np.nan
        return out

    monkeypatch.setattr(Word2Vec, "train", poisoned)
    with pytest.raises(TrainingDivergedError, match="train_gensim.*lower alpha"):
        train_gensim(walks, graph.n_nodes, seed=0, **SMALL)


@pytest.mark.parametrize("trainer", _trainer_functions(), ids=lambda f: f.__name__)
def test_walks_without_pairs_warn_and_return_initial_vectors(trainer):
    walks = np.array([[0, -1], [1, -1], [2, -1]], dtype=np.int32)  # one node per walk
    with pytest.warns(UserWarning, match="no \\(centre, context\\) pair.*nothing to train on"):
        vectors = trainer(walks, 3, dimensions=4, seed=0)
    init = kernels.init_vectors(3, 4, _substream_seed(0, 0))
    np.testing.assert_array_equal(vectors, init)


def test_gensim_unknown_word2vec_kwargs_are_named(communities):
    graph, walks, _ = communities
    with pytest.raises(ValueError, match="'bogus' not an argument of gensim's Word2Vec"):
        train_gensim(walks, graph.n_nodes, word2vec_kwargs={"bogus": 1}, **SMALL)


def test_divergence_at_the_end_of_the_schedule_names_min_alpha(communities):
    from skgraphemb import TrainingDivergedError

    graph, walks, _ = communities
    with pytest.raises(TrainingDivergedError, match="min_alpha=50 is too high.*lower min_alpha"):
        train_skipgram(walks, graph.n_nodes, alpha=0.01, min_alpha=50.0, seed=0, **SMALL)


@pytest.mark.parametrize(("n_nodes", "walk_length", "n_threads"), [(34, 80, 3), (5000, 40, 3), (20000, 80, 16)])
def test_round_buffer_estimate_is_what_the_rounds_allocate(n_nodes, walk_length, n_threads):
    """The memory estimate's term for the deterministic rounds is the size
    of the arrays they allocate (at most: every node in the walks)."""
    from skgraphemb._kernels._pool import KernelThreads
    from skgraphemb.skipgram._native import _Rounds, round_buffer_bytes

    d, negative = 32, 5
    syn = np.zeros((n_nodes, d), dtype=np.float32)
    threads = KernelThreads(n_threads)
    try:
        rounds = _Rounds(kernels, threads, n_nodes, walk_length, negative, syn, syn, ())
    finally:
        threads.close()
    arrays = [rounds.walks, rounds.alphas, rounds.in_rows, rounds.in_order, rounds.in_local, rounds.out_rows]
    arrays += [rounds.out_order, rounds.out_local, rounds.plans]
    allocated = sum(a.nbytes for a in [*arrays, *rounds.maps])
    estimate = round_buffer_bytes(n_nodes, walk_length, negative, d, n_threads)
    assert allocated <= estimate <= allocated + rounds.bounds.nbytes + 64
    assert len(rounds.maps) == min(n_threads, rounds.shards)  # row maps: one per thread that trains shards


# -- memory layout: rows on cache lines ------------------------------------------
def test_vectors_and_round_buffers_start_on_a_cache_line(communities):
    """The trainer's vectors and the rounds' row copies start on a 64-byte
    boundary (numpy alone puts large arrays 16 bytes past one, where half of
    the kernels' 32-byte row accesses cross a line), for the default start
    and for a warm start; the values are those of an unaligned copy."""
    from skgraphemb._kernels._aligned import CACHE_LINE
    from skgraphemb._kernels._pool import KernelThreads
    from skgraphemb.skipgram._corpus import _INIT_STREAM, _initial_vectors
    from skgraphemb.skipgram._native import _Rounds

    n_nodes, d = 3000, 64  # 768 KB: numpy maps it, 16 bytes past a page
    for init, name, value in [(None, "init_output", 0.0), (np.ones((n_nodes, d)), "init", 1.0), (None, "init", None)]:
        vectors = _initial_vectors(n_nodes, d, 3, init, name)
        assert vectors.ctypes.data % CACHE_LINE == 0 and vectors.flags.c_contiguous
        assert vectors.shape == (n_nodes, d) and vectors.dtype == np.float32
        if value is not None:
            assert (vectors == value).all()
    np.testing.assert_array_equal(
        _initial_vectors(n_nodes, d, 3, None), kernels.init_vectors(n_nodes, d, _substream_seed(3, _INIT_STREAM))
    )
    syn = np.zeros((n_nodes, d), dtype=np.float32)
    threads = KernelThreads(2)
    try:
        rounds = _Rounds(kernels, threads, n_nodes, 80, 5, syn, syn, ())
    finally:
        threads.close()
    assert rounds.in_local.ctypes.data % CACHE_LINE == 0 and rounds.out_local.ctypes.data % CACHE_LINE == 0

    graph, walks, _ = communities
    Z, out = train_skipgram(walks, graph.n_nodes, return_output=True, seed=0, **SMALL)
    assert Z.ctypes.data % CACHE_LINE == 0 and out.ctypes.data % CACHE_LINE == 0


def test_init_vectors_fills_a_given_array_and_rejects_a_wrong_one():
    out = np.full((40, 24), 7.0, dtype=np.float32)
    assert kernels.init_vectors(40, 24, 11, out=out) is out
    np.testing.assert_array_equal(out, kernels.init_vectors(40, 24, 11))
    for bad in [np.empty((40, 25), np.float32), np.empty((40, 24), np.float64), np.empty((24, 40), np.float32).T]:
        with pytest.raises(ValueError, match="C-contiguous float32 array of shape \\(40, 24\\)"):
            kernels.init_vectors(40, 24, 11, out=bad)


def test_the_aligned_allocator_does_not_import_numba():
    """The skip-gram trainer's C path allocates through _aligned, and its
    first fit must not pay numba's import."""
    import subprocess
    import sys

    code = "import sys, skgraphemb._kernels._aligned as a; a.aligned_empty((3, 16)); print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- hubs: the deterministic rounds never add up to an overshoot ----------------
@pytest.fixture(scope="module")
def hub_walks():
    """Walks (80 x 2) of graphs dominated by one node: a star (the centre
    is half of every walk) and a wheel (a quarter)."""
    out = {}
    for name, G in [("star", nx.star_graph(2100)), ("wheel", nx.wheel_graph(2100))]:
        out[name] = (G.number_of_nodes(), random_walks(G, walk_length=80, num_walks=2, random_state=0, n_jobs=2))
    return out


@pytest.mark.parametrize("graph", ["star", "wheel"])
@pytest.mark.parametrize("sample", [1e-3, 0.0])
@pytest.mark.parametrize("alpha", [0.025, 0.05])
def test_deterministic_training_on_hubs_is_like_sequential_training(hub_walks, graph, sample, alpha, uncapped_threads):
    """Before: rounds of 8 shards x 8 walks summed 8 shards' changes of the
    hub's vectors, several times sequential SGD's step; the default trainer
    diverged on these walks or returned finite vectors of 1e14 (and 3e4 on
    wikipedia-pos, a real graph, at the default parameters).  The rounds are
    now sized from the busiest node's load: vectors of sequential SGD's
    scale, for any number of threads."""
    n, walks = hub_walks[graph]
    kw = dict(dimensions=32, alpha=alpha, sample=sample, seed=0)
    sequential = train_skipgram(walks, n, n_jobs=1, deterministic=False, **kw)
    rounds = train_skipgram(walks, n, n_jobs=2, **kw)
    assert np.abs(rounds).max() <= 3 * np.abs(sequential).max()
    np.testing.assert_array_equal(rounds, train_skipgram(walks, n, n_jobs=3, **kw))
    assert uncapped_threads[-1] == 3


@pytest.mark.parametrize("n_seen", [34, 700, 5000, 10**6])
@pytest.mark.parametrize("walk_length", [5, 80])
def test_round_shape_bounds_the_load_that_a_shard_does_not_see(n_seen, walk_length):
    from skgraphemb.skipgram._native import _ROUND_LOAD, _round_shape

    free = _round_shape(n_seen, walk_length, 5, 128)
    assert _round_shape(n_seen, walk_length, 5, 128, 0.0) == free
    previous = free
    for load in np.geomspace(1e-6, 10.0, 60):
        shards, size = _round_shape(n_seen, walk_length, 5, 128, load)
        assert 1 <= shards <= free[0] and 1 <= size <= free[1]
        assert (shards - 1) * size * walk_length * load <= _ROUND_LOAD * (1 + 1e-12) or (shards, size) == free
        # A larger load never gets larger rounds, and rounds are as large as
        # the bound allows: one more walk per shard, or one more shard, breaks it.
        assert shards <= previous[0] and size <= previous[1]
        if shards == free[0] and size < free[1]:
            assert (shards - 1) * (size + 1) * walk_length * load > _ROUND_LOAD
        elif shards < free[0]:
            assert size == 1 and shards * walk_length * load > _ROUND_LOAD
        previous = (shards, size)
    assert _round_shape(n_seen, walk_length, 5, 128, 10.0) == (1, 1)  # a node that is every token: sequential


def test_rounds_are_cut_into_many_small_shards():
    """Where no node is busy a round holds at most 64 walks (a shard misses
    60, about the 56 of the former rounds of 8 shards x 8) cut into 16
    shards, so that up to 16 threads train at once and two threads claiming
    shards one at a time end a round close together; where the load allows
    rounds of about 30 walks (BlogCatalog's walks), single-walk shards keep
    the 16 shards rather than fewer, longer ones."""
    from skgraphemb.skipgram._native import _ROUND_LOAD, _round_shape

    shards, size = _round_shape(10**6, 80, 5, 128)
    assert shards == 16 and shards * size <= 64
    unseen = 29.4  # walks a shard may miss at BlogCatalog's load
    assert _round_shape(10**6, 80, 5, 128, _ROUND_LOAD / (80 * unseen)) == (16, 1)


def test_row_load_counts_the_gradient_terms_of_the_busiest_row():
    """Against a direct count: a walk 0 1 0 1 ... with window 1 and no
    subsampling gives each node's input row two context updates of
    ``1 + negative`` terms per occurrence, and each centre's output row
    (and each negative's) a sum over its two contexts."""
    from skgraphemb.skipgram._native import row_load

    counts = np.array([500, 500, 0], dtype=np.int64)
    keep = _keep_thresholds(counts, 1000, 0.0)
    weights = _negative_weights(counts, 0.75)
    # per token: node 0 is half the tokens; input 0.5 * 2 * 3, output (0.5 + 2 * 0.5) * 2
    assert row_load(counts, keep, weights, window=1, negative=2) == pytest.approx(0.5 * 2 * 3 + (0.5 + 2 * 0.5) * 2)
    assert row_load(np.zeros(3, dtype=np.int64), keep, weights, 1, 2) == 0.0


# -- absurd but finite vectors are divergence too --------------------------------
def test_vectors_past_the_magnitude_limit_raise():
    from skgraphemb import TrainingDivergedError
    from skgraphemb.skipgram._corpus import _check_vectors, _magnitude_limit

    rng = np.random.default_rng(0)
    start = rng.uniform(-1 / 16, 1 / 16, (50, 16)).astype(np.float32)
    limit = _magnitude_limit(start, np.zeros_like(start))
    healthy = rng.normal(0, 10, (50, 16)).astype(np.float32)
    healthy[3, 4] = 28.0  # the largest value gensim's own healthy training reached
    _check_vectors("t", healthy, healthy, 0.025, 0.0001, 0, limit)
    for bad in (1.7e14, -3e4, np.inf, np.nan):
        vectors = healthy.copy()
        vectors[7, 1] = bad
        with pytest.raises(TrainingDivergedError, match=r"NaN, infinite or larger than 1000.*lower alpha"):
            _check_vectors("t", vectors, healthy, 0.025, 0.0001, 0, limit)
    # A warm start from large vectors raises the limit with them.
    assert _magnitude_limit(start * 1e5, np.zeros_like(start)) == pytest.approx(10 * np.abs(start * 1e5).max())


def test_warm_start_from_large_vectors_trains(communities):
    graph, walks, _ = communities
    Z, out = train_skipgram(walks, graph.n_nodes, seed=0, return_output=True, **SMALL)
    big = 2000 * Z  # past the absolute limit, legitimately: the user's start
    again = train_skipgram(walks, graph.n_nodes, seed=0, init=big, init_output=out, **SMALL)
    assert np.isfinite(again).all()


@pytest.mark.torch
def test_torch_trainer_reports_finite_overshoot(hub_walks, one_torch_thread):
    """Before: the torch trainer returned finite vectors of 1e3-1e5 on these
    star walks at alpha=0.1, and of 5e10 on longer ones at alpha=0.05 (a
    minibatch sums a hub's updates)."""
    from skgraphemb import TrainingDivergedError
    from skgraphemb.skipgram import train_skipgram_torch

    n, walks = hub_walks["star"]
    try:
        Z = train_skipgram_torch(walks, n, alpha=0.1, seed=0)
    except TrainingDivergedError as err:
        assert "lower alpha" in str(err)
    else:
        assert np.abs(Z).max() <= 1e3


def test_gensim_output_past_the_limit_is_checked(communities, monkeypatch):
    from gensim.models import Word2Vec

    from skgraphemb import TrainingDivergedError

    graph, walks, _ = communities
    real_train = Word2Vec.train

    def overshoot(self, *args, **kwargs):
        out = real_train(self, *args, **kwargs)
        self.syn1neg[0, 0] = 3e4
        return out

    monkeypatch.setattr(Word2Vec, "train", overshoot)
    with pytest.raises(TrainingDivergedError, match="train_gensim.*larger than 1000"):
        train_gensim(walks, graph.n_nodes, seed=0, **SMALL)
