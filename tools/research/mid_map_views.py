"""mid_map_views.py LABELS.csv [--seed S ...] [--model MODEL.onnx]

The station's four turned views cost four whole network runs. The map zooms showed that part of
their gain can be had by resampling the crop's own 14×14 `s16_c80` map; turning that map did not
add what turning the image does. Between the two lies a cheaper middle: run the network's early
blocks once, turn and zoom their map (stride 8, `s8_c40`, 28×28; or stride 4, `b2_out`, 56×56)
the way the view turns the image, and run only the later blocks for each view. Blocks 5–7 (from
`s8_c40`) are about a quarter of the network's multiply-adds; blocks 3–7 (from `b2_out`) about a
half.

Every photo's looks go through the fp32 ONNX once and are cached as float16 in
.cache/mid-views/: the five image views (the station), and the four views made at each of the two
middle maps. Then, per seed, the research split (Q 2, F 0.2), the station's projection (whole
14×14 map, PCA 1536, LDA α 0.2, 384) fitted on the catalog part, known queries ranked by max +
centroid: a comparison of embeddings, no verification, no thresholds. Every look's map is also
zoomed ×1.18 and ×1.35, as the station does.
"""
import argparse
import hashlib
import os
import time

import numpy as np

import fluke_research as fr
import view_budget as vb
import views as vw

SPLITS = {"s8": ("s8_c40", 28), "s4": ("b2_out", 56)}


def models(model, out_dir):
    """The full network with the two middle maps as outputs too, and its tail from each."""
    import onnx
    from onnx import utils

    tag = hashlib.sha256(open(model, "rb").read()).hexdigest()[:12]
    full = os.path.join(out_dir, f"full-{tag}.onnx")
    tails = {k: os.path.join(out_dir, f"tail-{k}-{tag}.onnx") for k in SPLITS}
    if not os.path.exists(full):
        m = onnx.load(model)
        have = {o.name for o in m.graph.output}
        keep = [o for o in m.graph.output if o.name in ("s16_c80", "s8_c40")]
        del m.graph.output[:]
        m.graph.output.extend(keep)
        if "b2_out" not in have:
            m.graph.output.append(onnx.helper.make_tensor_value_info("b2_out", onnx.TensorProto.FLOAT, [1, 24, 56, 56]))
        del m.graph.value_info[:]
        onnx.save(m, full)
        for k, (name, _) in SPLITS.items():
            utils.extract_model(model, tails[k], [name], ["s16_c80"])
    return full, tails


def warp_indices(degrees, zoom, side):
    """For each output position, the four source positions and bilinear weights that turn a
    side×side map counter-clockwise by `degrees` and zoom it by `zoom` about its centre (the
    geometry of view_budget.map_warp, edges repeated past the rim)."""
    t = np.deg2rad(degrees)
    c = (side - 1) / 2
    y, x = np.mgrid[0:side, 0:side].astype(np.float64)
    dx, dy = (x - c) / zoom, (y - c) / zoom
    sx = np.clip(c + np.cos(t) * dx - np.sin(t) * dy, 0, side - 1)
    sy = np.clip(c + np.sin(t) * dx + np.cos(t) * dy, 0, side - 1)
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    x1, y1 = np.minimum(x0 + 1, side - 1), np.minimum(y0 + 1, side - 1)
    fx, fy = (sx - x0).astype(np.float32), (sy - y0).astype(np.float32)
    idx = [y0 * side + x0, y0 * side + x1, y1 * side + x0, y1 * side + x1]
    w = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy]
    return [i.reshape(-1) for i in idx], [v.reshape(-1) for v in w]


def warp(m, table):
    """(C, s, s) map resampled by a warp_indices table."""
    c, s, _ = m.shape
    flat = m.reshape(c, -1)
    idx, w = table
    out = sum(flat[:, i] * wi[None, :] for i, wi in zip(idx, w))
    return out.reshape(c, s, s).astype(np.float32)


def unit(m):
    v = m.reshape(-1)
    return v / max(np.linalg.norm(v), 1e-12)


def extract(model, labels_csv, cache):
    """(photos, 13, 15 680) float16: the five image views, then four views made at each middle map."""
    full, tails = models(model, cache)
    out = os.path.join(cache, f"looks-{hashlib.sha256(open(full, 'rb').read()).hexdigest()[:12]}-"
                              f"{hashlib.sha256(open(labels_csv, 'rb').read()).hexdigest()[:12]}.npy")
    if os.path.exists(out):
        return np.load(out, mmap_mode="r")
    sess = vw.session(full, threads=2)
    tail = {k: vw.session(p, threads=2) for k, p in tails.items()}
    tables = {(k, i): warp_indices(*vb.STANDARD[i], side) for k, (_, side) in SPLITS.items() for i in range(1, 5)}
    root, files = vw.photos(labels_csv)
    rows = np.zeros((len(files), 13, 80 * 14 * 14), np.float16)
    spent = {"image": 0.0, **{k: 0.0 for k in SPLITS}}
    start = time.time()
    for p, f in enumerate(files):
        im = vw.load(root, f)
        t = time.perf_counter()
        s16, s8, s4 = sess.run(["s16_c80", "s8_c40", "b2_out"], {"input": vw.network_input(vb.look(im, 0, 1.0, 224))})
        spent["image"] += time.perf_counter() - t
        rows[p, 0] = unit(s16[0])
        for i in range(1, 5):
            t = time.perf_counter()
            m = sess.run(["s16_c80"], {"input": vw.network_input(vb.look(im, *vb.STANDARD[i], 224))})[0][0]
            spent["image"] += time.perf_counter() - t
            rows[p, i] = unit(m)
        for j, (k, middle) in enumerate((("s8", s8), ("s4", s4))):
            name = SPLITS[k][0]
            for i in range(1, 5):
                turned = warp(middle[0], tables[(k, i)])[None]
                t = time.perf_counter()
                m = tail[k].run(["s16_c80"], {name: turned})[0][0]
                spent[k] += time.perf_counter() - t
                rows[p, 5 + 4 * j + (i - 1)] = unit(m)
        if p % 500 == 0:
            print(f"  {p}/{len(files)} photos, {time.time() - start:.0f} s", flush=True)
    n = len(files)
    print(f"fp32 onnxruntime, 2 threads, per photo: five image runs {1e3 * spent['image'] / n:.1f} ms; "
          f"four s8 tails {1e3 * spent['s8'] / n:.1f} ms; four s4 tails {1e3 * spent['s4'] / n:.1f} ms", flush=True)
    np.save(out, rows)
    return np.load(out, mmap_mode="r")


