"""The gensim skip-gram trainer: :func:`train_gensim`.

gensim's :class:`~gensim.models.Word2Vec`, fed from a temporary text file
written by a C kernel (gensim's multi-core ``corpus_file`` mode) or
from a lazy iterable, never from a list of millions of strings.  It is the
reference implementation.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb.skipgram._corpus import (
    _COMMON_CONSTRAINTS,
    WalkSource,
    _check_vectors,
    _count,
    _initial_vectors,
    _magnitude_limit,
    _WalkChunks,
    _warn_no_pairs,
)
from skgraphemb.utils._validation import StrOptions, effective_n_jobs, validate_params

logger = logging.getLogger(__name__)


class _WalkSentences:
    """Lazy, re-iterable corpus of lists of token strings for gensim.

    One list per walk, built when gensim asks for it; the token strings are
    shared objects (one per node), so memory does not grow with the corpus.

    gensim reads it in a producer thread of its own, and an exception there
    ends that thread while its workers wait for jobs forever.  So an error
    of the walk source (a pass that raises, or that gives other walks than
    the first, :class:`_WalkChunks`) ends the pass and every later one
    early instead, and is kept in ``error`` for the caller to raise once
    ``Word2Vec.train`` has returned.
    """

    def __init__(self, chunks: _WalkChunks, tokens: NDArray[np.object_]) -> None:
        self.chunks = chunks
        self.tokens = tokens
        self.error: Exception | None = None

    def __iter__(self) -> Iterator[list[str]]:
        from skgraphemb.skipgram._sgns import walk_lengths

        if self.error is not None:
            return
        try:
            for chunk in self.chunks:
                for row, length in zip(chunk, walk_lengths(chunk), strict=True):
                    if length:
                        yield self.tokens[row[:length]].tolist()
        except Exception as error:  # noqa: BLE001 - raised in the caller's thread (train_gensim)
            self.error = error


def _EpochProgress(bar):
    """A gensim callback advancing a tqdm bar at the end of each epoch."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochProgress(CallbackAny2Vec):
        def on_epoch_end(self, model):
            bar.update(1)

    return EpochProgress()


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
        When > 0, show a progress bar of the epochs on stderr (a gensim
        callback), as :func:`train_skipgram` does.  gensim also reports
        through its own loggers (``gensim.models`` at INFO level); this
        function logs its timings to its module logger whatever
        ``verbose`` is.
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
        file (one walk per line, formatted by a C kernel) and uses
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
        When gensim returns NaN or infinite vectors, or values past 1,000
        in absolute value (10 times the largest ``init`` value if that is
        larger), which healthy training never reaches.

    Warns
    -----
    UserWarning
        When no walk holds two tokens (nothing to train on): the initial
        vectors are returned.

    See Also
    --------
    train_skipgram : The project's own, faster trainer.

    Notes
    -----
    The vocabulary is built from token counts taken by a C kernel
    (``build_vocab_from_freq``), not by gensim's Python scan of the corpus.

    ``corpus="file"`` is the default because its workers parse their part
    of a temporary file (about 5 bytes per token) without the GIL, while
    ``"iterable"`` needs a Python producer thread that competes with them.

    In ``corpus_file`` mode gensim decays each worker's learning rate by
    the worker's own share of the words, so with ``w`` workers it ends near
    ``alpha - (alpha - min_alpha) / w`` instead of ``min_alpha``, which
    changes results.  Pass ``corpus="iterable"`` (or one worker) for the
    documented schedule, the one :func:`train_skipgram` follows.
    """
    from gensim.models import Word2Vec

    from skgraphemb.skipgram import _sgns as kernels

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
    limit = _magnitude_limit(vectors, output)

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
        with tqdm(total=epochs, desc="train_gensim", unit="epoch", disable=not verbose) as bar:
            callbacks = [*extra.get("callbacks", ()), _EpochProgress(bar)]  # train() replaces them
            if corpus == "file":
                model.train(corpus_file=path, total_words=total, epochs=epochs, callbacks=callbacks)
            else:
                sentences = _WalkSentences(chunks, tokens)
                model.train(sentences, total_examples=n_walks, total_words=total, epochs=epochs, callbacks=callbacks)
                if sentences.error is not None:
                    raise sentences.error
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
    _check_vectors("train_gensim", vectors, output, alpha, min_alpha, limit=limit)
    return (vectors, output) if return_output else vectors
