"""The one place that imports optional dependencies.

Every optional import in the package goes through :func:`import_optional`,
which either returns the module or raises an ``ImportError`` saying who needs
it, what is missing and how to install it.  The table of module -> extra
lives here and nowhere else.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "import_optional", "is_available"]

#: top-level module name -> (pip distribution name, skgraphemb extra)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "torch"),
    "torch_geometric": ("torch-geometric", "graphsage"),
    "pykeen": ("pykeen", "kg"),
    "redis": ("redis", "redis"),
    "pecanpy": ("pecanpy", "pecanpy"),
    "matplotlib": ("matplotlib", "plot"),
    "pyarrow": ("pyarrow", "parquet"),
}

_NOTES = {
    "pecanpy": " (PecanPy needs numpy<2: install it in a separate environment, see the 'PecanPy backend' docs page)",
}


def import_optional(name: str, caller: str) -> ModuleType:
    """Import optional module ``name`` for ``caller`` or explain how to get it.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"torch"`` or ``"torch_geometric.nn"``.
    caller : str
        Who needs it, as the user sees it, e.g. ``"GraphSAGEEmbedder"`` or
        ``'backend="pecanpy"'``.

    Raises
    ------
    ImportError
        Naming the caller, the missing distribution and the extra.
    """
    try:
        return importlib.import_module(name)
    except ImportError as e:
        top = name.split(".")[0]
        dist, extra = EXTRAS.get(top, (top, None))
        how = f'pip install "skgraphemb[{extra}]"' if extra else f"pip install {dist}"
        raise ImportError(
            f"{caller} requires {dist}, which is not installed. Install it with: {how}{_NOTES.get(top, '')}"
        ) from e


def is_available(name: str) -> bool:
    """Whether ``name`` can be imported (without importing it if unknown)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
