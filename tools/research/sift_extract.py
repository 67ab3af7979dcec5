"""sift_extract.py LABELS.csv [--max-keypoints N] [--contrast T] [--clahe CLIP]

Geometric-verification prototype, step 1: SIFT keypoints with RootSIFT descriptors for every
photo of a labelled set (grey, as the photo is: the right-whale crops are already 224x224), cached
as .cache/<dataset>/sift-<N>-<T>.npz. FlukeWatch's C++ shim (Sources/CFlukeVisionShim/LocalFeatures.cpp)
implements the chosen setting; this is the measurement that chose it. Needs opencv-python-headless.
"""
import argparse
import os
import time

import cv2
import numpy as np

import fluke_research as fr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--max-keypoints", type=int, default=300)
    ap.add_argument("--contrast", type=float, default=0.04)
    ap.add_argument("--clahe", type=float, default=0.0,
                    help="CLAHE clip limit applied to the grey crop first (0: off)")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    root = os.path.dirname(os.path.abspath(a.labels))
    dataset = os.path.basename(root)
    files, _ = fr.read_labels(a.labels)
    sift = cv2.SIFT_create(nfeatures=a.max_keypoints, contrastThreshold=a.contrast)
    clahe = cv2.createCLAHE(clipLimit=a.clahe, tileGridSize=(4, 4)) if a.clahe > 0 else None
    points, descriptors = [], []
    start = time.time()
    for f in files:
        path = f if os.path.isabs(f) else os.path.join(root, f)
        if not os.path.exists(path):
            path = os.path.join(root, "images", f)
        grey = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if clahe is not None:
            grey = clahe.apply(grey)
        kps, d = sift.detectAndCompute(grey, None)
        if d is None:
            kps, d = [], np.zeros((0, 128), np.float32)
        d = np.sqrt(d / np.maximum(d.sum(1, keepdims=True), 1e-7))   # RootSIFT
        points.append(np.array([k.pt for k in kps], np.float32).reshape(-1, 2))
        descriptors.append(d.astype(np.float32))
    print(f"{(time.time() - start) / len(files) * 1000:.1f} ms per photo, {np.mean([len(p) for p in points]):.0f} keypoints on average")
    out = os.path.join(fr.CACHE, dataset, f"sift-{a.max_keypoints}-{a.contrast}" + (f"-clahe{a.clahe}" if clahe is not None else "") + ".npz")
    np.savez(out, points=np.array(points, dtype=object), descriptors=np.array(descriptors, dtype=object))
    print(out)


if __name__ == "__main__":
    main()
