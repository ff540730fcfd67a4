"""``Node2VecEmbedder``: node2vec (and DeepWalk) as a scikit-learn transformer."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
from numpy.typing import NDArray

from skgraphemb.base import BaseGraphEmbedder
from skgraphemb.graph import Graph
from skgraphemb.utils._device import DEFAULT_DEVICE, DEVICE_CONSTRAINT, resolve_engines
from skgraphemb.utils._ids import format_ids
from skgraphemb.utils._random_state import GOLDEN, mix64, seed_from_random_state
from skgraphemb.utils._validation import (
    COMMON_CONSTRAINTS,
    DEPRECATED,
    SKIPGRAM_PARAMETERS,
    WALK_PARAMETERS,
    Integral,
    Interval,
    StrOptions,
    _fit_context,
    constraints,
    deprecated_constraint,
)
from skgraphemb.utils._warnings import warn

logger = logging.getLogger(__name__)

__all__ = ["Node2VecEmbedder"]

# Bytes per walk step of the chunk buffers: the int32 chunk being trained on
# and the next one the generator writes while the previous is still held.
_CHUNK_BYTES_PER_STEP = 8


class Node2VecEmbedder(BaseGraphEmbedder):
    """node2vec node embeddings: biased random walks + skip-gram.

    Walks follow node2vec's second-order bias (Grover & Leskovec, 2016):
    from current node ``v`` having come from ``t``, the next node ``x`` is
    drawn with probability proportional to ``w(v, x) * alpha(t, x)``, where
    ``alpha`` is ``1/p`` to return to ``t``, ``1`` if ``x`` is also a
    neighbour of ``t`` and ``1/q`` otherwise.  ``p = q = 1`` is DeepWalk
    (uniform walks, a faster first-order path).  A skip-gram model with
    negative sampling then learns one vector per node from the walks.

    Parameters
    ----------
    n_components : int, default=128
        Size of the embedding vectors (the name every skgraphemb embedder
        uses, so one parameter grid covers several methods).

        .. versionchanged:: 0.1
           Renamed from ``dimensions``.
    walk_length : int, default=80
        Nodes per walk, the start node included; at least 2 (a walk of one
        node holds no context for skip-gram to train on).
    num_walks : int, default=10
        Walks started from every node.
    p : float, default=1.0
        Return parameter: a low ``p`` makes walks backtrack often.
    q : float, default=1.0
        In-out parameter: ``q < 1`` lets walks move outward (DFS-like,
        homophily); ``q > 1`` keeps them local (BFS-like, structural roles).
        Both lie within ``1e-100 .. 1e100``.
    window : int, default=10
        Skip-gram context window (nodes on each side).
    negative : int, default=5
        Negative samples per positive pair.
    epochs : int, default=1
        Passes of the skip-gram trainer over the walks.
    learning_rate : float, default=0.025
        Initial learning rate (word2vec's ``alpha``), decayed linearly to
        ``min_alpha``.  A rate so
        high that training diverges raises a
        :class:`~skgraphemb.TrainingDivergedError` (never NaN vectors).

        .. versionchanged:: 0.1
           Renamed from ``alpha``.
    min_alpha : float, default=0.0125
        Final learning rate, reached linearly from ``learning_rate``.  Half the
        initial rate suits the default single epoch; with several epochs,
        decay fully (0.0001, gensim's default and schedule).
    sample : "auto" or float, default="auto"
        Down-sampling threshold for frequent (high-degree) nodes, as in
        word2vec and the node2vec/PecanPy packages: a token of node ``v``,
        of frequency ``f_v`` in the walks, is kept with probability
        ``min(1, sqrt(sample / f_v) + sample / f_v)``; 0 disables it.  On
        small graphs every node is "frequent" by word2vec's ``1e-3`` (on
        the karate club it drops about 80% of the tokens), so ``"auto"``
        scales it with the graph: on graphs of 10,000 nodes or more it is
        word2vec's ``1e-3``; on smaller graphs it is the smallest value
        ``>= 1e-3`` at which the expected fraction of tokens dropped is at
        most 5%, the expected frequencies being those of walks started
        uniformly that then visit nodes in proportion to their degree
        (``f_v = 1 / (n L) + (L - 1) / L * deg_v / sum(deg)``, ``L`` the
        walk length).  The value used is ``sample_``.  A float is used as
        given.

        .. versionchanged:: 0.1
           The default was ``1e-3``.
    graph : graph-like, default=None
        The graph to embed.  When set, ``X`` in ``fit``/``transform`` holds
        node ids, so the embedder can sit in a ``Pipeline`` that a
        ``GridSearchCV`` splits by node; when ``None``, ``X`` of ``fit`` is
        the graph.  Pass a :class:`~skgraphemb.Graph` (from
        :func:`~skgraphemb.as_graph`) to make repeated fits cheapest.
    n_jobs : int, default=None
        Number of threads for walks and training.  ``None`` means 1 unless
        in a :func:`joblib.parallel_config` context; ``-1`` means all cores.
    random_state : int, RandomState instance or None, default=None
        Seeds walks and training.  With an int, walks are identical for any
        ``n_jobs``, and so is the embedding of the default native trainer
        (deterministic rounds; see :func:`~skgraphemb.skipgram.train_skipgram`)
        and of the torch trainer (on a GPU: reproducible from run to run for
        a given GPU model and torch version, and different from the CPU's);
        with ``trainer="gensim"`` it is bitwise reproducible with
        ``n_jobs=1`` (with more threads, lock-free parallel training, as in
        word2vec, makes runs differ slightly).
    backend : {"auto", "native", "torch", "pecanpy"}, default="auto"
        Walk engine.  ``"native"`` is skgraphemb's own CPU engine (C
        kernels compiled when the package is installed): exact node2vec
        probabilities in O(edges) memory.  ``"torch"`` samples the same
        walks with tensor operations on ``device`` (needs the ``torch``
        extra).  ``"auto"`` is torch when ``device`` resolves to a GPU,
        native otherwise.  ``"pecanpy"`` uses PecanPy's walks (optional;
        needs numpy<2).

        .. versionchanged:: 0.2
           ``"numba"`` is now ``"native"``: the kernels moved from numba to
           C.  ``"numba"`` still selects it, with a ``FutureWarning``, and
           will be removed in 0.4.  Likewise for ``trainer``.
    trainer : {"auto", "native", "gensim", "torch"}, default="auto"
        Skip-gram trainer: skgraphemb's own trainer (C kernels compiled
        when the package is installed), gensim's ``Word2Vec``, or the torch
        trainer on ``device``.  ``"auto"`` is torch when the walks are,
        native otherwise.
    deterministic : bool, default=True
        The native trainer's mode.  ``True`` trains in deterministic rounds:
        with an integer ``random_state`` the vectors are bitwise the same
        for any ``n_jobs`` and any ``walk_chunk_size``.  ``False`` is the
        lock-free (Hogwild) mode of word2vec: 1.4 (one thread) to 1.9 (two
        threads) times less CPU time in training on BlogCatalog
        (``benchmarks/bench_skipgram.py --roofline``), but
        threads race, so results vary with ``n_jobs``.  For the torch
        trainer on a GPU, ``True`` sums each step's updates of a node in a
        fixed order and ``False`` with atomic additions, faster but varying
        in the last bits from run to run (see
        :func:`~skgraphemb.skipgram.train_skipgram_torch`).  gensim and the
        torch trainer on the CPU ignore it.
    word2vec_kwargs : dict, default=None
        Extra keyword arguments for gensim's ``Word2Vec`` (``trainer="gensim"``).
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        Where the torch stages run.  ``"cpu"``, the default of every
        ``device`` parameter in skgraphemb, keeps the native engines under
        ``"auto"`` (torch is not imported), so results never depend on
        whether the machine has a GPU; ``"auto"`` (opt-in) uses a CUDA
        device when there is one, and then torch for every stage left on
        ``"auto"``; an explicit CUDA device runs every stage in torch there
        (a CPU-only ``backend``/``trainer`` is then an error, and so is a
        machine without that device).  ``embedding_`` is a numpy array
        whatever the device.

        .. versionadded:: 0.1
    warm_start : bool, default=False
        When True, a further ``fit`` continues from the previous fit's
        vectors instead of starting over: nodes keep their vectors (by
        id), new nodes start from their known neighbours' mean vector, and
        walks start only from the nodes that ``warm_start_walks`` selects.
        It also makes ``fit`` keep the state this needs
        (``context_embedding_``, ``neighborhood_hash_``).  See
        :ref:`incremental`.

        .. versionadded:: 0.1
    warm_start_walks : {"changed", "all"} or int, default="changed"
        Start nodes of a warm-started fit: ``"changed"``, the nodes whose
        neighbourhood changed (new nodes, nodes with added, removed or
        re-weighted edges); an int ``k``, those and every node within
        ``k`` hops of them; ``"all"``, every node.

        .. versionadded:: 0.1
    walk_chunk_size : int or None, default=None
        Walks per chunk.  Walks are never held all at once: they are
        generated chunk by chunk and fed to the trainer as they come, so
        memory does not grow with ``num_walks * walk_length``.  The trainer
        reads them ``1 + epochs`` times (token counts, then each epoch); the
        later passes read them back from an anonymous temporary file written
        during the first, or generate them again where the disk lacks the
        space (see :ref:`scale`).
        ``None`` chooses the chunk from the memory budget (at most about
        16 MB of walks, 64 MB for the torch walk engine).  The native
        engine's walks, hence the embedding, do not depend on it; the torch
        engine's walks do (keep it fixed to reproduce a torch run).
        ``backend="pecanpy"`` is the exception: PecanPy returns all its
        walks at once.

        .. versionadded:: 0.1
    max_memory : "auto", int, str or None, default="auto"
        Before any work, ``fit`` estimates the memory it will allocate
        (vectors, trainer tables, walk buffers, the graph if memory-mapped;
        see :meth:`estimate_memory`), logs it (and prints it when
        ``verbose``), and refuses with an
        :class:`~skgraphemb.InsufficientMemoryError` a fit that would not
        fit: ``"auto"`` compares the estimate with the memory available
        now; a size (bytes, or a string such as ``"16GB"``) caps the
        estimated peak resident memory of the whole process; ``None``
        skips the check.

        .. versionadded:: 0.1
    memory : str, joblib.Memory or None, default=None
        Cache for embeddings: with an integer ``random_state``, the embedding
        of a (graph, parameters) pair is computed once and reused, e.g.
        across the folds of a grid search.  Concurrent fits of the same
        pair (threads, processes or Dask workers sharing the cache folder)
        compute it once: the others wait for it (see :ref:`scale`).
        Warm-started fits neither read nor write it (their result depends
        on the previous fit).
    verbose : int, default=0
        Show progress bars for walks and training, and the memory
        estimate, when > 0.

    dimensions : int, default="deprecated"
        Deprecated name of ``n_components``.

        .. deprecated:: 0.1
           Renamed ``n_components``; will be removed in 0.2.
    alpha : float, default="deprecated"
        Deprecated name of ``learning_rate``.

        .. deprecated:: 0.1
           Renamed ``learning_rate``; will be removed in 0.2.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_nodes, n_components), float32
        One vector per node, rows in ``nodes_`` order.
    nodes_ : ndarray of shape (n_nodes,)
        Node ids of the fitted graph.
    n_features_in_ : int
        1 when fitted on a column of node ids (``graph`` set).
    backend_ : str
        The walk engine used.
    trainer_ : str
        The skip-gram trainer used.
    device_ : str
        Where the torch stages ran (``"cpu"`` or ``"cuda:N"``; ``"cpu"``
        when no stage used torch).
    walk_time_ : float
        Seconds spent generating walks (all passes over the streamed walks).
    train_time_ : float
        Seconds spent training skip-gram (the rest of the fit's work).
    memory_estimate_ : MemoryEstimate
        The estimate made before the fit (``.total``, ``.peak``,
        ``.parts`` in bytes).
    fit_time_ : float
        Seconds spent in ``fit`` (0-ish when the embedding came from ``memory``).
    n_walks_ : int
        Walks generated (and trained on) by the last fit.
    sample_ : float
        The down-sampling threshold used (``sample`` resolved when "auto").
    warm_started_ : bool
        Whether the last fit continued from the previous one.
    updated_nodes_ : ndarray or None
        Ids of the nodes walks started from in a warm-started fit that did
        not walk from all nodes; None otherwise.
    context_embedding_ : ndarray of shape (n_nodes, n_components), float32, or None
        The skip-gram output ("context") vectors, rows in ``nodes_`` order;
        kept only with ``warm_start=True`` (a warm start continues from
        them), None otherwise.
    neighborhood_hash_ : ndarray of shape (n_nodes,), uint64, or None
        A fingerprint of each node's neighbour list and edge weights, by
        which a warm start finds the nodes that changed; kept only with
        ``warm_start=True``.

    See Also
    --------
    skgraphemb.random_walks : The walks alone.
    skgraphemb.evaluate_node_classification : Score an embedding on labels.
    skgraphemb.ProcrustesAligner : Rotate an updated embedding onto the previous one.

    Notes
    -----
    **Warm start.**  With ``warm_start=True`` (or through
    :meth:`partial_fit`), a fit on an updated graph maps the previous input
    and output vectors to the new graph by node id, starts each new node at
    the weighted mean of its neighbours' vectors that already exist (umap's
    ``init_transform`` idea; a random vector without such a neighbour),
    walks ``num_walks`` times from the selected nodes only, and trains on
    those walks with the usual linear decay from ``learning_rate`` to
    ``min_alpha``.  Lower both (e.g. with ``set_params``) for smaller moves
    of the unchanged nodes.  The state kept for this costs ``4 *
    n_components + 8`` bytes per node.  Removed nodes are dropped.

    References
    ----------
    .. [1] A. Grover and J. Leskovec, "node2vec: Scalable Feature Learning for
       Networks", KDD 2016.
    .. [2] B. Perozzi, R. Al-Rfou and S. Skiena, "DeepWalk: Online Learning of
       Social Representations", KDD 2014.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import Node2VecEmbedder
    >>> G = nx.karate_club_graph()
    >>> emb = Node2VecEmbedder(n_components=16, walk_length=20, num_walks=10,
    ...                        q=0.5, random_state=0)
    >>> Z = emb.fit_transform(G)
    >>> Z.shape, Z.dtype
    ((34, 16), dtype('float32'))
    >>> emb.transform([0, 33]).shape
    (2, 16)
    >>> len(emb.most_similar(0, topn=5))
    5

    Continue on an updated graph (:ref:`incremental`): only the nodes whose
    neighbourhood changed start new walks.

    >>> emb = Node2VecEmbedder(n_components=16, walk_length=20, num_walks=10, q=0.5,
    ...                        warm_start=True, random_state=0).fit(G)
    >>> G.add_edge(0, "new")
    >>> emb.fit(G).updated_nodes_.tolist(), emb.n_walks_
    ([0, 'new'], 20)
    """

    _parameter_constraints: dict = {
        **BaseGraphEmbedder._parameter_constraints,
        **constraints(
            *WALK_PARAMETERS,
            *SKIPGRAM_PARAMETERS,
            "learning_rate",
            # A walk of one node has no (centre, context) pair: nothing to train.
            walk_length=[Interval(Integral, 2, None, closed="left")],
            # the shared names; the old ones are deprecated aliases
            n_components=COMMON_CONSTRAINTS["dimensions"],
            dimensions=deprecated_constraint(COMMON_CONSTRAINTS["dimensions"]),
            alpha=deprecated_constraint(COMMON_CONSTRAINTS["alpha"]),
            sample=[StrOptions({"auto"}), *COMMON_CONSTRAINTS["sample"]],
        ),
        "backend": [StrOptions({"auto", "native", "torch", "pecanpy", "numba"}, deprecated={"numba"})],
        "trainer": [StrOptions({"auto", "native", "gensim", "torch", "numba"}, deprecated={"numba"})],
        "deterministic": ["boolean"],
        "word2vec_kwargs": [None, dict],
        "device": DEVICE_CONSTRAINT,
        "warm_start": ["boolean"],
        "warm_start_walks": [StrOptions({"changed", "all"}), Interval(Integral, 0, None, closed="left")],
        "walk_chunk_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_memory": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), str, None],
    }

    _divergence_hint = "Lower learning_rate (default 0.025)."

    _renamed_params = {"n_components": "dimensions", "learning_rate": "alpha"}

    def __init__(
        self,
        n_components=128,
        walk_length=80,
        num_walks=10,
        p=1.0,
        q=1.0,
        window=10,
        negative=5,
        epochs=1,
        learning_rate=0.025,
        min_alpha=0.0125,
        sample="auto",
        *,
        graph=None,
        n_jobs=None,
        random_state=None,
        backend="auto",
        trainer="auto",
        deterministic=True,
        word2vec_kwargs=None,
        device=DEFAULT_DEVICE,
        warm_start=False,
        warm_start_walks="changed",
        walk_chunk_size=None,
        max_memory="auto",
        memory=None,
        verbose=0,
        dimensions=DEPRECATED,
        alpha=DEPRECATED,
    ):
        self.n_components = n_components
        self.walk_length = walk_length
        self.num_walks = num_walks
        self.p = p
        self.q = q
        self.window = window
        self.negative = negative
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.min_alpha = min_alpha
        self.sample = sample
        self.graph = graph
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.backend = backend
        self.trainer = trainer
        self.deterministic = deterministic
        self.word2vec_kwargs = word2vec_kwargs
        self.device = device
        self.warm_start = warm_start
        self.warm_start_walks = warm_start_walks
        self.walk_chunk_size = walk_chunk_size
        self.max_memory = max_memory
        self.memory = memory
        self.verbose = verbose
        self.dimensions = dimensions
        self.alpha = alpha

    def _check_graph(self, graph: Graph) -> None:
        dead = graph.dead_ends()
        if len(dead) == 0:
            return
        ids = format_ids(graph.nodes[dead[:5]], total=len(dead))
        if graph.directed:
            warn(
                f"The directed graph has {len(dead)} node(s) with no out-edges ({ids}); "
                "walks that reach them end early, so those nodes appear in fewer "
                "contexts. Add reverse edges or use directed=False if that is not wanted.",
                UserWarning,
            )
        else:
            warn(
                f"The graph has {len(dead)} isolated node(s) ({ids}); they appear in no "
                "walk context and keep random vectors.",
                UserWarning,
            )

    # -- engines ---------------------------------------------------------------
    def _engines(self) -> tuple[str, str, str]:
        """(walk engine, trainer, device of the torch stages) the parameters select.

        The rules are :func:`~skgraphemb.utils._device.resolve_engines`'s.
        """
        backend, trainer, device = resolve_engines(
            self.device, type(self).__name__, backend=self.backend, trainer=self.trainer
        )
        if self.word2vec_kwargs and trainer != "gensim":
            raise ValueError(f"word2vec_kwargs only apply to trainer='gensim'; got trainer={self.trainer!r}")
        return backend, trainer, device

    def _walks(self, graph: Graph, seed: int, backend: str, device: str, start_nodes=None, chunk_size=None):
        """The walks: a re-iterable stream of chunks (PecanPy: one matrix)."""
        kwargs = dict(
            walk_length=self.walk_length,
            num_walks=self.num_walks,
            p=self.p,
            q=self.q,
            random_state=seed,
            n_jobs=self.n_jobs,
        )
        if backend == "pecanpy":
            if start_nodes is not None:
                raise ValueError(
                    "warm_start_walks='changed' (or a number of hops) needs walks from chosen start "
                    "nodes, which backend='pecanpy' cannot do; use warm_start_walks='all' or another backend"
                )
            from skgraphemb.walks._pecanpy import pecanpy_walks

            return pecanpy_walks(graph, **kwargs)
        from skgraphemb.walks._plan import _walk_stream

        return _walk_stream(
            graph,
            chunk_size=chunk_size,
            verbose=self.verbose,
            start_nodes=start_nodes,
            backend=backend,
            device=device if backend == "torch" else "cpu",
            caller=type(self).__name__,
            **kwargs,
        )

    def _train(self, walks, n_nodes: int, seed: int, trainer: str, device: str, init=None, init_output=None, *, sample):
        """Input vectors, and output vectors (None unless warm start is on)."""
        from skgraphemb import skipgram

        kwargs = dict(
            dimensions=self._param("n_components"),
            window=self.window,
            negative=self.negative,
            epochs=self.epochs,
            alpha=self._param("learning_rate"),
            min_alpha=self.min_alpha,
            sample=sample,
            seed=seed,
            n_jobs=self.n_jobs,
            init=init,
            init_output=init_output,
            return_output=True,
        )
        if trainer == "gensim":
            vectors, output = skipgram.train_gensim(
                walks, n_nodes, word2vec_kwargs=self.word2vec_kwargs, verbose=self.verbose, **kwargs
            )
        elif trainer == "torch":
            vectors, output = skipgram.train_skipgram_torch(
                walks, n_nodes, device=device, verbose=self.verbose, deterministic=bool(self.deterministic), **kwargs
            )
        else:
            vectors, output = skipgram.train_skipgram(
                walks, n_nodes, verbose=self.verbose, deterministic=bool(self.deterministic), **kwargs
            )
        return vectors, output

    # -- memory ------------------------------------------------------------------
    def estimate_memory(self, X=None):
        """The memory a ``fit`` on this graph would allocate, before doing it.

        Adds up, from the graph's size and the parameters alone: the input
        and output vectors (``2 * n_nodes * dimensions * 4`` bytes; twice
        that with ``trainer="gensim"``, which keeps its own copies, or on a
        warm start), the trainer's tables (token counts, subsampling
        thresholds, the negative-sampling alias table and their temporaries,
        about 52 bytes per node), the walk engine's tables (alias tables of
        a weighted graph, 12 bytes per stored edge; the torch engine's
        device copy of the graph, 16-24 bytes per stored edge), one walk
        chunk and its trainer blocks, the fitted ``nodes_`` and, for a
        memory-mapped graph (:func:`~skgraphemb.load_graph`), the graph
        pages that the walks will read.  :meth:`fit` makes this estimate
        first and refuses a fit that would not fit (``max_memory``).

        Parameters
        ----------
        X : graph-like, default=None
            The graph, as for :meth:`fit`; ``None`` uses the ``graph``
            parameter.

        Returns
        -------
        estimate : MemoryEstimate
            ``estimate.total`` (bytes allocated by the fit),
            ``estimate.peak`` (estimated peak resident memory of the
            process: what it holds now plus the fit's allocations),
            ``estimate.parts`` (bytes per part) and
            ``estimate.describe()``.

        Examples
        --------
        >>> import networkx as nx
        >>> from skgraphemb import Node2VecEmbedder
        >>> est = Node2VecEmbedder(n_components=64).estimate_memory(nx.path_graph(1000))
        >>> est.parts["vectors"]  # 2 x 1000 nodes x 64 components x 4 bytes
        512000
        """
        if X is None and self.graph is None:
            raise ValueError("estimate_memory needs a graph: pass it as X or set `graph=`")
        graph = self._read_graph(X if X is not None else self.graph)
        backend, trainer, _ = self._engines()
        return self._memory_estimate(graph, backend, trainer, self._chunk_rows(backend, None)[0])

    def _chunk_rows(self, backend: str, headroom: int | None) -> tuple[int, int]:
        """Walks per chunk and the bytes one chunk's buffers take.

        The default chunk is the walk engine's (about 16 MB of walks for
        the native engine, 64 MB for torch), shrunk for it when that would exceed a
        sixteenth of the memory left for buffers (``headroom``).
        """
        from skgraphemb.walks._plan import _default_chunk_size

        L = int(self.walk_length)
        if self.walk_chunk_size is not None:
            rows = int(self.walk_chunk_size)
        else:
            rows = _default_chunk_size(L, backend)
            if backend != "torch" and headroom is not None:
                rows = max(1, min(rows, headroom // 16 // (_CHUNK_BYTES_PER_STEP * L)))
        return rows, rows * L * _CHUNK_BYTES_PER_STEP

    def _memory_estimate(self, graph: Graph, backend: str, trainer: str, chunk_rows: int):
        from skgraphemb.skipgram._corpus import _CHUNK_TOKENS
        from skgraphemb.utils._memory import (
            MemoryEstimate,
            format_bytes,
            mapped_nbytes,
            process_rss,
            resident_file_bytes,
        )

        n, m, d, L = graph.n_nodes, graph.nnz, int(self._param("n_components")), int(self.walk_length)
        warm = self.warm_start and hasattr(self, "embedding_")
        copies = 4 if trainer == "gensim" or warm else 2
        parts = {"vectors": copies * n * d * 4}
        # counts, keep thresholds, negative alias table (28 B/node) and the
        # float64 temporaries of building them (24 B/node).
        parts["trainer tables"] = 52 * n
        if trainer == "gensim":
            # gensim's vocabulary: a str token, a dict entry and count/sample
            # slots per node (measured ~ 300 B/node with gensim 4.3).
            parts["trainer tables"] += 300 * n
        if trainer == "native" and self.deterministic:  # the rounds' walk buffer, shard copies and row maps
            from skgraphemb.skipgram._native import round_buffer_bytes
            from skgraphemb.utils._threads import resolve_threads

            threads = resolve_threads(self.n_jobs)
            parts["trainer rounds"] = round_buffer_bytes(n, L, int(self.negative), d, threads)
        walk_tables = 12 * n  # start permutation of a round (int64 arange, then int32)
        weighted = graph.weights is not None and graph.weights.size and not np.all(graph.weights == graph.weights[0])
        if weighted and backend != "pecanpy":
            walk_tables += 16 * m + 8 * n  # alias_prob, alias_node, their work list; strength
        if backend == "torch":
            walk_tables += 24 * m + 16 * n  # device copies: indices and edge keys (int64), degrees
        elif backend == "pecanpy":
            walk_tables += 4 * n * int(self.num_walks) * L  # PecanPy returns every walk at once
        parts["walk tables"] = walk_tables
        total_walks = int(self.num_walks) * n  # at most: a warm start may walk from fewer
        chunk_rows = min(chunk_rows, total_walks)
        block = min(max(1, _CHUNK_TOKENS // L), total_walks) * L
        steps = chunk_rows * L
        chunk = steps * _CHUNK_BYTES_PER_STEP + 5 * 8 * (chunk_rows + block)
        if backend == "torch":
            chunk += steps * 8 * 4  # the walker's int64 state per step of a chunk
        if trainer == "torch":
            chunk += block * (8 * 6 + 4 * d * 4)  # a block on the device, window groups
        parts["walk buffers"] = chunk
        parts["nodes_"] = graph.nodes.nbytes
        if warm:
            parts["warm start"] = 32 * m + 16 * n  # neighbourhood hashes of the new graph
        mapped = mapped_nbytes(graph.indptr, graph.indices, graph.weights, graph.nodes)
        if mapped and graph.path is not None:  # pages already resident are in the baseline
            mapped = max(0, mapped - resident_file_bytes(graph.path))
        hints = [f"lower dimensions (each dimension costs {format_bytes(copies * n * 4)} here)"]
        if trainer == "gensim":
            hints.append("use trainer='native', which keeps one copy of the vectors")
        if chunk > 64 * 2**20:
            hints.append(f"lower walk_chunk_size (a chunk takes {format_bytes(chunk)})")
        if backend == "pecanpy":
            hints.append("use backend='native', which streams walks instead of holding them all")
        hints.append("free memory or use a machine with more")
        return MemoryEstimate(
            owner=type(self).__name__,
            parts=parts,
            mapped=mapped,
            baseline=process_rss() or 0,
            hints=hints,
        )

    def _plan_memory(self, graph: Graph, backend: str, trainer: str):
        """The estimate for this fit, checked against ``max_memory``; the chunk size."""
        from skgraphemb.utils._memory import available_memory

        headroom = None
        if self.walk_chunk_size is None and backend != "torch":
            avail = available_memory()
            if avail is not None:
                base = self._memory_estimate(graph, backend, trainer, 1)
                headroom = max(0, avail - base.total)
        rows, _ = self._chunk_rows(backend, headroom)
        estimate = self._memory_estimate(graph, backend, trainer, rows)
        logger.info("%s", estimate.describe())
        if self.verbose:
            print(f"[{type(self).__name__}] {estimate.describe()}", file=sys.stderr, flush=True)
        estimate.check(self.max_memory)
        return estimate, rows

    def _embed(
        self, graph: Graph, seed: int, previous: dict | None = None, *, keep_state: bool = False
    ) -> tuple[np.ndarray, dict]:
        """Walks + skip-gram; with ``previous`` (a warm start), continue from it.

        ``keep_state``: keep what a later incremental fit continues from,
        whatever ``warm_start`` says (``partial_fit``).
        """
        backend, trainer, device = self._engines()
        estimate, chunk_rows = self._plan_memory(graph, backend, trainer)
        sample = self._sample_for(graph)
        init = init_output = start_nodes = updated = None
        if previous is not None:
            dims = self._param("n_components")
            init, init_output, updated = _warm_start_plan(previous, graph, self.warm_start_walks, dims, seed)
            if updated is not None:
                start_nodes = graph.nodes[updated]
        t0 = time.perf_counter()
        if start_nodes is not None and len(start_nodes) == 0:
            walks = np.empty((0, self.walk_length), dtype=np.int32)
        else:
            walks = self._walks(graph, seed, backend, device, start_nodes, chunk_rows)
        t1 = time.perf_counter()  # a stream's set-up (alias tables); PecanPy: all its walks
        n_walks = walks.shape[0] if isinstance(walks, np.ndarray) else walks.n_walks
        if n_walks:
            emb, output = self._train(walks, graph.n_nodes, seed, trainer, device, init, init_output, sample=sample)
        else:
            logger.info("warm start: no node changed, the vectors are carried over")
            emb, output = init, init_output
        t2 = time.perf_counter()
        # Streamed walks are generated during training (once per pass):
        # their time is what the stream measured; the rest is training.
        walk_time = (t1 - t0) + getattr(walks, "walk_time", 0.0)
        logger.info(
            "%d walks of length %d (%s on %s, %.2fs) and skip-gram (%s on %s): %.2fs in all",
            n_walks,
            self.walk_length,
            backend,
            device,
            walk_time,
            trainer,
            device,
            t2 - t0,
        )
        keep_state = self.warm_start or previous is not None or keep_state
        info = {
            "backend_": backend,
            "trainer_": trainer,
            "device_": device,
            "walk_time_": walk_time,
            "train_time_": max(0.0, t2 - t0 - walk_time),
            "n_walks_": int(n_walks),
            "sample_": sample,
            "memory_estimate_": estimate,
            "warm_started_": previous is not None,
            "updated_nodes_": None if updated is None else graph.nodes[updated],
            # Only what the next warm start needs, and only when it may come.
            "context_embedding_": np.ascontiguousarray(output, dtype=np.float32) if keep_state else None,
            "neighborhood_hash_": _neighborhood_hash(graph) if keep_state else None,
        }
        return emb, info

    # -- warm start --------------------------------------------------------------
    def _cached_embed(self, graph: Graph, *, incremental: bool = False) -> tuple[np.ndarray, dict]:
        # A fit that continues from the previous vectors depends on more than
        # (graph, parameters, seed), and partial_fit must keep the state for
        # its next call: neither reads nor writes the cache.
        fitted = hasattr(self, "embedding_")
        if incremental or (self.warm_start and fitted):
            previous = self._previous_state() if fitted else None
            seed = seed_from_random_state(self.random_state)
            return self._embed(graph, seed, previous, keep_state=incremental)
        return super()._cached_embed(graph)

    def _previous_state(self) -> dict:
        state = {
            "embedding": self.embedding_,
            "nodes": self.nodes_,
            "context": getattr(self, "context_embedding_", None),
            "hash": getattr(self, "neighborhood_hash_", None),
        }
        if state["context"] is None or state["hash"] is None:
            warn(
                f"{type(self).__name__}: the previous fit did not keep the state a warm start "
                "continues from (it ran with warm_start=False), so this fit starts the output "
                "vectors at zero and walks from every node. Set warm_start=True before the first "
                "fit to keep it.",
                UserWarning,
            )
        return state

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X=None, y=None):
        """Continue training on a (possibly updated) graph: a warm-started ``fit``.

        Same as ``fit`` with ``warm_start=True`` whatever that parameter
        says (the first call, on an unfitted embedder, is a plain fit).
        Vectors of nodes that are still in the graph continue from their
        previous values, new nodes start from the mean of their known
        neighbours' vectors, and walks start from the nodes that
        ``warm_start_walks`` selects.  See :ref:`incremental`.

        Parameters
        ----------
        X : graph-like or array-like of node ids, default=None
            As in :meth:`fit`: the (updated) graph, or node ids of the
            ``graph`` parameter.
        y : ignored
            Never used.

        Returns
        -------
        self : object
            The fitted embedder.
        """
        return self._fit(X, incremental=True)

    def _sample_for(self, graph: Graph) -> float:
        """The down-sampling threshold of this fit: ``sample``, "auto" resolved."""
        if isinstance(self.sample, str):  # "auto"
            return _auto_sample(graph, int(self.walk_length))
        return float(self.sample)


#: ``sample="auto"``: word2vec's threshold, used as is on graphs this large.
_AUTO_SAMPLE = 1e-3
_AUTO_SAMPLE_MIN_NODES = 10_000
#: ... and below that, at most this expected fraction of tokens dropped.
_AUTO_SAMPLE_MAX_DROPPED = 0.05


def _expected_kept(freq: NDArray[np.float64], sample: float) -> float:
    """Expected fraction of tokens kept by ``_keep_thresholds`` at token frequencies ``freq``."""
    ratio = sample / freq
    return float(np.sum(freq * np.minimum(1.0, np.sqrt(ratio) + ratio)))


def _auto_sample(graph: Graph, walk_length: int) -> float:
    """``sample="auto"``: 1e-3 on large graphs, less down-sampling on small ones.

    From ``_AUTO_SAMPLE_MIN_NODES`` nodes: word2vec's ``1e-3``.  Below: the
    smallest threshold ``>= 1e-3`` at which the expected fraction of tokens
    that ``_keep_thresholds`` drops is at most ``_AUTO_SAMPLE_MAX_DROPPED``,
    with the expected token frequencies of walks of ``walk_length`` nodes
    started uniformly that then visit nodes in proportion to their
    (out-)degree: ``f_v = 1 / (n L) + (L - 1) / L * deg_v / sum(deg)``.  The
    expected kept fraction grows with the threshold, so it is found by
    bisection (on a log scale, to 1% relative precision).
    """
    n = graph.n_nodes
    if n >= _AUTO_SAMPLE_MIN_NODES or n == 0:
        return _AUTO_SAMPLE
    deg = np.diff(np.asarray(graph.indptr)).astype(np.float64)
    L = float(walk_length)
    freq = np.full(n, 1.0 / (n * L))
    if deg.sum() > 0:
        freq += (L - 1.0) / L * deg / deg.sum()
    target = 1.0 - _AUTO_SAMPLE_MAX_DROPPED
    lo = _AUTO_SAMPLE
    if _expected_kept(freq, lo) >= target:
        return lo
    hi = float(freq.max())  # every token is kept from here on
    while hi / lo > 1.01:
        mid = float(np.sqrt(lo * hi))
        if _expected_kept(freq, mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _row_sums(indptr: NDArray[np.int64], values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Sum of each CSR row's ``values`` modulo 2**64."""
    cum = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(values, dtype=np.uint64)])
    return cum[indptr[1:]] - cum[indptr[:-1]]


