"""int8 quantisation: per-channel symmetric weights, calibrated per-tensor activation ranges with
bias correction, and a numpy simulation of the integer arithmetic (XNNPACK-style requantisation)."""
import math

import numpy as np

from .common import batched
from .images import PIXEL_STD, preprocess
from .network import classify, forward_fp, np_conv, np_dwconv

DEAD_CHANNEL_RATIO = 1e-3  # channel max|w| below this fraction of the layer median -> treated as zero


def round_sig(v, up, digits=3):
    """Round outward to `digits` significant digits (stabilises ranges against BLAS noise)."""
    if v == 0:
        return 0.0
    q = 10.0 ** (math.floor(math.log10(abs(v))) - (digits - 1))
    return float((math.ceil(v / q) if up else math.floor(v / q)) * q)


def quantize_weights(layers):
    """Per-output-channel symmetric int8 weights. Returns one dict per layer ({} for add/gap)."""
    out = []
    for L in layers:
        if L.kind not in ("conv", "dwconv"):
            out.append({})
            continue
        w = L.w.astype(np.float64)
        if L.kind == "conv":
            amax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        else:
            amax = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0)
        if not (amax > 0).any():
            raise ValueError(f"{L.name}: all weights are zero")
        median = float(np.median(amax[amax > 0]))
        # Dead channels: BN folding leaves some channels with weights that are exactly zero or
        # ~1e-8 (well over 3 decades below the layer's median, with a clear gap to the live ones).
        # Their output is just the bias.  Quantize their weights to 0 and give them the layer's
        # median scale: a scale of max|w|/127 would be ~0 and the bias would overflow int32.
        dead = amax < DEAD_CHANNEL_RATIO * median
        scales = (amax / 127.0).astype(np.float32)
        scales[dead] = np.float32(median / 127.0)
        shp = (-1, 1, 1, 1) if L.kind == "conv" else (1, 1, -1)
        wq = np.clip(np.rint(w / scales.astype(np.float64).reshape(shp)), -127, 127).astype(np.int8)
        if L.kind == "conv":
            wq[dead] = 0
        else:
            wq[..., dead] = 0
        w_deq = (wq.astype(np.float32) * scales.reshape(shp)).astype(np.float32)
        out.append({"wq": wq, "wscale": scales, "dead": dead, "w_deq": w_deq})
    return out


def calibrate(layers, qw, batches):
    """One fp32 pass over the calibration set collecting, per tensor, min/max and, per conv layer,
    the mean output error caused by weight rounding (for empirical bias correction)."""
    lo, hi, err, count = {}, {}, {}, {}
    for x in batches:
        env = forward_fp(layers, x)
        for name, t in env.items():
            if name == "input":
                continue
            lo[name] = min(lo.get(name, np.inf), float(t.min()))
            hi[name] = max(hi.get(name, -np.inf), float(t.max()))
        for L, Q in zip(layers, qw):
            if not Q:
                continue
            f = np_conv if L.kind == "conv" else np_dwconv
            d = f(env[L.inputs[0]], Q["w_deq"] - L.w, None, L.stride, L.pad)  # conv is linear in w
            err[L.name] = err.get(L.name, 0.0) + d.sum(axis=(0, 1, 2), dtype=np.float64)
            count[L.name] = count.get(L.name, 0) + d.shape[0] * d.shape[1] * d.shape[2]
    bias_delta = {}
    for name, e in err.items():
        # mean error per output channel, rounded to 3 significant digits for reproducibility
        bias_delta[name] = np.array([-round_sig(v, up=v < 0) for v in (e / count[name])], dtype=np.float64)
    return lo, hi, bias_delta


def qparams_from_range(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-128.0 - lo / float(scale)), -128, 127))
    return float(scale), zp


def quantize_network(layers, shapes, qw, lo, hi, bias_delta=None):
    """Returns (tensor qparams, per-layer quantized weights/biases, constraint report)."""
    tq = {"input": {"scale": float(np.float32(1.0 / PIXEL_STD)), "zero_point": -1,
                    "calib_min": -127.0 / 128.0, "calib_max": 1.0}}
    act_of = {L.output: L.act for L in layers}
    for name in shapes:
        if name == "input":
            continue
        a, b = round_sig(lo[name], up=False), round_sig(hi[name], up=True)
        if act_of.get(name) == "relu6":
            a, b = 0.0, min(b, 6.0)
        s, z = qparams_from_range(a, b)
        tq[name] = {"scale": s, "zero_point": z, "calib_min": a, "calib_max": b}
    qlayers, report = [], []
    for L, W in zip(layers, qw):
        q = {}
        if L.kind in ("conv", "dwconv"):
            scales = W["wscale"]
            s_in = tq[L.inputs[0]]["scale"]
            s_out = tq[L.output]["scale"]
            b = L.b.astype(np.float64)
            if bias_delta is not None:
                b = b + bias_delta[L.name]
            bias_scale = np.float64(np.float32(s_in)) * scales.astype(np.float64)
            bq64 = np.rint(b / bias_scale)
            if np.abs(bq64).max() >= 2 ** 31:
                raise ValueError(f"{L.name}: int32 bias overflow")
            ratio = (np.float32(s_in) * scales / np.float32(s_out)).astype(np.float32)
            q.update(wq=W["wq"], wscale=scales, bq=bq64.astype(np.int32), zero_channels=int(W["dead"].sum()),
                     requant=ratio)
            bad = int((ratio >= 256.0).sum() + (ratio < 2.0 ** -32).sum())
            report.append({"layer": L.name, "rule": "input_scale*weight_scale/output_scale in [2^-32, 256)",
                           "min": float(ratio.min()), "max": float(ratio.max()), "violations": bad})
        elif L.kind == "add":
            s_out = tq[L.output]["scale"]
            r = [tq[t]["scale"] / s_out for t in L.inputs]
            bad = sum(1 for v in r if not (2.0 ** -10 <= v < 2.0 ** 8))
            report.append({"layer": L.name, "rule": "input_scale/output_scale in [2^-10, 2^8)",
                           "min": min(r), "max": max(r), "violations": bad})
        elif L.kind == "gap":
            r = tq[L.inputs[0]]["scale"] / tq[L.output]["scale"]
            bad = int(not (2.0 ** -8 <= r < 2.0 ** 8))
            report.append({"layer": L.name, "rule": "input_scale/output_scale in [2^-8, 2^8)",
                           "min": r, "max": r, "violations": bad})
        qlayers.append(q)
    return tq, qlayers, report


