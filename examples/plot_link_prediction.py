"""
Link prediction: held-out edges, edge features and a grid search
================================================================

Hide 30% of Cora's citation links, embed the rest, and predict which node
pairs are links.  ``LinkPredictionScorer`` turns node pairs into edge
features (Hadamard, average, weighted L1/L2) or a similarity score, so one
``GridSearchCV`` tunes the edge operator and node2vec's ``p``/``q`` together.
The same code runs on any graph, e.g. ``load_edgelist_dir("ego-facebook")``
from the benchmark data (the node2vec paper's Facebook experiment).
"""

# %%
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from skgraphemb import (
    LinkPredictionScorer,
    Node2VecEmbedder,
    SVDEmbedder,
    evaluate_link_prediction,
    load_cora,
    split_edges,
)

cora = load_cora(features=False)
split = split_edges(cora.graph, test_size=0.3, keep_connected=True, val_size=0.1, random_state=0)
print(split.train_graph)
print(f"{len(split.test_pairs)} test pairs, {int(split.test_labels.sum())} of them held-out edges")

# %%
# Similarity alone
# ----------------
# The reference workflow scores a pair by the cosine similarity of its two
# vectors.  The embedder sees only the training graph.
n2v = Node2VecEmbedder(
    graph=split.train_graph, n_components=64, walk_length=40, num_walks=10, n_jobs=2, random_state=0
).fit()
svd = SVDEmbedder(graph=split.train_graph, n_components=64, random_state=0).fit()
test_pos = split.test_pairs[split.test_labels == 1]
test_neg = split.test_pairs[split.test_labels == 0]
for name, emb in [("node2vec", n2v), ("svd", svd)]:
    print(f"{name:>8} cosine AUC: {evaluate_link_prediction(emb, test_pos, test_neg):.3f}")

# %%
# Edge features and a classifier, tuned together
# ----------------------------------------------
# The classifier learns on the validation pairs (never on test pairs); the
# grid covers the edge operator and node2vec's p and q.  With ``memory=``
# each (p, q) embedding is computed once, not once per fold and operator.
pipe = Pipeline(
    [
        (
            "edges",
            LinkPredictionScorer(
                Node2VecEmbedder(
                    graph=split.train_graph,
                    n_components=64,
                    walk_length=40,
                    num_walks=10,
                    n_jobs=2,
                    random_state=0,
                    memory=tempfile.mkdtemp(),
                ),
                operator="hadamard",
            ),
        ),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
grid = {
    "edges__operator": ["hadamard", "l2"],
    "edges__embedder__p": [0.5, 1.0],
    "edges__embedder__q": [1.0, 2.0],
}
search = GridSearchCV(pipe, grid, scoring="roc_auc", cv=StratifiedKFold(3, shuffle=True, random_state=0))
search.fit(split.val_pairs, split.val_labels)
print("best:", search.best_params_, f"validation AUC {search.best_score_:.3f}")
test_auc = search.score(split.test_pairs, split.test_labels)
print(f"test AUC of the tuned pipeline: {test_auc:.3f}")

# %%
# A scorer with no classifier
# ---------------------------
# ``LinkPredictionScorer.score`` is the ROC AUC of the similarity, so it is
# a GridSearchCV target on its own.
scorer = LinkPredictionScorer(n2v, operator="cosine").fit(split.test_pairs)
print(f"cosine scorer, test AUC: {scorer.score(split.test_pairs, split.test_labels):.3f}")
assert np.isfinite(test_auc)
