"""numba's on-disk cache and kernels compiled twice (serial and parallel)."""

import types


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
