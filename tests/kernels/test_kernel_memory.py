"""Cache-line helpers: aligned allocations and the prefetch hint."""

import pickle

import numba
import numpy as np
import pytest

from skgraphemb._kernels._memory import CACHE_LINE, aligned_empty, prefetch_row
from skgraphemb.spectral._operators import block_buffers


@pytest.mark.parametrize("shape", [(1,), (7, 3), (1000, 16), (3, 0), (50_000, 33)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_aligned_empty_starts_on_a_cache_line(shape, dtype):
    a = aligned_empty(shape, dtype)
    assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    assert a.size == 0 or a.ctypes.data % CACHE_LINE == 0
    a[...] = 1
    assert a.sum() == np.prod(shape)  # every element is its own storage
    back = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize("shape", [(1,), (7, 3), (3, 0), (50_000, 33)])
def test_aligned_zeros_are_zeros_on_a_cache_line(shape):
    from skgraphemb._kernels._aligned import aligned_zeros

    a = aligned_zeros(shape, np.float32)
    assert a.shape == shape and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable
    assert a.size == 0 or a.ctypes.data % CACHE_LINE == 0
    assert not a.any()


def test_block_buffers_are_aligned_and_reused():
    bufs = block_buffers([], 1001, 16, 3)
    assert all(b.ctypes.data % CACHE_LINE == 0 and b.shape == (1001, 16) for b in bufs)
    assert len({b.ctypes.data for b in bufs}) == 3
    assert block_buffers(bufs, 1001, 16, 3) is bufs
    narrower = block_buffers(bufs, 1001, 8, 3)
    assert all(b.shape == (1001, 8) and b.ctypes.data % CACHE_LINE == 0 for b in narrower)


@numba.njit
def _prefetched_sum(array, s0, width):
    total = 0.0
    for i in range(array.shape[0]):
        prefetch_row(array, array.shape[0] - 1 - i, s0, width)  # last row, window ends
        for t in range(s0, s0 + width):
            total += array[i, t]
    return total


@pytest.mark.parametrize("s0, width", [(0, 40), (3, 17), (39, 1), (0, 1)])
def test_prefetch_is_a_hint_that_changes_nothing(s0, width):
    array = np.random.default_rng(0).random((23, 40)).astype(np.float32)
    before = array.copy()
    assert _prefetched_sum(array, s0, width) == pytest.approx(float(array[:, s0 : s0 + width].sum(dtype=np.float64)))
    np.testing.assert_array_equal(array, before)
