"""``BaseGraphEmbedder``: the fit/transform template every embedder shares.

Subclasses implement one method, :meth:`BaseGraphEmbedder._embed`, the pure
step "graph + parameters + integer seed -> embedding matrix".  The base class
owns everything around it: reading the graph (``graph`` parameter set -> X
holds node ids; unset -> X is the graph), caching the pure step across CV
folds (``memory``), fitted attributes, id-aware ``transform``, pandas
output, ``most_similar``, gensim export and cheap cloning.  The id-aware
half (``transform`` by id, pandas output, ``most_similar``...) lives in
:class:`EmbeddingLookupMixin`, which embedders of other inputs (triples)
share.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from skgraphemb.graph import Graph, NodeIndex, as_graph, is_graph_like
from skgraphemb.utils._random_state import seed_from_random_state, seed_or_none
from skgraphemb.utils._validation import (
    DEPRECATED,
    Integral,
    Interval,
    StrOptions,
    _fit_context,
    _resolve_deprecated,
    check_is_fitted,
    check_memory,
    clone_sharing,
    constraints,
    validate_params,
    wants_pandas_output,
)

logger = logging.getLogger(__name__)

# Parameters that never change the embedding: left out of cache keys.
_NON_RESULT_PARAMS = frozenset({"graph", "memory", "verbose", "n_jobs", "max_memory"})


def _run_embed(cls, key_params: dict, fingerprint: str, seed: int, graph: Graph, run_params: dict):
    """The cached pure step: module level so joblib.Memory can key it.

    ``graph`` and ``run_params`` are excluded from the cache key (the graph
    by its ``fingerprint``, run-only parameters such as ``n_jobs`` because
    they do not change the result).
    """
    est = cls(**key_params, **run_params)
    return est._embed(graph, seed)


#: ``_divergence_hint`` of the embedders without a learning rate (ProNE,
#: FastRP): their products only overflow on an input of extreme scale.
SCALE_DIVERGENCE_HINT = (
    "This method has no learning rate: such values come from the input's scale, e.g. edge weights "
    "too large for its float32 products (float32 holds up to 3.4e38). Divide the weights by the largest."
)


def _check_finite_embedding(est, embedding: np.ndarray, stage: str = "fit") -> None:
    """Refuse to keep or return a non-finite embedding (every embedder's last check).

    The trainers raise earlier with a specific hint; this is the net under
    all of them (and under a float64 result that overflows float32).
    """
    embedding = np.asarray(embedding)
    finite = np.isfinite(embedding)
    if finite.all():
        return
    from skgraphemb.exceptions import TrainingDivergedError

    rows = finite.reshape(finite.shape[0], -1).all(axis=1) if finite.ndim > 1 else finite
    bad = int(np.count_nonzero(~rows))
    raise TrainingDivergedError(
        f"{type(est).__name__}: the {stage} produced NaN or infinite values in {bad} of "
        f"{embedding.shape[0]} rows of the embedding. "
        + getattr(est, "_divergence_hint", "Lower the learning rate or rescale the input.")
    )


class EmbeddingLookupMixin:
    """Id-aware access to a fitted table of vectors; for embedders of any input.

    Needs the fitted attributes ``embedding_`` (float32, one row per id) and
    ``nodes_`` (the ids, in row order), and ``get_feature_names_out``
    (:class:`~sklearn.base.ClassNamePrefixFeaturesOutMixin`).  Gives
    ``transform`` by id with a :class:`~skgraphemb.UnknownNodeError` naming
    unknown ids, pandas output indexed by id, ``get_embedding``,
    ``most_similar`` and ``to_keyed_vectors``.  :class:`BaseGraphEmbedder`
    and the knowledge-graph embedder share it.
    """

    def _ids_from_X(self, X, *, reset: bool) -> np.ndarray:
        """X as a 1-d array of node ids (1-d sequence or a single column)."""
        if sp.issparse(X):
            raise TypeError(
                "X is a sparse matrix, but with `graph` set X must hold node ids: sparse "
                "input is not supported here. To embed a graph given as a sparse adjacency "
                "matrix, pass it to fit with `graph` unset."
            )
        if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # DataFrame column
            if X.shape[1] != 1:
                raise ValueError(f"X must be a single column of node ids; got {X.shape[1]} columns")
            X = X.iloc[:, 0]
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        if isinstance(X, (list, tuple)):
            arr = np.empty(len(X), dtype=object)
            arr[:] = [v[0] if isinstance(v, (list, tuple, np.ndarray)) and len(v) == 1 else v for v in X]
            if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in arr):
                arr = arr.astype(np.int64)
        else:
            arr = np.asarray(X)
        if arr.dtype.kind == "c":
            raise ValueError("Complex data not supported: X must hold node ids")
        if arr.ndim == 2 and arr.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is "
                "required: X must be a column of node ids"
            )
        if arr.ndim == 2:
            if arr.shape[1] != 1:
                raise ValueError(
                    f"X must be a single column of node ids (shape (n,) or (n, 1)); "
                    f"got shape {arr.shape}. To embed a graph given as an edge array, "
                    "pass it to fit with `graph` unset."
                )
            arr = arr[:, 0]
            n_features = 1
        elif arr.ndim == 1:
            n_features = 1
        else:
            raise ValueError(f"X must be a 1-d sequence of node ids; got shape {arr.shape}")
        if reset:
            self.n_features_in_ = n_features
        if arr.size == 0:
            raise ValueError("X holds no node ids (0 samples)")
        return arr

    # -- renamed parameters ----------------------------------------------------
    #: Renamed parameters, new name -> old (deprecated) name; both are
    #: ``__init__`` parameters, the old one defaulting to ``"deprecated"``.
    _renamed_params: dict[str, str] = {}

    def _param(self, name: str):
        """The value of parameter ``name``, set by its new or its deprecated name."""
        old = self._renamed_params.get(name)
        return getattr(self, name) if old is None else _resolve_deprecated(self, name, old, warn=False)

    def set_params(self, **params):
        """Set parameters; setting a renamed parameter's new name resets its old one.

        So that the name set last wins: a grid over ``n_components`` also
        covers an embedder built with the deprecated ``dimensions``.
        """
        for new, old in self._renamed_params.items():
            if new in params and old not in params:
                params[old] = DEPRECATED
        return super().set_params(**params)

    def _check_renamed_params(self) -> None:
        """A FutureWarning per deprecated parameter name set (called once per fit)."""
        for new, old in self._renamed_params.items():
            _resolve_deprecated(self, new, old)

    # -- using the fitted embedding -----------------------------------------
    #: Fitted attributes every use of the embedding needs.
    _required_fitted = ("embedding_", "nodes_")

    def _check_fitted(self) -> None:
        """``check_is_fitted``, plus a clear error for an incomplete fitted state.

        An estimator unpickled from a file written by another version (or
        tampered with) can hold some fitted attributes and lack others: say
        so, rather than "not fitted" or a bare ``AttributeError``.
        """
        check_is_fitted(self)
        missing = [name for name in self._required_fitted if not hasattr(self, name)]
        problem = None
        if missing:
            problem = f"it lacks the fitted attribute(s) {', '.join(missing)}"
        else:
            E, nodes = np.asarray(self.embedding_), np.asarray(self.nodes_)
            if E.ndim != 2 or nodes.ndim != 1 or E.shape[0] != nodes.shape[0]:
                problem = f"embedding_ has shape {E.shape} and nodes_ shape {nodes.shape}, not one row per node"
        if problem is not None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(self).__name__} holds an incomplete or incompatible fitted state "
                f"({problem}): it was probably unpickled from a file written by another "
                "version of skgraphemb, or altered. Fit it again."
            )

    def _node_index(self) -> NodeIndex:
        index = getattr(self, "_index", None)
        if index is None:  # not pickled (see __getstate__): rebuilt on first use
            index = self._index = NodeIndex(self.nodes_)
        return index

    def transform(self, X):
        """Embeddings of the given nodes.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1), or graph
            Node ids of the fitted graph, or a graph (networkx,
            :class:`~skgraphemb.Graph`) whose nodes to look up.

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_components), float32
            Rows in the order of X.  With ``set_output(transform="pandas")``,
            a DataFrame indexed by node id; with
            ``set_output(transform="polars")``, a polars DataFrame with the
            same columns (``get_feature_names_out()``) and rows in the order
            of X (polars has no index: the node ids are not a column).

        Raises
        ------
        UnknownNodeError
            A ``ValueError`` naming the ids that are not in the fitted graph.
        """
        self._check_fitted()
        if is_graph_like(X):
            ids = as_graph(X).nodes
        else:
            ids = self._ids_from_X(X, reset=False)
        pos = self._positions(ids)
        return self._output(self.embedding_[pos], ids, checked=True)

    def _positions(self, ids) -> np.ndarray:
        """Rows of ``ids``; an UnknownNodeError naming those not fitted (a hook)."""
        return self._node_index().positions(ids)

    def _output(self, Z: np.ndarray, ids, *, checked: bool = False) -> Any:
        """Z as returned to the user (array or DataFrame).

        Rows not taken from the fitted (already checked) embedding, such
        as an inductive embedder's vectors of a new graph, are checked to
        be finite first.
        """
        if not checked:
            _check_finite_embedding(self, Z, "transform")
        # Other containers (polars) are made by scikit-learn's set_output
        # wrapper of transform/fit_transform from the array.
        if wants_pandas_output(self):
            import pandas as pd

            return pd.DataFrame(
                Z,
                index=pd.Index(np.asarray(ids), name="node"),
                columns=self.get_feature_names_out(),
            )
        return Z

    @validate_params({"as_frame": ["boolean"]}, prefer_skip_nested_validation=True)
    def get_embedding(self, as_frame: bool = False):
        """The whole embedding: an array in ``nodes_`` order, or a DataFrame."""
        self._check_fitted()
        if as_frame:
            import pandas as pd

            return pd.DataFrame(
                self.embedding_,
                index=pd.Index(self.nodes_, name="node"),
                columns=self.get_feature_names_out(),
            )
        return self.embedding_

    @validate_params(
        {"node": "no_validation", "topn": [Interval(Integral, 1, None, closed="left")]},
        prefer_skip_nested_validation=True,
    )
    def most_similar(self, node, topn: int = 10) -> list[tuple[Any, float]]:
        """Nodes whose vectors have the highest cosine similarity to ``node``'s.

        Parameters
        ----------
        node : hashable
            A node id of the fitted graph.
        topn : int, default=10
            How many neighbours to return.

        Returns
        -------
        list of (node id, cosine similarity)
            Most similar first; ``node`` itself is left out.
        """
        self._check_fitted()
        i = self._positions([node])[0]
        E = self.embedding_.astype(np.float64)
        norms = np.linalg.norm(E, axis=1)
        norms[norms == 0] = 1.0
        sims = (E @ E[i]) / (norms * norms[i])
        sims[i] = -np.inf
        k = min(topn, len(sims) - 1)
        top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.empty(0, dtype=int)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [
            (self.nodes_[j].item() if hasattr(self.nodes_[j], "item") else self.nodes_[j], float(sims[j])) for j in top
        ]

    @validate_params({"keys": [StrOptions({"str", "original"})]}, prefer_skip_nested_validation=True)
    def to_keyed_vectors(self, keys: str = "str"):
        """The embedding as gensim ``KeyedVectors``.

        Parameters
        ----------
        keys : {"str", "original"}, default="str"
            ``"str"`` uses ``str(node_id)`` keys, as the ``node2vec`` package
            and PecanPy do (``kv["0"]``); ``"original"`` keeps the ids.  gensim
            treats an ``int`` key it does not know as a row index, so prefer
            ``"str"`` for integer ids.
        """
        self._check_fitted()
        from gensim.models import KeyedVectors

        kv = KeyedVectors(vector_size=self.embedding_.shape[1])
        ids = self.nodes_.tolist()
        kv.add_vectors([str(v) for v in ids] if keys == "str" else ids, self.embedding_)
        return kv

    def __getstate__(self):
        # A copy: BaseEstimator returns the instance __dict__ itself, which
        # the pop below would otherwise strip.
        state = dict(super().__getstate__())
        state.pop("_index", None)  # rebuilt on demand
        return state


class BaseGraphEmbedder(EmbeddingLookupMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for graph embedders; not meant to be used directly.

    Subclasses define ``__init__`` (storing parameters only),
    ``_parameter_constraints`` (merged with this class's) and
    ``_embed(graph, seed) -> (embedding, info)``, where ``info`` is a dict of
    extra fitted attributes (names ending in ``_``).
    """

    _parameter_constraints: dict = constraints("graph", "memory", "verbose", "random_state", "n_jobs")

    # -- to implement --------------------------------------------------------
    def _embed(self, graph: Graph, seed: int) -> tuple[np.ndarray, dict]:  # pragma: no cover
        raise NotImplementedError

    def _check_graph(self, graph: Graph) -> None:
        """Hook: warn about legal but suspicious graphs."""

    def _read_graph(self, data) -> Graph:
        """Hook: the :class:`Graph` of a graph-like input (subclasses may read more of it)."""
        return as_graph(data)

    # -- fitting ---------------------------------------------------------------
    def _graph_and_ids(self, X) -> tuple[Graph, np.ndarray | None]:
        """Resolve the fit inputs: the graph, and node ids from X if any."""
        if self.graph is not None:
            graph = self._read_graph(self.graph)
            if X is None:
                return graph, None
            if is_graph_like(X):
                raise ValueError(
                    f"{type(self).__name__} has `graph` set, so X must hold node ids, "
                    f"not a graph; pass the graph either as X or as `graph=`, not both"
                )
            ids = self._ids_from_X(X, reset=True)
            graph.positions(ids)  # unknown ids -> UnknownNodeError naming them
            return graph, ids
        if X is None:
            raise ValueError(
                f"{type(self).__name__}.fit needs a graph: pass it as X "
                "(networkx graph, edge array, sparse matrix, file path...) or set `graph=`"
            )
        return self._read_graph(X), None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Embed the graph.

        Parameters
        ----------
        X : graph-like or array-like of node ids, default=None
            With ``graph`` unset, the graph to embed (anything
            :func:`~skgraphemb.as_graph` accepts).  With ``graph`` set, node
            ids of that graph (checked to exist, otherwise not used: the
            embedding is of the whole graph, so it is the same in every CV
            fold); may then be ``None``.
        y : ignored
            Never used to build the embedding (no label leakage).

        Returns
        -------
        self : object
            The fitted embedder.
        """
        return self._fit(X, incremental=False)

    def _fit(self, X, *, incremental: bool):
        """The fit behind ``fit`` and (``incremental=True``) ``partial_fit``.

        An incremental fit continues from the fitted state, when there is
        one (scikit-learn's ``MLPClassifier._fit`` pattern); validation is
        done by the public methods' ``_fit_context``.
        """
        self._check_renamed_params()
        graph, _ = self._graph_and_ids(X)
        self._check_graph(graph)
        start = time.perf_counter()
        embedding, info = self._cached_embed(graph, incremental=incremental)
        embedding = np.ascontiguousarray(embedding, dtype=np.float32)
        _check_finite_embedding(self, embedding)
        self.embedding_ = embedding
        self.nodes_ = np.array(graph.nodes)  # writeable copy, pickles compactly
        self._index = NodeIndex(self.nodes_)
        self._n_features_out = self.embedding_.shape[1]
        for name, value in info.items():
            setattr(self, name, value)
        self.fit_time_ = time.perf_counter() - start
        logger.info("%s fitted %d nodes in %.2fs", type(self).__name__, graph.n_nodes, self.fit_time_)
        return self

    def _cached_embed(self, graph: Graph, *, incremental: bool = False) -> tuple[np.ndarray, dict]:
        seed = seed_or_none(self.random_state)
        if self.memory is None or seed is None:
            # Without an integer seed each fit is a fresh draw: never cache.
            return self._embed(graph, seed_from_random_state(self.random_state))
        params = self.get_params(deep=False)
        key = {k: v for k, v in params.items() if k not in _NON_RESULT_PARAMS}
        run = {k: v for k, v in params.items() if k in _NON_RESULT_PARAMS and k not in ("graph", "memory")}
        memory = check_memory(self.memory)
        cached = memory.cache(_run_embed, ignore=["graph", "run_params"])
        args = (type(self), key, graph.fingerprint(), seed, graph, run)
        location = getattr(memory, "location", None)
        if location is None:  # Memory(None): no cache, nothing to share
            return cached(*args)
        # Concurrent fits of the same (graph, parameters) - folds of one
        # candidate on several threads, processes or Dask workers sharing
        # the cache folder - take turns: the first computes, the others
        # then find the entry written and load it.
        import joblib

        from skgraphemb.utils._filelock import file_lock

        entry = joblib.hash((type(self).__module__, type(self).__qualname__, key, args[2], seed))
        with file_lock(os.path.join(str(location), "skgraphemb-locks", entry + ".lock")):
            return cached(*args)

    def fit_transform(self, X=None, y=None, **fit_params):
        """Fit, then return the embedding.

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_components), float32
            With ``graph`` unset, one row per node of X in ``nodes_`` order;
            with ``graph`` set, one row per id in X (all nodes if X is None).
        """
        self.fit(X, y, **fit_params)
        if self.graph is not None and X is not None:
            return self.transform(X)
        return self._output(self.embedding_, self.nodes_, checked=True)

    def transform(self, X):
        # Defined here, not only in EmbeddingLookupMixin: scikit-learn's
        # set_output wraps the transform/fit_transform that a subclass of
        # TransformerMixin defines in its own class body, and a method
        # inherited from a plain mixin was never wrapped, so
        # set_output(transform="polars") reached fit_transform only.
        return super().transform(X)

    transform.__doc__ = EmbeddingLookupMixin.transform.__doc__

    # -- sklearn plumbing ------------------------------------------------------
    def __sklearn_clone__(self):
        # Clone everything but the graph, which is shared, not deep-copied:
        # a networkx graph of 500k edges takes seconds to deepcopy and a grid
        # search clones once per candidate and fold.
        return clone_sharing(self, "graph")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = self.graph is not None
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.target_tags.required = False
        return tags
