"""past_the_grid.py LABELS.csv STUDY [--seed S ...]

What else the frozen net gives once the station keeps the whole 14×14 map of its five views
(view_pooling.py). Every study starts from view_pooling.py's cache (`viewpool-s16_14.npy` and the
7×7 poolings beside it) and ranks known queries on the global ranking, no verification; top-1 /
top-5 / top-10 per seed. The studies:

  projection   the station's projection with its output or input changed: all 1 536 or 768 LDA
               directions, eigenvalues weighted λ^0.25, signed square root of the vector first;
               and each with the individual's score w·best photo + (1 − w)·centroid, w 0 … 1
  ensembles    the 14×14 projection's individual scores averaged with those of a second
               projection fitted on another pooling (7×7 mean or max, s8_c40, s16_c112)
  views        more views averaged in: ±30°, four shifts of 5 % (zoom 1.12), ±5°, a plain zoom
               1.2; extracts them once (fp32 ONNX, about 15 minutes on two cores) into
               .cache/<dataset>/extra-views-s16_14.npy (float16)
  dense        re-ranking the ten leaders by the maps themselves: each query cell's best match
               within ±2 cells, or mutual nearest cells that agree on one displacement, over the
               leader's two closest photos, added to the global score
"""
import argparse
import os

import numpy as np
from PIL import Image

import fluke_research as fr
import views as vw

STATION = dict(pca_dim=1536, alpha=0.2, out_dim=384)
SEVEN = dict(pca_dim=1536, alpha=0.3, out_dim=384)
# (degrees, zoom, shift right, shift down as fractions of the side)
EXTRA_VIEWS = [(30, 1.4, 0, 0), (-30, 1.4, 0, 0), (0, 1.12, 0.05, 0), (0, 1.12, -0.05, 0), (0, 1.12, 0, 0.05),
               (0, 1.12, 0, -0.05), (5, 1.1, 0, 0), (-5, 1.1, 0, 0), (0, 1.2, 0, 0)]
VIEW_SETS = {"±30°": [0, 1], "four 5 % shifts": [2, 3, 4, 5], "±5°": [6, 7], "zoom 1.2": [8],
             "all nine": list(range(9))}


def ranked(s, names, truth, depth=10):
    top = names[np.argsort(-s, axis=1, kind="stable")[:, :depth]]
    return tuple(float(np.mean([t in r[:k] for t, r in zip(truth, top)])) for k in (1, 5, 10))


def show(label, seed, figures):
    print(f"{label:44s} seed {seed}: " + " / ".join(f"{v:.3f}" for v in figures), flush=True)


class Split:
    def __init__(self, labels, seed):
        cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
        self.seed = seed
        self.cat = np.asarray(cat)
        self.qry = np.asarray(qry)[~is_new]
        self.lab = np.asarray(labels)
        self.truth = self.lab[self.qry]

    def project(self, x, **params):
        proj = fr.fit_projection(x[self.cat], self.lab[self.cat], **params)
        return fr.apply_projection(proj, x[self.qry]), fr.apply_projection(proj, x[self.cat])

    def scores(self, x, aggregation="max+centroid", **params):
        q, g = self.project(x, **params)
        return fr.individual_scores(q, g, self.lab[self.cat], aggregation)


def projection_study(x, split):
    variants = {"station (PCA 1536, α 0.2, 384)": (x, STATION),
                "λ^0.25": (x, dict(STATION, eig_power=0.25)),
                "signed sqrt first": (fr.l2n(np.sign(x) * np.sqrt(np.abs(x))), STATION),
                "768 directions": (x, dict(STATION, out_dim=768)),
                "all 1 536 directions": (x, dict(STATION, out_dim=1536))}
    for label, (xv, params) in variants.items():
        q, g = split.project(xv, **params)
        best, names = fr.individual_scores(q, g, split.lab[split.cat], "max")
        centroid, _ = fr.individual_scores(q, g, split.lab[split.cat], "centroid")
        for w in (0.0, 0.25, 0.5, 0.75, 1.0):
            show(f"{label}, w {w}", split.seed, ranked(w * best + (1 - w) * centroid, names, split.truth))


def ensemble_study(dataset, x, split):
    base, names = split.scores(x, **STATION)
    show("14×14 alone", split.seed, ranked(base, names, split.truth))
    for kind in ("s16_7", "s16_7max", "s8_7", "s16b_7"):
        other, _ = split.scores(np.asarray(np.load(cache(dataset, f"viewpool-{kind}.npy"), mmap_mode="r")), **SEVEN)
        show(f"{kind} alone", split.seed, ranked(other, names, split.truth))
        for w in (0.25, 0.5):
            show(f"14×14 + {w} × {kind}", split.seed, ranked((1 - w) * base + w * other, names, split.truth))


def cache(dataset, name):
    return os.path.join(fr.CACHE, dataset, name)