def dequantize(q, p):
    return (q.astype(np.float32) - p["zero_point"]) * np.float32(p["scale"])


def clamp_bounds(L, p):
    lo, hi = -128, 127
    if L.act == "relu6":
        lo = max(lo, int(np.rint(0.0 / p["scale"])) + p["zero_point"])
        hi = min(hi, int(np.rint(6.0 / p["scale"])) + p["zero_point"])
    return lo, hi


def forward_int8(layers, qlayers, tq, x_q, keep=None):
    """Integer-arithmetic simulation of the qs8 graph (XNNPACK-style fp32 requantization).

    conv/dwconv: int32 acc = sum((x_q - zp_in) * w_q) + b_q; y = rint(acc * s_in*s_w[c]/s_out) + zp_out,
    clamped to the activation range.  Padding pixels hold zp_in (= real 0).  Accumulators are exact
    (computed in float64, all partial sums < 2^53).
    """
    env = {"input": x_q}
    out = {}
    last_use = {}
    for idx, L in enumerate(layers):
        for t in L.inputs:
            last_use[t] = idx
    for idx, (L, Q) in enumerate(zip(layers, qlayers)):
        po = tq[L.output]
        if L.kind in ("conv", "dwconv"):
            pi = tq[L.inputs[0]]
            xc = env[L.inputs[0]].astype(np.float64) - pi["zero_point"]
            if L.kind == "conv":
                acc = np_conv(xc, Q["wq"].astype(np.float64), None, L.stride, L.pad)
            else:
                acc = np_dwconv(xc, Q["wq"].astype(np.float64), None, L.stride, L.pad)
            acc = acc + Q["bq"].astype(np.float64)
            assert np.abs(acc).max() < 2 ** 31, f"{L.name}: int32 accumulator overflow"
            y = np.rint(acc.astype(np.float32) * Q["requant"]) + po["zero_point"]
            lo, hi = clamp_bounds(L, po)
            y = np.clip(y, lo, hi).astype(np.int8)
        elif L.kind == "add":
            a, b = L.inputs
            pa, pb = tq[a], tq[b]
            real = ((env[a].astype(np.float64) - pa["zero_point"]) * (pa["scale"] / po["scale"])
                    + (env[b].astype(np.float64) - pb["zero_point"]) * (pb["scale"] / po["scale"]))
            y = np.clip(np.rint(real) + po["zero_point"], -128, 127).astype(np.int8)
        elif L.kind == "gap":
            pi = tq[L.inputs[0]]
            xi = env[L.inputs[0]].astype(np.int64) - pi["zero_point"]
            n = xi.shape[1] * xi.shape[2]
            sums = xi.sum(axis=(1, 2), keepdims=True).astype(np.float64)
            y = np.clip(np.rint(sums * (pi["scale"] / (n * po["scale"]))) + po["zero_point"], -128, 127).astype(np.int8)
        env[L.output] = y
        if keep is None or L.output in keep:
            out[L.output] = y
        for t in L.inputs:
            if last_use.get(t) == idx and t in env and t != "input":
                del env[t]
    return out


def measure_agreement(sd, layers, qlayers, tq, sets):
    keep = {"pooled", "s16_c80"}
    agree = {}
    for label, imgs in sets:
        cos_p, cos_m, top_same = [], [], []
        for b in batched(imgs, 8):
            u8 = np.stack(b)
            fp = forward_fp(layers, preprocess(u8), keep=keep)
            xq = (u8.astype(np.int16) - 128).astype(np.int8)
            qo = forward_int8(layers, qlayers, tq, xq, keep=keep)
            pooled_q = dequantize(qo["pooled"], tq["pooled"])
            cos_p += list(cosine_rows(fp["pooled"], pooled_q))
            cos_m += list(cosine_rows(fp["s16_c80"], dequantize(qo["s16_c80"], tq["s16_c80"])))
            top_same += list(classify(sd, fp["pooled"]).argmax(1) == classify(sd, pooled_q).argmax(1))
        agree[label] = {"images": len(imgs),
                        "pooled_cosine_mean": float(np.mean(cos_p)), "pooled_cosine_min": float(np.min(cos_p)),
                        "s16_c80_cosine_mean": float(np.mean(cos_m)), "s16_c80_cosine_min": float(np.min(cos_m)),
                        "imagenet_top1_agreement": float(np.mean(top_same))}
    return agree


def cosine_rows(a, b):
    a = a.reshape(a.shape[0], -1).astype(np.float64)
    b = b.reshape(b.shape[0], -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)
