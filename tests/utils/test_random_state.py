"""random_state -> seeds, SplitMix64 and RNG isolation (utils/_random_state.py)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

import skgraphemb
from skgraphemb._kernels import _random as kernel_random
from skgraphemb.utils._random_state import GOLDEN, isolated_rng, mix64, seed_from_random_state, seed_or_none

_U64_MAX = 2**64 - 1


# -- integer seeds ----------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, 1, 42, 2**31 - 1, 2**32 - 1, 2**40, 2**63 - 1])
def test_an_int_is_its_own_seed(value):
    assert seed_from_random_state(value) == value
    assert seed_from_random_state(value, bits=31) == value  # bits never narrows an int
    assert seed_or_none(value) == value


def test_numpy_ints_are_ints_and_wide_ints_keep_63_bits():
    seed = seed_from_random_state(np.int64(7))
    assert seed == 7 and type(seed) is int
    assert seed_or_none(np.uint32(9)) == 9
    # Beyond what scikit-learn accepts: reduced to 63 bits (kernels take int64).
    assert seed_from_random_state(2**63 + 5) == 5
    assert seed_from_random_state(-1) == 2**63 - 1
    assert seed_or_none(2**63 + 5) == 5


def test_a_bool_is_not_an_integer_seed():
    # (scikit-learn's parameter validation refuses it before it gets here)
    assert seed_or_none(True) is None
    assert seed_or_none(False) is None


# -- drawn seeds ------------------------------------------------------------------------
def test_random_state_instances_give_deterministic_seeds():
    a = seed_from_random_state(np.random.RandomState(0))
    assert a == seed_from_random_state(np.random.RandomState(0))
    assert a != seed_from_random_state(np.random.RandomState(1))
    # Two 31-bit draws, the first one highest.
    rs = np.random.RandomState(0)
    assert a == int(rs.randint(0, 2**31 - 1)) << 31 | int(rs.randint(0, 2**31 - 1))
    assert 0 <= a < 2**62
    rs = np.random.RandomState(5)
    assert seed_from_random_state(rs) != seed_from_random_state(rs)  # the source advances


def test_31_bits_is_one_draw_of_pecanpys_width():
    """bits=31: one draw, what PecanPy and PyKEEN were seeded with; the stream
    then continues exactly one draw further on (PecanPy's start nodes)."""
    rs, ref = np.random.RandomState(3), np.random.RandomState(3)
    assert seed_from_random_state(rs, bits=31) == int(ref.randint(np.iinfo(np.int32).max))
    np.testing.assert_array_equal(rs.permutation(50), ref.permutation(50))
    seeds = [seed_from_random_state(np.random.RandomState(s), bits=31) for s in range(200)]
    assert all(0 <= s < 2**31 - 1 for s in seeds)


def test_generators_give_deterministic_seeds():
    a = seed_from_random_state(np.random.default_rng(0))
    assert a == seed_from_random_state(np.random.default_rng(0))
    assert a != seed_from_random_state(np.random.default_rng(1))
    assert 0 <= a < 2**62
    g = np.random.default_rng(0)
    assert seed_from_random_state(g, bits=31) == int(np.random.default_rng(0).integers(0, 2**31 - 1))
    assert seed_or_none(g) is None


def test_none_draws_from_numpys_global_random_state():
    saved = np.random.get_state()  # noqa: NPY002 - this test drives the global RNG
    try:
        np.random.seed(3)  # noqa: NPY002
        first = seed_from_random_state(None)
        assert first == seed_from_random_state(np.random.RandomState(3))
        assert seed_from_random_state(None) != first  # a fresh draw each call
    finally:
        np.random.set_state(saved)  # noqa: NPY002


def test_seed_or_none_draws_nothing():
    rs = np.random.RandomState(0)
    before = rs.get_state()[1].copy()
    assert seed_or_none(None) is None
    assert seed_or_none(rs) is None
    np.testing.assert_array_equal(rs.get_state()[1], before)


def test_bits_must_be_31_or_62():
    with pytest.raises(ValueError, match="bits must be 31 or 62"):
        seed_from_random_state(None, bits=32)


# -- SplitMix64 -------------------------------------------------------------------------
@numba.njit
def _kernel_mix_all(z):
    out = np.empty_like(z)
    for i in range(z.size):
        out[i] = kernel_random._mix(z[i])  # inlined, as in the kernels
    return out


def _edge_values():
    rng = np.random.default_rng(0)
    edges = [0, 1, 2, 2**31 - 1, 2**32 - 1, 2**32, 2**63 - 1, 2**63, _U64_MAX - 1, _U64_MAX, int(GOLDEN)]
    edges += [1 << k for k in range(64)] + [_U64_MAX >> k for k in range(64)]
    drawn = rng.integers(0, _U64_MAX, 20_000, dtype=np.uint64, endpoint=True)
    return np.concatenate([np.array(edges, dtype=np.uint64), drawn])


def test_the_kernel_mixer_is_the_numpy_mixer_compiled():
    assert kernel_random._mix.py_func is mix64


def test_numpy_and_numba_splitmix64_agree_bit_for_bit():
    z = _edge_values()
    expected = mix64(z.copy())
    np.testing.assert_array_equal(_kernel_mix_all(z), expected)
    np.testing.assert_array_equal([kernel_random._mix(v) for v in z[:200]], expected[:200])  # called from Python


def test_splitmix64_reference_values():
    """SplitMix64 seeded with 0: its first outputs are published reference values."""
    state = np.cumsum(np.full(3, GOLDEN, dtype=np.uint64), dtype=np.uint64)
    assert [int(v) for v in mix64(state)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert int(mix64(np.zeros(1, dtype=np.uint64))[0]) == 0  # 0 is the mixer's fixed point
    s = np.zeros(1, dtype=np.uint64)
    assert [int(kernel_random.next_u64(s)) for _ in range(3)] == [int(v) for v in mix64(state)]


def test_mix64_leaves_its_input_alone():
    z = np.arange(5, dtype=np.uint64)
    out = mix64(z)
    np.testing.assert_array_equal(z, np.arange(5, dtype=np.uint64))  # input unchanged
    assert out.dtype == np.uint64 and out.shape == (5,)


# -- imports ----------------------------------------------------------------------------
def test_kernel_module_and_helpers_import_neither_sklearn_nor_torch():
    root = str(Path(skgraphemb.__file__).resolve().parents[1])
    code = """
        import sys
        import skgraphemb._kernels._random
        import skgraphemb.utils._random_state
        loaded = {"sklearn", "torch"} & set(sys.modules)
        assert not loaded, loaded
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=root, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


# -- isolation --------------------------------------------------------------------------
@pytest.mark.torch
def test_isolated_rng_restores_torchs_generator_and_seeds_it():
    torch = pytest.importorskip("torch")
    cpu = torch.device("cpu")
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    with isolated_rng(torch, cpu, seed=7):
        inside = torch.rand(4)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(7)
    assert torch.equal(inside, torch.rand(4))  # seeded as torch.manual_seed(7)
    torch.manual_seed(123)
    with isolated_rng(torch, cpu):  # no seed: the block continues the caller's stream...
        continued = torch.rand(4)
    assert torch.equal(torch.random.get_rng_state(), before)  # ...on a copy
    torch.manual_seed(123)
    assert torch.equal(continued, torch.rand(4))


@pytest.mark.torch
def test_isolated_rng_restores_numpy_and_python_when_asked():
    torch = pytest.importorskip("torch")
    saved = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002
        random.seed(2)
        np_before, py_before = np.random.get_state(), random.getstate()  # noqa: NPY002
        torch_before = torch.random.get_rng_state()
        with isolated_rng(torch, torch.device("cpu"), numpy_and_python=True):
            np.random.seed(99)  # noqa: NPY002 - as PyKEEN's set_random_seed
            random.seed(99)
            torch.manual_seed(99)
            np.random.rand(3), random.random(), torch.rand(3)  # noqa: NPY002
        assert torch.equal(torch.random.get_rng_state(), torch_before)
        np.testing.assert_array_equal(np.random.get_state()[1], np_before[1])  # noqa: NPY002
        assert random.getstate() == py_before

        # Without numpy_and_python only torch is isolated (GraphSAGE's setting).
        with isolated_rng(torch, torch.device("cpu"), seed=0):
            np.random.rand(1)  # noqa: NPY002
        assert not np.array_equal(np.random.get_state()[1], np_before[1])  # noqa: NPY002
    finally:
        np.random.set_state(saved[0])  # noqa: NPY002
        random.setstate(saved[1])


@pytest.mark.torch
def test_isolated_rng_restores_after_an_error():
    torch = pytest.importorskip("torch")
    before = torch.random.get_rng_state()
    np_before = np.random.get_state()  # noqa: NPY002
    with pytest.raises(RuntimeError, match="boom"):
        with isolated_rng(torch, torch.device("cpu"), seed=5, numpy_and_python=True):
            np.random.seed(5)  # noqa: NPY002
            raise RuntimeError("boom")
    assert torch.equal(torch.random.get_rng_state(), before)
    np.testing.assert_array_equal(np.random.get_state()[1], np_before[1])  # noqa: NPY002


@pytest.mark.torch
@pytest.mark.gpu
def test_isolated_rng_restores_the_cuda_generator_of_its_device(cuda):
    import torch

    device = torch.device(f"{cuda}:0")
    torch.cuda.manual_seed(11)
    before = torch.cuda.get_rng_state(0)
    with isolated_rng(torch, device, seed=3):
        inside = torch.rand(4, device=device)
    assert torch.equal(torch.cuda.get_rng_state(0), before)
    torch.cuda.manual_seed(3)
    assert torch.equal(inside, torch.rand(4, device=device))
