"""view_budget.py MODEL.onnx:LABELS.csv ... [--seed S ...]

The station embeds every photo five times (the crop, ±10° and ±20°; ViewTransform.standard), which
costs five network runs: about 21 ms on the good host against the accuracy issue's 10 ms for the
embedding alone. Which cheaper embeddings keep the views' gain?

- fewer views (the crop and ±10°, the crop alone);
- the views on the catalog side only: a catalog photo is embedded once, off the photo → sighting
  path, so it can afford all five; the query pays for the crop alone (or three views);
- the extra views at a lower input size (160 or 112 pixels: about a half or a quarter of a run),
  their 10×10 or 7×7 maps resized bilinearly to 14×14 before the average.

Each MODEL:LABELS pair is a network and the photos it may be measured on (a fine-tuned fold's
package and its held-out whales, or the frozen package on the same whales). Every photo's views go
through the fp32 ONNX once (input size made free, outputs cut at `s16_c80`) and are cached as
float16 in .cache/view-budget/. Then, per seed, the research split of that set (Q 2, F 0.2), the
station's projection (whole 14×14 map, PCA 1536, LDA α 0.2, 384 dimensions) fitted on the catalog
part, known queries ranked by max + centroid: a comparison of embeddings, no verification, no
thresholds.
"""
import argparse
import hashlib
import os
import time

import numpy as np
from PIL import Image

import fluke_research as fr
import views as vw

STANDARD = [(0, 1.0), (10, 1.18), (-10, 1.18), (20, 1.35), (-20, 1.35)]
SIZES = [224, 160, 112]
PROJECTION = dict(pca_dim=1536, alpha=0.2, out_dim=384)

# name: (catalog looks, query looks). A look is (index into STANDARD, input size): a network run
# whose cost is counted in 224-pixel runs (the network's work grows with the pixels); or
# ("map", degrees, zoom[, look]): the crop's own 14×14 map (or that network look's) turned and
# zoomed, by bilinear resampling of the map itself (no network run: microseconds).
CROP = [(0, 224)]
TEN = [(0, 224), (1, 224), (2, 224)]
FIVE = [(i, 224) for i in range(5)]
FIVE_160 = [(0, 224)] + [(i, 160) for i in range(1, 5)]
FIVE_112 = [(0, 224)] + [(i, 112) for i in range(1, 5)]
MAP_FIVE = [(0, 224)] + [("map",) + v for v in STANDARD[1:]]
MAP_NINE = MAP_FIVE + [("map", 5, 1.09), ("map", -5, 1.09), ("map", 15, 1.27), ("map", -15, 1.27)]
MAP_ZOOM = [(0, 224), ("map", 0, 1.18), ("map", 0, 1.35)]
MAP_TURN = [(0, 224)] + [("map", d, 1.0) for d, _ in STANDARD[1:]]
MAP_WIDE = MAP_FIVE + [("map", 30, 1.45), ("map", -30, 1.45)]
TEN_MAPS = TEN + [("map",) + v for v in STANDARD[3:]]
ZOOMS_4 = [(0, 224)] + [("map", 0, z) for z in (1.1, 1.2, 1.3, 1.4)]
ZOOMS_WIDE = [(0, 224)] + [("map", 0, z) for z in (1.18, 1.35, 1.6)]
ZOOMS_TURNS = MAP_ZOOM + [("map",) + v for v in STANDARD[1:]]
PLUS10_ZOOMS = [(0, 224), (1, 224), ("map", 0, 1.18), ("map", 0, 1.35)]
PLUS10_MAPS = [(0, 224), (1, 224)] + [("map",) + v for v in STANDARD[2:]]
FIVE_CROP_ZOOMS = FIVE + [("map", 0, 1.18), ("map", 0, 1.35)]
FIVE_ALL_ZOOMED = FIVE + [("map", 0, 1.18, k) for k in FIVE]
FIVE_ALL_ZOOMED_TWICE = FIVE_ALL_ZOOMED + [("map", 0, 1.35, k) for k in FIVE]
CROP_ZOOMED = [(0, 224), ("map", 0, 1.18)]


def zoomed(looks, factors=(1.18, 1.35)):
    """The looks, and each look's map also magnified by every factor."""
    return looks + [("map", 0, f, k) for k in looks for f in factors]
