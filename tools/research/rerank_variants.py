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

# ViewTransform.standard: the crop, ±10° at zoom 1.18, ±20° at zoom 1.35.
STATION_VIEWS = [(10, 1.18), (-10, 1.18), (20, 1.35), (-20, 1.35)]
RECIPES = {"compact": dict(pca_dim=1536, alpha=0.3, out_dim=384), "recommended": dict(pca_dim=1536, alpha=0.1)}
LEADERS, PHOTOS, LNBNN_K = 20, 5, 4
LIMIT = int(os.environ.get("LIMIT", "0"))


def five_view_features(labels_csv, dataset):
    sess = V.session()

    def averaged(im):
        looks = [im] + [V.view(im, d, z) for d, z in STATION_VIEWS]
        return fr.l2n(np.stack([V.s16_c80_pooled(sess, v) for v in looks])).mean(0)
    return V.cached_rows(os.path.join(fr.CACHE, dataset, "views5-s16_c80.npy"), labels_csv, averaged)


def top_accuracy(scores, truth):
    """(top-1, top-5) of the truth column in each row of `scores`; ties count against it."""
    t = scores[np.arange(len(truth)), truth]
    rank = (scores > t[:, None]).sum(1)
    return float(np.mean(rank == 0)), float(np.mean(rank < 5))


class Verifier:
    """The prototype's pairwise check (ratio test 0.8, similarity RANSAC at 6 px) and LNBNN."""

    def __init__(self, sift):
        self.points, self.descriptors = sift["points"], sift["descriptors"]
        self.matcher = cv2.BFMatcher(cv2.NORM_L2)

    def inliers(self, i, j):
        d, p = self.descriptors, self.points
        if len(d[i]) < 4 or len(d[j]) < 4:
            return 0
        pairs = self.matcher.knnMatch(d[i], d[j], k=2)
        good = [a for a, b in (x for x in pairs if len(x) == 2) if a.distance < 0.8 * b.distance]
        if len(good) < 4:
            return 0
        src, dst = p[i][[m.queryIdx for m in good]], p[j][[m.trainIdx for m in good]]
        _, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=6.0)
        return int(mask.sum()) if mask is not None else 0

    def lnbnn(self, query, rows, owners, n_owners):
        """HotSpotter's local naive-Bayes nearest neighbour: each query descriptor votes for the
        owners of its K nearest catalog descriptors by how much closer they are than the (K+1)th."""
        q = self.descriptors[query]
        votes = np.zeros(n_owners, np.float32)
        if len(q) == 0:
            return votes
        cd = np.concatenate([self.descriptors[r] for r in rows])
        co = np.concatenate([np.full(len(self.descriptors[r]), o) for r, o in zip(rows, owners)])
        if len(cd) <= LNBNN_K:
            return votes
        d2 = np.maximum(2 - 2 * q @ cd.T, 0)      # RootSIFT descriptors are unit vectors
        idx = np.argpartition(d2, LNBNN_K, axis=1)[:, :LNBNN_K + 1]
        dd = np.take_along_axis(d2, idx, 1)
        order = np.argsort(dd, 1)
        idx, dd = np.take_along_axis(idx, order, 1), np.sqrt(np.take_along_axis(dd, order, 1))
        for j in range(LNBNN_K):
            np.add.at(votes, co[idx[:, j]], np.maximum(dd[:, LNBNN_K] - dd[:, j], 0))
        return votes


def global_lnbnn(verifier, cat, qry, owner_of_cat, n_individuals):
    """LNBNN over every catalog descriptor (FLANN kd-trees), as HotSpotter ranks on its own."""
    d = verifier.descriptors
    stacked = np.concatenate([d[r] for r in cat]).astype(np.float32)
    owners = np.concatenate([np.full(len(d[r]), owner_of_cat[i], np.int32) for i, r in enumerate(cat)])
    index = cv2.flann_Index(stacked, dict(algorithm=1, trees=4))
    votes = np.zeros((len(qry), n_individuals), np.float32)
    for qi, r in enumerate(qry):
        if len(d[r]) == 0:
            continue
        idx, dist = index.knnSearch(d[r].astype(np.float32), LNBNN_K + 1, params=dict(checks=64))
        dist = np.sqrt(np.maximum(dist, 0))
        for j in range(LNBNN_K):
            np.add.at(votes[qi], owners[idx[:, j]], np.maximum(dist[:, LNBNN_K] - dist[:, j], 0))
    return votes


