"""The torch skip-gram trainer: :func:`train_skipgram_torch`.

The model of :func:`~skgraphemb.skipgram.train_skipgram` with many centres
per SGD step, on any torch device.  This Python driver owns the vocabulary
statistics, the learning-rate schedule, chunking and progress, and touches
no torch; the tensor kernels in :mod:`skgraphemb.skipgram._torch_kernels`
hold the run's tensors, subsample, cut windows and update a batch.
"""

from __future__ import annotations

import contextlib
import logging
import time

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb.skipgram._corpus import (
    _COMMON_CONSTRAINTS,
    _TRAIN_STREAM,
    WalkSource,
    _diverged,
    _keep_thresholds,
    _magnitude_limit,
    _negative_weights,
    _start,
    _substream_seed,
    _warn_no_pairs,
)
from skgraphemb.utils._device import DEFAULT_DEVICE, DEVICE_CONSTRAINT, resolve_engines, torch_threads
from skgraphemb.utils._validation import Integral, Interval, Real, validate_params

logger = logging.getLogger(__name__)

#: Default centres per SGD step of the torch trainer (see train_skipgram_torch).
TORCH_BATCH_SIZE = 4096
#: Default cap on the (context, target) pair updates one row takes in full
#: from a batch of the torch trainer (see train_skipgram_torch).
TORCH_ROW_CAP = 256.0


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
    device=DEFAULT_DEVICE,
    batch_size: int | None = None,
    row_cap: float | None = TORCH_ROW_CAP,
    deterministic: bool = True,
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
        and a :class:`torch.Generator` on ``device`` for every draw: on the
        CPU the result is reproducible for a given seed and torch version,
        for any ``n_jobs`` (torch's CPU products and ``index_add_`` give
        the same sums on any number of threads; a test checks it) and any
        split of walks of one width into arrays (they are re-blocked;
        unlike :func:`train_skipgram`'s, the result changes when some walks
        come padded to another width, which starts blocks of their own).
        On a GPU it is reproducible for a given seed, torch version and
        GPU model, with ``deterministic=True``.
    n_jobs : int, default=None
        torch's CPU threads for the call, when ``device`` is the CPU.
        ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context; ``-1`` means all processors.
    verbose : int, default=0
        Show a progress bar when > 0.
    init, init_output, return_output
        As in :func:`train_skipgram`.
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        Where to train (see :func:`skgraphemb.utils._device.resolve_engines`).
    batch_size : int, default=None
        Centres per SGD step.  ``None`` takes ``tokens / 500`` (at least
        one, at most 4,096), so that an epoch has at least about 500 steps:
        a few large steps train far less than word2vec's many small ones.
        Larger batches run faster on a GPU.
    row_cap : float or None, default=256
        Largest number of (context, target) pair updates that one row takes
        in full from one step: a row in ``n > row_cap`` pairs gets
        ``row_cap / n`` of its summed update, so that a hub's output vector,
        drawn as a negative in many windows of a batch, does not overshoot
        on thousands of stale updates and diverge.  Ordinary rows (at most
        ``2 * window * (negative + 1)`` pairs per window) are untouched.
        ``None`` sums every update.
    deterministic : bool, default=True
        On a GPU, sum the updates of a node that occurs several times in a
        step in a fixed order (torch sorts the rows first), so that a seed
        gives the same vectors on every run.  ``False`` adds them with
        atomic operations: faster, but the order, and so the last bits of
        each sum, vary from run to run, and runs drift apart (see
        benchmarks/README.md for the cost).  No effect on the CPU, where
        the sums are always ordered.

    Returns
    -------
    vectors : ndarray of shape (n_nodes, dimensions), float32
        The input vectors, on the host.
    output : ndarray of shape (n_nodes, dimensions), float32
        The output vectors; only with ``return_output=True``.

    Raises
    ------
    TrainingDivergedError
        As soon as the loss of a block of walks is NaN or infinite, or
        a vector after an epoch is NaN, infinite or past 1,000 in absolute
        value (10 times the largest ``init`` value if that is larger),
        which healthy training never reaches: ``alpha`` is too high.

    Warns
    -----
    UserWarning
        When no walk holds two tokens (nothing to train on): the initial
        vectors are returned.

    See Also
    --------
    train_skipgram : The native trainer (CPU threads), the same model.

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
    from skgraphemb.skipgram import _sgns
    from skgraphemb.skipgram import _torch_kernels as kernels

    caller = "train_skipgram_torch"
    (dev,) = resolve_engines(device, caller)
    t0 = time.perf_counter()
    chunks, counts, total, n_walks, n_long, vectors, output = _start(
        walks, n_nodes, dimensions, seed, init, init_output
    )
    limit = _magnitude_limit(vectors, output)
    if total == 0:
        logger.warning("%s: the walks hold no tokens; returning the initial vectors.", caller)
        return (vectors, output) if return_output else vectors
    if _warn_no_pairs(caller, total, n_long):
        return (vectors, output) if return_output else vectors

    neg_threshold, neg_alias = _sgns.alias_table(_negative_weights(counts, ns_exponent))
    if batch_size is None:
        batch_size = int(min(TORCH_BATCH_SIZE, max(1, total // 500)))
    trainer = kernels.SkipgramTrainer(
        vectors,
        output,
        _keep_thresholds(counts, total, sample),
        neg_threshold,
        neg_alias,
        dev,
        _substream_seed(seed, _TRAIN_STREAM),
        row_cap,
        deterministic,
    )
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

    threads = torch_threads(n_jobs) if dev == "cpu" else contextlib.nullcontext()
    progress = tqdm(
        total=epochs * total,
        unit="tok",
        unit_scale=True,
        desc=f"Skip-gram epochs (torch on {dev})",
        disable=not verbose,
    )
    with progress, threads:
        for epoch in range(epochs):
            seen = 0  # tokens of the earlier chunks of this epoch
            trainer.start_epoch()
            for chunk in chunks:
                chunk_tokens = int(_sgns.walk_lengths(chunk).sum())
                finite = trainer.train_chunk(
                    chunk,
                    chunk_tokens=chunk_tokens,
                    epoch=epoch,
                    epochs=epochs,
                    seen=seen,
                    total=total,
                    alpha=alpha,
                    min_alpha=min_alpha,
                    window=window,
                    negative=negative,
                    batch_size=batch_size,
                )
                if not finite:
                    raise _diverged(caller, alpha, epoch, min_alpha)
                seen += chunk_tokens
                progress.update(chunk_tokens)
            if not trainer.vectors_within(limit):
                raise _diverged(caller, alpha, epoch, min_alpha, limit)
            logger.info(
                "%s: epoch %d, mean loss %.4f per (centre, context) pair",
                caller,
                epoch + 1,
                trainer.mean_loss(),
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
    vectors, output = trainer.result()
    return (vectors, output) if return_output else vectors
