#!/usr/bin/env bash
# Proof for Sources/CFlukeEmbed (the XNNPACK int8 runtime): builds it as a shared object with gcc,
# drives it from Python through ctypes (check.py), compares it with the numpy int8 simulation and
# with onnxruntime fp32 on synthetic images and on photos read in place, and times it on one
# thread; then times OpenCV DNN on the ONNX for comparison.
#
#   tools/embed-check/run.sh [--quick] [extra check.py arguments]
#
# Needs: apt-get install libxnnpack-dev libpthreadpool-dev (Debian bookworm), gcc; for the
# OpenCV timing also g++ and libopencv-dev. Python: tools/model/.venv (made by tools/model/build.sh)
# or, if missing, a venv made here from tools/model/requirements.txt.
# Photo folders: EMBED_CHECK_FOLDERS (':'-separated), default the two ../shared/data folders the
# model was calibrated on, when present. Images are never copied into the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$here/.build"
mkdir -p "$build"

if [ ! -f /usr/include/xnnpack.h ] || [ ! -f /usr/include/pthreadpool.h ]; then
  echo "XNNPACK headers not found: apt-get install libxnnpack-dev libpthreadpool-dev" >&2
  exit 2
fi

# 1. the library, exactly as the SwiftPM C target will compile it (C11, XNNPACK + pthreadpool only)
cflags=(-std=c11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Werror -fPIC)
gcc "${cflags[@]}" -shared -I"$repo/Sources/CFlukeEmbed/include" "$repo"/Sources/CFlukeEmbed/*.c \
  -o "$build/libflukeembed.so" -lXNNPACK -lpthreadpool -lm
gcc "${cflags[@]}" -shared -I"$repo/Sources/CFlukeEmbed/include" "$here/layout_probe.c" -o "$build/liblayoutprobe.so"
if command -v clang >/dev/null; then  # SwiftPM compiles C targets with clang
  clang -std=c11 -Wall -Wextra -Wpedantic -Wconversion -Wno-sign-conversion -Werror -fsyntax-only \
    -I"$repo/Sources/CFlukeEmbed/include" "$repo"/Sources/CFlukeEmbed/*.c
fi
echo "built $build/libflukeembed.so"

# 2. Python
py="$repo/tools/model/.venv/bin/python"
if ! [ -x "$py" ] || ! "$py" -c "import numpy, onnx, onnxruntime, PIL" 2>/dev/null; then
  if ! [ -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet -r "$repo/tools/model/requirements.txt"
  fi
  py="$here/.venv/bin/python"
fi

folders=()
IFS=':' read -r -a wanted <<< "${EMBED_CHECK_FOLDERS:-$repo/../shared/data/flukes-unlabeled/images:$repo/../shared/data/reid-real/rightwhale-heads-224/images}"
for f in "${wanted[@]}"; do
  if [ -d "$f" ]; then folders+=(--folder "$f"); else echo "skipping missing photo folder $f" >&2; fi
done

extra=()
if [ "${1:-}" = "--quick" ]; then
  shift
  extra=(--limit 25 --synthetic 8 --bench-iters 60)
fi

status=0
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$py" "$here/check.py" --lib "$build/libflukeembed.so" \
  --probe "$build/liblayoutprobe.so" "${folders[@]}" --bench --json "$build/report.json" "${extra[@]}" "$@" || status=$?

# layer by layer on a test pattern: every conv and the pooling must be bit-exact with the numpy reference
echo
"$py" "$here/per_layer.py" --lib "$build/libflukeembed.so" | awk 'NR == 1 || $3 != 0 || /bit-exact|DIFFERS/' || status=1

# 3. OpenCV DNN 4.6 on the fp32 ONNX, for the timing comparison
if command -v g++ >/dev/null && pkg-config --exists opencv4; then
  echo
  g++ -std=c++17 -O2 -Wall -o "$build/opencv_bench" "$here/opencv_bench.cpp" $(pkg-config --cflags --libs opencv4)
  "$build/opencv_bench" "$repo/models/efficientnet-lite0-fp32.onnx" 100
else
  echo "OpenCV (pkg-config opencv4) not found; skipping the OpenCV DNN timing" >&2
fi
exit $status
