"""file_lock: exclusive across threads and processes; the embedding cache uses it."""

from __future__ import annotations

import multiprocessing
import threading
import time

import networkx as nx
import pytest

from skgraphemb import SVDEmbedder, as_graph
from skgraphemb.utils._filelock import file_lock


def _hold(path, log, seconds):
    with file_lock(path):
        with open(log, "a") as f:
            f.write("in\n")
        time.sleep(seconds)
        with open(log, "a") as f:
            f.write("out\n")


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_holders_never_overlap(tmp_path, kind):
    lock, log = tmp_path / "sub" / "x.lock", tmp_path / "log"
    if kind == "threads":
        workers = [threading.Thread(target=_hold, args=(lock, log, 0.2)) for _ in range(3)]
    else:
        ctx = multiprocessing.get_context("spawn")
        workers = [ctx.Process(target=_hold, args=(lock, log, 0.2)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert log.read_text().split() == ["in", "out"] * 3


def test_a_dead_holder_releases_the_lock(tmp_path):
    lock = tmp_path / "x.lock"
    ctx = multiprocessing.get_context("spawn")
    holder = ctx.Process(target=_hold, args=(lock, tmp_path / "log", 60))
    holder.start()
    while not (tmp_path / "log").exists():
        time.sleep(0.01)
    holder.kill()
    holder.join()
    start = time.perf_counter()
    with file_lock(lock):
        pass
    assert time.perf_counter() - start < 30


class _SlowSVD(SVDEmbedder):
    calls = 0

    def _embed(self, graph, seed):
        type(self).calls += 1
        time.sleep(0.3)
        return super()._embed(graph, seed)


def test_concurrent_fits_of_one_candidate_compute_it_once(tmp_path):
    graph = as_graph(nx.karate_club_graph())
    _SlowSVD.calls = 0
    results = []

    def fit():
        results.append(_SlowSVD(n_components=4, random_state=0, memory=str(tmp_path)).fit(graph).embedding_)

    threads = [threading.Thread(target=fit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _SlowSVD.calls == 1 and all((r == results[0]).all() for r in results)
