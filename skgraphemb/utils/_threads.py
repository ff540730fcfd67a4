"""Threads: numba and BLAS thread counts for one call, and safe parallel launches.

scikit-learn's ``n_jobs`` comes in, the library's thread count is set for the
call and restored after.  The numba kernels release the GIL (``nogil=True``),
so fits in several Python threads (joblib's threading backend, Dask's
threaded workers) run at the same time; :func:`parallel_launch` keeps that
safe under numba's ``workqueue`` threading layer, which aborts the process
when two threads launch parallel kernels at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from skgraphemb.utils._validation import effective_n_jobs


def resolve_threads(n_jobs: int | None) -> int:
    """scikit-learn's ``n_jobs`` -> threads for the compiled kernels, at most one per CPU."""
    return max(1, min(effective_n_jobs(n_jobs), os.cpu_count() or 1))


def resolve_numba_threads(n_jobs: int | None) -> int:
    """scikit-learn's ``n_jobs`` -> numba threads, within numba's pool size."""
    import numba

    return max(1, min(effective_n_jobs(n_jobs), numba.config.NUMBA_NUM_THREADS))


@contextmanager
def numba_threads(n_threads: int) -> Iterator[None]:
    """Run the body with ``n_threads`` numba threads, then restore the count."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@contextmanager
def blas_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with the BLAS pools (OpenBLAS, MKL, BLIS...) sized from ``n_jobs``.

    Through threadpoolctl, which restores the previous limits after the
    body.  ``blas_threads(1)`` is the setting for many small dense problems
    (logistic-regression probes), where BLAS threads add only
    synchronisation and, right after a numba parallel kernel whose workers
    still spin, can make each call many times slower.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=effective_n_jobs(n_jobs), user_api="blas"):
        yield


_LAUNCH_LOCK = threading.RLock()  # re-entrant: drivers nest (as_graph -> read_edgelist)


def _layer_is_threadsafe() -> bool:
    """Whether numba's threading layer accepts concurrent parallel launches.

    ``tbb`` and ``omp`` do; ``workqueue`` does not.  Before the first
    parallel kernel has run the layer is not chosen yet: assume the worst.
    """
    import numba

    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel kernel launched yet
        return False


def parallel_launch():
    """Context around a call of a ``parallel=True`` numba kernel.

    Serialises such calls across Python threads when the threading layer
    is not thread-safe (``workqueue``); a no-op otherwise.
    """
    return nullcontext() if _layer_is_threadsafe() else _LAUNCH_LOCK


#: The dense steps between the sparse kernels (Gram matrices, triangular
#: products of ``n x p`` blocks) use ``n_jobs`` BLAS threads only from this many
#: rows: below it they take milliseconds, and OpenBLAS threads that keep
#: spinning after a call slow the next numba kernel more than the threads save.
#: Measured on 2 cores (ProNE, 128 dimensions): BlogCatalog (10k nodes) fits in
#: 0.40 s with one BLAS thread against 0.75 s with two; a 200k-node graph in
#: 8.3-8.5 s against 8.7-8.9 s.
PARALLEL_BLAS_MIN_ROWS = 1_000_000


@contextmanager
def kernel_threads(n_jobs: int | None, dense_rows: int = 0) -> Iterator[None]:
    """numba threads sized from ``n_jobs`` for the body, with :func:`parallel_launch`
    held: the setting of the sparse-times-dense drivers (randomized SVD,
    spectral propagation).

    The BLAS pool gets ``n_jobs`` threads too when the dense blocks have at
    least :data:`PARALLEL_BLAS_MIN_ROWS` rows (``dense_rows``), otherwise one.
    """
    blas = n_jobs if dense_rows >= PARALLEL_BLAS_MIN_ROWS else 1
    with numba_threads(resolve_numba_threads(n_jobs)), parallel_launch(), blas_threads(blas):
        yield
