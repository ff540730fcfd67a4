"""Exception classes users may want to catch.

Each subclasses the built-in exception that plain code would raise, so
``except ValueError`` keeps working (scikit-learn's ``InvalidParameterError``
trick).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DeviceUnavailableError", "GraphFormatError", "UnknownLabelError", "UnknownNodeError"]


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


class DeviceUnavailableError(RuntimeError):
    """A torch device was asked for (``device="cuda"``) that this machine lacks."""


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
