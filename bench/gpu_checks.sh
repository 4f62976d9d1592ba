#!/usr/bin/env bash
# The GPU checks of DEVELOPERS.md ("Whenever a GPU is lent to you"), as one prepared script for
# the device machine (../.library/device): the conformance suite and tests/backend_cupy with
# `-m gpu`, the same under CUDA-graph capture, then bench/gpu_rbm.py. Run it from the repository
# root there. The device image has CuPy, NumPy, pluggy, opt_einsum, pytest and hypothesis
# (KINDS.md) but no network, and its setuptools may not build this project's pyproject.toml
# without build isolation; so build the wheel here first and carry it:
#
#     mkdir -p .git/info; echo /.gpuwheel/ >> .git/info/exclude; python3 -m pip wheel -q --no-deps -w .gpuwheel .
#     device run: command "bash bench/gpu_checks.sh", carry [".gpuwheel"], timeout_s 540
#
# (the steps below have 600 s of limits together; a step that hangs is cut at its own limit).
# Without .gpuwheel it tries an editable install instead. Everything goes to $OUT (at most
# 8 files come back): install.log, gpu.txt (nvidia-smi and versions), tests.log, graphs.log,
# gpu_rbm.log, gpu_rbm.json. Each step has its own time limit, so a hang in one still leaves the
# others' results; the script's status is the first failing step's.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_checks}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
PY=${PYTHON:-python3}
status=0
step() {  # step NAME LIMIT_S LOG COMMAND...: run one check, keep the first failure's status
    local name=$1 limit=$2 log=$3
    shift 3
    echo "== $name (limit ${limit} s) $(date -u +%H:%M:%S)" | tee -a "$OUT/$log"
    timeout "$limit" "$@" 2>&1 | tee -a "$OUT/$log"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc" | tee -a "$OUT/$log"
    if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then status=$rc; fi
}

{ nvidia-smi; $PY -c 'import sys, numpy, cupy; print(sys.version); print("numpy", numpy.__version__,
  "cupy", cupy.__version__, "cuda runtime", cupy.cuda.runtime.runtimeGetVersion())'; } > "$OUT/gpu.txt" 2>&1
if ls .gpuwheel/framework-*.whl > /dev/null 2>&1; then
    step install 120 install.log $PY -m pip install -q --no-deps --no-index --force-reinstall .gpuwheel/framework-*.whl
else
    step install 120 install.log $PY -m pip install -q --no-deps --no-build-isolation --no-index -e .
fi
step "conformance + backend_cupy, -m gpu" 200 tests.log \
    $PY -m pytest tests/test_conformance.py tests/backend_cupy -m gpu -p no:cacheprovider -q -rs
step "conformance under CUDA graphs, -m gpu" 80 graphs.log \
    env FRAMEWORK_CUDA_GRAPHS=1 $PY -m pytest tests/test_conformance.py -m gpu -p no:cacheprovider -q -rs
step "bench/gpu_rbm.py" 200 gpu_rbm.log \
    $PY bench/gpu_rbm.py --cuda-graphs --markdown --json "$OUT/gpu_rbm.json" --require-gpu
exit $status
