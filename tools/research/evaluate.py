"""evaluate LABELS.csv --seed S --unknown-fraction F --queries-per Q [--recipe NAME] [--calibrate MODE]

Runs the FlukeWatch evaluation contract on cached features (run extract.py on LABELS.csv first):
split, throw-away catalog, projection fitted on the catalog only, per-individual ranking, metrics at
the threshold calibrated from the catalog alone, and (for comparison) at the threshold tuned on the
queries themselves ("oracle").
"""
import argparse
import json
import os
import sys
import time

import numpy as np

import fluke_research as fr

# name -> (feature spec, projection params or None, aggregation)
RECIPES = {
    "baseline": ({"parts": [("pooled", 1)]}, None, "max"),
    "s16c80-g7": ({"parts": [("s16_c80", 7)]}, None, "max"),
    "s16c80-g7-lda": ({"parts": [("s16_c80", 7)]}, {"pca_dim": 1024, "alpha": 0.3}, "max"),
    # the recommendation (README): PCA 1536, LDA alpha 0.1 keeping every direction, max+centroid
    "recommended": ({"parts": [("s16_c80", 7)]}, {"pca_dim": 1536, "alpha": 0.1}, "max+centroid"),
    # the same with 384-d embeddings, for catalogs too large for 1536-d search
    "recommended-384": ({"parts": [("s16_c80", 7)]}, {"pca_dim": 1536, "alpha": 0.3, "out_dim": 384},
                        "max+centroid"),
}


def recipe_from_json(text):
    d = json.loads(text)
    spec = {"parts": [tuple(p) for p in d["parts"]], "power": d.get("power", False)}
    return spec, d.get("projection"), d.get("aggregation", "max")


def embed_all(x, labels, proj_params):
    if proj_params is None:
        return None
    return fr.fit_projection(x, labels, **proj_params)


def rank(q, g, g_labels, aggregation, k=5, exclude_row=None, exclude_individual=None):
    s, names = fr.individual_scores(q, g, g_labels, aggregation, exclude_row, exclude_individual)
    return fr.top_k(s, names, k)


def folds_by_individual(labels, folds, seed):
    inds = sorted(set(labels))
    rng = fr.SplitMix64(seed)
    rng.shuffle(inds)
    fold_of = {ind: i % folds for i, ind in enumerate(inds)}
    return np.array([fold_of[l] for l in labels])


def folds_by_photo(n, folds, seed):
    rows = list(range(n))
    rng = fr.SplitMix64(seed)
    rng.shuffle(rows)
    f = np.empty(n, dtype=np.int64)
    f[np.array(rows)] = np.arange(n) % folds
    return f


def simulate(x, labels, proj_params, aggregation, mode="individual", folds=5, seed=0):
    """Each catalog photo once as a known query (only itself removed; skipped when its individual has
    no other photo) and once as a new query (its whole individual removed). Returns (top_scores,
    correct_rank, best_score, top1_correct) for all simulated queries.

    mode 'individual': projection fitted in 5 folds over individuals; both kinds of query come from
    the held-out fold (so the projection never saw the query's individual).
    mode 'hybrid': new queries as above; known queries from 5 folds over photos (the projection saw
    the individual's other photos, as it does in service, but not the query photo).
    mode 'none': no cross-validation (projection fitted on everything; optimistic)."""
    labels = np.asarray(labels)
    n = len(labels)
    counts = {l: c for l, c in zip(*np.unique(labels, return_counts=True))}
    has_other = np.array([counts[l] >= 2 for l in labels])
    out_scores, out_rank = [], []

    def run(q_rows, emb, kind):
        if len(q_rows) == 0:
            return
        q = emb[q_rows]
        if kind == "known":
            names, scores = rank(q, emb, labels, aggregation, exclude_row=q_rows)
            truth = list(labels[q_rows])
        else:
            uniq = np.unique(labels)
            names, scores = rank(q, emb, labels, aggregation,
                                 exclude_individual=np.searchsorted(uniq, labels[q_rows]))
            truth = [fr.NEW] * len(q_rows)
        out_scores.append(scores)
        out_rank.append(fr.ranks_of_truth(names, truth))

    if proj_params is None:
        emb = x
        run(np.where(has_other)[0], emb, "known")
        run(np.arange(n), emb, "new")
    elif mode == "shared-pca":
        # PCA (label-free) once on the whole catalog, only the LDA refitted per individual fold
        params = dict(proj_params)
        mean, basis, _ = fr.fit_pca(x, params.pop("pca_dim", 1024))
        z = (np.asarray(x, dtype=np.float64) - mean) @ basis
        fi = folds_by_individual(list(labels), folds, seed)
        for k in range(folds):
            train = fi != k
            V = fr.fit_lda(z[train], labels[train], params.get("alpha", 0.3), params.get("out_dim"),
                           params.get("shrink", "identity"), params.get("eig_power", 0.0))
            emb = fr.l2n((z @ V).astype(np.float32))
            held = np.where(~train)[0]
            run(held, emb, "new")
            run(held[has_other[held]], emb, "known")
    elif mode == "none":
        emb = fr.apply_projection(fr.fit_projection(x, labels, **proj_params), x)
        run(np.where(has_other)[0], emb, "known")
        run(np.arange(n), emb, "new")
    else:
        fi = folds_by_individual(list(labels), folds, seed)
        for k in range(folds):
            train = fi != k
            emb = fr.apply_projection(fr.fit_projection(x[train], labels[train], **proj_params), x)
            held = np.where(~train)[0]
            run(np.arange(n)[~train], emb, "new")
            if mode == "individual":
                run(held[has_other[held]], emb, "known")
        if mode == "hybrid":
            fp = folds_by_photo(n, folds, seed)
            for k in range(folds):
                train = fp != k
                emb = fr.apply_projection(fr.fit_projection(x[train], labels[train], **proj_params), x)
                held = np.where(~train)[0]
                run(held[has_other[held]], emb, "known")
    scores = np.concatenate(out_scores)
    ranks = np.concatenate(out_rank)
    return scores, ranks


