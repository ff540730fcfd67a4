"""The graph layer: one immutable CSR :class:`Graph` and the ways to build it."""

from skgraphemb.graph._adapters import GraphLike, as_graph
from skgraphemb.graph._graph import Graph, NodeIndex
from skgraphemb.graph._io import read_edgelist, read_labels
from skgraphemb.graph._store import load_graph

__all__ = ["Graph", "GraphLike", "NodeIndex", "as_graph", "load_graph", "read_edgelist", "read_labels"]
