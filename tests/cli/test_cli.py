"""The ``skgraphemb`` command line: outputs read back, scores, grid search, errors."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from skgraphemb import Node2VecEmbedder, SVDEmbedder, load_karate
from skgraphemb.cli import METHODS, build_parser, main
from skgraphemb.evaluation import evaluate_node_classification

PM = re.compile(r"(\d+\.\d+) ± (\d+\.\d+)")


@pytest.fixture(scope="module")
def karate():
    return load_karate()


@pytest.fixture
def string_folder(tmp_path):
    """A dataset folder: gzipped string-id edges and multi-label labels."""
    import networkx as nx

    G = nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"m{v}")
    folder = tmp_path / "club"
    folder.mkdir()
    with gzip.open(folder / "edges.tsv.gz", "wt") as f:
        f.writelines(f"{u}\t{v}\n" for u, v in G.edges())
    with open(folder / "labels.tsv", "w") as f:
        for v in G:
            f.write(f"{v}\t{G.nodes[v]['club'].replace(' ', '_')}\n")
            if int(v[1:]) % 3 == 0:
                f.write(f"{v}\tthird\n")
    return folder


def test_help_in_a_child_process():
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(
        [sys.executable, "-m", "skgraphemb", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    for command in ("embed", "evaluate", "tune", "export", "warmup"):
        assert command in res.stdout


def test_warmup_compiles_the_numba_kernels(run):
    """warmup leaves compiled (and so cached) the numba kernels: the
    integer edge-list reader's and the spectral embedders' (node2vec's are
    compiled at install); it says where the cache is."""
    from skgraphemb._kernels._numba_cache import cache_location
    from skgraphemb.graph import _id_kernels, _parse_kernels
    from skgraphemb.spectral import _prone_kernels

    rc, out, err = run("warmup")
    assert rc == 0, err
    assert f"cached in {cache_location()}" in out
    kernels = (_parse_kernels._parse_range, _id_kernels._mark_bits, _id_kernels._bitmap_positions)
    for kernel in (*kernels, _prone_kernels.laplacian_step):
        assert kernel.signatures, kernel.py_func.__name__


def test_subcommand_help_shows_estimator_defaults(run):
    rc, out, _ = run("embed", "--help")
    assert rc == 0
    assert "--walk-length N" in out and "(default: 80)" in out and "(default: 128)" in out


def test_embed_npz_matches_the_estimator(run, fast_options, tmp_path, karate, karate_embedding):
    rc, out, err = run("embed", "karate", *fast_options, "-o", tmp_path / "k.npz")
    assert rc == 0, err
    assert "34 nodes" in out and "8 dimensions" in out and "k.npz" in out
    with np.load(tmp_path / "k.npz") as data:
        np.testing.assert_array_equal(data["nodes"], karate.graph.nodes)
        np.testing.assert_array_equal(data["embedding"], karate_embedding.embedding_)
        assert data["embedding"].dtype == np.float32


def test_embed_a_saved_graph(run, fast_options, tmp_path, karate, karate_embedding):
    karate.graph.save(tmp_path / "karate.skgraph")
    rc, out, err = run("embed", tmp_path / "karate.skgraph", *fast_options, "-o", tmp_path / "k.npz")
    assert rc == 0, err
    with np.load(tmp_path / "k.npz") as data:
        np.testing.assert_array_equal(data["embedding"], karate_embedding.embedding_)
    rc, _, err = run("embed", tmp_path / "karate.skgraph", "--directed", *fast_options, "-o", tmp_path / "d.npz")
    assert rc == 2 and "is undirected" in err


@pytest.mark.parametrize("suffix", [".txt", ".emb"])
def test_embed_word2vec_text_loads_in_gensim(run, fast_options, tmp_path, suffix, karate_embedding):
    from gensim.models import KeyedVectors

    out = tmp_path / f"k{suffix}"
    assert run("embed", "karate", *fast_options, "-o", out)[0] == 0
    assert out.read_text().splitlines()[0] == "34 8"  # word2vec header "n d"
    kv = KeyedVectors.load_word2vec_format(str(out))
    assert kv.index_to_key == [str(v) for v in karate_embedding.nodes_]
    np.testing.assert_array_equal(kv.vectors, karate_embedding.embedding_)


def test_embed_keyed_vectors(run, fast_options, tmp_path, karate_embedding):
    from gensim.models import KeyedVectors

    assert run("embed", "karate", *fast_options, "-o", tmp_path / "k.kv")[0] == 0
    kv = KeyedVectors.load(str(tmp_path / "k.kv"))
    np.testing.assert_array_equal(kv["33"], karate_embedding.embedding_[33])
    assert len(kv) == 34


def test_embed_npy_writes_ids_beside_the_matrix(run, fast_options, tmp_path, karate_embedding):
    rc, out, _ = run("embed", "karate", *fast_options, "-o", tmp_path / "k.npy")
    assert rc == 0
    ids = tmp_path / "k.nodes.txt"
    assert str(ids) in out  # the summary says where the ids are
    np.testing.assert_array_equal(np.load(tmp_path / "k.npy"), karate_embedding.embedding_)
    assert ids.read_text().split() == [str(v) for v in karate_embedding.nodes_]


def test_embed_parquet_is_indexed_by_node(run, fast_options, tmp_path, karate_embedding):
    pytest.importorskip("pyarrow", reason="parquet output needs pyarrow")
    import pandas as pd

    assert run("embed", "karate", *fast_options, "-o", tmp_path / "k.parquet")[0] == 0
    df = pd.read_parquet(tmp_path / "k.parquet")
    assert df.index.tolist() == karate_embedding.nodes_.tolist()
    np.testing.assert_array_equal(df.to_numpy(), karate_embedding.embedding_)


def test_embed_string_id_folder_and_gz_file(run, fast_options, tmp_path, string_folder):
    # dataset folder and the edge-list file inside it give the same embedding
    assert run("embed", string_folder, *fast_options, "-o", tmp_path / "a.npz")[0] == 0
    edges = string_folder / "edges.tsv.gz"
    assert run("embed", edges, *fast_options, "-o", tmp_path / "b.npz")[0] == 0
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert a["nodes"].dtype.kind == "U" and set(a["nodes"]) == {f"m{i}" for i in range(34)}
        np.testing.assert_array_equal(a["nodes"], b["nodes"])
        np.testing.assert_array_equal(a["embedding"], b["embedding"])


@pytest.mark.parametrize("header, first_is_edge", [("auto", True), ("no", True), ("yes", False)])
def test_header_option(run, fast_options, tmp_path, header, first_is_edge):
    """A first line of string ids ("u v") is an edge unless --header yes says it names the columns."""
    path = tmp_path / "g.tsv"
    path.write_text("u\tv\n" + "".join(f"n{i}\tn{(i + 1) % 12}\n" for i in range(12)))
    rc, _, err = run("embed", path, *fast_options, "--header", header, "-o", tmp_path / "e.npz")
    assert rc == 0, err
    with np.load(tmp_path / "e.npz") as z:
        assert ({"u", "v"} <= set(z["nodes"])) == first_is_edge
        assert len(z["nodes"]) == 12 + 2 * first_is_edge


def test_seed_changes_the_embedding(run, fast_options, tmp_path):
    for seed in (0, 1):
        run("embed", "karate", *fast_options, "--seed", seed, "-o", tmp_path / f"s{seed}.npz")
    with np.load(tmp_path / "s0.npz") as a, np.load(tmp_path / "s1.npz") as b:
        assert not np.allclose(a["embedding"], b["embedding"])


@pytest.mark.parametrize("extra", [[], ["--train-size", "0.5"]])
def _printed_scores(out: str, method: str) -> list[tuple[str, str]]:
    """The (mean, std) pairs, as printed, of ``method``'s row of the evaluate table."""
    (line,) = [line for line in out.splitlines() if line.split()[:1] == [method]]
    return PM.findall(line)


