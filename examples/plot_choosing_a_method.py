"""
=======================================
Choosing a method: quality against time
=======================================

"Always benchmark multiple methods": this example embeds the Cora citation
graph (bundled: 2,708 papers, 5,278 citations, 7 subjects) with every
structure-only method of skgraphemb, scores each vector set the same way
(a logistic regression predicting the subject, 50% of the papers labelled,
5 random splits) and draws macro-F1 against fit time on a log scale.

The spectral methods factorise or project a normalised matrix of the graph
directly, with no random walks and no training loop, so they land left of
node2vec on the time axis; :class:`~skgraphemb.SpectralPropagation` adds
ProNE's propagation to any of them.  The measured tables on larger graphs
(BlogCatalog, PPI, Wikipedia-POS) are on the "Choosing a method" page of the
user guide.
"""

# %%
# The methods
# -----------
# Defaults everywhere (128 dimensions), an integer seed, two threads.
# Cora has bag-of-words features too; only :class:`~skgraphemb.GraphSAGEEmbedder`
# would use them, so it is left out of this structure-only comparison.
import time

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter
from sklearn.base import clone

import skgraphemb as sge

cora = sge.load_cora()
common = dict(random_state=0, n_jobs=2)
methods = {
    "node2vec": sge.Node2VecEmbedder(**common),
    "SVD": sge.SVDEmbedder(**common),
    "SVD + propagation": sge.SpectralPropagation(sge.SVDEmbedder(), **common),
    "ProNE": sge.ProNEEmbedder(**common),
    "FastRP": sge.FastRPEmbedder(**common),
}

# %%
# Fit and score
# -------------
# The first fit of a method in a new process compiles its kernels (or loads
# them from numba's cache, see :doc:`/install`), so each method is fitted once
# before the fit that is timed.
results = {}
for name, est in methods.items():
    clone(est).fit(cora.graph)
    start = time.perf_counter()
    est.fit(cora.graph)
    seconds = time.perf_counter() - start
    score = sge.evaluate_node_classification(est, cora.labels, nodes=cora.nodes, cv=5, train_size=0.5, random_state=0)
    results[name] = (seconds, score.mean, score.std)
    print(f"{name:<18} {seconds:6.2f} s   macro-F1 {score.mean:.3f} ± {score.std:.3f}")

# %%
# Quality against time
# --------------------
fig, ax = plt.subplots(figsize=(6, 4))
for name, (seconds, mean, std) in results.items():
    ax.errorbar(seconds, mean, yerr=std, fmt="o", capsize=3)
    ax.annotate(name, (seconds, mean), textcoords="offset points", xytext=(5, 5), fontsize=9)
ax.set_xscale("log")
ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only
ax.set_xlabel("fit time (s, log scale)")
ax.set_ylabel("macro-F1 (50% labelled)")
ax.set_title("Cora: node classification from structure alone")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
