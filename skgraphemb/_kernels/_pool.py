"""A pool that runs serial ``nogil`` numba kernels on several threads.

The library's kernels are compiled once, serial and ``nogil``; a driver
splits the work into ranges (:func:`row_ranges`, or blocks of similar work)
and :class:`KernelThreads` runs one kernel call per range at once.  There is
no ``parallel=True`` twin to compile, load or keep in step, and fits in
several Python threads (joblib's threading backend, Dask's threaded workers)
each drive their own pool.  Standard library only, so kernel modules may
use it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


class KernelThreads:
    """Run one call of a serial ``nogil`` numba kernel per thread at once.

    The calling thread takes the first call, a pool of ``n_threads - 1``
    threads the rest; :meth:`map` returns when all are done.  The kernels
    are compiled once (no ``parallel=True`` variant to compile and load),
    and fits in several Python threads each drive their own pool.  Use as
    a context manager, or :meth:`close` when done.
    """

    def __init__(self, n_threads: int, name: str = "skgraphemb") -> None:
        self.n_threads = max(1, int(n_threads))
        self._pool = ThreadPoolExecutor(self.n_threads - 1, name) if self.n_threads > 1 else None

    def map(self, kernel, calls: list[tuple]) -> list:
        """``[kernel(*args) for args in calls]``, on at most ``n_threads`` threads.

        With more calls than threads, each thread runs a contiguous group of
        them in turn (the calling thread the first group).
        """
        if len(calls) <= 1 or self._pool is None:
            return [kernel(*args) for args in calls]
        groups = [calls[lo:hi] for lo, hi in row_ranges(len(calls), self.n_threads)]
        futures = [self._pool.submit(_run_group, kernel, group) for group in groups[1:]]
        try:
            first = _run_group(kernel, groups[0])
        finally:  # the workers write into shared arrays: never leave them running
            rest = [f.result() for f in futures]
        return [result for part in (first, *rest) for result in part]

    def run_together(self, kernel, calls: list[tuple]) -> list:
        """``[kernel(*args) for args in calls]``, every call on its own thread
        at the same time: for kernels whose calls wait for each other (at a
        barrier), which must never queue behind one another."""
        if len(calls) > self.n_threads:
            raise ValueError(f"run_together: {len(calls)} calls need as many threads; the pool has {self.n_threads}")
        return self.map(kernel, calls)  # at most one call per thread

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> KernelThreads:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def row_ranges(n_rows: int, n_parts: int) -> list[tuple[int, int]]:
    """``n_parts`` contiguous ``(lo, hi)`` ranges covering ``0 .. n_rows``, empty ones left out."""
    bounds = [n_rows * t // n_parts for t in range(n_parts + 1)]
    return [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]


def _run_group(kernel, calls: list[tuple]) -> list:
    return [kernel(*args) for args in calls]
