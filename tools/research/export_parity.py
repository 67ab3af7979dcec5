"""Export a parity fixture for the Swift FlukeMatch check (kept OUT of the repo, under .cache/).

Usage: export_parity.py DATASET [--seed 1] [--recipe NAME] [--out DIR]
Writes DIR (default .cache/parity-DATASET) with:
  features.f32   N x D float32 little-endian: the recipe's pooled, L2-normalised features of every photo
  labels.txt     one individual per line, in row order
  maps.f32       the raw s16_c80 maps (80x14x14, NCHW) of the first 8 photos, to check GridPooling
  expected.json  split rows, projection parameters, per-query top-5 (ids and scores), metrics at the
                 calibrated and the oracle thresholds, calibration results, timings
Then: FLUKEMATCH_PARITY_DIR=DIR swift test --filter ResearchParityTests (in the scratch package).
"""
import argparse
import json
import os
import time

import numpy as np

import evaluate as ev
import fluke_research as fr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--recipe", default="recommended")
    ap.add_argument("--out")
    a = ap.parse_args()
    out = a.out or os.path.join(fr.CACHE, "parity-" + a.dataset)
    os.makedirs(out, exist_ok=True)
    spec, proj_params, aggregation = ev.RECIPES[a.recipe]
    _, labels = fr.read_labels(os.path.join(fr.CACHE, a.dataset, "labels.csv"))
    lab = np.asarray(labels)
    x = fr.features(a.dataset, spec)
    x.astype("<f4").tofile(os.path.join(out, "features.f32"))
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    maps = np.asarray(fr.feature_map(a.dataset, "s16_c80")[:8], dtype=np.float32)
    maps.astype("<f4").tofile(os.path.join(out, "maps.f32"))
    pooled8 = fr.l2n(fr.grid_pool(maps, 7))

    cat, qry, is_new = fr.split(labels, a.seed, 0.2, 2)
    t0 = time.time()
    proj = fr.fit_projection(x[cat], lab[cat], **proj_params)
    fit_s = time.time() - t0
    g, q = fr.apply_projection(proj, x[cat]), fr.apply_projection(proj, x[qry])
    names, scores = ev.rank(q, g, lab[cat], aggregation)
    truth = [fr.NEW if nw else l for nw, l in zip(is_new, lab[qry])]
    ranks = fr.ranks_of_truth(names, truth)
    t_oracle, _ = fr.best_new_threshold(scores, ranks)
    t0 = time.time()
    s_scores, s_ranks = ev.simulate(x[cat], lab[cat], proj_params, aggregation, mode="individual")
    cal_s = time.time() - t0
    t_new, sim_map = fr.best_new_threshold(s_scores, s_ranks)
    t_match = fr.match_threshold(s_scores[:, 0], (s_ranks == 1).astype(float), t_new, 0.9)
    expected = {
        "dataset": a.dataset, "seed": a.seed, "unknown_fraction": 0.2, "queries_per": 2,
        "dimension": int(x.shape[1]), "rows": int(x.shape[0]),
        "projection": proj_params, "aggregation": aggregation,
        "catalog_rows": cat.tolist(), "query_rows": qry.tolist(), "query_is_new": is_new.tolist(),
        "top5_ids": names.tolist(), "top5_scores": scores.astype(float).tolist(),
        "calibrated": {"t_new": t_new, "t_match": t_match, "simulated_map5": sim_map,
                       "known": int(np.sum(s_ranks >= 0)), "new": int(np.sum(s_ranks == -1))},
        "metrics_calibrated": fr.metrics(names, scores, truth, t_new),
        "t_oracle": t_oracle,
        "metrics_oracle": fr.metrics(names, scores, truth, t_oracle),
        "pooled_first8": pooled8.astype(float).tolist(),
        "numpy_seconds": {"fit": fit_s, "calibration": cal_s},
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print(json.dumps({k: expected[k] for k in ["calibrated", "metrics_calibrated", "t_oracle", "numpy_seconds"]}))


if __name__ == "__main__":
    main()
