"""Memory: what this process holds, what the machine has left, and estimates.

Estimators that can run out of memory halfway through (node2vec on millions
of nodes) add up what they will allocate *before* any work, as a
:class:`MemoryEstimate`, and call :meth:`MemoryEstimate.check` against the
memory available; an :class:`~skgraphemb.exceptions.InsufficientMemoryError`
then names the sizes and what to change instead of the kernel's OOM killer
ending the process midway.

Available memory is Linux's ``MemAvailable`` (free memory plus reclaimable
caches), capped by the cgroup limit the process runs under (containers, CI
runners, Dask workers started under systemd).  Elsewhere psutil is used when
installed; without it the check is skipped (with a log line).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

from skgraphemb.exceptions import InsufficientMemoryError

__all__ = [
    "MemoryEstimate",
    "available_memory",
    "format_bytes",
    "mapped_nbytes",
    "parse_bytes",
    "process_rss",
    "resident_file_bytes",
]

logger = logging.getLogger(__name__)

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1e3,
    "kb": 1e3,
    "m": 1e6,
    "mb": 1e6,
    "g": 1e9,
    "gb": 1e9,
    "t": 1e12,
    "tb": 1e12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def format_bytes(n: float) -> str:
    """``1234567890`` -> ``'1.23 GB'`` (decimal units, as ``free -h --si``)."""
    n = float(n)
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{int(n)} B"


def parse_bytes(value) -> int:
    """An amount of memory: an int of bytes, or a string such as ``"16GB"``, ``"512 MiB"``.

    Raises
    ------
    ValueError
        For anything else, naming the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(f"a memory size must be bytes (int) or a string like '16GB'; got {value!r}")
    if isinstance(value, (int, float)) and value > 0:
        return int(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", value)
        if match and match.group(2).lower() in _UNITS and float(match.group(1)) > 0:
            return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    raise ValueError(
        f"a memory size must be a positive number of bytes or a string such as '16GB', '800MB' or '2GiB'; got {value!r}"
    )


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_headroom() -> int | None:
    """Bytes the cgroup of this process may still allocate (None: no limit)."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":  # cgroup v2
            base = "/sys/fs/cgroup" + path.rstrip("/")
            limit, usage = _read_int(base + "/memory.max"), _read_int(base + "/memory.current")
        elif "memory" in controllers.split(","):  # cgroup v1
            base = "/sys/fs/cgroup/memory" + path.rstrip("/")
            limit = _read_int(base + "/memory.limit_in_bytes")
            usage = _read_int(base + "/memory.usage_in_bytes")
            if limit is not None and limit >= 2**60:  # v1 spells "no limit" as a huge number
                limit = None
        else:
            continue
        if limit is not None and usage is not None:
            return max(0, limit - usage)
    return None


def available_memory() -> int | None:
    """Bytes this process can still allocate without swapping or an OOM kill.

    ``MemAvailable`` of ``/proc/meminfo`` (free plus reclaimable memory),
    capped by the cgroup's remaining allowance; psutil's ``available`` off
    Linux; ``None`` when neither can be read.
    """
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            import psutil

            avail = int(psutil.virtual_memory().available)
        except Exception:  # noqa: BLE001 - psutil missing or unsupported platform
            return None
    headroom = _cgroup_headroom()
    return avail if headroom is None else min(avail, headroom)


def process_rss() -> int | None:
    """Resident memory of this process now, in bytes (None if unknown)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # noqa: BLE001
        return None


def mapped_nbytes(*arrays) -> int:
    """Bytes of those ``arrays`` (None skipped) that are views of a memory-mapped file."""
    import mmap

    import numpy as np

    total = 0
    for a in arrays:
        base = a
        while base is not None:
            if isinstance(base, (np.memmap, mmap.mmap)):
                total += a.nbytes
                break
            base = getattr(base, "base", None)
    return total


def resident_file_bytes(path: str) -> int:
    """Bytes of the file at ``path`` that this process has mapped and resident now.

    Read from ``/proc/self/smaps`` (0 where it cannot be read): pages of a
    memory-mapped graph that are already resident (checksummed when it was
    opened, or read by an earlier fit) are in the process's resident memory
    already and must not be counted again.
    """
    total = 0
    try:
        with open("/proc/self/smaps") as f:
            inside = False
            for line in f:
                head = line.split(None, 5)
                if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                    inside = len(head) == 6 and head[5].strip() == path
                elif inside and line.startswith("Rss:"):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return total


@dataclass
class MemoryEstimate:
    """What a fit will allocate, part by part, in bytes.

    Attributes
    ----------
    owner : str
        Who asks (the estimator's class name), for messages.
    parts : dict of str -> int
        Bytes of each named part that the fit allocates (anonymous memory).
    mapped : int
        Bytes of memory-mapped files the fit reads (a saved graph opened
        with ``mmap=True``): they count towards resident memory but are
        page cache that the kernel can drop, so they do not have to fit in
        the available memory.
    baseline : int
        Resident memory of the process when the estimate was made.
    hints : list of str
        What to change to need less, most effective first.
    """

    owner: str
    parts: dict[str, int] = field(default_factory=dict)
    mapped: int = 0
    baseline: int = 0
    hints: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Bytes the fit allocates (the sum of :attr:`parts`)."""
        return int(sum(self.parts.values()))

    @property
    def peak(self) -> int:
        """Estimated peak resident memory of the process during the fit."""
        return self.baseline + self.total + self.mapped

    def describe(self) -> str:
        """One line: the total, then each part."""
        parts = ", ".join(f"{name} {format_bytes(b)}" for name, b in self.parts.items() if b)
        mapped = f", memory-mapped graph {format_bytes(self.mapped)}" if self.mapped else ""
        return (
            f"{self.owner} needs about {format_bytes(self.total)} ({parts}{mapped}); "
            f"estimated peak resident memory {format_bytes(self.peak)}"
        )

    def check(self, max_memory="auto") -> None:
        """Raise :class:`InsufficientMemoryError` when the fit will not fit.

        Parameters
        ----------
        max_memory : "auto", int, str or None
            ``"auto"``: the allocations must fit in :func:`available_memory`.
            A size (bytes, or ``"16GB"``): the estimated peak resident memory
            of the process must stay below it.  ``None``: no check.
        """
        if max_memory is None:
            return
        if max_memory == "auto":
            avail = available_memory()
            if avail is None:
                logger.info("%s: available memory unknown, memory check skipped", self.owner)
                return
            if self.total <= avail:
                return
            budget = f"only {format_bytes(avail)} is available on this machine"
        else:
            limit = parse_bytes(max_memory)
            if self.peak <= limit:
                return
            budget = (
                f"max_memory={max_memory!r} allows {format_bytes(limit)} for the whole process, "
                f"which already holds {format_bytes(self.baseline)}"
            )
        hints = "; ".join(self.hints)
        raise InsufficientMemoryError(
            f"{self.describe()}, but {budget}. Nothing was computed. To need less: {hints}. "
            "To try anyway, pass max_memory=None (the process may then be killed by the "
            "operating system halfway through).",
            required=self.total,
        )
