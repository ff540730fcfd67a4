"""scikit-learn's estimator checks for the pipeline sinks.

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

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgraphemb import FileExporter, RedisExporter
from tests._estimator_checks import expected_failures

_NEEDS_IDS = (
    "the check fits on a plain float array; an exporter needs a node id per row "
    "(keys=, a DataFrame index or a fitted embedder), so fit raises a ValueError saying so"
)
EXPECTED_FAILED_CHECKS = expected_failures(_NEEDS_IDS)


@parametrize_with_checks(
    # Port 1 on loopback: a server that is never there, and never reached.
    [FileExporter("never-written.npz"), RedisExporter("redis://127.0.0.1:1/0")],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
