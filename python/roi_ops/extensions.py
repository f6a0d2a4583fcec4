"""onnxruntime-extensions integration.

- Both libraries in one session: register onnxruntime-extensions' library and ours on the same
  ``SessionOptions`` (``session_options_with_extensions``).
- Without the compiled roi_ops library: ``make_python_session(model)`` runs a model's roi_ops
  nodes as onnxruntime-extensions Python custom ops backed by the NumPy reference. Python ops
  live in extensions' domain (``ai.onnx.contrib``), take a fixed number of inputs of fixed
  types and int / float / string attributes, so ``to_extensions_model`` rewrites each roi_ops
  node into that form: the batch index column of ``rois`` split off with standard ops,
  ``box_indices`` cast to int64, every attribute written out, ``spatial_scales`` as a string,
  and one op per number of feature maps of the multi-scale ops. This path serves float32 models;
  it is a fallback and a debugging aid, not a fast path.
"""
from __future__ import annotations

import itertools

import numpy as np
import onnx
from onnx import helper

from . import reference
from ._library import DOMAIN, session_options
from .attributes import ATTRIBUTES, FLOAT, FLOATS, INT, STRING
from .graph import all_nodes, attribute_values, element_types, node_label, replace_nodes, type_name
from .standard_models import NodeEmitter, split_batch_column

EXT_DOMAIN = "ai.onnx.contrib"
PREFIX = "RoiOps"
MAX_LEVELS = 6
_BOX_OPS = ("RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "RoIAlignRotated")
_MULTI_SCALE_OPS = ("MultiScaleRoIAlign", "MultiScaleRoIAlignRotated")


def _schema_attrs(op: str) -> dict:
    """Attribute name -> (kind, default) of ``op`` (roi_ops.attributes)."""
    return {name: (a.kind, a.default) for name, a in ATTRIBUTES[op].items()}


def _py_type(kind, dt):
    return {INT: dt.dt_int64, FLOAT: dt.dt_float, STRING: dt.dt_string, FLOATS: dt.dt_string}[kind]


_registered = False


def register_python_ops() -> None:
    """Declares the roi_ops ops as onnxruntime-extensions Python ops (once per process)."""
    global _registered
    if _registered:
        return
    from onnxruntime_extensions import PyCustomOpDef as dt
    from onnxruntime_extensions import onnx_op

    def declare(name, inputs, attrs, body):
        onnx_op(op_type=f"{PREFIX}{name}", inputs=inputs, outputs=[dt.dt_float],
                attrs={k: _py_type(kind, dt) for k, (kind, _) in attrs.items()})(body)

    for op in _BOX_OPS:
        fn = reference.BY_OP_TYPE[op]
        declare(op, [dt.dt_float, dt.dt_float, dt.dt_int64], _schema_attrs(op),
                lambda x, rois, bi, _fn=fn, **a: _fn(x, rois, bi, **a).astype(np.float32))
    crop_attrs = _schema_attrs("CropAndResize")
    declare("CropAndResize", [dt.dt_float, dt.dt_float, dt.dt_int64], crop_attrs,
            lambda x, boxes, idx, **a: reference.crop_and_resize(x, boxes, idx, **a).astype(np.float32))
    for op in _MULTI_SCALE_OPS:
        fn = reference.BY_OP_TYPE[op]

        def msra(rois, bi, *maps, spatial_scales, _fn=fn, **a):
            scales = [float(s) for s in spatial_scales.split(",")]
            return _fn(rois, bi, *maps, spatial_scales=scales, **a).astype(np.float32)

        for levels in range(1, MAX_LEVELS + 1):
            declare(f"{op}{levels}", [dt.dt_float, dt.dt_int64] + [dt.dt_float] * levels, _schema_attrs(op), msra)
    _registered = True


def _explicit_attrs(node: onnx.NodeProto) -> dict:
    given = attribute_values(node)
    out = {}
    for name, (kind, default) in _schema_attrs(node.op_type).items():
        value = given.get(name, default)
        if kind == FLOATS:
            value = ",".join(repr(float(v)) for v in value)
        if value is not None:
            out[name] = value
    return out


def _rewrite(node: onnx.NodeProto, prefix: str) -> list[onnx.NodeProto]:
    e = NodeEmitter(prefix)
    inputs = list(node.input) + [""] * 3
    attrs = _explicit_attrs(node)
    if node.op_type == "CropAndResize":
        idx = e.op("Cast", [inputs[2]], to=onnx.TensorProto.INT64)
        ins, op = [inputs[0], inputs[1], idx], "CropAndResize"
    elif node.op_type in _MULTI_SCALE_OPS:
        maps = list(node.input[2:])
        if len(maps) > MAX_LEVELS:
            raise ValueError(f"{node.op_type} with {len(maps)} maps: the Python fallback handles up to {MAX_LEVELS}")
        rois, bi = (inputs[0], inputs[1]) if inputs[1] else split_batch_column(e, inputs[0])
        ins, op = [rois, bi, *maps], f"{node.op_type}{len(maps)}"
    else:
        rois, bi = (inputs[1], inputs[2]) if inputs[2] else split_batch_column(e, inputs[1])
        ins, op = [inputs[0], rois, bi], node.op_type
    e.nodes.append(helper.make_node(f"{PREFIX}{op}", ins, list(node.output), domain=EXT_DOMAIN, name=node.name,
                                    **attrs))
    return e.nodes


def to_extensions_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` whose roi_ops nodes are onnxruntime-extensions Python ops. A node on
    other than float32 maps raises ValueError naming it: Python ops declare one type per input."""
    types = element_types(model)
    for n in filter(lambda n: n.domain == DOMAIN, all_nodes(model.graph)):
        maps = n.input[2:] if n.op_type.startswith("MultiScale") else n.input[:1]
        other = [types[m] for m in maps if types.get(m, onnx.TensorProto.FLOAT) != onnx.TensorProto.FLOAT]
        if other:
            raise ValueError(f"{node_label(n)}: the Python fallback serves float32 models; its maps are "
                             f"{type_name(other[0])}")
    counter = itertools.count()
    out = replace_nodes(model, lambda n: n.domain == DOMAIN,
                        lambda n: _rewrite(n, f"{n.name or n.op_type}_ext{next(counter)}_"))
    imports = [i for i in out.opset_import if i.domain != DOMAIN]
    if not any(i.domain == EXT_DOMAIN for i in imports):
        imports.append(helper.make_opsetid(EXT_DOMAIN, 1))
    out.ClearField("opset_import")
    out.opset_import.extend(imports)
    return out


def session_options_with_extensions(options=None, *, with_roi_ops: bool = True):
    """SessionOptions with onnxruntime-extensions' library registered, and ours too."""
    import onnxruntime as ort
    from onnxruntime_extensions import get_library_path as extensions_library

    so = options or ort.SessionOptions()
    so.register_custom_ops_library(extensions_library())
    if with_roi_ops:
        session_options(so)  # registers the library once per options object
    return so


def make_python_session(model: onnx.ModelProto, options=None):
    """An InferenceSession that runs ``model``'s roi_ops nodes through onnxruntime-extensions'
    Python ops and the NumPy reference: no compiled roi_ops library needed."""
    import onnxruntime as ort

    register_python_ops()
    so = session_options_with_extensions(options, with_roi_ops=False)
    return ort.InferenceSession(to_extensions_model(model).SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
