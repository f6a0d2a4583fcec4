"""What makes ``torch.onnx.export`` emit roi_ops nodes: onnxscript translations for the dynamo
exporter (``custom_translation_table``) and symbolic functions for the TorchScript exporter
(``register_custom_op_symbolic``), for the ``roi_ops::*`` custom ops and for torchvision's
``roi_align``, ``roi_pool``, ``ps_roi_align`` and ``ps_roi_pool`` (torchvision's ``rois`` are
[K,5] with the batch index first; its extra outputs, argmax and channel mapping, are not
exported: no inference graph reads them)."""
from __future__ import annotations

import contextlib
import io
from typing import Any

import onnx
import torch
from onnxscript.values import Opset

from .._library import DOMAIN, OPSET_VERSION
from ..schemas import register_schemas

register_schemas()  # onnxscript resolves roi_ops ops through the registered onnx schemas
R = Opset(DOMAIN, OPSET_VERSION)


# --- dynamo exporter: onnxscript translations ----------------------------------------------------

def _roi_align(x, rois, batch_indices, output_height: int, output_width: int, spatial_scale: float,
               sampling_ratio: int, mode: str, aligned: int):
    return R.RoIAlign(x, rois, batch_indices, output_height=output_height, output_width=output_width,
                      spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)


def _roi_pool(x, rois, batch_indices, output_height: int, output_width: int, spatial_scale: float):
    return R.RoIPool(x, rois, batch_indices, output_height=output_height, output_width=output_width,
                     spatial_scale=spatial_scale)


def _ps_roi_align(x, rois, batch_indices, output_height: int, output_width: int, spatial_scale: float,
                  sampling_ratio: int):
    return R.PSRoIAlign(x, rois, batch_indices, output_height=output_height, output_width=output_width,
                        spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)


def _ps_roi_pool(x, rois, batch_indices, output_height: int, output_width: int, spatial_scale: float):
    return R.PSRoIPool(x, rois, batch_indices, output_height=output_height, output_width=output_width,
                       spatial_scale=spatial_scale)


def _roi_align_rotated(x, rois, batch_indices, output_height: int, output_width: int, spatial_scale: float,
                       sampling_ratio: int, aligned: int, clockwise: int, angle_unit: str):
    return R.RoIAlignRotated(x, rois, batch_indices, output_height=output_height, output_width=output_width,
                             spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, aligned=aligned,
                             clockwise=clockwise, angle_unit=angle_unit)


def _multi_scale_roi_align(rois, batch_indices, maps, spatial_scales: list, output_height: int, output_width: int,
                           sampling_ratio: int, mode: str, aligned: int, canonical_scale: float, canonical_level: int,
                           eps: float, eps_in_log: int, roi_scale_factor: float):
    # The maps go by keyword: torch's exporter binds a variadic input given positionally after
    # other inputs to *all* positional arguments (torch 2.13, _building.py).
    return R.MultiScaleRoIAlign(rois, batch_indices, X=tuple(maps), spatial_scales=list(spatial_scales),
                                output_height=output_height, output_width=output_width,
                                sampling_ratio=sampling_ratio, mode=mode, aligned=aligned,
                                canonical_scale=canonical_scale, canonical_level=canonical_level, eps=eps,
                                eps_in_log=eps_in_log, roi_scale_factor=roi_scale_factor)


def _multi_scale_roi_align_rotated(rois, batch_indices, maps, spatial_scales: list, output_height: int,
                                   output_width: int, sampling_ratio: int, aligned: int, clockwise: int,
                                   angle_unit: str, canonical_scale: float, canonical_level: int, eps: float,
                                   eps_in_log: int, roi_scale_factor: float):
    return R.MultiScaleRoIAlignRotated(rois, batch_indices, X=tuple(maps), spatial_scales=list(spatial_scales),
                                       output_height=output_height, output_width=output_width,
                                       sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise,
                                       angle_unit=angle_unit, canonical_scale=canonical_scale,
                                       canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log,
                                       roi_scale_factor=roi_scale_factor)


def _crop_and_resize(x, boxes, box_indices, crop_height: int, crop_width: int, method: str,
                     extrapolation_value: float):
    return R.CropAndResize(x, boxes, box_indices, crop_height=crop_height, crop_width=crop_width, method=method,
                           extrapolation_value=extrapolation_value)


