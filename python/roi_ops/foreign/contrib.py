"""onnxruntime's contrib ``com.microsoft.CropAndResize`` (what tf2onnx writes for
``tf.image.crop_and_resize``; docs/foreign.md): X [N,C,H,W], rois [K,4] normalised (y1, x1, y2, x2),
batch_indices [K] int32, crop_size [2] int32 (a constant), attributes mode "bilinear" | "nearest"
and extrapolation_value -> roi_ops.CropAndResize, which computes the same numbers
(tf.image.crop_and_resize, docs/spec.md) on the same NCHW layout. Transposes around it that cancel
are folded (``fold_transposes``)."""
from __future__ import annotations

import onnx

from ..builders import make_crop_and_resize_node
from ..graph import attribute_values
from ..standard_models import NodeEmitter
from . import Graph, Refusal, converts


@converts(("com.microsoft", "CropAndResize"), inputs=("X", "rois", "batch_indices", "crop_size"))
def crop_and_resize(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    size = g.constant(node.input[3])
    if size is None:
        raise Refusal(f"crop_size '{node.input[3]}' is computed at run time; roi_ops.CropAndResize takes the crop "
                      f"size as attributes, so it must be a constant")
    if size.shape != (2,):
        raise Refusal(f"crop_size must hold 2 values (height, width); got shape {list(size.shape)}")
    mode = a.get("mode", "bilinear")
    if mode not in ("bilinear", "nearest"):
        raise Refusal(f"mode {mode!r}: CropAndResize takes 'bilinear' or 'nearest'")
    e.nodes.append(make_crop_and_resize_node(
        node.input[0], node.input[1], node.input[2], node.output[0], name=node.name or None,
        crop_height=int(size[0]), crop_width=int(size[1]), method=mode,
        extrapolation_value=float(a.get("extrapolation_value", 0.0))))


def fold_transposes(model: onnx.ModelProto, crops: list[str]) -> None:
    """In place: around each converted node (named by its output in ``crops``), a pair of
    Transposes that cancel (NCHW -> NHWC -> NCHW, what an unoptimised tf2onnx graph holds where
    TensorFlow's NHWC tensors meet the NCHW op) is bypassed: the node reads the tensor before
    the pair, and the readers after a pair behind it read its output. Transposes no one reads any
    more are removed."""
    from ..fusion.index import GraphIndex

    g = model.graph
    ix = GraphIndex(g)

    def perm(node):
        return [int(p) for p in next((a.ints for a in node.attribute if a.name == "perm"), [])]

    def cancels(first, second):
        p, q = perm(first), perm(second)
        return len(p) == len(q) == 4 and [p[i] for i in q] == [0, 1, 2, 3]

    def transpose(tensor):
        n = ix.producer.get(tensor)
        return n if n is not None and n.op_type == "Transpose" and n.domain in ("", "ai.onnx") else None

    for out in crops:
        node = ix.producer[out]
        second = transpose(node.input[0])
        first = transpose(second.input[0]) if second is not None else None
        if first is not None and cancels(first, second):
            node.input[0] = first.input[0]
        for t1 in [c for c in ix.consumers.get(out, []) if c.op_type == "Transpose"]:
            for t2 in [c for c in ix.consumers.get(t1.output[0], []) if c.op_type == "Transpose"]:
                if cancels(t1, t2) and t2.output[0] not in ix.graph_outputs:
                    for reader in ix.consumers.get(t2.output[0], []):
                        reader.input[:] = [out if i == t2.output[0] else i for i in reader.input]
    while True:  # drop Transposes whose outputs no one reads
        read = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if n.op_type == "Transpose" and not any(o in read for o in n.output)]
        if not dead:
            return
        for n in dead:
            g.node.remove(n)