def _scores_of(est, train_size=None) -> list[tuple[str, str]]:
    """macro- and micro-F1 of ``est`` on karate by the library, formatted as the CLI prints them."""
    karate = load_karate()
    score = evaluate_node_classification(
        est.fit(karate.graph), karate.labels, nodes=karate.nodes, cv=3, train_size=train_size, random_state=0
    )
    return [(f"{score.mean:.3f}", f"{score.std:.3f}"), (f"{score.micro_mean:.3f}", f"{score.micro_std:.3f}")]


@pytest.mark.parametrize("train_size", [None, 0.5])
def test_evaluate_prints_the_scores_of_the_embedding(run, fast_options, fast_params, train_size):
    extra = [] if train_size is None else ["--train-size", train_size]
    rc, out, err = run("evaluate", "karate", *fast_options, "--cv", "3", *extra)
    assert rc == 0, err
    assert "macro-F1" in out and "micro-F1" in out and "34 labelled nodes" in out
    # macro-F1 and micro-F1 of the embedding that `embed` writes, under the same protocol and seed
    expected = _scores_of(Node2VecEmbedder(**fast_params, random_state=0), train_size)
    assert _printed_scores(out, "node2vec") == expected


def test_evaluate_keeps_labels_of_graph_nodes_only(run, fast_options, tmp_path):
    labels = tmp_path / "labels.tsv"
    karate = load_karate()
    labels.write_text("".join(f"{v}\t{y}\n" for v, y in zip(karate.nodes, karate.labels)) + "999\t1\n")
    rc, out, err = run("evaluate", "karate", "--labels", labels, *fast_options, "--cv", "3")
    assert rc == 0
    assert "ignoring 1 of 35 labelled nodes" in err and "34 labelled nodes" in out


