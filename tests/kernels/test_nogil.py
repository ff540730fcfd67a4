"""The numba kernels release the GIL, so fits in several threads run at once."""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading

import networkx as nx
import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import skgraphemb
import skgraphemb._kernels as kernels_package
from skgraphemb import as_graph


def _kernel_modules():
    """The numba modules of skgraphemb._kernels and each family package's ``*_kernels`` (not torch)."""
    for info in pkgutil.iter_modules(kernels_package.__path__, "skgraphemb._kernels."):
        if not info.name.endswith("_torch"):  # torch code, no numba
            yield info.name
    for package in pkgutil.iter_modules(skgraphemb.__path__, "skgraphemb."):
        if package.ispkg:
            path = os.path.join(package.module_finder.path, package.name.rpartition(".")[2])
            for info in pkgutil.iter_modules([path], f"{package.name}."):
                if info.name.endswith("_kernels") and not info.name.endswith("_torch_kernels"):
                    yield info.name


def _dispatchers():
    for module_name in _kernel_modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                yield f"{module_name.removeprefix('skgraphemb.')}.{name}", value


def test_every_kernel_called_from_python_releases_the_gil():
    """Inlined helpers run inside their callers; every other kernel is nogil."""
    holding = [
        name
        for name, kernel in _dispatchers()
        if kernel.targetoptions.get("inline", "never") == "never" and not kernel.targetoptions.get("nogil")
    ]
    assert not holding, f"kernels holding the GIL: {holding}"


def test_python_threads_run_while_a_walk_kernel_runs():
    """Another thread keeps running Python while one thread is inside a kernel."""
    import time

    from skgraphemb.walks._plan import _generate, plan_walks

    graph = as_graph(nx.barabasi_albert_graph(3000, 4, seed=0))
    plan = plan_walks(graph, 300, 20, 1.0, 0.5, 0, 1)  # 60,000 walks of 300 nodes, one thread
    list(_generate(plan, 10, None, 0))[:1]  # compile (or load) the kernel first
    inside = {}

    def walk():
        start = time.perf_counter()
        next(_generate(plan, plan.n_walks, None, 0))  # a single kernel call: all walks
        inside["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=walk)
    stamps = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())  # pure Python: needs the GIL
    worker.join()
    gap = float(np.max(np.diff(stamps)))
    # A kernel holding the GIL stops this loop for its whole duration.
    assert gap < 0.5 * inside["seconds"], (gap, inside)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_concurrent_fits_in_threads_equal_fits_one_after_the_other(n_jobs):
    """Same results whether two fits run in two threads or in a row (parallel
    launches from two threads are safe whatever numba's threading layer)."""
    from skgraphemb import Node2VecEmbedder

    graph = as_graph(nx.barabasi_albert_graph(400, 3, seed=1))
    params = dict(n_components=8, walk_length=20, num_walks=4, q=0.5, n_jobs=n_jobs)
    results = {}

    def fit(seed):
        results[seed] = Node2VecEmbedder(**params, random_state=seed).fit(graph).embedding_

    threads = [threading.Thread(target=fit, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if n_jobs == 1:  # bitwise reproducible with one thread per fit
        for seed in (1, 2):
            np.testing.assert_array_equal(
                results[seed], Node2VecEmbedder(**params, random_state=seed).fit(graph).embedding_
            )
    else:
        assert all(np.isfinite(r).all() and r.shape == (400, 8) for r in results.values())