def _neighborhood_hash(graph: Graph, keys: NDArray | None = None) -> NDArray[np.uint64]:
    """A 64-bit fingerprint of every node's neighbourhood.

    The hash of node ``v`` is a sum (mod 2**64) of a mixed value per
    out-edge ``v -> x``, made of ``keys[x]`` and the edge weight, so it does
    not depend on the order of the row; on directed graphs the in-edges are
    mixed in too (a new edge ``u -> v`` changes the contexts of ``v``).
    ``keys`` names the nodes (default: their positions), so that graphs with
    differently ordered nodes can be compared by mapping both onto one
    naming.  8 bytes per node.
    """
    import scipy.sparse as sp

    n = graph.n_nodes
    keys = np.arange(n, dtype=np.uint64) if keys is None else np.asarray(keys, dtype=np.uint64)

    def row_hash(indptr, indices, weights):
        w = np.ones(len(indices)) if weights is None else np.asarray(weights, dtype=np.float64)
        entry = mix64(keys[indices] * GOLDEN + mix64(w.view(np.uint64)))
        return _row_sums(indptr, entry)

    h = row_hash(graph.indptr, graph.indices, graph.weights)
    if graph.directed:
        T = sp.csr_matrix(
            (np.ones(len(graph.indices)) if graph.weights is None else graph.weights, graph.indices, graph.indptr),
            shape=(n, n),
        ).T.tocsr()
        T.sort_indices()
        h_in = row_hash(T.indptr.astype(np.int64), T.indices, None if graph.weights is None else T.data)
        h = h ^ mix64(h_in + GOLDEN)
    return h


