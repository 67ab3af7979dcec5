#!/usr/bin/env bash
# Compile and run the OpenCV DNN check against the system OpenCV (Debian: libopencv-dev, 4.6 on the board).
# Needs tools/model/.cache/ref_*.f32 from a previous build_model.py run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model_dir="$(cd "$here/.." && pwd)"
repo="$(cd "$model_dir/../.." && pwd)"
if ! pkg-config --exists opencv4; then
  echo "opencv4 not found by pkg-config (apt-get install libopencv-dev); skipping OpenCV check" >&2
  exit 0
fi
mkdir -p "$model_dir/.cache"
g++ -std=c++17 -O2 -o "$model_dir/.cache/check_onnx" "$here/check_onnx.cpp" $(pkg-config --cflags --libs opencv4)
"$model_dir/.cache/check_onnx" "$repo/models/efficientnet-lite0-fp32.onnx" "$model_dir/.cache" "${1:-1e-4}"
