#!/usr/bin/env bash
# Builds crop-check with g++ (outside SwiftPM, so it can run while the package builds) and runs:
# the checks FlukeFinderTests.swift makes (--selftest), the real fluke photos (contact sheets and
# timings), synthetic scenes with known boxes, and a 12 MP photo decoded at 1/4.
# Everything it writes goes to $OUT_DIR (default /tmp/crop-check), never into the repository;
# the photos are read where they are.
#
#   tools/crop-check/run.sh [IMAGES_DIR]      (default: ../shared/data/flukes-unlabeled/images)
#   DEBUG=1 tools/crop-check/run.sh           adds the saliency and foreground maps to the sheets
#   SYNTHETIC=N tools/crop-check/run.sh       synthetic scenes to try (default 1000; 0 skips)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="${1:-$root/../shared/data/flukes-unlabeled/images}"
out="${OUT_DIR:-/tmp/crop-check}"
synthetic="${SYNTHETIC:-1000}"
mkdir -p "$out"
rm -f "$out"/real-*.png "$out"/synthetic-failures-*.png
shim="$root/Sources/CFlukeVisionShim"
nice -n 19 g++ -O2 -std=c++17 -Wall -Wextra -I"$shim/include" -I"$shim" -I/usr/include/opencv4 \
    "$here/crop_check.cpp" "$shim/FlukeFinder.cpp" "$shim/SeaAndSky.cpp" "$shim/FlukeCrop.cpp" \
    "$shim/FlukeVisionShim.cpp" "$shim/SyntheticScene.cpp" \
    "$shim/LibJPEG.cpp" "$shim/LazyImgcodecs.cpp" \
    -o "$out/crop_check" -lopencv_core -lopencv_imgproc -lopencv_imgcodecs -ljpeg -ldl
debug=()
[[ "${DEBUG:-0}" == 1 ]] && debug=(--debug)

echo "== selftest (what Tests/FlukeVisionTests/FlukeFinderTests.swift checks)"
"$out/crop_check" --selftest
if [[ -d "$images" ]]; then
    echo "== real photos in $images"
    "$out/crop_check" --images "$images" --sheet "$out/real.png" "${debug[@]}"
else
    echo "== no photos at $images: skipped"
fi
if (( synthetic > 0 )); then
    echo "== $synthetic synthetic scenes (sizes 400x300..1600x900, noise 0/4/10, through JPEG)"
    "$out/crop_check" --synthetic "$synthetic" --sheet "$out/synthetic-failures.png" "${debug[@]}"
fi
echo "== timing"
"$out/crop_check" --timing
