#!/usr/bin/env python3
"""Independent check of the int8 package: reads ONLY models/efficientnet-lite0-int8.{json,bin},
runs the integer arithmetic the manifest documents (op_semantics) and compares the result with
the fp32 ONNX run by onnxruntime.  It shares no code with build_model.py, so it catches layout,
offset and documentation mistakes, and doubles as a readable reference for a runtime port.

usage: verify_int8.py [--models DIR] [--expect CACHE_DIR] [IMAGE ...]
(no images: a few generated test patterns). Exit status 0 when every image's cosine on each
--checked-output (default: the pooled vector) is >= --min-cosine and, with --expect, the outputs
equal build_model.py's simulation bit for bit.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402


def load_package(models_dir):
    with open(os.path.join(models_dir, "efficientnet-lite0-int8.json")) as f:
        man = json.load(f)
    with open(os.path.join(models_dir, man["bin"]["file"]), "rb") as f:
        blob = f.read()
    assert hashlib.sha256(blob).hexdigest() == man["bin"]["sha256"], "bin sha256 mismatch"
    magic, version, n_layers, size = blob[:8], *struct.unpack_from("<IIQ", blob, 8)
    assert magic == b"FWQS8\0\0\0" and version == man["format_version"], "bad header"
    assert n_layers == len(man["layers"]) and size == len(blob), "header/manifest mismatch"

    def arr(desc, dtype, shape=None):
        a = np.frombuffer(blob, dtype=np.dtype(dtype).newbyteorder("<"), count=desc["nbytes"] // np.dtype(dtype).itemsize,
                          offset=desc["offset"])
        return a.reshape(shape) if shape else a

    for t in man["tensors"]:  # every scale is a float32; read it as one
        t["scale"] = float(np.float32(t["scale"]))
    for L in man["layers"]:
        if L["type"] in ("conv", "depthwise_conv"):
            L["w"] = arr(L["weights"], np.int8, L["weights"]["shape"]).astype(np.int64)
            L["b"] = arr(L["bias"], np.int32).astype(np.int64)
            L["s"] = arr(L["weight_scales_f32"], np.float32)
            assert np.array_equal(L["s"], np.array(L["weight_scales"], dtype=np.float32)), "scales json != bin"
            assert len(L["b"]) == L["output_channels"]
    return man


def run_int8(man, x_q):
    """x_q: int8 NHWC [1,224,224,3]. Returns dict tensor id -> int8 array."""
    T = man["tensors"]
    env = {0: x_q}
    for L in man["layers"]:
        ins = [env[i] for i in L["inputs"]]
        po = T[L["output"]]
        if L["type"] in ("conv", "depthwise_conv"):
            pi = T[L["inputs"][0]]
            t, r, b, l = L["padding"]
            x = np.pad(ins[0].astype(np.int64) - pi["zero_point"], ((0, 0), (t, b), (l, r), (0, 0)))
            kh, kw = L["kernel"]
            sh, sw = L["stride"]
            win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # N,OH,OW,C,kh,kw
            if L["type"] == "conv":  # weights OHWI
                acc = np.einsum("nhwcij,oijc->nhwo", win.astype(np.float64), L["w"].astype(np.float64), optimize=True)
            else:  # weights [1,kh,kw,C]
                acc = np.einsum("nhwcij,ijc->nhwc", win.astype(np.float64), L["w"][0].astype(np.float64), optimize=True)
            acc = np.rint(acc).astype(np.int64) + L["b"]
            assert np.abs(acc).max() < 2 ** 31, "int32 overflow"
            mult = (np.float32(pi["scale"]) * L["s"] / np.float32(po["scale"])).astype(np.float32)
            y = np.rint(acc.astype(np.float32) * mult) + po["zero_point"]
            y = np.clip(y, L["output_qmin"], L["output_qmax"])
        elif L["type"] == "add":
            pa, pb = (T[i] for i in L["inputs"])
            y = np.rint((ins[0].astype(np.float64) - pa["zero_point"]) * (pa["scale"] / po["scale"])
                        + (ins[1].astype(np.float64) - pb["zero_point"]) * (pb["scale"] / po["scale"])) + po["zero_point"]
            y = np.clip(y, -128, 127)
        elif L["type"] == "global_avg_pool":
            pi = T[L["inputs"][0]]
            hw = ins[0].shape[1] * ins[0].shape[2]
            ssum = (ins[0].astype(np.int64) - pi["zero_point"]).sum(axis=(1, 2), keepdims=True)
            y = np.clip(np.rint(ssum * (pi["scale"] / (hw * po["scale"]))) + po["zero_point"], -128, 127)
        else:
            raise ValueError(L["type"])
        env[L["output"]] = y.astype(np.int8)
    return env


def test_patterns():
    yy, xx = np.mgrid[0:224, 0:224] / 223.0
    sea = np.stack([20 + 60 * yy, 60 + 80 * yy, 110 + 90 * (1 - yy)], -1)
    tail = ((np.abs(xx - 0.5) < 0.35 * (1 - np.abs(yy - 0.45) * 4)) & (np.abs(yy - 0.45) < 0.12)) | \
           ((np.abs(xx - 0.5) < 0.04) & (yy > 0.45))
    img1 = np.where(tail[..., None], 25.0, sea)
    img2 = np.stack([255 * xx, 255 * yy, 128 + 0 * xx], -1)
    rng = np.random.default_rng(7)
    img3 = rng.integers(0, 256, (224, 224, 3))
    return [("pattern-fluke", img1), ("pattern-gradient", img2), ("pattern-noise", img3)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=os.path.join(here, "..", "..", "models"))
    ap.add_argument("--min-cosine", type=float, default=0.9,
                    help="a layout or offset mistake gives ~0; flat test patterns legitimately score ~0.95")
    ap.add_argument("--checked-output", action="append", choices=["pooled", "s16_c80"],
                    help="outputs whose cosine must reach --min-cosine (repeatable; default pooled). A trunk "
                         "fine-tuned up to s16_c80 (tools/train) checks s16_c80: the ImageNet layers after it "
                         "now see features they were never trained on, and the station does not use them")
    ap.add_argument("--expect", help="folder with int8_ref_image.npy + int8_ref_outputs.npz written by "
                                     "build_model.py: the outputs must match bit for bit")
    ap.add_argument("images", nargs="*")
    args = ap.parse_args()
    man = load_package(args.models)
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(args.models, "efficientnet-lite0-fp32.onnx"), so,
                                providers=["CPUExecutionProvider"])
    if args.images:
        from PIL import Image
        imgs = []
        for p in args.images:
            with Image.open(p) as im:
                imgs.append((os.path.basename(p), np.asarray(im.convert("RGB").resize((224, 224), Image.BILINEAR))))
    else:
        imgs = test_patterns()
    ok = True
    out_ids = man["outputs"]
    if args.expect:
        img = np.load(os.path.join(args.expect, "int8_ref_image.npy"))
        ref = np.load(os.path.join(args.expect, "int8_ref_outputs.npz"))
        env = run_int8(man, (img.astype(np.int16) - 128).astype(np.int8))
        for oname, tid in out_ids.items():
            same = np.array_equal(env[tid].reshape(-1), ref[oname].reshape(-1))
            ok = ok and same
            print(f"bit-exact vs build_model.py simulation: {oname:<10s} {'ok' if same else 'MISMATCH'}")
        imgs = [("build reference image", img[0])] + imgs
    T = man["tensors"]
    for name, u8 in imgs:
        u8 = np.clip(np.rint(u8), 0, 255).astype(np.uint8)[None]
        x_q = (u8.astype(np.int16) - 128).astype(np.int8)  # q = pixel - 128 (scale 1/128, zero point -1)
        env = run_int8(man, x_q)
        fp = dict(zip([o.name for o in sess.get_outputs()],
                      sess.run(None, {"input": ((u8.astype(np.float32) - 127) / 128).transpose(0, 3, 1, 2)})))
        line = [f"{name:<28s}"]
        for oname in ("pooled", "s16_c80"):
            t = T[out_ids[oname]]
            deq = (env[out_ids[oname]].astype(np.float64) - t["zero_point"]) * t["scale"]
            ref = fp[oname] if oname == "pooled" else fp[oname].transpose(0, 2, 3, 1)
            a, b = deq.ravel(), ref.astype(np.float64).ravel()
            cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
            line.append(f"{oname} cosine {cos:.4f}")
            if oname in (args.checked_output or ["pooled"]) and cos < args.min_cosine:
                ok = False
        print("  ".join(line))
    print("int8 package check passed" if ok else "int8 package check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
