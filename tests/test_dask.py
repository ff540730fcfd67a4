"""Searches on a Dask cluster (joblib's dask backend): same scores, the graph
sent once, one embedding per candidate, failures reported.

Each test module starts its own ``LocalCluster`` of two worker processes on
loopback and closes it.
"""

from __future__ import annotations

import logging
import pickle

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from skgraphemb import Node2VecEmbedder, SVDEmbedder, compare_embedders, load_cora, load_graph

distributed = pytest.importorskip("distributed", reason="needs the dask extra: pip install 'skgraphemb[dask]'")
pytestmark = pytest.mark.dask

from _dask_helpers import CountingSVDEmbedder, computed, open_count  # noqa: E402


def _cluster(**kwargs):
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
        **kwargs,
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def cora():
    return load_cora()


@pytest.fixture(scope="module")
def saved_cora(cora, tmp_path_factory):
    path = tmp_path_factory.mktemp("graphs") / "cora.skgraph"
    cora.graph.save(path)
    return load_graph(path)


def _pipe(embedder):
    return Pipeline([("emb", embedder), ("clf", LogisticRegression(max_iter=300))])


def test_grid_search_and_cross_val_score_give_the_serial_scores(client, cora):
    pipe = _pipe(
        Node2VecEmbedder(
            graph=cora.graph, n_components=16, walk_length=10, num_walks=2, window=3, random_state=0, n_jobs=1
        )
    )
    grid = {"emb__p": [0.5, 2.0], "emb__q": [0.5, 2.0]}
    serial = GridSearchCV(pipe, grid, cv=3, scoring="f1_macro").fit(cora.nodes, cora.labels)
    with joblib.parallel_config(backend="dask"):
        on_dask = GridSearchCV(pipe, grid, cv=3, scoring="f1_macro", n_jobs=-1).fit(cora.nodes, cora.labels)
        dask_cv = cross_val_score(pipe, cora.nodes, cora.labels, cv=3, n_jobs=-1)
    for key in ("split0_test_score", "split1_test_score", "split2_test_score"):
        np.testing.assert_array_equal(on_dask.cv_results_[key], serial.cv_results_[key])
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_array_equal(dask_cv, cross_val_score(pipe, cora.nodes, cora.labels, cv=3))


def test_fits_in_a_worker_task_use_one_thread_by_default(client):
    """Under the dask backend joblib counts the cluster's threads; a fit in a
    worker must count this machine's, and take n_jobs=None as 1."""
    from skgraphemb.utils._validation import effective_n_jobs

    def counts():
        return effective_n_jobs(None), effective_n_jobs(-1), effective_n_jobs(1000)

    with joblib.parallel_config(backend="dask"):
        inside = joblib.Parallel(n_jobs=-1)(joblib.delayed(counts)() for _ in range(2))
    cores = joblib.cpu_count()
    assert inside == [(1, cores, cores)] * 2


def test_compare_embedders_gives_the_serial_table(client, cora):
    embedders = {
        "svd": SVDEmbedder(n_components=8, random_state=0),
        "n2v": Node2VecEmbedder(n_components=8, walk_length=10, num_walks=2, window=3, random_state=0),
    }
    kwargs = dict(labels=cora.labels, nodes=cora.nodes, cv=2)
    serial = compare_embedders(embedders, cora.graph, **kwargs)
    with joblib.parallel_config(backend="dask"):
        on_dask = compare_embedders(embedders, cora.graph, n_jobs=-1, **kwargs)
    scores = ["f1_macro_mean", "f1_macro_std", "f1_micro_mean", "f1_micro_std"]
    assert list(on_dask.index) == ["svd", "n2v"]
    np.testing.assert_array_equal(on_dask[scores].to_numpy(), serial[scores].to_numpy())


