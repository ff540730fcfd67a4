"""KGEmbedder (skgraphemb.kg) and the knowledge-graph loaders.

Independent references used here: ``pykeen.pipeline`` itself (the
reproduction test), ``pykeen.predict.predict_target``, PyKEEN's own entity
representations (complex real view), PyKEEN's ``load_triples`` (loaders) and
a brute-force computation of filtered ranks from ``score_triples``.
"""

from __future__ import annotations

import gzip
import pickle
import warnings

import numpy as np
import pytest

pykeen = pytest.importorskip("pykeen")
torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import skgraphemb  # noqa: E402
from skgraphemb import (  # noqa: E402
    DeviceUnavailableError,
    KGEmbedder,
    UnknownLabelError,
    UnknownNodeError,
    load_kg,
    load_kg_dir,
)
from skgraphemb.utils._device import DeviceMappingWarning  # noqa: E402

pytestmark = pytest.mark.kg

#: Small, fast settings for most tests.
FAST = dict(embedding_dim=8, num_epochs=3, batch_size=256, random_state=0, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread_for_the_module():
    """Run this module with one torch thread (PyKEEN's pipeline included).

    On a busy 2-core CI machine, torch's default of one thread per core
    oversubscribes and runs these small models several times slower.
    """
    from skgraphemb.utils._device import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def nations():
    return load_kg("nations")


@pytest.fixture(scope="module")
def fitted(nations):
    return KGEmbedder("TransE", **FAST).fit(nations.train)


@pytest.fixture(scope="module")
def tiny_kg():
    """12 entities, 3 relations: 60 training triples and 12 test triples, all labels known."""
    rng = np.random.default_rng(3)
    ents = np.array([f"e{i:02d}" for i in range(12)])
    rels = np.array(["likes", "knows", "owns"])
    seen: set = set()
    triples = []
    while len(triples) < 72:
        h, t = rng.choice(12, size=2, replace=False)
        r = rng.integers(3)
        if (h, r, t) not in seen:
            seen.add((h, r, t))
            triples.append((ents[h], rels[r], ents[t]))
    triples = np.array(triples, dtype=object)
    train, test = triples[:60], triples[60:]
    labels = set(train[:, 0]) | set(train[:, 2])
    keep = np.array([h in labels and t in labels for h, _, t in test])
    return train, test[keep]


# -- the pipeline reproduction (the correctness target) ----------------
def _transe_both_ways(nations, epochs, device):
    """``pykeen.pipeline`` and ``KGEmbedder`` with one configuration and seed:
    TransE on Nations, batch 256, learning rate 0.01, on ``device`` (PyKEEN
    is told it: it takes a GPU where there is one)."""
    from pykeen.pipeline import pipeline

    result = pipeline(
        dataset="Nations",
        model="TransE",
        training_kwargs=dict(num_epochs=epochs, batch_size=256),
        optimizer_kwargs=dict(lr=0.01),
        evaluation_kwargs=dict(batch_size=256),
        random_seed=42,
        device=device,
        use_tqdm=False,
    )
    kge = KGEmbedder("TransE", epochs=epochs, batch_size=256, learning_rate=0.01, random_state=42, device=device)
    return result, kge.fit(nations.train)


def test_reproduces_pykeen_pipeline_on_nations(nations):
    """Same seed and configuration as pykeen.pipeline -> the same model and metrics."""
    result, kge = _transe_both_ways(nations, 100, "cpu")
    ours = kge.evaluate(nations.test, filter_triples=nations.valid)
    theirs = result.metric_results
    # Bit-identical training (same RNG stream, same ops), so the metrics are
    # equal, not merely close.
    np.testing.assert_array_equal(kge.history_, result.losses)
    np.testing.assert_array_equal(
        kge.entity_embeddings_, result.model.entity_representations[0](indices=None).detach().numpy()
    )
    assert ours["mrr"] == theirs.get_metric("both.realistic.inverse_harmonic_mean_rank")
    assert ours["hits@10"] == theirs.get_metric("both.realistic.hits_at_10")
    assert ours["hits@1"] == theirs.get_metric("both.realistic.hits_at_1")
    assert ours["n_triples"] == len(nations.test)
    # the ids are PyKEEN's
    assert kge.entities_.tolist() == list(result.training.entity_to_id)
    assert kge.relations_.tolist() == list(result.training.relation_to_id)
    np.testing.assert_array_equal(kge.mapped_triples_, result.training.mapped_triples.numpy())


@pytest.mark.gpu
def test_matches_pykeen_pipeline_on_a_gpu(nations, cuda):
    """On a real GPU, the same seed and configuration as pykeen.pipeline on
    that GPU: the same losses and metrics (up to the GPU's float rounding)."""
    result, kge = _transe_both_ways(nations, 20, cuda)
    assert kge.device_.startswith("cuda") and kge.model_.device.type == "cuda"
    np.testing.assert_allclose(kge.history_, result.losses, rtol=1e-4)
    ours = kge.evaluate(nations.test, filter_triples=nations.valid)
    theirs = result.metric_results
    assert ours["mrr"] == pytest.approx(theirs.get_metric("both.realistic.inverse_harmonic_mean_rank"), abs=0.01)
    assert ours["hits@10"] == pytest.approx(theirs.get_metric("both.realistic.hits_at_10"), abs=0.02)
    assert ours["mrr"] > 0.3  # a random ranking of Nations' 14 entities scores about 0.23


def test_fit_on_a_triples_factory_equals_fit_on_labels(nations):
    from pykeen.datasets import Nations

    factory = Nations().training
    a = KGEmbedder("DistMult", **FAST).fit(factory)
    b = KGEmbedder("DistMult", **FAST).fit(nations.train)
    np.testing.assert_array_equal(a.entity_embeddings_, b.entity_embeddings_)
    assert a.entities_.tolist() == b.entities_.tolist()
    # a labelled factory also works as evaluation input
    assert a.evaluate(Nations().testing) == b.evaluate(nations.test)


def test_fit_leaves_global_rngs_alone(nations):
    import random

    np.random.seed(7)  # noqa: NPY002 (global RNG under test)
    random.seed(7)
    torch.manual_seed(7)
    expected = (np.random.random(), random.random(), torch.rand(1).item())  # noqa: NPY002 (global RNG under test)
    np.random.seed(7)  # noqa: NPY002 (global RNG under test)
    random.seed(7)
    torch.manual_seed(7)
    KGEmbedder("TransE", **FAST).fit(nations.train)
    assert (np.random.random(), random.random(), torch.rand(1).item()) == expected  # noqa: NPY002 (global RNG under test)


def test_fit_leaves_the_garbage_collector_as_it_was(nations):
    import gc

    # Start from no frozen objects, even in a process where another library
    # froze some (seen on a GPU machine's image); they are frozen again after.
    outside = gc.get_freeze_count()
    gc.unfreeze()
    try:
        KGEmbedder("TransE", **FAST).fit(nations.train)  # freezes during training only
        assert gc.get_freeze_count() == 0
        gc.freeze()  # a caller's own freeze is left alone
        frozen = gc.get_freeze_count()
        KGEmbedder("TransE", **FAST).fit(nations.train)
        # not unfrozen (that would make it 0); frozen objects may still be freed by refcount
        assert gc.get_freeze_count() > 0.9 * frozen
    finally:
        gc.unfreeze()
        if outside:
            gc.freeze()


def test_fit_hides_pykeens_own_shuffle_deprecation(tiny_kg):
    """PyKEEN's training loop passes shuffle=True and deprecates it itself; fit is quiet."""
    from pykeen.models import TransE
    from pykeen.training import SLCWATrainingLoop
    from pykeen.triples import TriplesFactory

    train, _ = tiny_kg
    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        tf = TriplesFactory.from_labeled_triples(train.astype(str))
        model = TransE(triples_factory=tf, embedding_dim=4, random_seed=0)
        SLCWATrainingLoop(model=model, triples_factory=tf).train(tf, num_epochs=1, use_tqdm=False)
    if not any("always shuffled" in str(w.message) for w in raw):
        pytest.skip("this PyKEEN no longer emits the shuffle deprecation")
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        KGEmbedder("TransE", embedding_dim=4, num_epochs=1, random_state=0, device="cpu").fit(train)
    assert not [w for w in ours if "always shuffled" in str(w.message)]


def test_integer_seed_reproducible_and_seeds_differ(nations):
    a = KGEmbedder("TransE", **FAST).fit(nations.train).entity_embeddings_
    b = KGEmbedder("TransE", **FAST).fit(nations.train).entity_embeddings_
    c = KGEmbedder("TransE", **{**FAST, "random_state": 1}).fit(nations.train).entity_embeddings_
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# -- fitted attributes and transform -------------------------------------------
def test_attributes_shapes_and_transform(fitted, nations):
    kge = fitted
    ents = sorted(set(nations.train[:, 0]) | set(nations.train[:, 2]))
    assert kge.entities_.tolist() == ents
    assert kge.relations_.tolist() == sorted(set(nations.train[:, 1]))
    assert kge.entity_embeddings_.shape == (14, 8) and kge.entity_embeddings_.dtype == np.float32
    assert kge.relation_embeddings_.shape == (55, 8) and kge.relation_embeddings_.dtype == np.float32
    assert kge.embedding_ is kge.entity_embeddings_ and kge.nodes_ is kge.entities_
    assert kge.n_features_in_ == 3 and kge.n_epochs_ == 3 and len(kge.history_) == 3
    assert kge.device_ == "cpu" and kge.random_seed_ == 0
    # transform looks rows up by label, in the order asked
    pos = {e: i for i, e in enumerate(ents)}
    asked = ["usa", "brazil", "usa"]
    np.testing.assert_array_equal(kge.transform(asked), kge.entity_embeddings_[[pos[e] for e in asked]])
    # the vectors are the model's
    np.testing.assert_array_equal(
        kge.entity_embeddings_, kge.model_.entity_representations[0](indices=None).detach().numpy()
    )
    assert list(kge.get_feature_names_out()) == [f"kgembedder{i}" for i in range(8)]


def test_fit_transform_is_all_entities(nations):
    kge = KGEmbedder("TransE", **FAST)
    Z = kge.fit_transform(nations.train)
    np.testing.assert_array_equal(Z, kge.entity_embeddings_)


def test_transform_unknown_and_triples(fitted):
    with pytest.raises(UnknownNodeError, match="atlantis") as info:
        fitted.transform(["usa", "atlantis"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="takes entity labels.*score_triples"):
        fitted.transform(np.array([["usa", "embassy", "uk"]]))


def test_pandas_output_indexed_by_entity(nations):
    kge = KGEmbedder("TransE", **FAST).set_output(transform="pandas")
    df = kge.fit_transform(nations.train)
    assert list(df.index) == list(kge.entities_) and df.index.name == "entity"
    sub = kge.transform(["usa", "china"])
    assert list(sub.index) == ["usa", "china"]
    assert list(sub.columns) == list(kge.get_feature_names_out())
    np.testing.assert_array_equal(sub.to_numpy(), df.loc[["usa", "china"]].to_numpy())


@pytest.mark.parametrize("model", ["ComplEx", "RotatE"])
def test_complex_models_real_view(model, nations):
    kge = KGEmbedder(model, **{**FAST, "embedding_dim": 6}).fit(nations.train)
    d = 6
    assert kge.entity_embeddings_.shape == (14, 2 * d)
    stored = kge.model_.entity_representations[0](indices=None).detach().numpy()
    assert np.iscomplexobj(stored)
    E = kge.entity_embeddings_
    np.testing.assert_array_equal(E[:, :d] + 1j * E[:, d:], stored)
    R = kge.relation_embeddings_
    rel = kge.model_.relation_representations[0](indices=None).detach().numpy()
    np.testing.assert_array_equal(R[:, :d] + 1j * R[:, d:], rel)


def test_integer_labels_keep_their_type():
    triples = np.array([[10, 0, 20], [20, 1, 30], [30, 0, 10], [10, 1, 30], [20, 0, 10]])
    kge = KGEmbedder("TransE", **FAST).fit(triples)
    assert kge.entities_.dtype == np.int64 and kge.entities_.tolist() == [10, 20, 30]
    assert kge.relations_.tolist() == [0, 1]
    assert kge.transform([30]).shape == (1, 8)
    df = kge.predict_target(head=10, relation=0)
    assert sorted(df["tail_label"].tolist()) == [10, 20, 30]
    with pytest.raises(UnknownLabelError, match="unknown entity '10'"):
        kge.predict_target(head="10", relation=0)  # strings are not the integer labels


def test_dataframe_and_list_input(nations):
    import pandas as pd

    df = pd.DataFrame(nations.train, columns=["h", "r", "t"])
    a = KGEmbedder("TransE", **FAST).fit(df).entity_embeddings_
    b = KGEmbedder("TransE", **FAST).fit([tuple(row) for row in nations.train]).entity_embeddings_
    c = KGEmbedder("TransE", **FAST).fit(nations.train).entity_embeddings_
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, c)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([["a", "r"]]), r"\(n, 3\) array"),
        (np.zeros((0, 3), dtype=object), "no triples"),
        (np.array([[0.5, 1.0, 2.0]]), "non-integral floats"),
        (np.array([[1.0, np.nan, 2.0]]), "NaN"),
        (np.array([["a", 1, 2]], dtype=object), "head labels are strings but tail labels are integers"),
        (np.array([["a", "r", None]], dtype=object), "missing values"),
    ],
)
def test_bad_triples_raise_clear_errors(X, match):
    with pytest.raises(ValueError, match=match):
        KGEmbedder(**FAST).fit(X)