# torchvision's schemas: roi_align(input, rois, spatial_scale, pooled_height, pooled_width,
# sampling_ratio, aligned); roi_pool / ps_roi_pool(input, rois, spatial_scale, pooled_height,
# pooled_width) -> (out, argmax / mapping); ps_roi_align(..., sampling_ratio) -> (out, mapping).
# The parameters carry the schema's names: torch 2.10 and older bind the node's arguments to a
# translation by name (with `x` for `input`, torch's own translation of roi_align won).
def _tv_roi_align(input, rois, spatial_scale: float, pooled_height: int, pooled_width: int, sampling_ratio: int,
                  aligned: bool):
    return R.RoIAlign(input, rois, None, output_height=pooled_height, output_width=pooled_width,
                      spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, mode="avg", aligned=int(aligned))


def _tv_roi_pool(input, rois, spatial_scale: float, pooled_height: int, pooled_width: int):
    y = R.RoIPool(input, rois, None, output_height=pooled_height, output_width=pooled_width,
                  spatial_scale=spatial_scale)
    return y, y


def _tv_ps_roi_align(input, rois, spatial_scale: float, pooled_height: int, pooled_width: int, sampling_ratio: int):
    y = R.PSRoIAlign(input, rois, None, output_height=pooled_height, output_width=pooled_width,
                     spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)
    return y, y


def _tv_ps_roi_pool(input, rois, spatial_scale: float, pooled_height: int, pooled_width: int):
    y = R.PSRoIPool(input, rois, None, output_height=pooled_height, output_width=pooled_width,
                    spatial_scale=spatial_scale)
    return y, y


_OURS = {"roi_align": _roi_align, "roi_pool": _roi_pool, "ps_roi_align": _ps_roi_align,
         "ps_roi_pool": _ps_roi_pool, "roi_align_rotated": _roi_align_rotated,
         "multi_scale_roi_align": _multi_scale_roi_align,
         "multi_scale_roi_align_rotated": _multi_scale_roi_align_rotated, "crop_and_resize": _crop_and_resize}
_TORCHVISION = {"roi_align": _tv_roi_align, "roi_pool": _tv_roi_pool, "ps_roi_align": _tv_ps_roi_align,
                "ps_roi_pool": _tv_ps_roi_pool}


def _torchvision_ops():
    """torchvision's ops that exist in this process (torchvision itself, or ops defined with its schemas)."""
    found = {}
    for name, fn in _TORCHVISION.items():
        try:
            found[name] = (getattr(torch.ops.torchvision, name), fn)
        except (AttributeError, RuntimeError):
            continue
    return found


def custom_translation_table() -> dict:
    """``torch.onnx.export(..., dynamo=True, custom_translation_table=...)`` entries that emit
    roi_ops nodes for the roi_ops custom ops and for torchvision's RoI ops."""
    from . import ops  # noqa: F401 - defines torch.ops.roi_ops

    table = {getattr(torch.ops.roi_ops, name).default: fn for name, fn in _OURS.items()}
    for packet, fn in _torchvision_ops().values():
        table[packet.default] = fn
    return table


# --- TorchScript exporter: symbolic functions --------------------------------------------------

def _sym_inputs(g, *values):
    from torch.onnx import symbolic_helper as sh

    return [v for v in values if not sh._is_none(v)]


def _typed(y, x, rois, oh: int, ow: int, *, per_bin: bool = False):
    """``y`` typed [K, C_out, oh, ow] with X's element type (K and C where torch knows them): torch's
    shape inference then goes on past the node instead of warning that it cannot, and the
    exported output gets its known sizes rather than names for each."""
    from torch.onnx import symbolic_helper as sh

    if not isinstance(x.type(), torch._C.TensorType):
        return y
    x_sizes, rois_sizes = sh._get_tensor_sizes(x) or [None] * 4, sh._get_tensor_sizes(rois) or [None]
    c = x_sizes[1] if len(x_sizes) == 4 else None
    if per_bin and c is not None:
        c //= oh * ow
    y.setType(x.type().with_sizes([rois_sizes[0], c, oh, ow]))
    return y


