"""Where numba caches skgraphemb's compiled kernels.

numba's on-disk cache (``cache=True``) names a compiled function's entry
after its Python function (qualified name and first line), not after the
compilation flags: a ``numba.njit(f)`` and a ``numba.njit(f,
parallel=True)`` of one function would share one entry, and whichever
compiled first is what the other would load in every later process.  So
each kernel is compiled once: the kernels that threads share are serial
``nogil`` functions driven by
:class:`~skgraphemb.utils._threads.KernelThreads`, and a ``parallel=True``
kernel has no serial twin.

Where the cache lives: numba takes the first of ``NUMBA_CACHE_DIR``, a
``__pycache__`` folder beside each kernel module (inside the installed
package), and the per-user ``numba`` folder of the user's cache directory
(``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on
macOS, ``%LOCALAPPDATA%`` on Windows) that it can write to.  When it can
write to none of them it refuses to define a cached kernel, and importing
a kernel module fails; :func:`ensure_cache_location`, run when
``skgraphemb`` is imported, then points ``NUMBA_CACHE_DIR`` at a per-user
folder in the temporary directory instead.

Standard library only, so that any kernel module can use it, and
``import skgraphemb`` can run it without importing numba.
"""

from __future__ import annotations

import os
import sys

__all__ = ["cache_location", "ensure_cache_location"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def _user_cache_root() -> str:
    """The user's cache directory, as numba's ``appdirs`` finds it."""
    if sys.platform == "win32":
        return os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


def cache_location() -> str:
    """The folder numba caches skgraphemb's compiled kernels in (or under)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if _writable(os.path.join(_PACKAGE, "__pycache__")):
        return os.path.join(_PACKAGE, "*", "__pycache__")
    return os.path.join(_user_cache_root(), "numba")


def ensure_cache_location() -> str | None:
    """Give numba a writable cache folder when it would find none.

    Does nothing when ``NUMBA_CACHE_DIR`` is set or numba can write beside
    the package or in the user's cache directory.  Otherwise sets
    ``NUMBA_CACHE_DIR`` (for this process and its children) to
    ``<tempdir>/skgraphemb-numba-<user>`` and returns it.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    if _writable(os.path.join(_PACKAGE, "__pycache__")) or _writable(os.path.join(_user_cache_root(), "numba")):
        return None
    import getpass
    import tempfile

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container's numeric uid)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    path = os.path.join(tempfile.gettempdir(), f"skgraphemb-numba-{user}")
    if not _writable(path):
        return None
    os.environ["NUMBA_CACHE_DIR"] = path
    config = sys.modules.get("numba.core.config")
    if config is not None:  # numba read its environment already
        config.CACHE_DIR = path
    return path
