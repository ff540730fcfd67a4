"""The single compatibility point with scikit-learn's private helpers.

Everything the package takes from ``sklearn.*._private`` modules is imported
here, so a scikit-learn upgrade touches one file.  The supported range is
bounded in ``pyproject.toml``.
"""

from __future__ import annotations

import copy
import numbers

import joblib
from sklearn.base import _clone_parametrized, _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Integral,
    Interval,
    Real,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted, check_memory, validate_data

__all__ = [
    "DEPRECATED",
    "HasMethods",
    "Hidden",
    "Integral",
    "Interval",
    "Real",
    "StrOptions",
    "_fit_context",
    "_get_output_config",
    "_resolve_deprecated",
    "deprecated_constraint",
    "check_is_fitted",
    "check_memory",
    "clone_sharing",
    "effective_n_jobs",
    "validate_data",
    "validate_params",
    "wants_pandas_output",
]


def effective_n_jobs(n_jobs: int | None) -> int:
    """Number of threads in this process for ``n_jobs`` with scikit-learn's meaning.

    ``None`` means 1 unless inside a :func:`joblib.parallel_config` context;
    ``-1`` means all cores, ``-2`` all but one, and so on.

    Under a cluster backend (Dask's, Ray's) joblib's count is the cluster's
    worker threads, not this machine's cores: a fit running in a worker
    task then takes ``None`` as 1 and counts ``-1`` on the local cores, so
    that workers do not oversubscribe their machine and results stay those
    of a serial run.
    """
    if n_jobs is not None and not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be an int or None; got {n_jobs!r}")
    backend, _ = joblib.parallel.get_active_backend()
    if not type(backend).__module__.startswith("joblib._parallel_backends"):
        if n_jobs is None:
            return 1
        cores = joblib.cpu_count()
        return max(1, min(int(n_jobs), cores) if n_jobs > 0 else cores + 1 + int(n_jobs))
    return max(1, int(joblib.effective_n_jobs(n_jobs)))


def wants_pandas_output(estimator, method: str = "transform") -> bool:
    """Whether ``set_output(transform="pandas")`` is active for ``estimator``."""
    return _get_output_config(method, estimator)["dense"] == "pandas"


def clone_sharing(estimator, name: str):
    """``sklearn.clone`` of ``estimator`` that shares parameter ``name`` by reference.

    For parameters that must not be deep-copied: a large graph (seconds to
    copy, and a grid search clones once per candidate and fold) or a client
    holding sockets and locks.  Used from ``__sklearn_clone__``.
    """
    shallow = copy.copy(estimator)
    setattr(shallow, name, None)
    new = _clone_parametrized(shallow)
    setattr(new, name, getattr(estimator, name))
    return new


#: Default of a renamed parameter's old name (scikit-learn's convention).
DEPRECATED = "deprecated"


def deprecated_constraint(constraints: list) -> list:
    """``_parameter_constraints`` entry of a renamed parameter's old name.

    The new name's constraints, plus the hidden ``"deprecated"`` default.
    """
    return [*constraints, Hidden(StrOptions({DEPRECATED}))]


def _is_unset(value) -> bool:
    return isinstance(value, str) and value == DEPRECATED


def _resolve_deprecated(estimator, new: str, old: str, *, warn: bool = True, since="0.1", removed="0.2"):
    """The value of parameter ``new`` of ``estimator``, honouring its old name ``old``.

    The one place where renamed parameters are handled.  Both names are
    ``__init__`` parameters (so ``get_params``, ``set_params``, ``clone``
    and grid searches accept either); the old one defaults to
    ``"deprecated"``.  When the old name is set, its value is used (the
    embedders' ``set_params`` of the new name resets the old one, so the
    name set last wins), with a ``FutureWarning`` (when ``warn``, i.e. once
    per fit) pointing at the user's line.
    """
    old_value = getattr(estimator, old, DEPRECATED)
    new_value = getattr(estimator, new)
    if _is_unset(old_value):
        return new_value
    if warn:
        from skgraphemb.utils._warnings import warn as _warn

        _warn(
            f"{type(estimator).__name__}: `{old}` was renamed `{new}` in {since} and will be "
            f"removed in {removed}. Use `{new}={old_value!r}`.",
            FutureWarning,
        )
    return old_value
