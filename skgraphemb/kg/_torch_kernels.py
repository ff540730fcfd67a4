"""The torch side of :class:`~skgraphemb.KGEmbedder`: tensors in and numpy out.

Everything the estimator does with torch tensors is here -- building
PyKEEN triples factories from id arrays, reading them back, scoring and
ranking triples, reading a model's representations, its optimizer, its
state, and isolating the global RNGs around code that seeds them -- as
functions of numpy arrays and device strings (``"cpu"``, ``"cuda:N"``), so
that :mod:`skgraphemb.kg._estimator` only orchestrates.  PyKEEN's own API
(resolvers, training loops, stoppers) stays with the estimator and
:mod:`skgraphemb.kg._pykeen_compat`.

torch is imported inside the functions (through
:func:`~skgraphemb._optional.import_optional`), so importing this module
needs no torch.
"""

from __future__ import annotations

import numpy as np

from skgraphemb._optional import import_optional
from skgraphemb.kg._pykeen_compat import _CALLER, _resolve_class
from skgraphemb.utils._random_state import isolated_rng

__all__ = [
    "entity_and_relation_arrays",
    "evaluate",
    "isolated_global_rngs",
    "load_model_state",
    "make_optimizer",
    "mapped_triples",
    "model_state",
    "predict_target_scores",
    "rank_evaluator",
    "score_hrt",
    "triples_factory",
]

#: Triples scored per model call by :func:`score_hrt`.
SCORE_BATCH = 65536


def _torch():
    return import_optional("torch", _CALLER)


def _long(mapped: np.ndarray, device=None):
    torch = _torch()
    return torch.as_tensor(mapped, dtype=torch.long, device=device)


def isolated_global_rngs(device):
    """Restore torch's (CPU and ``device``'s), numpy's and Python's global RNGs after a block.

    For blocks that seed all three, as PyKEEN's ``set_random_seed`` and
    its model initialisers do.  ``device`` is a device name or a
    ``torch.device``.
    """
    torch = _torch()
    return isolated_rng(torch, torch.device(device), numpy_and_python=True)


def triples_factory(cls, mapped: np.ndarray, entity_to_id: dict, relation_to_id: dict, **kwargs):
    """``cls`` (a PyKEEN ``TriplesFactory`` class) of ``(n, 3)`` id triples."""
    return cls(mapped_triples=_long(mapped), entity_to_id=entity_to_id, relation_to_id=relation_to_id, **kwargs)


def mapped_triples(factory) -> np.ndarray:
    """A PyKEEN triples factory's ``(n, 3)`` id triples as int64 numpy."""
    return factory.mapped_triples.detach().cpu().numpy().astype(np.int64)


def make_optimizer(query, kwargs: dict, params):
    """The torch optimizer ``query`` names (a name or a class), on ``params``."""
    from class_resolver.contrib.torch import optimizer_resolver

    optimizer_cls = _resolve_class(optimizer_resolver, query, "optimizer")
    return optimizer_resolver.make(optimizer_cls, kwargs, params=params)


def entity_and_relation_arrays(model) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's first entity and relation representations as numpy (relations None if it has none)."""
    torch = _torch()
    with torch.inference_mode():
        ent = model.entity_representations[0](indices=None).detach().cpu().numpy()
        rel_reps = getattr(model, "relation_representations", None)
        rel = rel_reps[0](indices=None).detach().cpu().numpy() if rel_reps else None
    return ent, rel


def predict_target_scores(model, pair: tuple[int, int], target: str, device: str) -> np.ndarray:
    """``model.predict`` scores of every candidate ``target`` for the two given ids."""
    torch = _torch()
    batch = _long([list(pair)], device=torch.device(device))
    with torch.inference_mode():
        return model.predict(batch, target=target, full_batch=False)[0].detach().cpu().numpy()


def score_hrt(model, mapped: np.ndarray, device: str) -> np.ndarray:
    """``model.predict_hrt`` of ``(n, 3)`` id triples, as float32 numpy."""
    torch = _torch()
    dev = torch.device(device)
    out = np.empty(len(mapped), dtype=np.float32)
    with torch.inference_mode():
        for lo in range(0, len(mapped), SCORE_BATCH):
            batch = _long(mapped[lo : lo + SCORE_BATCH], device=dev)
            out[lo : lo + SCORE_BATCH] = model.predict_hrt(batch).view(-1).detach().cpu().numpy()
    return out


def rank_evaluator(filtered: bool):
    """PyKEEN's RankBasedEvaluator; for raw (unfiltered) ranks, with a fix.

    PyKEEN <= 1.11.1 extracts the true scores only in the filtered branch, so
    ``RankBasedEvaluator(filtered=False)`` raises "needs the true scores!"
    (fixed upstream in pykeen/pykeen#1620).  The subclass takes them from the
    score matrix when they are missing, and does nothing once PyKEEN passes them.
    """
    from pykeen.constants import TARGET_TO_INDEX
    from pykeen.evaluation import RankBasedEvaluator

    torch = _torch()
    if filtered:
        return RankBasedEvaluator(filtered=True)

    class _RawRankBasedEvaluator(RankBasedEvaluator):
        def process_scores_(self, hrt_batch, target, scores, true_scores=None, dense_positive_mask=None):
            if true_scores is None:
                rows = torch.arange(hrt_batch.shape[0], device=scores.device)
                true_scores = scores[rows, hrt_batch[:, TARGET_TO_INDEX[target]]].unsqueeze(dim=-1)
            super().process_scores_(
                hrt_batch=hrt_batch,
                target=target,
                scores=scores,
                true_scores=true_scores,
                dense_positive_mask=dense_positive_mask,
            )

    return _RawRankBasedEvaluator(filtered=False)


def evaluate(evaluator, model, mapped: np.ndarray, *, filter_triples=None, **kwargs):
    """``evaluator.evaluate`` of ``(n, 3)`` id triples.

    ``filter_triples``: a list of ``(m, 3)`` id arrays passed as PyKEEN's
    ``additional_filter_triples`` (``None``: not passed).  ``kwargs`` go to
    ``evaluate`` (``batch_size``, ``use_tqdm``).
    """
    if filter_triples is not None:
        kwargs["additional_filter_triples"] = [_long(m) for m in filter_triples]
    return evaluator.evaluate(model, _long(mapped), **kwargs)


def model_state(model) -> dict:
    """The tensors :func:`load_model_state` restores ``model`` from."""
    return {"model": model.state_dict()}


def load_model_state(model, state: dict):
    """Load :func:`model_state`'s ``state`` into ``model``; eval mode; returns it."""
    model.load_state_dict(state["model"])
    model.eval()
    return model
