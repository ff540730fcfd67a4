#!/usr/bin/env bash
# Run the PecanPy backend tests in their numpy-1 environment.
#
# Builds or refreshes .venv-pecanpy/ (scripts/pecanpy-env.sh), then runs the
# tests marked `pecanpy` there.  Exits non-zero when the environment cannot be
# built, a test fails, or no test ran at all (pytest exit status 5): a run
# that silently skipped everything must not pass as green.
#
# Extra arguments go to pytest, e.g. scripts/test-pecanpy.sh -x -v
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/pecanpy-env.sh

# addopts is cleared: the project's --doctest-modules would collect the
# whole package, whose numpy-2-only parts do not belong to this environment.
set +e
"$root/.venv-pecanpy/bin/python" -m pytest tests/walks/test_pecanpy.py -m pecanpy \
    -p no:cacheprovider -o addopts="" -ra "$@"
status=$?
set -e

if [[ $status -eq 5 ]]; then
    echo "test-pecanpy: no tests ran (pytest exit status 5); treating as failure" >&2
    exit 1
fi
exit $status
