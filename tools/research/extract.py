"""Extract EfficientNet-Lite0 feature maps for a labelled re-identification set and cache them.

Usage: extract.py LABELS.csv  -> tools/research/.cache/<folder of LABELS.csv>/*.npy

Images are read in place (never copied), resized to 224x224 bilinear when needed (the model card's
preprocessing: whole image, no crop, RGB, (x - 127) / 128). Feature maps are stored as float16
(enough for research; the Swift check recomputes from the same cache), the pooled vector as float32.
"""
import csv
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "models", "efficientnet-lite0-fp32.onnx")


def read_labels(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["file"] for r in rows], [r["individual"] for r in rows]


def load(path):
    im = Image.open(path).convert("RGB")
    if im.size != (224, 224):
        im = im.resize((224, 224), Image.BILINEAR)
    x = (np.asarray(im, dtype=np.float32) - 127.0) / 128.0
    return x.transpose(2, 0, 1)[None]


def main():
    labels_csv = sys.argv[1]
    name = os.path.basename(os.path.dirname(os.path.abspath(labels_csv)))
    root = os.path.dirname(os.path.abspath(labels_csv))
    files, individuals = read_labels(labels_csv)
    # The shared sets list paths relative to an images/ folder beside labels.csv.
    if not os.path.exists(os.path.join(root, files[0])) and os.path.exists(os.path.join(root, "images", files[0])):
        root = os.path.join(root, "images")
    out = os.path.join(HERE, ".cache", name)
    os.makedirs(out, exist_ok=True)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(MODEL, opts, providers=["CPUExecutionProvider"])
    names = ["pooled", "s8_c40", "s16_c80", "s16_c112", "s32_c192", "s32_c320"]
    n = len(files)
    store = {
        "pooled": np.zeros((n, 1280), np.float32),
        "s8_c40": np.zeros((n, 40, 14, 14), np.float16),  # 2x2 average-pooled from 28x28
        "s16_c80": np.zeros((n, 80, 14, 14), np.float16),
        "s16_c112": np.zeros((n, 112, 14, 14), np.float16),
        "s32_c192": np.zeros((n, 192, 7, 7), np.float16),
        "s32_c320": np.zeros((n, 320, 7, 7), np.float16),
    }
    t0 = time.time()
    for i, f in enumerate(files):
        outs = dict(zip(names, sess.run(names, {"input": load(os.path.join(root, f))})))
        store["pooled"][i] = outs["pooled"][0]
        store["s8_c40"][i] = outs["s8_c40"][0].reshape(40, 14, 2, 14, 2).mean(axis=(2, 4))
        for k in ["s16_c80", "s16_c112", "s32_c192", "s32_c320"]:
            store[k][i] = outs[k][0]
        if i % 500 == 0:
            print(f"{i}/{n} {time.time() - t0:.0f}s", flush=True)
    for k, v in store.items():
        np.save(os.path.join(out, k + ".npy"), v)
    with open(os.path.join(out, "labels.csv"), "w", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["file", "individual"])
        w.writerows(zip(files, individuals))
    print(f"done {n} images in {time.time() - t0:.0f}s -> {out}")


if __name__ == "__main__":
    main()
