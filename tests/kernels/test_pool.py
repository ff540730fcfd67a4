"""KernelThreads: one serial kernel call per range, on a fixed number of threads."""

from __future__ import annotations

import threading
import time

import pytest

from skgraphemb._kernels._pool import KernelThreads, row_ranges


@pytest.mark.parametrize("n_threads, n_calls", [(1, 5), (2, 0), (2, 1), (2, 2), (2, 7), (3, 10), (4, 3)])
def test_map_returns_every_call_once_in_order_on_at_most_n_threads(n_threads, n_calls):
    lock = threading.Lock()
    running, peak, seen = [0], [0], []

    def kernel(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            seen.append((i, threading.get_ident()))
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return i * i

    with KernelThreads(n_threads) as threads:
        assert threads.map(kernel, [(i,) for i in range(n_calls)]) == [i * i for i in range(n_calls)]
    assert sorted(i for i, _ in seen) == list(range(n_calls))
    assert peak[0] <= n_threads
    assert len({ident for _, ident in seen}) == min(n_threads, n_calls)
    # Contiguous groups: each thread's calls are a run of consecutive indices.
    by_thread = {}
    for i, ident in seen:
        by_thread.setdefault(ident, []).append(i)
    for calls in by_thread.values():
        assert sorted(calls) == list(range(min(calls), max(calls) + 1))


def test_map_waits_for_every_worker_when_one_call_fails():
    done = []

    def kernel(i):
        if i == 0:
            raise RuntimeError("boom")
        time.sleep(0.05)
        done.append(i)

    with KernelThreads(3) as threads, pytest.raises(RuntimeError, match="boom"):
        threads.map(kernel, [(i,) for i in range(3)])
    assert sorted(done) == [1, 2]  # the workers finished before map raised


def test_run_together_runs_every_call_at_once():
    """Calls that wait for each other (here at a barrier) finish only if each has its own thread."""
    barrier = threading.Barrier(3, timeout=30)

    def kernel(i):
        barrier.wait()
        return i

    with KernelThreads(3) as threads:
        assert threads.run_together(kernel, [(i,) for i in range(3)]) == [0, 1, 2]
        with pytest.raises(ValueError, match="4 calls need as many threads"):
            threads.run_together(kernel, [(i,) for i in range(4)])


@pytest.mark.parametrize("n_rows, n_parts", [(0, 3), (5, 1), (5, 5), (5, 8), (100, 7)])
def test_row_ranges_cover_the_rows_once(n_rows, n_parts):
    ranges = row_ranges(n_rows, n_parts)
    covered = [r for lo, hi in ranges for r in range(lo, hi)]
    assert covered == list(range(n_rows))
    assert all(hi > lo for lo, hi in ranges) and len(ranges) <= n_parts
