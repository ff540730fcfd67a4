"""Downstream evaluation of node embeddings."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from skgraphemb.graph import NodeIndex
from skgraphemb.utils._ids import embedding_rows
from skgraphemb.utils._validation import Integral, Interval, Real, constraints, validate_params

__all__ = ["NodeClassificationScore", "compare_embedders", "evaluate_node_classification"]


class NodeClassificationScore(tuple):
    """``(mean, std)`` of macro-F1 over folds, with more detail as attributes.

    Unpacks as ``mean, std = evaluate_node_classification(...)``.

    Attributes
    ----------
    mean, std : float
        Macro-F1 mean and standard deviation over folds or splits.
    scores : ndarray
        Macro-F1 of each fold.
    micro_mean, micro_std : float
        The same for micro-F1.
    micro_scores : ndarray
        Micro-F1 of each fold.
    multilabel : bool
        Whether the labels were multi-label.
    """

    def __new__(cls, scores: NDArray, micro_scores: NDArray, multilabel: bool):
        self = super().__new__(cls, (float(np.mean(scores)), float(np.std(scores))))
        self.scores = np.asarray(scores)
        self.micro_scores = np.asarray(micro_scores)
        self.multilabel = multilabel
        return self

    @property
    def mean(self) -> float:
        return self[0]

    @property
    def std(self) -> float:
        return self[1]

    @property
    def micro_mean(self) -> float:
        return float(np.mean(self.micro_scores))

    @property
    def micro_std(self) -> float:
        return float(np.std(self.micro_scores))

    def __repr__(self) -> str:
        return (
            f"NodeClassificationScore(macro_f1={self.mean:.4f}±{self.std:.4f}, "
            f"micro_f1={self.micro_mean:.4f}±{self.micro_std:.4f}, folds={len(self.scores)})"
        )

    def __reduce__(self):
        return (type(self), (self.scores, self.micro_scores, self.multilabel))


def _is_multi(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset, np.ndarray))


def _align(embedding, labels, nodes) -> tuple[NDArray, list]:
    """Rows of the embedding and their labels, matched by node id."""
    X, index = embedding_rows(embedding, dtype=np.float64)
    if isinstance(labels, Mapping) or hasattr(labels, "items") and hasattr(labels, "index"):
        items = list(labels.items())
        nodes = [k for k, _ in items]
        labels = [v for _, v in items]
    else:
        labels = list(labels) if not isinstance(labels, np.ndarray) or labels.ndim == 1 else labels
    if nodes is None:
        if len(labels) != X.shape[0]:
            raise ValueError(
                f"labels has {len(labels)} entries but the embedding has {X.shape[0]} rows; "
                "pass `nodes=` (or a {node: label} mapping) to match them by node id"
            )
        rows = np.arange(X.shape[0])
    else:
        nodes = list(nodes)
        if len(nodes) != len(labels):
            raise ValueError(f"nodes has {len(nodes)} ids but labels has {len(labels)} entries")
        if index is None:
            index = NodeIndex(np.arange(X.shape[0]))
        rows = index.positions(nodes)
    return X[rows], labels


#: The scoring protocol both functions share (labels and nodes, any iterable
#: or mapping, are checked against each other in the function).
_PROTOCOL_CONSTRAINTS = constraints(
    "random_state",
    "n_jobs",
    labels="no_validation",
    nodes="no_validation",
    cv=[Interval(Integral, 1, None, closed="left")],
    train_size=[Interval(Real, 0, 1, closed="neither"), None],
)


@validate_params(
    {**_PROTOCOL_CONSTRAINTS, "embedding": "no_validation", "C": [Interval(Real, 0, math.inf, closed="neither")]},
    prefer_skip_nested_validation=True,
)
def evaluate_node_classification(
    embedding,
    labels: Iterable | Mapping[Hashable, Any],
    *,
    nodes: Iterable[Hashable] | None = None,
    cv: int = 5,
    train_size: float | None = None,
    C: float = 1.0,
    random_state: int | None = 0,
    n_jobs: int | None = None,
) -> NodeClassificationScore:
    """Macro-F1 of a logistic-regression probe on node embeddings.

    Single-label: ``LogisticRegression``.  Multi-label (each label a list or
    tuple of classes, or a 0/1 indicator matrix): one-vs-rest logistic
    regression that predicts, for each test node, its ``k`` highest-scored
    labels where ``k`` is its true number of labels -- the protocol of the
    DeepWalk and node2vec papers.

    Parameters
    ----------
    embedding : fitted embedder, DataFrame, embedding store or array of shape (n_nodes, d)
        A fitted embedder (``embedding_``/``nodes_`` are used), a DataFrame
        indexed by node id, an embedding store (e.g.
        :class:`~skgraphemb.export.FileEmbeddingStore`), or a plain matrix
        (rows are node positions).  Duplicate node ids are a ``ValueError``.
    labels : array-like, or mapping node id -> label(s)
        Labels aligned with ``nodes`` (or with the rows when ``nodes`` is
        None), or a dict / Series from node id to label.
    nodes : iterable of hashable, default=None
        Node ids that ``labels`` refers to.
    cv : int, default=5
        Number of folds (``train_size=None``) or random splits.
    train_size : float, default=None
        ``None``: stratified ``cv``-fold cross-validation.  A float in (0, 1):
        ``cv`` random splits with that fraction of labelled nodes for
        training (node2vec's protocol uses 0.5).
    C : float, default=1.0
        Inverse regularisation strength of the logistic regression.
    random_state : int or None, default=0
        Seeds the folds/splits.
    n_jobs : int, default=None
        Parallel one-vs-rest fits for multi-label problems.

    Returns
    -------
    NodeClassificationScore
        A ``(mean, std)`` tuple of macro-F1, with micro-F1 and the per-fold
        scores as attributes.

    Examples
    --------
    >>> from skgraphemb import Node2VecEmbedder, evaluate_node_classification, load_karate
    >>> karate = load_karate()
    >>> emb = Node2VecEmbedder(n_components=16, walk_length=20, num_walks=20,
    ...                        sample=0, random_state=0).fit(karate.graph)
    >>> mean, std = evaluate_node_classification(emb, karate.labels,
    ...                                          nodes=karate.nodes, cv=3)
    >>> mean > 0.8
    True
    """
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
    from sklearn.preprocessing import MultiLabelBinarizer

    from skgraphemb.utils._threads import blas_threads

    X, labels = _align(embedding, labels, nodes)
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        Y = (labels != 0).astype(int)
        multilabel = True
    elif any(_is_multi(v) for v in labels):
        Y = MultiLabelBinarizer().fit_transform([v if _is_multi(v) else (v,) for v in labels])
        multilabel = True
    else:
        Y = np.asarray(labels)
        multilabel = False
    if len(Y) < 2:
        raise ValueError("need at least 2 labelled nodes")

    if train_size is None:
        splitter = _kfold(cv, multilabel, random_state)
    else:
        splitter = (ShuffleSplit if multilabel else StratifiedShuffleSplit)(
            n_splits=cv, train_size=train_size, random_state=random_state
        )
    # Small logistic regressions gain nothing from BLAS threads, and right
    # after a numba parallel kernel (OpenMP workers still spinning) threaded
    # OpenBLAS calls can run 100x slower on a 2-core machine: use one thread.
    with blas_threads(1):
        macro, micro = _cross_validate(X, Y, splitter, multilabel, C, n_jobs)
    return NodeClassificationScore(np.array(macro), np.array(micro), multilabel)


def _kfold(cv: int, multilabel: bool, random_state):
    """Shuffled k-fold splitter: stratified by label unless the labels are multi-label."""
    from sklearn.model_selection import KFold, StratifiedKFold

    return (KFold if multilabel else StratifiedKFold)(n_splits=cv, shuffle=True, random_state=random_state)


def _cross_validate(X, Y, splitter, multilabel: bool, C: float, n_jobs) -> tuple[list, list]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier

    macro, micro = [], []
    for train, test in splitter.split(X, Y):
        clf = LogisticRegression(C=C, max_iter=1000)
        if multilabel:
            keep = Y[train].sum(axis=0) > 0  # a label absent from training can't be learned
            model = OneVsRestClassifier(clf, n_jobs=n_jobs).fit(X[train], Y[train][:, keep])
            scores = np.full((len(test), Y.shape[1]), -np.inf)
            scores[:, keep] = model.decision_function(X[test]).reshape(len(test), -1)
            k = Y[test].sum(axis=1)
            order = np.argsort(-scores, axis=1, kind="stable")
            pred = np.zeros_like(Y[test])
            ranks = np.empty_like(order)
            np.put_along_axis(ranks, order, np.arange(Y.shape[1])[None, :], axis=1)
            pred[ranks < k[:, None]] = 1
            y_true = Y[test]
        else:
            pred = clf.fit(X[train], Y[train]).predict(X[test])
            y_true = Y[test]
        macro.append(f1_score(y_true, pred, average="macro", zero_division=0))
        micro.append(f1_score(y_true, pred, average="micro", zero_division=0))
    return macro, micro


@validate_params(
    {
        **_PROTOCOL_CONSTRAINTS,
        "embedders": "no_validation",  # checked in the function, estimator by estimator
        "graph": "no_validation",
        # an EdgeSplit is a Bunch, hence a Mapping
        "link_prediction": [None, "boolean", Mapping],
    },
    prefer_skip_nested_validation=True,
)
def compare_embedders(
    embedders: Mapping[str, Any],
    graph,
    *,
    labels=None,
    nodes=None,
    link_prediction=None,
    cv: int = 5,
    train_size: float | None = None,
    random_state: int | None = 0,
    n_jobs: int | None = None,
):
    """Fit several embedders on one graph and score each the same way.

    Parameters
    ----------
    embedders : dict of str -> estimator
        Method name -> unfitted embedder; each is cloned before fitting.
    graph : graph-like
        Anything :func:`~skgraphemb.as_graph` accepts.
    labels, nodes : see :func:`evaluate_node_classification`
        Node labels: adds macro/micro-F1 (mean and std over folds).
    link_prediction : True, dict or Bunch, default=None
        ``True`` or a dict of :func:`~skgraphemb.split_edges` keyword
        arguments: split the edges once, fit every embedder on
        ``split.train_graph`` and add the cosine ROC AUC of the test pairs.
        A Bunch from ``split_edges`` is used as is.
    cv, train_size, random_state
        Passed to :func:`evaluate_node_classification`; ``random_state``
        also seeds the edge split.
    n_jobs : int, default=None
        Methods fitted and scored at once, through :class:`joblib.Parallel`
        (one task per method).  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context: under
        ``parallel_config(backend="dask")`` the methods run on a Dask
        cluster, with the same scores as a serial run.

        .. versionadded:: 0.1

    Returns
    -------
    pandas.DataFrame
        Indexed by method, with ``fit_time_s`` and, where they apply,
        ``f1_macro_mean``, ``f1_macro_std``, ``f1_micro_mean``,
        ``f1_micro_std``, ``auc_fit_time_s`` and ``auc``.

    Examples
    --------
    >>> from skgraphemb import SVDEmbedder, compare_embedders, load_karate
    >>> karate = load_karate()
    >>> table = compare_embedders({"svd": SVDEmbedder(n_components=4, random_state=0)},
    ...                           karate.graph, labels=karate.labels, nodes=karate.nodes, cv=3)
    >>> list(table.columns)
    ['fit_time_s', 'f1_macro_mean', 'f1_macro_std', 'f1_micro_mean', 'f1_micro_std']
    """
    import pandas as pd
    from sklearn.base import clone

    from skgraphemb.graph import as_graph
    from skgraphemb.link_prediction import split_edges

    if not isinstance(embedders, Mapping) or not embedders:
        raise TypeError(f"embedders must be a non-empty dict {{name: estimator}}; got {type(embedders).__name__}")
    for name, est in embedders.items():
        if not hasattr(est, "fit") or not hasattr(est, "get_params"):
            raise TypeError(f"embedders[{name!r}] is not an estimator: {type(est).__name__}")
    if labels is None and link_prediction is None:
        raise ValueError("pass labels= (node classification) and/or link_prediction= (AUC)")
    split = None
    if link_prediction is not None and link_prediction is not False:
        if hasattr(link_prediction, "train_graph") and hasattr(link_prediction, "test_pairs"):
            split = link_prediction
        elif link_prediction is True:
            split = split_edges(graph, random_state=random_state)
        else:
            split = split_edges(graph, **{"random_state": random_state, **link_prediction})
    g = as_graph(graph) if labels is not None else None

    from joblib import Parallel, delayed

    task = delayed(_score_embedder)
    results = Parallel(n_jobs=n_jobs)(
        task(clone(est), g, labels, nodes, cv, train_size, random_state, split) for est in embedders.values()
    )
    rows = dict(zip(embedders, results))
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "method"
    return table


def _score_embedder(est, graph, labels, nodes, cv, train_size, random_state, split) -> dict[str, float]:
    """One row of :func:`compare_embedders`: fit ``est`` and score it (one joblib task)."""
    import time

    from sklearn.base import clone

    from skgraphemb.link_prediction import evaluate_link_prediction

    row: dict[str, float] = {}
    if labels is not None:
        start = time.perf_counter()
        est.fit(graph)
        row["fit_time_s"] = time.perf_counter() - start
        score = evaluate_node_classification(
            est, labels, nodes=nodes, cv=cv, train_size=train_size, random_state=random_state
        )
        row.update(
            f1_macro_mean=score.mean,
            f1_macro_std=score.std,
            f1_micro_mean=score.micro_mean,
            f1_micro_std=score.micro_std,
        )
    if split is not None:
        model = clone(est) if labels is not None else est
        start = time.perf_counter()
        model.fit(split.train_graph)
        key = "auc_fit_time_s" if labels is not None else "fit_time_s"
        row[key] = time.perf_counter() - start
        pairs, y = np.asarray(split.test_pairs), np.asarray(split.test_labels)
        row["auc"] = evaluate_link_prediction(model, pairs[y == 1], pairs[y == 0])
    return row


# -- grid search of embedder parameters (``skgraphemb tune``) ----------------
# Embedder parameters set by whoever runs the search, never searched over.
_RUN_PARAMS = frozenset({"graph", "memory", "verbose", "n_jobs", "random_state"})


def _numeric_params(est) -> dict[str, type]:
    """The numeric parameters of ``est``'s class a grid can search -> int or float.

    The type of the default, or, for a default that is not a number (a
    deprecated name's ``"deprecated"``, ``sample="auto"``), of the
    parameter's numeric constraint.  A meta-estimator's wrapped ``embedder``
    contributes its own as ``embedder__<name>`` (scikit-learn's nested names).
    """
    import inspect
    from numbers import Integral

    from sklearn.utils._param_validation import Interval

    from skgraphemb.base import _NON_RESULT_PARAMS

    signature = inspect.signature(type(est)).parameters
    defaults = {k: p.default for k, p in signature.items() if p.default is not inspect.Parameter.empty}
    constraints = getattr(type(est), "_parameter_constraints", {})
    kinds = {}
    for k, v in defaults.items():
        if k in _RUN_PARAMS or isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            kinds[k] = int if isinstance(v, int) else float
            continue
        if v not in ("deprecated", "auto") or k in _NON_RESULT_PARAMS:  # None: an optional setting
            continue
        interval = next((c for c in constraints.get(k, ()) if isinstance(c, Interval)), None)
        if interval is not None:
            kinds[k] = int if interval.type is Integral else float
    inner = est.get_params(deep=False).get("embedder")
    if inner is not None and hasattr(inner, "get_params"):
        kinds.update({f"embedder__{k}": kind for k, kind in _numeric_params(inner).items()})
    return kinds


def _classifier(labels) -> tuple[Any, Any, bool]:
    """(target, classifier, multilabel): one-vs-rest on binarised multi-label targets."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    clf = LogisticRegression(max_iter=1000)
    if isinstance(labels, np.ndarray):
        return labels, clf, False
    return MultiLabelBinarizer().fit_transform(labels), OneVsRestClassifier(clf), True


def _grid_search(est, graph, nodes, labels, grid: Mapping[str, list], cv: int, random_state, verbose: int = 0):
    """Fitted GridSearchCV of ``est``'s parameters against the macro-F1 of a logistic regression.

    A ``Pipeline`` (embedder on ``graph``, then the classifier of
    :func:`_classifier`) searched over ``grid`` ({parameter: values}) with
    shuffled ``cv``-fold CV of the labelled ``nodes``.  The embedding of a
    candidate does not depend on the fold (fit never reads y), so a joblib
    cache computes it once per candidate, not per fold.  Parameters in
    ``cv_results_`` are named ``embedder__<parameter>``.
    """
    import tempfile

    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    y, clf, multilabel = _classifier(labels)
    with tempfile.TemporaryDirectory(prefix="skgraphemb-tune-") as cache:
        pipe = Pipeline([("embedder", est.set_params(graph=graph, memory=cache)), ("clf", clf)])
        search = GridSearchCV(
            pipe,
            {f"embedder__{k}": v for k, v in grid.items()},
            # Rare labels can be absent from a fold: score them 0, quietly.
            scoring=make_scorer(f1_score, average="macro", zero_division=0),
            cv=_kfold(cv, multilabel, random_state),
            error_score="raise",
            verbose=verbose,
        )
        return search.fit(nodes, y)
