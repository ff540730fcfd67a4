"""scikit-learn's estimator checks for every public estimator: embedders and exporters.

``parametrize_with_checks`` runs the embedders in the mode where ``graph``
is set and X is a column of node ids.  Its generated data are float feature
matrices, which are not node ids of any graph, so the checks that fit on
such data fail by design; each is listed in ``EXPECTED_FAILED_CHECKS`` with
the reason.  The same ground is covered with real node ids by the checks of
the embedder contract, ``tests/test_base.py``.

Both exporters share :class:`~skgraphemb.export._base.BaseExporter`, so they
fail the same checks for the same reason: the checks fit on plain float
arrays, and an exporter needs a node id per row (``keys=``, a DataFrame index
or a fitted embedder), so ``fit`` raises a ValueError saying so.  The checks
that do not fit on such arrays (parameters, cloning, tags, input
validation: sparse, complex and empty X are rejected with their own message)
pass, and they run for RedisExporter without a server: nothing connects
before ids and vectors are checked.
"""

from __future__ import annotations

import inspect

from sklearn.utils.estimator_checks import parametrize_with_checks

import skgraphemb
from skgraphemb import FileExporter, RedisExporter
from skgraphemb.base import BaseGraphEmbedder
from tests._estimator_checks import GRAPH, INIT_PARAMS, MISSING_EXTRA, expected_failures

# -- embedders -----------------------------------------------------------------------
_WIDE_X = (
    "the check fits on a float feature matrix with several columns; with `graph` set, "
    "X must be a single column of node ids, so fit raises a ValueError saying so"
)
_FLOAT_X = (
    "the check fits on one column of random floats, which are not node ids of the "
    "graph, so fit raises a ValueError naming the unknown ids"
)
EXPECTED_FAILED_CHECKS = expected_failures(_WIDE_X, check_fit2d_1feature=_FLOAT_X)


def test_every_public_embedder_is_checked():
    public = [getattr(skgraphemb, n) for n in skgraphemb.__all__ if n != "__version__"]
    estimators = {obj for obj in public if inspect.isclass(obj) and issubclass(obj, BaseGraphEmbedder)}
    assert estimators - MISSING_EXTRA == set(INIT_PARAMS)


def test_every_device_parameter_has_the_same_default():
    # One rule for every estimator and function with a `device` parameter
    # (docs/torch.rst): the CPU, so results never depend on whether the
    # machine has a GPU; "auto" is an explicit opt-in.
    from skgraphemb.skipgram import train_skipgram_torch
    from skgraphemb.utils._device import DEFAULT_DEVICE

    defaults = {}
    for obj in [getattr(skgraphemb, name) for name in skgraphemb.__all__] + [train_skipgram_torch]:
        if not callable(obj):
            continue
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if "device" in params:
            defaults[obj.__name__] = params["device"].default
    expected = {"Node2VecEmbedder", "GraphSAGEEmbedder", "KGEmbedder", "random_walks", "iter_walk_chunks"}
    assert expected <= set(defaults), sorted(defaults)
    assert DEFAULT_DEVICE == "cpu"
    assert defaults == dict.fromkeys(defaults, DEFAULT_DEVICE)


@parametrize_with_checks(
    [cls(graph=GRAPH, **params) for cls, params in INIT_PARAMS.items()],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# -- exporters -----------------------------------------------------------------------
_NEEDS_IDS = (
    "the check fits on a plain float array; an exporter needs a node id per row "
    "(keys=, a DataFrame index or a fitted embedder), so fit raises a ValueError saying so"
)
EXPORTER_EXPECTED_FAILED_CHECKS = expected_failures(_NEEDS_IDS)


@parametrize_with_checks(
    # Port 1 on loopback: a server that is never there, and never reached.
    [FileExporter("never-written.npz"), RedisExporter("redis://127.0.0.1:1/0")],
    expected_failed_checks=lambda est: EXPORTER_EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_exporter(estimator, check):
    check(estimator)
