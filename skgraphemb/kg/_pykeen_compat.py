"""What ``KGEmbedder`` needs around PyKEEN and torch, apart from the estimator itself.

PyKEEN is imported on demand; its resolvers get errors that list the
options; the global state it touches other than the RNGs (isolated by
``skgraphemb.utils._random_state.isolated_rng``) is isolated too (the
per-epoch garbage collection; CPU-only log and warning noise); and a model's
representations are read as plain float32 arrays.  What needs torch tensors
(the raw-rank fix for PyKEEN <= 1.11.1 among it) is in
:mod:`skgraphemb.kg._torch_kernels`.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import logging
import warnings

import numpy as np

from skgraphemb._optional import import_optional

#: The estimator's name, in messages.
_CALLER = "KGEmbedder"


def _pykeen():
    return import_optional("pykeen", _CALLER)


def _resolve_class(resolver, query, what: str, caller: str = _CALLER):
    """``resolver.lookup(query)`` with an error that lists the options."""
    try:
        return resolver.lookup(query)
    except (KeyError, ValueError, TypeError) as e:
        names = sorted({cls.__name__ for cls in resolver.lookup_dict.values()})
        hint = ""
        if isinstance(query, str):
            close = difflib.get_close_matches(query.lower(), [n.lower() for n in names], n=3, cutoff=0.6)
            if close:
                by_lower = {n.lower(): n for n in names}
                hint = f" Did you mean {', '.join(repr(by_lower[c]) for c in close)}?"
        plural = what[:-1] + "ses" if what.endswith("ss") else what + "s"
        raise ValueError(
            f"{caller}: unknown {what} {query!r}.{hint} Choose one of PyKEEN's {plural} "
            f"(a name or a class): {', '.join(names)}"
        ) from e


@contextlib.contextmanager
def _gc_frozen():
    """Make PyKEEN's per-epoch ``gc.collect()`` cheap for one block.

    PyKEEN's training loop runs a full garbage collection after every epoch;
    in a process that has imported torch, PyKEEN, scikit-learn and pandas it
    walks hundreds of thousands of objects (about 0.4 s an epoch, most of a
    small model's training time).  ``gc.freeze`` moves the objects that exist
    now to a permanent generation the collector skips; ``gc.unfreeze`` puts
    them back afterwards.  Nothing numerical changes.  If the caller has
    frozen objects already, their freeze is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _DropCPUMemoryWarning(logging.Filter):
    """torch_max_mem warns on *every* CPU evaluation; we size batches ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Encountered tensors on device_types")


#: torch >= 2.9 deprecates torch.jit.script/trace; torch_geometric, which
#: PyKEEN imports (pykeen.nn.pyg) on its first model lookup, still calls
#: torch.jit.script at import time.  Nothing a user of KGEmbedder can change.
_TORCH_JIT_DEPRECATION = r"`torch\.jit\.\w+` is deprecated"


@contextlib.contextmanager
def _quiet_cpu_noise(device):
    """Silence messages that tell a KGEmbedder user nothing actionable.

    On every device: torch's deprecation of ``torch.jit.*``, raised by
    torch_geometric's import inside PyKEEN (only that DeprecationWarning,
    matched by its message).  On the CPU: torch_max_mem logs a warning on
    every evaluation (its logger only gets a filter, for this block), and
    PyKEEN's batch-size probe asks torch for pinned memory, which warns
    without a GPU.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TORCH_JIT_DEPRECATION, category=DeprecationWarning)
        if str(device) != "cpu":
            yield
            return
        with _quiet_cpu_only():
            yield


@contextlib.contextmanager
def _quiet_cpu_only():
    target = logging.getLogger("torch_max_mem.api")
    flt = _DropCPUMemoryWarning()
    target.addFilter(flt)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="'pin_memory' argument is set as true", category=UserWarning)
            yield
    finally:
        target.removeFilter(flt)


def _real_view(values: np.ndarray) -> np.ndarray:
    """(n, ...) representation -> (n, width) float32; complex -> [real | imaginary]."""
    values = values.reshape(values.shape[0], -1)
    if np.iscomplexobj(values):
        values = np.concatenate([values.real, values.imag], axis=1)
    return np.ascontiguousarray(values, dtype=np.float32)


def _model_width(model) -> int:
    """Numbers per entity in the model's representations (complex counts twice)."""
    width = 0
    for rep in getattr(model, "entity_representations", ()):
        width += 2 * int(np.prod(rep.shape))
    return max(width, 1)
