"""Whether a benchmark's dataset folder is there, said once for every script.

The benchmarks read ``../shared/data``, which a clone of the project alone
does not have: each script checks its ``--data`` folder first and says what
it needs and how to point elsewhere, instead of failing inside a loader.
"""

from __future__ import annotations

import sys
from pathlib import Path


def missing_dataset(script: str, folder: Path, *, labels: bool = True) -> bool:
    """True (after saying so on stderr) when ``folder`` lacks ``edges.tsv[.gz]``,
    or with ``labels`` a ``labels.tsv`` too."""
    if any(folder.glob("edges.tsv*")) and (not labels or (folder / "labels.tsv").exists()):
        return False
    needs = "edges.tsv[.gz] and labels.tsv" if labels else "edges.tsv[.gz]"
    kind = "a BlogCatalog-format folder" if labels else "an edge-list folder"
    print(f"{script}: dataset not found at {folder} (needs {needs}); pass --data to point at {kind}.", file=sys.stderr)
    return True