# A look is a column of the cache (0–4: the image views; 5–8: the views made at s8_c40; 9–12: at
# b2_out), or ("map", zoom, column): that look's 14×14 map zoomed.
IMAGE = [0, 1, 2, 3, 4]
S8 = [0, 5, 6, 7, 8]
S4 = [0, 9, 10, 11, 12]
MIXED_S8 = [0, 1, 2, 7, 8]  # ±10° as image runs, ±20° made at s8
TEN_S8_TWENTY_S4 = [0, 5, 6, 11, 12]
TEN_S4_TWENTY_S8 = [0, 9, 10, 7, 8]
BOTH = [0, 5, 6, 7, 8, 9, 10, 11, 12]
# A view's cost in whole int8 runs, the turn of the map included (`flukewatch-bench photo`, "a view
# made at an inner map", on a host where a run takes 4.5 ms): 0.84 ms at s8_c40, 2.15 ms at b2_out.
S8_VIEW, S4_VIEW = 0.19, 0.48


def zoomed(looks):
    return looks + [("map", z, k) for k in looks for z in (1.18, 1.35)]


CANDIDATES = {
    "five image views + zooms (the station)": (zoomed(IMAGE), 5),
    "the crop alone + zooms (fast_embedding)": (zoomed([0]), 1),
    "crop + four views made at s8_c40 + zooms": (zoomed(S8), 1 + 4 * S8_VIEW),
    "crop + four views made at b2_out + zooms": (zoomed(S4), 1 + 4 * S4_VIEW),
    "crop + ±10° image, ±20° at s8_c40 + zooms": (zoomed(MIXED_S8), 3 + 2 * S8_VIEW),
    "five image views, no zooms": (IMAGE, 5),
    "crop + four views made at s8_c40, no zooms": (S8, 1 + 4 * S8_VIEW),
    "crop + ±10° at s8_c40, ±20° at b2_out + zooms": (zoomed(TEN_S8_TWENTY_S4), 1 + 2 * S8_VIEW + 2 * S4_VIEW),
    "crop + ±10° at b2_out, ±20° at s8_c40 + zooms": (zoomed(TEN_S4_TWENTY_S8), 1 + 2 * S8_VIEW + 2 * S4_VIEW),
    "crop + four views at s8_c40 and four at b2_out + zooms": (zoomed(BOTH), 1 + 4 * S8_VIEW + 4 * S4_VIEW),
}


def embed(rows, looks, which):
    x = np.zeros((len(which), rows.shape[2]), np.float32)
    warps = {}
    for spec in looks:
        if isinstance(spec, tuple):
            _, zoom, k = spec
            if zoom not in warps:
                warps[zoom] = vb.map_warp(0, zoom).T
            m = np.asarray(rows[which, k], dtype=np.float32).reshape(-1, 196)
            x += fr.l2n((m @ warps[zoom]).reshape(len(which), -1))
        else:
            x += np.asarray(rows[which, spec], dtype=np.float32)
    return fr.l2n(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--model", default=vw.MODEL)
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--only", nargs="*", help="candidate names to run (default: all; the station's always runs)")
    a = ap.parse_args()
    candidates = vb.chosen(CANDIDATES, a.only, "five image views + zooms (the station)")
    cache = os.path.join(fr.CACHE, "mid-views")
    os.makedirs(cache, exist_ok=True)
    rows = extract(a.model, a.labels, cache)
    _, labels = fr.read_labels(a.labels)
    lab = np.asarray(labels)
    results = {name: [] for name in candidates}
    for seed in a.seed:
        cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
        known = np.asarray(qry)[~np.asarray(is_new)]
        truth = lab[known]
        for name, (looks, _) in candidates.items():
            t1, t5 = vb.rank_known(embed(rows, looks, np.asarray(cat)), embed(rows, looks, known), lab[cat], truth)
            results[name].append((t1, t5, len(truth)))
            print(f"  seed {seed}  {name:48s} top-1 {t1:.3f}  top-5 {t5:.3f}", flush=True)
    print("\nknown queries pooled over the seeds (global ranking, fp32, no verification):")
    mean, (b1, b5) = vb.pooled(results, "five image views + zooms (the station)")
    for name, (_, runs) in candidates.items():
        t1, t5 = mean[name]
        print(f"{name:48s} ~runs {runs:4.2f}  top-1 {t1:.3f} ({t1 - b1:+.3f})  top-5 {t5:.3f} ({t5 - b5:+.3f})")


if __name__ == "__main__":
    main()
