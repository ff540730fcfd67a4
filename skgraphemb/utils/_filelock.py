"""Safe file writes: an exclusive lock on a path, and atomic replacement.

:func:`atomic_write` is how every file the package writes is written (the
CLI's outputs and plots, :func:`~skgraphemb.export.files.write_embedding`,
:class:`~skgraphemb.FileExporter`, ``Graph.save``): into a fresh temporary
file with an unpredictable name beside the target (``mkstemp``: ``O_EXCL``,
mode 0600), renamed over the target once complete.  Nothing planted in the
target's folder can redirect the write: a symlink at the target is
replaced, never followed, and readers see the old file or the new one,
never half of one.

:func:`file_lock`: an exclusive lock on a file path, across threads,
processes and machines.

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
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

try:  # pragma: no cover - always there on POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["atomic_write", "file_lock"]

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.get(path)
        if lock is None:
            lock = _THREAD_LOCKS[path] = threading.Lock()
        return lock


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0666 less the process umask."""
    try:  # Linux: read the umask without changing it (os.umask is process-wide)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, durable: bool = False) -> Iterator[IO]:
    """Write ``path`` atomically, without following anything planted there.

    Yields a file object open on a new temporary file in ``path``'s folder
    (``tempfile.mkstemp``: created with ``O_EXCL``, an unpredictable name);
    when the body completes, the file gets the mode ``open()`` would have
    given it (0666 less the umask) and is renamed over
    ``path`` with :func:`os.replace`, which replaces a symlink at ``path``
    rather than writing through it.  If the body raises, the temporary file
    is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The file to (re)place; its folder must exist.
    mode : {"wb", "w"}, default="wb"
        Binary, or text (UTF-8, ``"\n"`` line ends).
    durable : bool, default=False
        ``fsync`` the file before the rename and the folder after it.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        kwargs = {"encoding": "utf-8", "newline": "\n"} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:  # make the rename itself durable
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass


@contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the body.

    Blocks until the lock is free.  The lock file is left in place (removing
    it while another process waits on it would let a third one in).  It is
    opened with ``O_NOFOLLOW`` and never truncated or written: a symlink
    planted at its path is refused, and whatever it points to is untouched.
    """
    path = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _thread_lock(path):
        if fcntl is None:  # pragma: no cover
            yield
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as e:
            if os.path.islink(path):
                raise OSError(
                    e.errno,
                    f"refusing to use the lock file {path!r}: it is a symbolic link "
                    "(planted in the cache folder?); remove it",
                    path,
                ) from None
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits without holding the GIL
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
