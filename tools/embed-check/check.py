#!/usr/bin/env python3
"""Proof that Sources/CFlukeEmbed (XNNPACK) computes the FlukeWatch embedding correctly, and how fast.

Drives libflukeembed.so through ctypes with the manifest parsed here exactly as Swift will parse it,
then compares, image by image:

  int8 XNNPACK  vs  tools/model/verify_int8.py's numpy simulation of the int8 arithmetic
                    (should be near-identical: only XNNPACK's fixed-point add rounding differs)
  int8 XNNPACK  vs  onnxruntime fp32 on the ONNX (target: cosine >= 0.98 on every image and
                    >= 0.99 on average, for the pooled vector and for the s16_c80 map)
  fp32 XNNPACK  vs  onnxruntime, with the ONNX's own weights: checks the graph wiring (padding,
                    layouts) independently of quantization; must agree to ~1e-5
  early stop    the s16_c80-only model must give bit-identical s16_c80 to the full model
  rgb8 entry    fw_embed_run_rgb8 must equal fw_embed_run on the preprocessed floats

Images: synthetic scenes made here, plus every photo in the given folders, read in place (never
copied). `--bench` then times the runtimes on one thread.

usage: check.py --lib LIB [--models DIR] [--probe PROBE_LIB] [--folder DIR ...] [--bench] [--json OUT]
Exit status 0 when every check passes.
"""
import argparse
import ctypes as C
import json
import os
import statistics
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # importing tools/model/verify_int8.py must leave nothing in tools/model
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "model"))
import flukeembed as fe  # noqa: E402
import verify_int8  # noqa: E402  (read-only reuse of the repository's numpy int8 reference)

MAPS = ["pooled", "s8_c40", "s16_c80", "s16_c112", "s32_c192", "s32_c320", "head_1280"]
COS_MIN, COS_MEAN = 0.98, 0.99  # the target for int8 vs the fp32 reference
SIM_POOLED_MIN, SIM_S16_MIN = 0.998, 0.9999  # XNNPACK int8 vs the numpy simulation of the same package


# ---------------------------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------------------------

