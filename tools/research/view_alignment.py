"""view_alignment.py LABELS.csv [--seed S ...]

The station averages each photo's five views (crop, ±10°, ±20°) into one vector. Averaging blurs;
the alternative is an alignment search: keep the views apart and let a query and a catalog photo
meet at their best relative turn (the highest cosine over view pairs). This compares, on the
compact (station) recipe fitted on the averaged catalog vectors, known queries only, global
ranking (no verification):

  average        cosine of the averaged vectors (the station)
  query views    best of the query's five views against the catalog photo's average
  view pairs     best of the 5 × 5 view pairs
  average + pairs  the mean of the first and third
(an individual's score: its best photo; the station's max+centroid of the averages is printed too)

Per-view vectors of the fp32 Lite0 trunk (torch, backbones.trunk) are cached in
.cache/<dataset>/views-apart-lite0.npy (about 7 minutes for 4 500 photos on two cores).
"""
import argparse
import os

import numpy as np
import torch

import backbones
import fluke_research as fr
import views


def extract(labels_csv, dataset):
    forward, channels = backbones.load_trunk("lite0")
    out = os.path.join(fr.CACHE, dataset, "views-apart-lite0.npy")
    return views.cached_rows(out, labels_csv, lambda im: backbones.pooled_looks(forward, im),
                             shape=(1 + len(backbones.STATION_VIEWS), channels * 49))


def individual_best(photo_scores, cat_labels):
    """(queries × individuals) best photo score, and the individual names."""
    names, inv = np.unique(cat_labels, return_inverse=True)
    out = np.full((photo_scores.shape[0], len(names)), -np.inf, np.float32)
    for j in range(len(names)):
        out[:, j] = photo_scores[:, inv == j].max(1)
    return out, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    dataset, labels, lab = fr.labelled_set(a.labels)
    apart = extract(a.labels, dataset)
    n, k, d = apart.shape
    averaged = fr.l2n(apart.sum(1))
    for seed in a.seed:
        cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
        known = qry[~is_new]
        proj = fr.fit_projection(averaged[cat], lab[cat], **fr.PROJECTIONS["compact"])
        q_avg, c_avg = fr.apply_projection(proj, averaged[known]), fr.apply_projection(proj, averaged[cat])
        q_views = fr.apply_projection(proj, apart[known].reshape(-1, d)).reshape(len(known), k, -1)
        c_views = fr.apply_projection(proj, apart[cat].reshape(-1, d)).reshape(len(cat), k, -1)
        average = q_avg @ c_avg.T
        query_views = np.max([q_views[:, v] @ c_avg.T for v in range(k)], axis=0)
        pairs = np.max([q_views[:, v] @ c_views[:, w].T for v in range(k) for w in range(k)], axis=0)
        s, names = fr.individual_scores(q_avg, c_avg, lab[cat], "max+centroid")
        truth = np.searchsorted(names, lab[known])
        print(f"seed {seed} {'average, max+centroid':20s} top-1 %.3f top-5 %.3f" % fr.top_accuracy(s, truth), flush=True)
        for name, photo_scores in (("average (station)", average), ("query views", query_views),
                                   ("view pairs", pairs), ("average + pairs", 0.5 * (average + pairs))):
            s, _ = individual_best(photo_scores, lab[cat])
            top1, top5 = fr.top_accuracy(s, truth)
            print(f"seed {seed} {name:20s} top-1 {top1:.3f} top-5 {top5:.3f}", flush=True)


if __name__ == "__main__":
    main()
