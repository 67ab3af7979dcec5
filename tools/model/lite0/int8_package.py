"""The int8 package on disk: a 64-byte-aligned little-endian blob and the JSON manifest that
describes every tensor, layer and offset in it."""
import hashlib
import json
import os
import struct

import numpy as np

from .int8 import clamp_bounds
from .network import GRAPH_OUTPUTS, INPUT_SIZE

INT8_MAGIC = b"FWQS8\x00\x00\x00"
INT8_FORMAT_VERSION = 1
BLOB_ALIGN = 64


def f32_json(v):
    """A float32 as the shortest decimal that reads back to the same float32."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-")) if v else 0.0


def json_text(obj, indent=0):
    """JSON with nested objects indented but lists of plain values kept on one line."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {json_text(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(f"{pad} {json_text(v, indent + 1)}" for v in obj) + "\n" + pad + "]"
    return json.dumps(obj)


def write_int8_package(layers, shapes, qlayers, tq, report, bin_path, json_path, meta):
    blob = bytearray(BLOB_ALIGN)  # header, filled in at the end

    def put(arr):
        while len(blob) % BLOB_ALIGN:
            blob.append(0)
        off = len(blob)
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        blob.extend(data)
        return off, len(data)

    def tensor_entry(name):
        h, w, c = shapes[name]
        p = tq[name]
        return {"name": name, "shape_nhwc": [1, h, w, c], "dtype": "qs8", "scale": f32_json(p["scale"]),
                "zero_point": p["zero_point"], "calib_min": p["calib_min"], "calib_max": p["calib_max"]}

    tensor_names = ["input"] + [L.output for L in layers]
    tensors = [dict(id=i, **tensor_entry(n)) for i, n in enumerate(tensor_names)]
    tid = {n: i for i, n in enumerate(tensor_names)}
    jl = []
    for idx, (L, Q) in enumerate(zip(layers, qlayers)):
        e = {"index": idx, "name": L.name,
             "type": {"conv": "conv", "dwconv": "depthwise_conv", "add": "add", "gap": "global_avg_pool"}[L.kind],
             "inputs": [tid[t] for t in L.inputs], "input_names": L.inputs,
             "output": tid[L.output], "output_name": L.output}
        if L.kind in ("conv", "dwconv"):
            kh, kw = L.kernel
            cin = shapes[L.inputs[0]][2]
            cout = shapes[L.output][2]
            w_off, w_len = put(Q["wq"] if L.kind == "conv" else Q["wq"][None])
            b_off, b_len = put(Q["bq"].astype(np.int32))
            s_off, s_len = put(Q["wscale"].astype(np.float32))
            p_out = tq[L.output]
            lo, hi = clamp_bounds(L, p_out)
            e.update({
                "kernel": [kh, kw], "stride": [L.stride, L.stride], "dilation": [1, 1],
                "padding": list(L.pad), "padding_order": "top,right,bottom,left",
                "groups": 1 if L.kind == "conv" else cin,
                "input_channels": cin, "output_channels": cout,
                "activation": "relu6" if L.act == "relu6" else "none",
                "output_min": 0.0 if L.act == "relu6" else None,
                "output_max": 6.0 if L.act == "relu6" else None,
                "output_qmin": lo, "output_qmax": hi,
                "weights": {"dtype": "int8", "symmetric": True, "zero_point": 0, "channel_dim": 0 if L.kind == "conv" else 3,
                            "layout": "OHWI" if L.kind == "conv" else "1HWC",
                            "shape": [cout, kh, kw, cin] if L.kind == "conv" else [1, kh, kw, cout],
                            "offset": w_off, "nbytes": w_len},
                "weight_scales": [f32_json(v) for v in Q["wscale"]],
                "weight_scales_f32": {"offset": s_off, "nbytes": s_len},
                "bias": {"dtype": "int32", "offset": b_off, "nbytes": b_len,
                         "scale": "input_scale * weight_scales[c] (float32 product)"},
                "zero_weight_channels": Q["zero_channels"],
                "requant_scale_min": float(Q["requant"].min()), "requant_scale_max": float(Q["requant"].max()),
            })
        elif L.kind == "add":
            e.update({"channels": shapes[L.output][2], "activation": "none"})
        elif L.kind == "gap":
            e.update({"channels": shapes[L.output][2], "pool_size": list(shapes[L.inputs[0]][:2]),
                      "activation": "none"})
        jl.append(e)
    while len(blob) % BLOB_ALIGN:
        blob.append(0)
    header = INT8_MAGIC + struct.pack("<IIQ", INT8_FORMAT_VERSION, len(layers), len(blob))
    blob[:len(header)] = header
    with open(bin_path, "wb") as f:
        f.write(bytes(blob))
    manifest = {
        "format": "flukewatch-qs8-manifest",
        "format_version": INT8_FORMAT_VERSION,
        "model": "efficientnet-lite0",
        "source": meta["source"],
        "bin": {"file": os.path.basename(bin_path), "nbytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
                "byte_order": "little", "alignment": BLOB_ALIGN,
                "header": "bytes 0-7 magic 'FWQS8\\0\\0\\0'; u32 format_version; u32 layer_count; u64 file_size; "
                          "zero padding to 64 bytes. All offsets below are absolute file offsets."},
        "tensor_layout": "NHWC",
        "activation_quantization": "qs8 per-tensor asymmetric: real = scale * (q - zero_point), q in [-128, 127]",
        "weight_quantization": "qc8 per-output-channel symmetric int8 in [-127, 127], zero_point 0",
        "input": {"tensor": 0, "name": "input", "shape_nhwc": [1, INPUT_SIZE, INPUT_SIZE, 3], "color": "RGB",
                  "preprocess": "real = (pixel - 127) / 128; with scale 1/128 and zero_point -1 this is q = pixel - 128 "
                                "(flip the top bit of the uint8 pixel)",
                  "resize": "whole image resized to 224x224 (bilinear), no crop"},
        "outputs": {n: tid[n] for n in GRAPH_OUTPUTS},
        "op_semantics": {
            "conv": "acc[c] = bias[c] + sum over taps and input channels of (x_q - x_zp) * w_q (int32; padded "
                    "pixels count as x_zp, i.e. real 0); y_q = clamp(round_half_even(float32(acc) * "
                    "(input_scale * weight_scales[c] / output_scale)) + output_zp, output_qmin, output_qmax)",
            "depthwise_conv": "as conv, but each channel c only sees input channel c (depth multiplier 1)",
            "add": "y_q = clamp(round_half_even((a_q - a_zp) * a_scale / y_scale + (b_q - b_zp) * b_scale / y_scale) "
                   "+ y_zp, -128, 127)",
            "global_avg_pool": "y_q = clamp(round_half_even(sum_hw(x_q - x_zp) * x_scale / (H * W * y_scale)) + y_zp, "
                               "-128, 127)",
            "relu6": "clamp bounds output_qmin/output_qmax are the quantized 0 and 6 (XNNPACK: output_min 0.0, "
                     "output_max 6.0)",
        },
        "calibration": meta["calibration"],
        "tensors": tensors,
        "layers": jl,
        "constraint_checks": report,
    }
    with open(json_path, "w") as f:
        f.write(json_text(manifest) + "\n")
    return len(blob)
