"""rerank_variants.py LABELS.csv [--seed S ...] [--recipe compact|recommended]

What else could re-rank the station's global ranking, measured on its own five-view features:
more leaders and more photos per leader for SIFT verification, HotSpotter's one-vs-many LNBNN
(over the whole catalog, and over the leaders' photos only), query expansion and database-side
augmentation. Top-1 / top-5 over the known queries of each split (a comparison of re-rankers, so no
thresholds). Needs sift_extract.py's cache (sift-300-0.04.npz) and opencv-python-headless +
onnxruntime; the five-view features are extracted once (fp32 ONNX, ~9 min per 4 500 photos on one
core) into .cache/<dataset>/views5-s16_c80.npy.
LIMIT=N in the environment checks only the first N known queries of each split (a smoke run).
"""
import argparse
import os
import time

import cv2
import numpy as np

import fluke_research as fr
import views as V
from verify_sift import PairwiseCheck, nearest_photos

# ViewTransform.standard: the crop, ±10° at zoom 1.18, ±20° at zoom 1.35.
STATION_VIEWS = [V.VIEWS[k] for k in V.SETS["crop + ±10°, ±20° (FlukeWatch)"]]
RECIPES = fr.PROJECTIONS
LEADERS, PHOTOS, LNBNN_K = 20, 5, 4
LIMIT = int(os.environ.get("LIMIT", "0"))


def five_view_features(labels_csv, dataset):
    sess = V.session()

    def averaged(im):
        looks = [im] + [V.view(im, d, z) for d, z in STATION_VIEWS]
        return fr.l2n(np.stack([V.s16_c80_pooled(sess, v) for v in looks])).mean(0)
    return V.cached_rows(os.path.join(fr.CACHE, dataset, "views5-s16_c80.npy"), labels_csv, averaged)


def lnbnn_votes(votes, owners, distances):
    """HotSpotter's local naive-Bayes nearest neighbour: each query descriptor votes for the owners
    of its K nearest catalog descriptors by how much closer they are than the (K+1)th.
    `owners` / `distances`: (descriptors, K + 1), nearest first; adds into `votes`."""
    for j in range(LNBNN_K):
        np.add.at(votes, owners[:, j], np.maximum(distances[:, LNBNN_K] - distances[:, j], 0))


def leaders_lnbnn(descriptors, query, rows, owners, n_owners):
    """LNBNN over the given catalog photos only (the leaders'), by brute force."""
    q = descriptors[query]
    votes = np.zeros(n_owners, np.float32)
    if len(q) == 0 or sum(len(descriptors[r]) for r in rows) <= LNBNN_K:
        return votes
    cd = np.concatenate([descriptors[r] for r in rows])
    co = np.concatenate([np.full(len(descriptors[r]), o) for r, o in zip(rows, owners)])
    d2 = np.maximum(2 - 2 * q @ cd.T, 0)      # RootSIFT descriptors are unit vectors
    idx = np.argpartition(d2, LNBNN_K, axis=1)[:, :LNBNN_K + 1]
    idx = np.take_along_axis(idx, np.argsort(np.take_along_axis(d2, idx, 1), 1), 1)
    lnbnn_votes(votes, co[idx], np.sqrt(np.take_along_axis(d2, idx, 1)))
    return votes


def global_lnbnn(descriptors, cat, qry, owner_of_cat, n_individuals):
    """LNBNN over every catalog descriptor (FLANN kd-trees), as HotSpotter ranks on its own."""
    stacked = np.concatenate([descriptors[r] for r in cat]).astype(np.float32)
    owners = np.concatenate([np.full(len(descriptors[r]), owner_of_cat[i], np.int32) for i, r in enumerate(cat)])
    index = cv2.flann_Index(stacked, dict(algorithm=1, trees=4))
    votes = np.zeros((len(qry), n_individuals), np.float32)
    for qi, r in enumerate(qry):
        if len(descriptors[r]):
            idx, dist = index.knnSearch(descriptors[r].astype(np.float32), LNBNN_K + 1, params=dict(checks=64))
            lnbnn_votes(votes[qi], owners[idx], np.sqrt(np.maximum(dist, 0)))   # FLANN gives squared L2
    return votes


