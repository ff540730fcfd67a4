"""Counter-based random numbers for numba kernels.

Kernels never touch numpy's global RNG nor numba's per-thread RNG, whose
state depends on which thread runs which item.  Instead each independent unit
of work (one walk, one block of skip-gram updates) derives its own 64-bit
state from ``(seed, item index)`` with :func:`item_state`, and draws from it
with :func:`next_u64` / :func:`next_float` / :func:`next_below`.  Results then
depend only on the seed and the item index, never on the thread count.

The generator is SplitMix64 (Steele, Lea & Flood 2014): one 64-bit add and a
mixing function per draw, which passes BigCrush and is plenty for sampling.
State is a ``uint64`` held in a 1-element array so it can be updated in place
from inside other jitted functions.  The mixer and the seeds that come in
(from ``random_state``) are defined in :mod:`skgraphemb.utils._random_state`;
this module holds only jitted code.
"""

import numba
import numpy as np

from skgraphemb.utils._random_state import GOLDEN as _GOLDEN
from skgraphemb.utils._random_state import mix64

_S11 = np.uint64(11)
# 2**-53 as a float64: converts the top 53 bits of a draw into [0, 1).
_INV53 = 1.0 / 9007199254740992.0

# SplitMix64's finaliser: numpy code calls mix64 on arrays, the kernels this
# compilation of the very same function (one implementation, scalar here).
_mix = numba.njit(inline="always", cache=True)(mix64)


@numba.njit(cache=True, nogil=True)
def item_state(seed, index):
    """Return a fresh generator state for work item ``index`` under ``seed``.

    Two different ``(seed, index)`` pairs give statistically independent
    streams: the pair is hashed through two rounds of the SplitMix64 mixer.
    """
    s = np.empty(1, dtype=np.uint64)
    s[0] = _mix(_mix(np.uint64(seed) + _GOLDEN) ^ (np.uint64(index) * _GOLDEN))
    return s


@numba.njit(inline="always", cache=True)
def next_u64(state):
    """Advance ``state`` (a 1-element uint64 array) and return a uint64."""
    state[0] += _GOLDEN
    return _mix(state[0])


@numba.njit(inline="always", cache=True)
def next_float(state):
    """Uniform float64 in [0, 1)."""
    return np.float64(next_u64(state) >> _S11) * _INV53


@numba.njit(inline="always", cache=True)
def next_below(state, n):
    """Uniform integer in [0, n) for ``n >= 1`` (Lemire's multiply-shift).

    The bias is at most ``n / 2**32``, negligible for the sizes we draw from
    (node degrees, vocabulary sizes below 2**32).
    """
    return np.int64(((next_u64(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