def _warm_start_plan(previous: dict, graph: Graph, walks_from, dimensions: int, seed: int):
    """Initial vectors on the updated graph and the positions to walk from.

    Returns ``(init, init_output, updated)``: input and output vectors for
    every node of ``graph`` (previous vectors by node id; new nodes get the
    weighted mean of their neighbours that have one, otherwise the default
    initial vector and a zero output vector), and the positions of the
    nodes whose walks are redone (``None``: all of them).
    """
    import pandas as pd
    import scipy.sparse as sp

    from skgraphemb.skipgram._corpus import _initial_vectors

    old_emb, old_nodes = previous["embedding"], previous["nodes"]
    if old_emb.shape[1] != dimensions:
        raise ValueError(
            f"warm start: the previous embedding has {old_emb.shape[1]} dimensions but dimensions="
            f"{dimensions}; a warm start keeps the dimension (refit with warm_start=False to change it)"
        )
    n, n_old = graph.n_nodes, len(old_nodes)
    old_pos = pd.Index(old_nodes).get_indexer(graph.nodes)  # -1 for new nodes
    known = old_pos >= 0
    new = np.flatnonzero(~known)
    old_ctx = previous["context"]
    if old_ctx is None:
        old_ctx = np.zeros_like(old_emb)

    init = _initial_vectors(n, dimensions, seed, None)
    init_output = np.zeros((n, dimensions), dtype=np.float32)
    init[known] = old_emb[old_pos[known]]
    init_output[known] = old_ctx[old_pos[known]]
    if len(new):
        # New nodes start at the weighted mean of their known neighbours
        # (in- and out-neighbours on directed graphs), umap's init_transform.
        A = graph.to_scipy().tocsr().astype(np.float64)
        if graph.directed:
            A = (A + A.T).tocsr()
        rows = A[new][:, np.flatnonzero(known)]
        mass = np.asarray(rows.sum(axis=1)).ravel()
        has = mass > 0
        if has.any():
            weights = sp.diags(1.0 / mass[has]) @ rows[has]
            init[new[has]] = weights @ init[known]
            init_output[new[has]] = weights @ init_output[known]
        logger.info("warm start: %d new node(s), %d started from their neighbours' mean", len(new), int(has.sum()))

    if walks_from == "all" or previous["hash"] is None:
        return init, init_output, None
    # Name nodes by their previous position (new nodes after the old ones)
    # and compare the neighbourhoods, node by node.
    keys = np.where(known, old_pos, n_old + np.cumsum(~known) - 1).astype(np.uint64)
    h = _neighborhood_hash(graph, keys)
    changed = ~known
    changed[known] = h[known] != previous["hash"][old_pos[known]]
    hops = 0 if walks_from == "changed" else int(walks_from)
    if hops:
        A = graph.to_scipy().tocsr()
        A = (A + A.T).tocsr() if graph.directed else A
        A.data[:] = 1.0
        for _ in range(hops):
            changed |= (A @ changed.astype(np.float64)) > 0
    logger.info("warm start: %d of %d node(s) changed or within %d hop(s) of a change", int(changed.sum()), n, hops)
    return init, init_output, np.flatnonzero(changed)