# -- predict_target and score_triples ------------------------------------------
@pytest.mark.parametrize("target", ["head", "relation", "tail"])
def test_predict_target_order_is_the_order_of_score_triples(fitted, target):
    given = {"head": "brazil", "relation": "intergovorgs", "tail": "usa"}
    del given[target]
    df = fitted.predict_target(**given)
    labels = fitted.relations_ if target == "relation" else fitted.entities_
    assert len(df) == len(labels) and sorted(df[f"{target}_label"]) == sorted(labels.tolist())
    # score every candidate triple independently
    rows = [{**given, target: lab} for lab in df[f"{target}_label"]]
    cand = np.array([[r["head"], r["relation"], r["tail"]] for r in rows], dtype=object)
    s = fitted.score_triples(cand)
    np.testing.assert_allclose(df["score"], s, rtol=1e-5, atol=1e-5)
    # listed best first: the independent scores never increase along the frame
    assert np.all(np.diff(s) <= 1e-5)
    np.testing.assert_array_equal(labels[df[f"{target}_id"]], df[f"{target}_label"])


def test_predict_target_agrees_with_pykeen(fitted):
    from pykeen.predict import predict_target

    ours = fitted.predict_target(head="brazil", relation="intergovorgs")
    theirs = predict_target(
        model=fitted.model_, head="brazil", relation="intergovorgs", triples_factory=fitted.triples_factory_
    ).df
    assert ours["tail_label"].tolist() == theirs["tail_label"].tolist()
    np.testing.assert_allclose(ours["score"], theirs["score"], rtol=1e-6)