def synthetic_scenes(count, seed=4242):
    """Sea/sky photos with a dark fluke, white markings, waves, glare and sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float64) / 223.0
    out = []
    for i in range(count):
        horizon = rng.uniform(0.15, 0.45)
        sky_top, sky_bot = rng.uniform(120, 230, 3), rng.uniform(150, 250, 3)
        sea_near, sea_far = rng.uniform([5, 30, 50], [60, 110, 150]), rng.uniform([30, 70, 100], [110, 150, 200])
        t_sky = np.clip(yy / max(horizon, 1e-3), 0, 1)[..., None]
        t_sea = np.clip((yy - horizon) / (1 - horizon), 0, 1)[..., None]
        img = np.where((yy < horizon)[..., None], sky_top + (sky_bot - sky_top) * t_sky,
                       sea_far + (sea_near - sea_far) * t_sea)
        waves = np.sin(xx * rng.uniform(20, 80) + yy * rng.uniform(40, 160) + rng.uniform(0, 6)) * \
            np.sin(xx * rng.uniform(5, 30) - yy * rng.uniform(10, 60))
        img += (yy > horizon)[..., None] * waves[..., None] * rng.uniform(5, 30)
        # fluke: two lobes (ellipses tilted up and out) joined at a notch, over a tail stock
        cx, cy, s = rng.uniform(0.3, 0.7), rng.uniform(horizon + 0.05, 0.75), rng.uniform(0.12, 0.3)
        tilt = rng.uniform(0.1, 0.5)
        fluke = np.zeros_like(xx, dtype=bool)
        for side in (-1, 1):
            dx, dy = (xx - (cx + side * s * 0.55)) / s, (yy - (cy - tilt * s * 0.3)) / s
            u = dx * np.cos(side * tilt) + dy * np.sin(side * tilt)
            v = -dx * np.sin(side * tilt) + dy * np.cos(side * tilt)
            fluke |= (u / 0.6) ** 2 + (v / 0.18) ** 2 < 1
        fluke |= (np.abs(xx - cx) < s * 0.08) & (yy > cy - 0.05) & (yy < cy + s * 1.2)
        fluke &= ~((np.abs(xx - cx) < s * 0.03) & (yy < cy - tilt * s * 0.3) & (yy > cy - s * 0.4))
        body = rng.uniform(10, 45)
        img = np.where(fluke[..., None], body + rng.normal(0, 3, img.shape), img)
        for _ in range(rng.integers(2, 9)):  # white markings on the underside
            mx, my, r = cx + rng.uniform(-0.6, 0.6) * s, cy + rng.uniform(-0.15, 0.1) * s, rng.uniform(0.01, 0.05)
            spot = fluke & (((xx - mx) / r) ** 2 + ((yy - my) / (r * rng.uniform(0.4, 1.5))) ** 2 < 1)
            img[spot] = rng.uniform(180, 250)
        glare = np.exp(-(((xx - rng.uniform(0, 1)) / 0.15) ** 2 + ((yy - rng.uniform(0.3, 1)) / 0.05) ** 2))
        img += glare[..., None] * rng.uniform(0, 120)
        img += rng.normal(0, rng.uniform(0, 8), img.shape)
        out.append((f"synthetic-{i:02d}", np.clip(np.rint(img), 0, 255).astype(np.uint8)))
    # and three flat / extreme ones, which stress the quantization ranges
    out.append(("synthetic-black", np.zeros((224, 224, 3), np.uint8)))
    out.append(("synthetic-white", np.full((224, 224, 3), 255, np.uint8)))
    out.append(("synthetic-noise", np.random.default_rng(seed + 1).integers(0, 256, (224, 224, 3)).astype(np.uint8)))
    return out


def folder_images(folder):
    from PIL import Image
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    for n in names:
        with Image.open(os.path.join(folder, n)) as im:  # read in place, never copied
            yield n, np.asarray(im.convert("RGB").resize((224, 224), Image.BILINEAR))


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def cosine(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def nhwc(x):
    return x.transpose(0, 2, 3, 1) if x.ndim == 4 else x.reshape(1, 1, 1, -1)


def check_layout(probe_path):
    """The ctypes structs must match the C compiler's idea of the header (sizes and offsets)."""
    probe = C.CDLL(probe_path)
    probe.fw_probe.restype = C.c_size_t
    probe.fw_probe.argtypes = [C.c_char_p]
    structs = {"fw_embed_tensor": fe.Tensor, "fw_embed_layer": fe.Layer, "fw_embed_model_desc": fe.ModelDesc,
               "fw_embed_info": fe.Info, "fw_embed_error": fe.Error}
    bad = []
    for cname, py in structs.items():
        if probe.fw_probe(f"sizeof {cname}".encode()) != C.sizeof(py):
            bad.append(f"sizeof {cname}")
        for field, _ in py._fields_:
            off = probe.fw_probe(f"offsetof {cname} {field}".encode())
            if off != getattr(py, field).offset:
                bad.append(f"{cname}.{field}: C {off}, ctypes {getattr(py, field).offset}")
    return bad


