"""
====================================================
Serving embeddings: align, publish a version, serve
====================================================

The last step of a graph-embedding workflow: vectors computed in a batch job
are served by node id to other applications.  This example

1. embeds the Cora citation graph and publishes the embedding;
2. embeds the graph again after it changed (new papers, new citations);
3. aligns the new embedding onto the published one with
   :class:`~skgraphemb.ProcrustesAligner`, so that vectors keep their
   coordinates from one version to the next;
4. publishes it as a new *version*: readers switch to it atomically once it
   is complete;
5. serves vectors by node id, with a store that follows the current version.

It runs without a server: the vectors go to a local ``.npz`` file
(:class:`~skgraphemb.FileExporter` / :class:`~skgraphemb.FileEmbeddingStore`).
Set the environment variable ``SKGRAPHEMB_REDIS_URL`` (for example
``redis://localhost:6379/0``) to publish to Redis instead, with
:class:`~skgraphemb.RedisExporter` in ``mode="versioned"`` and
:class:`~skgraphemb.RedisEmbeddingStore`: the code below is otherwise the
same.
"""

# %%
# Where the vectors go
# --------------------
# Both exporters are scikit-learn transformers whose ``fit`` publishes and
# whose ``transform`` passes its input through; both stores read by node id
# with the same ``get`` / ``get_many`` / ``dimension`` interface.
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import Pipeline

from skgraphemb import (
    FileEmbeddingStore,
    FileExporter,
    ProcrustesAligner,
    RedisEmbeddingStore,
    RedisExporter,
    SVDEmbedder,
    as_graph,
    load_cora,
)

url = os.environ.get("SKGRAPHEMB_REDIS_URL")
if url:
    exporter = RedisExporter(url, key_prefix="cora:", mode="versioned", keep=2)
    open_store = lambda: RedisEmbeddingStore(url, key_prefix="cora:")  # noqa: E731
    print("publishing to Redis, key prefix 'cora:'")
else:
    path = os.path.join(tempfile.mkdtemp(), "cora.npz")
    exporter = FileExporter(path)
    open_store = lambda: FileEmbeddingStore(path)  # noqa: E731
    print(f"no SKGRAPHEMB_REDIS_URL: publishing to {path}")

# %%
# Version 1
# ---------
# An embedder with ``set_output(transform="pandas")`` returns a DataFrame
# indexed by node id, so the exporter at the end of the pipeline knows which
# vector belongs to which paper.
cora = load_cora(features=False)
embed = SVDEmbedder(n_components=32, random_state=0).set_output(transform="pandas")
v1 = Pipeline([("embed", embed), ("publish", exporter)]).fit_transform(cora.graph)
store = open_store()
print(f"serving {len(store)} vectors of dimension {store.dimension} ({store.dtype})")

# %%
# The graph changes
# -----------------
# Ten new papers arrive, each citing three existing ones, and a few hundred
# citations are corrected away.  A fresh embedding of the new graph is
# right up to a rotation: its coordinates have nothing to do with version
# 1's, even for papers whose neighbourhood did not change.
rng = np.random.default_rng(0)
G = cora.graph.to_networkx()
G.remove_edges_from([e for e in list(G.edges()) if rng.random() < 0.05])
old_ids = np.asarray(cora.graph.nodes)
new_ids = [int(old_ids.max()) + 1 + i for i in range(10)]
G.add_edges_from((new, int(cited)) for new in new_ids for cited in rng.choice(old_ids, 3, replace=False))
graph2 = as_graph(G)
Z2 = SVDEmbedder(n_components=32, random_state=1).set_output(transform="pandas").fit_transform(graph2)
print(graph2)

# %%
# Align, then publish version 2
# -----------------------------
# :class:`~skgraphemb.ProcrustesAligner` finds the rotation that best maps
# the new vectors onto version 1 *by node id* and applies it to every row,
# new papers included.  Aligner and exporter form one pipeline.
aligner = ProcrustesAligner(reference=v1)
v2 = Pipeline([("align", aligner), ("publish", exporter)]).set_output(transform="pandas").fit_transform(Z2)
print(f"aligned on {aligner.n_shared_} shared papers, disparity {aligner.disparity_:.3f}")
if url:
    print(f"published version {exporter.version_}; removed: {exporter.removed_versions_}")

# %%
# Serve
# -----
# The store now serves version 2 (a Redis store notices the switch on its
# next read; a file store re-reads the file after ``refresh()``).  Readers
# never see half a version: the file is replaced by a rename, and Redis
# readers follow a pointer that moves only once a version is complete.
store.refresh()
papers = [old_ids[0], old_ids[1], new_ids[3], "not-a-paper"]
vectors = store.get_many(papers)  # unknown ids give a NaN row (or KeyError with missing="raise")
print(vectors[:, :4])
print("unknown:", [p for p, row in zip(papers, vectors) if np.isnan(row).all()])
np.testing.assert_array_equal(store.get(new_ids[3]), v2.loc[new_ids[3]].to_numpy())

# %%
# Why align before publishing
# ---------------------------
# Consumers of served vectors (a nearest-neighbour index, a downstream
# model) assume a node's vector means the same from one version to the
# next.  Cosine similarity between each paper's version-1 and version-2
# vector shows what alignment buys: without it, the new vectors point
# anywhere.
shared = v1.index.intersection(Z2.index)


def cosine(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


raw = cosine(v1.loc[shared].to_numpy(), Z2.loc[shared].to_numpy())
aligned = cosine(v1.loc[shared].to_numpy(), store.get_many(shared))
print(f"median cosine(version 1, version 2): raw {np.median(raw):.2f}, aligned {np.median(aligned):.2f}")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
bins = np.linspace(-1, 1, 41)
ax.hist(raw, bins=bins, alpha=0.6, label="new embedding as computed")
ax.hist(aligned, bins=bins, alpha=0.6, label="aligned onto version 1 (served)")
ax.set_xlabel("cosine similarity of a paper's vectors in versions 1 and 2")
ax.set_ylabel("papers")
ax.legend(loc="upper left")
plt.show()