def test_predict_target_known_and_top_k(fitted, nations):
    df = fitted.predict_target(head="brazil", relation="intergovorgs")
    known = {t for h, r, t in nations.train if h == "brazil" and r == "intergovorgs"}
    assert set(df.loc[df["in_training"], "tail_label"]) == known
    kept = fitted.predict_target(head="brazil", relation="intergovorgs", remove_known=True)
    assert set(kept["tail_label"]) == set(fitted.entities_) - known
    assert kept["tail_label"].tolist() == df.loc[~df["in_training"], "tail_label"].tolist()
    top = fitted.predict_target(head="brazil", relation="intergovorgs", top_k=3)
    assert top["tail_label"].tolist() == df["tail_label"].tolist()[:3]
    assert list(top.index) == [0, 1, 2]


def test_predict_target_unknown_relation_suggests_close_matches(fitted):
    # The reference workflow's relation is not in Nations: PyKEEN raises a bare KeyError.
    with pytest.raises(
        UnknownLabelError, match="unknown relation 'intergovernmentalagreement'.*'intergovorgs'"
    ) as info:
        fitted.predict_target(head="brazil", relation="intergovernmentalagreement")
    err = info.value
    assert isinstance(err, ValueError) and err.kind == "relation"
    assert "intergovorgs" in err.suggestions and err.missing == ["intergovernmentalagreement"]
    with pytest.raises(UnknownLabelError, match="unknown entity 'brasil'.*'brazil'"):
        fitted.predict_target(head="brasil", relation="intergovorgs")


