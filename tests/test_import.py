"""The import policy: a light top level, lazy names, clear optional-import errors.

Each check that depends on what is already imported runs in a child process
(scikit-learn's reason: ``sys.modules`` is shared by every test of this one).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import skgraphemb

# The repository root, so the child finds this checkout even when the package
# is not installed.
_ROOT = str(Path(skgraphemb.__file__).resolve().parents[1])

#: Modules ``import skgraphemb`` must not import.
HEAVY = ("torch", "torch_geometric", "pykeen", "redis", "pecanpy", "numba", "gensim")
#: Optional extras: not imported even once every public name is resolved.
OPTIONAL = ("torch", "torch_geometric", "pykeen", "redis", "pecanpy")


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=_ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, f"child process failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_import_is_light():
    proc = _run(
        f"""
        import sys
        import skgraphemb
        heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
        print(",".join(heavy))
        """
    )
    assert proc.stdout.strip() == "", f"import skgraphemb imported {proc.stdout.strip()}"


def test_resolving_every_public_name_imports_no_optional_extra():
    proc = _run(
        f"""
        import sys
        import skgraphemb
        for name in skgraphemb.__all__:
            getattr(skgraphemb, name)
        print(",".join(sorted(m for m in {OPTIONAL!r} if m in sys.modules)))
        """
    )
    assert proc.stdout.strip() == "", f"public names imported {proc.stdout.strip()}"


def test_importing_any_module_imports_no_optional_extra():
    # Every module of the package, estimators and drivers included, imports
    # its optional dependencies inside functions.  The exception is
    # graphsage/_torch_kernels, whose classes subclass torch's: it imports
    # torch at its top, and only functions import it.
    proc = _run(
        f"""
        import importlib, pkgutil, sys
        import skgraphemb
        skip = {{"skgraphemb.__main__", "skgraphemb.graphsage._torch_kernels"}}
        names = [m.name for m in pkgutil.walk_packages(skgraphemb.__path__, "skgraphemb.")]
        assert len(names) > 40, names
        for name in names:
            if name not in skip:
                importlib.import_module(name)
        print(",".join(sorted(m for m in {OPTIONAL!r} if m in sys.modules)))
        """
    )
    assert proc.stdout.strip() == "", f"importing the modules imported {proc.stdout.strip()}"


def test_every_public_name_resolves():
    assert len(skgraphemb.__all__) == len(set(skgraphemb.__all__))
    for name in skgraphemb.__all__:
        assert getattr(skgraphemb, name) is not None, name
    from skgraphemb import Node2VecEmbedder, as_graph  # noqa: F401  (from-import works)


def test_dir_lists_public_names():
    assert set(skgraphemb.__all__) <= set(dir(skgraphemb))
    assert "__version__" in dir(skgraphemb)


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchEmbedder'"):
        skgraphemb.NoSuchEmbedder  # noqa: B018


def test_missing_optional_module_names_the_extra():
    # sys.modules[name] = None makes `import name` raise ImportError, as if
    # the package were not installed.
    proc = _run(
        """
        import sys
        sys.modules["pecanpy"] = None
        from skgraphemb._optional import import_optional
        try:
            import_optional("pecanpy", "X")
        except ImportError as e:
            print(str(e))
        else:
            raise SystemExit("no ImportError")
        """
    )
    message = proc.stdout.strip()
    assert message.startswith("X requires pecanpy, which is not installed.")
    assert 'pip install "skgraphemb[pecanpy]"' in message


@pytest.mark.parametrize(
    "module, extra",
    [("torch", "torch"), ("torch_geometric.nn", "graphsage"), ("pykeen", "kg"), ("redis", "redis")],
)
def test_import_optional_message_per_extra(module, extra):
    # In a child: the extras may be installed and already imported here.
    top = module.split(".")[0]
    proc = _run(
        f"""
        import sys
        sys.modules[{top!r}] = None
        from skgraphemb._optional import import_optional
        try:
            import_optional({module!r}, "Caller")
        except ImportError as e:
            assert isinstance(e.__cause__, ImportError), repr(e.__cause__)
            print(str(e))
        else:
            raise SystemExit("no ImportError")
        """
    )
    assert proc.stdout.strip().startswith("Caller requires ")
    assert f'pip install "skgraphemb[{extra}]"' in proc.stdout


def test_import_optional_returns_the_module():
    import json

    from skgraphemb._optional import import_optional, is_available

    assert import_optional("json", "X") is json
    assert is_available("json") and not is_available("no_such_module_xyz")


# -- torch only in leaf modules ---------------------------------------------------
#: Modules that may touch torch (see skgraphemb/utils/_device.py): the
#: ``*_torch_kernels.py`` leaves, the device helpers, and the import helper.
TORCH_LEAVES = ("utils/_device.py", "_optional.py")
#: Other modules allowed to touch torch, each with the reason.  Keep empty
#: if possible: move the torch code into the family's ``_torch_kernels.py``.
TORCH_EXCEPTIONS: dict[str, str] = {}
_TORCH_TOP = {"torch", "torch_geometric"}


def _is_torch_module(name: str) -> bool:
    """torch, torch_geometric, or a submodule of anything named torch (class_resolver.contrib.torch)."""
    parts = name.split(".")
    return parts[0] in _TORCH_TOP or "torch" in parts


def _torch_uses(tree: ast.AST) -> list[str]:
    """``import torch``-like statements and ``import_optional("torch"...)`` calls, as 'line: what'."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if _is_torch_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and _is_torch_module(node.module):
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in ("import_optional", "import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and _is_torch_module(first.value):
                    found.append(f"{node.lineno}: {name}({first.value!r}, ...)")
    return found


def _package_modules() -> dict[str, ast.AST]:
    package = Path(skgraphemb.__file__).resolve().parent
    return {
        path.relative_to(package).as_posix(): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(package.rglob("*.py"))
    }


def test_only_leaf_modules_touch_torch():
    """torch is imported only by ``*_torch_kernels.py``, utils/_device.py and _optional.py."""
    offenders = {}
    for rel, tree in _package_modules().items():
        if rel.endswith("_torch_kernels.py") or rel in TORCH_LEAVES or rel in TORCH_EXCEPTIONS:
            continue
        uses = _torch_uses(tree)
        if uses:
            offenders[rel] = uses
    assert not offenders, (
        "torch used outside the leaf modules (move it into the family's _torch_kernels.py): "
        + "; ".join(f"{rel} ({', '.join(uses)})" for rel, uses in offenders.items())
    )


def test_torch_exceptions_are_still_needed():
    modules = _package_modules()
    stale = [rel for rel in TORCH_EXCEPTIONS if rel not in modules or not _torch_uses(modules[rel])]
    assert not stale, f"TORCH_EXCEPTIONS lists modules that no longer touch torch: {stale}"


def test_the_torch_check_sees_every_form():
    code = textwrap.dedent(
        """
        import torch
        import torch.nn as nn
        from torch import optim
        from class_resolver.contrib.torch import optimizer_resolver
        import numpy
        from .torchy import x
        t = import_optional("torch", "x")
        g = import_optional("torch_geometric.nn", "x")
        p = import_optional("pykeen", "x")
        """
    )
    assert [u.split(": ")[1] for u in _torch_uses(ast.parse(code))] == [
        "import torch",
        "import torch.nn",
        "from torch import ...",
        "from class_resolver.contrib.torch import ...",
        "import_optional('torch', ...)",
        "import_optional('torch_geometric.nn', ...)",
    ]


# -- the import graph -------------------------------------------------------------
def _module_sources():
    """module name -> its source: the .py files, and the .pyx files of the
    compiled kernel modules."""
    root = Path(skgraphemb.__file__).parent
    modules = {}
    for path in [*root.rglob("*.py"), *root.rglob("*.pyx")]:
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _parse(path):
    """The module's import statements as a Python AST (a .pyx file: its
    Python-level ``import`` / ``from ... import`` lines; ``cimport`` and
    ``cdef extern`` name C, not modules)."""
    text = path.read_text()
    if path.suffix == ".pyx":
        text = "\n".join(line for line in text.splitlines() if re.match(r"(import|from) \S+( import |$)", line))
    return ast.parse(text)


def _import_graph():
    """module -> the skgraphemb modules it imports (at the top or inside functions;
    ``if TYPE_CHECKING:`` blocks left out)."""
    modules = _module_sources()

    def known(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, path in modules.items():
        tree = _parse(path)
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip |= {id(n) for n in ast.walk(node)}
        edges = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                edges |= {known(a.name) for a in node.names if a.name.startswith("skgraphemb")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("skgraphemb"):
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    edges.add(full if full in modules else known(node.module))
        graph[name] = edges - {name, ""}
    return graph


def test_no_import_cycle():
    graph = _import_graph()
    state = {}

    def visit(module, stack):
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                cycle = stack[stack.index(dep) :] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, stack + [dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_kernel_modules_import_nothing_above_them():
    # A kernel module (numba or torch) may import other kernel modules,
    # skgraphemb._optional and the exceptions; never sklearn, an estimator or a driver.

    graph = _import_graph()
    kernels = [m for m in graph if m.startswith("skgraphemb._kernels.") or m.endswith("_kernels")]
    assert len(kernels) >= 10, kernels
    allowed = {
        "skgraphemb._optional",
        "skgraphemb.exceptions",
        "skgraphemb._kernels",
        "skgraphemb.utils._random_state",  # numpy only (checked below: no sklearn at import)
        "skgraphemb.kg._pykeen_compat",  # the PyKEEN shims the KG kernels call; a leaf itself
    }
    for module in kernels:
        above = {d for d in graph[module] if d not in allowed and d not in kernels}
        assert not above, f"{module} imports {sorted(above)}"
        tree = _parse(_module_sources()[module])
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(name.split(".")[0] == "sklearn" for name in imported), f"{module} imports sklearn"
