"""Sphinx configuration of the skgraphemb documentation.

Build with ``python -m sphinx -b html docs docs/_build/html``.

- The API reference is generated from docstrings (autosummary + numpydoc);
  ``api.rst`` lists the public names, and the build warns when a name of
  ``skgraphemb.__all__`` is missing there.
- The gallery is built by sphinx-gallery from ``examples/plot_*.py``, and
  the examples run (their output and figures are shown; a few minutes on
  two cores).  ``SKGRAPHEMB_GALLERY_RUN=0`` shows their code only
  (``plot_gallery=False``), for a docs build of seconds.
- Links to other projects' docs (intersphinx) need network access; they are
  used when the inventories can be reached, or forced on/off with
  ``SKGRAPHEMB_DOCS_INTERSPHINX=1``/``0``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import skgraphemb  # noqa: E402

# -- project -----------------------------------------------------------------
project = "skgraphemb"
author = "skgraphemb developers"
copyright = "skgraphemb developers"  # noqa: A001
release = skgraphemb.__version__
version = ".".join(release.split(".")[:2])

# -- general -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "gen_modules/extras.inc", "gen_modules/*.txt"]
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
# numpydoc lists class members itself only when asked; the class template
# (``_templates/autosummary/class.rst``) documents them through autodoc.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- intersphinx -------------------------------------------------------------
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "networkx": ("https://networkx.org/documentation/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable", None),
}


def _online(host: str = "docs.python.org") -> bool:
    try:
        socket.create_connection((host, 443), timeout=3).close()
        return True
    except OSError:
        return False


_intersphinx = os.environ.get("SKGRAPHEMB_DOCS_INTERSPHINX")
if _intersphinx == "0" or (_intersphinx is None and not _online()):
    # Offline: no inventories to fetch, and no warning per unreachable one.
    intersphinx_mapping = {}

# -- sphinx-gallery ----------------------------------------------------------
_run_gallery = os.environ.get("SKGRAPHEMB_GALLERY_RUN", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # On by default: the examples run and show their output and figures.
    # SKGRAPHEMB_GALLERY_RUN=0: code and text only.
    "plot_gallery": _run_gallery,
    "doc_module": ("skgraphemb",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skgraphemb": None},
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "show_memory": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skgraphemb {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


# -- generated pieces --------------------------------------------------------
#: What each extra of pyproject.toml is for (the install page's table).
EXTRA_PURPOSE = {
    "torch": "torch-backed estimators and engines (``device=`` parameter)",
    "graphsage": "``GraphSAGEEmbedder`` (torch + PyTorch Geometric layers)",
    "kg": "``KGEmbedder``: knowledge-graph embeddings through PyKEEN",
    "dask": 'grid searches on a Dask cluster (``joblib.parallel_config(backend="dask")``)',
    "redis": "``RedisExporter``: publishing embeddings to Redis",
    "pecanpy": 'PecanPy walks, ``Node2VecEmbedder(backend="pecanpy")``; needs numpy<2, see :doc:`pecanpy`',
    "plot": "heatmaps (``skgraphemb tune --plot``) and the gallery figures",
    "parquet": "``.parquet`` output of ``skgraphemb embed``",
    "all": "every extra above except ``pecanpy`` (which needs numpy<2)",
    "test": "running the test suite",
    "docs": "building this documentation",
}


def _write_extras_table(app) -> None:
    """``gen_modules/extras.inc``: the extras table, read from pyproject.toml.

    Generated so that the install page always matches the packaging; an
    extra without a purpose in :data:`EXTRA_PURPOSE` is a build warning.
    """
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    with open(ROOT / "pyproject.toml", "rb") as f:
        extras = tomllib.load(f)["project"]["optional-dependencies"]
    rows = []
    for name, requirements in extras.items():
        purpose = EXTRA_PURPOSE.get(name)
        if purpose is None:
            logger.warning("docs/conf.py: extra %r has no entry in EXTRA_PURPOSE", name)
            purpose = ""
        reqs = ", ".join(f"``{r}``" for r in requirements)
        rows.append(f"   * - ``{name}``\n     - {purpose}\n     - {reqs}\n")
    out = DOCS / "gen_modules" / "extras.inc"
    out.parent.mkdir(exist_ok=True)
    text = (
        ".. list-table::\n   :header-rows: 1\n   :widths: 12 44 44\n\n"
        "   * - extra\n     - for\n     - installs\n" + "".join(rows)
    )
    if not out.exists() or out.read_text() != text:  # keep mtimes stable
        out.write_text(text)


def _check_api_listing(app) -> None:
    """Warn when a public name is missing from the API reference."""
    from sphinx.util import logging

    api = (DOCS / "api.rst").read_text()
    missing = [name for name in skgraphemb.__all__ if not name.startswith("__") and f"\n   {name}\n" not in api]
    if missing:
        logging.getLogger(__name__).warning(
            "docs/api.rst does not list these names of skgraphemb.__all__: %s",
            ", ".join(missing),
        )


def _write_cli_help(app) -> None:
    """``gen_modules/cli_*.txt``: the ``--help`` of every command, from skgraphemb.cli.

    The command-line page includes these, so the options it shows are the
    parser's own and cannot drift from the code.
    """
    from skgraphemb.cli import build_parser

    old_columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        helps = {"main": parser.format_help()}
        sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        helps.update({name: p.format_help() for name, p in sub.choices.items()})
    finally:
        if old_columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old_columns
    out = DOCS / "gen_modules"
    out.mkdir(exist_ok=True)
    for name, text in helps.items():
        path = out / f"cli_{name}.txt"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def setup(app):
    app.connect("builder-inited", _write_extras_table)
    app.connect("builder-inited", _write_cli_help)
    app.connect("builder-inited", _check_api_listing)