def _register_torchscript(opset: int) -> None:
    from torch.onnx import register_custom_op_symbolic
    from torch.onnx import symbolic_helper as sh

    op = f"{DOMAIN}::"

    @sh.parse_args("v", "v", "v", "i", "i", "f", "i", "s", "i")
    def roi_align(g, x, rois, bi, oh, ow, scale, sr, mode, aligned):
        y = g.op(op + "RoIAlign", *_sym_inputs(g, x, rois, bi), output_height_i=oh, output_width_i=ow,
                 spatial_scale_f=scale, sampling_ratio_i=sr, mode_s=mode, aligned_i=aligned)
        return _typed(y, x, rois, oh, ow)

    @sh.parse_args("v", "v", "v", "i", "i", "f")
    def roi_pool(g, x, rois, bi, oh, ow, scale):
        y = g.op(op + "RoIPool", *_sym_inputs(g, x, rois, bi), output_height_i=oh, output_width_i=ow,
                 spatial_scale_f=scale)
        return _typed(y, x, rois, oh, ow)

    @sh.parse_args("v", "v", "v", "i", "i", "f", "i")
    def ps_roi_align(g, x, rois, bi, oh, ow, scale, sr):
        y = g.op(op + "PSRoIAlign", *_sym_inputs(g, x, rois, bi), output_height_i=oh, output_width_i=ow,
                 spatial_scale_f=scale, sampling_ratio_i=sr)
        return _typed(y, x, rois, oh, ow, per_bin=True)

    @sh.parse_args("v", "v", "v", "i", "i", "f")
    def ps_roi_pool(g, x, rois, bi, oh, ow, scale):
        y = g.op(op + "PSRoIPool", *_sym_inputs(g, x, rois, bi), output_height_i=oh, output_width_i=ow,
                 spatial_scale_f=scale)
        return _typed(y, x, rois, oh, ow, per_bin=True)

    @sh.parse_args("v", "v", "v", "i", "i", "f", "i", "i", "i", "s")
    def roi_align_rotated(g, x, rois, bi, oh, ow, scale, sr, aligned, clockwise, unit):
        y = g.op(op + "RoIAlignRotated", *_sym_inputs(g, x, rois, bi), output_height_i=oh, output_width_i=ow,
                 spatial_scale_f=scale, sampling_ratio_i=sr, aligned_i=aligned, clockwise_i=clockwise,
                 angle_unit_s=unit)
        return _typed(y, x, rois, oh, ow)

    def pyramid_inputs(g, rois, bi, maps):
        bi_in = bi if not sh._is_none(bi) else g.op("prim::Constant").setType(torch._C.OptionalType.ofTensor())
        return [rois, bi_in] + sh._unpack_list(maps)

    @sh.parse_args("v", "v", "v", "fs", "i", "i", "i", "s", "i", "f", "i", "f", "i", "f")
    def multi_scale_roi_align(g, rois, bi, maps, scales, oh, ow, sr, mode, aligned, s0, lvl0, eps, eps_in_log, f):
        y = g.op(op + "MultiScaleRoIAlign", *pyramid_inputs(g, rois, bi, maps), spatial_scales_f=scales,
                 output_height_i=oh, output_width_i=ow, sampling_ratio_i=sr, mode_s=mode, aligned_i=aligned,
                 canonical_scale_f=s0, canonical_level_i=lvl0, eps_f=eps, eps_in_log_i=eps_in_log,
                 roi_scale_factor_f=f)
        return _typed(y, sh._unpack_list(maps)[0], rois, oh, ow)

    @sh.parse_args("v", "v", "v", "fs", "i", "i", "i", "i", "i", "s", "f", "i", "f", "i", "f")
    def multi_scale_roi_align_rotated(g, rois, bi, maps, scales, oh, ow, sr, aligned, clockwise, unit, s0, lvl0, eps,
                                      eps_in_log, f):
        y = g.op(op + "MultiScaleRoIAlignRotated", *pyramid_inputs(g, rois, bi, maps), spatial_scales_f=scales,
                 output_height_i=oh, output_width_i=ow, sampling_ratio_i=sr, aligned_i=aligned,
                 clockwise_i=clockwise, angle_unit_s=unit, canonical_scale_f=s0, canonical_level_i=lvl0, eps_f=eps,
                 eps_in_log_i=eps_in_log, roi_scale_factor_f=f)
        return _typed(y, sh._unpack_list(maps)[0], rois, oh, ow)

    @sh.parse_args("v", "v", "v", "i", "i", "s", "f")
    def crop_and_resize(g, x, boxes, idx, ch, cw, method, ext):
        y = g.op(op + "CropAndResize", x, boxes, idx, crop_height_i=ch, crop_width_i=cw, method_s=method,
                 extrapolation_value_f=ext)
        return _typed(y, x, boxes, ch, cw)

    for name, fn in [("roi_align", roi_align), ("roi_pool", roi_pool), ("ps_roi_align", ps_roi_align),
                     ("ps_roi_pool", ps_roi_pool), ("roi_align_rotated", roi_align_rotated),
                     ("multi_scale_roi_align", multi_scale_roi_align),
                     ("multi_scale_roi_align_rotated", multi_scale_roi_align_rotated),
                     ("crop_and_resize", crop_and_resize)]:
        register_custom_op_symbolic(f"roi_ops::{name}", fn, opset)


