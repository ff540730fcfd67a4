"""
Knowledge-graph link prediction on Nations, tuned with GridSearchCV
===================================================================

Nations (Kok & Domingos, 2007) holds 1,992 facts such as
``(brazil, intergovorgs, usa)`` about 14 countries and 55 relations; PyKEEN
ships it, so nothing is downloaded.  ``KGEmbedder`` trains PyKEEN models on
such (head, relation, tail) triples as an ordinary scikit-learn estimator:
its ``score`` is the filtered MRR, so ``GridSearchCV`` picks the model and
the embedding size without a custom scorer.

To keep the example well under a minute on a laptop CPU, every model trains
for only 25 epochs on a 2 x 2 grid; real runs use a few hundred epochs (see
``benchmarks/README.md``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, KFold

from skgraphemb import KGEmbedder, UnknownLabelError, load_kg

nations = load_kg("nations")
print({split: len(nations[split]) for split in ("train", "valid", "test")})
print(nations.train[:3])

# %%
# One model, and the matrices PyKEEN users ask for
# ------------------------------------------------
# ``n_jobs=1``: one torch thread, which is faster than several for a graph
# this small (and on a busy machine).
kge = KGEmbedder("TransE", n_components=32, epochs=25, learning_rate=0.01, n_jobs=1, random_state=0)
kge.fit(nations.train)
print(kge.entity_embeddings_.shape, kge.relation_embeddings_.shape)
print(kge.entities_)

# %%
# Which countries does Brazil share intergovernmental organisations with?
# ``predict_target`` ranks every candidate tail; ``in_training`` marks the
# facts the model was trained on.
print(kge.predict_target(head="brazil", relation="intergovorgs").head(6))

# %%
# The reference workflow asked for relation ``"intergovernmentalagreement"``,
# which Nations does not have (PyKEEN raises a bare ``KeyError``).  Here the
# error names the label and suggests the close ones:
try:
    kge.predict_target(head="brazil", relation="intergovernmentalagreement")
except UnknownLabelError as err:
    print(err)

# %%
# Grid search over model and embedding size
# -----------------------------------------
# ``X`` holds the training triples; each fold's held-out triples are ranked
# (filtered MRR) by a model trained on the other folds.  A rare relation can
# fall only in a held-out fold: its triples are then left out of that fold's
# score (silently with ``handle_unknown="ignore"``, as here; the default
# ``"warn"`` says how many in a warning).
search = GridSearchCV(
    KGEmbedder(epochs=25, learning_rate=0.01, n_jobs=1, random_state=0, handle_unknown="ignore"),
    {"model": ["TransE", "DistMult"], "embedding_dim": [16, 32]},
    cv=KFold(3, shuffle=True, random_state=0),
)
search.fit(nations.train)
results = pd.DataFrame(search.cv_results_)[
    ["param_model", "param_embedding_dim", "mean_test_score", "std_test_score", "mean_fit_time"]
].sort_values("mean_test_score", ascending=False)
print(results.to_string(index=False))
print("best:", search.best_params_)

# %%
# The refitted best model on the test split, filtering the validation
# triples as well, as ``pykeen.pipeline`` does:
best = search.best_estimator_
print(best.evaluate(nations.test, filter_triples=nations.valid))

# %%
# Cross-validated MRR per candidate, and the countries in the plane of the
# first two principal components of the best model's entity embeddings.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
labels = [f"{m}\n{d}" for m, d in zip(results["param_model"], results["param_embedding_dim"])]
ax1.bar(labels, results["mean_test_score"], yerr=results["std_test_score"], color="tab:blue")
ax1.set_ylabel("filtered MRR (3-fold CV)")
ax1.set_title("GridSearchCV on Nations")
xy = PCA(n_components=2).fit_transform(best.entity_embeddings_)
ax2.scatter(xy[:, 0], xy[:, 1], color="tab:orange")
for (x, y), name in zip(xy, best.entities_):
    ax2.annotate(name, (x, y), fontsize=8)
ax2.set_title(f"{search.best_params_['model']} entity embeddings (PCA)")
ax2.set_xticks([])
ax2.set_yticks([])
fig.tight_layout()
plt.show()

# %%
# The same estimator saves with joblib and, when trained on a GPU, loads and
# predicts on a machine without one.
print(np.round(best.score_triples([("brazil", "intergovorgs", "usa")]), 3))
