"""Helpers of the estimator checks, in one place.

``INIT_PARAMS`` and ``make``: small, fast settings of every public embedder,
used by scikit-learn's checks (``tests/test_common.py``) and by the checks of
the :class:`~skgraphemb.base.BaseGraphEmbedder` contract
(``tests/test_base.py``).

``FIT_CHECKS``, ``TRANSFORMER_FIT_CHECKS`` and ``expected_failures``: the
scikit-learn estimator checks that fit on data the checks generate.  Every
skgraphemb estimator whose X is not a float feature matrix (node ids,
node-id pairs, vectors with ids) fails these for one reason, which each test
module states; listing the names once keeps the modules' expected failures
in step with one another and with scikit-learn.
"""

from __future__ import annotations

import networkx as nx

from skgraphemb import (
    FastRPEmbedder,
    GraphSAGEEmbedder,
    Node2VecEmbedder,
    ProNEEmbedder,
    SpectralPropagation,
    SVDEmbedder,
    as_graph,
)
from skgraphemb._optional import is_available

#: The graph the checks fit on.
GRAPH = as_graph(nx.karate_club_graph())

#: Small, fast constructor settings per public embedder (imblearn's INIT_PARAMS).
INIT_PARAMS: dict[type, dict] = {
    Node2VecEmbedder: dict(n_components=8, walk_length=10, num_walks=2, window=3, n_jobs=1, random_state=0),
    SVDEmbedder: dict(n_components=4, random_state=0),
    ProNEEmbedder: dict(n_components=4, random_state=0),
    FastRPEmbedder: dict(n_components=8, random_state=0),
    SpectralPropagation: dict(embedder=SVDEmbedder(n_components=4), random_state=0),
}
#: Public embedders whose optional extra is not installed here: not checked.
MISSING_EXTRA = set()
if is_available("torch") and is_available("torch_geometric"):
    # karate has no node features: the structural fallback (set explicitly,
    # so fits do not warn).
    INIT_PARAMS[GraphSAGEEmbedder] = dict(
        n_components=4,
        hidden_dim=8,
        epochs=1,
        batch_size=64,
        feature_source="structural",
        device="cpu",
        n_jobs=1,
        random_state=0,
    )
else:
    MISSING_EXTRA.add(GraphSAGEEmbedder)


def make(cls, **overrides):
    """``cls`` with its ``INIT_PARAMS``, some overridden."""
    return cls(**{**INIT_PARAMS[cls], **overrides})


#: Checks that fit on a generated float matrix and then inspect the fitted estimator.
FIT_CHECKS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)

#: The same for transformers, pickling and pipelines (fit, then transform or compare).
TRANSFORMER_FIT_CHECKS = (
    "check_estimators_pickle",
    "check_fit2d_1sample",
    "check_fit_score_takes_y",
    "check_pipeline_consistency",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)


def expected_failures(reason: str, names=FIT_CHECKS + TRANSFORMER_FIT_CHECKS, **others: str) -> dict[str, str]:
    """``{check name: reason}`` for ``expected_failed_checks``; ``others`` add or override."""
    return {**dict.fromkeys(names, reason), **others}
