"""Collection rules for the doctests of the package (``--doctest-modules``).

A doctest that needs an optional extra is skipped, with the extra named, when
that extra is not installed; a module that imports an extra at module level
is then not collected at all.  So ``pytest`` still runs everything else in an
environment without the extras.
"""

import pytest

from skgraphemb._optional import is_available

#: doctest name, or prefix ending in ".", -> (modules it needs, extra providing them)
_DOCTEST_NEEDS = {
    "skgraphemb.graphsage.": (("torch", "torch_geometric"), "graphsage"),
    "skgraphemb.kg.": (("pykeen",), "kg"),
    "skgraphemb.datasets.load_kg": (("pykeen",), "kg"),
}

_GRAPHSAGE = is_available("torch") and is_available("torch_geometric")

collect_ignore = [] if _GRAPHSAGE else ["skgraphemb/graphsage/_torch_kernels.py"]
# The tests' conftest files hold fixtures, not doctests: collected as doctest
# modules, two of them in one run are both "conftest", and the second fails
# with "import file mismatch" (``pytest tests/graph tests/walks``).
collect_ignore_glob = ["tests/*/conftest.py"]


def pytest_collection_modifyitems(config, items):
    missing = {
        prefix: extra
        for prefix, (modules, extra) in _DOCTEST_NEEDS.items()
        if not all(is_available(m) for m in modules)
    }
    if not missing:
        return
    for item in items:
        for prefix, extra in missing.items():
            if item.name == prefix or (prefix.endswith(".") and item.name.startswith(prefix)):
                item.add_marker(pytest.mark.skip(reason=f"needs the {extra} extra"))
