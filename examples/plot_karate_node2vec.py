"""
================================
Embedding Zachary's karate club
================================

Embed the 34 members of Zachary's karate club with node2vec, look up the
members closest to the two club leaders, draw the embedding in two
dimensions, and check how well the two clubs that formed after the split can
be told apart from the vectors alone.
"""

# %%
# Load the graph
# --------------
# :func:`~skgraphemb.load_karate` returns the graph together with each
# member's club (0 = Mr. Hi's, 1 = the officer's).  ``graph`` is an immutable
# :class:`~skgraphemb.Graph`; a networkx graph works just as well.
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skgraphemb import Node2VecEmbedder, evaluate_node_classification, load_karate

karate = load_karate()
print(karate.graph)

# %%
# Fit node2vec
# ------------
# The graph is ``X``: ``fit_transform`` returns one row per node, in the
# order of ``emb.nodes_``.  ``q < 1`` lets walks move outward, so members of
# the same community end up with similar vectors.
emb = Node2VecEmbedder(
    n_components=32,
    walk_length=30,
    num_walks=50,
    p=1.0,
    q=0.5,
    window=5,
    sample=0,  # 34 nodes: word2vec's frequent-token rule would drop most of them
    random_state=0,
)
Z = emb.fit_transform(karate.graph)
print(Z.shape, Z.dtype)

# %%
# Nearest neighbours
# ------------------
# Cosine similarity between node vectors; the leaders are nodes 0 (Mr. Hi)
# and 33 (the officer).
for leader in (0, 33):
    print(leader, [(node, round(sim, 3)) for node, sim in emb.most_similar(leader, topn=5)])

# %%
# A 2-D view
# ----------
# Project the 32-dimensional vectors on their first two principal components
# and colour each member by the club they joined.
xy = PCA(n_components=2).fit_transform(Z)
pos = dict(zip(emb.nodes_.tolist(), xy))

fig, ax = plt.subplots(figsize=(6, 5))
for u, v in karate.graph.to_networkx().edges():
    ax.plot(*zip(pos[u], pos[v]), color="0.85", lw=0.8, zorder=1)
for club, (name, color) in enumerate([("Mr. Hi", "tab:blue"), ("Officer", "tab:orange")]):
    mask = karate.labels == club
    ax.scatter(xy[mask, 0], xy[mask, 1], c=color, label=name, s=60, edgecolor="k", zorder=2)
for node, (x, y) in pos.items():
    ax.annotate(str(node), (x, y), fontsize=7, ha="center", va="center", zorder=3)
ax.set(xlabel="PC 1", ylabel="PC 2", title="node2vec embedding of the karate club")
ax.legend(title="club")
plt.show()

# %%
# Downstream check
# ----------------
# A logistic regression on the vectors, scored by 5-fold cross-validation:
# the clubs are recovered from the graph structure alone.
score = evaluate_node_classification(emb, karate.labels, nodes=karate.nodes, cv=5)
print(score)
