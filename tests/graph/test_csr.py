"""CSR kernels: the same arrays as scipy's COO -> CSR conversion, and id
ranks equal to ``np.unique``'s.

scipy sorts each row with libstdc++'s ``std::sort`` (not stable) before
summing duplicates, so ``_std_sort`` must move equal columns exactly as it
does: checked against scipy's ``sort_indices`` and, where a C++ compiler is
at hand, against ``std::sort`` itself on inputs that force its heap-sort
fallback.
"""

from __future__ import annotations

import shutil
import subprocess

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from skgraphemb.graph import _csr_kernels as _csr
from skgraphemb.graph import _id_kernels as _ids


def _rows_with_ties(rng, n_rows, max_len, n_keys):
    lengths = rng.integers(0, max_len, n_rows)
    indptr = np.r_[0, np.cumsum(lengths)]
    indices = rng.integers(0, n_keys, indptr[-1]).astype(np.int32)
    return indptr, indices


@pytest.mark.parametrize("max_len, n_keys", [(20, 5), (200, 10), (2000, 50), (300, 1000)])
def test_std_sort_moves_equal_keys_as_scipy(max_len, n_keys):
    rng = np.random.default_rng(max_len)
    indptr, indices = _rows_with_ties(rng, 30, max_len, n_keys)
    data = np.arange(len(indices), dtype=np.float64)  # tags: where each entry came from
    A = sp.csr_array((data.copy(), indices.copy(), indptr.copy()), shape=(30, n_keys))
    A.has_sorted_indices = False
    A.sort_indices()  # scipy: csr_sort_indices, std::sort per row
    keys, vals = indices.copy(), data.copy()
    for r in range(30):
        _csr._std_sort(keys, vals, True, indptr[r], indptr[r + 1])
    np.testing.assert_array_equal(keys, A.indices)
    np.testing.assert_array_equal(vals, A.data)


