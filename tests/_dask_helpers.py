"""Estimators for the Dask tests, in a module that worker processes can import."""

from __future__ import annotations

import os
import time

from skgraphemb import SVDEmbedder


class CountingSVDEmbedder(SVDEmbedder):
    """An SVDEmbedder that appends a line to ``log_dir/computed.log`` per embedding computed.

    ``delay`` seconds of sleep make the computations of concurrent folds
    overlap, as a real embedding of a large graph would.  With ``die_once``
    (a path), the first fit kills its process (as the OOM killer would) and
    leaves that file behind, so the retried task succeeds.
    """

    def __init__(
        self,
        n_components=8,
        order=2,
        *,
        random_state=None,
        graph=None,
        memory=None,
        log_dir=None,
        delay=0.0,
        die_once=None,
    ):
        super().__init__(n_components, order, random_state=random_state, graph=graph, memory=memory)
        self.log_dir = log_dir
        self.delay = delay
        self.die_once = die_once

    def _embed(self, graph, seed):
        if self.die_once and not os.path.exists(self.die_once):
            open(self.die_once, "w").close()
            os._exit(3)  # the worker process dies mid-task, the first time only
        with open(os.path.join(self.log_dir, "computed.log"), "a") as f:
            f.write(f"{os.getpid()} {self.n_components}\n")
        time.sleep(self.delay)
        return super()._embed(graph, seed)


def computed(log_dir) -> list[str]:
    """Lines written by CountingSVDEmbedder, one per embedding computed."""
    path = os.path.join(log_dir, "computed.log")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def open_count() -> int:
    """How many times this process opened a saved graph."""
    from skgraphemb.graph import _store

    return _store.open_count