def test_a_saved_graph_travels_as_a_reference(client, cora, saved_cora, monkeypatch, tmp_path):
    """12 tasks (4 candidates x 3 folds): no task carries the graph's arrays,
    and each worker process maps the file once."""
    from skgraphemb.graph._graph import Graph

    pickled = []
    real = Graph.__getstate__
    monkeypatch.setattr(Graph, "__getstate__", lambda self: pickled.append(1) or real(self))
    in_memory = pickle.dumps(_pipe(SVDEmbedder(graph=cora.graph)))
    by_reference = pickle.dumps(_pipe(SVDEmbedder(graph=saved_cora)))
    assert len(pickled) == 1 and len(by_reference) < 2_000 < 100_000 < len(in_memory)

    pickled.clear()
    before = client.run(open_count)
    pipe = _pipe(SVDEmbedder(graph=saved_cora, random_state=0))
    with joblib.parallel_config(backend="dask"):
        GridSearchCV(pipe, {"emb__n_components": [4, 8, 16, 32]}, cv=3, n_jobs=-1).fit(cora.nodes, cora.labels)
    after = client.run(open_count)
    assert pickled == []  # the client never pickled the graph's data
    assert all(after[w] - before[w] <= 1 for w in after) and sum(after.values()) - sum(before.values()) >= 1


def test_one_embedding_per_candidate_across_workers(client, saved_cora, cora, tmp_path):
    """Folds of a candidate running at once on two worker processes compute
    its embedding once: 4 candidates x 3 folds -> 4 embeddings."""
    emb = CountingSVDEmbedder(
        graph=saved_cora, random_state=0, memory=str(tmp_path / "cache"), log_dir=str(tmp_path), delay=0.5
    )
    grid = {"emb__n_components": [4, 6, 8, 10]}
    with joblib.parallel_config(backend="dask"):
        search = GridSearchCV(_pipe(emb), grid, cv=3, n_jobs=-1).fit(cora.nodes, cora.labels)
    lines = computed(tmp_path)
    assert len(lines) == 4, lines
    assert sorted(int(line.split()[1]) for line in lines) == [4, 6, 8, 10]
    assert len({line.split()[0] for line in lines}) == 2  # both workers computed
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_an_error_on_a_worker_fails_the_search_with_that_error(client, saved_cora, cora, tmp_path):
    from skgraphemb import InsufficientMemoryError

    pipe = _pipe(Node2VecEmbedder(graph=saved_cora, n_components=8, random_state=0))
    grid = {"emb__max_memory": ["auto", "1kB"]}  # the second candidate cannot fit
    with (
        joblib.parallel_config(backend="dask"),
        pytest.raises(InsufficientMemoryError, match="max_memory=.1kB. allows"),
    ):
        GridSearchCV(pipe, grid, cv=2, n_jobs=-1, error_score="raise").fit(cora.nodes, cora.labels)


def test_a_worker_killed_mid_fit_never_leaves_the_search_short(cora, tmp_path):
    """A worker process killed during a fit (once, as by the OOM killer).

    Dask reruns the task on a live worker.  If the dead worker also held
    data that joblib had scattered to it (X, y, fold indices), the tasks
    needing them are cancelled and the search raises.  Either way it never
    returns results short of folds: it completes with the serial scores, or
    raises.  joblib 1.6's dask backend can also wait forever here (it does
    not pass a task that errs at the Dask level to its retrieval loop): that
    outcome is reported as an expected failure, not hidden.
    """
    import threading

    pipe = _pipe(CountingSVDEmbedder(graph=cora.graph, random_state=0, log_dir=str(tmp_path)))
    grid = {"emb__n_components": [4, 8]}
    serial = GridSearchCV(pipe, grid, cv=3).fit(cora.nodes, cora.labels)
    pipe.set_params(emb__die_once=str(tmp_path / "died"))
    outcome = {}

    def search():
        try:
            with joblib.parallel_config(backend="dask"):
                outcome["search"] = GridSearchCV(pipe, grid, cv=3, n_jobs=-1, error_score="raise").fit(
                    cora.nodes, cora.labels
                )
        except Exception as e:  # noqa: BLE001 - what the search raised is the outcome
            outcome["error"] = e

    with _cluster() as cluster, distributed.Client(cluster):
        runner = threading.Thread(target=search, daemon=True)
        runner.start()
        runner.join(timeout=180)
    assert (tmp_path / "died").exists()  # a worker did die
    if runner.is_alive():
        pytest.xfail("joblib's dask backend waited forever after a worker death (a joblib issue)")
    if "error" in outcome:
        assert isinstance(
            outcome["error"], (distributed.scheduler.KilledWorker, distributed.client.FutureCancelledError)
        )
        return
    for k in range(3):
        np.testing.assert_array_equal(
            outcome["search"].cv_results_[f"split{k}_test_score"], serial.cv_results_[f"split{k}_test_score"]
        )