CANDIDATES = {
    "five views both sides (the station)": (FIVE, FIVE),
    "the crop alone both sides": (CROP, CROP),
    "crop + ±10° both sides": (TEN, TEN),
    "five views in the catalog, the crop alone asked": (FIVE, CROP),
    "five views in the catalog, crop + ±10° asked": (FIVE, TEN),
    "crop + four views at 160 px both sides": (FIVE_160, FIVE_160),
    "crop + four views at 112 px both sides": (FIVE_112, FIVE_112),
    "five views in the catalog, crop + four at 112 px asked": (FIVE, FIVE_112),
    "the crop + its map turned like the four views, both sides": (MAP_FIVE, MAP_FIVE),
    "five views in the catalog, the crop + its turned maps asked": (FIVE, MAP_FIVE),
    "the crop + its map turned ±5° … ±20°, both sides": (MAP_NINE, MAP_NINE),
    "the crop + its map turned ±10°, ±20°, ±30°, both sides": (MAP_WIDE, MAP_WIDE),
    "the crop + its map zoomed only, both sides": (MAP_ZOOM, MAP_ZOOM),
    "the crop + its map turned only (no zoom), both sides": (MAP_TURN, MAP_TURN),
    "crop + ±10° run, ±20° as turned maps, both sides": (TEN_MAPS, TEN_MAPS),
    "the crop + its map zoomed 1.1 … 1.4, both sides": (ZOOMS_4, ZOOMS_4),
    "the crop + its map zoomed 1.18, 1.35, 1.6, both sides": (ZOOMS_WIDE, ZOOMS_WIDE),
    "the crop + its map zoomed, and turned like the views, both sides": (ZOOMS_TURNS, ZOOMS_TURNS),
    "crop + +10° run, the map zoomed, both sides": (PLUS10_ZOOMS, PLUS10_ZOOMS),
    "crop + +10° run, −10°, ±20° as turned maps, both sides": (PLUS10_MAPS, PLUS10_MAPS),
    "five views + the crop's map zoomed 1.18, 1.35, both sides": (FIVE_CROP_ZOOMS, FIVE_CROP_ZOOMS),
    "five views, each also as its map zoomed 1.18, both sides": (FIVE_ALL_ZOOMED, FIVE_ALL_ZOOMED),
    "five views, each also zoomed 1.18 and 1.35, both sides": (FIVE_ALL_ZOOMED_TWICE, FIVE_ALL_ZOOMED_TWICE),
    "the crop + its map zoomed 1.18, both sides": (CROP_ZOOMED, CROP_ZOOMED),
    "crop + ±10°, each also zoomed 1.18 and 1.35, both sides": (zoomed(TEN), zoomed(TEN)),
    "crop + +10°, each also zoomed 1.18 and 1.35, both sides": (zoomed(TEN[:2]), zoomed(TEN[:2])),
}


def cost(looks):
    return sum((spec[1] / 224) ** 2 for spec in looks if spec[0] != "map")


def map_warp(degrees, zoom, side=14):
    """(side², side²) bilinear resampling matrix that turns a side×side map counter-clockwise by
    `degrees` and zooms it by `zoom` about its centre, as the image views do (PIL's rotate: the
    output position p samples the input at the centre + R(−θ)·(p − centre)/zoom, y pointing down)."""
    t = np.deg2rad(degrees)
    c = (side - 1) / 2
    m = np.zeros((side * side, side * side), np.float32)
    for y in range(side):
        for x in range(side):
            dx, dy = (x - c) / zoom, (y - c) / zoom
            sx = c + np.cos(t) * dx - np.sin(t) * dy
            sy = c + np.sin(t) * dx + np.cos(t) * dy
            sx, sy = min(max(sx, 0), side - 1), min(max(sy, 0), side - 1)
            x0, y0 = int(np.floor(sx)), int(np.floor(sy))
            x1, y1 = min(x0 + 1, side - 1), min(y0 + 1, side - 1)
            fx, fy = sx - x0, sy - y0
            for yy, xx, w in ((y0, x0, (1 - fx) * (1 - fy)), (y0, x1, fx * (1 - fy)), (y1, x0, (1 - fx) * fy), (y1, x1, fx * fy)):
                m[y * side + x, yy * side + xx] += w
    return m


def free_size_model(model, out_dir):
    """A copy of the ONNX whose input height and width are free and whose only output is s16_c80
    (every convolution's padding is the same at 224, 160 and 112: all are even down to stride 16)."""
    import onnx

    tag = hashlib.sha256(open(model, "rb").read()).hexdigest()[:12]
    path = os.path.join(out_dir, f"s16-free-{tag}.onnx")
    if os.path.exists(path):
        return path, tag
    m = onnx.load(model)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "h", "w"
    keep = [o for o in m.graph.output if o.name == "s16_c80"]
    for o in keep:
        for d in o.type.tensor_type.shape.dim[2:]:
            d.dim_param = "m"
    del m.graph.output[:]
    m.graph.output.extend(keep)
    del m.graph.value_info[:]
    onnx.save(m, path)
    return path, tag