@pytest.mark.parametrize("kwargs", [dict(head="brazil"), dict(head="brazil", relation="embassy", tail="usa"), dict()])
def test_predict_target_needs_exactly_two(fitted, kwargs):
    with pytest.raises(ValueError, match="exactly two of head, relation and tail"):
        fitted.predict_target(**kwargs)


def test_score_triples_unknown_rows_are_nan(fitted):
    X = np.array([["usa", "embassy", "uk"], ["usa", "embassy", "atlantis"], ["usa", "nosuch", "uk"]])
    with pytest.warns(UserWarning, match="2 of 3 triples in X have labels not seen at fit"):
        s = fitted.score_triples(X)
    assert s.dtype == np.float32 and np.isfinite(s[0]) and np.isnan(s[1:]).all()
    assert s[0] == fitted.score_triples(X[:1])[0]
    with pytest.raises(UnknownLabelError, match="'atlantis'"):
        clone(fitted).set_params(handle_unknown="error").fit(fitted.triples_factory_).score_triples(X)


# -- evaluation --------------------------------------------------------------------
def _brute_force_ranks(kge, test, known, filtered):
    """Realistic head and tail ranks of each test triple, from score_triples alone."""
    ents = kge.entities_.tolist()
    known = {tuple(t) for t in known}
    ranks = []
    for h, r, t in test:
        for side in ("head", "tail"):
            cands = [(e, r, t) if side == "head" else (h, r, e) for e in ents]
            s = kge.score_triples(np.array(cands, dtype=object)).astype(np.float64)
            true = ents.index(h if side == "head" else t)
            keep = np.array([i != true and not (filtered and c in known) for i, c in enumerate(cands)])
            greater = np.sum(s[keep] > s[true])
            equal = np.sum(s[keep] == s[true])
            ranks.append(1 + greater + equal / 2)
    return np.array(ranks)


@pytest.mark.parametrize("filtered", [True, False])
def test_evaluate_equals_brute_force_ranks(tiny_kg, filtered):
    train, test = tiny_kg
    extra = np.array([[train[0, 0], "likes", e] for e in ("e00", "e05", "e07")], dtype=object)
    kge = KGEmbedder("DistMult", embedding_dim=4, num_epochs=2, random_state=0, device="cpu").fit(train)
    got = kge.evaluate(test, filtered=filtered, filter_triples=extra)
    known = np.concatenate([train, test, extra]) if filtered else []
    ranks = _brute_force_ranks(kge, test, known, filtered)
    assert got["n_triples"] == len(test)
    assert got["mrr"] == pytest.approx(np.mean(1 / ranks), rel=1e-6)
    assert got["mean_rank"] == pytest.approx(np.mean(ranks), rel=1e-6)
    for k in (1, 3, 10):
        assert got[f"hits@{k}"] == pytest.approx(np.mean(ranks <= k), abs=1e-9)


