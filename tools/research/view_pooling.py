"""view_pooling.py LABELS.csv [--seed S ...] [--only NAME ...]

With the station's five views in place (the crop and ±10°, ±20°; views.py), is 7×7 average pooling of
`s16_c80` and the compact projection (PCA 1536, α 0.3, 384 dimensions) still the best recipe? Every
photo's five views go through the fp32 ONNX once; several poolings of the feature maps are averaged
over the views (each view L2-normalised first) and cached in .cache/<dataset>/viewpool-<kind>.npy
(about 5 minutes for 4 500 photos on two cores). Then each candidate (a pooling, or two concatenated,
and projection settings) is fitted on the catalog part and ranked; known queries, global ranking,
no verification: a comparison of recipes.
"""
import argparse
import os

import numpy as np

import fluke_research as fr
import views as vw

STANDARD_VIEWS = [(0, 1.0), (10, 1.18), (-10, 1.18), (20, 1.35), (-20, 1.35)]
OUTPUTS = ["s8_c40", "s16_c80", "s16_c112"]


def poolings(outs):
    """Every pooling kind of one view's maps, each a flat float32 vector."""
    s8, s16, s16b = (outs[k][0] for k in OUTPUTS)
    sec = s16.reshape(80, -1)
    gram = sec @ sec.T / sec.shape[1]
    iu = np.triu_indices(80)
    return {
        "s16_7": s16.reshape(80, 7, 2, 7, 2).mean(axis=(2, 4)).reshape(-1),
        "s16_7max": s16.reshape(80, 7, 2, 7, 2).max(axis=(2, 4)).reshape(-1),
        "s16_14": s16.reshape(-1),
        "s8_7": s8.reshape(40, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(-1),
        "s16b_7": s16b.reshape(112, 7, 2, 7, 2).mean(axis=(2, 4)).reshape(-1),
        "s16_gram": np.sign(gram[iu]) * np.sqrt(np.abs(gram[iu])),
    }


def extract(labels_csv, dataset):
    out = {k: os.path.join(fr.CACHE, dataset, f"viewpool-{k}.npy") for k in poolings(_dummy_outputs())}
    if all(os.path.exists(p) for p in out.values()):
        return {k: np.load(p, mmap_mode="r") for k, p in out.items()}
    sess = vw.session(threads=2)
    root, files = vw.photos(labels_csv)
    acc = None
    for i, f in enumerate(files):
        im = vw.load(root, f)
        photo = None
        for degrees, zoom in STANDARD_VIEWS:
            look = im if degrees == 0 else vw.view(im, degrees, zoom)
            outs = dict(zip(OUTPUTS, sess.run(OUTPUTS, {"input": vw.network_input(look)})))
            pooled = {k: v / max(np.linalg.norm(v), 1e-12) for k, v in poolings(outs).items()}
            photo = pooled if photo is None else {k: photo[k] + pooled[k] for k in photo}
        if acc is None:
            acc = {k: np.zeros((len(files), v.size), np.float32) for k, v in photo.items()}
        for k, v in photo.items():
            acc[k][i] = v / max(np.linalg.norm(v), 1e-12)
        if i % 500 == 0:
            print(f"{i}/{len(files)}", flush=True)
    for k, v in acc.items():
        np.save(out[k], v)
    return acc


def _dummy_outputs():
    return {"s8_c40": np.zeros((1, 40, 28, 28), np.float32), "s16_c80": np.zeros((1, 80, 14, 14), np.float32),
            "s16_c112": np.zeros((1, 112, 14, 14), np.float32)}


def station_grid(x14, grid):
    """The whole 14×14 map (N, 80·14·14) pooled on a grid×grid layout of cells the way
    FlukeMatch.GridPooling cuts them when 14 is not a multiple (neighbouring cells share a row or
    column), then L2-normalised."""
    n = x14.shape[0]
    m = np.asarray(x14, dtype=np.float32).reshape(n, 80, 14, 14)
    out = np.empty((n, 80, grid, grid), np.float32)
    for gy in range(grid):
        y0, y1 = gy * 14 // grid, -(-(gy + 1) * 14 // grid)
        for gx in range(grid):
            x0, x1 = gx * 14 // grid, -(-(gx + 1) * 14 // grid)
            out[:, :, gy, gx] = m[:, :, y0:y1, x0:x1].mean(axis=(2, 3))
    return fr.l2n(out.reshape(n, -1))


COMPACT = dict(pca_dim=1536, alpha=0.3, out_dim=384)


def compact(**changes):
    """The compact projection with some of its settings changed."""
    return dict(COMPACT, **changes)


# (name, pooling kinds concatenated, projection parameters)
CANDIDATES = [
    ("station until 2026-12-01: s16 7x7, compact", ["s16_7"], COMPACT),
    ("s16 7x7, a 0.1 384", ["s16_7"], compact(alpha=0.1)),
    ("s16 7x7, a 0.2 384", ["s16_7"], compact(alpha=0.2)),
    ("s16 7x7, a 0.5 384", ["s16_7"], compact(alpha=0.5)),
    ("s16 7x7, pca 1024 a 0.3 384", ["s16_7"], compact(pca_dim=1024)),
    ("s16 7x7, a 0.3 256", ["s16_7"], compact(out_dim=256)),
    ("s16 7x7, a 0.3 512", ["s16_7"], compact(out_dim=512)),
    ("s16 7x7 max, compact", ["s16_7max"], COMPACT),
    ("s8 7x7, compact", ["s8_7"], COMPACT),
    ("s16b 7x7, compact", ["s16b_7"], COMPACT),
    ("s16 gram, compact", ["s16_gram"], COMPACT),
    ("s16 7x7 + s8 7x7, compact", ["s16_7", "s8_7"], COMPACT),
    ("s16 7x7 + s16 gram, compact", ["s16_7", "s16_gram"], COMPACT),
    ("s16 7x7 + 7x7 max, compact", ["s16_7", "s16_7max"], COMPACT),
    ("s16 7x7 + s16b 7x7, compact", ["s16_7", "s16b_7"], COMPACT),
    ("s16 10x10, a 0.2 384", ["s16_10"], compact(alpha=0.2)),
    ("s16 12x12, a 0.2 384", ["s16_12"], compact(alpha=0.2)),
    ("s16 14x14, compact", ["s16_14"], COMPACT),
    ("s16 14x14, pca 1024 a 0.3 384", ["s16_14"], compact(pca_dim=1024)),
    ("s16 14x14, pca 2048 a 0.3 384", ["s16_14"], compact(pca_dim=2048)),
    ("s16 14x14, a 0.3 512", ["s16_14"], compact(out_dim=512)),
    ("s16 14x14, a 0.1 384", ["s16_14"], compact(alpha=0.1)),
    ("s16 14x14, a 0.15 384", ["s16_14"], compact(alpha=0.15)),
    ("station: s16 14x14, a 0.2 384", ["s16_14"], compact(alpha=0.2)),
]


def kind(pooled, name):
    """A cached pooling, or the whole map re-pooled on a coarser station grid (`s16_10`)."""
    if name in pooled:
        return np.asarray(pooled[name])
    return station_grid(pooled["s16_14"], int(name.split("_")[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    a = ap.parse_args()
    dataset = fr.dataset_of(a.labels)
    os.makedirs(os.path.join(fr.CACHE, dataset), exist_ok=True)
    _, labels = fr.read_labels(a.labels)
    lab = np.asarray(labels)
    pooled = extract(a.labels, dataset)
    for name, kinds, params in CANDIDATES:
        if a.only and name not in a.only:
            continue
        x = np.concatenate([kind(pooled, k) for k in kinds], axis=1)
        x = fr.l2n(x) if len(kinds) > 1 else x
        row = []
        for seed in a.seed:
            cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
            known = ~is_new
            proj = fr.fit_projection(x[cat], lab[cat], **params)
            s, names = fr.individual_scores(fr.apply_projection(proj, x[qry][known]), fr.apply_projection(proj, x[cat]),
                                            lab[cat], "max+centroid")
            truth = lab[qry][known]
            top = names[np.argsort(-s, axis=1, kind="stable")[:, :5]]
            row.append((np.mean(top[:, 0] == truth), np.mean([t in r for t, r in zip(truth, top)])))
        figures = "  ".join(f"{t1:.3f} / {t5:.3f}" for t1, t5 in row)
        mean1, mean5 = np.mean([r[0] for r in row]), np.mean([r[1] for r in row])
        print(f"{name:44s} top-1 / top-5 per seed: {figures}   mean {mean1:.3f} / {mean5:.3f}", flush=True)


if __name__ == "__main__":
    main()
