"""What the command line reports as a user error: one line on stderr, exit status 2."""

from __future__ import annotations

import zlib

from skgraphemb.exceptions import InsufficientMemoryError, RedisStoreError


class CLIError(Exception):
    """A user error: reported as one line on stderr, exit status 2."""


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.strerror}: {e.filename!r}"
    return " ".join(str(e).split()) or type(e).__name__


# What counts as the user's error (bad file, bad option, missing extra); the
# library's messages for these say what to do, so a traceback adds nothing.
# ArithmeticError: a fit refused for numbers out of range (TrainingDivergedError:
# lower alpha; SVDEmbedder: weights too large); EOFError and zlib.error: a
# truncated or corrupt archive.
_USER_ERRORS = (
    CLIError,
    OSError,
    ValueError,
    ImportError,
    RedisStoreError,
    ArithmeticError,
    InsufficientMemoryError,
    EOFError,
    zlib.error,
)
