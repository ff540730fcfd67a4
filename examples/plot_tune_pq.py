"""
===============================================
Tuning node2vec's p and q against downstream F1
===============================================

node2vec's return parameter ``p`` and in-out parameter ``q`` decide what its
walks explore: ``q < 1`` moves outward and favours communities (homophily),
``q > 1`` stays local and favours structural roles.  Which setting is best
depends on the task, so tune them on it.

Because an embedder with ``graph=`` set takes node ids as ``X``, the whole
workflow is an ordinary scikit-learn :class:`~sklearn.pipeline.Pipeline`
searched by :class:`~sklearn.model_selection.GridSearchCV`, here on the Cora
citation graph with the papers' subjects as labels.  The embedding never sees
the labels, so it is the same in every fold: ``memory=`` caches it, and each
candidate is embedded once instead of once per fold.

The same search runs from the command line::

    skgraphemb tune cora --grid p=0.5,1,2 --grid q=0.5,1,2 --cv 3 \\
        --dimensions 64 --walk-length 40 --num-walks 5 --plot grid.png
"""

# %%
# The data and the pipeline
# -------------------------
import tempfile
import time
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from skgraphemb import Node2VecEmbedder, load_cora

cora = load_cora(features=False)  # node2vec uses the graph only
nodes, labels = cora.nodes, cora.labels
print(cora.graph, f"{len(nodes)} labelled nodes, {len(set(labels))} classes")

workdir = tempfile.TemporaryDirectory(prefix="skgraphemb-example-")
cache = Path(workdir.name) / "cache"

pipe = Pipeline(
    [
        (
            "n2v",
            Node2VecEmbedder(
                graph=cora.graph,
                n_components=64,
                walk_length=40,
                num_walks=5,
                window=5,
                n_jobs=2,
                random_state=0,
                memory=str(cache),
            ),
        ),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)

# %%
# Grid search
# -----------
# 9 candidates x 3 folds = 27 pipeline fits, but only 9 embeddings.
param_grid = {"n2v__p": [0.5, 1, 2], "n2v__q": [0.5, 1, 2]}
search = GridSearchCV(
    pipe,
    param_grid,
    scoring="f1_macro",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
# The probe's logistic regressions are small (2,708 x 64): BLAS threads only
# add synchronisation there, so run them on one (``n_jobs`` above still sets
# the embedder's threads).
start = time.perf_counter()
with threadpool_limits(limits=1, user_api="blas"):
    search.fit(nodes, labels)
print(f"searched in {time.perf_counter() - start:.1f} s; embeddings computed: {len(list(cache.rglob('output.pkl')))}")
print("best:", search.best_params_, f"macro-F1 {search.best_score_:.3f}")

results = pd.DataFrame(search.cv_results_)
results = results.rename(columns={"param_n2v__p": "p", "param_n2v__q": "q"})
print(
    results[["p", "q", "mean_test_score", "std_test_score", "rank_test_score"]]
    .sort_values("rank_test_score")
    .to_string(index=False)
)

# %%
# The p/q landscape
# -----------------
grid = results.pivot(index="p", columns="q", values="mean_test_score").astype(float)
fig, ax = plt.subplots(figsize=(5, 4))
im = ax.imshow(grid.to_numpy(), origin="lower", cmap="viridis")
ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
for (i, j), v in np.ndenumerate(grid.to_numpy()):
    ax.text(j, i, f"{v:.3f}", ha="center", va="center", color="w")
ax.set(xlabel="q (in-out)", ylabel="p (return)", title="Cora: macro-F1, 3-fold CV")
fig.colorbar(im, ax=ax, label="macro-F1")
plt.show()

# %%
# Save, reload, predict
# ---------------------
# ``best_estimator_`` was refit on all labelled nodes.  Drop the cache
# location before saving: the model does not need it to predict.
model = search.best_estimator_.set_params(n2v__memory=None)
path = Path(workdir.name) / "cora_node2vec.joblib"
joblib.dump(model, path)
loaded = joblib.load(path)
print("predicted:", loaded.predict(nodes[:10]))
print("true:     ", labels[:10])
workdir.cleanup()