class Stats:
    def __init__(self):
        self.rows = {}

    def add(self, group, key, value):
        self.rows.setdefault(group, {}).setdefault(key, []).append(value)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--probe", help="layout probe library (checks the ctypes mirror of the header)")
    ap.add_argument("--models", default=os.path.join(HERE, "..", "..", "models"))
    ap.add_argument("--folder", action="append", default=[], help="photo folder, read in place (repeatable)")
    ap.add_argument("--synthetic", type=int, default=24)
    ap.add_argument("--sim-every", type=int, default=20,
                    help="run the (slow, ~1 s) numpy int8 simulation on every synthetic image, every photo of "
                         "folders with <= 100 photos, and every Nth photo of larger folders")
    ap.add_argument("--limit", type=int, default=0, help="at most this many photos per folder (0: all)")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--bench-iters", type=int, default=200)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--require-target", action="store_true",
                    help="also fail when the issue's target (int8 vs fp32 cosine) is missed; by default only the "
                         "runtime's own checks decide the exit status, and misses are attributed")
    ap.add_argument("--bench-only", action="store_true", help="skip the image checks")
    args = ap.parse_args()

    ok = True
    report = {}
    if args.probe:
        bad = check_layout(args.probe)
        print("ctypes layout vs C header:", "ok" if not bad else "MISMATCH " + "; ".join(bad))
        ok &= not bad

    lib = fe.load_library(args.lib)
    man = fe.Manifest(args.models)
    onnx_path = os.path.join(args.models, "efficientnet-lite0-fp32.onnx")
    man_onnx = fe.Manifest(args.models, fe.onnx_weights(onnx_path, man.json))
    pkg = verify_int8.load_package(args.models)

    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])

    ok &= negative_tests(lib, man)
    ok &= thread_test(lib, man)
    if not args.bench_only:
        ok &= agreement(args, lib, man, man_onnx, pkg, sess, report)

    if args.bench:
        report["bench"] = bench(lib, man, man_onnx, sess, args.bench_iters)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    print("\nembed-check passed" if ok else "\nembed-check FAILED")
    return 0 if ok else 1


