"""Warnings that point at the user's line, not into skgraphemb or scikit-learn.

A warning a user triggers (an isolated node, a deprecated parameter) is
reported at the first frame of the call stack outside skgraphemb,
scikit-learn and joblib: the user's ``est.fit(G)`` line, also when the fit
runs inside ``Pipeline``/``GridSearchCV`` or a cached (``memory``) fit,
whatever the depth of the internal call chain.
"""

from __future__ import annotations

import os
import sys
import warnings

import joblib
import sklearn

import skgraphemb

__all__ = ["warn"]

#: Packages whose frames a warning skips.
_SKIP_PREFIXES = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (skgraphemb, sklearn, joblib))


def _internal(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SKIP_PREFIXES)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first caller frame outside the skipped packages."""
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=_SKIP_PREFIXES)
        return
    # Python 3.10-3.11: count the frames to skip.  stacklevel=1 is this
    # function's caller's call to warnings.warn, i.e. this frame.
    frame = sys._getframe(1)
    level = 2
    while frame is not None and _internal(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
