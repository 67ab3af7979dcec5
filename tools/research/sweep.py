"""Quick sweep of embedding recipes on one split (oracle threshold; calibration is run by evaluate.py
for the recipes that survive). The PCA of each feature set is computed once per split and truncated.

Usage: sweep.py DATASET STAGE [--seed S]
  STAGE: layers | power | concat | lda | combo | focus | agg | dim (see main()), or a JSON
  {"parts": [[layer, grid], ...], "power": bool, "variants": [{...}, ...]}
Prints one JSON line per variant.
"""
import argparse
import json
import time

import numpy as np

import fluke_research as fr


def run_variants(dataset, seed, spec, variants, F=0.2, Q=2, pca_max=2048):
    _, labels = fr.read_labels(f"{fr.CACHE}/{dataset}/labels.csv")
    lab = np.asarray(labels)
    x = fr.features(dataset, spec)
    cat, qry, is_new = fr.split(labels, seed, F, Q)
    truth = [fr.NEW if nw else l for nw, l in zip(is_new, lab[qry])]
    pca = None
    for v in variants:
        t0 = time.time()
        agg = v.get("aggregation", "max")
        if v.get("pca_dim") is None:
            g, q = x[cat], x[qry]
        else:
            if pca is None:
                pca = fr.fit_pca(x[cat], pca_max)
            mean, basis, var = pca
            p = v["pca_dim"]
            b = basis[:, :p]
            if v.get("whiten"):
                b = b / np.sqrt(np.maximum(var[:p], 1e-12))
            zc = (x[cat] - mean) @ b
            zq = (x[qry] - mean) @ b
            if v.get("alpha") is None:
                g, q = fr.l2n(zc), fr.l2n(zq)
            else:
                V = fr.fit_lda(zc, lab[cat], v["alpha"], v.get("out_dim"), v.get("shrink", "identity"),
                               v.get("eig_power", 0.0))
                g, q = fr.l2n(zc @ V), fr.l2n(zq @ V)
        s, names = fr.individual_scores(q, g, lab[cat], agg)
        tn, ts = fr.top_k(s, names)
        ranks = fr.ranks_of_truth(tn, truth)
        t, _ = fr.best_new_threshold(ts, ranks)
        m = fr.metrics(tn, ts, truth, t)
        known = ranks >= 0
        rr = np.where(ranks[known] > 0, 1.0 / np.maximum(ranks[known], 1), 0.0)
        out = {"spec": spec, **v, "dim": int(g.shape[1]), "top1": round(m["top1"], 4), "top5": round(m["top5"], 4),
               "map5_oracle": round(m["map5"], 4), "known_map5": round(float(rr.mean()), 4),
               "t": round(t, 4), "s": round(time.time() - t0, 1)}
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("stage")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    d, s = a.dataset, a.seed
    lda = {"pca_dim": 1024, "alpha": 0.3}
    if a.stage == "layers":
        for parts in [[("pooled", 1)], [("s8_c40", 7)], [("s16_c80", 7)], [("s16_c112", 7)], [("s32_c192", 7)],
                      [("s32_c320", 7)], [("s16_c80", 2)], [("s16_c80", 14)], [("s16_c112", 2)]]:
            run_variants(d, s, {"parts": parts}, [{}, lda])
    elif a.stage == "power":
        for parts in [[("s16_c80", 7)], [("s16_c112", 7)], [("s32_c192", 7)]]:
            run_variants(d, s, {"parts": parts, "power": True}, [{}, lda])
    elif a.stage == "concat":
        for parts in [[("s16_c80", 7), ("s16_c112", 7)], [("s8_c40", 7), ("s16_c80", 7)],
                      [("s16_c80", 7), ("s32_c192", 7)], [("s16_c80", 7), ("s16_c112", 7), ("s32_c192", 7)]]:
            for power in (False, True):
                run_variants(d, s, {"parts": parts, "power": power}, [{}, lda])
    elif a.stage == "lda":
        spec = {"parts": [("s16_c80", 7)]}
        vs = []
        for p in (256, 512, 768, 1024, 1536, 2048):
            vs.append({"pca_dim": p, "alpha": 0.3})
        for al in (0.05, 0.1, 0.2, 0.5, 0.7, 0.9):
            vs.append({"pca_dim": 1024, "alpha": al})
        for k in (64, 128, 256, 446, 512):
            vs.append({"pca_dim": 1024, "alpha": 0.3, "out_dim": k})
        vs.append({"pca_dim": 1024, "alpha": 0.3, "whiten": True})
        vs.append({"pca_dim": 1024, "alpha": 0.3, "shrink": "diagonal"})
        vs.append({"pca_dim": 1024, "alpha": 0.3, "eig_power": 0.25})
        vs.append({"pca_dim": 1024, "alpha": 0.3, "eig_power": -0.25})
        vs.append({"pca_dim": 1024, "alpha": None})
        vs.append({"pca_dim": 1024, "alpha": None, "whiten": True})
        vs.append({"pca_dim": 1024, "alpha": 0.3, "aggregation": "top2"})
        vs.append({"aggregation": "top2"})
        run_variants(d, s, spec, vs)
    elif a.stage == "combo":  # seed 1: PCA dims x alpha x eigenvalue power x output dims
        run_variants(d, s, {"parts": [("s16_c80", 7)]},
                     [{"pca_dim": p, "alpha": al, "eig_power": e, "out_dim": k}
                      for p in (1024, 1536, 2048) for al in (0.1, 0.2, 0.3) for e in (0, 0.25, 0.5) for k in (256, None)])
    elif a.stage == "focus":  # the promising combinations, for seeds 2 and 3
        run_variants(d, s, {"parts": [("s16_c80", 7)]}, [
            {"pca_dim": 1024, "alpha": 0.3, "eig_power": 0, "out_dim": None},
            {"pca_dim": 1024, "alpha": 0.1, "eig_power": 0, "out_dim": None},
            {"pca_dim": 1024, "alpha": 0.2, "eig_power": 0.25, "out_dim": None},
            {"pca_dim": 1024, "alpha": 0.2, "eig_power": 0.25, "out_dim": 256},
            {"pca_dim": 1024, "alpha": 0.3, "eig_power": 0.25, "out_dim": 256},
            {"pca_dim": 1536, "alpha": 0.1, "eig_power": 0, "out_dim": None},
            {"pca_dim": 1536, "alpha": 0.2, "eig_power": 0, "out_dim": None},
            {"pca_dim": 1536, "alpha": 0.3, "eig_power": 0.25, "out_dim": None},
            {"pca_dim": 2048, "alpha": 0.1, "eig_power": 0, "out_dim": None}])
    elif a.stage == "agg":  # per-individual aggregation
        run_variants(d, s, {"parts": [("s16_c80", 7)]}, [
            {"pca_dim": 1536, "alpha": 0.1, "eig_power": 0, "aggregation": agg}
            for agg in ("max", "top2", "centroid", "max+centroid")] + [
            {"pca_dim": 1536, "alpha": 0.3, "eig_power": 0.25, "aggregation": agg}
            for agg in ("top2", "centroid", "max+centroid")] + [
            {"pca_dim": 1536, "alpha": 0.2, "eig_power": 0.125, "aggregation": agg} for agg in ("max", "max+centroid")])
    elif a.stage == "dim":  # smaller embeddings with max+centroid
        run_variants(d, s, {"parts": [("s16_c80", 7)]}, [
            {"pca_dim": p, "alpha": al, "eig_power": e, "out_dim": k, "aggregation": "max+centroid"}
            for p, al, e, k in [(1536, 0.1, 0, 256), (1536, 0.1, 0, 512), (1536, 0.2, 0, 256), (1536, 0.3, 0, 256),
                                (1536, 0.3, 0, 384), (1536, 0.2, 0.25, 256), (1536, 0.3, 0.25, 256),
                                (1024, 0.3, 0, 256), (1024, 0.2, 0.25, 256)]])
    elif a.stage.startswith("{"):
        cfg = json.loads(a.stage)
        spec = {"parts": [tuple(p) for p in cfg["parts"]], "power": cfg.get("power", False)}
        run_variants(d, s, spec, cfg["variants"])


if __name__ == "__main__":
    main()