def run(seed, x, lab, check, recipe):
    cat, qry, is_new = fr.split(list(lab), seed, 0.2, 2)
    known = qry[~is_new]
    if LIMIT:
        known = known[:LIMIT]
    proj = fr.fit_projection(x[cat], lab[cat], **RECIPES[recipe])
    g, q = fr.apply_projection(proj, x[cat]), fr.apply_projection(proj, x[known])
    scores, names = fr.individual_scores(q, g, lab[cat], "max+centroid")
    truth = np.searchsorted(names, lab[known])
    owner = np.searchsorted(names, lab[cat])
    photo = q @ g.T
    results = {"global ranking": fr.top_accuracy(scores, truth)}

    # Per query: the leaders, each leader's PHOTOS closest photos' inlier counts, LNBNN over them.
    leaders = np.argsort(-scores, axis=1, kind="stable")[:, :LEADERS]
    inliers = np.zeros((len(known), LEADERS, PHOTOS), np.int32)
    local = np.zeros((len(known), LEADERS), np.float32)
    start = time.time()
    for qi, r in enumerate(known):
        rows, owners = [], []
        for c, ind in enumerate(leaders[qi]):
            mine = nearest_photos(photo[qi], owner, ind, PHOTOS)
            for k, row in enumerate(mine):
                inliers[qi, c, k] = check.inliers(r, cat[row])
            rows += [cat[row] for row in mine]
            owners += [c] * len(mine)
        local[qi] = leaders_lnbnn(check.descriptors, r, rows, owners, LEADERS)
    print(f"seed {seed}: verified {len(known)} known queries in {time.time() - start:.0f} s", flush=True)

    def with_bonus(bonus, n_leaders):
        s = scores.copy()
        for qi in range(len(known)):
            s[qi, leaders[qi, :n_leaders]] += bonus[qi, :n_leaders]
        return fr.top_accuracy(s, truth)

    for n_leaders in (10, 20):
        for photos in (1, 2, 3, 5):
            for w in (0.01, 0.015):
                bonus = w * np.minimum(inliers[:, :, :photos].max(2), 30)
                results[f"SIFT inliers: {n_leaders} leaders x {photos} photos, {w}/inlier"] = with_bonus(bonus, n_leaders)
        for w in (0.05, 0.1):
            results[f"LNBNN over the {n_leaders} leaders' photos, x{w}"] = with_bonus(w * local, n_leaders)
            bonus = 0.01 * np.minimum(inliers[:, :, :2].max(2), 30) + w * local
            results[f"station check (2 photos) + LNBNN over {n_leaders} leaders, x{w}"] = with_bonus(bonus, n_leaders)

    votes = global_lnbnn(check.descriptors, cat, known, owner, len(names))
    results["LNBNN over the whole catalog alone"] = fr.top_accuracy(votes, truth)
    for w in (0.05, 0.12, 0.2):
        results[f"global ranking + {w} x whole-catalog LNBNN"] = fr.top_accuracy(scores + w * votes, truth)

    for k in (1, 3):
        idx = np.argsort(-photo, 1)[:, :k]
        w = np.take_along_axis(photo, idx, 1).clip(0)
        expanded = fr.l2n(q + (w[:, :, None] * g[idx]).sum(1))
        results[f"query expansion, top {k} photos"] = fr.top_accuracy(
            fr.individual_scores(expanded, g, lab[cat], "max+centroid")[0], truth)
    gg = g @ g.T
    np.fill_diagonal(gg, -9)
    idx = np.argsort(-gg, 1)[:, :1]
    augmented = fr.l2n(g + (np.take_along_axis(gg, idx, 1).clip(0)[:, :, None] * g[idx]).sum(1))
    results["database-side augmentation, nearest catalog photo"] = fr.top_accuracy(
        fr.individual_scores(q, augmented, lab[cat], "max+centroid")[0], truth)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="compact")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    dataset, labels, lab = fr.labelled_set(a.labels)
    x = fr.l2n(five_view_features(a.labels, dataset))
    sift = np.load(os.path.join(fr.CACHE, dataset, "sift-300-0.04.npz"), allow_pickle=True)
    check = PairwiseCheck(sift["points"], sift["descriptors"])
    for seed in a.seed:
        for name, (top1, top5) in run(seed, x, lab, check, a.recipe).items():
            print(f"seed {seed}  {a.recipe:11s} {name:62s} top-1 {top1:.3f}  top-5 {top5:.3f}", flush=True)


if __name__ == "__main__":
    main()
