"""
Inductive GraphSAGE on Cora: embed papers the model never saw
==============================================================

``GraphSAGEEmbedder`` learns a *network* that maps a node's features and
those of its neighbourhood to a vector, trained without labels (nodes close
on short random walks get similar vectors).  Because it learns a function
rather than a table, it embeds nodes that arrive after training.

Here 20% of Cora's papers are removed with their citations, the model is
trained on the rest, and the removed papers are embedded afterwards by
``transform`` of the full graph, with no retraining.  A logistic regression
trained on the seen papers then classifies them.

To keep the example fast it trains for 3 epochs with walks of 3 nodes;
the defaults (5 epochs, walks of 5 nodes) take about three times as long
for about the same accuracy (see ``benchmarks/README.md``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from skgraphemb import GraphSAGEEmbedder, load_cora

cora = load_cora()  # bundled, with 1,433 bag-of-words features per paper
graph = cora.graph
label_of = dict(zip(cora.nodes.tolist(), np.asarray(cora.labels).tolist()))
print(graph)

# %%
# Hold out 20% of the papers
# --------------------------
# ``Graph.subgraph`` keeps the seen papers, the citations among them and
# their features; the held-out papers and every citation touching them are
# gone.
rng = np.random.default_rng(0)
unseen = rng.choice(graph.nodes, size=graph.n_nodes // 5, replace=False)
seen = np.setdiff1d(graph.nodes, unseen)
train_graph = graph.subgraph(seen)
print(train_graph)

# %%
# Train on the seen papers
# ------------------------
# The features come with the graph (``Graph.features``; a PyG ``Data.x`` or
# a networkx node attribute works the same way).
sage = GraphSAGEEmbedder(epochs=3, walk_length=3, device="cpu", random_state=0)
sage.fit(train_graph)
print(f"fitted in {sage.fit_time_:.1f} s; loss per epoch: {np.round(sage.history_, 3)}")

# %%
# Embed the unseen papers
# -----------------------
# ``transform`` of a graph embeds *that* graph's nodes with the trained
# network.  Pass the whole graph -- old papers, new papers, all citations --
# so that the new papers have their neighbourhoods, and pick the new ones
# with ``nodes=``.
Z_unseen = sage.transform(graph, nodes=unseen)
Z_seen = sage.transform(seen)  # by id: rows of the fitted embedding
print(Z_unseen.shape, Z_seen.shape)

# %%
# Classify them
# -------------
# The probe is trained on the seen papers' embeddings only.
y_seen = np.array([label_of[v] for v in seen])
y_unseen = np.array([label_of[v] for v in unseen])
probe = LogisticRegression(max_iter=2000).fit(Z_seen, y_seen)
inductive = probe.score(Z_unseen, y_unseen)

raw = LogisticRegression(max_iter=2000).fit(np.asarray(train_graph.features), y_seen)
raw_acc = raw.score(np.asarray(graph.subgraph(unseen).features), y_unseen)
majority = np.mean(y_unseen == np.bincount(y_seen).argmax())
print(f"unseen papers: GraphSAGE {inductive:.3f}, raw features {raw_acc:.3f}, majority class {majority:.3f}")

# %%
# A 2-D view
# ----------
# The unseen papers' vectors, projected on the principal components of the
# seen ones and coloured by topic: they fall among the seen papers of their
# own topic.
pca = PCA(n_components=2).fit(Z_seen)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
xy = pca.transform(Z_seen)
axes[0].scatter(xy[:, 0], xy[:, 1], c=y_seen, cmap="tab10", s=4, alpha=0.25)
xy_new = pca.transform(Z_unseen)
axes[0].scatter(xy_new[:, 0], xy_new[:, 1], c=y_unseen, cmap="tab10", s=14, edgecolor="k", lw=0.3)
axes[0].set(title="seen (faint) and unseen papers (outlined)", xlabel="PC 1", ylabel="PC 2")
axes[1].bar(
    ["majority\nclass", "raw\nfeatures", "GraphSAGE\n(inductive)"],
    [majority, raw_acc, inductive],
    color=["0.7", "tab:blue", "tab:orange"],
)
axes[1].set(ylim=(0, 1), ylabel="accuracy on unseen papers", title="probe trained on seen papers")
fig.tight_layout()
plt.show()
