"""fuse_verified.py VERIFIED.npz

Geometric-verification prototype, step 3: fused score = global score + w * min(inliers, cap) for
the verified leaders; top-1, top-5, MAP@5 and new-individual precision/recall at the oracle
threshold (the threshold is tuned on the queries here: a comparison of fusions, not a result;
`flukewatch evaluate` calibrates on the catalog alone).
"""
import sys

import numpy as np

import fluke_research as fr


def report(names, leaders, fused, truth, tag):
    order = np.argsort(-fused, axis=1, kind="stable")[:, :5]
    top_names = names[np.take_along_axis(leaders, order, 1)]
    top_scores = np.take_along_axis(fused, order, 1)
    ranks = np.array([fr.ranks_of_truth(top_names[i:i + 1], [truth[i]])[0] for i in range(len(truth))])
    t, _ = fr.best_new_threshold(top_scores, ranks)
    m = fr.metrics(top_names, top_scores, truth, t)
    print(f"{tag:24s} top-1 {m['top1']:.3f}  top-5 {m['top5']:.3f}  MAP@5 {m['map5']:.3f}  "
          f"new P {m['new_precision']:.3f}  new R {m['new_recall']:.3f}")


def main():
    d = np.load(sys.argv[1], allow_pickle=True)
    names, leaders, inliers, truth = d["names"], d["leaders"], d["inliers"], list(d["truth"])
    base = np.take_along_axis(d["scores"], leaders, axis=1)
    report(names, leaders, base, truth, "global")
    for w in (0.005, 0.01, 0.02):
        report(names, leaders, base + w * np.minimum(inliers, 30), truth, f"+{w} per inlier, cap 30")
    for w in (0.05, 0.1):
        report(names, leaders, base + w * np.log1p(np.maximum(inliers - 4, 0)), truth, f"+{w} log inliers")


if __name__ == "__main__":
    main()
