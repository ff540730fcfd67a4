"""One line describing the machine a benchmark ran on, for its header.

Timings from different days are only comparable on the same CPU: the
numba kernels are SIMD-bound, so a core with narrower vector units slows
them more than gensim's or PecanPy's loops.  Every script prints this line
so that a table in ``benchmarks/README.md`` can say what it was measured on.
"""

from __future__ import annotations

import os
import platform


def _cpuinfo() -> dict[str, str]:
    """The first value of each field of ``/proc/cpuinfo`` (empty off Linux)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep:
                    fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def _llvm_target() -> str | None:
    try:
        import llvmlite.binding as llvm
    except ImportError:
        return None
    return llvm.get_host_cpu_name()


def describe_machine() -> str:
    """``'2 CPUs, AMD EPYC (LLVM target znver1; avx2 fma), load average 1.2'``."""
    info = _cpuinfo()
    flags = info.get("flags", "").split()
    target = _llvm_target()
    parts = [
        f"LLVM target {target}" if target else "",
        " ".join(name for name in ("avx512f", "avx2", "fma") if name in flags),
    ]
    details = "; ".join(part for part in parts if part)
    model = info.get("model name") or platform.processor() or platform.machine()
    model += f" ({details})" if details else ""
    return f"{os.cpu_count()} CPUs, {model}, load average {os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    print(describe_machine())
