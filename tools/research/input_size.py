"""input_size.py LABELS.csv [--size N ...] [--seed S ...]

Does the frozen net see callosities better when the 224×224 crop is enlarged before it? The fp32
ONNX graph is re-declared with a free input size (it is convolutional up to `s16_c80`), each photo is
resized to N×N (bilinear), the stride-16 map (N/16 cells a side) is average-pooled to 7×7 as usual,
and the compact recipe is fitted and ranked on the catalog part of each split. Crop alone, no views,
no verification. N must be a multiple of 112 (so N/16 is a multiple of 7). Needs onnx beside
onnxruntime; features are cached in .cache/<dataset>/size<N>-s16_c80.npy.
"""
import argparse
import os

import numpy as np
from PIL import Image

import fluke_research as fr
import views as V


def free_size_model(path):
    import onnx
    model = onnx.load(V.MODEL)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in model.graph.output:
        for d in output.type.tensor_type.shape.dim[2:]:
            d.dim_param = "cells"
    del model.graph.value_info[:]   # the stored intermediate shapes are the 224 ones
    onnx.save(model, path)


def features(labels_csv, dataset, size):
    graph = os.path.join(fr.CACHE, "efficientnet-lite0-free-size.onnx")
    if not os.path.exists(graph):
        free_size_model(graph)
    sess = V.session(graph)

    def enlarged(im):
        return V.s16_c80_pooled(sess, im if size == 224 else im.resize((size, size), Image.BILINEAR),
                                cell=size // 16 // 7)
    return V.cached_rows(os.path.join(fr.CACHE, dataset, f"size{size}-s16_c80.npy"), labels_csv, enlarged)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--size", type=int, nargs="+", default=[224, 336])
    ap.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    if any(s % 112 for s in a.size):
        ap.error("every --size must be a multiple of 112")
    dataset, labels, lab = fr.labelled_set(a.labels)
    for size in a.size:
        x = fr.l2n(features(a.labels, dataset, size))
        for seed in a.seed:
            cat, qry, is_new = fr.split(labels, seed, 0.2, 2)
            known = qry[~is_new]
            proj = fr.fit_projection(x[cat], lab[cat], **fr.PROJECTIONS["compact"])
            s, names = fr.individual_scores(fr.apply_projection(proj, x[known]), fr.apply_projection(proj, x[cat]),
                                            lab[cat], "max+centroid")
            top1, top5 = fr.top_accuracy(s, np.searchsorted(names, lab[known]))
            print(f"seed {seed}  input {size}×{size}  top-1 {top1:.3f}  top-5 {top5:.3f}", flush=True)


if __name__ == "__main__":
    main()
