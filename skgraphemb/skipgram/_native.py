"""skgraphemb's own skip-gram trainer: :func:`train_skipgram`.

The project's own SGNS trainer (the default of
:class:`~skgraphemb.Node2VecEmbedder`).  It follows gensim's skip-gram
semantics where they matter for quality (linear learning-rate decay in
steps of 10,000 tokens, reduced random windows, frequent-token
subsampling, unigram^0.75 negatives, initial scale, updates pair by pair)
but draws the negatives once per centre token and shares them across its
window (Ji et al., 2016), and takes a window's logits at the values before
it, which turns the inner loops into small matrix products.  On
BlogCatalog walks (8.25M tokens, 2 threads, a busy 2-core machine) the
default, deterministic mode, which gives the same vectors for any number
of threads, trained 6.6-7.5 times as fast as gensim in the same runs, its
lock-free mode 8.7-10.5 times.  With gensim's corpus-file learning-rate
schedule, macro-F1 is gensim's (0.2396 against 0.2387-0.2392), and with
the default schedule above gensim's iterable mode (0.2219 against 0.2203)
(``benchmarks/README.md``).

This Python driver owns the vocabulary statistics, the learning-rate
schedule, chunking, threads and progress; the C kernels in
:mod:`skgraphemb.skipgram._sgns` (``_sgns.h``, compiled when the package is
installed, so that a first fit compiles nothing) do one chunk of walks per
call, without the GIL (umap's driver/kernel split).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb._kernels._aligned import aligned_empty
from skgraphemb._kernels._pool import KernelThreads, row_ranges
from skgraphemb.skipgram._corpus import (
    _COMMON_CONSTRAINTS,
    _TRAIN_STREAM,
    WalkSource,
    _check_block,
    _check_vectors,
    _keep_thresholds,
    _magnitude_limit,
    _negative_weights,
    _start,
    _substream_seed,
    _warn_no_pairs,
)
from skgraphemb.utils._threads import resolve_threads
from skgraphemb.utils._validation import validate_params

logger = logging.getLogger(__name__)

# The learning rate steps down once per this many tokens, like gensim (one
# value per job of batch_words=10000 words) and word2vec.c (an update every
# 10,000 words).  On large corpora the steps are invisible; on small ones
# (karate's 13,600 tokens: two steps) they keep the early, larger rates for
# a sizeable share of the work, which the reference implementations' users
# rely on: a smooth decay there lowers node-classification F1 markedly.
_ALPHA_STEP_TOKENS = 10_000


# Deterministic rounds: a round is _ROUND_SHARDS shards of _SHARD_WALKS
# consecutive walks.  Each shard trains in order on its own copy of the
# rows it touches, from the vectors at the start of the round; then every
# row adds its shards' changes in shard order.  Shards of one round see
# nothing of each other: like Hogwild on _ROUND_SHARDS threads, a busy node
# gets that many updates computed from the same start, so small graphs get
# fewer, shorter shards (on BlogCatalog, rounds of 64 walks trained apart
# lose 0.035 macro-F1, 16 lose 0.002).  Shards hold at most _ROUND_BYTES of
# copied rows in all.  Rounds of at most 64 walks in 16 shards rather than
# 8 shards of 8, and where the load limits what a shard may miss, more
# single-walk shards before fewer longer ones: threads claim smaller pieces,
# so a round ends with less of one thread's last shard to wait for, a
# shard's copies of rows are smaller, and up to 16 threads train at once
# (BlogCatalog: 16 shards of one walk took 0.94 of the time of 8 of four on
# two threads and 0.89 on one, at the same macro-F1; benchmarks/README.md).
_ROUND_SHARDS = 16
_SHARD_WALKS = 4
_ROUND_BYTES = 64 << 20

# A round's shards change a hub's rows from the same start and their changes
# add up: a row that every shard updates many times gets several times the
# step that sequential SGD would take, and overshoots.  Rounds are made
# small enough that the busiest row's updates unseen by a shard, learning
# rate times gradient terms over the other shards' walks, stay within
# _ROUND_LOAD (:func:`_round_shape`).  Measured with rounds of 8 x 8 walks
# on walks of 80 x 10 (``benchmarks/bench_round_load.py``): loads from about
# 80 up overshoot where Hogwild's vectors stay within 1-2 (wikipedia-pos at
# the defaults, 87: values of 3e4; cora at alpha=0.05, 157: 500; a
# Barabasi-Albert graph at alpha=0.05, 97: 4; a wheel, 377, and a star,
# 621: divergence); BlogCatalog, at 46, trains sanely but gains 0.002-0.005
# macro-F1 at the same speed in rounds of 8 x 4 walks (23).  At 24 and under
# every graph tried trains to vectors of Hogwild's scale.
_ROUND_LOAD = 24.0


def row_load(
    counts: NDArray[np.int64], keep: NDArray[np.uint64], negative_weights, window: int, negative: int
) -> float:
    """Gradient terms per token of the walks on the busiest row.

    A kept token of node ``v`` is the context of ``window + 1`` centres on
    average (reduced windows of ``1 .. window`` on both sides), each update
    of its input row summing ``1 + negative`` terms; each kept centre and
    each of its ``negative`` negatives updates an output row with a sum over
    those ``window + 1`` contexts.  Per token of the walks, node ``v``'s rows
    thus get ``(window + 1) * (kept_v * (2 + negative) + negative * kept *
    q_v)`` terms, ``kept_v`` its share of the kept tokens, ``kept`` the
    share of tokens kept and ``q_v`` its share of the negatives.
    """
    total = counts.sum()
    if total == 0:
        return 0.0
    kept_v = counts / total * (keep / 2.0**32)
    q = negative_weights / negative_weights.sum()
    terms = (window + 1) * (kept_v * (2 + negative) + negative * kept_v.sum() * q)
    return float(terms.max())


def _round_shape(n_seen: int, walk_length: int, negative: int, dimensions: int, load: float = 0.0) -> tuple[int, int]:
    """``(shards, walks per shard)`` of a deterministic round from the number
    of distinct nodes in the walks and the parameters only, never from the
    thread count or the chunking.

    ``load`` is the learning rate times :func:`row_load`: a round's other
    ``shards - 1`` shards hold ``(shards - 1) * size * walk_length`` tokens
    that a shard does not see, and their load on the busiest row must stay
    within ``_ROUND_LOAD``: first shards get fewer walks (down to one),
    then rounds get fewer shards (down to one, plain sequential SGD).
    """
    shards = max(2, min(_ROUND_SHARDS, n_seen // 64))
    per_walk = walk_length * (negative + 2) * dimensions * 4
    size = max(1, min(_SHARD_WALKS, n_seen // 256, _ROUND_BYTES // (shards * per_walk)))
    if load > 0:
        unseen = _ROUND_LOAD / (load * max(walk_length, 1))  # walks a shard may miss
        if (shards - 1) * size > unseen:
            if unseen >= shards - 1:
                size = int(unseen // (shards - 1))
            else:
                shards, size = int(unseen) + 1, 1
    return shards, size


def _round_layout(
    n_nodes: int, n_seen: int, longest: int, negative: int, dimensions: int, load: float = 0.0
) -> tuple[int, ...]:
    """``(shards, walks per shard, input rows, output rows)`` of a round's
    buffers: a shard holds at most ``input rows`` and ``output rows``
    distinct rows of its walks."""
    shards, size = _round_shape(n_seen, longest, negative, dimensions, load)
    return shards, size, min(n_nodes, longest * size), min(n_nodes, longest * size * (negative + 1))


def round_buffer_bytes(n_nodes: int, walk_length: int, negative: int, dimensions: int, n_threads: int) -> int:
    """Memory of the deterministic trainer's round buffers (at most, for
    walks of ``walk_length`` over ``n_nodes`` nodes), for memory estimates."""
    shards, size, n_in, n_out = _round_layout(n_nodes, n_nodes, walk_length, negative, dimensions)
    parts = min(n_threads, shards)
    walks = shards * size * (walk_length * 4 + 8)
    local = shards * (n_in + n_out) * (dimensions * 4 + 2 * 8)  # changes; rows and slot order of two rounds
    plans = 2 * shards * 4 * (4 + size + size * walk_length * (3 + negative))  # _sgns.plan_words, two rounds
    return walks + local + plans + parts * 2 * n_nodes * 4


class _Rounds:
    """The deterministic trainer's schedule: rounds of a fixed number of
    walks, counted from the start of each epoch across blocks.  Whole
    rounds of a block go to :func:`~._sgns.train_rounds` as they are (one
    call per thread trains every round of the block, the threads meeting
    at a barrier twice per round); a round split between blocks is
    gathered in a buffer as wide as the longest walk."""

    def __init__(
        self, kernels, threads: KernelThreads, n_seen: int, longest: int, negative: int, syn0, syn1, tables, load=0.0
    ):
        n_nodes, dim = syn0.shape
        self.kernels, self.threads, self.syn0, self.syn1, self.tables = kernels, threads, syn0, syn1, tables
        self.shards, self.shard_size, n_in, n_out = _round_layout(n_nodes, n_seen, longest, negative, dim, load)
        # Row maps for the threads that train shards (never more than shards);
        # the same threads then add the changes, one part of the rows each.
        self.maps = [np.full((2, n_nodes), -1, dtype=np.int32) for _ in range(min(threads.n_threads, self.shards))]
        self.per_round = self.shards * self.shard_size
        self.walks = np.full((self.per_round, longest), -1, dtype=np.int32)
        self.alphas = np.empty(self.per_round, dtype=np.float64)
        # A round's shards are planned into the buffers of its parity (rows,
        # slots grouped by the adding thread of their row, draws), so that the
        # next round is planned while this one's changes are added (_sgns.train_rounds).
        self.in_rows = np.empty((2 * self.shards, n_in), dtype=np.int32)
        self.out_rows = np.empty((2 * self.shards, n_out), dtype=np.int32)
        self.in_order, self.out_order = np.empty_like(self.in_rows), np.empty_like(self.out_rows)
        self.bounds = np.zeros((2, 2 * self.shards, len(self.maps) + 1), dtype=np.int64)
        self.plans = np.zeros((2 * self.shards, kernels.plan_words(self.shard_size, longest, negative)), np.int32)
        # The shards' copies of rows start on a cache line, as the vectors do
        # (_corpus._initial_vectors).
        self.in_local = aligned_empty((self.shards, n_in, dim), np.float32)
        self.out_local = aligned_empty((self.shards, n_out, dim), np.float32)
        self.filled = 0  # walks in the buffer
        self.first_walk = 0  # global index of the buffer's first walk

    def train(self, chunk, first_walk: int, alphas) -> int:
        """Train a block of walks; the last round may stay open for the next block."""
        if chunk.shape[1] > self.walks.shape[1]:  # columns past the longest walk are padding
            chunk = np.ascontiguousarray(chunk[:, : self.walks.shape[1]])
        kept = start = 0
        if self.filled:  # complete the open round
            start = min(chunk.shape[0], self.per_round - self.filled)
            self._gather(chunk[:start], alphas[:start])
            if self.filled == self.per_round:
                kept += self.flush()
        whole = (chunk.shape[0] - start) // self.per_round * self.per_round
        if whole:
            kept += self._run(chunk[start : start + whole], whole, first_walk + start, alphas[start : start + whole])
            start += whole
        if start < chunk.shape[0]:
            self.first_walk = first_walk + start
            self._gather(chunk[start:], alphas[start:])
        return kept

    def _gather(self, walks, alphas) -> None:
        rows = slice(self.filled, self.filled + walks.shape[0])
        self.walks[rows, : walks.shape[1]] = walks
        self.walks[rows, walks.shape[1] :] = -1
        self.alphas[rows] = alphas
        self.filled += walks.shape[0]

    def flush(self) -> int:
        """Train and apply the open round; returns the tokens kept."""
        kept = self._run(self.walks, self.filled, self.first_walk, self.alphas) if self.filled else 0
        self.filled = 0
        return kept

    def _run(self, walks, n_walks: int, first_walk: int, alphas) -> int:
        """The rounds of ``walks[:n_walks]``, every thread in one kernel call."""
        n_parts = len(self.maps)
        barrier = self.kernels.new_barrier(n_parts)
        kept = self.threads.run_together(
            self.kernels.train_rounds,
            [
                (barrier, part, n_parts, walks, n_walks, self.shards, self.shard_size, first_walk, alphas,
                 self.syn0, self.syn1, *self.tables, maps[0], maps[1], self.in_rows, self.in_order, self.bounds[0],
                 self.in_local, self.out_rows, self.out_order, self.bounds[1], self.out_local, self.plans)
                for part, maps in enumerate(self.maps)
            ],
        )  # fmt: skip
        if min(kept) < 0:
            raise MemoryError("train_skipgram: out of memory for a thread's scratch buffers")
        return sum(kept)


def _hogwild(kernels, threads: KernelThreads, chunk, first_walk: int, alphas, syn0, syn1, tables: tuple) -> int:
    """Train a block of walks Hogwild: each thread a contiguous share, all
    writing to the shared vectors without locks."""
    calls = [
        (chunk[lo:hi], first_walk + lo, alphas[lo:hi], syn0, syn1, *tables)
        for lo, hi in row_ranges(chunk.shape[0], threads.n_threads)
    ]
    return sum(threads.map(kernels.train_walks_hogwild, calls))


@validate_params({**_COMMON_CONSTRAINTS, "deterministic": ["boolean"]}, prefer_skip_nested_validation=True)
def train_skipgram(
    walks: WalkSource,
    n_nodes: int,
    *,
    dimensions: int = 128,
    window: int = 10,
    negative: int = 5,
    epochs: int = 1,
    alpha: float = 0.025,
    min_alpha: float = 0.0001,
    sample: float = 1e-3,
    ns_exponent: float = 0.75,
    seed: int = 0,
    n_jobs: int | None = None,
    verbose: int = 0,
    init=None,
    init_output=None,
    return_output: bool = False,
    deterministic: bool = True,
) -> NDArray[np.float32] | tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Train skip-gram node vectors on walks with skgraphemb's own SGNS trainer.

    Parameters
    ----------
    walks : ndarray of shape (n_walks, walk_length), iterable of such, or callable
        Node positions ``0 .. n_nodes - 1``; a ``-1`` ends a walk (the rest
        of its row is ignored, as are rows that start with ``-1``).  Any
        integer dtype; int32 C-contiguous input is used without a copy.
        To stream walks that do not fit in memory, pass a re-iterable of
        matrices (a list, or any object whose ``__iter__`` starts over) or a
        zero-argument callable returning a fresh iterable of matrices, such
        as ``lambda: iter_walk_chunks(graph, ..., random_state=0)``: the
        walks are read ``1 + epochs`` times (token counts, then each epoch),
        so the source must yield the same walks every time, in any order
        and pieces: a later pass that gives other walks (more or fewer
        tokens or walks, a longer walk, other nodes) raises a
        ``ValueError``, before training on a piece past the first pass's
        count.  One-shot iterators (generators) raise a ``TypeError``.
    n_nodes : int
        Number of nodes; the output has one row per node position.
    dimensions : int, default=128
        Size of the vectors.
    window : int, default=10
        Maximum distance between a centre node and a context node.  Each
        centre uses a window drawn uniformly from ``1 .. window``; one
        wider than a walk spans the whole walk.  At most ``2**31 - 1``.
    negative : int, default=5
        Negative samples per centre token.
    epochs : int, default=1
        Passes over the walks.
    alpha, min_alpha : float, default=0.025, 0.0001
        The learning rate decays linearly from ``alpha`` to ``min_alpha``
        over all epochs, by the share of tokens already seen.
    sample : float, default=1e-3
        Frequent-token subsampling threshold, with gensim's formula; 0 keeps
        every token.
    ns_exponent : float, default=0.75
        Negatives are drawn with probability proportional to
        ``count ** ns_exponent`` among nodes that occur in the walks.
    seed : int, default=0
        Seeds the initial vectors and every random draw.  With
        ``deterministic=True`` the result is bitwise reproducible for a
        given seed, whatever ``n_jobs`` and however the walks are chunked
        (on one machine and build of the package).
    n_jobs : int, default=None
        Number of threads.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Capped at the number of CPUs.
    verbose : int, default=0
        Show a progress bar when > 0.
    init : array-like of shape (n_nodes, dimensions), default=None
        Initial input vectors (a warm start, e.g. from a previous fit); it is
        copied, not modified.  Nodes that never occur in the walks keep their
        initial vector, whether from ``init`` or the default draw, uniform in
        ``[-1/dimensions, 1/dimensions)`` per node (gensim 4's scale).
        Finite values within ``+-sqrt(FLT_MAX / dimensions) / 10`` (1.6e17
        at 128 dimensions), as for ``init_output``: past that, float32 dot
        products of vectors within the divergence limit overflow, and a
        ``ValueError`` says so.
    init_output : array-like of shape (n_nodes, dimensions), default=None
        Initial output ("context") vectors; zeros when ``None``, as in
        word2vec.  A warm start should pass the previous fit's output
        vectors (``return_output=True``) along with ``init``: input vectors
        trained against zeroed outputs first drift towards the new outputs,
        undoing much of what they held.

        .. versionadded:: 0.1
    return_output : bool, default=False
        Also return the output vectors.

        .. versionadded:: 0.1
    deterministic : bool, default=True
        Train in deterministic rounds (Notes): the same vectors for any
        ``n_jobs``.  ``False`` is the lock-free "Hogwild" mode of word2vec
        and gensim, 1.6 times less CPU time on one thread and 1.1-1.5
        times less wall time on two (measured on BlogCatalog,
        ``benchmarks/bench_skipgram.py``) and of the same quality, whose
        vectors with ``n_jobs > 1`` change from run to run.

        .. versionadded:: 0.2

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
        The input ("embedding") vectors, row ``v`` for node position ``v``.
    output : ndarray of shape (n_nodes, dimensions), float32
        The output vectors; only with ``return_output=True``.

    Raises
    ------
    TrainingDivergedError
        As soon as a block of walks leaves vectors that are NaN, infinite
        or past 1,000 in absolute value (10 times the largest ``init``
        value if that is larger), which healthy training never reaches (a
        sample of the block's rows is checked after each block, every row
        after each epoch): ``alpha`` is too high.

    Warns
    -----
    UserWarning
        When no walk holds two tokens (nothing to train on): the initial
        vectors are returned.

    See Also
    --------
    train_gensim : The same training with gensim's Word2Vec.

    Notes
    -----
    For every walk, tokens are first subsampled (gensim's ``sample``
    formula); then, for every remaining centre token ``c`` with a window of
    ``b`` drawn from ``1 .. window``, the input vectors of the context
    tokens within distance ``b`` are trained against the output vector of
    ``c`` (label 1) and ``negative`` nodes drawn from the unigram^0.75
    distribution (label 0), with the logistic loss, its sigmoid saturating
    at +-6 as word2vec.c's does (computed, where word2vec.c and gensim read
    a table of 1,000 points).  This is gensim's ``sg=1, hs=0`` model with
    one change from Ji et al. [1]_: the negatives are drawn once per centre
    and shared by its whole window instead of drawn per (centre, context)
    pair, so the logits of a window are one small matrix product.  A negative that
    equals the centre is skipped, as in gensim.  Against a per-pair variant
    of the same kernel, sharing halves the training time and costs about
    0.002 macro- and micro-F1 on BlogCatalog (3 seeds each).  The logits of
    a window are taken at the values before it; the updates are made pair
    by pair, as gensim makes them: each context's input vector moves along
    the output vectors as the pairs before it left them, and each output
    vector along the context's input vector before its update.  (Updating
    the inputs from the output vectors before the window, as in a
    minibatch, cost about 0.005 macro-F1 on BlogCatalog.)

    The learning rate of each walk is
    ``alpha - (alpha - min_alpha) * (epoch + seen / n_tokens) / epochs``,
    where ``seen`` counts the tokens (before subsampling) of the earlier
    walks of the epoch, rounded down to a multiple of 10,000: gensim's
    schedule, which holds each rate for a job of 10,000 words.  The steps
    matter on small corpora only, where they raise the average rate.

    Each walk draws its random numbers from a stream keyed by
    ``(seed, epoch * n_walks + walk index)``.  With ``deterministic=True``
    (the default) the walks of each epoch are trained in rounds of a fixed
    number of consecutive walks, split into up to 16 shards of consecutive
    walks.  Each shard trains its walks in order, as on one thread, on a
    private copy of the rows it touches, from the vectors at the start of
    the round; then each row adds the changes of the round's shards in
    corpus order.  Threads take whole shards, and then disjoint sets of
    rows, so the result depends only on the walks, the parameters and the
    seed, never on ``n_jobs`` or on how the walks are split into chunks.
    The shards of a round see nothing of each other's updates, as Hogwild
    threads see little, and a node that every shard updates gets the sum
    of their changes: for a hub, several times the step of sequential
    training, which overshoots.  So the rounds are sized from the token
    counts, ``window``, ``negative`` and the learning rate, to bound the
    updates of the busiest node that a shard does not see: 16 shards of 4
    walks where no node is frequent (pubmed), of one walk on BlogCatalog's
    and cora's walks, 3 shards of one walk on a star graph's, and
    plain sequential training (one shard of one walk) where one node is
    most of the walks and nothing is subsampled; graphs under 1,024 nodes
    get fewer and shorter shards too.  On BlogCatalog the macro-F1 is that
    of Hogwild within 0.005.  With ``deterministic=False`` threads train
    different walks at once and write to the shared vectors without locks
    ("Hogwild"), like gensim's workers: with ``n_jobs > 1`` results vary
    slightly from run to run; with ``n_jobs=1`` it is plain SGD in walk
    order.  Either way the kernels are serial C, compiled when the package
    is installed, run without the GIL and are driven by a pool of
    ``n_jobs`` Python threads.

    References
    ----------
    .. [1] S. Ji, N. Satish, S. Li and P. Dubey, "Parallelizing Word2Vec in
       Shared and Distributed Memory", IEEE TPDS 2019 (arXiv:1604.04661).
    .. [2] T. Mikolov, I. Sutskever, K. Chen, G. Corrado and J. Dean,
       "Distributed Representations of Words and Phrases and their
       Compositionality", NeurIPS 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from skgraphemb.skipgram import train_skipgram
    >>> walks = np.array([[0, 1, 2, 1, 0], [2, 1, 0, -1, -1]], dtype=np.int32)
    >>> vectors = train_skipgram(walks, n_nodes=4, dimensions=8, window=2, seed=0)
    >>> vectors.shape, vectors.dtype
    ((4, 8), dtype('float32'))
    """
    from skgraphemb.skipgram import _sgns as kernels

    t0 = time.perf_counter()
    chunks, counts, total, n_walks, n_long, vectors, output = _start(
        walks, n_nodes, dimensions, seed, init, init_output
    )
    limit = _magnitude_limit(vectors, output)
    if total == 0:
        logger.warning("train_skipgram: the walks hold no tokens; returning the initial vectors.")
        return (vectors, output) if return_output else vectors
    if _warn_no_pairs("train_skipgram", total, n_long):
        return (vectors, output) if return_output else vectors
    keep = _keep_thresholds(counts, total, sample)
    neg_weights = _negative_weights(counts, ns_exponent)
    neg_threshold, neg_alias = kernels.alias_table(neg_weights)
    train_seed = _substream_seed(seed, _TRAIN_STREAM)
    tables = (keep, neg_threshold, neg_alias, window, negative, train_seed)
    n_threads = resolve_threads(n_jobs)
    n_seen = int(np.count_nonzero(counts))
    t1 = time.perf_counter()
    logger.info(
        "train_skipgram: %d walks, %d tokens, %d distinct nodes counted in %.2fs",
        n_walks,
        total,
        n_seen,
        t1 - t0,
    )

    trained = 0  # tokens kept after subsampling
    mode = "deterministic" if deterministic else "Hogwild"
    progress = tqdm(
        total=epochs * total,
        unit="tok",
        unit_scale=True,
        desc=f"Skip-gram epochs (native, {mode}, {n_threads} thread{'s' if n_threads > 1 else ''})",
        disable=not verbose,
    )
    threads = KernelThreads(n_threads, "skgraphemb-sgns")
    rounds = None
    if deterministic:
        load = max(alpha, min_alpha) * row_load(counts, keep, neg_weights, window, negative)
        rounds = _Rounds(kernels, threads, n_seen, chunks.longest, negative, vectors, output, tables, load)
    try:
        with progress:
            for epoch in range(epochs):
                walk_index = epoch * n_walks
                seen = 0  # tokens of the earlier walks of this epoch
                for chunk in chunks:
                    lengths = kernels.walk_lengths(chunk)
                    # Tokens before each walk, rounded down to a step, give its
                    # learning rate (gensim's _get_next_alpha).
                    before = seen + np.cumsum(lengths) - lengths
                    before -= before % _ALPHA_STEP_TOKENS
                    progress_share = (epoch + before / total) / epochs
                    alphas = alpha - (alpha - min_alpha) * progress_share
                    if rounds is not None:
                        trained += rounds.train(chunk, walk_index, alphas)
                    else:
                        trained += _hogwild(kernels, threads, chunk, walk_index, alphas, vectors, output, tables)
                    _check_block("train_skipgram", chunk, vectors, output, alpha, min_alpha, epoch, limit)
                    chunk_tokens = int(lengths.sum())
                    seen += chunk_tokens
                    walk_index += chunk.shape[0]
                    progress.update(chunk_tokens)
                if rounds is not None:
                    trained += rounds.flush()  # rounds start again with each epoch
                _check_vectors("train_skipgram", vectors, output, alpha, min_alpha, epoch, limit)
    finally:
        threads.close()
    t2 = time.perf_counter()
    logger.info(
        "train_skipgram: %d epoch(s) in %.2fs on %d thread(s), %s: %.0f tokens/s, %d trained after subsampling",
        epochs,
        t2 - t1,
        n_threads,
        mode,
        epochs * total / max(t2 - t1, 1e-9),
        trained,
    )
    return (vectors, output) if return_output else vectors