def agreement(args, lib, man, man_onnx, pkg, sess, report):
    """Runs every image through all the runtimes; prints per-set figures; returns the runtime's verdict."""
    ok = True
    T = pkg["tensors"]
    ort_names = [o.name for o in sess.get_outputs()]
    int8_all = fe.Model(lib, man, MAPS, fe.FW_EMBED_INT8)
    int8_s16 = fe.Model(lib, man, ["s16_c80"], fe.FW_EMBED_INT8)
    fp32_onnx = fe.Model(lib, man_onnx, MAPS, fe.FW_EMBED_FP32)
    fp32_deq = fe.Model(lib, man, ["pooled", "s16_c80"], fe.FW_EMBED_FP32)
    for label, mdl in (("int8 all outputs", int8_all), ("int8 s16_c80 only", int8_s16),
                       ("fp32 (ONNX weights)", fp32_onnx), ("fp32 (dequantized int8)", fp32_deq)):
        i = mdl.info()
        print(f"built {label:<24s} layers {i.layers_used}/{i.layers_total}, XNNPACK nodes {i.xnn_nodes}, "
              f"weights held {i.weight_bytes / 1e6:.2f} MB")

    sets = [("synthetic", synthetic_scenes(args.synthetic), True)]
    for folder in args.folder:
        n = len([f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg", ".png"))])
        label = os.path.relpath(folder, os.path.join(HERE, "..", "..", ".."))
        sets.append((label, folder_images(folder), n <= 100))

    stats = Stats()
    worst = {}
    misses = []
    for label, images, sim_all in sets:
        t0 = time.time()
        for k, (name, u8) in enumerate(images):
            if args.limit and k >= args.limit and label != "synthetic":
                break
            x = ((u8.astype(np.float32) - 127.0) / 128.0)[None]
            ref = {n: nhwc(v) for n, v in zip(ort_names, sess.run(None, {"input": x.transpose(0, 3, 1, 2)}))}
            q8 = int8_all.run(x)
            cos_now = {}
            for o in ("pooled", "s16_c80"):
                c = cos_now[o] = cosine(q8[o], ref[o])
                stats.add(label, f"int8 vs fp32 {o}", c)
                if c < worst.get((label, o), (2.0, ""))[0]:
                    worst[(label, o)] = (c, name)
            for o in MAPS:
                if o not in ("pooled", "s16_c80"):
                    stats.add(label, f"int8 vs fp32 {o}", cosine(q8[o], ref[o]))
            # fp32 XNNPACK with the ONNX weights: relative max error over all maps
            f32 = fp32_onnx.run(x)
            rel = max(float(np.abs(f32[o] - ref[o]).max() / max(1.0, float(np.abs(ref[o]).max()))) for o in MAPS)
            stats.add(label, "fp32-onnx-weights max rel err", rel)
            dq = fp32_deq.run(x)
            stats.add(label, "fp32-dequant vs fp32 pooled", cosine(dq["pooled"], ref["pooled"]))
            # early stop and the rgb8 entry point
            s16 = int8_s16.run(x)["s16_c80"]
            stats.add(label, "early-stop s16_c80 bit-identical", float(np.array_equal(s16, q8["s16_c80"])))
            if k < 5:
                r8 = int8_all.run_rgb8(u8[None])
                stats.add(label, "rgb8 entry bit-identical", float(all(np.array_equal(r8[o], q8[o]) for o in MAPS)))
            # numpy int8 simulation (slow): on the sample, and on every image that misses the target,
            # to tell a runtime problem (XNNPACK differs from the simulation) from a package one
            low = min(cos_now.values()) < COS_MIN
            if sim_all or k % args.sim_every == 0 or low:
                env = verify_int8.run_int8(pkg, (u8.astype(np.int16) - 128).astype(np.int8)[None])
                sim_cos = {}
                for o in ("pooled", "s16_c80"):
                    t = T[pkg["outputs"][o]]
                    q_sim = env[pkg["outputs"][o]].astype(np.int64).reshape(-1)
                    q_xnn = np.rint(q8[o].reshape(-1) / t["scale"] + t["zero_point"]).astype(np.int64)
                    d = np.abs(q_sim - q_xnn)
                    deq_sim = (q_sim - t["zero_point"]) * t["scale"]
                    sim_cos[o] = cosine(deq_sim, ref[o])
                    stats.add(label, f"vs sim {o} cosine", cosine(deq_sim, q8[o]))
                    stats.add(label, f"vs sim {o} max |dq| steps", float(d.max()))
                    stats.add(label, f"vs sim {o} identical fraction", float((d == 0).mean()))
                if low:
                    misses.append((label, name, cos_now["pooled"], sim_cos["pooled"], cos_now["s16_c80"],
                                   sim_cos["s16_c80"]))
        n = len(stats.rows[label]["int8 vs fp32 pooled"])
        print(f"{label}: {n} images in {time.time() - t0:.0f} s", flush=True)

    # ----- summary -----
    print()
    all_pooled, all_s16 = [], []
    summary = {}
    for label, rows in stats.rows.items():
        n = len(rows["int8 vs fp32 pooled"])
        print(f"== {label} ({n} images)")
        summary[label] = {"images": n}
        for key, vals in rows.items():
            v = np.array(vals)
            if "bit-identical" in key:
                print(f"   {key:<36s} {int(v.sum())}/{len(v)}")
                ok &= bool(v.all())
            elif "max" in key:
                print(f"   {key:<36s} max {v.max():.3g}   mean {v.mean():.3g}   (n={len(v)})")
            else:
                print(f"   {key:<36s} mean {v.mean():.5f}   min {v.min():.5f}   (n={len(v)})")
            summary[label][key] = {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max()), "n": len(v)}
        for o in ("pooled", "s16_c80"):
            c, name = worst[(label, o)]
            v = np.array(rows[f"int8 vs fp32 {o}"])
            below = int((v < COS_MIN).sum())
            summary[label][f"{o} below {COS_MIN}"] = below
            print(f"   {o:<8s} cosine < {COS_MIN}: {below} of {len(v)} images; worst {c:.5f} ({name})")
        all_pooled += rows["int8 vs fp32 pooled"]
        all_s16 += rows["int8 vs fp32 s16_c80"]
        ok &= max(rows["fp32-onnx-weights max rel err"]) < 1e-4
        if "vs sim pooled cosine" in rows:
            # s16_c80 differs from the simulation in at most one step on a few elements; the pooled vector
            # inherits XNNPACK's fixed-point add rounding through 9 more blocks (worst seen: 0.9990)
            ok &= min(rows["vs sim pooled cosine"]) > SIM_POOLED_MIN and min(rows["vs sim s16_c80 cosine"]) > SIM_S16_MIN
    target = (min(all_pooled) >= COS_MIN and np.mean(all_pooled) >= COS_MEAN and
              min(all_s16) >= COS_MIN and np.mean(all_s16) >= COS_MEAN)
    print(f"\nALL {len(all_pooled)} images: int8 XNNPACK vs fp32 ONNX cosine  pooled mean {np.mean(all_pooled):.5f} "
          f"min {min(all_pooled):.5f} | s16_c80 mean {np.mean(all_s16):.5f} min {min(all_s16):.5f}  -> issue target "
          f"{'met' if target else 'MISSED'} (every image >= {COS_MIN}, mean >= {COS_MEAN})")
    if misses:
        # Images under the target, with what the numpy simulation of the same int8 package gets: when the
        # two agree, the int8 package (calibration/weights) is the cause, not this runtime.
        runtime_blamed = [m for m in misses if abs(m[2] - m[3]) > 0.005 or abs(m[4] - m[5]) > 0.005]
        print(f"images under {COS_MIN}: {len(misses)}; the numpy simulation of the package agrees with XNNPACK "
              f"(within 0.005) on {len(misses) - len(runtime_blamed)} of them")
        for m in sorted(misses, key=lambda r: min(r[2], r[4]))[:12]:
            print(f"   {m[1]:<28s} pooled XNNPACK {m[2]:.4f} / numpy sim {m[3]:.4f}   "
                  f"s16_c80 XNNPACK {m[4]:.4f} / numpy sim {m[5]:.4f}")
        ok &= not runtime_blamed
        report["below_target"] = [dict(zip(("set", "image", "pooled_xnnpack", "pooled_sim", "s16_xnnpack", "s16_sim"), m))
                                  for m in misses]
    if args.require_target:
        ok &= target
    report["agreement"] = summary
    report["all"] = {"images": len(all_pooled), "pooled_mean": float(np.mean(all_pooled)), "pooled_min": min(all_pooled),
                     "s16_c80_mean": float(np.mean(all_s16)), "s16_c80_min": min(all_s16), "target_met": bool(target)}

    for mdl in (int8_all, int8_s16, fp32_onnx, fp32_deq):
        mdl.close()
    return ok


def negative_tests(lib, man):
    """A broken description must be refused with a status and a message naming the problem (this is
    what Swift will log), and must not leave anything behind."""
    L, Tn = man.layers, man.tensors
    cases = []

    def expect(label, want_status, mutate, restore, outputs=("pooled",)):
        mutate()
        try:
            fe.Model(lib, man, list(outputs)).close()
            got, msg = 0, "(accepted)"
        except fe.EmbedError as e:
            msg = str(e)
            got = int(msg.split("->")[1].split(":")[0])
        finally:
            restore()
        cases.append((label, got == want_status, msg))

    pad = L[0].pad_right
    expect("stem padding right 1 -> 0 (symmetric-padding mistake)", fe_status("INVALID_ARGUMENT"),
           lambda: setattr(L[0], "pad_right", 0), lambda: setattr(L[0], "pad_right", pad))
    scale = Tn[1].scale
    expect("stem output scale / 1e4 (requantization scale >= 256)", fe_status("UNSUPPORTED"),
           lambda: setattr(Tn[1], "scale", scale / 1e4), lambda: setattr(Tn[1], "scale", scale))
    lo = L[9].output_min
    expect("add with output clamp [0, +inf) left as zeros", fe_status("INVALID_ARGUMENT"),
           lambda: (setattr(L[9], "output_min", 0.0), setattr(L[9], "output_max", 0.0)),
           lambda: (setattr(L[9], "output_min", lo), setattr(L[9], "output_max", float("inf"))))
    groups = L[1].groups
    expect("depthwise groups 1", fe_status("UNSUPPORTED"),
           lambda: setattr(L[1], "groups", 1), lambda: setattr(L[1], "groups", groups))
    expect("same output requested twice", fe_status("INVALID_ARGUMENT"), lambda: None, lambda: None,
           outputs=("pooled", "pooled"))
    expect("the input tensor requested as output", fe_status("INVALID_ARGUMENT"), lambda: None, lambda: None,
           outputs=("input",))
    print("refused descriptions:")
    for label, good, msg in cases:
        print(f"  {'ok  ' if good else 'FAIL'} {label}\n         {msg}")
    return all(g for _, g, _ in cases)


def fe_status(name):
    return {"INVALID_ARGUMENT": 1, "UNSUPPORTED": 2}[name]


def thread_test(lib, man):
    """A model with its own 2-thread pool must compute exactly what the single-thread one does."""
    x = ((np.random.default_rng(3).integers(0, 256, (1, 224, 224, 3)).astype(np.float32) - 127) / 128)
    a = fe.Model(lib, man, ["pooled", "s16_c80"], fe.FW_EMBED_INT8, threads=1)
    b = fe.Model(lib, man, ["pooled", "s16_c80"], fe.FW_EMBED_INT8, threads=2)
    ra, rb = a.run(x), b.run(x)
    a.close()
    b.close()
    same = all(np.array_equal(ra[k], rb[k]) for k in ra)
    print(f"2-thread pool gives the 1-thread result bit for bit: {'ok' if same else 'MISMATCH'}")
    return same


def bench(lib, man, man_onnx, sess, iters):
    """One thread, 224x224, one image at a time (what a daemon worker does). The configurations are
    timed round-robin, one run each per round, so that load from other processes on the machine
    falls on all of them alike; medians and minima are reported."""
    rng = np.random.default_rng(1)
    x = ((rng.integers(0, 256, (1, 224, 224, 3)).astype(np.float32) - 127) / 128)
    xp = x.ctypes.data_as(C.POINTER(C.c_float))
    xin = {"input": x.transpose(0, 3, 1, 2).copy()}
    configs = [
        ("XNNPACK int8, full net (pooled)", man, ["pooled"], fe.FW_EMBED_INT8),
        ("XNNPACK int8, stop at s16_c80", man, ["s16_c80"], fe.FW_EMBED_INT8),
        ("XNNPACK int8, all 7 outputs", man, MAPS, fe.FW_EMBED_INT8),
        ("XNNPACK fp32, full net (pooled)", man_onnx, ["pooled"], fe.FW_EMBED_FP32),
        ("XNNPACK fp32, stop at s16_c80", man_onnx, ["s16_c80"], fe.FW_EMBED_FP32),
    ]
    runs, created = [], {}
    for label, mf, outs, prec in configs:
        t = time.perf_counter()
        m = fe.Model(lib, mf, outs, prec, threads=1)
        created[label] = (time.perf_counter() - t) * 1e3
        runs.append((label, (lambda m=m: m.run_ptr(xp)), m))
    runs.append(("onnxruntime fp32, full net", lambda: sess.run(["pooled"], xin), None))
    runs.append(("onnxruntime fp32, asked for s16_c80", lambda: sess.run(["s16_c80"], xin), None))
    for _ in range(10):  # warm-up
        for _, fn, _ in runs:
            fn()
    times = {label: [] for label, _, _ in runs}
    for _ in range(iters):
        for label, fn, _ in runs:
            t = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - t) * 1e3)
    load = os.getloadavg()[0]
    print(f"\nbenchmark: 1 thread, 224x224, {iters} rounds (round-robin); load average {load:.2f} on "
          f"{os.cpu_count()} CPUs (other processes share them: trust the minima more than the medians)")
    results = {"load_average": load, "cpus": os.cpu_count()}
    for label, _, m in runs:
        ts = sorted(times[label])
        r = {"median_ms": statistics.median(ts), "p10_ms": ts[len(ts) // 10], "min_ms": ts[0], "iters": iters}
        extra = ""
        if label in created:
            r["create_ms"] = created[label]
            extra = f"   (create {created[label]:.0f} ms)"
        results[label] = r
        print(f"  {label:<36s} median {r['median_ms']:6.2f} ms   p10 {r['p10_ms']:6.2f}   min {r['min_ms']:6.2f}{extra}")
        if m is not None:
            m.close()
    return results


if __name__ == "__main__":
    sys.exit(main())
