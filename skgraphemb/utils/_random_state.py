"""``random_state`` -> integer seeds, SplitMix64, and isolation of global RNGs.

The one home for how skgraphemb turns scikit-learn's ``random_state`` into
the integers its kernels, PyKEEN and torch are seeded with:

- :func:`seed_or_none`: the seed an integer ``random_state`` fixes, or
  ``None`` when it fixes none (the fit-cache key);
- :func:`seed_from_random_state`: always an integer, drawn from the source
  when ``random_state`` is not one;
- :func:`mix64`: SplitMix64's finaliser, on numpy arrays here and compiled
  as is by numba for the kernels (``skgraphemb._kernels._random``), so both
  sides run one implementation;
- :func:`isolated_rng`: a block that seeds (or lets a library seed) global
  generators and leaves the caller's as they were.

numpy only at import; scikit-learn is imported on the first draw and torch
is passed in by its callers, so numba kernels may import this module.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = ["GOLDEN", "isolated_rng", "mix64", "seed_from_random_state", "seed_or_none"]

#: SplitMix64's increment (2**64 / golden ratio, odd); also the multiplier
#: that spreads item indices and node keys before mixing.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)

# An integer random_state is reduced to 63 bits: the kernels take seeds as
# int64 arguments.  (scikit-learn's constraint already bounds it by 2**32.)
_SEED_MASK = 0x7FFFFFFFFFFFFFFF
# Exclusive upper bound of one draw (31 bits, as scikit-learn draws seeds):
# one draw is a valid seed for numpy's legacy seeding (< 2**32), two make 62.
_DRAW_HIGH = 2**31 - 1


def mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014), wrapping arithmetic.

    Called on uint64 arrays by numpy code (one call for a whole array);
    ``skgraphemb._kernels._random`` compiles this same function with numba
    for scalar use inside kernels, so the two cannot drift apart.  (numpy
    warns on overflow of uint64 *scalars*: pass arrays from Python.)
    """
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _is_int_seed(random_state) -> bool:
    return isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)


def seed_or_none(random_state) -> int | None:
    """The seed an integer ``random_state`` fixes; ``None`` when it fixes none.

    An int gives the same integer as :func:`seed_from_random_state`; ``None``
    and generator instances give ``None`` without drawing (each fit is then
    a fresh draw, so nothing can be cached under a key).
    """
    return int(random_state) & _SEED_MASK if _is_int_seed(random_state) else None


def seed_from_random_state(random_state, *, bits: int = 62) -> int:
    """An integer seed from a scikit-learn ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance, Generator instance or None
        An int is the seed itself (as an unsigned 63-bit value; ints below
        2**63, so every value scikit-learn accepts, come back unchanged):
        results are reproducible.  A ``RandomState`` or ``Generator`` is
        drawn from, and ``None`` draws from numpy's global ``RandomState``
        (:func:`sklearn.utils.check_random_state`): equal sources give equal
        seeds, and repeated calls differ as the source advances.
    bits : {62, 31}, default=62
        Width of a *drawn* seed: 62 (two draws) for the kernels' 64-bit
        counters; 31 (one draw) where the seed must fit numpy's legacy
        seeding (PyKEEN) or a uint32 ``seed + thread id`` (PecanPy).  An
        int ``random_state`` is never narrowed by ``bits``.

    Returns
    -------
    seed : int
        A non-negative integer below 2**63.
    """
    if _is_int_seed(random_state):
        return int(random_state) & _SEED_MASK
    if bits not in (31, 62):
        raise ValueError(f"bits must be 31 or 62; got {bits!r}")
    if isinstance(random_state, np.random.Generator):
        draw = random_state.integers
    else:
        from sklearn.utils import check_random_state

        draw = check_random_state(random_state).randint
    seed = 0
    for _ in range(bits // 31):  # one 31-bit draw after another, first one highest
        seed = seed << 31 | int(draw(0, _DRAW_HIGH))
    return seed


@contextlib.contextmanager
def isolated_rng(torch, device, seed: int | None = None, *, numpy_and_python: bool = False) -> Iterator[None]:
    """Run a block that seeds global generators, then give the caller's back.

    torch's CPU generator, and that of ``device`` when it is a CUDA device,
    are forked (:func:`torch.random.fork_rng`); a ``seed`` seeds torch
    (:func:`torch.manual_seed`) at the start of the block.  With
    ``numpy_and_python=True`` numpy's global ``RandomState`` and Python's
    :mod:`random` are saved and restored as well: for blocks that seed all
    three, as PyKEEN's ``set_random_seed`` does.

    Parameters
    ----------
    torch : module
        The torch module (imported by the caller: this module never
        imports torch).
    device : torch.device
        The device the block computes on.
    seed : int, default=None
        Seed torch with it inside the block; ``None`` leaves seeding to
        the block.
    numpy_and_python : bool, default=False
        Also restore numpy's and Python's global generators.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    saved = (np.random.get_state(), random.getstate()) if numpy_and_python else None  # noqa: NPY002
    try:
        with torch.random.fork_rng(devices=devices):
            if seed is not None:
                torch.manual_seed(seed)
            yield
    finally:
        if saved is not None:
            np.random.set_state(saved[0])  # noqa: NPY002 - the caller's global RNG, as it was
            random.setstate(saved[1])
