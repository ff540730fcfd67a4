"""Fixtures of the walk kernel tests: the small weighted graphs of
``walk_expectations.py`` as CSR arrays plus their dense weight matrix."""

from __future__ import annotations

import pytest
from walk_expectations import DIRECTED_EDGES, UNDIRECTED_EDGES, csr


@pytest.fixture(scope="module")
def undirected():
    return csr(UNDIRECTED_EDGES, 6, directed=False)


@pytest.fixture(scope="module")
def directed():
    return csr(DIRECTED_EDGES, 6, directed=True)
