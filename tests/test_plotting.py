"""Figures of evaluation results (skgraphemb.plotting), drawn without pyplot."""

from __future__ import annotations

import sys

import pytest

from skgraphemb.evaluation import NodeClassificationScore
from skgraphemb.plotting import _image_formats, _plot_grid, _plot_methods, _require_matplotlib

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _matplotlib():
    pytest.importorskip("matplotlib")


def _results(names):
    import itertools

    import pandas as pd

    values = {"p": [0.5, 1.0], "q": [1.0, 2.0, 4.0], "dimensions": [8, 16]}
    rows = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(values[n] for n in names))]
    results = pd.DataFrame(rows)
    results["mean"] = [0.1 * i for i in range(len(results))]
    return results


@pytest.mark.parametrize("names", [["p"], ["p", "q"], ["dimensions", "p", "q"], ["dimensions", "q"]])
def test_plot_grid_writes_an_image(tmp_path, names):
    path = tmp_path / "grid.png"
    _plot_grid(path, _results(names), names, "title", fmt=str)
    assert path.read_bytes()[:8] == PNG


def test_plot_methods_writes_the_format_of_the_suffix(tmp_path):
    scores = [NodeClassificationScore([0.5, 0.7], [0.6, 0.8], False), NodeClassificationScore([0.9], [0.9], False)]
    path = tmp_path / "methods.svg"
    _plot_methods(path, ["node2vec", "svd"], scores, "title")
    assert b"<svg" in path.read_bytes()[:1000]


def test_no_pyplot_state_is_touched(tmp_path):
    _plot_grid(tmp_path / "g.png", _results(["p", "q"]), ["p", "q"], "t", fmt=str)
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_image_formats_and_missing_matplotlib(monkeypatch):
    assert {"png", "svg", "pdf"} <= _image_formats()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"caller requires matplotlib.*pip install"):
        _require_matplotlib("caller")