def run(seed, x, lab, verifier, recipe):
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
    results = {"global ranking": top_accuracy(scores, truth)}

    # Per query: the leaders, each leader's PHOTOS closest photos' inlier counts, LNBNN over them.
    leaders = np.argsort(-scores, axis=1, kind="stable")[:, :LEADERS]
    inliers = np.zeros((len(known), LEADERS, PHOTOS), np.int32)
    local = np.zeros((len(known), LEADERS), np.float32)
    start = time.time()
    for qi, r in enumerate(known):
        rows, owners = [], []
        for c, ind in enumerate(leaders[qi]):
            mine = np.where(owner == ind)[0]
            mine = mine[np.argsort(-photo[qi, mine])][:PHOTOS]
            for k, row in enumerate(mine):
                inliers[qi, c, k] = verifier.inliers(r, cat[row])
            rows += [cat[row] for row in mine]
            owners += [c] * len(mine)
        local[qi] = verifier.lnbnn(r, rows, owners, LEADERS)
    print(f"seed {seed}: verified {len(known)} known queries in {time.time() - start:.0f} s", flush=True)

    def with_bonus(bonus, n_leaders):
        s = scores.copy()
        for qi in range(len(known)):
            s[qi, leaders[qi, :n_leaders]] += bonus[qi, :n_leaders]
        return top_accuracy(s, truth)

    for n_leaders in (10, 20):
        for photos in (1, 2, 3, 5):
            for w in (0.01, 0.015):
                bonus = w * np.minimum(inliers[:, :, :photos].max(2), 30)
                results[f"SIFT inliers: {n_leaders} leaders x {photos} photos, {w}/inlier"] = with_bonus(bonus, n_leaders)
        for w in (0.05, 0.1):
            results[f"LNBNN over the {n_leaders} leaders' photos, x{w}"] = with_bonus(w * local, n_leaders)
            bonus = 0.01 * np.minimum(inliers[:, :, :2].max(2), 30) + w * local
            results[f"station check (2 photos) + LNBNN over {n_leaders} leaders, x{w}"] = with_bonus(bonus, n_leaders)

    votes = global_lnbnn(verifier, cat, known, owner, len(names))
    results["LNBNN over the whole catalog alone"] = top_accuracy(votes, truth)
    for w in (0.05, 0.12, 0.2):
        results[f"global ranking + {w} x whole-catalog LNBNN"] = top_accuracy(scores + w * votes, truth)

    for k in (1, 3):
        idx = np.argsort(-photo, 1)[:, :k]
        w = np.take_along_axis(photo, idx, 1).clip(0)
        expanded = fr.l2n(q + (w[:, :, None] * g[idx]).sum(1))
        results[f"query expansion, top {k} photos"] = top_accuracy(
            fr.individual_scores(expanded, g, lab[cat], "max+centroid")[0], truth)
    gg = g @ g.T
    np.fill_diagonal(gg, -9)
    idx = np.argsort(-gg, 1)[:, :1]
    augmented = fr.l2n(g + (np.take_along_axis(gg, idx, 1).clip(0)[:, :, None] * g[idx]).sum(1))
    results["database-side augmentation, nearest catalog photo"] = top_accuracy(
        fr.individual_scores(q, augmented, lab[cat], "max+centroid")[0], truth)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="compact")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    dataset = os.path.basename(os.path.dirname(os.path.abspath(a.labels)))
    _, labels = fr.read_labels(a.labels)
    lab = np.asarray(labels)
    x = fr.l2n(five_view_features(a.labels, dataset))
    verifier = Verifier(np.load(os.path.join(fr.CACHE, dataset, "sift-300-0.04.npz"), allow_pickle=True))
    for seed in a.seed:
        for name, (top1, top5) in run(seed, x, lab, verifier, a.recipe).items():
            print(f"seed {seed}  {a.recipe:11s} {name:62s} top-1 {top1:.3f}  top-5 {top5:.3f}", flush=True)


if __name__ == "__main__":
    main()
