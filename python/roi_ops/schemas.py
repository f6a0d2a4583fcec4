"""ONNX op schemas of the ``roi_ops`` domain, so that ``onnx.checker`` knows the ops and
``onnx.shape_inference`` infers each output's element type and shape (symbolic dims kept).

``register_schemas()`` is idempotent; ``roi_ops.graph`` and ``roi_ops.convert`` call it. The
schemas mirror docs/spec.md: names and inputs here, attribute types and defaults from
``roi_ops.attributes``.
"""
from __future__ import annotations

from onnx import AttributeProto, TensorShapeProto, TypeProto, defs, helper

from ._library import DOMAIN, OPSET_VERSION
from .attributes import ATTRIBUTES, DEFAULTS, FLOAT, FLOATS, INT, STRING

OpSchema = defs.OpSchema
# What the library registers kernels for (no bfloat16 kernel exists, so the schema does not admit it).
FLOAT_TYPES = ["tensor(float16)", "tensor(float)", "tensor(double)"]
A = AttributeProto


_KINDS = {INT: A.INT, FLOAT: A.FLOAT, STRING: A.STRING, FLOATS: A.FLOATS}


def _attributes(op_type: str) -> list[OpSchema.Attribute]:
    out = []
    for a in ATTRIBUTES[op_type].values():
        if a.required:
            out.append(OpSchema.Attribute(a.name, _KINDS[a.kind], "", required=True))
        else:
            out.append(OpSchema.Attribute(a.name, helper.make_attribute(a.name, a.default), ""))
    return out


def _int_attr(ctx, name: str, default: int) -> int:
    a = ctx.get_attribute(name)
    return default if a is None else a.i


def _copy_dim(dst: TensorShapeProto.Dimension, src: TensorShapeProto.Dimension) -> None:
    if src.HasField("dim_value"):
        dst.dim_value = src.dim_value
    elif src.HasField("dim_param"):
        dst.dim_param = src.dim_param


def _shape(t: TypeProto | None):
    if t is None:  # an input whose type inference has not resolved
        return None
    tt = t.tensor_type
    return list(tt.shape.dim) if tt.HasField("shape") else None


def _infer(ctx, *, x: int, rois: int, size=("output_height", "output_width"), per_bin_channels: bool = False,
           default_size: int = DEFAULTS.RoIAlign.output_height) -> None:
    """Y [K, C_out, oh, ow] of X's element type: K from rois, C_out from X (divided by the bins
    for the position-sensitive ops), oh/ow from the attributes."""
    x_type = ctx.get_input_type(x)
    if x_type is None:  # nothing known about X: the output's type stays open
        return
    out = TypeProto()
    out.tensor_type.elem_type = x_type.tensor_type.elem_type
    oh = _int_attr(ctx, size[0], default_size)
    ow = _int_attr(ctx, size[1], default_size)
    dims = out.tensor_type.shape.dim
    k_dim, c_dim = dims.add(), dims.add()
    dims.add().dim_value = oh
    dims.add().dim_value = ow
    rois_shape = _shape(ctx.get_input_type(rois))
    if rois_shape:
        _copy_dim(k_dim, rois_shape[0])
    x_shape = _shape(x_type)
    if x_shape and len(x_shape) == 4:
        c = x_shape[1]
        if not per_bin_channels:
            _copy_dim(c_dim, c)
        elif c.HasField("dim_value") and c.dim_value % (oh * ow) == 0:
            c_dim.dim_value = c.dim_value // (oh * ow)
    ctx.set_output_type(0, out)


def _roi_schema(name: str, box: str, infer) -> OpSchema:
    schema = OpSchema(
        name, DOMAIN, OPSET_VERSION, doc=f"{name} (docs/spec.md).",
        inputs=[
            OpSchema.FormalParameter("X", "T", "feature map [N, C, H, W]"),
            OpSchema.FormalParameter("rois", "T", box),
            OpSchema.FormalParameter("batch_indices", "tensor(int64)", "[K]; omit when rois carry the batch index",
                                     param_option=OpSchema.FormalParameterOption.Optional),
        ],
        outputs=[OpSchema.FormalParameter("Y", "T", "[K, C_out, output_height, output_width]")],
        type_constraints=[("T", FLOAT_TYPES, "float types")],
        attributes=_attributes(name),
    )
    schema.set_type_and_shape_inference_function(infer)
    return schema


BOXES = "[K,4] (x1, y1, x2, y2) with batch_indices, or [K,5] with the batch index first"
ROTATED_BOXES = "[K,5] (cx, cy, w, h, angle) with batch_indices, or [K,6] with the batch index first"


def _multi_scale_schema(name: str, box: str) -> OpSchema:
    schema = OpSchema(
        name, DOMAIN, OPSET_VERSION, doc=f"{name} (docs/spec.md).",
        inputs=[
            OpSchema.FormalParameter("rois", "T", box),
            OpSchema.FormalParameter("batch_indices", "tensor(int64)", "[K]; an empty name when rois carry the index",
                                     param_option=OpSchema.FormalParameterOption.Optional),
            OpSchema.FormalParameter("X", "T", "feature maps, finest first",
                                     param_option=OpSchema.FormalParameterOption.Variadic, is_homogeneous=True,
                                     min_arity=1),
        ],
        outputs=[OpSchema.FormalParameter("Y", "T", "[K, C, output_height, output_width]")],
        type_constraints=[("T", FLOAT_TYPES, "float types")],
        attributes=_attributes(name),
    )
    schema.set_type_and_shape_inference_function(lambda ctx: _infer(ctx, x=2, rois=0))
    return schema


def all_schemas() -> list[OpSchema]:
    boxed = lambda c: (lambda ctx: _infer(ctx, x=0, rois=1, per_bin_channels=c))  # noqa: E731
    schemas = [
        _roi_schema("RoIAlign", BOXES, boxed(False)),
        _roi_schema("RoIPool", BOXES, boxed(False)),
        _roi_schema("PSRoIAlign", BOXES, boxed(True)),
        _roi_schema("PSRoIPool", BOXES, boxed(True)),
        _roi_schema("RoIAlignRotated", ROTATED_BOXES, boxed(False)),
    ]
    crop = OpSchema(
        "CropAndResize", DOMAIN, OPSET_VERSION, doc="CropAndResize (docs/spec.md), tf.image.crop_and_resize on NCHW.",
        inputs=[
            OpSchema.FormalParameter("X", "T", "images [N, C, H, W]"),
            OpSchema.FormalParameter("boxes", "T", "[K,4] normalised (y1, x1, y2, x2)"),
            OpSchema.FormalParameter("box_indices", "I", "[K]"),
        ],
        outputs=[OpSchema.FormalParameter("Y", "T", "[K, C, crop_height, crop_width]")],
        type_constraints=[("T", FLOAT_TYPES, "float types"), ("I", ["tensor(int32)", "tensor(int64)"], "indices")],
        attributes=_attributes("CropAndResize"),
    )
    crop.set_type_and_shape_inference_function(
        lambda ctx: _infer(ctx, x=0, rois=1, size=("crop_height", "crop_width")))
    return schemas + [_multi_scale_schema("MultiScaleRoIAlign", BOXES),
                      _multi_scale_schema("MultiScaleRoIAlignRotated", ROTATED_BOXES), crop]


_registered = False


def register_schemas() -> None:
    """Registers the roi_ops schemas with onnx (once per process)."""
    global _registered
    if _registered:
        return
    for schema in all_schemas():
        if not defs.has(schema.name, schema.since_version, schema.domain):
            defs.register_schema(schema)
    _registered = True
