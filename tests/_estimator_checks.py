"""The scikit-learn estimator checks that fit on data the checks generate.

Every skgraphemb estimator whose X is not a float feature matrix (node ids,
node-id pairs, vectors with ids) fails these for one reason, which each test
module states; listing the names once keeps the modules' expected failures
in step with one another and with scikit-learn.
"""

from __future__ import annotations

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