_CXX_REFERENCE = r"""
// std::sort on (key, index) pairs comparing keys, as scipy's csr_sort_indices;
// McIlroy's antiqsort adversary makes inputs that exhaust introsort's depth
// limit, so its heap-sort fallback runs too.
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>
static std::vector<int> val; static int gas, nsolid, candidate;
static bool adversary(int x, int y) {
  if (val[x] == gas && val[y] == gas) { if (x == candidate) val[x] = nsolid++; else val[y] = nsolid++; }
  if (val[x] == gas) candidate = x; else if (val[y] == gas) candidate = y;
  return val[x] < val[y];
}
static bool key_less(const std::pair<int,int>& a, const std::pair<int,int>& b) { return a.first < b.first; }
int main() {
  std::vector<std::vector<int>> inputs;
  for (int n : {100, 1000, 5000}) {
    val.assign(n, n); gas = n; nsolid = 0; candidate = 0;
    std::vector<int> ptr(n); for (int i = 0; i < n; i++) ptr[i] = i;
    std::sort(ptr.begin(), ptr.end(), adversary);
    for (int d : {1, 2, 3, 5}) { std::vector<int> keys(val); for (auto& k : keys) k /= d; inputs.push_back(keys); }
  }
  std::mt19937_64 rng(1);
  for (int t = 0; t < 100; t++) {
    int n = rng() % 400, k = 1 + rng() % 20;
    std::vector<int> keys(n); for (auto& x : keys) x = rng() % k;
    inputs.push_back(keys);
  }
  for (auto& keys : inputs) {
    int n = keys.size();
    std::vector<std::pair<int,int>> v(n);
    for (int i = 0; i < n; i++) v[i] = {keys[i], i};
    std::sort(v.begin(), v.end(), key_less);
    printf("%d", n);
    for (int i = 0; i < n; i++) printf(" %d", keys[i]);
    for (int i = 0; i < n; i++) printf(" %d", v[i].second);
    printf("\n");
  }
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ (libstdc++) as the reference")
def test_std_sort_is_libstdcxx_sort_including_heap_fallback(tmp_path):
    source = tmp_path / "ref.cpp"
    source.write_text(_CXX_REFERENCE)
    subprocess.run(["g++", "-O1", "-o", str(tmp_path / "ref"), str(source)], check=True)
    out = subprocess.run([str(tmp_path / "ref")], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        values = np.array(line.split(), dtype=np.int64)
        n = int(values[0])
        keys, expected = values[1 : n + 1].astype(np.int32), values[n + 1 :]
        tags = np.arange(n, dtype=np.float64)
        _csr._std_sort(keys, tags, True, 0, n)
        np.testing.assert_array_equal(tags, expected)


@pytest.mark.parametrize("seed", range(4))
def test_csr_from_edges_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    m = int(rng.integers(1, 20 * n))
    src = rng.integers(0, n, m)
    dst = rng.integers(0, max(1, n // 4), m)  # hubs: long rows with duplicates
    w = rng.random(m) * (rng.random(m) > 0.1)  # some zero weights
    for weights in (None, w):
        for directed in (False, True):
            if not directed and weights is not None:
                # Parallel arcs summed per direction, then the max rule: max(A, A.T).
                A = sp.coo_array((weights, (src, dst)), shape=(n, n)).tocsr()
                A.sum_duplicates()
                A = A.maximum(A.T).tocsr()
            else:
                if not directed:
                    off = src != dst
                    s, d = np.r_[src, dst[off]], np.r_[dst, src[off]]
                else:
                    s, d = src, dst
                ww = None if weights is None else weights
                A = sp.coo_array((np.ones(len(s)) if ww is None else ww, (s, d)), shape=(n, n)).tocsr()
                A.sum_duplicates()
            A.sort_indices()
            A.eliminate_zeros()
            indptr, indices, data = _csr.csr_from_edges(
                src.astype(np.int32), dst.astype(np.int32), weights, n, directed
            )
            np.testing.assert_array_equal(indptr, A.indptr)
            np.testing.assert_array_equal(indices, A.indices)
            assert indptr.dtype == np.int64 and indices.dtype == np.int32
            if weights is None:
                assert data is None
            else:
                assert data.tobytes() == A.data.tobytes()  # bit for bit


def test_csr_from_edges_same_for_any_thread_count(monkeypatch):
    monkeypatch.setattr(_csr, "PARALLEL_MIN", 0)
    rng = np.random.default_rng(7)
    n, m = 500, 20_000
    src, dst, w = rng.integers(0, n, m), rng.integers(0, 50, m), rng.random(m)
    results = []
    saved = numba.get_num_threads()
    try:
        for threads in sorted({1, saved}):
            numba.set_num_threads(threads)
            results.append(_csr.csr_from_edges(src, dst, w, n, False))
    finally:
        numba.set_num_threads(saved)
    for got in results[1:]:
        for a, b in zip(got, results[0]):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32])
def test_bitmap_ranks_are_unique_inverse(dtype):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    lo = max(int(info.min), -5000)
    values = [rng.integers(lo, min(int(info.max), lo + 10_000), 3000).astype(dtype) for _ in range(2)]
    values[1][:2] = [info.min if lo == info.min else lo, min(int(info.max), lo + 10_000)]
    ranges = [_ids.int_range(v, 3) for v in values]
    vlo, vhi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    both = np.concatenate(values).astype(np.int64)
    assert (vlo, vhi) == (both.min(), both.max())
    words, rank = _ids.id_bitmap(values, vlo, vhi, 3)
    ids = _ids.bitmap_ids(words, rank, vlo, 3)
    expected_ids, expected_inverse = np.unique(both, return_inverse=True)
    np.testing.assert_array_equal(ids, expected_ids)
    out = np.empty(len(both), dtype=np.int32)
    assert _ids.bitmap_positions(both, vlo, vhi, words, rank, out, 3) == 0
    np.testing.assert_array_equal(out, expected_inverse)
    # Values outside the set (or the range) are reported, not mis-ranked.
    probe = np.r_[expected_ids[:5], np.setdiff1d(np.arange(vlo - 3, vhi + 4), expected_ids)[:50]]
    out = np.empty(len(probe), dtype=np.int64)
    assert _ids.bitmap_positions(probe, vlo, vhi, words, rank, out, 2) == len(probe) - 5
    np.testing.assert_array_equal(out[:5], np.arange(5))
    assert np.all(out[5:] == -1)


def test_id_kernels_take_empty_input_on_several_threads():
    # An empty block (a part of a file holding only comments) maps to nothing.
    words, rank = _ids.id_bitmap([np.array([1, 2, 3])], 1, 3, 2)
    empty = np.empty(0, dtype=np.int64)
    assert _ids.bitmap_positions(empty, 1, 3, words, rank, np.empty(0, dtype=np.int32), 2) == 0
    _ids.remap(empty, np.arange(3), 2)


def test_bitmap_at_the_ends_of_int64():
    values = np.array([-(2**63), -(2**63) + 1, -(2**63) + 200], dtype=np.int64)
    lo, hi = _ids.int_range(values, 1)
    words, rank = _ids.id_bitmap([values], lo, hi, 1)
    np.testing.assert_array_equal(_ids.bitmap_ids(words, rank, lo, 1), values)
    values = np.array([2**63 - 1, 2**63 - 70], dtype=np.int64)
    lo, hi = _ids.int_range(values, 2)
    words, rank = _ids.id_bitmap([values], lo, hi, 2)
    np.testing.assert_array_equal(_ids.bitmap_ids(words, rank, lo, 2), np.sort(values))


def test_graph_kernels_are_serial_and_thread_driven():
    """No parallel=True kernel in the graph package: its numba kernels are
    serial, nogil, and run on several threads by KernelThreads (one
    compilation each; a parallel region compiled 5-10 times slower)."""
    from skgraphemb.graph import _parse_kernels

    kernels = [
        f
        for module in (_ids, _parse_kernels)
        for f in vars(module).values()
        if isinstance(f, numba.core.registry.CPUDispatcher)
    ]
    assert len(kernels) >= 15
    for kernel in kernels:
        assert kernel.targetoptions.get("parallel") in (None, False), kernel.py_func.__name__
        if kernel.targetoptions.get("inline") != "always":  # inlined helpers run inside kernels
            assert kernel.targetoptions.get("nogil") is True, kernel.py_func.__name__


def test_compiled_csr_kernels_release_the_gil(runs_without_the_gil):
    """The CSR builder's threads run at once only if a kernel call lets Python run meanwhile."""
    rng = np.random.default_rng(0)
    n, m = 200_000, 20_000_000  # each call well over the helper's 20 ms on a busy machine
    src, dst = rng.integers(0, n, m).astype(np.int32), rng.integers(0, n, m).astype(np.int32)
    counts = np.zeros(n + 1, dtype=np.int64)
    runs_without_the_gil(lambda: _csr._count_rows(src, dst, False, counts, 0, n))
    indptr = np.cumsum(counts)
    indices, data = np.empty(int(indptr[-1]), np.int32), np.empty(0)
    runs_without_the_gil(lambda: _csr._scatter(src, dst, data, False, False, indptr, indices, data, 0, n))
    runs_without_the_gil(lambda: _csr._sort_rows(indptr, indices, data, False, 0, n))


def test_concurrent_builds_in_two_threads_equal_one_at_a_time():
    """Graphs built in two Python threads at once (each driving its own
    kernel threads, no lock between them) equal the same builds in a row."""
    import threading

    from skgraphemb import as_graph

    rng = np.random.default_rng(4)
    m = 2 * _csr.PARALLEL_MIN  # large enough to run on several kernel threads
    inputs = [rng.integers(0, 40_000, size=(m, 2)) for _ in range(2)]
    weights = rng.integers(1, 5, m).astype(np.float64)
    expected = [as_graph(np.column_stack([e, weights])) for e in inputs]
    got = [None, None]

    def build(k):
        got[k] = as_graph(np.column_stack([inputs[k], weights]))

    threads = [threading.Thread(target=build, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(got, expected):
        assert a.indptr.tobytes() == b.indptr.tobytes()
        assert a.indices.tobytes() == b.indices.tobytes()
        assert a.weights.tobytes() == b.weights.tobytes()
