"""Kernels for ``SVDEmbedder``: the power-sum operator and a randomized SVD.

``M = A + A^2 + ... + A^order`` is never formed: :func:`power_sum_operator`
returns a :class:`scipy.sparse.linalg.LinearOperator` whose products apply
the powers by repeated sparse products (Horner's scheme), so memory stays
O(edges + n_nodes * block) whatever the order.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = ["normalize_adjacency", "power_sum_operator", "randomized_svd_operator"]


def normalize_adjacency(A, normalization: str | None):
    """``A`` (CSR), ``D^-1 A`` ("transition") or ``D^-1/2 A D^-1/2`` ("symmetric").

    ``D`` holds the (weighted) out-degrees, the row sums of ``A``; rows and
    columns of zero-degree nodes stay zero.
    """
    A = sp.csr_array(A, dtype=np.float64)
    if normalization is None:
        return A
    deg = np.asarray(A.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        if normalization == "transition":
            inv = np.where(deg > 0, 1.0 / deg, 0.0)
            return sp.csr_array(sp.diags_array(inv) @ A)
        if normalization == "symmetric":
            inv = np.where(deg > 0, 1.0 / np.sqrt(deg), 0.0)
            D = sp.diags_array(inv)
            return sp.csr_array(D @ A @ D)
    raise ValueError(f"unknown normalization {normalization!r}")


def power_sum_operator(A, order: int) -> LinearOperator:
    """``M = A + A^2 + ... + A^order`` as a LinearOperator; ``A^k`` is never formed.

    ``M x = A(x + A(x + ... A x))`` (Horner) and ``M^T x`` likewise with
    ``A^T``: ``order`` sparse products per application.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1; got {order}")
    A = sp.csr_array(A, dtype=np.float64)
    AT = sp.csr_array(A.T)
    n, m = A.shape

    def _horner(B, x):
        y = B @ x
        for _ in range(order - 1):
            y = B @ (x + y)
        return y

    def matmat(X):
        return _horner(A, np.asarray(X, dtype=np.float64))

    def rmatmat(X):
        return _horner(AT, np.asarray(X, dtype=np.float64))

    return LinearOperator(
        shape=(n, m),
        matvec=matmat,
        rmatvec=rmatmat,
        matmat=matmat,
        rmatmat=rmatmat,
        dtype=np.float64,
    )


def randomized_svd_operator(op: LinearOperator, k: int, *, n_oversamples: int = 10,
                            n_iter: int = 5, random_state=None):
    """Halko-Martinsson-Tropp randomized SVD using only ``op @ X`` and ``op.T @ X``.

    Returns ``U (n, k), S (k,), Vt (k, m)``, singular values descending.
    Power iterations are re-orthonormalised by QR each step.
    """
    rng = np.random.default_rng(random_state)
    n, m = op.shape
    p = min(k + n_oversamples, min(n, m))
    Q = op.matmat(rng.standard_normal((m, p)))
    Q, _ = scipy.linalg.qr(Q, mode="economic", check_finite=False)
    for _ in range(n_iter):
        Z, _ = scipy.linalg.qr(op.rmatmat(Q), mode="economic", check_finite=False)
        Q, _ = scipy.linalg.qr(op.matmat(Z), mode="economic", check_finite=False)
    B = op.rmatmat(Q).T  # (p, m) = Q^T M
    Uh, S, Vt = scipy.linalg.svd(B, full_matrices=False, check_finite=False)
    U = Q @ Uh
    return U[:, :k], S[:k], Vt[:k]