def _register_torchvision(opset: int, names) -> None:
    from torch.onnx import register_custom_op_symbolic
    from torch.onnx import symbolic_helper as sh

    op = f"{DOMAIN}::"

    @sh.parse_args("v", "v", "f", "i", "i", "i", "i")
    def tv_roi_align(g, x, rois, scale, ph, pw, sr, aligned):
        y = g.op(op + "RoIAlign", x, rois, output_height_i=ph, output_width_i=pw, spatial_scale_f=scale,
                 sampling_ratio_i=sr, mode_s="avg", aligned_i=aligned)
        return _typed(y, x, rois, ph, pw)

    def two(name):  # ops with a second output that no inference graph reads
        def sym(g, x, rois, scale, ph, pw, *rest):
            kw = dict(output_height_i=sh._get_const(ph, "i", "pooled_height"),
                      output_width_i=sh._get_const(pw, "i", "pooled_width"),
                      spatial_scale_f=sh._get_const(scale, "f", "spatial_scale"))
            if rest:
                kw["sampling_ratio_i"] = sh._get_const(rest[0], "i", "sampling_ratio")
            y = _typed(g.op(op + name, x, rois, **kw), x, rois, kw["output_height_i"], kw["output_width_i"],
                       per_bin=name.startswith("PS"))
            return y, y
        return sym

    for name, fn in [("roi_align", tv_roi_align), ("roi_pool", two("RoIPool")), ("ps_roi_align", two("PSRoIAlign")),
                     ("ps_roi_pool", two("PSRoIPool"))]:
        if name in names:
            register_custom_op_symbolic(f"torchvision::{name}", fn, opset)


_registered: set = set()  # (opset, "roi_ops") and (opset, torchvision op name)


def register_torchscript_symbolics(opset: int = 17) -> None:
    """Registers the TorchScript-exporter symbolics for roi_ops' ops and for the torchvision ops
    that exist now (each once per opset and process)."""
    from . import ops  # noqa: F401

    if (opset, "roi_ops") not in _registered:
        _register_torchscript(opset)
        _registered.add((opset, "roi_ops"))
    new = [n for n in _torchvision_ops() if (opset, n) not in _registered]
    if new:
        _register_torchvision(opset, new)
        _registered.update((opset, n) for n in new)


@contextlib.contextmanager
def _torchvision_symbolics(opset: int):
    """roi_ops' symbolics for torchvision's ops, registered for one export only: afterwards a
    plain ``torch.onnx.export`` writes torchvision's ops with torchvision's own symbolics again
    (those registered by ``register_torchscript_symbolics`` stay)."""
    from torch.onnx import register_custom_op_symbolic, unregister_custom_op_symbolic

    names = [n for n in _torchvision_ops() if (opset, n) not in _registered]
    # torchvision registers its symbolics as custom ones too (opsets 11 and 16): the one at this
    # opset, if any, is put back afterwards. The registry is internal to torch.onnx.
    registry = unregister_custom_op_symbolic.__globals__["registration"].registry
    previous = {}
    for name in names:
        group = registry.get_function_group(f"torchvision::{name}")
        previous[name] = group._functions._overrides.get(opset) if group is not None else None
    _register_torchvision(opset, names)
    try:
        yield
    finally:
        for name in names:
            unregister_custom_op_symbolic(f"torchvision::{name}", opset)
            if previous[name] is not None:
                register_custom_op_symbolic(f"torchvision::{name}", previous[name], opset)


def export(model: torch.nn.Module, args: tuple, *, dynamo: bool = True, opset: int = 18,
           with_functions: bool = False, **kwargs: Any) -> onnx.ModelProto:
    """``torch.onnx.export`` with the roi_ops translations; returns the ONNX model (which imports
    the roi_ops domain). ``with_functions`` attaches standard-op bodies to the roi_ops nodes
    (``roi_ops.functions``), so the model also runs where the library is not registered. Nothing
    of it outlives the call: later exports write torchvision's ops as before."""
    if with_functions:
        from ..functions import attach_functions

        return attach_functions(export(model, args, dynamo=dynamo, opset=opset, **kwargs))
    if dynamo:
        program = torch.onnx.export(model, args, dynamo=True, opset_version=opset,
                                    custom_translation_table=custom_translation_table(), **kwargs)
        return program.model_proto
    from . import ops  # noqa: F401 - defines torch.ops.roi_ops

    if (opset, "roi_ops") not in _registered:
        _register_torchscript(opset)
        _registered.add((opset, "roi_ops"))
    buffer = io.BytesIO()
    with _torchvision_symbolics(opset):
        torch.onnx.export(model, args, buffer, dynamo=False, opset_version=opset,
                          custom_opsets={DOMAIN: OPSET_VERSION}, **kwargs)
    return onnx.load_from_string(buffer.getvalue())
