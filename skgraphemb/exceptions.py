"""Exception classes users may want to catch.

Each subclasses the built-in exception that plain code would raise, so
``except ValueError`` keeps working (scikit-learn's ``InvalidParameterError``
trick).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["DeviceUnavailableError", "GraphFormatError", "UnknownNodeError"]


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
