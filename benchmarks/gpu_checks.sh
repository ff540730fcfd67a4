#!/usr/bin/env bash
# The GPU checks, in one run on a machine with a CUDA device (see
# benchmarks/README.md, "GPU"): the CUDA tests (pytest -m gpu), the
# BlogCatalog comparison and the 1M-node throughput runs, then the torch
# families' whole test files on a machine where CUDA is present.
#
#   bash benchmarks/gpu_checks.sh [DATA_DIR] [OUT_DIR]
#   STEPS="gpu-tests blogcatalog" bash benchmarks/gpu_checks.sh   # some steps only
#
# DATA_DIR holds blogcatalog/ (default ../shared/data); OUT_DIR receives one
# log per step (default ./gpu-checks).  Each step has its own time limit and
# a failed step does not stop the others; the exit status is the number of
# failed steps.
set -u
DATA=${1:-../shared/data}
OUT=${2:-gpu-checks}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
failed=0
STEPS=${STEPS:-gpu-tests blogcatalog scale-1m scale-1m-batch16k torch-families}
step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    case " $STEPS " in *" $name "*) ;; *) return 0 ;; esac
    echo "=== $name (limit ${limit}s): $*"
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$OUT/$name.log"
    echo "=== $name: exit $rc after $((SECONDS - t0))s"
    [ "$rc" -eq 0 ] || failed=$((failed + 1))
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c "import torch, numba, numpy, sklearn, scipy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), \
'numba', numba.__version__, 'numpy', numpy.__version__, 'sklearn', sklearn.__version__, 'scipy', scipy.__version__)"

step gpu-tests 150 $PY -m pytest -p no:cacheprovider -q -m gpu -o addopts="" -rfEs --continue-on-collection-errors tests
step blogcatalog 150 $PY benchmarks/bench_node2vec_torch.py --data "$DATA/blogcatalog" --device cuda \
    --contenders numba torch-cuda torch-cuda-atomic --repeats 2 --threads 16 --walk-engines numba torch-cuda
step scale-1m 100 $PY benchmarks/bench_node2vec_torch.py --gen-nodes 1000000 --gen-edges 10000000 --device cuda \
    --contenders torch-cuda --no-eval --num-walks 2 --threads 16 --walk-engines numba torch-cuda
step scale-1m-batch16k 80 $PY benchmarks/bench_node2vec_torch.py --gen-nodes 1000000 --gen-edges 10000000 \
    --device cuda --contenders torch-cuda torch-cuda-atomic --no-eval --num-walks 2 --threads 16 --no-walks \
    --max-batch 16384
step torch-families 200 $PY -m pytest -p no:cacheprovider -q -m "not slow and not pecanpy and not redis and not dask" \
    -o addopts="" -rfE --tb=short --continue-on-collection-errors -n 8 tests/walks tests/skipgram tests/graphsage tests/kg tests/test_node2vec.py tests/utils
exit $failed