def test_filtering_only_improves_ranks(tiny_kg):
    train, test = tiny_kg
    kge = KGEmbedder("TransE", embedding_dim=4, num_epochs=2, random_state=0, device="cpu").fit(train)
    assert kge.evaluate(test)["mrr"] >= kge.evaluate(test, filtered=False)["mrr"]
    assert kge.score(test) == kge.evaluate(test)["mrr"]


def test_evaluate_leaves_out_unknown_triples(fitted, nations):
    extra = np.array([["atlantis", "embassy", "usa"], ["usa", "nosuch", "uk"]], dtype=object)
    X = np.concatenate([nations.test[:20], extra])
    with pytest.warns(
        UserWarning, match=r"2 of 22 triples in X .*1 unknown entity \('atlantis'\) and 1 unknown relation"
    ):
        got = fitted.evaluate(X)
    assert got == fitted.evaluate(nations.test[:20])
    quiet = clone(fitted).set_params(handle_unknown="ignore").fit(nations.train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert quiet.evaluate(X)["n_triples"] == 20
    strict = clone(fitted).set_params(handle_unknown="error").fit(nations.train)
    with pytest.raises(UnknownLabelError, match="2 of 22 triples"):
        strict.score(X)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="none of the 2 triples"):
        fitted.evaluate(extra)


@pytest.mark.filterwarnings("ignore:KGEmbedder.*they are left out:UserWarning")
def test_grid_search_over_model_and_embedding_dim(nations):
    # With 2 folds, a few rare relations of Nations end up only in a test fold
    # (their triples are left out of that fold's score, with the warning ignored here).
    search = GridSearchCV(
        KGEmbedder(num_epochs=2, random_state=0, device="cpu"),
        {"model": ["TransE", "DistMult"], "embedding_dim": [8, 16]},
        cv=KFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    search.fit(nations.train)
    res = search.cv_results_
    assert len(res["params"]) == 4 and np.isfinite(res["mean_test_score"]).all()
    assert search.best_params_ in res["params"]
    # the default score is the filtered MRR of the held-out fold
    folds = list(KFold(2, shuffle=True, random_state=0).split(nations.train))
    train_idx, test_idx = folds[0]
    best = KGEmbedder(num_epochs=2, random_state=0, device="cpu", **search.best_params_)
    best.fit(nations.train[train_idx])
    assert res["split0_test_score"][search.best_index_] == best.evaluate(nations.train[test_idx])["mrr"]


def test_grid_search_fold_with_unseen_entity_warns_and_scores():
    # "solo" occurs in one triple only: the fold that tests it never trained on it.
    rng = np.random.default_rng(0)
    ents = [f"e{i}" for i in range(8)]
    triples = [(ents[i], "r", ents[(i + k) % 8]) for i in range(8) for k in (1, 2, 3)]
    triples.append(("solo", "r", "e0"))
    X = np.array(triples, dtype=object)[rng.permutation(len(triples))]
    search = GridSearchCV(
        KGEmbedder(num_epochs=1, embedding_dim=4, random_state=0, device="cpu"),
        {"embedding_dim": [4]},
        cv=KFold(3),
        error_score="raise",
    )
    with pytest.warns(UserWarning, match="1 unknown entity \\('solo'\\)"):
        search.fit(X)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# -- early stopping ------------------------------------------------------------------
def test_early_stopping_stops_and_restores_the_best_weights(nations):
    # Improvement must be relative_delta=100% (impossible once Hits@10 > 0.5),
    # so with patience 1 and an evaluation every epoch it stops at epoch 2.
    kge = KGEmbedder(
        "TransE",
        embedding_dim=8,
        num_epochs=50,
        random_state=0,
        device="cpu",
        early_stopping=True,
        stopper_kwargs=dict(frequency=1, patience=1, relative_delta=1.0),
    ).fit(nations.train, X_valid=nations.valid)
    assert kge.n_epochs_ == 2 < kge.num_epochs
    assert kge.best_epoch_ == 1 and len(kge.validation_scores_) == 2
    assert kge.validation_scores_[0] > 0.5
    # The weights are those of epoch 1: the stopper's metric (Hits@10,
    # filtered with the training triples) recomputed now gives its value then.
    assert kge.evaluate(nations.valid)["hits@10"] == pytest.approx(kge.validation_scores_[0], abs=1e-12)


def test_early_stopping_holds_out_a_validation_fraction(nations):
    kge = KGEmbedder(
        "TransE",
        embedding_dim=8,
        num_epochs=4,
        random_state=0,
        device="cpu",
        early_stopping=True,
        validation_fraction=0.2,
        stopper_kwargs=dict(frequency=2, patience=5),
    ).fit(nations.train)
    n_distinct = len(np.unique(nations.train.astype(str), axis=0))
    assert len(kge.mapped_triples_) == pytest.approx(0.8 * n_distinct, abs=2)
    assert len(kge.validation_scores_) == 2 and kge.n_epochs_ == 4


# -- parameters ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(model="DistMul"), ValueError, r"unknown model 'DistMul'\. Did you mean 'DistMult'.*RotatE"),
        (dict(loss="hinge-ish"), ValueError, "unknown loss 'hinge-ish'. Choose one of PyKEEN's losses"),
        (dict(optimizer="adamm"), ValueError, r"unknown optimizer 'adamm'\. Did you mean 'Adam'"),
        (
            dict(model_kwargs={"embedding_dim": 4}),
            ValueError,
            "must not set 'embedding_dim'.*'embedding_dim' parameter",
        ),
        (dict(training_kwargs={"num_epochs": 4}), ValueError, "must not set 'num_epochs'"),
        (dict(learning_rate=0.1, optimizer_kwargs={"lr": 0.2}), ValueError, "sets 'lr'"),
        (
            dict(training_loop="lcwa", negative_sampler="basic"),
            ValueError,
            "negative_sampler is for training_loop='slcwa'",
        ),
        (dict(model_kwargs={"no_such_arg": 1}), TypeError, "could not build TransE"),
        (dict(num_epochs=0), ValueError, "num_epochs"),
        (dict(device="tpu"), ValueError, "'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ],
)
def test_bad_parameters_fail_at_fit_with_clear_messages(params, error, match):
    est = KGEmbedder(**{**FAST, **params})  # construction never fails
    with pytest.raises(error, match=match):
        est.fit([("a", "r", "b"), ("b", "r", "c")])


def test_model_given_as_a_class_and_other_components(nations):
    from pykeen.models import DistMult

    a = KGEmbedder(DistMult, **FAST).fit(nations.train)
    b = KGEmbedder("distmult", **FAST).fit(nations.train)
    np.testing.assert_array_equal(a.entity_embeddings_, b.entity_embeddings_)
    c = KGEmbedder(
        "ComplEx",
        loss="softplus",
        negative_sampler="bernoulli",
        optimizer="adagrad",
        negative_sampler_kwargs={"num_negs_per_pos": 2},
        **FAST,
    ).fit(nations.train)
    assert type(c.model_.loss).__name__ == "SoftplusLoss"
    d = KGEmbedder("DistMult", training_loop="lcwa", **FAST).fit(nations.train)
    assert np.isfinite(d.history_).all()


# -- device and persistence -----------------------------------------------------------
# (no_cuda / fake_cuda / pickle_as_if_on_cuda come from tests/conftest.py)
def test_explicit_cuda_without_cuda_fails_at_fit(no_cuda, nations):
    est = KGEmbedder(device="cuda", **{k: v for k, v in FAST.items() if k != "device"})
    assert est.get_params()["device"] == "cuda"  # constructing is fine
    with pytest.raises(DeviceUnavailableError, match="KGEmbedder was asked for device='cuda'.*device='cpu'"):
        est.fit(nations.train)
    auto = KGEmbedder(**{**FAST, "device": "auto"}).fit(nations.train)
    assert auto.device_ == "cpu"


def _same_predictions(a, b, nations):
    np.testing.assert_array_equal(a.transform(["usa", "uk"]), b.transform(["usa", "uk"]))
    np.testing.assert_array_equal(a.score_triples(nations.test), b.score_triples(nations.test))
    assert a.evaluate(nations.test) == b.evaluate(nations.test)
    pa = a.predict_target(head="brazil", relation="embassy")
    pb = b.predict_target(head="brazil", relation="embassy")
    assert pa.equals(pb)


def test_pickle_and_joblib_roundtrip(fitted, nations, tmp_path):
    import joblib

    state = fitted.__getstate__()
    assert "model_" not in state and isinstance(state["_torch_blob"], bytes)
    again = pickle.loads(pickle.dumps(fitted))
    _same_predictions(fitted, again, nations)
    joblib.dump(fitted, tmp_path / "kge.joblib")
    _same_predictions(fitted, joblib.load(tmp_path / "kge.joblib"), nations)


def test_gpu_pickled_model_loads_and_predicts_on_cpu(pickle_as_if_on_cuda, no_cuda, fitted, nations):
    blob = pickle_as_if_on_cuda(fitted)
    assert fitted.device_ == "cpu"
    with pytest.warns(DeviceMappingWarning, match="KGEmbedder was fitted on device 'cuda:0'"):
        again = pickle.loads(blob)
    assert again.device_ == "cpu" and str(again.model_.device) == "cpu"
    _same_predictions(fitted, again, nations)


@pytest.mark.gpu
def test_fitted_on_a_gpu_loads_and_predicts_on_a_cpu(nations, cuda, monkeypatch):
    kge = KGEmbedder("TransE", **{**FAST, "device": cuda}).fit(nations.train)
    assert kge.device_.startswith("cuda")
    scores = kge.score_triples(nations.test)
    assert np.isfinite(scores).all()
    blob = pickle.dumps(kge)
    np.testing.assert_array_equal(pickle.loads(blob).score_triples(nations.test), scores)  # back on the GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceMappingWarning, match="KGEmbedder was fitted on device 'cuda:0'"):
        on_cpu = pickle.loads(blob)
    assert on_cpu.device_ == "cpu" and str(on_cpu.model_.device) == "cpu"
    np.testing.assert_array_equal(on_cpu.transform(["usa", "uk"]), kge.transform(["usa", "uk"]))
    np.testing.assert_allclose(on_cpu.score_triples(nations.test), scores, rtol=1e-5, atol=1e-5)


def test_unpickling_leaves_global_rngs_alone(fitted):
    blob = pickle.dumps(fitted)
    torch.manual_seed(3)
    np.random.seed(3)  # noqa: NPY002 (global RNG under test)
    expected = (torch.rand(1).item(), np.random.random())  # noqa: NPY002 (global RNG under test)
    torch.manual_seed(3)
    np.random.seed(3)  # noqa: NPY002 (global RNG under test)
    pickle.loads(blob)
    assert (torch.rand(1).item(), np.random.random()) == expected  # noqa: NPY002 (global RNG under test)


def test_n_jobs_sets_torch_threads_during_fit_only(nations):
    from pykeen.training.callbacks import TrainingCallback

    seen = []

    class Spy(TrainingCallback):
        def post_epoch(self, epoch, epoch_loss, **kwargs):
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    KGEmbedder("TransE", **{**FAST, "n_jobs": 2}, training_kwargs={"callbacks": [Spy()]}).fit(nations.train)
    assert seen == [2, 2, 2] and torch.get_num_threads() == before
    seen.clear()
    torch.set_num_threads(2)
    try:  # n_jobs=None means one thread, as everywhere in scikit-learn
        KGEmbedder("TransE", **FAST, training_kwargs={"callbacks": [Spy()]}).fit(nations.train)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_clone_and_get_params_need_no_fit(fitted):
    c = clone(fitted)
    assert not hasattr(c, "model_") and c.get_params() == fitted.get_params()
    est = KGEmbedder()
    assert set(vars(est)) == set(est.get_params())


# -- scikit-learn's checks ---------------------------------------------------------------
_NOT_TRIPLES = (
    "the check fits on a numeric matrix whose number of columns is not 3; X must hold "
    "(head, relation, tail) triples, so fit raises a ValueError saying so"
)
_TRANSFORM_TRIPLES = (
    "the check passes the (n, 3) training triples to transform; transform takes entity "
    "labels (n,), so it raises a ValueError pointing to score_triples and fit_transform"
)
KG_EXPECTED_FAILED_CHECKS = {
    **{
        name: _NOT_TRIPLES
        for name in [
            "check_dtype_object",
            "check_estimators_dtypes",
            "check_estimators_fit_returns_self",
            "check_estimators_overwrite_params",
            "check_fit_check_is_fitted",
            "check_fit_idempotent",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_readonly_memmap_input",
        ]
    },
    **{
        name: _TRANSFORM_TRIPLES
        for name in [
            "check_dict_unchanged",
            "check_estimators_nan_inf",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
        ]
    },
    **{
        name: "fit_transform(X) returns one row per entity (the embeddings of all "
        "entities), not one per triple of X, so it cannot equal fit(X).transform(X)"
        for name in ["check_transformer_data_not_an_array", "check_transformer_general"]
    },
    "check_fit2d_1sample": "the check wants an error about having 1 sample; with 10 columns "
    "the error is that X is not (n, 3) triples",
    "check_fit2d_1feature": "the check wants an error about having 1 feature; the error is "
    "that X is not (n, 3) triples",
    "check_fit2d_predict1d": "the check wants methods to reject 1-d input; transform takes a "
    "1-d array of entity labels by design",
}


@parametrize_with_checks(
    [KGEmbedder(embedding_dim=4, num_epochs=1, batch_size=64, random_state=0, device="cpu")],
    expected_failed_checks=lambda est: KG_EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # PyKEEN warns when every corrupted triple of a tiny check dataset is known.
        warnings.filterwarnings("ignore", message="User selected filtered metric computation")
        check(estimator)


# -- optional dependency ---------------------------------------------------------------
def test_fit_without_pykeen_names_the_extra():
    from tests.test_import import _run

    proc = _run(
        """
        import sys
        sys.modules["pykeen"] = None
        from skgraphemb import KGEmbedder, load_kg
        est = KGEmbedder(embedding_dim=4)
        for call in (lambda: est.fit([("a", "r", "b")]), lambda: load_kg("nations")):
            try:
                call()
            except ImportError as e:
                print(str(e))
            else:
                raise SystemExit("no ImportError")
        """
    )
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("KGEmbedder requires pykeen, which is not installed.")
    assert lines[1].startswith("load_kg('nations') requires pykeen")
    assert all('pip install "skgraphemb[kg]"' in line for line in lines)


def test_public_names():
    assert {"KGEmbedder", "UnknownLabelError", "load_kg", "load_kg_dir"} <= set(skgraphemb.__all__)
    assert issubclass(UnknownLabelError, UnknownNodeError)


# -- loaders ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["nations", "kinships", "umls"])
def test_load_kg_equals_pykeens_own_reading(name):
    from pathlib import Path

    from pykeen.triples.utils import load_triples

    data = load_kg(name.upper())
    folder = Path(pykeen.__file__).parent / "datasets" / name
    for split in ("train", "valid", "test"):
        np.testing.assert_array_equal(data[split], load_triples(folder / f"{split}.txt"))
    assert data.name == name and data.description


def test_load_kg_unknown_name():
    with pytest.raises(ValueError, match="unknown knowledge graph 'fb15k'.*load_kg_dir"):
        load_kg("fb15k")


def test_load_kg_dir_reads_strings_and_gz(tmp_path):
    rows = [("00260881", "_hypernym", "00260622"), ("/m/027rn", "/film/x", "0")]
    (tmp_path / "train.tsv.gz").write_bytes(gzip.compress("".join("\t".join(r) + "\n" for r in rows).encode()))
    (tmp_path / "test.tsv").write_text("00260881\t_hypernym\t0\n")
    (tmp_path / "README.md").write_text("# tiny\n")
    data = load_kg_dir(tmp_path)
    assert data.train.tolist() == [list(r) for r in rows]  # leading zeros kept
    assert data.valid is None and data.test.tolist() == [["00260881", "_hypernym", "0"]]
    assert data.description == "# tiny\n" and data.name == tmp_path.name


def test_load_kg_dir_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no knowledge-graph folder"):
        load_kg_dir(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="has no train.tsv"):
        load_kg_dir(tmp_path)
    (tmp_path / "train.tsv").write_text("a\tb\n")
    with pytest.raises(ValueError, match="must have 3 tab-separated columns"):
        load_kg_dir(tmp_path)


def test_verbose_shows_progress(nations, capsys):
    KGEmbedder("TransE", **{**FAST, "verbose": 1}).fit(nations.train)
    err = capsys.readouterr().err
    assert "Training epochs on cpu" in err


# -- trust: degenerate vocabularies, unknown labels, incomplete pickles --------
@pytest.mark.parametrize(
    "X",
    [[("a", "r", "a")], [("a", "r", "a"), ("a", "s", "a")], [(1, 0, 1)]],
    ids=["one-triple", "two-relations", "int-labels"],
)
@pytest.mark.parametrize("loop", ["slcwa", "lcwa"])
def test_single_entity_is_a_clear_error(X, loop):
    """Before: a torch 'random_ expects from < to' RuntimeError from the sampler."""
    with pytest.raises(ValueError, match="single entity.*at least 2 entities"):
        KGEmbedder(training_loop=loop, **FAST).fit(X)


def test_two_entities_train():
    kge = KGEmbedder(**FAST).fit([("a", "r", "b")])
    assert kge.embedding_.shape == (2, 8) and np.isfinite(kge.embedding_).all()


def test_transform_unknown_raises_unknown_label_error_with_suggestions(fitted):
    """Before: the graph message 'node id(s) not in the graph', no suggestions."""
    with pytest.raises(UnknownLabelError, match="1 unknown entity \\('usaa'\\).*Did you mean 'usa'") as info:
        fitted.transform(["usa", "usaa"])
    assert info.value.missing == ["usaa"] and info.value.kind == "entity"
    assert "usa" in info.value.suggestions
    with pytest.raises(UnknownLabelError, match="2 unknown entities") as info:
        fitted.transform(["zzzz", "qqqq"])
    assert info.value.missing == ["zzzz", "qqqq"]


@pytest.mark.parametrize("attribute", ["_spec", "entities_"])
def test_pickle_missing_state_says_refit(fitted, attribute):
    from sklearn.exceptions import NotFittedError

    state = dict(fitted.__getstate__())
    del state[attribute]
    with pytest.raises(NotFittedError, match=f"lacks {attribute}.*Fit it again"):
        KGEmbedder.__new__(KGEmbedder).__setstate__(state)


def test_pickle_missing_embedding_says_refit(fitted):
    from sklearn.exceptions import NotFittedError

    state = dict(fitted.__getstate__())
    del state["embedding_"]
    kge = KGEmbedder.__new__(KGEmbedder)
    kge.__setstate__(state)
    with pytest.raises(NotFittedError, match="incomplete or incompatible.*embedding_"):
        kge.transform(["usa"])


def test_most_similar_unknown_raises_unknown_label_error(fitted):
    with pytest.raises(UnknownLabelError, match="Did you mean 'usa'"):
        fitted.most_similar("usaa")
