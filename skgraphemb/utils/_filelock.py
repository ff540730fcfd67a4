"""An exclusive lock on a file path, across threads, processes and machines.

The embedding cache (``memory=``) is a folder that every worker of a search
may share.  joblib's ``Memory`` has no lock: folds of one candidate that run
at the same time on different workers would each compute the same
embedding.  :func:`file_lock` makes them take turns on a lock file beside the
cache entry; whoever comes second finds the entry written and loads it.

The lock is ``flock`` on the file (Linux's NFS client turns it into a POSIX
byte-range lock, which the server arbitrates), plus a ``threading.Lock`` per
path, because POSIX locks do not exclude threads of one process.  The kernel
releases the lock of a process that dies, so a killed worker never leaves a
cache entry locked.  Without ``fcntl`` (Windows) only threads are excluded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:  # pragma: no cover - always there on POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["file_lock"]

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.get(path)
        if lock is None:
            lock = _THREAD_LOCKS[path] = threading.Lock()
        return lock


@contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the body.

    Blocks until the lock is free.  The lock file is left in place (removing
    it while another process waits on it would let a third one in).
    """
    path = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _thread_lock(path):
        if fcntl is None:  # pragma: no cover
            yield
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits without holding the GIL
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
