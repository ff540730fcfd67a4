"""ProcrustesAligner: recovers known maps, matches scipy, aligns real embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.spatial
import scipy.spatial.distance
from scipy.stats import ortho_group
from sklearn.utils.estimator_checks import parametrize_with_checks

import skgraphemb
from skgraphemb import Node2VecEmbedder, ProcrustesAligner
from tests._estimator_checks import FIT_CHECKS, expected_failures

_N2V = dict(n_components=16, walk_length=20, num_walks=20, sample=0, n_jobs=1)


def _moved(rng, n=40, d=5, scale=1.0, shift=True):
    """A reference frame, and the same points rotated, scaled, shifted, shuffled."""
    ids = [f"v{i}" for i in range(n)]
    ref = pd.DataFrame(rng.normal(size=(n, d)), index=ids)
    Q = ortho_group.rvs(d, random_state=rng)
    t = rng.normal(size=d) * 3 if shift else np.zeros(d)
    moved = pd.DataFrame(scale * ref.to_numpy() @ Q + t, index=ids).sample(frac=1.0, random_state=1)
    return ref, moved, Q


@pytest.fixture(scope="module")
def n2v_runs(karate):
    return [Node2VecEmbedder(**_N2V, random_state=s).fit(karate) for s in (0, 1)]


# -- exact recovery -----------------------------------------------------------
def test_recovers_rotation_and_translation_with_shuffled_rows(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    ref, moved, Q = _moved(rng)
    aligner = ProcrustesAligner(reference=ref).fit(moved)
    aligned = pd.DataFrame(aligner.transform(moved), index=moved.index)
    np.testing.assert_allclose(aligned.loc[ref.index].to_numpy(), ref.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(aligner.rotation_, Q.T, atol=1e-10)  # the true inverse
    assert aligner.scale_ == 1.0 and aligner.n_shared_ == 40
    assert aligner.disparity_ < 1e-20


def test_recovers_scale_when_enabled(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    ref, moved, Q = _moved(rng, scale=2.5)
    aligner = ProcrustesAligner(reference=ref, scaling=True).fit(moved)
    np.testing.assert_allclose(aligner.scale_, 1 / 2.5, rtol=1e-10)
    np.testing.assert_allclose(aligner.rotation_, Q.T, atol=1e-10)
    aligned = pd.DataFrame(aligner.transform(moved), index=moved.index).loc[ref.index]
    np.testing.assert_allclose(aligned.to_numpy(), ref.to_numpy(), atol=1e-10)
    # without scaling the rotation is still right but the fit is not exact
    plain = ProcrustesAligner(reference=ref).fit(moved)
    np.testing.assert_allclose(plain.rotation_, Q.T, atol=1e-10)
    assert plain.disparity_ > 0.1


def test_no_centering_is_a_pure_rotation(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    ref, moved, Q = _moved(rng, shift=False)
    aligner = ProcrustesAligner(reference=ref, center=False).fit(moved)
    np.testing.assert_allclose(aligner.rotation_, Q.T, atol=1e-10)
    np.testing.assert_array_equal(aligner.translation_, np.zeros(5))


@pytest.mark.parametrize("center", [True, False])
def test_transform_formula(center):
    rng = np.random.default_rng(0)
    ref, moved = rng.normal(size=(30, 4)), rng.normal(size=(30, 4)) + 1
    a = ProcrustesAligner(reference=ref, scaling=True, center=center).fit(moved)
    Z = rng.normal(size=(7, 4))
    expected = a.scale_ * (Z - a.x_mean_) @ a.rotation_ + a.reference_mean_
    np.testing.assert_allclose(a.transform(Z), expected, rtol=1e-12)
    np.testing.assert_allclose(a.rotation_ @ a.rotation_.T, np.eye(4), atol=1e-12)


def test_disparity_equals_scipy_procrustes(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    ref = rng.normal(size=(50, 6))
    X = ref @ ortho_group.rvs(6, random_state=rng) * 0.3 + rng.normal(scale=0.5, size=(50, 6)) + 2
    ours = ProcrustesAligner(reference=ref, scaling=True, center=True).fit(X).disparity_
    theirs = scipy.spatial.procrustes(ref, X)[2]
    assert theirs > 0.01
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # and when rows are given by id in another order
    ids = np.arange(50)[::-1]
    ref_df = pd.DataFrame(ref, index=np.arange(50))
    X_df = pd.DataFrame(X[ids], index=ids)
    by_id = ProcrustesAligner(reference=ref_df, scaling=True).fit(X_df).disparity_
    np.testing.assert_allclose(by_id, theirs, rtol=1e-6)


# -- real embeddings ------------------------------------------------------------
def _top3(E, nodes):
    En = E / np.linalg.norm(E, axis=1, keepdims=True)
    S = En @ En.T
    np.fill_diagonal(S, -np.inf)
    return {v: set(np.asarray(nodes)[np.argsort(-S[i])[:3]].tolist()) for i, v in enumerate(nodes)}


def test_aligns_two_node2vec_seeds(n2v_runs):
    a, b = n2v_runs
    assert np.array_equal(a.nodes_, b.nodes_)
    before = np.mean(np.sum((b.embedding_ - a.embedding_) ** 2, axis=1))
    aligner = ProcrustesAligner(reference=a).fit(b)
    aligned = aligner.transform(b)
    assert aligned.dtype == np.float32 and aligned.shape == (34, 16)
    after = np.mean(np.sum((aligned - a.embedding_) ** 2, axis=1))
    assert after < 0.3 * before, (before, after)
    # the aligned run's cosine neighbours agree with the reference run's
    top_a, top_aligned = _top3(a.embedding_, a.nodes_), _top3(aligned, b.nodes_)
    assert top_a[0] == {v for v, _ in a.most_similar(0, topn=3)}
    overlap = np.mean([len(top_a[v] & top_aligned[v]) / 3 for v in a.nodes_.tolist()])
    assert overlap > 0.5, overlap
    # a rigid map: b's pairwise distances are unchanged
    np.testing.assert_allclose(
        scipy.spatial.distance.pdist(aligned), scipy.spatial.distance.pdist(b.embedding_), rtol=1e-4, atol=1e-5
    )


def test_incremental_update_new_node_gets_a_row(karate, n2v_runs):
    old = n2v_runs[0]
    G = karate.copy()
    G.add_edges_from([(34, 0), (34, 33), (34, 2), (5, 30)])
    new = Node2VecEmbedder(**_N2V, random_state=1).fit(G)
    old_df = old.get_embedding(as_frame=True)
    new_df = new.get_embedding(as_frame=True)
    aligner = ProcrustesAligner(reference=old_df).set_output(transform="pandas")
    aligned = aligner.fit_transform(new_df)
    assert isinstance(aligned, pd.DataFrame) and list(aligned.index) == list(new_df.index)
    assert aligner.n_shared_ == 34 and 34 in aligned.index
    assert np.isfinite(aligned.loc[34].to_numpy()).all()
    shared = old_df.index
    before = np.mean(np.sum((new_df.loc[shared].to_numpy() - old_df.to_numpy()) ** 2, axis=1))
    after = np.mean(np.sum((aligned.loc[shared].to_numpy() - old_df.to_numpy()) ** 2, axis=1))
    spread = np.mean(np.sum((old_df.to_numpy() - old_df.to_numpy().mean(0)) ** 2, axis=1))
    assert after < 0.3 * before and after < 0.5 * spread, (before, after, spread)


def test_pandas_output_keeps_index_and_string_ids():
    rng = np.random.default_rng(0)
    ref, moved, _ = _moved(rng, n=10, d=3)
    moved.columns = ["a", "b", "c"]
    aligner = ProcrustesAligner(reference=ref).set_output(transform="pandas").fit(moved)
    out = aligner.transform(moved.iloc[:4])
    assert list(out.index) == list(moved.index[:4])
    assert list(out.columns) == ["a", "b", "c"]


def test_float32_kept_and_plain_arrays_match_by_position():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(20, 3)).astype(np.float32)
    a = ProcrustesAligner(reference=ref).fit(ref[:, ::-1])
    out = a.transform(ref[:, ::-1])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, atol=1e-5)


# -- errors --------------------------------------------------------------------
def test_too_few_shared_ids():
    ref = pd.DataFrame(np.eye(4), index=list("abcd"))
    X = pd.DataFrame(np.eye(4), index=list("abxy"))
    with pytest.raises(ValueError, match=r"share 2 node id\(s\); .*needs at least 5"):
        ProcrustesAligner(reference=ref).fit(X)
    with pytest.raises(ValueError, match=r"share 0 node"):
        ProcrustesAligner(reference=ref).fit(pd.DataFrame(np.eye(4), index=list("wxyz")))


def test_many_unmatched_warns():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(rng.normal(size=(10, 2)), index=range(10))
    X = pd.DataFrame(rng.normal(size=(30, 2)), index=range(30))
    with pytest.warns(UserWarning, match="20 of X's 30 rows"):
        assert ProcrustesAligner(reference=ref).fit(X).n_shared_ == 10


def test_dimension_mismatch():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="same dimension; got 3 and 4"):
        ProcrustesAligner(reference=rng.normal(size=(10, 4))).fit(rng.normal(size=(10, 3)))
    a = ProcrustesAligner(reference=rng.normal(size=(10, 3))).fit(rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="3 features"):
        a.transform(rng.normal(size=(2, 4)))


def test_bad_inputs():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(10, 3))
    with pytest.raises(TypeError, match="reference must be"):
        ProcrustesAligner(reference={"a": 1}).fit(ref)
    with pytest.raises(TypeError, match="X must be"):
        ProcrustesAligner(reference=ref).fit(object())
    with pytest.raises(TypeError, match="unfitted Node2VecEmbedder"):
        ProcrustesAligner(reference=Node2VecEmbedder()).fit(ref)
    with pytest.raises(ValueError, match="needs a reference"):
        ProcrustesAligner().fit(ref)
    with pytest.raises(ValueError, match="as many rows; got 9 and 10"):
        ProcrustesAligner(reference=ref).fit(ref[:9])
    dup = pd.DataFrame(ref, index=[0, 1, 2, 3, 4, 5, 6, 7, 8, 8])
    with pytest.raises(ValueError, match="duplicate node ids: 8"):
        ProcrustesAligner(reference=dup).fit(dup)


def test_nan_rejected_and_refit_idempotent():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(10, 3))
    bad = ref.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ProcrustesAligner(reference=ref).fit(bad)
    with pytest.raises(ValueError, match="NaN"):
        ProcrustesAligner(reference=bad).fit(ref)
    a = ProcrustesAligner(reference=ref).fit(ref[:, ::-1])
    first = a.transform(ref[:3, ::-1])
    assert a.fit(ref[:, ::-1]) is a
    np.testing.assert_array_equal(a.transform(ref[:3, ::-1]), first)
    # rows are independent: a subset transforms as within the whole
    np.testing.assert_allclose(a.transform(ref[::-1, ::-1])[::-1][:3], first, rtol=1e-12)


def test_exported_lazily():
    assert skgraphemb.ProcrustesAligner is ProcrustesAligner
    assert "ProcrustesAligner" in skgraphemb.__all__


# -- scikit-learn's estimator checks -------------------------------------------
# The checks generate their own X of varying shapes; a fixed plain-array
# reference matches X by row position, so fits on X of another row count or
# dimension raise a ValueError saying so.  Those checks are listed here.
_REF = np.random.default_rng(0).normal(size=(30, 3))
_OTHER_SHAPE = (
    "the check fits on an X whose row count or dimension differs from the fixed "
    "(30, 3) reference, so fit raises a ValueError saying the shapes must match "
    "(the same property is tested here with matching shapes)"
)
EXPECTED_FAILED_CHECKS = expected_failures(_OTHER_SHAPE, FIT_CHECKS)


@parametrize_with_checks(
    [ProcrustesAligner(reference=_REF)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
