"""``KGEmbedder``: knowledge-graph embeddings (PyKEEN) as a scikit-learn estimator.

PyKEEN is imported inside the methods that need it (through
:func:`~skgraphemb._optional.import_optional`), never at module top, and
torch only by :mod:`skgraphemb.kg._torch_kernels`, which holds every use of
torch tensors (this module touches none), so
``import skgraphemb`` and ``KGEmbedder(...)``, ``clone`` and ``get_params``
work without them.

What ``fit`` does mirrors :func:`pykeen.pipeline.pipeline` step for step,
so that the same configuration and seed give the same model: seed every RNG
with ``random_seed``, map labels to ids as PyKEEN's ``TriplesFactory`` does
(sorted labels, duplicate triples dropped), build the model with
``random_seed`` and the pipeline's loss default, build the optimizer, the
sLCWA (or LCWA) training loop and a stopper, and call ``train``.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from skgraphemb._optional import import_optional
from skgraphemb.base import EmbeddingLookupMixin
from skgraphemb.exceptions import UnknownLabelError, UnknownNodeError
from skgraphemb.kg._labels import (
    _as_label_triples,
    _column_labels,
    _is_triples_factory,
    _n_rows,
    _vocabulary,
)
from skgraphemb.kg._pykeen_compat import (
    _CALLER,
    _gc_frozen,
    _model_width,
    _pykeen,
    _quiet_cpu_noise,
    _real_view,
    _resolve_class,
)
from skgraphemb.utils._device import (
    DEFAULT_DEVICE,
    DEVICE_CONSTRAINT,
    TorchStateMixin,
    resolve_engines,
    torch_threads,
)
from skgraphemb.utils._ids import format_ids
from skgraphemb.utils._random_state import seed_from_random_state
from skgraphemb.utils._validation import (
    COMMON_CONSTRAINTS,
    DEPRECATED,
    Integral,
    Interval,
    Real,
    StrOptions,
    _fit_context,
    constraints,
    deprecated_constraint,
    validate_params,
)
from skgraphemb.utils._warnings import warn

logger = logging.getLogger(__name__)

__all__ = ["KGEmbedder"]

_TARGETS = ("head", "relation", "tail")
#: Keys of ``training_kwargs`` that have their own parameter (or are ours).
_RESERVED_TRAINING = {
    "num_epochs": "epochs",
    "batch_size": "batch_size",
    "stopper": "early_stopping",
    "triples_factory": "X of fit",
}
_RESERVED_MODEL = {
    "embedding_dim": "n_components",
    "loss": "loss",
    "random_seed": "random_state",
    "triples_factory": "X of fit",
}
#: Scores are computed in blocks of this many elements (rows x candidates x
#: width) on the CPU, where PyKEEN's automatic batch sizing is not safe.
_CPU_ELEMENT_BUDGET = 2**25


class KGEmbedder(
    TorchStateMixin,
    EmbeddingLookupMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Knowledge-graph embeddings (TransE, RotatE, DistMult, ComplEx, ...) via PyKEEN.

    ``X`` is a set of (head, relation, tail) triples.  ``fit`` trains any
    PyKEEN model on them, the way :func:`pykeen.pipeline.pipeline` does
    (same seed and settings, same model), and keeps the plain matrices users
    ask PyKEEN for: ``entity_embeddings_``, ``relation_embeddings_``,
    ``entities_`` and ``relations_``.  ``transform(entities)`` looks up
    entity vectors by label; :meth:`predict_target` ranks candidate heads,
    relations or tails; :meth:`score_triples` scores triples;
    :meth:`evaluate` gives filtered MRR and Hits@k, and :meth:`score` (filtered
    MRR) makes the estimator a target for :class:`~sklearn.model_selection.GridSearchCV`.

    Needs the ``kg`` extra (``pip install "skgraphemb[kg]"``), imported at fit.

    Parameters
    ----------
    model : str or PyKEEN model class, default="TransE"
        Any model of :data:`pykeen.models.model_resolver`, by name
        (case-insensitive: ``"TransE"``, ``"RotatE"``, ``"DistMult"``,
        ``"ComplEx"``, ...) or class.
    n_components : int or None, default=None
        Embedding size passed to the model (PyKEEN's ``embedding_dim``);
        ``None`` keeps the model's own default (TransE and DistMult: 50;
        RotatE and ComplEx: 200, counted in complex numbers).

        .. versionchanged:: 0.1
           Renamed from ``embedding_dim``.
    epochs : int, default=100
        Training epochs (the maximum, with ``early_stopping``; PyKEEN's
        ``num_epochs``).

        .. versionchanged:: 0.1
           Renamed from ``num_epochs``.
    batch_size : int, default=256
        Training batch size (PyKEEN pipeline's default).
    learning_rate : float or None, default=None
        The optimizer's ``lr``; ``None`` keeps the optimizer's default
        (Adam: 0.001).
    optimizer : str or torch optimizer class, default="adam"
        Any optimizer of PyKEEN's ``optimizer_resolver`` (``"adam"``,
        ``"adagrad"``, ``"sgd"``, ...).
    loss : str, PyKEEN loss class or None, default=None
        ``None`` is what :func:`pykeen.pipeline.pipeline` does with no loss:
        the margin ranking loss (margin 1) for every model.  Name a loss to
        use another, e.g. ``"softplus"`` (ComplEx's own default) or
        ``"nssa"`` (RotatE's paper).
    negative_sampler : str, PyKEEN sampler class or None, default=None
        Negative sampler of the sLCWA training loop; ``None`` is PyKEEN's
        default, ``"basic"`` (uniform corruption of head or tail).  Must be
        ``None`` with ``training_loop="lcwa"``.
    training_loop : {"slcwa", "lcwa"}, default="slcwa"
        Stochastic local closed-world training with negative samples
        (PyKEEN's default) or local closed-world training (scores all
        entities for each (head, relation) pair).
    model_kwargs, loss_kwargs, optimizer_kwargs, negative_sampler_kwargs : dict or None, default=None
        Further keyword arguments of the model, loss, optimizer and negative
        sampler (e.g. ``negative_sampler_kwargs={"num_negs_per_pos": 8}``).
        A key that has its own parameter here (``embedding_dim``, ``lr``...)
        is an error.
    training_kwargs : dict or None, default=None
        Further keyword arguments of PyKEEN's ``TrainingLoop.train`` (e.g.
        ``label_smoothing``, ``sub_batch_size``, ``gradient_clipping_max_norm``).
        ``num_epochs`` (``epochs``), ``batch_size`` and ``stopper``
        (``early_stopping``) have their own parameters.
    early_stopping : bool, default=False
        Stop training when the validation metric stops improving (PyKEEN's
        ``EarlyStopper``).  Validation triples are ``X_valid`` of :meth:`fit`,
        or else a ``validation_fraction`` of ``X`` set aside (PyKEEN's
        ``split``, which keeps every entity in the training part).  When the
        stopper stops, the weights of the best evaluation are restored.
    validation_fraction : float, default=0.1
        Share of ``X`` held out for early stopping when no ``X_valid`` is given.
    stopper_kwargs : dict or None, default=None
        Keyword arguments of PyKEEN's ``EarlyStopper``: ``frequency``
        (evaluate every that many epochs, default 10), ``patience`` (default
        2), ``relative_delta`` (default 0.01), ``metric`` (default
        ``"hits_at_k"``, i.e. Hits@10).
    handle_unknown : {"warn", "ignore", "error"}, default="warn"
        What :meth:`evaluate`, :meth:`score`, :meth:`score_triples` and
        ``X_valid`` do with triples whose entity or relation was not seen at
        fit (a cross-validation test fold can hold some): ``"warn"`` leaves
        them out (``score_triples``: scores them NaN) with a warning saying
        how many, ``"ignore"`` does the same silently, ``"error"`` raises an
        :class:`~skgraphemb.UnknownLabelError`.  The vocabulary is the
        entities and relations of the training triples.
    evaluation_batch_size : int or None, default=None
        Triples per batch when evaluating and ranking.  ``None`` lets PyKEEN
        find the largest that fits on a GPU and, on the CPU (where that search
        is not safe), caps the scores held at once at about 2**25 numbers.
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        ``"cpu"``, the default of every ``device`` parameter in skgraphemb,
        so results never depend on whether the machine has a GPU;
        ``"auto"`` (opt-in: CUDA when available, else the CPU), ``"cuda"``
        or ``"cuda:N"``.  An explicit CUDA device on a machine without one is an
        error at fit.  A model fitted on a GPU and pickled loads on a CPU-only
        machine (with a :class:`~skgraphemb.utils._device.DeviceMappingWarning`).

        .. versionchanged:: 0.1
           The default was ``"auto"``.
    n_jobs : int or None, default=None
        torch threads (intra-op) while fitting, evaluating and predicting;
        torch's own setting is restored afterwards.  ``None`` means 1 unless
        in a :func:`joblib.parallel_config` context; ``-1`` means all cores.
        On a busy or shared machine one thread can be several times faster
        than oversubscribed cores.
    random_state : int, RandomState instance or None, default=None
        Seed of PyKEEN's ``random_seed`` (model initialisation, negative
        sampling, batch order).  An int is passed as it is, so
        ``random_state=42`` reproduces ``pipeline(..., random_seed=42)``;
        otherwise a seed is drawn from it.  PyKEEN seeds Python's, numpy's
        and torch's global generators; ``fit`` restores them afterwards.
    verbose : int, default=0
        ``1``: progress bars over epochs (and evaluation); ``2``: also over
        batches.
    embedding_dim : int or None, default="deprecated"
        Deprecated name of ``n_components``.

        .. deprecated:: 0.1
           Renamed ``n_components``; will be removed in 0.2.
    num_epochs : int, default="deprecated"
        Deprecated name of ``epochs``.

        .. deprecated:: 0.1
           Renamed ``epochs``; will be removed in 0.2.

    Attributes
    ----------
    entity_embeddings_ : ndarray of shape (n_entities, width), float32
        The model's (first) entity representation, one row per entity in
        ``entities_`` order.  Complex-valued models (ComplEx, RotatE) give
        ``width = 2 * n_components``: real parts in the first
        ``n_components`` columns, imaginary parts in the rest.
    relation_embeddings_ : ndarray of shape (n_relations, width_r), float32
        The model's (first) relation representation, flattened per relation,
        the same real view for complex values.
    entities_ : ndarray of shape (n_entities,)
        Entity labels (str, or int64 for integer labels), sorted; row ``i``
        of ``entity_embeddings_`` and id ``i`` of the model.
    relations_ : ndarray of shape (n_relations,)
        Relation labels, sorted as PyKEEN sorts them.
    embedding_ : ndarray
        Same as ``entity_embeddings_`` (the table ``transform`` reads).
    nodes_ : ndarray
        Same as ``entities_``.
    mapped_triples_ : ndarray of shape (n_train_triples, 3), int64
        The distinct training triples as (head id, relation id, tail id),
        sorted (PyKEEN's ``TriplesFactory.mapped_triples``).
    model_ : pykeen.models.Model
        The trained PyKEEN model, for PyKEEN's own tools.
    device_ : str
        Device the model is on (``"cpu"``, ``"cuda:0"``...).
    random_seed_ : int
        The seed PyKEEN was given.
    history_ : list of float
        Training loss of each epoch.
    n_epochs_ : int
        Epochs trained (fewer than ``epochs`` when stopped early).
    best_epoch_ : int or None
        With ``early_stopping``: epoch of the best validation result.
    validation_scores_ : list of float
        With ``early_stopping``: the validation metric at each evaluation.
    n_features_in_ : int
        3 (head, relation, tail).
    fit_time_ : float
        Seconds spent in ``fit``.

    See Also
    --------
    pykeen.pipeline.pipeline : The PyKEEN call ``fit`` reproduces.
    Node2VecEmbedder : Embeddings of plain (untyped) graphs.

    Notes
    -----
    *Vocabulary and unseen labels.*  Entities and relations are those of the
    training triples.  Labels are strings or integers and keep their type;
    string labels get exactly the ids PyKEEN's ``TriplesFactory`` gives them
    (sorted), so a model fitted here and one from the pipeline line up.
    Duplicate triples are dropped, as PyKEEN does.  Triples of other labels
    are handled at prediction time by ``handle_unknown``.

    *Filtered evaluation* ranks each test triple's true head (tail) among all
    entities after removing the other heads (tails) that make known triples:
    the training triples, the evaluated triples and any ``filter_triples``
    (Bordes et al., 2013).  Ranks are PyKEEN's "realistic" ranks (ties count
    half) over both sides.

    *Pickling.*  The PyKEEN model is stored as its ``state_dict`` (tensors
    only, loaded with ``weights_only=True``) and rebuilt from the fitted
    configuration on load, on the fitted device when this machine has it and
    on the CPU otherwise.

    References
    ----------
    .. [1] M. Ali et al., "PyKEEN 1.0: A Python Library for Training and
       Evaluating Knowledge Graph Embeddings", JMLR 22(82), 2021.
    .. [2] A. Bordes et al., "Translating Embeddings for Modeling
       Multi-relational Data", NeurIPS 2013.

    Examples
    --------
    >>> from skgraphemb import KGEmbedder, load_kg
    >>> nations = load_kg("nations")
    >>> kge = KGEmbedder("TransE", n_components=16, epochs=5, random_state=0)
    >>> Z = kge.fit_transform(nations.train)
    >>> Z.shape, Z.dtype
    ((14, 16), dtype('float32'))
    >>> kge.transform(["brazil", "usa"]).shape
    (2, 16)
    >>> kge.predict_target(head="brazil", relation="intergovorgs").columns.tolist()
    ['tail_id', 'tail_label', 'score', 'in_training']
    >>> sorted(kge.evaluate(nations.test, filter_triples=nations.valid))
    ['hits@1', 'hits@10', 'hits@3', 'mean_rank', 'mrr', 'n_triples']
    """

    _parameter_constraints: dict = {
        "model": [str, type],
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "embedding_dim": deprecated_constraint([None, Interval(Integral, 1, None, closed="left")]),
        "epochs": COMMON_CONSTRAINTS["epochs"],
        "num_epochs": deprecated_constraint(COMMON_CONSTRAINTS["epochs"]),
        "batch_size": COMMON_CONSTRAINTS["batch_size"],
        "learning_rate": [None, *COMMON_CONSTRAINTS["learning_rate"]],
        "optimizer": [str, type],
        "loss": [None, str, type],
        "negative_sampler": [None, str, type],
        "training_loop": [StrOptions({"slcwa", "lcwa"})],
        "model_kwargs": [None, dict],
        "loss_kwargs": [None, dict],
        "optimizer_kwargs": [None, dict],
        "negative_sampler_kwargs": [None, dict],
        "training_kwargs": [None, dict],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "stopper_kwargs": [None, dict],
        "handle_unknown": [StrOptions({"warn", "ignore", "error"})],
        "evaluation_batch_size": [None, Interval(Integral, 1, None, closed="left")],
        "device": DEVICE_CONSTRAINT,
        **constraints("n_jobs", "random_state", "verbose"),
    }

    _torch_attributes = ("model_",)

    _renamed_params = {"n_components": "embedding_dim", "epochs": "num_epochs"}

    _required_fitted = ("embedding_", "nodes_", "entities_", "relations_", "model_")
    _divergence_hint = "Lower learning_rate, or use a loss or optimizer that keeps the scores bounded."

    def __init__(
        self,
        model="TransE",
        n_components=None,
        *,
        epochs=100,
        batch_size=256,
        learning_rate=None,
        optimizer="adam",
        loss=None,
        negative_sampler=None,
        training_loop="slcwa",
        model_kwargs=None,
        loss_kwargs=None,
        optimizer_kwargs=None,
        negative_sampler_kwargs=None,
        training_kwargs=None,
        early_stopping=False,
        validation_fraction=0.1,
        stopper_kwargs=None,
        handle_unknown="warn",
        evaluation_batch_size=None,
        device=DEFAULT_DEVICE,
        n_jobs=None,
        random_state=None,
        verbose=0,
        embedding_dim=DEPRECATED,
        num_epochs=DEPRECATED,
    ):
        self.model = model
        self.n_components = n_components
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.loss = loss
        self.negative_sampler = negative_sampler
        self.training_loop = training_loop
        self.model_kwargs = model_kwargs
        self.loss_kwargs = loss_kwargs
        self.optimizer_kwargs = optimizer_kwargs
        self.negative_sampler_kwargs = negative_sampler_kwargs
        self.training_kwargs = training_kwargs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.stopper_kwargs = stopper_kwargs
        self.handle_unknown = handle_unknown
        self.evaluation_batch_size = evaluation_batch_size
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.embedding_dim = embedding_dim
        self.num_epochs = num_epochs

    # -- fitting ---------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, X_valid=None):
        """Train the model on triples.

        Parameters
        ----------
        X : array-like of shape (n_triples, 3), DataFrame or TriplesFactory
            (head, relation, tail) labels (strings or integers; a DataFrame's
            first three columns), or a PyKEEN ``TriplesFactory`` (its labels
            and ids are used as they are).
        y : None
            Ignored.
        X_valid : array-like of shape (n_valid, 3) or TriplesFactory, default=None
            Validation triples for ``early_stopping`` (otherwise unused).
            Triples with labels not in ``X`` are left out (``handle_unknown``).

        Returns
        -------
        self : KGEmbedder
            The fitted estimator.
        """
        self._check_renamed_params()
        from skgraphemb.kg import _torch_kernels as kernels

        pykeen = _pykeen()
        (device,) = resolve_engines(self.device, _CALLER)
        self._check_kwargs()
        start = time.perf_counter()

        self._set_vocabulary(X)
        # 31 bits when drawn: PyKEEN seeds numpy's global RNG with it (< 2**32).
        self.random_seed_ = seed_from_random_state(self.random_state, bits=31)
        with (
            kernels.isolated_global_rngs(device),  # PyKEEN seeds all three
            _quiet_cpu_noise(device),
            torch_threads(self.n_jobs),
            _gc_frozen(),
        ):
            # As pykeen.pipeline: seed everything first, then build in order.
            pykeen.utils.set_random_seed(self.random_seed_)
            factory = self._factory()
            valid_factory = None
            if self.early_stopping:
                factory, valid_factory = self._validation_split(factory, X_valid)
            model = self._build_model(factory, device)
            losses, stopper = self._train(model, factory, valid_factory, device)

        self.model_ = model
        self.device_ = device
        self.history_ = [float(v) for v in losses]
        self.n_epochs_ = len(self.history_)
        self.best_epoch_ = getattr(stopper, "best_epoch", None)
        self.validation_scores_ = [float(v) for v in getattr(stopper, "results", [])]
        self._set_embeddings()
        self.fit_time_ = time.perf_counter() - start
        logger.info(
            "%s trained %s on %d triples (%d entities, %d relations) for %d epochs on %s in %.2fs",
            _CALLER,
            type(model).__name__,
            len(self.mapped_triples_),
            len(self.entities_),
            len(self.relations_),
            self.n_epochs_,
            self.device_,
            self.fit_time_,
        )
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the embeddings of all entities.

        Returns
        -------
        embedding : ndarray of shape (n_entities, width), float32
            ``entity_embeddings_``: one row per entity in ``entities_`` order
            (a DataFrame indexed by entity with pandas output).
        """
        self.fit(X, y, **fit_params)
        return self._output(self.embedding_, self.entities_, checked=True)

    def _check_kwargs(self) -> None:
        for name, reserved in (("model_kwargs", _RESERVED_MODEL), ("training_kwargs", _RESERVED_TRAINING)):
            for key in getattr(self, name) or {}:
                if key in reserved:
                    renamed = f" (formerly the {key!r} parameter)" if key in self._renamed_params.values() else ""
                    raise ValueError(
                        f"{_CALLER}: {name} must not set {key!r}; use the {reserved[key]!r} parameter instead{renamed}"
                    )
        if self.learning_rate is not None and "lr" in (self.optimizer_kwargs or {}):
            raise ValueError(f"{_CALLER}: optimizer_kwargs sets 'lr' and learning_rate is set too; use learning_rate")
        if self.training_loop == "lcwa" and (self.negative_sampler is not None or self.negative_sampler_kwargs):
            raise ValueError(
                f"{_CALLER}: negative_sampler is for training_loop='slcwa'; LCWA training "
                "scores all entities and samples no negatives. Leave negative_sampler=None"
            )
        if not self.early_stopping and self.stopper_kwargs:
            warn(
                f"{_CALLER}: stopper_kwargs is set but early_stopping=False, so it is not used",
                UserWarning,
            )

    def _set_vocabulary(self, X) -> None:
        """Entities, relations and the mapped training triples from X."""
        from pykeen.triples.triples_factory import create_entity_mapping, create_relation_mapping

        self.n_features_in_ = 3
        self._create_inverse = False
        self._lookup_cache = {}
        if _is_triples_factory(X):
            from skgraphemb.kg import _torch_kernels as kernels

            mapped = kernels.mapped_triples(X)
            if len(mapped) == 0:
                raise ValueError(f"{_CALLER}: the TriplesFactory holds no triples")
            self._create_inverse = bool(getattr(X, "create_inverse_triples", False))
            ent = getattr(X, "entity_id_to_label", None)
            rel = getattr(X, "relation_id_to_label", None)
            n_rel = getattr(X, "real_num_relations", X.num_relations)
            self.entities_ = np.array([ent[i] for i in range(X.num_entities)]) if ent else np.arange(X.num_entities)
            self.relations_ = np.array([rel[i] for i in range(n_rel)]) if rel else np.arange(n_rel)
            self.mapped_triples_ = mapped  # as PyKEEN would train on them
            self._check_vocabulary()
            return
        heads, rels, tails = _as_label_triples(X, caller=_CALLER)
        self.entities_ = _vocabulary(
            np.concatenate([heads, tails]),
            lambda _: create_entity_mapping(np.stack([heads, rels.astype(str), tails], axis=1)),
        )
        self.relations_ = _vocabulary(rels, create_relation_mapping)
        mapped = np.stack([self._ids(heads, "entity"), self._ids(rels, "relation"), self._ids(tails, "entity")], axis=1)
        # PyKEEN keeps distinct triples, sorted (np.unique in TriplesFactory).
        self.mapped_triples_ = np.unique(mapped, axis=0)
        self._check_vocabulary()

    def _check_vocabulary(self) -> None:
        """Refuse a vocabulary no model can be trained on."""
        if len(self.entities_) < 2:
            raise ValueError(
                f"{_CALLER}: the triples hold a single entity ({format_ids(self.entities_.tolist())}); "
                "a knowledge-graph embedding needs at least 2 entities (training corrupts heads "
                "and tails into other entities). Add triples with more entities"
            )

    def _factory(self):
        """The training triples as a PyKEEN TriplesFactory (labels as strings)."""
        from pykeen.triples import TriplesFactory

        from skgraphemb.kg import _torch_kernels as kernels

        return kernels.triples_factory(
            TriplesFactory,
            self.mapped_triples_,
            entity_to_id={str(label): i for i, label in enumerate(self.entities_.tolist())},
            relation_to_id={str(label): i for i, label in enumerate(self.relations_.tolist())},
            create_inverse_triples=self._create_inverse,
        )

    @property
    def triples_factory_(self):
        """The training triples as a PyKEEN ``TriplesFactory`` (for PyKEEN's tools)."""
        self._check_fitted()
        return self._factory()

    def _validation_split(self, factory, X_valid):
        from skgraphemb.kg import _torch_kernels as kernels

        if X_valid is None:
            train, valid = factory.split(
                [1.0 - self.validation_fraction, self.validation_fraction],
                random_state=self.random_seed_,
            )
            self.mapped_triples_ = kernels.mapped_triples(train)
            return train, valid
        mapped = self._map_triples(X_valid, what="X_valid")
        if len(mapped) == 0:
            raise ValueError(
                f"{_CALLER}: no triple of X_valid has only entities and relations of X, so "
                "there is nothing to validate early stopping on"
            )
        valid = kernels.triples_factory(
            type(factory),
            mapped,
            entity_to_id=factory.entity_to_id,
            relation_to_id=factory.relation_to_id,
        )
        return factory, valid

    def _model_spec(self) -> dict:
        """What builds the model: kept so that unpickling can rebuild it."""
        from pykeen.losses import loss_resolver
        from pykeen.models import model_resolver

        kwargs = dict(self.model_kwargs or {})
        n_components = self._param("n_components")
        if n_components is not None:
            kwargs["embedding_dim"] = int(n_components)
        if self.loss is not None:
            _resolve_class(loss_resolver, self.loss, "loss")
        return {
            "model": _resolve_class(model_resolver, self.model, "model"),
            "kwargs": kwargs,
            "loss": self.loss,
            "loss_kwargs": dict(self.loss_kwargs or {}),
        }

    def _build_model(self, factory, device):
        spec = self._spec = self._model_spec()
        model = self._make_model(spec, factory, device)
        if not getattr(model, "entity_representations", None):
            raise ValueError(
                f"{_CALLER}: model {spec['model'].__name__} has no entity representations to "
                "return; choose an embedding model such as TransE, RotatE, DistMult or ComplEx"
            )
        return model

    def _make_model(self, spec, factory, device):
        """Instantiate as pykeen.pipeline's ``_build_model_helper`` does."""
        from pykeen.losses import loss_resolver
        from pykeen.models import model_resolver

        kwargs = dict(spec["kwargs"])
        kwargs["random_seed"] = self.random_seed_
        kwargs["loss"] = loss_resolver.make(spec["loss"], spec["loss_kwargs"] or None)
        try:
            model = model_resolver.make(spec["model"], triples_factory=factory, **kwargs)
        except TypeError as e:
            raise TypeError(
                f"{_CALLER}: could not build {spec['model'].__name__} with "
                f"{sorted(k for k in kwargs if k not in ('loss', 'random_seed'))}: {e}. "
                "Check model_kwargs and n_components against the model's parameters."
            ) from e
        return model.to(device)

    def _train(self, model, factory, valid_factory, device):
        from pykeen.evaluation import RankBasedEvaluator
        from pykeen.sampling import negative_sampler_resolver
        from pykeen.stoppers import EarlyStopper, NopStopper
        from pykeen.training import training_loop_resolver

        optimizer_kwargs = dict(self.optimizer_kwargs or {})
        if self.learning_rate is not None:
            optimizer_kwargs["lr"] = float(self.learning_rate)
        from skgraphemb.kg import _torch_kernels as kernels

        optimizer = kernels.make_optimizer(self.optimizer, optimizer_kwargs, model.get_grad_params())

        loop_cls = training_loop_resolver.lookup(self.training_loop)
        loop_kwargs: dict[str, Any] = {}
        if self.negative_sampler is not None:
            loop_kwargs["negative_sampler"] = _resolve_class(
                negative_sampler_resolver, self.negative_sampler, "negative sampler"
            )
        if self.negative_sampler_kwargs:
            loop_kwargs["negative_sampler_kwargs"] = dict(self.negative_sampler_kwargs)
        loop = loop_cls(model=model, triples_factory=factory, optimizer=optimizer, **loop_kwargs)

        train_kwargs: dict[str, Any] = {
            "use_tqdm": self.verbose > 0,
            "use_tqdm_batch": self.verbose > 1,
            # Pinned memory only helps a GPU (and torch warns about it on CPU).
            "pin_memory": device.startswith("cuda"),
        }
        train_kwargs.update(self.training_kwargs or {})
        with contextlib.ExitStack() as stack:
            if self.early_stopping:
                stopper_kwargs = dict(self.stopper_kwargs or {})
                # The best weights go to a folder we own, not ~/.data/pykeen.
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="skgraphemb-kg-"))
                stopper_kwargs.setdefault("best_model_path", Path(folder) / "best.pt")
                stopper_kwargs.setdefault("use_tqdm", self.verbose > 0)
                stopper_kwargs.setdefault(
                    "evaluation_batch_size",
                    self._eval_batch_size(len(valid_factory.mapped_triples), device, _model_width(model)),
                )
                try:
                    stopper = EarlyStopper(
                        model=model,
                        evaluator=RankBasedEvaluator(),
                        training_triples_factory=factory,
                        evaluation_triples_factory=valid_factory,
                        **stopper_kwargs,
                    )
                except TypeError as e:
                    raise TypeError(f"{_CALLER}: bad stopper_kwargs: {e}") from e
            else:
                stopper = NopStopper()
            with warnings.catch_warnings():
                # PyKEEN's own loop passes shuffle=True and then deprecates it
                # (pykeen 1.11); nothing a user of this class can change.
                warnings.filterwarnings(
                    "ignore", message="Training instances are always shuffled", category=DeprecationWarning
                )
                losses = loop.train(
                    triples_factory=factory,
                    num_epochs=int(self._param("epochs")),
                    batch_size=int(self.batch_size),
                    stopper=stopper,
                    clear_optimizer=True,
                    **train_kwargs,
                )
        return losses, stopper

    def _set_embeddings(self) -> None:
        from skgraphemb.kg import _torch_kernels as kernels

        ent, rel = kernels.entity_and_relation_arrays(self.model_)
        self.entity_embeddings_ = _real_view(ent)
        if rel is not None and self._create_inverse:
            rel = rel[: len(self.relations_)]  # inverse relations come after the real ones
        self.relation_embeddings_ = (
            _real_view(rel) if rel is not None else np.empty((len(self.relations_), 0), np.float32)
        )
        from skgraphemb.base import _check_finite_embedding

        _check_finite_embedding(self, self.entity_embeddings_)
        _check_finite_embedding(self, self.relation_embeddings_)
        self.embedding_ = self.entity_embeddings_
        self.nodes_ = self.entities_
        self._n_features_out = self.embedding_.shape[1]

    # -- label lookup ----------------------------------------------------------
    def _label_index(self, kind: str):
        import pandas as pd

        cache = self.__dict__.setdefault("_lookup_cache", {})
        if kind not in cache:
            cache[kind] = pd.Index(self.entities_ if kind == "entity" else self.relations_)
        return cache[kind]

    def _ids(self, labels: np.ndarray, kind: str) -> np.ndarray:
        """Ids of labels; -1 for labels not in the vocabulary."""
        index = self._label_index(kind)
        vocab_int = index.dtype.kind in "iu"
        if vocab_int != (labels.dtype.kind in "iu"):
            return np.full(len(labels), -1, dtype=np.int64)  # strings never match int labels
        return index.get_indexer(labels).astype(np.int64)

    def _map_triples(self, X, *, what: str, keep_rows: bool = False, policy: str | None = None) -> np.ndarray:
        """(n, 3) ids of triples X, unknown rows dropped (or set to -1 with ``keep_rows``).

        ``policy`` overrides ``handle_unknown`` ("warn", "ignore", "error").
        """
        if _is_triples_factory(X):
            # Labelled factories give their labels; others their ids as int labels.
            if hasattr(X, "entity_id_to_label"):
                X = X.triples
            else:
                from skgraphemb.kg import _torch_kernels as kernels

                X = kernels.mapped_triples(X)
        heads, rels, tails = _as_label_triples(X, caller=f"{_CALLER}: {what}")
        mapped = np.stack([self._ids(heads, "entity"), self._ids(rels, "relation"), self._ids(tails, "entity")], axis=1)
        bad = (mapped < 0).any(axis=1)
        if bad.any():
            self._unknown(heads, rels, tails, mapped, bad, what, policy or self.handle_unknown)
        if keep_rows:
            mapped[bad] = -1
            return mapped
        return mapped[~bad]

    def _unknown(self, heads, rels, tails, mapped, bad, what: str, policy: str) -> None:
        unknown_ent = list(dict.fromkeys(np.concatenate([heads[mapped[:, 0] < 0], tails[mapped[:, 2] < 0]]).tolist()))
        unknown_rel = list(dict.fromkeys(rels[mapped[:, 1] < 0].tolist()))
        parts = []
        if unknown_ent:
            parts.append(
                f"{len(unknown_ent)} unknown entit{'y' if len(unknown_ent) == 1 else 'ies'} ({format_ids(unknown_ent)})"
            )
        if unknown_rel:
            parts.append(
                f"{len(unknown_rel)} unknown relation{'s' * (len(unknown_rel) != 1)} ({format_ids(unknown_rel)})"
            )
        detail = " and ".join(parts)
        n_bad = int(bad.sum())
        if policy == "error":
            raise UnknownLabelError(
                f"{_CALLER}: {n_bad} of {len(bad)} triples in {what} have labels not seen at fit: "
                f"{detail}. Set handle_unknown='warn' or 'ignore' to leave such triples out.",
                unknown_ent + unknown_rel,
            )
        if policy == "warn":
            warn(
                f"{_CALLER}: {n_bad} of {len(bad)} triples in {what} have labels not seen at fit "
                f"({detail}); they are left out.",
                UserWarning,
            )

    def _label_id(self, label, kind: str) -> int:
        """The id of one entity/relation label, or an UnknownLabelError with close matches."""
        labels = self.entities_ if kind == "entity" else self.relations_
        try:
            i = int(self._ids(_column_labels(np.array([label], dtype=object), kind), kind)[0])
        except ValueError:  # not a string or an int: cannot be a label
            i = -1
        if i >= 0:
            return i
        names = [str(v) for v in labels.tolist()]
        close = difflib.get_close_matches(str(label), names, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownLabelError(
            f"{_CALLER}: unknown {kind} {label!r}: it is not among the {len(labels)} "
            f"{'entities' if kind == 'entity' else 'relations'} seen at fit.{hint} "
            f"See the fitted {'entities_' if kind == 'entity' else 'relations_'}.",
            [label],
            kind=kind,
            suggestions=close,
        )

    # -- using the model -------------------------------------------------------
    def transform(self, X):
        """Embeddings of the given entities.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Entity labels seen at fit.

        Returns
        -------
        embedding : ndarray of shape (n_samples, width), float32
            Rows of ``entity_embeddings_`` in the order of X (a DataFrame
            indexed by entity with pandas output).

        Raises
        ------
        UnknownLabelError
            An :class:`~skgraphemb.UnknownNodeError` (a ``ValueError``) naming
            the labels that are not entities of the fit, with close matches.
        """
        self._check_fitted()
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] == 3:
            raise ValueError(
                f"{_CALLER}.transform takes entity labels (n,) and returns their embeddings; "
                "got (n, 3) triples. To score triples use score_triples; for the embeddings "
                "of all entities use fit_transform or entity_embeddings_"
            )
        return super().transform(X)

    def _positions(self, ids) -> np.ndarray:
        try:
            return super()._positions(ids)
        except UnknownLabelError:
            raise
        except UnknownNodeError as e:
            raise self._unknown_entities(e.missing) from None

    def _unknown_entities(self, missing: list) -> UnknownLabelError:
        """The UnknownLabelError for entity labels not seen at fit, with close matches."""
        names = [str(v) for v in self.entities_.tolist()]
        close: list[str] = []
        for label in missing[:3]:  # difflib scans the whole vocabulary per label
            for match in difflib.get_close_matches(str(label), names, n=3, cutoff=0.5):
                if match not in close:
                    close.append(match)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        what = "entity" if len(missing) == 1 else "entities"
        return UnknownLabelError(
            f"{_CALLER}: {len(missing)} unknown {what} ({format_ids(missing)}): not among the "
            f"{len(names)} entities seen at fit.{hint} See the fitted entities_.",
            missing,
            kind="entity",
            suggestions=close,
        )

    def _output(self, Z: np.ndarray, ids, *, checked: bool = False) -> Any:
        out = super()._output(Z, ids, checked=checked)
        if hasattr(out, "index"):
            out.index.name = "entity"
        return out

    def _eval_batch_size(self, n_rows: int, device, width: int) -> int | None:
        """Explicit batch size on the CPU (PyKEEN's memory search is GPU-only)."""
        if self.evaluation_batch_size is not None:
            return int(self.evaluation_batch_size)
        if device != "cpu":
            return None
        n_cand = max(len(self.entities_), 1)
        return int(max(1, min(max(n_rows, 1), _CPU_ELEMENT_BUDGET // (n_cand * width))))

    def _model_device(self) -> str:
        return str(self.device_)

    @validate_params(
        {"top_k": [Interval(Integral, 1, None, closed="left"), None], "remove_known": ["boolean"]},
        prefer_skip_nested_validation=True,
    )
    def predict_target(self, head=None, relation=None, tail=None, *, top_k=None, remove_known=False):
        """Rank every candidate for the missing part of a triple.

        Give exactly two of ``head``, ``relation``, ``tail``; the third is
        predicted, as :func:`pykeen.predict.predict_target` does.

        Parameters
        ----------
        head, relation, tail : label or None
            Labels seen at fit; the one left ``None`` is the target.
        top_k : int or None, default=None
            Keep only the ``top_k`` best candidates.
        remove_known : bool, default=False
            Leave out candidates that make a training triple.

        Returns
        -------
        predictions : pandas.DataFrame
            One row per candidate, best first (index 0, 1, ...): columns
            ``<target>_id`` (id into ``entities_``/``relations_``),
            ``<target>_label``, ``score`` (higher is more plausible; the
            model's ``predict`` scores) and ``in_training`` (the triple is a
            training triple).  Ties keep id order.

        Raises
        ------
        UnknownLabelError
            A given label was not seen at fit; the message suggests close matches.
        """
        self._check_fitted()
        import pandas as pd

        from skgraphemb.kg import _torch_kernels as kernels

        given = {"head": head, "relation": relation, "tail": tail}
        missing = [k for k, v in given.items() if v is None]
        if len(missing) != 1:
            raise ValueError(
                f"{_CALLER}.predict_target needs exactly two of head, relation and tail (the "
                f"third is predicted); got {3 - len(missing)}: "
                f"{', '.join(k for k in _TARGETS if given[k] is not None) or 'none'}"
            )
        target = missing[0]
        ids = {
            k: self._label_id(v, "relation" if k == "relation" else "entity") for k, v in given.items() if v is not None
        }
        other = [k for k in _TARGETS if k != target]
        pair = (ids[other[0]], ids[other[1]])
        with torch_threads(self.n_jobs):
            scores = kernels.predict_target_scores(self.model_, pair, target, self._model_device())
        labels = self.relations_ if target == "relation" else self.entities_
        scores = scores[: len(labels)]  # inverse relations (if any) are not candidates
        known = self._known_targets(target, ids)
        order = np.argsort(-scores, kind="stable")
        df = pd.DataFrame(
            {
                f"{target}_id": order,
                f"{target}_label": labels[order],
                "score": scores[order].astype(np.float64),
                "in_training": np.isin(order, known),
            }
        )
        if remove_known:
            df = df[~df["in_training"].to_numpy()]
        if top_k is not None:
            df = df.iloc[: int(top_k)]
        return df.reset_index(drop=True)

    def _known_targets(self, target: str, ids: dict) -> np.ndarray:
        col = _TARGETS.index(target)
        m = self.mapped_triples_
        mask = np.ones(len(m), dtype=bool)
        for k, v in ids.items():
            mask &= m[:, _TARGETS.index(k)] == v
        return np.unique(m[mask, col])

    def score_triples(self, X) -> np.ndarray:
        """Plausibility scores of triples (the model's ``predict_hrt``).

        Parameters
        ----------
        X : array-like of shape (n_triples, 3) or TriplesFactory
            (head, relation, tail) labels.

        Returns
        -------
        scores : ndarray of shape (n_triples,), float32
            Higher is more plausible; on the model's scale (e.g. negative
            distances for TransE).  Triples with labels not seen at fit score
            NaN (``handle_unknown="warn"`` or ``"ignore"``) or raise
            (``"error"``).
        """
        self._check_fitted()
        from skgraphemb.kg import _torch_kernels as kernels

        mapped = self._map_triples(X, what="X", keep_rows=True)
        out = np.full(len(mapped), np.nan, dtype=np.float32)
        ok = np.flatnonzero(mapped[:, 0] >= 0)
        with torch_threads(self.n_jobs):
            out[ok] = kernels.score_hrt(self.model_, mapped[ok], self._model_device())
        return out

    def evaluate(self, X, *, filtered=True, filter_triples=None):
        """Rank-based link-prediction metrics of triples (PyKEEN's evaluator).

        For each triple the true head and the true tail are ranked against
        all entities (both sides averaged), with PyKEEN's
        :class:`~pykeen.evaluation.RankBasedEvaluator`.

        Parameters
        ----------
        X : array-like of shape (n_triples, 3) or TriplesFactory
            Test triples.  Triples with labels not seen at fit are left out
            (``handle_unknown``).
        filtered : bool, default=True
            Filtered setting: candidates that make a known triple (training
            triples, the triples of X, ``filter_triples``) are not counted
            above the true one.
        filter_triples : array-like of shape (m, 3), or a list of them, default=None
            Further known triples to filter, e.g. the validation triples (what
            :func:`pykeen.pipeline.pipeline` does when testing).  Unknown
            labels in them are ignored.

        Returns
        -------
        metrics : dict
            ``"mrr"`` (mean reciprocal rank), ``"hits@1"``, ``"hits@3"``,
            ``"hits@10"``, ``"mean_rank"`` -- PyKEEN's
            ``both.realistic.*`` values -- and ``"n_triples"``, the number of
            triples ranked.
        """
        self._check_fitted()
        import_optional("pykeen", _CALLER)
        from skgraphemb.kg import _torch_kernels as kernels

        mapped = self._map_triples(X, what="X")
        if len(mapped) == 0:
            raise ValueError(
                f"{_CALLER}: none of the {_n_rows(X)} triples to evaluate has only entities and "
                "relations seen at fit, so there is nothing to rank. Fit on triples that cover "
                "the test entities (e.g. a larger training fold)."
            )
        extra = []
        if filtered and filter_triples is not None:
            groups = (
                filter_triples
                if isinstance(filter_triples, list)
                and filter_triples
                and (_is_triples_factory(filter_triples[0]) or np.ndim(filter_triples[0]) == 2)
                else [filter_triples]
            )
            for group in groups:
                m = self._map_triples(group, what="filter_triples", policy="ignore")
                if len(m):
                    extra.append(m)
        device = self._model_device()
        evaluator = kernels.rank_evaluator(filtered)
        with _quiet_cpu_noise(device), torch_threads(self.n_jobs):
            result = kernels.evaluate(
                evaluator,
                self.model_,
                mapped,
                filter_triples=[self.mapped_triples_, *extra] if filtered else None,
                batch_size=self._eval_batch_size(len(mapped), device, _model_width(self.model_)),
                use_tqdm=self.verbose > 0,
            )
        get = result.get_metric
        return {
            "mrr": float(get("both.realistic.inverse_harmonic_mean_rank")),
            "hits@1": float(get("both.realistic.hits_at_1")),
            "hits@3": float(get("both.realistic.hits_at_3")),
            "hits@10": float(get("both.realistic.hits_at_10")),
            "mean_rank": float(get("both.realistic.arithmetic_mean_rank")),
            "n_triples": int(len(mapped)),
        }

    def score(self, X, y=None):
        """Filtered MRR of triples: the default score of a grid search.

        Parameters
        ----------
        X : array-like of shape (n_triples, 3)
            Test triples (e.g. a cross-validation test fold).  Triples with
            labels not seen at fit are left out (``handle_unknown``).
        y : None
            Ignored.

        Returns
        -------
        mrr : float
            ``evaluate(X, filtered=True)["mrr"]``.
        """
        return self.evaluate(X, filtered=True)["mrr"]

    # -- persistence -----------------------------------------------------------
    def _get_torch_state(self) -> dict:
        from skgraphemb.kg import _torch_kernels as kernels

        return kernels.model_state(self.model_)

    def _set_torch_state(self, state: dict, device) -> None:
        missing = [
            n for n in ("_spec", "entities_", "relations_", "mapped_triples_", "random_seed_") if not hasattr(self, n)
        ]
        if missing:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"cannot restore this {_CALLER} from its pickle: it lacks {', '.join(missing)}, so "
                "it is incomplete or was written by another version of skgraphemb. Fit it again."
            )
        _pykeen()
        from skgraphemb.kg import _torch_kernels as kernels

        # Rebuilding runs the initialisers, which draw from (and seed) the
        # global RNGs: keep the caller's state.
        with kernels.isolated_global_rngs(device):
            model = self._make_model(self._spec, self._factory(), device)
        self.model_ = kernels.load_model_state(model, state)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_lookup_cache", None)  # rebuilt on demand
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags
