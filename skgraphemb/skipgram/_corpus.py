"""Skip-gram with negative sampling (SGNS) on random walks.

Two trainers turn walks (int32 matrices of node positions, ``-1`` padded,
as :func:`skgraphemb.walks.random_walks` returns them) into node vectors:

* :func:`train_skipgram`, the project's own numba trainer (the default of
  :class:`~skgraphemb.Node2VecEmbedder`).  It follows gensim's skip-gram
  semantics where they matter for quality (linear learning-rate decay in
  steps of 10,000 tokens, reduced random windows, frequent-token
  subsampling, unigram^0.75 negatives, initial scale) but draws the
  negatives once per centre token and shares them across its window (Ji et
  al., 2016), which turns the inner loops into small matrix products.  On
  BlogCatalog walks (8.25M tokens, 2 threads, a busy 2-core machine) it
  trains in 6-7 s where gensim takes 39-50 s, using 6-8x less CPU time,
  at node-classification macro-F1 within 0.005 of gensim's
  (``benchmarks/bench_skipgram.py``).
* :func:`train_gensim`, gensim's :class:`~gensim.models.Word2Vec`, fed from
  a temporary text file written by a numba kernel (gensim's multi-core
  ``corpus_file`` mode) or from a lazy iterable, never from a list of
  millions of strings.  It is the reference implementation.

Both return the *input* vectors as a float32 array whose row ``v`` belongs
to node position ``v``.  This Python driver owns the vocabulary statistics,
the learning-rate schedule, chunking, threads and progress; the numba
kernels in :mod:`skgraphemb.skipgram._numba_kernels` do one chunk of walks
per call (umap's driver/kernel split).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb._optional import import_optional
from skgraphemb.utils._device import DEVICE_CONSTRAINT, resolve_device
from skgraphemb.utils._threads import numba_threads, parallel_launch, resolve_numba_threads, torch_threads
from skgraphemb.utils._validation import Integral, Interval, Real, StrOptions, effective_n_jobs, validate_params

__all__ = ["train_gensim", "train_skipgram", "train_skipgram_torch"]

logger = logging.getLogger(__name__)

#: What the trainers accept as walks: one matrix, a re-iterable of matrices
#: (e.g. a list), or a zero-argument callable returning a fresh iterable of
#: matrices on every call (e.g. ``lambda: iter_walk_chunks(G, ...)``).
WalkSource = NDArray[np.integer] | Iterable[NDArray[np.integer]] | Callable[[], Iterable[NDArray[np.integer]]]

# Tokens per kernel call: a fraction of a second of work on a few threads, so
# the progress bar moves and the walk-level learning rates within one call
# span a small part of the schedule.
_CHUNK_TOKENS = 1 << 18

# word2vec.c's sigmoid table resolution (EXP_TABLE_SIZE).
_SIGMOID_TABLE_SIZE = 1000

# The learning rate steps down once per this many tokens, like gensim (one
# value per job of batch_words=10000 words) and word2vec.c (an update every
# 10,000 words).  On large corpora the steps are invisible; on small ones
# (karate's 13,600 tokens: two steps) they keep the early, larger rates for
# a sizeable share of the work, which the reference implementations' users
# rely on: a smooth decay there lowers node-classification F1 markedly.
_ALPHA_STEP_TOKENS = 10_000

#: Default centres per SGD step of the torch trainer (see train_skipgram_torch).
TORCH_BATCH_SIZE = 4096
#: Default cap on the (context, target) pair updates one row takes in full
#: from a batch of the torch trainer (see train_skipgram_torch).
TORCH_ROW_CAP = 256.0

# Sub-streams of the user seed, so the initial vectors and the training
# draws never share a counter-based stream (both are keyed by small ints).
_INIT_STREAM = 0
_TRAIN_STREAM = 1

_COMMON_CONSTRAINTS = {
    "walks": "no_validation",  # checked chunk by chunk in _WalkChunks
    "n_nodes": [Interval(Integral, 1, None, closed="left")],
    "dimensions": [Interval(Integral, 1, None, closed="left")],
    "window": [Interval(Integral, 1, None, closed="left")],
    "negative": [Interval(Integral, 1, None, closed="left")],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "alpha": [Interval(Real, 0, math.inf, closed="neither")],
    "min_alpha": [Interval(Real, 0, math.inf, closed="left")],
    "sample": [Interval(Real, 0, math.inf, closed="left")],
    "ns_exponent": [Interval(Real, -math.inf, math.inf, closed="neither")],
    "seed": [Interval(Integral, 0, None, closed="left")],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
    "init": ["array-like", None],
    "init_output": ["array-like", None],
    "return_output": ["boolean"],
}


class _WalkChunks:
    """Re-iterable view of a walk source as validated int32 matrices.

    Every iteration yields C-contiguous int32 arrays of shape
    ``(rows, walk_length)`` holding at most about ``_CHUNK_TOKENS`` entries
    (larger inputs are sliced, never copied when already int32).  Values
    must lie in ``-1 .. n_nodes - 1``.
    """

    def __init__(self, walks: WalkSource, n_nodes: int) -> None:
        self.n_nodes = n_nodes
        if isinstance(walks, np.ndarray):
            self._array = self._check(walks)
            self._source = None
        else:
            self._array = None
            if callable(walks):
                self._source = walks
            elif isinstance(walks, Iterable):
                if iter(walks) is walks:
                    raise TypeError(
                        "walks is a one-shot iterator (e.g. a generator), but training reads the "
                        "walks at least twice (token counts, then each epoch). Pass a list of "
                        "arrays, or a zero-argument callable returning a fresh iterable, e.g. "
                        "lambda: iter_walk_chunks(graph, ...)."
                    )
                self._source = lambda: walks
            else:
                raise TypeError(
                    "walks must be an int array of shape (n_walks, walk_length), an iterable of "
                    f"such arrays, or a callable returning one; got {type(walks).__name__}."
                )

    def _check(self, chunk) -> NDArray[np.int32]:
        chunk = np.asarray(chunk)
        if chunk.ndim != 2:
            raise ValueError(
                "walks must be 2-D arrays of shape (n_walks, walk_length); got an array of shape "
                f"{chunk.shape}. To pass a list of equal-length walks, convert it with np.asarray first."
            )
        if chunk.dtype.kind not in "iu":
            raise TypeError(f"walks must hold integer node positions; got dtype {chunk.dtype}.")
        if chunk.size:
            # Range check on the original dtype, before a narrowing cast could
            # wrap an out-of-range value into range.
            lo, hi = chunk.min(), chunk.max()
            if lo < -1 or hi >= self.n_nodes:
                raise ValueError(
                    f"walks must hold node positions in 0..{self.n_nodes - 1} (n_nodes={self.n_nodes}) "
                    f"or -1 after a walk ends; found values in [{lo}, {hi}]."
                )
        return np.ascontiguousarray(chunk, dtype=np.int32)

    def __iter__(self) -> Iterator[NDArray[np.int32]]:
        """Blocks of ``_CHUNK_TOKENS // walk_length`` rows (the last may be shorter).

        Blocks do not depend on how the source splits its walks: rows left
        over at the end of one source chunk are joined with the head of the
        next one (of the same walk length), so a trainer whose result depends
        on its blocks (the torch trainer) gives the same vectors for a walk
        matrix and for any stream of its rows.
        """
        if self._array is not None:
            chunks: Iterable = (self._array,)
        else:
            chunks = (self._check(c) for c in self._source())
        pending: list = []  # rows carried over from earlier source chunks, not a block yet
        held = 0  # rows in pending
        for chunk in chunks:
            rows = max(1, _CHUNK_TOKENS // max(1, chunk.shape[1]))
            if pending and pending[0].shape[1] != chunk.shape[1]:
                yield np.concatenate(pending)  # walks of another length: a block of their own
                pending, held = [], 0
            if pending:
                head = chunk[: rows - held]
                pending.append(head.copy())  # copies: do not keep whole chunks alive
                held += head.shape[0]
                chunk = chunk[head.shape[0] :]
                if held < rows:
                    continue
                yield np.concatenate(pending)
                pending, held = [], 0
            full = chunk.shape[0] - chunk.shape[0] % rows
            for start in range(0, full, rows):
                yield chunk[start : start + rows]
            if full < chunk.shape[0]:
                pending, held = [chunk[full:].copy()], chunk.shape[0] - full
        if pending:
            yield np.concatenate(pending)


def _substream_seed(seed: int, stream: int) -> int:
    """A 63-bit seed for sub-stream ``stream`` of ``seed`` (SplitMix64 hash)."""
    from skgraphemb._kernels._random import item_state

    return int(item_state(seed & 0xFFFFFFFFFFFFFFFF, stream)[0]) & 0x7FFFFFFFFFFFFFFF


def _initial_vectors(n_nodes: int, dimensions: int, seed: int, init, name: str = "init") -> NDArray[np.float32]:
    """``init`` as a fresh float32 C array, or the default start when ``None``.

    The default input vectors (``name="init"``) are uniform(-1/d, 1/d)
    rows; the default output vectors (``name="init_output"``) are zeros, as
    in word2vec.
    """
    if init is None:
        if name == "init_output":
            return np.zeros((n_nodes, dimensions), dtype=np.float32)
        from skgraphemb.skipgram._numba_kernels import init_vectors

        return init_vectors(n_nodes, dimensions, _substream_seed(seed, _INIT_STREAM))
    vectors = np.array(init, dtype=np.float32, order="C", copy=True)
    if vectors.shape != (n_nodes, dimensions):
        raise ValueError(
            f"{name} must have shape (n_nodes, dimensions) = ({n_nodes}, {dimensions}); got {vectors.shape}."
        )
    if not np.isfinite(vectors).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return vectors


def _start(walks: WalkSource, n_nodes: int, dimensions: int, seed: int, init, init_output):
    """What every trainer does first: validate the walk source, count the
    tokens (one pass), and set up the input and output vectors.

    Returns ``(chunks, counts, total, n_walks, n_long, vectors, output)``,
    ``n_long`` a count of walks of two or more tokens (0 when none is).
    """
    chunks = _WalkChunks(walks, n_nodes)
    counts, total, n_walks, n_long = _count(chunks)
    vectors = _initial_vectors(n_nodes, dimensions, seed, init)
    output = _initial_vectors(n_nodes, dimensions, seed, init_output, "init_output")
    return chunks, counts, total, n_walks, n_long, vectors, output


def _count(chunks: _WalkChunks, on_chunk=None) -> tuple[NDArray[np.int64], int, int, int]:
    """Token counts per node, total tokens, number of walks and of walks of
    two or more tokens (those that hold a (centre, context) pair) in one pass.

    ``on_chunk(chunk)``, if given, sees every chunk as it is counted (the
    gensim adapter writes its corpus file in the same pass).
    """
    from skgraphemb.skipgram._numba_kernels import count_tokens, walk_lengths

    counts = np.zeros(chunks.n_nodes, dtype=np.int64)
    total = n_walks = n_long = 0
    for chunk in chunks:
        total += count_tokens(chunk, counts)
        n_walks += chunk.shape[0]
        if not n_long and chunk.shape[1] > 1:
            n_long = int(np.count_nonzero(walk_lengths(chunk) > 1))
        if on_chunk is not None:
            on_chunk(chunk)
    return counts, total, n_walks, n_long


def _keep_thresholds(counts: NDArray[np.int64], total: int, sample: float) -> NDArray[np.uint64]:
    """gensim's frequent-token subsampling, as 32-bit keep thresholds.

    A token of node ``v`` is kept with probability
    ``min(1, (sqrt(c_v / t) + 1) * t / c_v)`` where ``t = sample * total``
    (``sample >= 1`` means an absolute count ``t = sample * (3 + sqrt 5) / 2``,
    and ``sample == 0`` keeps everything), exactly as
    ``gensim.models.Word2Vec.prepare_vocab`` computes ``sample_int``.
    """
    seen = counts > 0
    prob = np.ones(counts.shape[0], dtype=np.float64)
    if sample > 0 and total > 0:
        threshold = sample * total if sample < 1.0 else int(sample * (3 + math.sqrt(5)) / 2)
        c = counts[seen].astype(np.float64)
        prob[seen] = np.minimum(1.0, (np.sqrt(c / threshold) + 1.0) * (threshold / c))
    return np.round(prob * 2.0**32).astype(np.uint64)


def _negative_weights(counts: NDArray[np.int64], ns_exponent: float) -> NDArray[np.float64]:
    """Unigram^ns_exponent over the nodes that occur (gensim's cum_table weights).

    Scaled so that the largest weight is 1, computed in log space: a large
    ``|ns_exponent|`` would overflow ``count ** ns_exponent`` itself.
    """
    seen = counts > 0
    weights = np.zeros(counts.shape[0], dtype=np.float64)
    log_w = ns_exponent * np.log(counts[seen].astype(np.float64))
    weights[seen] = np.exp(log_w - log_w.max()) if log_w.size else 1.0
    return weights


# Rows of the vectors checked for NaN/inf after each block of walks: a
# strided sample of the block's tokens.  Divergence starts at the busiest
# nodes, which every block holds, and spreads through their updates, so the
# sample sees it within a block or two at a cost far below the block's
# training; a full check after every epoch makes sure.
_CHECK_ROWS = 2048


def _diverged(caller: str, alpha: float, epoch: int | None = None, min_alpha: float = 0.0) -> Exception:
    from skgraphemb.exceptions import TrainingDivergedError

    where = f" in epoch {epoch + 1}" if epoch is not None else ""
    # The schedule runs from alpha to min_alpha: name the larger end.
    name, rate, default = ("min_alpha", min_alpha, "") if min_alpha > alpha else ("alpha", alpha, " (default 0.025)")
    return TrainingDivergedError(
        f"{caller}: training diverged{where}: the vectors became NaN or infinite, the "
        f"learning rate {name}={rate:g} is too high for these walks; lower {name}"
        f"{default}, e.g. {name}={rate / 10:g}"
    )


def _check_block(caller, chunk: NDArray[np.int32], vectors, output, alpha, min_alpha, epoch: int) -> None:
    """Raise TrainingDivergedError when sampled rows of this block's nodes are not finite."""
    tokens = chunk.reshape(-1)
    rows = tokens[:: max(1, tokens.size // _CHECK_ROWS)]
    rows = rows[rows >= 0]
    if not (np.isfinite(vectors[rows]).all() and np.isfinite(output[rows]).all()):
        raise _diverged(caller, alpha, epoch, min_alpha)


def _check_finite(caller, vectors, output, alpha, min_alpha, epoch: int | None = None) -> None:
    """Raise TrainingDivergedError unless every input and output vector is finite."""
    if not (np.isfinite(vectors).all() and np.isfinite(output).all()):
        raise _diverged(caller, alpha, epoch, min_alpha)


def _warn_no_pairs(caller: str, total: int, n_long: int) -> bool:
    """Warn (and return True) when no walk holds a (centre, context) pair."""
    if n_long > 0:
        return False
    import warnings

    warnings.warn(
        f"{caller}: the walks hold {total} token(s) but no (centre, context) pair: every walk "
        "has a single node (walk_length=1, or walks from isolated nodes), so there is nothing "
        "to train on and the initial (random) vectors are returned. Use walks of 2 or more nodes.",
        UserWarning,
        stacklevel=4,
    )
    return True


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
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
) -> NDArray[np.float32] | tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Train skip-gram node vectors on walks with the numba SGNS trainer.

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
        so the source must yield the same walks every time.  One-shot
        iterators (generators) raise a ``TypeError``.
    n_nodes : int
        Number of nodes; the output has one row per node position.
    dimensions : int, default=128
        Size of the vectors.
    window : int, default=10
        Maximum distance between a centre node and a context node.  Each
        centre uses a window drawn uniformly from ``1 .. window``.
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
        ``n_jobs=1`` the result is bitwise reproducible for a given seed
        (on one machine and numba build).
    n_jobs : int, default=None
        Number of threads.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Capped at ``numba.config.NUMBA_NUM_THREADS``.
    verbose : int, default=0
        Show a progress bar when > 0.
    init : array-like of shape (n_nodes, dimensions), default=None
        Initial input vectors (a warm start, e.g. from a previous fit); it is
        copied, not modified.  Nodes that never occur in the walks keep their
        initial vector, whether from ``init`` or the default draw, uniform in
        ``[-1/dimensions, 1/dimensions)`` per node (gensim 4's scale).
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

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
        The input ("embedding") vectors, row ``v`` for node position ``v``.
    output : ndarray of shape (n_nodes, dimensions), float32
        The output vectors; only with ``return_output=True``.

    Raises
    ------
    TrainingDivergedError
        As soon as a block of walks leaves NaN or infinite vectors (a
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
    distribution (label 0), with the logistic loss and word2vec.c's sigmoid
    table.  This is gensim's ``sg=1, hs=0`` model with one change from Ji
    et al. [1]_: the negatives are drawn once per centre and shared by its
    whole window instead of drawn per (centre, context) pair, so the
    gradients of a window are two small matrix products.  A negative that
    equals the centre is skipped, as in gensim.  Against a per-pair variant
    of the same kernel, sharing halves the training time and costs about
    0.002 macro- and micro-F1 on BlogCatalog (3 seeds each).  Both gradients
    of a window are taken at the values before its update, as in a
    minibatch, where gensim updates pair by pair.

    The learning rate of each walk is
    ``alpha - (alpha - min_alpha) * (epoch + seen / n_tokens) / epochs``,
    where ``seen`` counts the tokens (before subsampling) of the earlier
    walks of the epoch, rounded down to a multiple of 10,000: gensim's
    schedule, which holds each rate for a job of 10,000 words.  The steps
    matter on small corpora only, where they raise the average rate.

    Threads train different walks at once and write to the shared vectors
    without locks ("Hogwild"), like gensim's workers: with ``n_jobs > 1``
    results vary slightly from run to run.  With ``n_jobs=1`` the walks are
    trained in order, and each walk draws its random numbers from a stream
    keyed by ``(seed, epoch * n_walks + walk index)``, so the result depends
    only on the walks, the parameters and the seed, not on how the walks are
    split into chunks.

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
    from skgraphemb.skipgram import _numba_kernels as kernels

    t0 = time.perf_counter()
    chunks, counts, total, n_walks, n_long, vectors, output = _start(
        walks, n_nodes, dimensions, seed, init, init_output
    )
    if total == 0:
        logger.warning("train_skipgram: the walks hold no tokens; returning the initial vectors.")
        return (vectors, output) if return_output else vectors
    if _warn_no_pairs("train_skipgram", total, n_long):
        return (vectors, output) if return_output else vectors
    keep = _keep_thresholds(counts, total, sample)
    neg_threshold, neg_alias = kernels.alias_table(_negative_weights(counts, ns_exponent))
    sigmoid = kernels.sigmoid_table(_SIGMOID_TABLE_SIZE)
    train_seed = _substream_seed(seed, _TRAIN_STREAM)
    n_threads = resolve_numba_threads(n_jobs)
    kernel = kernels.train_walks_parallel if n_threads > 1 else kernels.train_walks_serial
    launch = parallel_launch if n_threads > 1 else contextlib.nullcontext
    t1 = time.perf_counter()
    logger.info(
        "train_skipgram: %d walks, %d tokens, %d distinct nodes counted in %.2fs",
        n_walks,
        total,
        int(np.count_nonzero(counts)),
        t1 - t0,
    )

    trained = 0  # tokens kept after subsampling
    progress = tqdm(
        total=epochs * total,
        unit="tok",
        unit_scale=True,
        desc=f"Skip-gram epochs (numba, {n_threads} thread{'s' if n_threads > 1 else ''})",
        disable=not verbose,
    )
    with progress, numba_threads(n_threads):
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
                with launch():
                    trained += kernel(
                        chunk,
                        walk_index,
                        alphas,
                        vectors,
                        output,
                        keep,
                        neg_threshold,
                        neg_alias,
                        sigmoid,
                        window,
                        negative,
                        train_seed,
                    )
                _check_block("train_skipgram", chunk, vectors, output, alpha, min_alpha, epoch)
                chunk_tokens = int(lengths.sum())
                seen += chunk_tokens
                walk_index += chunk.shape[0]
                progress.update(chunk_tokens)
            _check_finite("train_skipgram", vectors, output, alpha, min_alpha, epoch)
    t2 = time.perf_counter()
    logger.info(
        "train_skipgram: %d epoch(s) in %.2fs on %d thread(s): %.0f tokens/s, %d trained after subsampling",
        epochs,
        t2 - t1,
        n_threads,
        epochs * total / max(t2 - t1, 1e-9),
        trained,
    )
    return (vectors, output) if return_output else vectors


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "device": DEVICE_CONSTRAINT,
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "row_cap": [Interval(Real, 0, None, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def train_skipgram_torch(
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
    device="cpu",
    batch_size: int | None = None,
    row_cap: float | None = TORCH_ROW_CAP,
) -> NDArray[np.float32] | tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Train skip-gram node vectors on walks with torch, on any device.

    The same model, parameters and schedule as :func:`train_skipgram`, with
    many centres per step: walks move to ``device`` chunk by chunk, are
    subsampled and cut into windows there, and each SGD step updates the
    vectors of ``batch_size`` centres at once with batched matrix products
    (:mod:`skgraphemb.skipgram._torch_kernels`).

    Parameters
    ----------
    walks, n_nodes, dimensions, window, negative, epochs, alpha, min_alpha, sample, ns_exponent
        As in :func:`train_skipgram`.
    seed : int, default=0
        Seeds the initial vectors (the same as :func:`train_skipgram`'s)
        and a :class:`torch.Generator` on ``device`` for every draw: the
        result is reproducible on the CPU for a given seed, torch version
        and split of the walks into arrays (unlike :func:`train_skipgram`'s,
        it changes when the same walks come in other chunks).  On a GPU,
        ``index_add_`` sums with atomic additions in a varying order, so
        runs can differ in the last bits.
    n_jobs : int, default=None
        torch's CPU threads for the call, when ``device`` is the CPU.
        ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context; ``-1`` means all processors.
    verbose : int, default=0
        Show a progress bar when > 0.
    init, init_output, return_output
        As in :func:`train_skipgram`.
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        Where to train (see :func:`skgraphemb.utils._device.resolve_device`).
    batch_size : int, default=None
        Centres per SGD step.  ``None`` takes ``tokens / 500`` (at least
        one, at most 4,096), so that an epoch has at least about 500
        steps: on a small corpus, a few large steps train far less than
        word2vec's many small ones (karate, 13,600 tokens: macro-F1 0.97
        with the default, 0.51-0.57 with 4,096 centres per step, i.e. three
        steps).  Larger batches run faster on a GPU.
    row_cap : float or None, default=256
        Largest number of (context, target) pair updates that one row takes
        in full from one step.  Each step computes its updates from the
        vectors before it, and a hub's output vector, drawn as a negative
        in hundreds of the batch's windows, would take the sum of thousands
        of stale pair updates, overshoot and diverge (without the cap:
        NaN on BlogCatalog with 4,096 centres per step, and on karate with
        256).  A row in ``n > row_cap``
        pairs gets ``row_cap / n`` of its summed update; a window of the
        numba trainer gives a row at most ``2 * window * (negative + 1)``
        pairs, so ordinary rows are untouched.  The margin is not wide and
        shrinks as ``alpha`` grows: on BlogCatalog at ``alpha=0.025`` with
        4,096 centres per step, a cap of 256 scores the macro-F1 of
        1,024-centre steps (0.2321 and 0.2320) and a cap of 1,024
        diverges.  ``None`` sums every update.

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
        The input vectors, on the host.
    output : ndarray of shape (n_nodes, dimensions), float32
        The output vectors; only with ``return_output=True``.

    Raises
    ------
    TrainingDivergedError
        As soon as the loss of a block of walks, or a vector after an
        epoch, is NaN or infinite: ``alpha`` is too high.

    Warns
    -----
    UserWarning
        When no walk holds two tokens (nothing to train on): the initial
        vectors are returned.

    See Also
    --------
    train_skipgram : The numba trainer (CPU threads), the same model.

    Notes
    -----
    Per chunk of walks (about 260,000 tokens): frequent tokens are dropped
    with gensim's ``sample`` rule and each walk's remaining tokens close
    ranks; every centre draws its reduced window ``b`` from ``1 .. window``;
    centres are grouped by ``b`` and each group is cut into batches.  A
    batch draws ``negative`` nodes per centre from the unigram^0.75 alias
    table of :func:`train_skipgram` (a negative equal to its centre is
    skipped) and takes one SGD step on the logistic loss of all its
    (context, target) pairs: the centre's output vector with label 1, the
    negatives with label 0, against each context's input vector, as in
    :func:`train_skipgram` (negatives shared by a window, Ji et al.).  The
    sigmoid is exact (no table).  The learning rate decays linearly from
    ``alpha`` to ``min_alpha`` over all epochs by the share of tokens seen,
    per centre.  The mean loss per (centre, context) pair of each epoch is
    logged at INFO level.
    """
    from skgraphemb.skipgram import _numba_kernels as numba_kernels
    from skgraphemb.skipgram import _torch_kernels as kernels

    caller = "train_skipgram_torch"
    torch = import_optional("torch", caller)
    dev = resolve_device(device, caller)
    t0 = time.perf_counter()
    chunks, counts, total, n_walks, n_long, vectors, output = _start(
        walks, n_nodes, dimensions, seed, init, init_output
    )
    if total == 0:
        logger.warning("%s: the walks hold no tokens; returning the initial vectors.", caller)
        return (vectors, output) if return_output else vectors
    if _warn_no_pairs(caller, total, n_long):
        return (vectors, output) if return_output else vectors

    def on_device(a: NDArray, dtype=None):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=dtype)).to(dev)

    keep = on_device(_keep_thresholds(counts, total, sample), np.int64)
    neg_threshold, neg_alias = numba_kernels.alias_table(_negative_weights(counts, ns_exponent))
    neg_threshold, neg_alias = on_device(neg_threshold, np.int64), on_device(neg_alias, np.int64)
    if batch_size is None:
        batch_size = int(min(TORCH_BATCH_SIZE, max(1, total // 500)))
    syn0, syn1 = on_device(vectors), on_device(output)
    row_counts = torch.zeros(n_nodes, dtype=torch.float32, device=dev) if row_cap is not None else None
    generator = torch.Generator(device=dev)
    generator.manual_seed(_substream_seed(seed, _TRAIN_STREAM))
    t1 = time.perf_counter()
    logger.info(
        "%s: %d walks, %d tokens, %d distinct nodes counted in %.2fs; training on %s, %d centres per step",
        caller,
        n_walks,
        total,
        int(np.count_nonzero(counts)),
        t1 - t0,
        dev,
        batch_size,
    )

    threads = torch_threads(n_jobs) if dev.type == "cpu" else contextlib.nullcontext()
    progress = tqdm(
        total=epochs * total,
        unit="tok",
        unit_scale=True,
        desc=f"Skip-gram epochs (torch on {dev})",
        disable=not verbose,
    )
    with progress, threads, torch.no_grad():
        for epoch in range(epochs):
            seen = 0  # tokens of the earlier chunks of this epoch
            loss = torch.zeros((), device=dev)
            pairs = torch.zeros((), device=dev, dtype=torch.int64)
            for chunk in chunks:
                chunk_tokens = int(numba_kernels.walk_lengths(chunk).sum())
                sentences, lengths = kernels.subsample(on_device(chunk, np.int64), keep, generator)
                n_centres = lengths.sum().clamp(min=1)
                for centres, contexts, mask, rank in kernels.window_groups(sentences, lengths, window, generator):
                    # Learning rate per centre, by the share of tokens before it.
                    share = (epoch + (seen + rank / n_centres * chunk_tokens) / total) / epochs
                    rates = (alpha - (alpha - min_alpha) * share).to(torch.float32)
                    for a in range(0, centres.shape[0], batch_size):
                        c = centres[a : a + batch_size]
                        targets = torch.cat(
                            [
                                c.unsqueeze(1),
                                kernels.draw_negatives(c.shape[0], negative, neg_threshold, neg_alias, generator),
                            ],
                            dim=1,
                        )
                        live = targets != c.unsqueeze(1)
                        live[:, 0] = True
                        m = mask[a : a + batch_size]
                        loss += kernels.sgns_update(
                            syn0,
                            syn1,
                            contexts[a : a + batch_size],
                            m,
                            targets,
                            live,
                            rates[a : a + batch_size],
                            row_cap,
                            row_counts,
                        )
                        pairs += m.sum()
                # The loss sums -log sigmoid over the vectors before each
                # step: NaN or inf once any vector it touched is (one sync
                # per block of walks).
                if not bool(torch.isfinite(loss)):
                    raise _diverged(caller, alpha, epoch, min_alpha)
                seen += chunk_tokens
                progress.update(chunk_tokens)
            if not bool(torch.isfinite(syn0).all() and torch.isfinite(syn1).all()):
                raise _diverged(caller, alpha, epoch, min_alpha)
            logger.info(
                "%s: epoch %d, mean loss %.4f per (centre, context) pair",
                caller,
                epoch + 1,
                float(loss) / max(int(pairs), 1),
            )
    t2 = time.perf_counter()
    logger.info(
        "%s: %d epoch(s) in %.2fs on %s: %.0f tokens/s",
        caller,
        epochs,
        t2 - t1,
        dev,
        epochs * total / max(t2 - t1, 1e-9),
    )
    vectors, output = syn0.cpu().numpy(), syn1.cpu().numpy()
    return (vectors, output) if return_output else vectors


class _WalkSentences:
    """Lazy, re-iterable corpus of lists of token strings for gensim.

    One list per walk, built when gensim asks for it; the token strings are
    shared objects (one per node), so memory does not grow with the corpus.
    """

    def __init__(self, chunks: _WalkChunks, tokens: NDArray[np.object_]) -> None:
        self.chunks = chunks
        self.tokens = tokens

    def __iter__(self) -> Iterator[list[str]]:
        from skgraphemb.skipgram._numba_kernels import walk_lengths

        for chunk in self.chunks:
            for row, length in zip(chunk, walk_lengths(chunk), strict=True):
                if length:
                    yield self.tokens[row[:length]].tolist()


# Word2Vec arguments train_gensim sets itself; word2vec_kwargs may not.
_GENSIM_RESERVED = {
    "sentences": "walks",
    "corpus_iterable": "walks",
    "corpus_file": "walks",
    "vector_size": "dimensions",
    "window": "window",
    "negative": "negative",
    "epochs": "epochs",
    "alpha": "alpha",
    "min_alpha": "min_alpha",
    "sample": "sample",
    "ns_exponent": "ns_exponent",
    "seed": "seed",
    "workers": "n_jobs",
    "sg": None,
    "hs": None,
    "min_count": None,
}


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "word2vec_kwargs": [dict, None],
        "corpus": [StrOptions({"file", "iterable"})],
    },
    prefer_skip_nested_validation=True,
)
def train_gensim(
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
    word2vec_kwargs: dict | None = None,
    corpus: str = "file",
) -> NDArray[np.float32] | tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Train skip-gram node vectors on walks with gensim's Word2Vec.

    Runs ``gensim.models.Word2Vec(sg=1, hs=0)`` with the given parameters
    on tokens ``str(v)`` for node position ``v``, and returns its vectors in
    node-position order.

    Parameters
    ----------
    walks : ndarray of shape (n_walks, walk_length), iterable of such, or callable
        As in :func:`train_skipgram`.
    n_nodes : int
        Number of nodes; the output has one row per node position.
    dimensions, window, negative, epochs, alpha, min_alpha, sample, ns_exponent
        Word2Vec's ``vector_size``, ``window``, ``negative``, ``epochs``,
        ``alpha``, ``min_alpha``, ``sample`` and ``ns_exponent``.
    seed : int, default=0
        Word2Vec's ``seed`` (reduced modulo ``2**32``, the range gensim
        accepts).  gensim is reproducible only with one worker thread and
        ``corpus="iterable"``.
    n_jobs : int, default=None
        Word2Vec's ``workers``.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
    verbose : int, default=0
        gensim reports progress through its own loggers (``gensim.models``
        at INFO level); this function logs its timings to its module logger
        whatever ``verbose`` is.  Kept for signature parity with
        :func:`train_skipgram`.
    init : array-like of shape (n_nodes, dimensions), default=None
        Initial vectors: they replace gensim's random initialisation for the
        nodes that occur, and are returned unchanged for nodes that do not.
    init_output : array-like of shape (n_nodes, dimensions), default=None
        Initial output vectors (gensim's ``syn1neg``; zeros when ``None``).
    return_output : bool, default=False
        Also return the output vectors (``syn1neg`` rows in node order).
    word2vec_kwargs : dict, default=None
        Further Word2Vec arguments (e.g. ``{"shrink_windows": False}``).
        Arguments that this function sets itself raise a ``ValueError``.
    corpus : {"file", "iterable"}, default="file"
        How walks reach gensim.  ``"file"`` writes them to a temporary text
        file (one walk per line, formatted by a numba kernel) and uses
        gensim's ``corpus_file`` mode, in which every worker thread reads
        its own part of the file without the GIL.  ``"iterable"`` streams
        lists of token strings from a Python generator, which a single
        producer thread must keep up with.

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
        Row ``v`` is the vector of node position ``v``.  Nodes that never
        occur in the walks are not in gensim's vocabulary; their row is
        their ``init`` row, or without ``init`` the default initial vector
        of :func:`train_skipgram` for the same seed.
    output : ndarray of shape (n_nodes, dimensions), float32
        The output vectors; only with ``return_output=True``.

    Raises
    ------
    TrainingDivergedError
        When gensim returns NaN or infinite vectors.

    Warns
    -----
    UserWarning
        When no walk holds two tokens (nothing to train on): the initial
        vectors are returned.

    See Also
    --------
    train_skipgram : The project's faster numba trainer.

    Notes
    -----
    The vocabulary is built from token counts taken by a numba kernel
    (``build_vocab_from_freq``), not by gensim's Python scan of the corpus.

    ``corpus="file"`` is the default because its workers parse their part
    of the file without the GIL, while ``"iterable"`` needs a Python
    producer thread that competes with them and with any other Python
    thread (gensim 3.6.0's release notes report linear scaling with cores
    for ``corpus_file`` mode, 3.8x over the iterable on 32 cores).  On
    BlogCatalog (8.25M tokens, 2 workers) it took 22 s against 25 s on an
    idle 2-core machine; on a busy one the two were equal within noise
    (42-50 s).  Writing the file takes under 0.1 s per million tokens and
    about 5 bytes per token of temporary disk space.

    In ``corpus_file`` mode gensim decays the learning rate of each worker
    by the worker's own share of the words measured against the whole
    corpus, so with ``w`` workers it ends near
    ``alpha - (alpha - min_alpha) / w`` instead of ``min_alpha`` (gensim's
    ``train_epoch_sg`` in ``word2vec_corpusfile.pyx``).  The higher average
    learning rate changes results: on BlogCatalog with one epoch and two
    workers, macro-F1 0.239 against 0.219 with ``corpus="iterable"``.  Pass
    ``corpus="iterable"`` (or one worker) for the documented schedule, the
    one :func:`train_skipgram` follows.
    """
    from gensim.models import Word2Vec

    from skgraphemb.skipgram import _numba_kernels as kernels

    extra = dict(word2vec_kwargs or {})
    clashes = sorted(set(extra) & set(_GENSIM_RESERVED))
    if clashes:
        hints = [
            f"{k!r} (use the {_GENSIM_RESERVED[k]!r} argument)" if _GENSIM_RESERVED[k] else f"{k!r} (fixed)"
            for k in clashes
        ]
        raise ValueError("word2vec_kwargs may not set " + ", ".join(hints) + ".")
    import inspect

    known = inspect.signature(Word2Vec).parameters
    unknown = sorted(k for k in extra if k not in known)
    if unknown:
        raise ValueError(
            f"word2vec_kwargs: {', '.join(map(repr, unknown))} not an argument of gensim's Word2Vec "
            f"(it takes {', '.join(k for k in known if k not in _GENSIM_RESERVED and k != 'self')})."
        )
    chunks = _WalkChunks(walks, n_nodes)
    n_threads = effective_n_jobs(n_jobs)
    vectors = _initial_vectors(n_nodes, dimensions, seed, init)
    output = _initial_vectors(n_nodes, dimensions, seed, init_output, "init_output")

    with tempfile.TemporaryDirectory(prefix="skgraphemb-w2v-") as tmp:
        path = os.path.join(tmp, "walks.txt")
        t0 = time.perf_counter()
        if corpus == "file":
            with open(path, "wb") as fh:
                counts, total, n_walks, n_long = _count(chunks, lambda c: fh.write(kernels.format_walks(c)))
        else:
            counts, total, n_walks, n_long = _count(chunks)
        if total == 0:
            logger.warning("train_gensim: the walks hold no tokens; returning the initial vectors.")
            return (vectors, output) if return_output else vectors
        if _warn_no_pairs("train_gensim", total, n_long):
            return (vectors, output) if return_output else vectors
        present = np.flatnonzero(counts)
        tokens = np.array([str(v) for v in range(n_nodes)], dtype=object)
        model = Word2Vec(
            vector_size=dimensions,
            window=window,
            negative=negative,
            epochs=epochs,
            alpha=alpha,
            min_alpha=min_alpha,
            sample=sample,
            ns_exponent=ns_exponent,
            seed=seed % 2**32,
            workers=n_threads,
            sg=1,
            hs=0,
            min_count=1,
            **extra,
        )
        model.build_vocab_from_freq(
            dict(zip(tokens[present].tolist(), counts[present].tolist(), strict=True)), corpus_count=n_walks
        )
        # Row of each present node in gensim's (frequency-sorted) vocabulary.
        rows = np.array([model.wv.key_to_index[t] for t in tokens[present]], dtype=np.int64)
        if init is not None:
            model.wv.vectors[rows] = vectors[present]
        if init_output is not None:
            model.syn1neg[rows] = output[present]
        t1 = time.perf_counter()
        logger.info("train_gensim: %d tokens counted and corpus prepared (%s) in %.2fs", total, corpus, t1 - t0)
        if corpus == "file":
            model.train(corpus_file=path, total_words=total, epochs=epochs)
        else:
            model.train(_WalkSentences(chunks, tokens), total_examples=n_walks, total_words=total, epochs=epochs)
    t2 = time.perf_counter()
    logger.info(
        "train_gensim: %d epoch(s) in %.2fs with %d worker(s): %.0f tokens/s",
        epochs,
        t2 - t1,
        n_threads,
        epochs * total / max(t2 - t1, 1e-9),
    )
    vectors[present] = model.wv.vectors[rows]
    output[present] = model.syn1neg[rows]
    _check_finite("train_gensim", vectors, output, alpha, min_alpha)
    return (vectors, output) if return_output else vectors
