"""Scoring a trunk on held-out TRAINING individuals (val-labels.csv), the way the station would use
it: 7x7-pooled s16_c80, PCA + regularised LDA fitted on a catalog part, cosine ranking. Never run
on evaluation individuals: these scores choose between models, so they must not see the test set.

Two scorers:
- `station_like_top1`: the last two photos of each individual are queries (about 60 queries on
  the right whales' 33 validation individuals); cheap enough to run after every epoch.
- `every_photo_top1`: every photo is a query once (the photos are dealt into folds and each fold is
  ranked against a catalog fitted on the others), on the station's five-view vectors and its
  max + centroid score. About 5x the queries, so about half the noise; used where a choice between
  a few finished models has to be trusted (interpolate.py).
"""
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from data import to_tensor
from network import LAST_BLOCK, SIZE

# The station's extra looks (FlukeVision `ViewTransform.standard`): degrees counter-clockwise and
# the zoom that keeps a turned square free of empty corners.
STATION_VIEWS = [(10, 1.18), (-10, 1.18), (20, 1.35), (-20, 1.35)]


def view(im, degrees, zoom):
    w, h = im.size
    turned = im.rotate(degrees, resample=Image.BILINEAR)
    cw, ch = w / zoom, h / zoom
    return turned.resize((SIZE, SIZE), Image.BILINEAR, box=((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2))


def l2n(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


@torch.no_grad()
def pooled_features(backbone, imgs, paths, bs=32, views=False):
    """(N, 3920) 7x7-pooled s16_c80 per photo; with `views`, the L2-normalised average of the
    photo's own and its four turned looks, as the station stores them."""
    device = next(backbone.parameters()).device

    def run(batch):
        x = torch.stack([to_tensor(im) for im in batch]).to(device)
        return F.adaptive_avg_pool2d(backbone(x, first_trainable=LAST_BLOCK + 1), 7).flatten(1).cpu().double().numpy()

    if not views:
        return np.concatenate([run([imgs.get(p) for p in paths[i:i + bs]]) for i in range(0, len(paths), bs)])
    out = []
    for p in paths:
        im = imgs.get(p)
        looks = l2n(run([im] + [view(im, d, z) for d, z in STATION_VIEWS]))
        out.append(l2n(looks.mean(0)))
    return np.stack(out)


def lda_embedding(X, catalog, labels, pca_dim=256, alpha=0.1):
    """PCA + regularised LDA fitted on the catalog rows of X (already L2-normalised); every row
    embedded and L2-normalised. The within-individual scatter is shrunk toward the total scatter
    and whitened, keeping every direction."""
    Xc = X[catalog]
    mu = Xc.mean(0)
    _, _, Vt = np.linalg.svd(Xc - mu, full_matrices=False)
    d = min(pca_dim, len(catalog) - 1)
    Z = (X - mu) @ Vt[:d].T
    Zc, lc = Z[catalog], labels[catalog]
    Sw = np.zeros((d, d))
    for individual in set(lc):
        m = Zc[lc == individual]
        m = m - m.mean(0)
        Sw += m.T @ m
    Sw /= len(catalog)
    A = (1 - alpha) * Sw + alpha * np.cov(Zc.T, bias=True)
    w, V = np.linalg.eigh(A)
    return l2n(Z @ (V / np.sqrt(np.maximum(w, 1e-12))))


def station_like_top1(feats, labels, q_per=2, pca_dim=256, alpha=0.1):
    """Per individual with >= 2 photos: the last q_per (at most n-1) photos are queries, the
    rest the catalog. Cosine nearest catalog photo, on the LDA embedding and on the raw vectors."""
    by = {}
    for i, individual in enumerate(labels):
        by.setdefault(individual, []).append(i)
    cat, qry = [], []
    for _, idx in sorted(by.items()):
        if len(idx) < 2:
            cat += idx
            continue
        q = min(q_per, len(idx) - 1)
        cat += idx[:-q]
        qry += idx[-q:]
    lab = np.array(labels)
    X = l2n(feats)
    res = {}
    for name, M in (("lda", lda_embedding(X, cat, lab, pca_dim, alpha)), ("raw", X)):
        best = np.array(cat)[(M[qry] @ M[cat].T).argmax(1)]
        res[name] = float(np.mean(lab[best] == lab[qry]))
    res["queries"] = len(qry)
    return res


def every_photo_top1(feats, labels, folds=3, pca_dim=256, alpha=0.1):
    """Every photo of an individual with >= 2 photos is a query once: photo j of an individual is
    in fold j mod `folds`, so each fold leaves every individual at least one catalog photo.
    Individuals are scored like the station (half best photo, half unit centroid)."""
    lab = np.array(labels)
    X = l2n(feats)
    by = {}
    for i, individual in enumerate(labels):
        by.setdefault(individual, []).append(i)
    fold = np.full(len(labels), -1)
    for idx in by.values():
        if len(idx) >= 2:
            for j, i in enumerate(idx):
                fold[i] = j % folds
    hits, queries = 0, 0
    for r in range(folds):
        qry = np.flatnonzero(fold == r)
        cat = np.flatnonzero(fold != r)
        E = lda_embedding(X, cat, lab, pca_dim, alpha)
        individuals = sorted(set(lab[cat]))
        sims = E[qry] @ E[cat].T
        scores = np.empty((len(qry), len(individuals)))
        for k, individual in enumerate(individuals):
            mine = lab[cat] == individual
            centroid = l2n(E[cat][mine].sum(0))
            scores[:, k] = 0.5 * (sims[:, mine].max(1) + E[qry] @ centroid)
        hits += int(np.sum(np.array(individuals)[scores.argmax(1)] == lab[qry]))
        queries += len(qry)
    return {"top1": hits / queries, "queries": queries}
