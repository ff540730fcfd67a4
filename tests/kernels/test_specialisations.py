"""Each kernel compiles once per fit: no extra specialisation for a literal argument."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import skgraphemb

# A cold fit in a child with an empty numba cache (signatures of callees
# linked into a cached caller are not listed when loaded from the cache).
_CHILD = textwrap.dedent(
    """
    import networkx as nx
    import numba
    import skgraphemb
    from skgraphemb import Node2VecEmbedder, ProNEEmbedder
    from skgraphemb._kernels import _linalg, _memory
    from skgraphemb.graph import _id_kernels, _parse_kernels
    from skgraphemb.spectral import _prone_kernels

    G = nx.karate_club_graph()  # weighted
    for q in (1.0, 0.5):
        Node2VecEmbedder(n_components=8, walk_length=6, num_walks=2, q=q, n_jobs=2, random_state=0).fit(G)
    ProNEEmbedder(n_components=8, random_state=0).fit(G)
    with open("edges.tsv", "w") as f:  # an integer edge list: the parser and the id ranking
        f.write("".join(f"{u}{chr(9)}{v}{chr(10)}" for u, v in G.edges))
    skgraphemb.read_edgelist("edges.tsv")
    for module in (_id_kernels, _parse_kernels, _linalg, _memory, _prone_kernels):
        for name, f in sorted(vars(module).items()):
            if isinstance(f, numba.core.registry.CPUDispatcher):
                for sig in f.signatures:
                    print(module.__name__, name, "|".join(map(str, sig)))
    """
)


def test_no_kernel_is_compiled_for_a_literal_argument(tmp_path):
    """``x = 0`` passed on to a jitted callee types it ``Literal[int](0)`` the
    first time, ``int64`` after the loop: the callee then compiles twice
    (``node2vec_exact_step`` took 2.4 s of a cold fit that way; ProNE passed
    a literal column offset to the shared row helpers).  Start such
    variables as ``np.int64(0)``."""
    root = str(Path(skgraphemb.__file__).resolve().parents[1])
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": root}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    names = {line.split(" ")[1] for line in lines}
    assert {"_mark_bits", "_bitmap_positions"} <= names, names
    assert {"neighbour_sum"} <= names  # callees compiled in this child
    literal = [line for line in lines if "Literal" in line]
    assert not literal, "\n".join(literal)
