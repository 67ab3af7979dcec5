"""FlukeWatch identification research: split, features, projection, ranking, metrics, calibration.

Everything here is the reference the Swift FlukeMatch target is checked against, so each step is
written the way Swift does it (SplitMix64 split, grid pooling order, PCA -> regularised LDA with
LAPACK-style generalised eigenproblem, per-individual max, Kaggle MAP@5 with new_whale,
event-sweep threshold search). Only numpy.
"""
import csv
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
NEW = "new_whale"
# The projection settings of the station's two recipes (MatchingRecipe.compact / .recommended).
PROJECTIONS = {"compact": dict(pca_dim=1536, alpha=0.3, out_dim=384), "recommended": dict(pca_dim=1536, alpha=0.1)}
MASK64 = (1 << 64) - 1


# ----------------------------------------------------------------------------------------------
# Deterministic split
# ----------------------------------------------------------------------------------------------
class SplitMix64:
    """Steele, Lea & Flood's SplitMix64: 64-bit state, identical on every platform."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        """A value in 0..<n (modulo reduction: bias < n / 2^64, irrelevant for these sizes)."""
        return self.next() % n

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def split(labels, seed, unknown_fraction, queries_per):
    """The evaluation split (the contract; FlukeMatch.EvaluationSplit does the same).

    1. individuals sorted by code point (= UTF-8 byte order); shuffled with SplitMix64(seed)
       (Fisher-Yates from the end, j = next() % (i + 1)); the first floor(F * count + 0.5)
       of the shuffled order are unknown: all their photos are queries whose answer is new_whale.
    2. then, continuing the same generator, for every known individual in sorted order that has
       n >= 2 photos: its photo rows (file order) are shuffled and the first min(Q, n - 1) become
       queries, the rest catalog. So every known individual keeps at least one catalog photo, and an
       individual with 2 photos gives 1 query. Individuals with a single photo are catalog-only.
    Returns (catalog_rows, query_rows, query_is_new) with rows as indices into `labels`, sorted.
    """
    individuals = sorted(set(labels))
    rows_of = {}
    for i, l in enumerate(labels):
        rows_of.setdefault(l, []).append(i)
    rng = SplitMix64(seed)
    order = list(individuals)
    rng.shuffle(order)
    n_unknown = int(np.floor(unknown_fraction * len(individuals) + 0.5))
    unknown = set(order[:n_unknown])
    catalog, queries = [], []
    for ind in individuals:
        rows = list(rows_of[ind])
        if ind in unknown:
            queries += rows
        elif len(rows) >= 2:
            rng.shuffle(rows)
            q = min(queries_per, len(rows) - 1)
            queries += rows[:q]
            catalog += rows[q:]
        else:
            catalog += rows
    catalog.sort()
    queries.sort()
    is_new = np.array([labels[r] in unknown for r in queries], dtype=bool)
    return np.array(catalog), np.array(queries), is_new


def dataset_of(labels_csv):
    """A labelled set's name: the folder its labels.csv is in (the cache is kept under it)."""
    return os.path.basename(os.path.dirname(os.path.abspath(labels_csv)))


def labelled_set(labels_csv):
    """(name, labels as read, labels as an array) of a labelled set."""
    _, labels = read_labels(labels_csv)
    return dataset_of(labels_csv), labels, np.asarray(labels)


def read_labels(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["file"] for r in rows], [r["individual"] for r in rows]


# ----------------------------------------------------------------------------------------------
# Features
# ----------------------------------------------------------------------------------------------
_maps = {}


def feature_map(dataset, layer):
    key = (dataset, layer)
    if key not in _maps:
        _maps[key] = np.load(os.path.join(CACHE, dataset, layer + ".npy"), mmap_mode="r")
    return _maps[key]


def grid_pool(m, grid):
    """Average-pool an (N, C, H, W) map on a grid x grid layout of equal cells -> (N, C*grid*grid),
    channel-major (c, gy, gx). H must be a multiple of grid (14 -> 1, 2, 7, 14; 7 -> 1, 7)."""
    n, c, h, w = m.shape
    if grid == h:
        return np.asarray(m, dtype=np.float32).reshape(n, -1)
    assert h % grid == 0 and w % grid == 0, (h, grid)
    out = np.empty((n, c, grid, grid), np.float32)
    step = 512
    for s in range(0, n, step):
        blk = np.asarray(m[s:s + step], dtype=np.float32)
        out[s:s + step] = blk.reshape(blk.shape[0], c, grid, h // grid, grid, w // grid).mean(axis=(3, 5))
    return out.reshape(n, -1)


def l2n(x, eps=1e-12):
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)


