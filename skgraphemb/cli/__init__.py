"""The ``skgraphemb`` command line: ``embed``, ``evaluate``, ``tune`` and ``export``.

A thin argparse front end over the library: every command reads a graph,
builds an embedder from the method registry :data:`METHODS` and calls the
same estimators, loaders and scorers a Python user would.  Examples::

    skgraphemb embed karate -o karate.npz
    skgraphemb embed edges.tsv.gz --dimensions 64 --q 0.5 -o emb.txt
    skgraphemb evaluate cora --cv 5
    skgraphemb tune cora --grid p=0.5,1,2 --grid q=0.5,1,2 --cv 3 \\
        --plot grid.png -o best.npz
    skgraphemb export karate.npz --redis-url redis://localhost:6379/0 --versioned
    skgraphemb embed karate --redis-url redis://localhost:6379/0 --key-prefix karate:

``GRAPH`` is an edge-list file (``.tsv``/``.csv``/``.edg``/``.txt``,
optionally ``.gz``), a dataset folder in the benchmark format
(``edges.tsv[.gz]``, ``labels.tsv``, ...; see
:func:`~skgraphemb.load_edgelist_dir`) or a bundled dataset name (``karate``,
``cora``).  User errors (a missing file, a malformed ``--grid``, an invalid
parameter) print one line on stderr and exit with status 2; ``-vv`` shows the
traceback instead.
"""

from skgraphemb.cli._commands import build_parser, main
from skgraphemb.cli._methods import METHODS
from skgraphemb.export.files import OUTPUT_FORMATS, write_embedding

__all__ = ["METHODS", "OUTPUT_FORMATS", "build_parser", "main", "write_embedding"]
