"""numba thread count for one call: scikit-learn's ``n_jobs`` in, restored after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from skgraphemb.utils._validation import effective_n_jobs


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
def torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with torch's CPU intra-op threads set from ``n_jobs``, then restore.

    torch's thread count is process-wide state; like :func:`numba_threads`,
    a call changes it only for its own duration.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(effective_n_jobs(n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(before)
