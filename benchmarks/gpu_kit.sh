#!/usr/bin/env bash
# Prepare, on this machine, what one device call needs to run benchmarks/gpu_session.sh on the
# workplace's GPU machine (nvidia-h200). That machine reaches no package index; its image holds
# Python 3.12 with torch, NumPy, SciPy, Jinja2, matplotlib, PyYAML, tqdm, threadpoolctl and pytest
# (DEVICE_IMAGE below), but not the rest of strokeseg's runtime dependencies (KIT below), which
# travel as wheels in .whl/ (git-ignored).
#
#   bash benchmarks/gpu_kit.sh [PYTHON_VERSION]     # default 3.12, the device's Python
#
# Downloads the KIT wheels for that Python into .whl/, then checks that the working tree that
# travels (tracked and untracked-not-ignored files, plus .whl/) fits the device tool's 64 MiB.
# Exits non-zero, naming the reason, when a download fails or the kit is too large.
set -euo pipefail
cd "$(dirname "$0")/.."

# pyproject runtime dependencies already in the device image (as the workplace listed it, 2026-11-17)
DEVICE_IMAGE="torch numpy scipy PyYAML tqdm matplotlib threadpoolctl Jinja2"
# the rest, carried as wheels; highdicom (DICOM-SEG/SR export) and scikit-image (the native nnU-Net
# resampling) are not needed by the GPU checks
KIT="nibabel pydicom monai isal SimpleITK"
NOT_CARRIED="highdicom scikit-image"

pyver="${1:-3.12}"
py="${PYTHON:-.venv/bin/python}"
rm -rf .whl && mkdir -p .whl
# shellcheck disable=SC2086
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl $KIT 2> >(grep -v "^WARNING: Location" >&2) \
  || { echo "gpu_kit: could not download the wheels of: $KIT (Python $pyver)" >&2; exit 1; }

limit=$((64 * 1024 * 1024))
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
wheels=$(du -cb .whl/*.whl | tail -1 | cut -f1)
total=$((tree + wheels))
ls -1 .whl
awk -v t="$tree" -v w="$wheels" 'BEGIN {m = 1048576; printf "gpu_kit: working tree %.1f MiB + wheels %.1f MiB = %.1f MiB of the 64 MiB a device call carries\n", t / m, w / m, (t + w) / m}'
if [ "$total" -gt "$limit" ]; then
  echo "gpu_kit: too large for one device call; remove untracked files or carry fewer wheels" >&2
  exit 1
fi
echo "gpu_kit: ready; run on the device: bash benchmarks/gpu_session.sh  (carry [\".whl\"]; not carried: $NOT_CARRIED; image: $DEVICE_IMAGE)"
