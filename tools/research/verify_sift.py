"""verify_sift.py DATASET SIFT.npz [--seed S] [--candidates K] [--photos P]

Geometric-verification prototype, step 2: the recommended recipe's global ranking (cached fp32
features, projection fitted on the catalog part of the evaluation split), then for each query the
first K individuals are verified against their P best-scoring catalog photos: ratio-test matches
(0.8), similarity RANSAC (6 px); an individual's evidence is its best photo's inlier count.
Saves the scores and inlier counts for fuse_verified.py.
"""
import argparse
import json
import os
import time

import cv2
import numpy as np

import fluke_research as fr


class PairwiseCheck:
    """The prototype's (and the station's) check of two photos: ratio-test matches (0.8) of their
    RootSIFT descriptors, then the inliers of a similarity RANSAC at 6 px."""

    def __init__(self, points, descriptors):
        self.points, self.descriptors = points, descriptors
        self.matcher = cv2.BFMatcher(cv2.NORM_L2)

    def inliers(self, i, j):
        d, p = self.descriptors, self.points
        if len(d[i]) < 4 or len(d[j]) < 4:
            return 0
        pairs = self.matcher.knnMatch(d[i], d[j], k=2)
        good = [m for m, n in (x for x in pairs if len(x) == 2) if m.distance < 0.8 * n.distance]
        if len(good) < 4:
            return 0
        src, dst = p[i][[m.queryIdx for m in good]], p[j][[m.trainIdx for m in good]]
        _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=6.0)
        return int(mask.sum()) if mask is not None else 0


def nearest_photos(photo_scores, owner, individual, k):
    """Catalog rows of `individual`'s k photos nearest the query (`photo_scores`: the query's row
    of photo cosines; `owner`: each catalog row's individual)."""
    rows = np.where(owner == individual)[0]
    return rows[np.argsort(-photo_scores[rows])][:k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("sift")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--candidates", type=int, default=10)
    ap.add_argument("--photos", type=int, default=1)
    a = ap.parse_args()
    cv2.setNumThreads(1)
    _, labels = fr.read_labels(os.path.join(fr.CACHE, a.dataset, "labels.csv"))
    sift = np.load(a.sift, allow_pickle=True)
    points, descriptors = sift["points"], sift["descriptors"]
    x = fr.features(a.dataset, {"parts": [("s16_c80", 7)]})
    cat, qry, is_new = fr.split(labels, a.seed, 0.2, 2)
    lab = np.asarray(labels)
    proj = fr.fit_projection(x[cat], lab[cat], pca_dim=1536, alpha=0.1)
    g, q = fr.apply_projection(proj, x[cat]), fr.apply_projection(proj, x[qry])
    scores, names = fr.individual_scores(q, g, lab[cat], "max+centroid")
    photo = q @ g.T
    owner = np.searchsorted(names, lab[cat])
    check = PairwiseCheck(points, descriptors)

    leaders = np.argsort(-scores, axis=1, kind="stable")[:, :a.candidates]
    counts = np.zeros(leaders.shape, np.int32)
    start = time.time()
    for qi in range(len(qry)):
        for c, ind in enumerate(leaders[qi]):
            rows = nearest_photos(photo[qi], owner, ind, a.photos)
            counts[qi, c] = max(check.inliers(qry[qi], cat[r]) for r in rows)
    truth = [fr.NEW if nw else l for nw, l in zip(is_new, lab[qry])]
    out = os.path.join(fr.CACHE, a.dataset, f"verified-s{a.seed}-k{a.candidates}-p{a.photos}-{os.path.basename(a.sift)}")
    np.savez(out, scores=scores, leaders=leaders, inliers=counts, names=names, truth=np.array(truth))
    print(json.dumps({"ms_per_query": 1000 * (time.time() - start) / len(qry), "out": out}))


if __name__ == "__main__":
    main()
