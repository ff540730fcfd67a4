"""Orthogonal (Procrustes) alignment of one embedding onto another.

Two embeddings of the same graph (two seeds, or an old graph and its update)
are each defined only up to a rotation: comparing them coordinate by
coordinate is meaningless until one is rotated onto the other.
:class:`ProcrustesAligner` finds that rotation from the nodes both share,
matched **by node id**, and applies it to every row, including nodes the
reference lacks.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from skgraphemb.graph import NodeIndex
from skgraphemb.utils._ids import split_embedding
from skgraphemb.utils._validation import _fit_context, check_is_fitted, validate_data

__all__ = ["ProcrustesAligner"]

#: Warn when more than this fraction of either side's rows has no partner.
_UNMATCHED_WARN_FRACTION = 0.5


class ProcrustesAligner(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Align an embedding onto a reference embedding by an orthogonal map.

    ``fit(X)`` matches the rows of X and of ``reference`` **by node id**,
    and finds the rotation/reflection ``R`` (and, optionally, an isotropic
    scale) that best maps X's shared rows onto the reference's, in the least
    squares sense (:func:`scipy.linalg.orthogonal_procrustes`).
    ``transform(Z)`` then applies

    ``scale_ * (Z - x_mean_) @ rotation_ + reference_mean_``

    to any rows, so nodes that the reference lacks (new nodes of an updated
    graph) land in the reference's coordinates too.

    Parameters
    ----------
    reference : DataFrame, fitted embedder, embedding store or array-like of shape (n, d)
        The embedding to align onto.  A DataFrame is indexed by node id
        (``emb.get_embedding(as_frame=True)``); a fitted embedder gives its
        ``embedding_`` rows with ids ``nodes_``; an embedding store (e.g.
        :class:`~skgraphemb.export.FileEmbeddingStore`) every vector it
        holds.  Node ids must be unique.  A plain array has no ids:
        its rows are matched to X's by position, so X must then have as many
        rows.  Required: ``fit`` raises a ``ValueError`` when it is ``None``.
    scaling : bool, default=False
        Also fit an isotropic scale factor ``scale_``; otherwise
        ``scale_ = 1`` and distances are preserved exactly.
    center : bool, default=True
        Center both sides on the means of their shared rows before fitting
        the rotation, and translate the result onto the reference's mean.
        With ``center=False`` the map is a pure rotation (times ``scale_``).

    Attributes
    ----------
    rotation_ : ndarray of shape (d, d)
        The orthogonal matrix ``R``.
    scale_ : float
        The scale factor (1.0 unless ``scaling=True``).
    x_mean_ : ndarray of shape (d,)
        Mean of X's shared rows (zeros when ``center=False``).
    reference_mean_ : ndarray of shape (d,)
        Mean of the reference's shared rows (zeros when ``center=False``).
    translation_ : ndarray of shape (d,)
        ``reference_mean_ - scale_ * x_mean_ @ rotation_``, so that
        ``transform(Z) = scale_ * Z @ rotation_ + translation_``.
    n_shared_ : int
        Number of rows matched between X and the reference.
    disparity_ : float
        Residual sum of squares of the aligned shared rows against the
        reference's, divided by the reference's (centered, when
        ``center=True``) sum of squares.  With ``scaling=True`` and
        ``center=True`` this is the disparity of
        :func:`scipy.spatial.procrustes` on the shared rows.
    n_features_in_ : int
        Embedding dimension.
    feature_names_in_ : ndarray of str
        Column names of X, when X is a DataFrame with string column names.

    See Also
    --------
    scipy.linalg.orthogonal_procrustes : The underlying solver.
    scipy.spatial.procrustes : Symmetric Procrustes analysis of two point sets.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from scipy.stats import special_ortho_group
    >>> from skgraphemb import ProcrustesAligner
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame(rng.normal(size=(6, 3)), index=list("abcdef"))
    >>> R = special_ortho_group.rvs(3, random_state=0)
    >>> moved = pd.DataFrame(ref.to_numpy() @ R + 5.0, index=ref.index)[::-1]
    >>> aligner = ProcrustesAligner(reference=ref).set_output(transform="pandas")
    >>> aligned = aligner.fit_transform(moved)      # rows keep moved's order and ids
    >>> bool(np.allclose(aligned.loc[list("abcdef")], ref))
    True
    >>> round(aligner.disparity_, 12)
    0.0
    """

    _parameter_constraints: dict = {
        "reference": "no_validation",
        "scaling": ["boolean"],
        "center": ["boolean"],
    }

    def __init__(self, reference=None, scaling: bool = False, center: bool = True):
        self.reference = reference
        self.scaling = scaling
        self.center = center

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the map from X's rows onto the reference's, matched by node id.

        Parameters
        ----------
        X : DataFrame, fitted embedder, embedding store or array-like of shape (n, d)
            The embedding to align (same forms as ``reference``).
        y : None
            Ignored; the reference is the ``reference`` parameter.

        Returns
        -------
        self : ProcrustesAligner
            The fitted aligner.

        Raises
        ------
        ValueError
            No reference; dimensions differ; fewer than ``d + 1`` shared node
            ids; duplicate ids; plain arrays with different row counts.
        TypeError
            X or the reference is of an unsupported type.
        """
        if self.reference is None:
            raise ValueError(
                "ProcrustesAligner needs a reference embedding to align onto: ProcrustesAligner(reference=...)"
            )
        x_data, x_ids = split_embedding(X, name="X")
        r_data, r_ids = split_embedding(self.reference, name="reference")
        A = validate_data(self, x_data, reset=True, dtype=np.float64, ensure_min_samples=2)
        B = self._as_reference_array(r_data)
        d = A.shape[1]
        if B.shape[1] != d:
            raise ValueError(
                f"X and the reference must have the same dimension; got {d} and {B.shape[1]}. "
                "Embed both with the same number of dimensions."
            )
        x_rows, r_rows = self._match(A, x_ids, B, r_ids)
        n_shared = len(x_rows)
        if n_shared < d + 1:
            raise ValueError(
                f"X and the reference share {n_shared} node id(s); aligning "
                f"{d}-dimensional embeddings needs at least {d + 1} (dimension + 1)"
            )
        Xs, Rs = A[x_rows], B[r_rows]
        if self.center:
            x_mean, r_mean = Xs.mean(axis=0), Rs.mean(axis=0)
        else:
            x_mean, r_mean = np.zeros(d), np.zeros(d)
        Xc, Rc = Xs - x_mean, Rs - r_mean
        rotation, trace = scipy.linalg.orthogonal_procrustes(Xc, Rc)
        scale = 1.0
        if self.scaling:
            norm2 = float(np.sum(Xc**2))
            scale = trace / norm2 if norm2 > 0 else 1.0
        residual = float(np.sum((scale * Xc @ rotation - Rc) ** 2))
        ref_ss = float(np.sum(Rc**2))
        self.rotation_ = rotation
        self.scale_ = float(scale)
        self.x_mean_ = x_mean
        self.reference_mean_ = r_mean
        self.translation_ = r_mean - scale * x_mean @ rotation
        self.n_shared_ = n_shared
        self.disparity_ = residual / ref_ss if ref_ss > 0 else 0.0
        return self

    @staticmethod
    def _as_reference_array(data) -> np.ndarray:
        from sklearn.utils import check_array

        return check_array(data, dtype=np.float64, ensure_min_samples=2, input_name="reference")

    @staticmethod
    def _match(A, x_ids, B, r_ids) -> tuple[np.ndarray, np.ndarray]:
        """Row positions (in X, in the reference) of the shared node ids."""
        if x_ids is None or r_ids is None:
            if len(A) != len(B):
                raise ValueError(
                    f"a plain array has no node ids, so X and the reference are matched by "
                    f"row position and must have as many rows; got {len(A)} and {len(B)}. "
                    "Pass DataFrames indexed by node id (get_embedding(as_frame=True)) to "
                    "match by id."
                )
            rows = np.arange(len(A))
            return rows, rows
        index = NodeIndex(r_ids)
        shared = np.array([v in index for v in x_ids.tolist()], dtype=bool)
        x_rows = np.flatnonzero(shared)
        r_rows = index.positions(x_ids[x_rows]) if len(x_rows) else np.empty(0, dtype=np.intp)
        n = len(x_rows)
        unmatched_x, unmatched_r = len(x_ids) - n, len(r_ids) - n
        if n and (
            unmatched_x > _UNMATCHED_WARN_FRACTION * len(x_ids) or unmatched_r > _UNMATCHED_WARN_FRACTION * len(r_ids)
        ):
            warnings.warn(
                f"only {n} node ids are shared: {unmatched_x} of X's {len(x_ids)} rows and "
                f"{unmatched_r} of the reference's {len(r_ids)} rows have no partner; the "
                "alignment rests on the shared rows alone",
                UserWarning,
                stacklevel=3,
            )
        return x_rows, r_rows

    def transform(self, X):
        """Map rows into the reference's coordinates.

        Parameters
        ----------
        X : DataFrame, fitted embedder, embedding store or array-like of shape (n, d)
            Any rows of the embedding space X was fitted in, whether or not
            the reference has their nodes.

        Returns
        -------
        aligned : ndarray of shape (n, d)
            Same row order and float dtype (float32 kept) as X.  A DataFrame
            X keeps its index under ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        data, _ = split_embedding(X, name="X", unique=False)
        Z = validate_data(self, data, reset=False, dtype=[np.float64, np.float32])
        out = self.scale_ * (Z.astype(np.float64) @ self.rotation_) + self.translation_
        return out.astype(Z.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
