"""One line describing the machine a benchmark ran on, for its header.

Timings from different days are only comparable on the same CPU: the
numba kernels are SIMD-bound, so a core with narrower vector units slows
them more than gensim's or PecanPy's loops.  Every script prints this line
so that a table in ``benchmarks/README.md`` can say what it was measured on.
"""

from __future__ import annotations

import os
import platform


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _llvm_target() -> str | None:
    try:
        import llvmlite.binding as llvm
    except ImportError:
        return None
    return llvm.get_host_cpu_name()


def _simd_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return []
    return [name for name in ("avx512f", "avx2", "fma") if name in flags]


def describe_machine() -> str:
    """``'2 CPUs, AMD EPYC (LLVM target znver1; avx2 fma), load average 1.2'``."""
    target = _llvm_target()
    parts = [f"LLVM target {target}" if target else "", " ".join(_simd_flags())]
    details = "; ".join(part for part in parts if part)
    model = _cpu_model() + (f" ({details})" if details else "")
    return f"{os.cpu_count()} CPUs, {model}, load average {os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    print(describe_machine())
