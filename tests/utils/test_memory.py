"""Memory helpers: sizes, what the machine has left, and the estimate check."""

from __future__ import annotations

import numpy as np
import pytest

from skgraphemb import InsufficientMemoryError
from skgraphemb.utils import _memory
from skgraphemb.utils._memory import MemoryEstimate, format_bytes, mapped_nbytes, parse_bytes


@pytest.mark.parametrize(
    "text, expected",
    [
        ("16GB", 16 * 10**9),
        ("512 MiB", 512 * 2**20),
        ("1.5g", 1_500_000_000),
        ("2048", 2048),
        (4096, 4096),
        ("3 kb", 3000),
        ("1TiB", 2**40),
    ],
)
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("bad", ["", "lots", "-1GB", "0", "12 parsecs", True, -5, None])
def test_parse_bytes_rejects_with_the_accepted_forms(bad):
    with pytest.raises(ValueError, match="'16GB'"):
        parse_bytes(bad)


def test_format_bytes():
    assert [format_bytes(b) for b in (5, 1500, 2.5e6, 3e9, 4e12)] == ["5 B", "1.50 kB", "2.50 MB", "3.00 GB", "4.00 TB"]


def test_available_memory_and_rss_are_plausible():
    avail, rss = _memory.available_memory(), _memory.process_rss()
    assert avail is None or 0 < avail < 2**50
    assert rss is not None and 10 * 2**20 < rss < 2**45
    # A fresh anonymous mapping, touched page by page: memory that the
    # allocator cannot serve from what earlier tests freed but kept resident
    # (np.ones did, after the suite grew: RSS did not move at all).
    import mmap

    before = _memory.process_rss()
    block = mmap.mmap(-1, 50 * 2**20)
    view = np.frombuffer(block, dtype=np.uint8)
    view[:: mmap.PAGESIZE] = 1  # touched: resident
    assert _memory.process_rss() - before > 40 * 2**20
    del view
    block.close()


def test_cgroup_limit_caps_the_available_memory(monkeypatch):
    monkeypatch.setattr(_memory, "_cgroup_headroom", lambda: 12345)
    assert _memory.available_memory() == 12345


def test_mapped_nbytes(tmp_path):
    path = tmp_path / "a.bin"
    np.arange(100, dtype=np.int64).tofile(path)
    m = np.memmap(path, dtype=np.int64, mode="r")
    view = np.asarray(m)[10:20]
    assert mapped_nbytes(m, view, np.zeros(7), None) == 800 + 80


def test_estimate_check():
    est = MemoryEstimate("Thing", parts={"vectors": 600, "tables": 400}, baseline=10_000, hints=["use less"])
    assert est.total == 1000 and est.peak == 11_000 and "vectors 600 B" in est.describe()
    est.check(None)
    est.check("11kB")
    with pytest.raises(
        InsufficientMemoryError, match=r"Thing needs about 1.00 kB .* allows 10.00 kB for the whole process.*use less"
    ) as info:
        est.check(10_000)
    assert info.value.required == 1000


def test_estimate_check_auto(monkeypatch):
    est = MemoryEstimate("Thing", parts={"vectors": 5000})
    monkeypatch.setattr(_memory, "available_memory", lambda: 4000)
    with pytest.raises(InsufficientMemoryError, match="only 4.00 kB is available"):
        est.check("auto")
    monkeypatch.setattr(_memory, "available_memory", lambda: 5000)
    est.check("auto")
    monkeypatch.setattr(_memory, "available_memory", lambda: None)  # unknown: no check
    est.check("auto")
