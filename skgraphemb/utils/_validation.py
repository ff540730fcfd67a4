"""Parameter validation: scikit-learn's helpers and the package's shared rules.

The single compatibility point with scikit-learn's private helpers:
everything the package takes from ``sklearn.*._private`` modules is imported
here, so a scikit-learn upgrade touches one file.  The supported range is
bounded in ``pyproject.toml``.

It also holds the one definition of every shared parameter
(:data:`COMMON_CONSTRAINTS`, taken with :func:`constraints`): estimators
put them in ``_parameter_constraints``, public functions and methods in
:func:`validate_params`, so a name means the same rule everywhere.
"""

from __future__ import annotations

import copy
import math
import numbers
import os

import joblib
import numpy as np
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
    "COMMON_CONSTRAINTS",
    "DEPRECATED",
    "SKIPGRAM_PARAMETERS",
    "WALK_PARAMETERS",
    "HasMethods",
    "Hidden",
    "Integral",
    "Interval",
    "Real",
    "StrOptions",
    "StrictInterval",
    "_fit_context",
    "_get_output_config",
    "_resolve_deprecated",
    "deprecated_constraint",
    "check_is_fitted",
    "check_memory",
    "check_n_components",
    "clone_sharing",
    "constraints",
    "effective_n_jobs",
    "validate_data",
    "validate_params",
    "wants_pandas_output",
]


class StrictInterval(Interval):
    """An :class:`Interval` that no bool satisfies.

    scikit-learn's intervals take ``True`` for the number 1; where a flag
    passed by mistake would silently mean a count or a share (``test_size=True``),
    use this one.
    """

    def is_satisfied_by(self, val) -> bool:
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
_NON_NEGATIVE_INT = [Interval(Integral, 0, None, closed="left")]
# Real parameters are finite: an explicit ``math.inf`` bound is open, so it
# refuses inf (sklearn's ``None`` bound would admit it), and NaN fails every
# interval.  No walk, trainer or solver has a meaning for an infinite value:
# p = inf (q = inf) zeroes the weight of a step back (away), so a step from
# a leaf (from a node none of whose neighbours neighbours the previous one)
# has no edge left to take; an infinite learning rate diverges at once.
_POSITIVE_REAL = [Interval(Real, 0, math.inf, closed="neither")]
_NON_NEGATIVE_REAL = [Interval(Real, 0, math.inf, closed="left")]
_FINITE_REAL = [Interval(Real, -math.inf, math.inf, closed="neither")]
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_WALK_BIAS = [Interval(Real, 1e-100, 1e100, closed="both")]

#: The one definition of every parameter that several public functions or
#: estimators share (the same name means the same rule everywhere).  Take
#: them with :func:`constraints`.
COMMON_CONSTRAINTS: dict = {
    # A bare string, not a list: sklearn skips a parameter only when its
    # constraint *is* "no_validation" (in a list it is an unknown constraint
    # and every call fails).  as_graph validates the graph.
    "graph": "no_validation",
    "random_state": ["random_state"],
    "seed": _NON_NEGATIVE_INT,
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
    "memory": [None, str, HasMethods(["cache"])],
    # files
    "path": [str, os.PathLike],
    "directed": ["boolean"],
    "comments": [str, None],
    "header": ["boolean", None],
    # random walks
    "walk_length": _POSITIVE_INT,
    "num_walks": _POSITIVE_INT,
    # The walk kernels weigh a step by 1/p, 1 or 1/q times the edge's
    # weight, in float64: past 1e300, 1/p or 1/q overflow (at once, or with
    # the weights) and the samplers drew returns as if p were 1 or always
    # took a row's last neighbour.  1e-100 .. 1e100 keeps every product of
    # a bias and a weight up to 1e200 finite.
    "p": _WALK_BIAS,
    "q": _WALK_BIAS,
    "start_nodes": ["array-like", None],
    "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    # skip-gram and the other trainers
    "dimensions": _POSITIVE_INT,
    # A token's reduced window is drawn and kept as a 32-bit integer (and
    # gensim's window is a C int); a window longer than a walk spans it all.
    "window": [Interval(Integral, 1, 2**31 - 1, closed="both")],
    "negative": _POSITIVE_INT,
    "epochs": _POSITIVE_INT,
    "batch_size": _POSITIVE_INT,
    # Learning rates are float32 in the kernels (and in gensim, whose
    # compiled loop crashes on the NaN that an infinite rate makes).
    "alpha": [Interval(Real, 0, _FLOAT32_MAX, closed="right")],
    "min_alpha": [Interval(Real, 0, _FLOAT32_MAX, closed="both")],
    "learning_rate": _POSITIVE_REAL,
    "sample": _NON_NEGATIVE_REAL,
    "ns_exponent": _FINITE_REAL,
    # spectral methods and SVD
    "n_components": _POSITIVE_INT,
    "order": _POSITIVE_INT,
    "mu": _FINITE_REAL,
    "theta": _POSITIVE_REAL,
    "n_iter": _NON_NEGATIVE_INT,
    "n_oversamples": _NON_NEGATIVE_INT,
}


#: Groups of :data:`COMMON_CONSTRAINTS` names that travel together: the
#: parameters of a random walk, and those of skip-gram training.
WALK_PARAMETERS = ("walk_length", "num_walks", "p", "q")
SKIPGRAM_PARAMETERS = ("dimensions", "window", "negative", "epochs", "alpha", "min_alpha", "sample")


def constraints(*names: str, **overrides) -> dict:
    """A constraints dict: ``names`` from :data:`COMMON_CONSTRAINTS`, plus ``overrides``.

    For ``_parameter_constraints`` and :func:`validate_params`.  An
    override of a common name (e.g. ``walk_length`` of at least 2 where a
    one-node walk trains nothing) must narrow the common rule, never widen
    it.
    """
    unknown = [name for name in names if name not in COMMON_CONSTRAINTS]
    if unknown:
        raise KeyError(f"no common constraint for {unknown}; pass it as a keyword")
    return {**{name: COMMON_CONSTRAINTS[name] for name in names}, **overrides}


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


def check_n_components(name: str, n_nodes: int, k: int) -> int:
    """``k`` if a factorisation of ``n_nodes`` nodes can have ``k`` components; otherwise a clear error.

    An SVD of an ``n x n`` matrix has at most ``n`` singular triplets, and
    the randomized and ARPACK solvers need fewer: ``k < n``.
    """
    if n_nodes < 2:
        raise ValueError(
            f"{name}: the graph is too small: it has {n_nodes} node(s), and a factorisation needs at least 2 "
            "(n_components must be smaller than the number of nodes)"
        )
    if k >= n_nodes:
        raise ValueError(
            f"{name}: n_components={k} must be smaller than the number of nodes ({n_nodes}); "
            f"use n_components <= {n_nodes - 1}"
        )
    return k
