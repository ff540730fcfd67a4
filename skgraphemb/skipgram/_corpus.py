"""What the skip-gram trainers share: the walk source, the vocabulary, the start.

:class:`_WalkChunks` turns a walk source into validated int32 blocks;
:func:`_start` counts the tokens and sets up the initial input and output
vectors; :func:`_keep_thresholds` and :func:`_negative_weights` turn the
counts into gensim's subsampling and negative-sampling tables; the seed
sub-streams keep the initial vectors and the training draws apart; and the
divergence checks turn NaN or infinite vectors into a
:class:`~skgraphemb.exceptions.TrainingDivergedError` that names the
learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from numpy.typing import NDArray

from skgraphemb._kernels._aligned import aligned_empty, aligned_zeros
from skgraphemb.utils._validation import SKIPGRAM_PARAMETERS, Integral, Interval, constraints

#: What the trainers accept as walks: one matrix, a re-iterable of matrices
#: (e.g. a list), or a zero-argument callable returning a fresh iterable of
#: matrices on every call (e.g. ``lambda: iter_walk_chunks(G, ...)``).
WalkSource = NDArray[np.integer] | Iterable[NDArray[np.integer]] | Callable[[], Iterable[NDArray[np.integer]]]

# Tokens per kernel call: a fraction of a second of work on a few threads, so
# the progress bar moves and the walk-level learning rates within one call
# span a small part of the schedule.
_CHUNK_TOKENS = 1 << 18

# walk_digest's checksums add modulo 2**64.
_MASK64 = (1 << 64) - 1

# Sub-streams of the user seed, so the initial vectors and the training
# draws never share a counter-based stream (both are keyed by small ints).
_INIT_STREAM = 0
_TRAIN_STREAM = 1

_COMMON_CONSTRAINTS = constraints(
    *SKIPGRAM_PARAMETERS,
    "ns_exponent",
    "seed",
    "n_jobs",
    "verbose",
    walks="no_validation",  # checked chunk by chunk in _WalkChunks
    n_nodes=[Interval(Integral, 1, None, closed="left")],
    init=["array-like", None],
    init_output=["array-like", None],
    return_output=["boolean"],
)


class _WalkChunks:
    """Re-iterable view of a walk source as validated int32 matrices.

    Every iteration yields C-contiguous int32 arrays of shape
    ``(rows, walk_length)`` holding at most about ``_CHUNK_TOKENS`` entries
    (larger inputs are sliced, never copied when already int32).  Values
    must lie in ``-1 .. n_nodes - 1``.  After the first pass (:func:`_count`),
    ``longest`` is the length of the longest walk, whatever its padding.

    A streamed source (a re-iterable or a callable) is read once per pass,
    and every pass after the first must give the walks the first one
    counted: those counts set the subsampling, the negative sampling, the
    learning-rate schedule and the round buffers.  Each later pass is
    checked block by block against the first one's :func:`_count` record
    (tokens, walks, longest walk and an order-independent checksum of the
    tokens' nodes); a block past the record raises before it is used, and
    a pass that ends short of it raises at its end.
    """

    def __init__(self, walks: WalkSource, n_nodes: int) -> None:
        self.n_nodes = n_nodes
        self.longest = 0
        self._record: tuple[int, int, int, int] | None = None  # _count's: tokens, walks, longest, checksum
        self._passes = 0
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
        """Blocks of ``_CHUNK_TOKENS // walk_length`` rows (see :meth:`_blocks`),
        checked against the first pass when the source is streamed."""
        self._passes += 1
        if self._record is None or self._array is not None:  # the counting pass; an array cannot change
            return self._blocks()
        return self._checked(self._blocks(), self._passes)

    def _checked(self, blocks: Iterator[NDArray[np.int32]], number: int) -> Iterator[NDArray[np.int32]]:
        from skgraphemb.skipgram._sgns import walk_digest

        total, n_walks, longest, checksum = self._record
        tokens = walks = digest = 0
        for block in blocks:
            t, length, d = walk_digest(block)
            tokens, walks, digest = tokens + t, walks + block.shape[0], (digest + d) & _MASK64
            if length > longest:
                raise self._changed(number, f"a walk of {length} tokens, longer than any counted ({longest})")
            if tokens > total:
                raise self._changed(number, f"more than the {total} tokens counted")
            if walks > n_walks:
                raise self._changed(number, f"more than the {n_walks} walks counted")
            yield block
        if tokens != total:
            raise self._changed(number, f"{tokens} tokens where it counted {total}")
        if walks != n_walks:
            raise self._changed(number, f"{walks} walks where it counted {n_walks}")
        if digest != checksum:
            raise self._changed(number, f"its {total} tokens, but of other nodes")

    @staticmethod
    def _changed(number: int, what: str) -> ValueError:
        return ValueError(
            f"walks: pass {number} over the walk source gave other walks than the first pass: {what}. A "
            "callable or re-iterable walk source must give the same walks on every pass (the first "
            "pass's token counts set the subsampling, the negative sampling and the learning-rate "
            "schedule); for walks drawn by iter_walk_chunks or random_walks, pass an integer random_state."
        )

    def _blocks(self) -> Iterator[NDArray[np.int32]]:
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
    from skgraphemb.skipgram._sgns import item_state

    return item_state(seed & 0xFFFFFFFFFFFFFFFF, stream) & 0x7FFFFFFFFFFFFFFF


def _initial_vectors(n_nodes: int, dimensions: int, seed: int, init, name: str = "init") -> NDArray[np.float32]:
    """``init`` as a fresh float32 C array, or the default start when ``None``.

    The default input vectors (``name="init"``) are uniform(-1/d, 1/d)
    rows; the default output vectors (``name="init_output"``) are zeros, as
    in word2vec.  The array starts on a cache line (:func:`aligned_empty`):
    with numpy's default start, 16 bytes past one, half of the kernels'
    32-byte loads and stores of a 128-float row cross a line, and every
    trainer ran about 1.1 times as long (``benchmarks/README.md``).
    """
    if init is None and name == "init_output":
        return aligned_zeros((n_nodes, dimensions), np.float32)
    vectors = aligned_empty((n_nodes, dimensions), np.float32)
    if init is None:
        from skgraphemb.skipgram._sgns import init_vectors

        return init_vectors(n_nodes, dimensions, _substream_seed(seed, _INIT_STREAM), out=vectors)
    given = np.asarray(init)
    if given.dtype.kind not in "biuf":
        given = np.asarray(init, dtype=np.float32)
    if given.shape != (n_nodes, dimensions):
        raise ValueError(
            f"{name} must have shape (n_nodes, dimensions) = ({n_nodes}, {dimensions}); got {given.shape}."
        )
    # On the given values, before the cast (a float64 past float32's range
    # would become inf), and without a temporary of the array's size.
    lo, hi = (float(given.min()), float(given.max())) if given.size else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    bound = _start_bound(dimensions)
    if max(-lo, hi) > bound:
        raise ValueError(
            f"{name} holds values up to {max(-lo, hi):.3g}, too large to train from: with {dimensions} "
            f"dimensions, dot products of vectors up to 10 times that (where training counts as "
            f"diverged) overflow float32, and the trainers' updates become NaN (gensim's crash). "
            f"Starting vectors must lie within +-{bound:.3g}; healthy skip-gram vectors stay within "
            "about 30, so rescale them."
        )
    vectors[...] = given
    return vectors


def _start_bound(dimensions: int) -> float:
    """The largest absolute value of starting vectors: vectors up to 10
    times it (:func:`_magnitude_limit`'s divergence limit) have float32 dot
    products ``dimensions * (10 * bound) ** 2`` within float32's range."""
    return math.sqrt(float(np.finfo(np.float32).max) / dimensions) / 10.0


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
    from skgraphemb.skipgram._sgns import count_tokens, walk_digest, walk_lengths

    counts = np.zeros(chunks.n_nodes, dtype=np.int64)
    total = n_walks = n_long = 0
    longest = checksum = 0
    for chunk in chunks:
        total += count_tokens(chunk, counts)
        n_walks += chunk.shape[0]
        _, chunk_longest, digest = walk_digest(chunk)
        longest, checksum = max(longest, chunk_longest), (checksum + digest) & _MASK64
        if not n_long and chunk_longest > 1:
            n_long = int(np.count_nonzero(walk_lengths(chunk) > 1))
        if on_chunk is not None:
            on_chunk(chunk)
    chunks.longest = longest
    chunks._record = (total, n_walks, longest, checksum)
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


# Rows of the vectors checked after each block of walks: a strided sample
# of the block's tokens.  Divergence starts at the busiest nodes, which
# every block holds, and spreads through their updates, so the sample sees
# it within a block or two at a cost far below the block's training; a full
# check after every epoch makes sure.
_CHECK_ROWS = 2048

# Healthy skip-gram vectors stay small: the logistic loss stops pushing a
# pair once its dot product passes the sigmoid's clipping at +-6.  The largest
# value seen in healthy training was 28 (gensim itself, cora, 8 dimensions,
# 30 epochs at alpha=0.1 without subsampling; 2 at the defaults), while an
# overshooting trainer returned finite vectors of 3e4 to 2e14 before it
# overflowed.  So a value past _MAX_ABS (or past 10 times the largest
# initial value, for warm starts from large vectors) is divergence too.
_MAX_ABS = 1e3


def _magnitude_limit(vectors: NDArray[np.float32], output: NDArray[np.float32]) -> float:
    """The largest absolute value that trained vectors may hold (see ``_MAX_ABS``)."""
    start = max((max(abs(float(a.max())), abs(float(a.min()))) for a in (vectors, output) if a.size), default=0.0)
    return max(_MAX_ABS, 10.0 * start)


def _within(a: NDArray[np.float32], limit: float) -> bool:
    """Whether every value is finite and within ``+-limit`` (no temporary
    array: NaN makes ``max``/``min`` NaN, which fails both comparisons)."""
    return a.size == 0 or bool(a.max() <= limit and a.min() >= -limit)


def _diverged(
    caller: str, alpha: float, epoch: int | None = None, min_alpha: float = 0.0, limit: float = _MAX_ABS
) -> Exception:
    from skgraphemb.exceptions import TrainingDivergedError

    where = f" in epoch {epoch + 1}" if epoch is not None else ""
    # The schedule runs from alpha to min_alpha: name the larger end.
    name, rate, default = ("min_alpha", min_alpha, "") if min_alpha > alpha else ("alpha", alpha, " (default 0.025)")
    return TrainingDivergedError(
        f"{caller}: training diverged{where}: the vectors became NaN, infinite or larger than "
        f"{limit:g} in absolute value, which healthy training never reaches; the learning rate "
        f"{name}={rate:g} is too high for these walks; lower {name}{default}, e.g. {name}={rate / 10:g}"
    )


def _check_block(caller, chunk: NDArray[np.int32], vectors, output, alpha, min_alpha, epoch: int, limit: float) -> None:
    """Raise TrainingDivergedError when sampled rows of this block's nodes
    are not finite or not within ``+-limit``."""
    tokens = chunk.reshape(-1)
    rows = tokens[:: max(1, tokens.size // _CHECK_ROWS)]
    rows = rows[rows >= 0]
    if not (_within(vectors[rows], limit) and _within(output[rows], limit)):
        raise _diverged(caller, alpha, epoch, min_alpha, limit)


def _check_vectors(caller, vectors, output, alpha, min_alpha, epoch: int | None = None, limit=_MAX_ABS) -> None:
    """Raise TrainingDivergedError unless every input and output value is
    finite and within ``+-limit``."""
    if not (_within(vectors, limit) and _within(output, limit)):
        raise _diverged(caller, alpha, epoch, min_alpha, limit)


def _warn_no_pairs(caller: str, total: int, n_long: int) -> bool:
    """Warn (and return True) when no walk holds a (centre, context) pair."""
    if n_long > 0:
        return False
    from skgraphemb.utils._warnings import warn

    warn(
        f"{caller}: the walks hold {total} token(s) but no (centre, context) pair: every walk "
        "has a single node (walk_length=1, or walks from isolated nodes), so there is nothing "
        "to train on and the initial (random) vectors are returned. Use walks of 2 or more nodes.",
        UserWarning,
    )
    return True
