"""Devices for the torch-backed estimators.

Three jobs, shared by every estimator and function with a ``device`` parameter:

* :func:`resolve_engines` decides, at fit (or call) time, which engine each
  stage runs on (``backend``, ``trainer``: numba, gensim, PecanPy or torch)
  and the torch device, from ``device`` and those stage parameters; it is
  the one place the ``"auto"`` rules live.  :func:`resolve_device` checks a
  device name and turns it into a ``torch.device``: ``"auto"`` picks CUDA
  when present; an explicit CUDA device on a machine without one is an
  error whose message gives the fix (PyKEEN silently falls back to the CPU
  instead).
* :func:`torch_threads` sets torch's CPU thread count from ``n_jobs`` for
  one call.
* :class:`TorchStateMixin` pickles an estimator's torch state as bytes
  (``torch.save`` of tensors only) and, on unpickling, loads it with
  ``weights_only=True`` onto the device it was saved from when this machine
  has it, or onto the CPU with a :class:`DeviceMappingWarning` when it does
  not (skorch's ``__getstate__``/``__setstate__`` + ``get_map_location``).
  So a model fitted on a GPU loads and predicts on a CPU-only machine.

torch is imported inside the functions, never at module top, by
``import_optional("torch", caller)`` (:mod:`skgraphemb._optional`), so a
missing torch raises the ImportError naming the ``torch`` extra.  That is
the one way the package imports torch: no bare ``import torch`` and no
wrappers.  (:mod:`skgraphemb.graphsage._torch_kernels`, whose classes
subclass torch's, calls it at its top, and is itself imported only inside
functions.)  And only leaf modules touch torch: the ``*_torch_kernels.py``
modules and this one.  Estimators and drivers orchestrate -- they pass numpy
arrays and device strings to those modules' functions and classes and get
numpy arrays back -- and never import torch (``tests/test_import.py`` checks
this with ``ast``).

**The default device.**  Every estimator and function with a ``device``
parameter defaults to ``device="cpu"``: results never depend on whether the
machine has a GPU.  ``device="auto"`` (a GPU when there is one) and an
explicit ``"cuda"``/``"cuda:N"`` are opt-ins (see :ref:`torch-engine`).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from skgraphemb._optional import import_optional, is_available
from skgraphemb.exceptions import DeviceUnavailableError
from skgraphemb.utils._validation import effective_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "DEVICE_CONSTRAINT",
    "DeviceMappingWarning",
    "TorchStateMixin",
    "load_torch_state",
    "DEFAULT_DEVICE",
    "map_location",
    "resolve_device",
    "resolve_engines",
    "save_torch_state",
    "torch_threads",
]

#: ``_parameter_constraints`` entry of every ``device`` parameter (a string;
#: what it names is checked by :func:`resolve_device` at fit).
DEVICE_CONSTRAINT = [str]

#: The default of every ``device`` parameter (see the module docstring).
DEFAULT_DEVICE = "cpu"

_DEVICE_HELP = "use 'auto', 'cpu', 'cuda' or 'cuda:N'"


class DeviceMappingWarning(UserWarning):
    """Torch state saved on a device this machine lacks was loaded on the CPU."""


def _cuda_count(torch) -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_device(device: Any, caller: str) -> torch.device:
    """The ``torch.device`` that ``device`` names on this machine.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (CUDA when available, else the CPU), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"``.
    caller : str
        Who asks, as the user sees it (``"KGEmbedder"``), for messages.

    Raises
    ------
    ValueError
        ``device`` names no device, or a kind other than CPU/CUDA.
    DeviceUnavailableError
        A CUDA device was asked for and this machine does not have it.
    """
    torch = import_optional("torch", caller)
    text = str(device).strip().lower()
    if text == "auto":
        return torch.device("cuda" if _cuda_count(torch) else "cpu")
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(f"{caller}: device={device!r} is not a device; {_DEVICE_HELP}") from None
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise ValueError(f"{caller}: device={device!r} is not supported; {_DEVICE_HELP}")
    count = _cuda_count(torch)
    if count == 0:
        built = f"CUDA {torch.version.cuda}" if torch.version.cuda else "no CUDA support"
        raise DeviceUnavailableError(
            f"{caller} was asked for device={device!r}, but CUDA is not available on "
            f"this machine (torch {torch.__version__}, built with {built}). Use "
            "device='cpu', or device='auto' to use a GPU only where there is one."
        )
    if dev.index is not None and dev.index >= count:
        raise DeviceUnavailableError(
            f"{caller} was asked for device={device!r}, but this machine has {count} "
            f"CUDA device(s) (cuda:0 .. cuda:{count - 1}). Pick one of those, or "
            "device='auto'."
        )
    return dev


#: Engine names that changed: old name -> new name.  The walk and skip-gram
#: kernels moved from numba to C compiled at install (0.2); "numba" still
#: selects the native engines, with a FutureWarning, until 0.4.
RENAMED_ENGINES = {"numba": "native"}


def resolve_engines(device: Any, caller: str, **stages: str) -> tuple[str, ...]:
    """The engine of each stage and the torch device, from ``device`` and the stages.

    The one home of the ``"auto"``/torch/error rules of every estimator and
    function with a ``device`` parameter.

    Parameters
    ----------
    device : str or torch.device
        The ``device`` parameter: ``"cpu"``, ``"auto"``, ``"cuda"`` or
        ``"cuda:N"``.
    caller : str
        Who asks, as the user sees it (``"Node2VecEmbedder"``), for messages.
    **stages : str
        The stage parameters, by name and in the order the data flows
        through them (``backend="auto", trainer="gensim"``): ``"auto"``,
        ``"torch"`` or the name of a CPU engine (``"native"``, ``"gensim"``,
        ``"pecanpy"``; the deprecated ``"numba"`` is ``"native"`` with a
        ``FutureWarning``).  None: the caller runs in torch throughout
        (GraphSAGE, KG, the torch skip-gram trainer).

    Returns
    -------
    engines : tuple of str
        Each stage's engine (``"auto"`` resolved), in the order given,
        followed by the torch device as ``"cpu"`` or ``"cuda:N"`` (``"cpu"``
        when no stage runs in torch).

    Notes
    -----
    * An ``"auto"`` stage follows the stage before it (the data stays where
      it is: the trainer is torch when the walks are), and the first stage
      follows the device: torch when ``device`` resolves to a GPU, its CPU
      engine otherwise.
    * ``device="cpu"`` (the default) never picks torch for an ``"auto"``
      stage, and imports torch only when a stage is ``"torch"``.
    * ``device="auto"`` is a GPU when torch is installed and sees one, else
      the CPU; stages named as CPU engines then run on the CPU (and when
      all are, torch is not imported).
    * An explicit CUDA device runs every stage in torch: a CPU-only stage
      is a ValueError, and a machine without that device a
      :class:`~skgraphemb.DeviceUnavailableError`.

    Raises
    ------
    ValueError
        A CPU-only stage with an explicit CUDA device, or ``device`` names
        no supported device.
    DeviceUnavailableError
        A CUDA device was asked for and this machine does not have it.
    ImportError
        A stage (or the caller) needs torch and it is not installed.
    """
    for param, value in stages.items():
        if value in RENAMED_ENGINES:
            new = RENAMED_ENGINES[value]
            warnings.warn(
                f"{caller}: {param}={value!r} is deprecated and will be removed in 0.4: skgraphemb's own "
                f"kernels are compiled C now; use {param}={new!r} (the same engine).",
                FutureWarning,
                stacklevel=4,
            )
            stages[param] = new
    text = str(device).strip().lower()
    cpu_only = bool(stages) and all(value not in ("auto", "torch") for value in stages.values())
    if not stages or "torch" in stages.values():
        import_optional("torch", caller)  # the install hint, whatever the device
    if text == "cpu" or (text == "auto" and (cpu_only or not is_available("torch"))):
        name = "cpu"
    else:
        dev = resolve_device(device, caller)
        if dev.type == "cuda" and dev.index is None:
            torch = import_optional("torch", caller)
            dev = torch.device("cuda", torch.cuda.current_device())
        name = str(dev)
    on_gpu = name != "cpu"
    engines = []
    follows = "torch" if on_gpu else "cpu"
    for param, value in stages.items():
        # the project's own engine is the CPU engine of every stage that has "auto"
        engine = value if value != "auto" else ("torch" if follows == "torch" else "native")
        if on_gpu and text != "auto" and engine != "torch":
            raise ValueError(
                f"{caller}: {param}={engine!r} runs on the CPU only, but device={device!r} was given. "
                f"Use {param}='torch' (or 'auto') to run it on a GPU, or device='cpu'."
            )
        engines.append(engine)
        follows = engine
    if stages and "torch" not in engines:
        name = "cpu"
    return (*engines, name)


@contextmanager
def torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with torch's CPU intra-op threads set from ``n_jobs``, then restore.

    torch's thread count is process-wide state; like
    :func:`~skgraphemb.utils._threads.numba_threads`, a call changes it only
    for its own duration.
    """
    torch = import_optional("torch", "torch_threads")
    before = torch.get_num_threads()
    torch.set_num_threads(effective_n_jobs(n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def map_location(saved_device: str, caller: str) -> torch.device:
    """Where to load torch state that was saved from ``saved_device``.

    The same device when this machine has it; otherwise the CPU, with a
    :class:`DeviceMappingWarning`.
    """
    torch = import_optional("torch", caller)
    dev = torch.device(saved_device)
    if dev.type == "cuda" and (dev.index or 0) >= _cuda_count(torch):
        from skgraphemb.utils._warnings import warn

        warn(
            f"{caller} was fitted on device {saved_device!r}, which this machine does not "
            "have; its torch state is loaded on the CPU and it will run there.",
            DeviceMappingWarning,
        )
        return torch.device("cpu")
    if dev.type not in ("cpu", "cuda"):
        return torch.device("cpu")
    return dev


def save_torch_state(state: Any) -> bytes:
    """``torch.save`` of ``state`` (tensors, dicts, lists, numbers, strings) as bytes."""
    torch = import_optional("torch", "saving torch state")
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def load_torch_state(blob: bytes, device: torch.device | str) -> Any:
    """Inverse of :func:`save_torch_state`, with every tensor put on ``device``.

    Loads with ``weights_only=True``: nothing but tensors and plain
    containers can come out of the bytes.
    """
    torch = import_optional("torch", "loading torch state")
    return torch.load(io.BytesIO(blob), map_location=device, weights_only=True)


class TorchStateMixin:
    """Pickle support for estimators that hold torch objects after ``fit``.

    A subclass lists the fitted attributes that hold torch objects in
    ``_torch_attributes``, records the device it fitted on in ``device_``
    (a string such as ``"cuda:0"``), and implements

    * ``_get_torch_state() -> dict`` -- the tensors (and plain values) that
      rebuild those attributes, e.g. ``{"model": module.state_dict()}``;
    * ``_set_torch_state(state, device)`` -- rebuild the attributes from
      that dict, already loaded on ``device``.

    Everything else pickles as usual, so numpy fitted attributes such as
    ``embedding_`` never need torch to be read back.
    """

    _torch_attributes: tuple[str, ...] = ()

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance __dict__ itself.
        state = dict(super().__getstate__() or {})
        if not all(hasattr(self, name) for name in self._torch_attributes):
            return state  # not fitted: nothing torch to save
        for name in self._torch_attributes:
            state.pop(name, None)
        state["_torch_blob"] = save_torch_state(self._get_torch_state())
        return state

    def __setstate__(self, state):
        state = dict(state)
        blob = state.pop("_torch_blob", None)
        parent = getattr(super(), "__setstate__", None)
        if parent is not None:  # BaseEstimator's (object has none)
            parent(state)
        else:
            self.__dict__.update(state)
        if blob is None:
            return
        caller = type(self).__name__
        device = map_location(str(getattr(self, "device_", "cpu")), caller)
        self._set_torch_state(load_torch_state(blob, device), device)
        self.device_ = str(device)

    def _get_torch_state(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_torch_state(self, state: dict, device) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
