"""Docstring templating: fill_doc, and no placeholder left in the package's docs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import skgraphemb
from skgraphemb.utils._docstrings import FRAGMENT_NAMES, fill_doc

FRAGMENT = """a : int
    The a.
b : float
    The b."""


def test_fill_doc_reindents_on_functions_and_classes():
    @fill_doc(params=FRAGMENT)
    def f():
        """Do.

        Parameters
        ----------
        {params}
        """

    @fill_doc(params="    a : int\n        The a.\n    b : float\n        The b.\n")
    class C:
        """A class.

        Parameters
        ----------
        {params}

        Notes
        -----
        A {dict: literal} stays.
        """

    expected = "        a : int\n            The a.\n        b : float\n            The b.\n"
    assert expected in f.__doc__ and "{params}" not in f.__doc__
    assert expected in C.__doc__ and "{dict: literal}" in C.__doc__


def test_fill_doc_refuses_an_unused_fragment():
    with pytest.raises(ValueError, match="no line {other}"):

        @fill_doc(other="x : int")
        def f():
            """Do.

            {params}
            """


def _public_objects():
    """Every public function, class, method and property the package defines
    (in any of its modules: public classes live in private ones too)."""
    for info in pkgutil.walk_packages(skgraphemb.__path__, "skgraphemb."):
        if info.name == "skgraphemb.__main__":
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency is missing
            continue
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            yield f"{info.name}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (callable(member) or isinstance(member, property)):
                        yield f"{info.name}.{name}.{attr}", member


def test_no_public_docstring_keeps_a_placeholder():
    # Importing the package fills every templated docstring (and registers
    # the fragment names); a placeholder left means a fragment was renamed.
    objects = dict(_public_objects())
    assert {"walk_parameters", "exporter_attributes"} <= FRAGMENT_NAMES
    assert {"skgraphemb.walks.random_walks", "skgraphemb.export.files.FileExporter"} <= set(objects)
    pattern = re.compile(r"^[ \t]*\{(\w+)\}[ \t]*$", re.MULTILINE)
    left = {
        name: sorted(
            {m for m in pattern.findall(obj.__doc__ or "")}
            | {f for f in FRAGMENT_NAMES if "{" + f + "}" in (obj.__doc__ or "")}
        )
        for name, obj in objects.items()
    }
    assert {name: found for name, found in left.items() if found} == {}


def test_every_public_function_and_class_has_examples():
    # Issue #13: every public name documents itself with an Examples section
    # (the doctests run with the suite, so the examples also run).
    import inspect

    import skgraphemb

    missing = []
    for name in skgraphemb.__all__:
        obj = getattr(skgraphemb, name)
        if name.startswith("__") or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        if "Examples\n" not in (obj.__doc__ or ""):
            missing.append(name)
    assert not missing, f"public names without an Examples section: {missing}"