def look(im, degrees, zoom, size):
    """The crop turned and zoomed about its centre, resampled straight to size×size."""
    w, h = im.size
    r = im if degrees == 0 else im.rotate(degrees, resample=Image.BILINEAR)
    cw, ch = w / zoom, h / zoom
    return r.resize((size, size), Image.BILINEAR, box=((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2))


def to14(m):
    """An (80, s, s) map resized bilinearly (half-pixel centres) to (80, 14, 14)."""
    s = m.shape[1]
    if s == 14:
        return m
    c = (np.arange(14) + 0.5) * s / 14 - 0.5
    c = np.clip(c, 0, s - 1)
    i0 = np.floor(c).astype(int)
    i1 = np.minimum(i0 + 1, s - 1)
    f = (c - i0).astype(np.float32)
    rows = m[:, i0, :] * (1 - f)[None, :, None] + m[:, i1, :] * f[None, :, None]
    return rows[:, :, i0] * (1 - f)[None, None, :] + rows[:, :, i1] * f[None, None, :]


def extract(model, labels_csv, cache):
    """(photos, looks, 15 680) float16: every look's 14×14 map, L2-normalised."""
    free, tag = free_size_model(model, cache)
    out = os.path.join(cache, f"looks-{tag}-{hashlib.sha256(open(labels_csv, 'rb').read()).hexdigest()[:12]}.npy")
    if os.path.exists(out):
        return np.load(out, mmap_mode="r")
    sess = vw.session(free, threads=2)
    root, files = vw.photos(labels_csv)
    keys = [(i, s) for i in range(5) for s in SIZES if i == 0 and s == 224 or i > 0]
    rows = np.zeros((len(files), len(keys), 80 * 14 * 14), np.float16)
    start = time.time()
    for p, f in enumerate(files):
        im = vw.load(root, f)
        for k, (i, s) in enumerate(keys):
            degrees, zoom = STANDARD[i]
            m = sess.run(["s16_c80"], {"input": vw.network_input(look(im, degrees, zoom, s))})[0][0]
            v = to14(m).reshape(-1)
            rows[p, k] = v / max(np.linalg.norm(v), 1e-12)
        if p % 500 == 0:
            print(f"  {p}/{len(files)} photos, {time.time() - start:.0f} s", flush=True)
    np.save(out, rows)
    return np.load(out, mmap_mode="r")


def embed(rows, keys, looks, which):
    """The looks' maps averaged (each already L2-normalised), then L2-normalised, for rows `which`."""
    x = np.zeros((len(which), rows.shape[2]), np.float32)
    for spec in looks:
        if spec[0] == "map":
            source = spec[3] if len(spec) > 3 else (0, 224)
            m = np.asarray(rows[which, keys.index(source)], dtype=np.float32).reshape(-1, 196)
            v = (m @ map_warp(spec[1], spec[2]).T).reshape(len(which), -1)
            x += fr.l2n(v)
        else:
            x += np.asarray(rows[which, keys.index(spec)], dtype=np.float32)
    return fr.l2n(x)


def chosen(candidates, only, base):
    """The candidates named by --only (all when none is), the baseline `base` always among them."""
    return {k: v for k, v in candidates.items() if not only or k in only or k == base}


def rank_known(g, q, catalog_labels, truth):
    """Top-1 and top-5 of known queries `q` against catalog `g`: the station's projection fitted
    on the catalog, individuals scored by max + centroid."""
    proj = fr.fit_projection(g, catalog_labels, **PROJECTION)
    s, names = fr.individual_scores(fr.apply_projection(proj, q), fr.apply_projection(proj, g),
                                    catalog_labels, "max+centroid")
    top = names[np.argsort(-s, axis=1, kind="stable")[:, :5]]
    return float(np.mean(top[:, 0] == truth)), float(np.mean([t in r for t, r in zip(truth, top)]))


def pooled(results, base):
    """Per candidate, top-1 and top-5 over every (t1, t5, queries) result pooled, and the same for `base`."""
    n = sum(r[2] for r in results[base])
    mean = {name: tuple(sum(x[i] * x[2] for x in r) / n for i in (0, 1)) for name, r in results.items()}
    return mean, mean[base]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs", nargs="+", help="MODEL.onnx:LABELS.csv")
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--only", nargs="*", help="candidate names to run (default: all; the station's always runs)")
    a = ap.parse_args()
    candidates = chosen(CANDIDATES, a.only, "five views both sides (the station)")
    cache = os.path.join(fr.CACHE, "view-budget")
    os.makedirs(cache, exist_ok=True)
    keys = [(i, s) for i in range(5) for s in SIZES if i == 0 and s == 224 or i > 0]
    results = {name: [] for name in candidates}
    for pair in a.pairs:
        model, labels_csv = pair.split(":")
        print(f"{model} on {labels_csv}", flush=True)
        rows = extract(model, labels_csv, cache)
        _, labels = fr.read_labels(labels_csv)
        lab = np.asarray(labels)
        for seed in a.seed:
            cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
            known = np.asarray(qry)[~np.asarray(is_new)]
            truth = lab[known]
            for name, (catalog_looks, query_looks) in candidates.items():
                g = embed(rows, keys, catalog_looks, np.asarray(cat))
                q = embed(rows, keys, query_looks, known)
                t1, t5 = rank_known(g, q, lab[cat], truth)
                results[name].append((t1, t5, len(truth)))
                print(f"  seed {seed}  {name:58s} top-1 {t1:.3f}  top-5 {t5:.3f}", flush=True)
    print("\nknown queries pooled over every pair and seed (global ranking, fp32, no verification):")
    mean, (b1, b5) = pooled(results, "five views both sides (the station)")
    for name, (catalog_looks, query_looks) in candidates.items():
        t1, t5 = mean[name]
        print(f"{name:58s} query runs {cost(query_looks):4.2f}  top-1 {t1:.3f} ({t1 - b1:+.3f})  "
              f"top-5 {t5:.3f} ({t5 - b5:+.3f})")


if __name__ == "__main__":
    main()