def _table_rows(out: str) -> list[list[str]]:
    """Rows of the tune table: the lines between its header and 'best:'."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["rank"])
    end = next(i for i, line in enumerate(lines) if line.startswith("best:"))
    return [line.split() for line in lines[start + 1 : end]]


def test_tune_table_best_params_and_embedding(run, fast_options, fast_params, tmp_path, karate):
    rc, out, err = run(
        "tune",
        "karate",
        *fast_options,
        "--grid",
        "p=0.5,2",
        "--grid",
        "q=0.5,2",
        "--cv",
        "3",
        "-o",
        tmp_path / "best.npz",
    )
    assert rc == 0, err
    rows = _table_rows(out)
    assert len(rows) == 4
    # rank, p, q, mean, "±", std: every grid pair once, ranks sorted, best mean first
    assert sorted((float(r[1]), float(r[2])) for r in rows) == sorted(product([0.5, 2.0], repeat=2))
    ranks = [int(r[0]) for r in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    means = [float(r[3]) for r in rows]
    assert means == sorted(means, reverse=True)  # ranked by mean macro-F1
    best = re.search(r"best: p=(\S+) q=(\S+)", out)
    assert best and (float(best[1]), float(best[2])) == (float(rows[0][1]), float(rows[0][2]))
    # -o writes the best candidate's embedding of the whole graph
    expected = Node2VecEmbedder(**fast_params, p=float(best[1]), q=float(best[2]), random_state=0).fit(karate.graph)
    with np.load(tmp_path / "best.npz") as data:
        np.testing.assert_array_equal(data["nodes"], karate.graph.nodes)
        np.testing.assert_array_equal(data["embedding"], expected.embedding_)


def test_tune_plot_writes_png(run, fast_options, tmp_path):
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib")
    png = tmp_path / "plots" / "grid.png"  # missing folders are created
    rc, out, err = run(
        "tune",
        "karate",
        *fast_options,
        "--grid",
        "p=0.5,2",
        "--grid",
        "q=1,2",
        "--cv",
        "2",
        "--plot",
        png,
    )
    assert rc == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in out


def test_tune_any_numeric_parameter_and_multilabel_folder(run, fast_options, string_folder):
    # multi-label labels: one-vs-rest classifier on binarised targets
    rc, out, err = run("tune", string_folder, *fast_options, "--grid", "dimensions=4,8", "--cv", "2")
    assert rc == 0, err
    rows = _table_rows(out)
    assert sorted(int(r[1]) for r in rows) == [4, 8]
    assert re.search(r"best: dimensions=(4|8) ", out)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["embed", "no/such/file.tsv", "-o", "{tmp}/x.npz"], "no such edge-list file, dataset folder"),
        (["embed", "karate", "-o", "{tmp}/x.csv"], "unknown output format '.csv'"),
        (["embed", "karate", "--dimensions", "0", "-o", "{tmp}/x.npz"], "'dimensions' parameter"),
        (["embed", "karate", "--directed", "-o", "{tmp}/x.npz"], "bundled 'karate' graph is undirected"),
        (["embed", "{tmp}", "-o", "{tmp}/x.npz"], "holds no edges.tsv"),
        (["evaluate", "karate", "--labels", "{tmp}/none.tsv"], "no such labels file"),
        (["evaluate", "{tmp}/e.tsv"], "comes with no labels: pass --labels"),
        (["evaluate", "karate", "--cv", "1"], "--cv must be >= 2"),
        (["tune", "karate", "--grid", "p"], "malformed --grid 'p'"),
        (["tune", "karate", "--grid", "p="], "malformed --grid 'p='"),
        (["tune", "karate", "--grid", "p=1,,2"], "malformed --grid"),
        (["tune", "karate", "--grid", "p=a,1"], "p takes numbers"),
        (["tune", "karate", "--grid", "dimensions=1.5"], "dimensions takes integers"),
        (["tune", "karate", "--grid", "p=-1"], "'p' parameter of Node2VecEmbedder must be"),
        (["tune", "karate", "--grid", "foo=1"], "'foo' is not a numeric parameter"),
        (["tune", "karate", "--grid", "trainer=1"], "'trainer' is not a numeric parameter"),
        (["tune", "karate", "--grid", "p=1", "--grid", "p=2"], "given twice"),
        (["embed", "karate", "--method", "svm", "-o", "{tmp}/x.npz"], "invalid choice: 'svm'"),
        (["embed", "karate"], "-o/--output OUT (a file) and/or --redis-url URL"),
        ([], "required: COMMAND"),
    ],
)
def test_user_errors_exit_2_with_one_clear_line(run, tmp_path, argv, message):
    (tmp_path / "e.tsv").write_text("a\tb\nb\tc\n")
    rc, out, err = run(*(a.format(tmp=tmp_path) for a in argv))
    assert rc == 2
    assert message in err
    assert "Traceback" not in err
    # our own errors are one line; argparse's add its usage line before it
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and error_lines[0].startswith("skgraphemb")
    assert not list(tmp_path.glob("x.*"))  # nothing written


@pytest.mark.parametrize(
    "module, argv, message",
    [
        (
            "matplotlib",
            ["tune", "karate", "--grid", "p=1,2", "--plot", "g.png"],
            "skgraphemb tune --plot requires matplotlib",
        ),
        ("pyarrow", ["embed", "karate", "-o", "x.parquet"], "requires pyarrow"),
    ],
)
def test_missing_optional_dependency_fails_before_any_work(run, monkeypatch, tmp_path, module, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    rc, _, err = run(*argv)
    assert rc == 2
    assert message in err and "pip install" in err
    assert list(tmp_path.iterdir()) == []


def test_very_verbose_shows_the_traceback(tmp_path):
    with pytest.raises(Exception, match="no such edge-list file"):
        main(["embed", "no/such.tsv", "-o", str(tmp_path / "x.npz"), "-vv"])


# -- evaluate --methods -------------------------------------------------------
def test_evaluate_several_methods(run, fast_options, fast_params):
    rc, out, err = run(
        "evaluate", "karate", "--methods", "node2vec,svd", *fast_options, "--n-components", "8", "--cv", "3"
    )
    assert rc == 0, err
    rows = {
        line.split()[0]: PM.findall(line)
        for line in out.splitlines()
        if line.split() and line.split()[0] in ("node2vec", "svd")
    }
    assert set(rows) == {"node2vec", "svd"}
    assert rows["node2vec"] == _scores_of(Node2VecEmbedder(**fast_params, random_state=0))
    assert rows["svd"] == _scores_of(SVDEmbedder(n_components=8, random_state=0))


def test_evaluate_methods_plot(run, fast_options, tmp_path):
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib")
    image = tmp_path / "plots" / "methods.png"
    rc, out, err = run(
        "evaluate",
        "karate",
        "--methods",
        "svd,node2vec",
        *fast_options,
        "--n-components",
        "4",
        "--cv",
        "3",
        "--plot",
        image,
    )
    assert rc == 0, err
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote plot to {image}" in out


def test_evaluate_svd_options(run):
    rc, out, err = run(
        "evaluate",
        "karate",
        "--method",
        "svd",
        "--n-components",
        "4",
        "--order",
        "1",
        "--normalization",
        "symmetric",
        "--cv",
        "3",
    )
    assert rc == 0, err
    # the options reach the SVDEmbedder: the printed scores are those of order 1, symmetric
    assert _printed_scores(out, "svd") == _scores_of(
        SVDEmbedder(n_components=4, order=1, normalization="symmetric", random_state=0)
    )


@pytest.mark.parametrize(
    "options, params",
    [
        ([], dict(order=2, normalization=None)),  # SVDEmbedder's defaults
        (["--order", "3", "--normalization", "transition"], dict(order=3, normalization="transition")),
        (["--order", "1", "--normalization", "none"], dict(order=1, normalization=None)),
    ],
)
def test_svd_options_set_the_estimator_parameters(options, params):
    args = build_parser().parse_args(["evaluate", "karate", "--method", "svd", "--n-components", "4", *options])
    est = METHODS["svd"](args)
    assert isinstance(est, SVDEmbedder)
    assert {name: est.get_params()[name] for name in params} == params
    assert est.get_params()["n_components"] == 4


def test_spectral_methods_and_propagate(run, tmp_path):
    from skgraphemb import FastRPEmbedder, ProNEEmbedder, SpectralPropagation

    out_file = tmp_path / "z.npy"
    rc, out, err = run(
        "embed", "karate", "--method", "prone", "--prone-n-components", "6", "--propagate", "-o", out_file
    )
    assert rc == 0, err
    assert "prone+propagation: embedded karate" in out
    expected = SpectralPropagation(ProNEEmbedder(n_components=6), random_state=0).fit(load_karate().graph)
    np.testing.assert_allclose(np.load(out_file), expected.embedding_, rtol=1e-5, atol=1e-6)

    rc, out, err = run(
        "evaluate", "karate", "--methods", "fastrp,prone", "--fastrp-n-components", "8", "--prone-n-components", "4",
        "--cv", "3",
    )  # fmt: skip
    assert rc == 0, err
    assert _printed_scores(out, "fastrp") == _scores_of(FastRPEmbedder(n_components=8, random_state=0))

    # --grid: the wrapper's own names first, a name only the method has reaches it
    rc, out, err = run(
        "tune", "karate", "--method", "svd", "--n-components", "4", "--propagate",
        "--grid", "order=2,3", "--grid", "embedder__order=1", "--cv", "2",
    )  # fmt: skip
    assert rc == 0, err
    assert "tuning svd+propagation" in out and "embedder__order" in out
    rc, out, err = run(
        "tune", "karate", "--method", "fastrp", "--fastrp-n-components", "4", "--propagate",
        "--grid", "beta=-0.5,0", "--cv", "2",
    )  # fmt: skip
    assert rc == 0, err
    assert "embedder__beta" in out


@pytest.mark.parametrize("methods", ["node2vec,nope", ",", "svd,svd"])
def test_evaluate_bad_methods_exit_2(run, methods):
    rc, out, err = run("evaluate", "karate", "--methods", methods)
    assert rc == 2 and "--methods" in err and "Traceback" not in err
    assert out == ""


# -- trust: bad files exit 2 naming them; outputs never follow planted symlinks --
def _bad_inputs(tmp: Path) -> dict[str, Path]:
    good = b"a\tb\nb\tc\nc\ta\n"
    data = gzip.compress(good * 50)
    files = {
        "truncated.tsv.gz": data[: len(data) // 2],
        "corrupt.tsv.gz": data[:12] + b"\x00" * 8 + data[20:],
        "notgzip.tsv.gz": good,
        "latin1.tsv": "café\tb\n".encode("latin-1"),
        "binary.tsv": bytes(range(256)),
        "empty.tsv": b"",
    }
    for name, content in files.items():
        (tmp / name).write_bytes(content)
    (tmp / "folder.tsv").mkdir()
    return {name: tmp / name for name in [*files, "folder.tsv"]}


@pytest.mark.parametrize(
    "name",
    ["truncated.tsv.gz", "corrupt.tsv.gz", "notgzip.tsv.gz", "latin1.tsv", "binary.tsv", "empty.tsv", "folder.tsv"],
)
def test_bad_graph_files_exit_2_naming_the_file(run, fast_options, tmp_path, name):
    path = _bad_inputs(tmp_path)[name]
    rc, out, err = run("embed", path, *fast_options, "-o", tmp_path / "x.npz")
    assert rc == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skgraphemb embed: error:")
    assert path.name in lines[0]
    assert not (tmp_path / "x.npz").exists()


def test_divergence_exits_2_saying_lower_alpha(run, fast_options, tmp_path):
    rc, _, err = run("embed", "karate", *fast_options, "--alpha", "50", "-o", tmp_path / "x.npz")
    assert rc == 2 and "Traceback" not in err
    assert "lower alpha" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("suffix", [".txt", ".emb"])
def test_text_output_with_spaces_in_ids_is_refused_before_fitting(run, tmp_path, suffix, monkeypatch):
    (tmp_path / "g.tsv").write_text("new york\tboston\nboston\tparis\n")
    fitted = []
    monkeypatch.setattr(Node2VecEmbedder, "fit", lambda self, *a, **k: fitted.append(1))
    rc, _, err = run("embed", tmp_path / "g.tsv", "-o", tmp_path / f"x{suffix}")
    assert rc == 2 and "'new york'" in err and ".npz or .parquet" in err
    assert fitted == [] and not (tmp_path / f"x{suffix}").exists()


def test_outputs_replace_planted_symlinks(run, fast_options, tmp_path):
    pytest.importorskip("matplotlib")
    victim = tmp_path / "precious.txt"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("best.npz", "grid.png"):
        (out / name).symlink_to(victim)
    rc, _, err = run(
        "tune",
        "karate",
        *fast_options,
        "--grid",
        "p=1,2",
        "--cv",
        "2",
        "-o",
        out / "best.npz",
        "--plot",
        out / "grid.png",
    )
    assert rc == 0, err
    assert victim.read_text() == "keep"
    for name in ("best.npz", "grid.png"):
        assert (out / name).is_file() and not (out / name).is_symlink()
    assert (out / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_output_that_is_a_folder_is_refused_before_work(run, fast_options, tmp_path):
    (tmp_path / "x.npz").mkdir()
    rc, _, err = run("embed", "karate", *fast_options, "-o", tmp_path / "x.npz")
    assert rc == 2 and "is a folder; give a file name" in err
