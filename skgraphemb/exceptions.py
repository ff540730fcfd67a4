"""Exception classes users may want to catch.

Each subclasses the built-in exception that plain code would raise, so
``except ValueError`` keeps working (scikit-learn's ``InvalidParameterError``
trick).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "DeviceUnavailableError",
    "GraphFormatError",
    "InsufficientMemoryError",
    "RedisConnectionError",
    "RedisStoreError",
    "TrainingDivergedError",
    "UnknownLabelError",
    "UnknownNodeError",
]


class UnknownNodeError(ValueError):
    """Node ids that are not in the graph were asked for.

    Attributes
    ----------
    missing : list
        The unknown ids, in the order first met.
    """

    def __init__(self, message: str, missing: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.missing = list(missing)


class GraphFormatError(ValueError):
    """A graph input could not be read: wrong shape, bad weights, empty..."""


class InsufficientMemoryError(MemoryError):
    """A fit was refused before any work because it would not fit in memory.

    Raised by :class:`~skgraphemb.Node2VecEmbedder` when its estimate of
    the memory it will allocate exceeds what the machine has available (or
    its ``max_memory``).  The message gives the sizes and what to change.

    Attributes
    ----------
    required : int
        Bytes the fit would have allocated.
    """

    def __init__(self, message: str, required: int = 0) -> None:
        super().__init__(message)
        self.required = int(required)


class DeviceUnavailableError(RuntimeError):
    """A torch device was asked for (``device="cuda"``) that this machine lacks."""


# -- serving embeddings (skgraphemb.export) ------------------------------------
class RedisConnectionError(ConnectionError):
    """Redis could not be reached, authenticated or did not answer in time.

    Raised by :class:`~skgraphemb.RedisExporter` and
    :class:`~skgraphemb.RedisEmbeddingStore` after their retries are spent
    (or at once for a wrong password).  The message names the server's URL
    with any password masked (``redis://user:***@host:6379/0``).  A
    :class:`ConnectionError`, hence an :class:`OSError`.
    """


class RedisStoreError(RuntimeError):
    """Redis answered, but the embeddings could not be published or read.

    For example: the server refused a command (out of memory, missing ACL
    permission), keys vanished while publishing (eviction), another writer
    published a newer version first, or nothing is published under the key
    prefix.  In ``mode="versioned"`` readers still get the previous version.
    """


class UnknownLabelError(UnknownNodeError):
    """Knowledge-graph labels (entities or relations) not seen at fit were asked for.

    A :class:`UnknownNodeError` (so a ``ValueError``) raised by
    :class:`~skgraphemb.KGEmbedder`.

    Attributes
    ----------
    missing : list
        The unknown labels.
    kind : {"entity", "relation"} or None
        What the label was meant to be, when it is one label.
    suggestions : list of str
        Close matches among the known labels (:mod:`difflib`).
    """

    def __init__(
        self,
        message: str,
        missing: Sequence[Any] = (),
        *,
        kind: str | None = None,
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__(message, missing)
        self.kind = kind
        self.suggestions = list(suggestions)


class TrainingDivergedError(FloatingPointError):
    """Training produced NaN or infinite vectors: the learning rate is too high.

    Raised by the skip-gram trainers (and so by
    :class:`~skgraphemb.Node2VecEmbedder`) as soon as a block of walks
    leaves non-finite vectors, and by every embedder's ``fit`` rather than
    return a non-finite embedding.  The message says what to lower (for
    skip-gram, ``alpha``).  A :class:`FloatingPointError`, hence an
    :class:`ArithmeticError`.
    """
