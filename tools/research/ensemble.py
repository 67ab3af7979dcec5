"""ensemble.py LABELS.csv [--seed S ...]

How far do the frozen ImageNet trunks go together? Each of Lite0 / Lite1 / Lite2 (backbones.py's
five-view features, which must be cached first) gets its own projection fitted on the catalog;
their individual scores are averaged; then the station's geometric check re-ranks the ten leaders
(each leader's two photos nearest the query by the averaged photo cosine, + 0.01 per SIFT inlier,
at most 30). Known queries only, top-1 / top-5 (a comparison of rankings, no thresholds).
Needs numpy and opencv-python-headless, and sift_extract.py's cache (sift-300-0.04.npz).
"""
import argparse
import os

import cv2
import numpy as np

import fluke_research as fr
from verify_sift import PairwiseCheck, nearest_photos

RECIPES = fr.PROJECTIONS
COMBINATIONS = [("lite0",), ("lite0", "lite2"), ("lite0", "lite1", "lite2")]
LEADERS, PHOTOS, PER_INLIER, MAX_INLIERS = 10, 2, 0.01, 30


def five_views(dataset, model):
    path = os.path.join(fr.CACHE, dataset, f"backbone-{model}.npy")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run backbones.py first")
    return fr.l2n(np.load(path, mmap_mode="r")[:, 1])


def verified(scores, photo, owner, cat, known, check):
    s = scores.copy()
    leaders = np.argsort(-scores, axis=1, kind="stable")[:, :LEADERS]
    for qi, r in enumerate(known):
        for ind in leaders[qi]:
            best = max(check.inliers(r, cat[row]) for row in nearest_photos(photo[qi], owner, ind, PHOTOS))
            s[qi, ind] += PER_INLIER * min(best, MAX_INLIERS)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    cv2.setNumThreads(1)
    dataset, labels, lab = fr.labelled_set(a.labels)
    features = {m: five_views(dataset, m) for m in sorted({m for c in COMBINATIONS for m in c})}
    sift = np.load(os.path.join(fr.CACHE, dataset, "sift-300-0.04.npz"), allow_pickle=True)
    check = PairwiseCheck(sift["points"], sift["descriptors"])
    for seed in a.seed:
        cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
        known = qry[~is_new]
        for recipe, params in RECIPES.items():
            scores, photos = {}, {}
            for m, x in features.items():
                proj = fr.fit_projection(x[cat], lab[cat], **params)
                q, g = fr.apply_projection(proj, x[known]), fr.apply_projection(proj, x[cat])
                scores[m], names = fr.individual_scores(q, g, lab[cat], "max+centroid")
                photos[m] = q @ g.T
            truth, owner = np.searchsorted(names, lab[known]), np.searchsorted(names, lab[cat])
            for combo in COMBINATIONS:
                s = sum(scores[m] for m in combo) / len(combo)
                photo = sum(photos[m] for m in combo) / len(combo)
                plain = fr.top_accuracy(s, truth)
                checked = fr.top_accuracy(verified(s, photo, owner, cat, known, check), truth)
                print(f"seed {seed} {recipe:11s} {'+'.join(combo):17s} global top-1 {plain[0]:.3f} top-5 {plain[1]:.3f}"
                      f"  + check top-1 {checked[0]:.3f} top-5 {checked[1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
