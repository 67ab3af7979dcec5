#!/usr/bin/env python3
"""Layer-by-layer comparison of the XNNPACK int8 runtime with tools/model/verify_int8.py.

Whole-network comparisons mix a layer's own rounding with everything upstream. Here every tensor
is read back from XNNPACK (as extra outputs, 16 at a time), and each layer of the numpy reference
is run on XNNPACK's own input to that layer, so each line shows what that one layer does
differently. Expected: convolutions and the average pool bit-exact; adds off by one step on a
few elements (XNNPACK's qs8 add uses fixed-point multipliers, the reference rounds in float64).

usage: per_layer.py --lib .build/libflukeembed.so [--models DIR] [IMAGE]   (no image: a test pattern)
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "model"))
import numpy as np  # noqa: E402

import flukeembed as fe  # noqa: E402
import verify_int8  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--models", default=os.path.join(HERE, "..", "..", "models"))
    ap.add_argument("image", nargs="?")
    args = ap.parse_args()

    lib = fe.load_library(args.lib)
    man = fe.Manifest(args.models)
    pkg = verify_int8.load_package(args.models)
    T = pkg["tensors"]
    if args.image:
        from PIL import Image
        with Image.open(args.image) as im:
            u8 = np.asarray(im.convert("RGB").resize((224, 224), Image.BILINEAR))
    else:
        u8 = np.clip(np.rint(verify_int8.test_patterns()[0][1]), 0, 255).astype(np.uint8)
    x = ((u8.astype(np.float32) - 127) / 128)[None]

    # every tensor as XNNPACK computes it, back on its int8 grid (the dequantization is exact)
    q = {0: (u8.astype(np.int16) - 128).astype(np.int8)[None]}
    ids = [t["id"] for t in T if t["id"] != pkg["input"]["tensor"]]
    for i in range(0, len(ids), fe.MAX_OUTPUTS):
        chunk = ids[i:i + fe.MAX_OUTPUTS]
        m = fe.Model(lib, man, [T[t]["name"] for t in chunk], fe.FW_EMBED_INT8)
        out = m.run(x)
        m.close()
        for t in chunk:
            f = out[T[t]["name"]].astype(np.float64)
            q[t] = np.rint(f / T[t]["scale"] + T[t]["zero_point"]).astype(np.int8).reshape(T[t]["shape_nhwc"])

    print(f"{'layer':<12s} {'type':<16s} {'max |diff|':>10s} {'elements differing':>19s}")
    exact = True
    for L in pkg["layers"]:
        # run_int8 starts from tensor 0, so present the layer with its input(s) renumbered from 0
        tensors = list(T)
        one = dict(L)
        if len(L["inputs"]) == 1:
            tensors[0] = T[L["inputs"][0]]
            one["inputs"] = [0]
            env = verify_int8.run_int8({"tensors": tensors, "layers": [one]}, q[L["inputs"][0]])
        else:  # add: run_int8 cannot be handed two inputs, so apply the manifest's add formula directly
            a, b = L["inputs"]
            pa, pb, po = T[a], T[b], T[L["output"]]
            y = np.rint((q[a].astype(np.float64) - pa["zero_point"]) * (pa["scale"] / po["scale"])
                        + (q[b].astype(np.float64) - pb["zero_point"]) * (pb["scale"] / po["scale"])) + po["zero_point"]
            env = {L["output"]: np.clip(y, -128, 127).astype(np.int8)}
        d = np.abs(env[L["output"]].astype(np.int64) - q[L["output"]].astype(np.int64))
        exact &= L["type"] == "add" or d.max() == 0
        print(f"{L['name']:<12s} {L['type']:<16s} {int(d.max()):>10d} {100 * float((d > 0).mean()):>18.3f}%")
    print("convolutions and pooling bit-exact" if exact else "a convolution or the pooling DIFFERS")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
