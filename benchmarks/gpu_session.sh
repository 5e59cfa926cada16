#!/usr/bin/env bash
# Every GPU check of strokeseg in one device call (issue 23), prepared by benchmarks/gpu_kit.sh:
#
#   device run: bash benchmarks/gpu_session.sh      carry [".whl"], timeout_s 600
#
# On the GPU machine (its image's python3, no package index) it installs the carried wheels into
# /tmp/site and, with the checkout's src/ first on the path:
#   1. records the GPU, driver, Python and torch           -> $OUT/env.txt
#   2. runs the CUDA tests, pytest -m gpu (≤ 240 s)        -> $OUT/pytest_gpu.log
#   3. runs benchmarks/bench_gpu.py --device cuda (≤ 300 s) -> $OUT/bench_gpu.log and
#      $OUT/gpu_performance.{json,md} (the docs page with the cuda rows added; copy both into
#      docs/results/ here and commit them)
# A step that fails or runs out of time is recorded in its log and the next step still runs; the
# exit status is the number of failed steps.
#
# GPU_SESSION_DEVICE=cpu runs the same steps with bench_gpu.py --device cpu --repeats 1 --steps 1:
# a dry run of the whole call on a machine without a GPU (run it in a scratch copy of the
# checkout, since bench_gpu.py rewrites docs/results/gpu_performance.*).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-$(mktemp -d)}"
device="${GPU_SESSION_DEVICE:-cuda}"
py="${GPU_SESSION_PYTHON:-python3}"
mkdir -p "$out"

if ls .whl/*.whl >/dev/null 2>&1; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "gpu_session: the carried wheels in .whl/ did not install" >&2; exit 100; }
  export PYTHONPATH="$PWD/src:$PWD:/tmp/site"
else
  echo "gpu_session: no wheels in .whl/ (run benchmarks/gpu_kit.sh here first and carry .whl)" >&2
  export PYTHONPATH="$PWD/src:$PWD"
fi
export PYTHONUNBUFFERED=1 STROKESEG_QUIET=1 PYTHONDONTWRITEBYTECODE=1

failed=0
{
  date -u
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  "$py" -c "import sys, torch, numpy, scipy; print(sys.version); print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available(), 'devices', torch.cuda.device_count()); print('numpy', numpy.__version__, 'scipy', scipy.__version__)"
  "$py" -c "import strokeseg, nibabel, SimpleITK, monai, pydicom, isal; print('strokeseg imports from', strokeseg.__file__)"
} >"$out/env.txt" 2>&1 || failed=$((failed + 1))

timeout 240 "$py" -m pytest -q -p no:cacheprovider -m gpu tests/training/test_gpu.py >"$out/pytest_gpu.log" 2>&1 \
  || { echo "gpu_session: pytest -m gpu failed or timed out (exit $?)" >>"$out/pytest_gpu.log"; failed=$((failed + 1)); }

if [ "$device" = cuda ]; then bench=(--device cuda); else bench=(--device cpu --repeats 1 --steps 1); fi
if timeout 300 "$py" benchmarks/bench_gpu.py "${bench[@]}" >"$out/bench_gpu.log" 2>&1; then
  cp docs/results/gpu_performance.json docs/results/gpu_performance.md "$out/"
else
  echo "gpu_session: bench_gpu.py failed or timed out (exit $?)" >>"$out/bench_gpu.log"
  failed=$((failed + 1))
fi
tail -n 3 "$out"/*.log
exit "$failed"
