"""The ``skgraphemb`` command line (see :mod:`skgraphemb.cli._commands`)."""

from skgraphemb.cli._commands import METHODS, OUTPUT_FORMATS, build_parser, main, write_embedding

__all__ = ["METHODS", "OUTPUT_FORMATS", "build_parser", "main", "write_embedding"]
