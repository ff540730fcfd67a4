"""The one parser of embeddings with ids, the id preview and read-only views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skgraphemb import SVDEmbedder
from skgraphemb.export import FileEmbeddingStore, FileExporter
from skgraphemb.utils._ids import (
    MAX_IDS_IN_MESSAGE,
    UnfittedEmbedderError,
    embedding_rows,
    format_ids,
    readonly,
    split_embedding,
)

IDS = np.array([10, 3, 7, 42, 5])


@pytest.fixture
def vectors():
    return np.random.default_rng(0).normal(size=(len(IDS), 3))


class _Fitted:
    """The duck type of a fitted embedder."""

    def __init__(self, vectors, nodes):
        self.embedding_ = vectors
        self.nodes_ = nodes


def _forms(vectors, tmp_path):
    path = tmp_path / "e.npz"
    FileExporter(path, dtype="float64").fit(vectors, keys=IDS)
    return {
        "pair": (vectors, {"ids": IDS}),
        "pair-list": (vectors.tolist(), {"ids": IDS.tolist()}),
        "frame": (pd.DataFrame(vectors, index=IDS), {}),
        "embedder": (_Fitted(vectors, IDS), {}),
        "store": (FileEmbeddingStore(path), {}),
    }


@pytest.mark.parametrize("form", ["pair", "pair-list", "frame", "embedder", "store"])
def test_every_form_gives_the_same_rows_and_index(vectors, tmp_path, form):
    obj, kwargs = _forms(vectors, tmp_path)[form]
    if kwargs:  # the (vectors, ids) form is split_embedding's ids=
        data, ids = split_embedding(obj, **kwargs)
        X, index = np.asarray(data, dtype=np.float64), ids
    else:
        X, index = embedding_rows(obj, dtype=np.float64)
        ids = index.nodes
    np.testing.assert_array_equal(X, vectors)
    np.testing.assert_array_equal(np.asarray(ids, dtype=np.int64), IDS)
    if not kwargs:  # looked up by id, rows come back in the asked order
        np.testing.assert_array_equal(X[index.positions([42, 10])], vectors[[3, 0]])


def test_plain_array_has_no_ids(vectors):
    X, index = embedding_rows(vectors)
    assert index is None and X is vectors
    data, ids = split_embedding(vectors.tolist())
    assert ids is None and np.array_equal(np.asarray(data), vectors)


def test_ids_take_precedence_and_keep_python_types(vectors):
    frame = pd.DataFrame(vectors, index=IDS)
    mixed = [1, "1", 2, "b", 3]
    _, ids = split_embedding(frame, ids=mixed)
    assert ids.tolist() == mixed and [type(v) for v in ids.tolist()] == [type(v) for v in mixed]


def test_misaligned_ids_are_refused(vectors):
    with pytest.raises(ValueError, match=f"got {len(IDS) - 1} node ids for {len(IDS)} rows of X"):
        split_embedding(vectors, name="X", ids=IDS[:-1])
    with pytest.raises(TypeError, match="not a string"):
        split_embedding(vectors, ids="abcde")


@pytest.mark.parametrize("make", [lambda v, i: pd.DataFrame(v, index=i), lambda v, i: _Fitted(v, i)])
@pytest.mark.parametrize("dup", [[0, 1, 2, 3, 3], ["a", "b", "a", "c", "b"]])
def test_duplicate_ids_are_refused_and_named(vectors, make, dup):
    with pytest.raises(ValueError, match="reference has duplicate node ids") as info:
        split_embedding(make(vectors, dup), name="reference")
    repeated = {v for v in dup if dup.count(v) > 1}
    assert all(repr(v) in str(info.value) for v in repeated)
    data, ids = split_embedding(make(vectors, dup), unique=False)
    assert ids.tolist() == dup


def test_unfitted_and_unsupported_inputs():
    with pytest.raises(UnfittedEmbedderError, match="SVDEmbedder is not fitted: X is an unfitted SVDEmbedder") as info:
        split_embedding(SVDEmbedder(), name="X")
    assert isinstance(info.value, NotFittedError) and isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError, match="sparse input is not supported"):
        split_embedding(sp.csr_array(np.eye(3)))
    with pytest.raises(TypeError, match="must be an embedding, not a string"):
        split_embedding("emb")
    with pytest.raises(TypeError, match="got dict"):
        split_embedding({"a": 1})
    for bad in (np.zeros(5), np.zeros((2, 2, 2)), np.array([["a", "b"]])):
        with pytest.raises(ValueError, match="2-d numeric matrix"):
            embedding_rows(bad)


@pytest.mark.parametrize("n", [1, MAX_IDS_IN_MESSAGE, MAX_IDS_IN_MESSAGE + 1, 40])
def test_format_ids_truncates_with_the_total(n):
    ids = [f"n{i}" for i in range(n)]
    text = format_ids(ids)
    shown = ids[:MAX_IDS_IN_MESSAGE]
    assert text.startswith(", ".join(map(repr, shown)))
    assert all(repr(v) not in text for v in ids[MAX_IDS_IN_MESSAGE:])
    assert (f"({n} in all)" in text) == (n > MAX_IDS_IN_MESSAGE)
    # only the first ids given, the total of all offending ids named separately
    assert format_ids(ids[:2], total=n + 100).endswith(f"({n + 100} in all)")
    assert "np." not in format_ids(np.arange(n))  # numpy scalars read as Python values


def test_readonly_is_a_view_not_a_copy():
    a = np.arange(6.0)
    r = readonly(a)
    assert not r.flags.writeable and np.shares_memory(a, r)
    assert a.flags.writeable  # the caller's array is left writeable
    with pytest.raises(ValueError):
        r[0] = 1.0
    assert readonly(r) is r
