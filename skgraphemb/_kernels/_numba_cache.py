"""Distinct on-disk cache entries for variants of one numba kernel.

numba's on-disk cache (``cache=True``) names a compiled function's entry
after its Python function (qualified name and first line), not after the
compilation flags: ``numba.njit(f)`` and ``numba.njit(f, parallel=True)``
share one entry, and whichever variant compiles first is what the other
loads from then on, in every later process (a serial kernel behind the
parallel name: no speed-up from ``n_jobs`` ever after).

:func:`renamed` gives each variant its own Python function, and so its own
cache entry, while both run the same code object: write the kernel once,
with ``numba.prange`` (a plain ``range`` when compiled without
``parallel=True``), and compile it twice::

    @numba.njit(cache=True, nogil=True)
    def walk_chunk(...):
        for i in numba.prange(n):
            ...

    walk_chunk_parallel = numba.njit(
        renamed(walk_chunk.py_func, "walk_chunk_parallel"), parallel=True, cache=True, nogil=True
    )

Standard library only, so that any kernel module can use it.
"""

from __future__ import annotations

import types

__all__ = ["renamed"]


def renamed(func, name: str):
    """``func`` as a new Python function called ``name`` (same code and globals).

    numba's on-disk cache keys a compiled function by its Python function
    (qualified name and first line), not by the ``parallel`` flag: two
    variants of one function share one cache entry, and whichever compiles
    first is what the other loads from then on (a serial kernel behind
    ``train_walks_parallel``: no speed-up from ``n_jobs`` ever after).
    """
    new = types.FunctionType(func.__code__, func.__globals__, name, func.__defaults__, func.__closure__)
    new.__qualname__ = name
    new.__doc__ = func.__doc__
    return new
