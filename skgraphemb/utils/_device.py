"""Devices for the torch-backed estimators.

Two jobs, shared by every estimator with a ``device`` parameter:

* :func:`resolve_device` turns ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a
  ``torch.device`` at fit time.  ``"auto"`` picks CUDA when present; an
  explicit CUDA device on a machine without one is an error whose message
  gives the fix (PyKEEN silently falls back to the CPU instead).
* :class:`TorchStateMixin` pickles an estimator's torch state as bytes
  (``torch.save`` of tensors only) and, on unpickling, loads it with
  ``weights_only=True`` onto the device it was saved from when this machine
  has it, or onto the CPU with a :class:`DeviceMappingWarning` when it does
  not (skorch's ``__getstate__``/``__setstate__`` + ``get_map_location``).
  So a model fitted on a GPU loads and predicts on a CPU-only machine.

torch is imported inside the functions, never at module top.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from skgraphemb._optional import import_optional
from skgraphemb.exceptions import DeviceUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "DEVICE_CONSTRAINT",
    "DeviceMappingWarning",
    "TorchStateMixin",
    "load_torch_state",
    "map_location",
    "resolve_device",
    "save_torch_state",
]

#: ``_parameter_constraints`` entry of every ``device`` parameter (a string;
#: what it names is checked by :func:`resolve_device` at fit).
DEVICE_CONSTRAINT = [str]

_DEVICE_HELP = "use 'auto', 'cpu', 'cuda' or 'cuda:N'"


class DeviceMappingWarning(UserWarning):
    """Torch state saved on a device this machine lacks was loaded on the CPU."""


def _torch(caller: str):
    return import_optional("torch", caller)


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
    torch = _torch(caller)
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


def map_location(saved_device: str, caller: str) -> torch.device:
    """Where to load torch state that was saved from ``saved_device``.

    The same device when this machine has it; otherwise the CPU, with a
    :class:`DeviceMappingWarning`.
    """
    torch = _torch(caller)
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
    torch = _torch("saving torch state")
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def load_torch_state(blob: bytes, device: torch.device | str) -> Any:
    """Inverse of :func:`save_torch_state`, with every tensor put on ``device``.

    Loads with ``weights_only=True``: nothing but tensors and plain
    containers can come out of the bytes.
    """
    torch = _torch("loading torch state")
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
