"""Collection rules for the doctests of the package (``--doctest-modules``).

Without the ``graphsage`` extra, the module that imports torch and
torch_geometric at module level is not collected, and the doctests that
fit a GraphSAGE model are skipped, so ``pytest`` still runs everything
else.
"""

import pytest

from skgraphemb._optional import is_available

_GRAPHSAGE = is_available("torch") and is_available("torch_geometric")

collect_ignore = [] if _GRAPHSAGE else ["skgraphemb/_kernels/_sage_torch.py"]


def pytest_collection_modifyitems(config, items):
    if _GRAPHSAGE:
        return
    skip = pytest.mark.skip(reason="needs the graphsage extra (torch, torch-geometric)")
    for item in items:
        if item.name.startswith("skgraphemb.graphsage."):
            item.add_marker(skip)