def features(dataset, spec):
    """spec: list of (layer, grid) parts, plus options. Each part is pooled, optionally
    power-normalised (signed sqrt), L2-normalised; parts are concatenated and L2-normalised again."""
    parts = []
    for layer, grid in spec["parts"]:
        if layer == "pooled":
            x = np.asarray(feature_map(dataset, "pooled"), dtype=np.float32)
        else:
            x = grid_pool(feature_map(dataset, layer), grid)
        if spec.get("power"):
            x = np.sign(x) * np.sqrt(np.abs(x))
        parts.append(l2n(x))
    return l2n(np.concatenate(parts, axis=1)) if len(parts) > 1 else parts[0]


# ----------------------------------------------------------------------------------------------
# Projection: PCA then regularised LDA
# ----------------------------------------------------------------------------------------------
def fit_pca(x, dim):
    """Mean, top-`dim` principal directions (D x p, unit columns, best first) and their variances.
    Uses the Gram matrix (N x N) when N < D: same directions, a smaller eigenproblem."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    mean = x.mean(axis=0)
    xc = x - mean
    p = min(dim, n - 1, d)
    if n < d:
        evals, evecs = np.linalg.eigh(xc @ xc.T)
        idx = np.argsort(evals)[::-1][:p]
        evals, evecs = evals[idx], evecs[:, idx]
        basis = xc.T @ evecs / np.sqrt(np.maximum(evals, 1e-12))
    else:
        evals, evecs = np.linalg.eigh(xc.T @ xc)
        idx = np.argsort(evals)[::-1][:p]
        evals, basis = evals[idx], evecs[:, idx]
    keep = max(1, int(np.sum(evals > max(evals[0], 0) * 1e-10)))
    return mean, basis[:, :keep], evals[:keep] / n


def fit_lda(z, labels, alpha=0.3, out_dim=None, shrink="identity", eig_power=0.0):
    """Regularised LDA on centred rows z (N x p): returns V (p x k).

    Sw pooled within-class scatter (/N), Sb between-class scatter of class means weighted by class
    size (/N); Sw_reg = (1 - alpha) Sw + alpha * T, T = tr(Sw)/p * I ('identity') or diag(Sw)
    ('diagonal'); generalised symmetric problem Sb v = lambda Sw_reg v with v' Sw_reg v = 1 (LAPACK
    dsygvd convention), top out_dim by lambda; columns scaled by lambda^eig_power."""
    z = np.asarray(z, dtype=np.float64)
    n, p = z.shape
    classes, inv = np.unique(np.asarray(labels), return_inverse=True)
    counts = np.bincount(inv).astype(np.float64)
    sums = np.zeros((len(classes), p))
    np.add.at(sums, inv, z)
    means = sums / counts[:, None]
    zw = z - means[inv]
    sw = zw.T @ zw / n
    mu = z.mean(axis=0)
    mb = (means - mu) * np.sqrt(counts[:, None] / n)
    sb = mb.T @ mb
    target = np.eye(p) * (np.trace(sw) / p) if shrink == "identity" else np.diag(np.diag(sw))
    swr = (1 - alpha) * sw + alpha * target
    L = np.linalg.cholesky(swr)
    Linv = np.linalg.inv(L)
    m = Linv @ sb @ Linv.T
    lam, w = np.linalg.eigh((m + m.T) / 2)
    k = p if out_dim is None else min(out_dim, p)
    idx = np.argsort(lam)[::-1][:k]
    lam, w = lam[idx], w[:, idx]
    v = Linv.T @ w
    if eig_power:
        v = v * np.power(np.maximum(lam, 1e-12), eig_power)
    return v


def fit_projection(x, labels, pca_dim=1024, alpha=0.3, out_dim=None, whiten=False, shrink="identity",
                   eig_power=0.0):
    """Fit (mean, W) with W = PCA basis (D x p) @ LDA (p x k): embed(v) = l2n((v - mean) @ W).
    alpha None: PCA only."""
    mean, basis, var = fit_pca(x, pca_dim)
    if whiten:
        basis = basis / np.sqrt(np.maximum(var, 1e-12))
    if alpha is None:
        return mean.astype(np.float32), basis.astype(np.float32)
    z = (np.asarray(x, dtype=np.float64) - mean) @ basis
    v = fit_lda(z, labels, alpha, out_dim, shrink, eig_power)
    return mean.astype(np.float32), (basis @ v).astype(np.float32)


def apply_projection(proj, x):
    mean, W = proj
    return l2n((np.asarray(x, dtype=np.float32) - mean) @ W)


# ----------------------------------------------------------------------------------------------
# Ranking
# ----------------------------------------------------------------------------------------------
def individual_scores(q, g, g_labels, aggregation="max", exclude_row=None, exclude_individual=None):
    """Per-individual scores (n_q, n_ind) and the individual names (sorted).

    aggregation: 'max' (best row), 'top2' (mean of the two best rows), 'centroid' (cosine to the
    normalised sum of the individual's rows), 'max+centroid' (the mean of those two).
    exclude_row: per query, a gallery row it must not see (-1: none): the row is dropped from the
    max and from its individual's centroid. exclude_individual: per query, an individual index
    (into the returned names, -1: none) it must not see at all (its score becomes -inf).
    FlukeMatch.Gallery implements 'max' and 'max+centroid' the same way."""
    names, inv = np.unique(np.asarray(g_labels), return_inverse=True)
    nq = q.shape[0]
    s = q @ g.T
    rows_idx = np.arange(nq)
    if exclude_row is not None:
        er = np.asarray(exclude_row)
        has = er >= 0
        s_ex = s[rows_idx[has], er[has]].copy()
        s[rows_idx[has], er[has]] = -np.inf
    order = np.argsort(inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(len(names)))
    ss = s[:, order]
    if aggregation in ("max", "max+centroid"):
        mx = np.maximum.reduceat(ss, starts, axis=1)
    if aggregation == "max":
        out = mx
    elif aggregation == "top2":
        out = np.empty((nq, len(names)), np.float32)
        bounds = list(starts) + [ss.shape[1]]
        for i in range(len(names)):
            blk = ss[:, bounds[i]:bounds[i + 1]]
            if blk.shape[1] == 1:
                out[:, i] = blk[:, 0]
            else:
                top = -np.partition(-blk, 1, axis=1)[:, :2]
                out[:, i] = np.where(np.isfinite(top[:, 1]), top.mean(axis=1), top[:, 0])
    elif aggregation in ("centroid", "max+centroid"):
        sums = np.zeros((len(names), g.shape[1]), np.float32)
        np.add.at(sums, inv, g)
        norms = np.linalg.norm(sums, axis=1)
        cs = (q @ sums.T) / np.maximum(norms, 1e-12)
        if exclude_row is not None and has.any():
            # centroid of the individual without the excluded row
            qi = rows_idx[has]
            ind = inv[er[has]]
            rest = sums[ind] - g[er[has]]
            rn = np.linalg.norm(rest, axis=1)
            val = (np.einsum("ij,ij->i", q[qi], sums[ind]) - s_ex) / np.maximum(rn, 1e-12)
            cs[qi, ind] = np.where(rn > 1e-6, val, -np.inf)
        out = cs if aggregation == "centroid" else 0.5 * (cs + mx)
    else:
        raise ValueError(aggregation)
    out = np.asarray(out, dtype=np.float32)
    if exclude_individual is not None:
        ei = np.asarray(exclude_individual)
        has_i = ei >= 0
        out[rows_idx[has_i], ei[has_i]] = -np.inf
    return out, names


def top_k(scores, names, k=5):
    """Top-k individual indices and scores per query, best first (ties: lower name index first)."""
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return names[idx], np.take_along_axis(scores, idx, axis=1)


# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------
def predictions(top_names, top_scores, t_new):
    """Kaggle list: new_whale acts as a candidate scoring exactly t_new, placed after every
    candidate scoring >= t_new; the list is cut to 5."""
    out = []
    for names, scores in zip(top_names, top_scores):
        lst = [n for n, s in zip(names, scores) if s >= t_new]
        lst.append(NEW)
        lst += [n for n, s in zip(names, scores) if s < t_new]
        out.append(lst[:5])
    return out


def metrics(top_names, top_scores, truth, t_new):
    """truth: list of true labels, NEW for unknown individuals."""
    preds = predictions(top_names, top_scores, t_new)
    ap = []
    for p, t in zip(preds, truth):
        ap.append(1.0 / (p.index(t) + 1) if t in p else 0.0)
    known = np.array([t != NEW for t in truth])
    tn = np.asarray(top_names)
    tr = np.asarray(truth)
    top1 = float(np.mean(tn[known, 0] == tr[known])) if known.any() else 0.0
    top5 = float(np.mean((tn[known, :5] == tr[known, None]).any(axis=1))) if known.any() else 0.0
    pred_new = np.asarray(top_scores)[:, 0] < t_new
    is_new = ~known
    tp = int(np.sum(pred_new & is_new))
    prec = tp / max(int(pred_new.sum()), 1)
    rec = tp / max(int(is_new.sum()), 1)
    ap = np.asarray(ap)
    return {"map5": float(np.mean(ap)), "map5_known": float(ap[known].mean()) if known.any() else 0.0,
            "map5_new": float(ap[~known].mean()) if (~known).any() else 0.0,
            "map5_if_all_new": float(np.mean(~known)), "top1": top1, "top5": top5, "new_precision": prec, "new_recall": rec,
            "queries": len(truth), "known_queries": int(known.sum()), "new_queries": int(is_new.sum())}


# ----------------------------------------------------------------------------------------------
# Threshold search (exact sweep over the step function)
# ----------------------------------------------------------------------------------------------
def best_new_threshold(top_scores, correct_rank):
    """Threshold maximising mean average precision@5 (FlukeMatch.ThresholdSearch does the same).

    top_scores: (n, 5) best-first candidate scores; correct_rank: 1..5 for a known query whose
    individual is at that rank, 0 for a known query whose individual is not in the top 5, -1 for a
    new query. With c(t) = #{candidates >= t}, new_whale sits at position c + 1, and a query's
    precision is a function of c only; c drops by one each time t passes above one of its scores.
    Sweep all scores upwards with precisions scaled by 60 (integers: exact sums, ties broken the same
    everywhere), return the midpoint of the best step (the first of equal ones).
    """
    n, ks = top_scores.shape

    def prec60(c, r):
        if r == -1:
            return 60 // (c + 1) if c + 1 <= 5 else 0
        if r == 0:
            return 0
        if c >= r:
            return 60 // r
        return 60 // (r + 1) if r + 1 <= 5 else 0

    table = np.array([[prec60(c, r) for c in range(6)] for r in [-1, 0, 1, 2, 3, 4, 5]], dtype=np.int64)
    rows = correct_rank + 1
    total = int(np.sum(table[rows, ks]))  # t below every score: all candidates before new_whale
    ev_s = top_scores.reshape(-1)
    qi = np.repeat(np.arange(n), ks)
    cj = np.tile(np.arange(ks), n)
    delta = table[rows[qi], cj] - table[rows[qi], cj + 1]
    order = np.argsort(ev_s, kind="stable")
    ev_s, delta = ev_s[order], delta[order]
    uniq, start = np.unique(ev_s, return_index=True)
    totals = np.concatenate([[total], total + np.cumsum(np.add.reduceat(delta, start))])
    best_i = int(np.argmax(totals))
    if best_i == 0:
        t = uniq[0] - np.float32(0.01)
    elif best_i == len(uniq):
        t = uniq[-1] + np.float32(0.01)
    else:
        t = np.float32(0.5) * (uniq[best_i - 1] + uniq[best_i])
    return float(t), float(totals[best_i]) / 60.0 / n


def match_threshold(best_scores, top1_correct, t_new, precision=0.9):
    """Lowest t >= t_new such that, of simulated queries scoring >= t, a fraction >= precision had
    the right individual first (new queries count as wrong). Midpoint between scores; if no t
    reaches it, the highest score + 0.01 (never 'match')."""
    order = np.argsort(-best_scores, kind="stable")
    s = best_scores[order]
    c = np.cumsum(top1_correct[order])
    tot = np.arange(1, len(s) + 1)
    prec = c / tot
    # candidate cut after position i (accept the i+1 highest): valid only where s[i] > s[i+1]
    ok = np.where((prec >= precision) & (np.append(s[:-1] > s[1:], True)) & (s >= t_new))[0]
    if len(ok) == 0:
        return float(s[0] + np.float32(0.01))
    i = ok[-1]
    t = np.float32(0.5) * (s[i] + s[i + 1]) if i + 1 < len(s) else s[i] - np.float32(0.01)
    return float(max(float(t), t_new))


def top_accuracy(scores, truth):
    """(top-1, top-5) of column truth[i] in row i of `scores` (queries × individuals); a tie counts
    against the truth."""
    t = scores[np.arange(len(truth)), truth]
    rank = (scores > t[:, None]).sum(1)
    return float(np.mean(rank == 0)), float(np.mean(rank < 5))


def ranks_of_truth(top_names, truth):
    r = np.zeros(len(truth), dtype=np.int64)
    for i, (names, t) in enumerate(zip(top_names, truth)):
        if t == NEW:
            r[i] = -1
        else:
            hit = np.where(np.asarray(names) == t)[0]
            r[i] = hit[0] + 1 if len(hit) else 0
    return r
