#!/usr/bin/env bash
# Build, or reuse, the numpy-1 virtualenv in which skgraphemb's optional
# PecanPy backend is tested and benchmarked.
#
# PecanPy 2.0.9 depends on nptyping, which pins numpy<2, while skgraphemb
# itself requires numpy>=2.  So PecanPy cannot live in the main environment:
# it gets its own virtualenv, .venv-pecanpy/ at the repository root, with the
# versions pinned in scripts/pecanpy-constraints.txt, and skgraphemb installed
# into it in editable mode with --no-deps (its pyproject asks for numpy>=2,
# which this environment deliberately does not satisfy).
#
# Usage:   scripts/pecanpy-env.sh            # create or update, then check
# Env:     PYTHON=python3.11                 # interpreter to build the venv from
#          PECANPY_VENV=.venv-pecanpy        # where to put it (default shown)
#
# Idempotent: when the venv already matches the constraints, pyproject.toml
# and this script (a stamp file records their hash), it only re-checks that
# pecanpy and skgraphemb import, which takes about a second.  A fresh build
# downloads about 150 MB of wheels from PyPI and takes well under a minute.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PECANPY_VENV:-$root/.venv-pecanpy}"
constraints="$root/scripts/pecanpy-constraints.txt"
python="${PYTHON:-python3.11}"
py="$venv/bin/python"
stamp="$venv/.skgraphemb-stamp"

# Everything the environment is built from; a change to any of it rebuilds.
want="$(cat "$constraints" "$root/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1) $root"

# The import check also proves that the editable install points at *this*
# checkout (the venv may have been copied from another one).
check_imports() {
    "$py" - "$root" <<'PY'
import os, sys
import numpy, pecanpy, skgraphemb
root = os.path.realpath(sys.argv[1])
where = os.path.realpath(os.path.dirname(skgraphemb.__file__))
if not where.startswith(root + os.sep):
    sys.exit(f"skgraphemb imports from {where}, not from {root}")
if int(numpy.__version__.split(".")[0]) != 1:
    sys.exit(f"expected numpy 1.x in the PecanPy environment, got {numpy.__version__}")
PY
}

if [[ -x "$py" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && check_imports 2>/dev/null; then
    echo "pecanpy-env: $venv is up to date"
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
    echo "pecanpy-env: $python not found; set PYTHON to a Python 3.11 interpreter" >&2
    exit 1
fi

# Serialise concurrent builds (e.g. two test runs started at once).  The lock
# sits beside the venv, not in it, because a rebuild clears the venv folder.
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

start=$SECONDS
# Recreate the venv when its interpreter is missing or broken; otherwise
# update it in place (pip only touches what differs from the pins).
if ! "$py" -c "import sys; assert sys.version_info[:2] == (3, 11)" 2>/dev/null; then
    echo "pecanpy-env: creating $venv with $python"
    "$python" -m venv --clear "$venv"
fi

pip=("$py" -m pip --disable-pip-version-check install --quiet --constraint "$constraints")

echo "pecanpy-env: installing pinned numpy-1 stack and PecanPy"
"${pip[@]}" "numpy<2" "pecanpy==2.0.9" gensim scipy scikit-learn numba networkx \
    joblib pandas tqdm pytest setuptools wheel "Cython>=3.0,<4"

# The node2vec package is a benchmark baseline only; the tests do not need it.
if ! "${pip[@]}" "node2vec==0.5.0"; then
    echo "pecanpy-env: warning: node2vec 0.5.0 did not install; its benchmark rows will be skipped" >&2
fi

echo "pecanpy-env: installing skgraphemb (editable, --no-deps)"
"${pip[@]}" --no-deps --no-build-isolation --editable "$root"

if ! check_imports; then
    echo "pecanpy-env: the environment was built but pecanpy/skgraphemb do not import" >&2
    exit 1
fi
echo "$want" >"$stamp"
elapsed=$((SECONDS - start))
"$py" - "$elapsed" <<'PY'
import sys
from importlib.metadata import version
pins = ", ".join(f"{d} {version(d)}" for d in ("numpy", "pecanpy", "gensim", "numba", "scikit-learn"))
print(f"pecanpy-env: ready in {sys.argv[1]}s ({pins})")
PY