def extra_view(im, degrees, zoom, dx, dy):
    w, h = im.size
    r = im.rotate(degrees, resample=Image.BILINEAR) if degrees else im
    cw, ch = w / zoom, h / zoom
    x0, y0 = (w - cw) / 2 + dx * w, (h - ch) / 2 + dy * h
    return r.resize((224, 224), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))


def extra_views(labels_csv, dataset):
    path = cache(dataset, "extra-views-s16_14.npy")
    if os.path.exists(path):
        return np.load(path, mmap_mode="r")
    sess = vw.session(threads=2)
    root, files = vw.photos(labels_csv)
    out = np.zeros((len(EXTRA_VIEWS), len(files), 80 * 14 * 14), np.float16)
    for i, f in enumerate(files):
        im = vw.load(root, f)
        for k, v in enumerate(EXTRA_VIEWS):
            m = sess.run(["s16_c80"], {"input": vw.network_input(extra_view(im, *v))})[0].reshape(-1)
            out[k, i] = m / max(np.linalg.norm(m), 1e-12)
        if i % 500 == 0:
            print(f"extra views {i}/{len(files)}", flush=True)
    np.save(path, out)
    return out


def views_study(labels_csv, dataset, x, split):
    extra = extra_views(labels_csv, dataset)
    # The cache holds the normalised mean of five unit views; the views agree at a cosine of about
    # 0.6, so their sum is about 4.5 units long and a further unit view is weighed against that.
    base = np.asarray(x) * 4.5
    show("the five views (station)", split.seed, ranked(*split.scores(np.asarray(x), **STATION), split.truth))
    for label, ks in VIEW_SETS.items():
        xv = fr.l2n(base + sum(np.asarray(extra[k], np.float32) for k in ks))
        show(f"+ {label}", split.seed, ranked(*split.scores(xv, **STATION), split.truth))


def dense_study(x, split):
    q, g = split.project(x, **STATION)
    s, names = fr.individual_scores(q, g, split.lab[split.cat], "max+centroid")
    leaders = np.argsort(-s, axis=1, kind="stable")[:, :10]
    photo = q @ g.T
    individual_of = np.searchsorted(names, split.lab[split.cat])
    centre = np.asarray(x)[split.cat].reshape(-1, 80, 196).mean(axis=(0, 2))
    yy, xx = np.divmod(np.arange(196), 14)
    near = (np.abs(yy[:, None] - yy[None, :]) <= 2) & (np.abs(xx[:, None] - xx[None, :]) <= 2)

    def cells(row):
        m = np.asarray(x[row], np.float32).reshape(80, 196) - centre[:, None]
        return (m / np.maximum(np.linalg.norm(m, axis=0, keepdims=True), 1e-9)).T

    def agreement(a, b):
        sim = a @ b.T
        tolerant = np.where(near, sim, -1).max(axis=1).mean()
        j, back = sim.argmax(axis=1), sim.argmax(axis=0)
        mutual = back[j] == np.arange(196)
        if not mutual.any():
            return tolerant, 0
        dy, dx = yy[j] - yy, xx[j] - xx
        consistent = mutual & (np.abs(dy - np.median(dy[mutual])) <= 1) & (np.abs(dx - np.median(dx[mutual])) <= 1)
        return tolerant, consistent.sum()

    glob = np.take_along_axis(s, leaders, axis=1)
    tol, mnn = np.zeros_like(glob), np.zeros_like(glob)
    for qi, row in enumerate(split.qry):
        a = cells(row)
        for k, ind in enumerate(leaders[qi]):
            own = np.where(individual_of == ind)[0]
            best = own[np.argsort(-photo[qi, own])[:2]]
            pairs = [agreement(a, cells(split.cat[p])) for p in best]
            tol[qi, k], mnn[qi, k] = max(p[0] for p in pairs), max(p[1] for p in pairs)
    candidates = names[leaders]

    def reranked(score):
        order = np.argsort(-score, axis=1, kind="stable")
        top = np.take_along_axis(candidates, order, axis=1)
        return tuple(float(np.mean([t in r[:k] for t, r in zip(split.truth, top)])) for k in (1, 5))

    show("global ranking", split.seed, reranked(glob))
    for w in (0.1, 0.2, 0.5):
        show(f"+ {w} × cells' best match within ±2", split.seed, reranked(glob + w * tol))
    for w in (0.002, 0.005, 0.01):
        show(f"+ {w} × consistent mutual cells", split.seed, reranked(glob + w * mnn))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("study", choices=["projection", "ensembles", "views", "dense"])
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    dataset = fr.dataset_of(a.labels)
    _, labels = fr.read_labels(a.labels)
    path = cache(dataset, "viewpool-s16_14.npy")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run view_pooling.py {a.labels} first")
    x = np.load(path)
    for seed in a.seed:
        split = Split(labels, seed)
        if a.study == "projection":
            projection_study(x, split)
        elif a.study == "ensembles":
            ensemble_study(dataset, x, split)
        elif a.study == "views":
            views_study(a.labels, dataset, x, split)
        else:
            dense_study(x, split)


if __name__ == "__main__":
    main()
