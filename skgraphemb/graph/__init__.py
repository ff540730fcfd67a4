"""The graph layer: one immutable CSR :class:`Graph` and the ways to build it."""

from skgraphemb.graph._adapters import GraphLike, as_graph, is_graph_like, is_networkx
from skgraphemb.graph._graph import Graph, load_graph
from skgraphemb.graph._io import read_edgelist, read_labels
from skgraphemb.utils._ids import NodeIndex

__all__ = [
    "Graph",
    "GraphLike",
    "NodeIndex",
    "as_graph",
    "is_graph_like",
    "is_networkx",
    "load_graph",
    "read_edgelist",
    "read_labels",
]
