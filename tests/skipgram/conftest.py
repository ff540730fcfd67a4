"""Fixtures of the skip-gram tests."""

from __future__ import annotations

import pytest

from skgraphemb.skipgram import _sgns


@pytest.fixture(params=[8, 16], ids=["w8", "w16"])
def simd_width(request):
    """Run the window products in blocks of 8 floats, then of 16 (AVX-512;
    skipped on CPUs without it), and give the CPU's widest back after."""
    try:
        if _sgns.set_simd_width(request.param) != request.param:
            pytest.skip("this CPU runs the window products in blocks of 8 only (no AVX-512)")
        yield request.param
    finally:
        _sgns.set_simd_width(16)