def evaluate(dataset, labels, seed, unknown_fraction, queries_per, recipe, calibrate="individual",
             match_precision=0.9, verbose=True, name=None):
    spec, proj_params, aggregation = recipe
    t0 = time.time()
    x = fr.features(dataset, spec)
    t_feat = time.time() - t0
    cat, qry, is_new = fr.split(labels, seed, unknown_fraction, queries_per)
    lab = np.asarray(labels)
    t0 = time.time()
    proj = embed_all(x[cat], lab[cat], proj_params)
    t_fit = time.time() - t0
    if proj is None:
        g, q = x[cat], x[qry]
    else:
        g, q = fr.apply_projection(proj, x[cat]), fr.apply_projection(proj, x[qry])
    t0 = time.time()
    names, scores = rank(q, g, lab[cat], aggregation)
    t_rank = (time.time() - t0) / max(len(qry), 1)
    truth = [fr.NEW if nw else l for nw, l in zip(is_new, lab[qry])]
    ranks = fr.ranks_of_truth(names, truth)
    t_oracle, map_oracle = fr.best_new_threshold(scores, ranks)
    t0 = time.time()
    result = {"recipe": name, "dataset": dataset, "seed": seed, "catalog": len(cat), "dim": int(g.shape[1])}
    if calibrate:
        s_scores, s_ranks = simulate(x[cat], lab[cat], proj_params, aggregation, mode=calibrate)
        t_new, sim_map = fr.best_new_threshold(s_scores, s_ranks)
        t_match = fr.match_threshold(s_scores[:, 0], (s_ranks == 1).astype(float), t_new, match_precision)
        result.update({"t_new": t_new, "t_match": t_match, "simulated_map5": sim_map,
                       "calibration_s": time.time() - t0})
    else:
        t_new = t_oracle
    m = fr.metrics(names, scores, truth, t_new)
    result.update(m)
    m_or = fr.metrics(names, scores, truth, t_oracle)
    result.update({"t_oracle": t_oracle, "map5_oracle": m_or["map5"], "fit_s": t_fit,
                   "rank_ms_per_query": 1000 * t_rank, "feature_s": t_feat})
    if calibrate:
        pred_match = scores[:, 0] >= result["t_match"]
        result["match_rate"] = float(pred_match.mean())
        result["match_precision"] = float(np.mean((ranks == 1)[pred_match])) if pred_match.any() else 0.0
        result["uncertain_rate"] = float(np.mean((scores[:, 0] >= t_new) & ~pred_match))
    if verbose:
        print(json.dumps(result))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unknown-fraction", type=float, default=0.2)
    ap.add_argument("--queries-per", type=int, default=2)
    ap.add_argument("--recipe", default="s16c80-g7-lda", help="a name in RECIPES or a JSON recipe")
    ap.add_argument("--calibrate", default="individual", choices=["individual", "hybrid", "shared-pca", "none", "off"])
    ap.add_argument("--match-precision", type=float, default=0.9)
    a = ap.parse_args()
    dataset = fr.dataset_of(a.labels)
    _, labels = fr.read_labels(os.path.join(fr.CACHE, dataset, "labels.csv"))
    recipe = RECIPES[a.recipe] if a.recipe in RECIPES else recipe_from_json(a.recipe)
    evaluate(dataset, labels, a.seed, a.unknown_fraction, a.queries_per, recipe,
             None if a.calibrate == "off" else a.calibrate, a.match_precision, name=a.recipe)


if __name__ == "__main__":
    sys.exit(main())
