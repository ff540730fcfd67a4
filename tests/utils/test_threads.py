"""Thread limits for one call (utils/_threads.py)."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skgraphemb.utils._threads import blas_threads, kernel_threads, numba_threads

_CONTROLLER = ThreadpoolController()
pytestmark = pytest.mark.skipif(
    not _CONTROLLER.select(user_api="blas").lib_controllers, reason="threadpoolctl finds no BLAS library to limit"
)


def _blas_limits() -> list[int]:
    return [info["num_threads"] for info in ThreadpoolController().info() if info["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """Start from a known BLAS setting (2 threads), whatever the machine has."""
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(_blas_limits()) == {2}
        yield


def test_blas_threads_sets_the_limit_inside_and_restores_it_after(two_blas_threads):
    with blas_threads(1):
        assert set(_blas_limits()) == {1}
        np.ones((8, 8)) @ np.ones((8, 8))  # BLAS still works under the limit
    assert set(_blas_limits()) == {2}


def test_blas_threads_counts_like_n_jobs(two_blas_threads):
    with blas_threads(None):  # scikit-learn's None: one thread
        assert set(_blas_limits()) == {1}
    with blas_threads(-1):  # all cores (at least 1)
        assert min(_blas_limits()) >= 1
    assert set(_blas_limits()) == {2}


def test_blas_threads_nest_and_restore_after_an_error(two_blas_threads):
    with pytest.raises(RuntimeError):
        with blas_threads(1):
            with blas_threads(None):
                raise RuntimeError("boom")
    assert set(_blas_limits()) == {2}


def test_kernel_threads_limits_blas_and_numba_together(two_blas_threads):
    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    with numba_threads(pool):
        with kernel_threads(1):
            assert set(_blas_limits()) == {1}
            assert numba.get_num_threads() == 1
        assert set(_blas_limits()) == {2}
        assert numba.get_num_threads() == pool


def test_kernel_threads_gives_blas_threads_to_big_dense_steps_only(two_blas_threads):
    """Small blocks: one BLAS thread (spinning BLAS threads slow the numba kernels); big ones: n_jobs."""
    from skgraphemb.utils._threads import PARALLEL_BLAS_MIN_ROWS

    with kernel_threads(2, dense_rows=10_000):
        assert set(_blas_limits()) == {1}
    with kernel_threads(2, dense_rows=PARALLEL_BLAS_MIN_ROWS):
        assert set(_blas_limits()) == {2}
    assert set(_blas_limits()) == {2}
