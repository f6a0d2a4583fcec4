"""Converters between standard ONNX RoI ops and roi_ops, both directions, numbers unchanged.

- ``to_roi_ops``: ``RoiAlign`` (opsets 10, 16, 22; both coordinate modes; ``avg`` and ``max``,
  which ONNX Runtime computes as ``onnx_max``) -> ``roi_ops.RoIAlign``; ``MaxRoiPool`` (opsets 1,
  22) -> ``roi_ops.RoIPool``. ``fix_onnx_max=True`` maps ONNX's max to the true ``max`` instead,
  with a warning: that changes the numbers.
- ``to_standard``: ``roi_ops.RoIAlign`` (``avg``, ``onnx_max``) -> ``RoiAlign``; ``RoIPool`` ->
  ``MaxRoiPool``; ``PSRoIAlign`` and ``MultiScaleRoIAlign`` -> graphs of standard ops
  (``roi_ops.standard_models``). Ops with no standard equivalent raise ``ConversionError``
  naming the node.

Both recurse into subgraphs and return new models that pass
``onnx.checker.check_model(full_check=True)`` (``roi_ops.graph.check``).
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import onnx
from onnx import helper

from ._library import DOMAIN
from .attribute_checks import check_attributes
from .attributes import ATTRIBUTES, defaults
from .builders import add_opset_import, make_roi_align_node, make_roi_pool_node
from .foreign import convert_foreign
from .fusion import fuse_poolers
from .fusion.index import GraphIndex
from .fusion.poolers import FIX_ONNX_MAX
from .fusion.position_sensitive import fuse_position_sensitive
from .fusion.roi_layouts import restore_roi_layouts
from .graph import (all_nodes, attribute_values, check_result, checker_context, drop_unused_import, element_types,
                    node_label, replace_nodes, require_model, standard_opset, type_name)
from .schemas import FLOAT_TYPES
from .standard_attributes import roi_align_from_standard, roi_align_to_standard, roi_pool_from_standard
from .standard_models import NodeEmitter, multi_scale_roi_align_nodes, ps_roi_align_nodes, split_batch_column


class ConversionError(ValueError):
    """A node cannot be converted without changing the numbers."""


def _standard_roi_align(node: onnx.NodeProto, opset: int, fix_onnx_max: bool) -> onnx.NodeProto:
    attrs = roi_align_from_standard(node, opset, fix_onnx_max=fix_onnx_max)
    if attrs["mode"] == "max":
        warnings.warn(f"{node_label(node)}: {FIX_ONNX_MAX}", stacklevel=3)
    return make_roi_align_node(node.input[0], node.input[1], node.input[2], node.output[0], name=node.name or None,
                               **attrs)


def _standard_max_roi_pool(node: onnx.NodeProto) -> onnx.NodeProto:
    return make_roi_pool_node(node.input[0], node.input[1], None, node.output[0], name=node.name or None,
                              **roi_pool_from_standard(node))


def _is_standard_pooler(node: onnx.NodeProto) -> bool:
    return node.domain in ("", "ai.onnx") and node.op_type in ("RoiAlign", "MaxRoiPool")


def _not_converted(refused: list[str]) -> ConversionError:
    return ConversionError(f"cannot convert {len(refused)} node(s), so nothing was converted:\n"
                           + "\n".join(f"  {line}" for line in refused))


def _is_roi_ops(node: onnx.NodeProto) -> bool:
    return node.domain == DOMAIN


def _node_problem(node: onnx.NodeProto, ctx) -> str:
    """Why a node to convert cannot be read as its schema says (input count, attribute types) or,
    for a roi_ops node, as the library reads its attributes (docs/spec.md); or "". The converters
    read a node as its schema promises."""
    try:
        onnx.checker.check_node(node, ctx)
    except onnx.checker.ValidationError as e:
        return str(e).strip().splitlines()[0]
    if node.domain == DOMAIN and node.op_type in ATTRIBUTES:  # another op: standard_nodes names it
        try:
            check_attributes(node.op_type, **attribute_values(node))
        except (ValueError, TypeError) as e:
            return str(e)
    return ""


def _type_refusals(model: onnx.ModelProto) -> list[str]:
    """A line for each standard pooler whose maps have a type no roi_ops kernel takes (RoiAlign-22
    and MaxRoiPool-22 also take bfloat16)."""
    types = element_types(model)
    taken = ", ".join(t.removeprefix("tensor(").removesuffix(")") for t in FLOAT_TYPES)
    out = []
    for n in filter(_is_standard_pooler, all_nodes(model.graph)):
        name = type_name(types[n.input[0]]) if n.input[0] in types else None
        if name is not None and f"tensor({name})" not in FLOAT_TYPES:
            out.append(f"{node_label(n)}: its input {n.input[0]!r} is {name}; roi_ops takes {taken}")
    return out


def _refusals(model: onnx.ModelProto, converted: Callable[[onnx.NodeProto], bool]) -> list[str]:
    """A line for each node to convert (subgraphs included) that ``_node_problem`` refuses."""
    ctx = checker_context(model)
    return [f"{node_label(n)}: {problem}" for n in filter(converted, all_nodes(model.graph))
            if (problem := _node_problem(n, ctx))]


@dataclass
class ConversionReport:
    """What ``to_roi_ops`` did: nodes converted one for one, other toolchains' nodes converted
    (``roi_ops.foreign``), poolers fused (with their pattern), poolers left alone (with the
    reason), PSRoIAlign standard forms fused back into one node, and warnings about changed
    numbers."""
    converted: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    fused: list[str] = field(default_factory=list)
    position_sensitive: list[str] = field(default_factory=list)
    not_fused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def to_roi_ops(model: onnx.ModelProto, *, fix_onnx_max: bool = False, fuse: bool = True, aligned: bool = False,
               fold_aligned_shift: bool = False, report: ConversionReport | None = None) -> onnx.ModelProto:
    """Standard ``RoiAlign`` / ``MaxRoiPool`` nodes, and other toolchains' RoI nodes (mmcv,
    mmdeploy, TensorRT, OpenVINO, onnxruntime's contrib CropAndResize; docs/foreign.md), replaced
    by roi_ops nodes with the same numbers. A foreign node that cannot be converted raises
    ``ConversionError`` with one line per such node, and nothing is converted.

    ``fuse`` (default) first replaces each multi-level pooler that an exporter unrolled
    (torchvision, detectron2, mmdeploy; docs/fusion.md) by one ``MultiScaleRoIAlign`` node, and
    after the conversion the standard form of ``PSRoIAlign`` (``--to standard``'s) by one
    ``PSRoIAlign``.
    Repairs that change the numbers, each with a warning: ``fix_onnx_max`` (ONNX's max becomes the
    true max), ``aligned`` (every converted or fused node gets ``aligned=1``, for exports that lost
    ``aligned=True``, such as torchvision's opset-11 symbolic), ``fold_aligned_shift`` (a constant
    ``-0.5/spatial_scale`` added to the RoIs, mmdeploy's stand-in for ``aligned=True`` below opset
    16, becomes ``aligned=1``). ``report`` collects what was converted, fused and left alone.
    """
    require_model(model, "to_roi_ops")
    report = report if report is not None else ConversionReport()
    source = onnx.ModelProto()
    source.CopyFrom(model)
    imported = any(i.domain in ("", "ai.onnx") for i in model.opset_import)
    opset = standard_opset(source)
    # onnxruntime writes every custom domain registered in the process into the models it
    # optimizes (roi_ops at version 1000); an import no node uses is dropped, not trusted.
    drop_unused_import(source)
    source, foreign, refused = convert_foreign(source)
    refused += _refusals(source, _is_standard_pooler) or _type_refusals(source)
    if refused:
        raise _not_converted(refused)
    report.foreign += foreign
    if fuse:
        fusion = fuse_poolers(source.graph, opset, fold_aligned_shift=fold_aligned_shift, fix_onnx_max=fix_onnx_max)
        report.fused += fusion.fused
        report.not_fused += fusion.refused
        report.warnings += fusion.warnings
        if fusion.fused:
            source = add_opset_import(source)

    shifts = GraphIndex(source.graph) if fold_aligned_shift and opset < 16 else None

    def replace(n):
        report.converted.append(node_label(n))
        try:
            if n.op_type == "MaxRoiPool":
                return [_standard_max_roi_pool(n)]
            new = _standard_roi_align(n, opset, fix_onnx_max)
        except ConversionError:
            raise
        except ValueError as e:  # a mode the standard does not define, a missing pooled_shape
            raise ConversionError(f"{node_label(n)}: {e}") from e
        if shifts is not None and n.input[1] in shifts.producer:
            _fold_aligned_shift(new, shifts, report)
        return [new]

    out = replace_nodes(source, _is_standard_pooler, replace)
    if fuse:
        report.position_sensitive += fuse_position_sensitive(out)
    restore_roi_layouts(out)
    if not imported:
        drop_unused_import(out, "")  # standard_opset's, where nothing came to need it
    if aligned:
        _set_aligned(out.graph, report)
    for w in report.warnings:
        warnings.warn(w, stacklevel=2)
    check_result(out, model)
    return out


def _fold_aligned_shift(node: onnx.NodeProto, ix: GraphIndex, report: ConversionReport) -> None:
    """RoIAlign(rois - 0.5/scale, aligned=0) -> RoIAlign(rois, aligned=1): mmdeploy's stand-in for
    aligned=True below opset 16 (docs/fusion.md). Not exact for RoIs under one feature cell,
    which the non-aligned op widens to one cell."""
    rois, shift = ix.added_constant(node.input[1])
    scale = next(a.f for a in node.attribute if a.name == "spatial_scale")
    if shift == 0 or abs(shift + 0.5 / scale) > 1e-6 / scale:
        return
    node.input[1] = rois
    for a in node.attribute:
        if a.name == "aligned":
            a.i = 1
    report.warnings.append(f"{node_label(node)}: RoIs shifted by -0.5/spatial_scale folded into aligned=1; outputs "
                           f"change for RoIs smaller than one feature cell")


def _set_aligned(graph: onnx.GraphProto, report: ConversionReport) -> None:
    for n in graph.node:
        if n.domain == DOMAIN and n.op_type in ("RoIAlign", "MultiScaleRoIAlign"):
            old = [a for a in n.attribute if a.name == "aligned"]
            if old and old[0].i == 1:
                continue
            for a in old:
                n.attribute.remove(a)
            n.attribute.append(helper.make_attribute("aligned", 1))
            report.warnings.append(f"{node_label(n)}: aligned set to 1 (--aligned); the numbers change (samples "
                                   f"move by half a feature cell)")


def _batch_inputs(e: NodeEmitter, node: onnx.NodeProto, rois: str, bi: str | None) -> tuple[str, str]:
    return (rois, bi) if bi else split_batch_column(e, rois)


def standard_nodes(node: onnx.NodeProto, opset: int, prefix: str) -> list[onnx.NodeProto]:
    """Standard nodes (intermediate names prefixed by ``prefix``) computing what the roi_ops
    ``node`` computes, at standard opset ``opset``: what ``to_standard`` puts in its place and
    ``roi_ops.functions`` uses as its body. ``ConversionError`` names the node when it has none."""
    label = node_label(node)
    a = {**defaults(node.op_type), **attribute_values(node)} if node.op_type in ATTRIBUTES else {}
    e = NodeEmitter(prefix)
    inputs = list(node.input) + [""] * 3
    if node.op_type in ("RoIAlign", "MultiScaleRoIAlign") and a["mode"] == "max":
        raise ConversionError(f"{label}: mode 'max' (the max of bilinear samples) has no standard equivalent; "
                              f"ONNX RoiAlign's max computes roi_ops 'onnx_max'")
    if node.op_type == "RoIAlign":
        aligned = int(a["aligned"])
        if opset < 10 or (aligned and opset < 16):
            raise ConversionError(f"{label}: needs standard opset {16 if aligned else 10} or later (RoiAlign "
                                  f"{'with half_pixel coordinates' if aligned else ''}); the model imports {opset}")
        rois, bi = _batch_inputs(e, node, inputs[1], inputs[2])
        e.op("RoiAlign", [inputs[0], rois, bi], node.output[0], **roi_align_to_standard(a, opset))
        return e.nodes
    if node.op_type == "RoIPool":
        rois = inputs[1]
        if inputs[2]:  # MaxRoiPool takes (batch_index, x1, y1, x2, y2) rows
            if opset < 15:
                raise ConversionError(f"{label}: rois [K,4] with batch_indices need standard opset 15 or later "
                                      f"(CastLike); the model imports {opset}")
            column = e.op("CastLike", [e.op("Unsqueeze", [inputs[2], e.const([1], np.int64)]), rois])
            rois = e.op("Concat", [column, rois], axis=1)
        e.op("MaxRoiPool", [inputs[0], rois], node.output[0], pooled_shape=[a["output_height"], a["output_width"]],
             spatial_scale=float(a["spatial_scale"]))
        return e.nodes
    if node.op_type in ("PSRoIAlign", "MultiScaleRoIAlign") and opset < 16:
        raise ConversionError(f"{label}: the standard-op form needs opset 16 or later; the model imports {opset}")
    if node.op_type == "PSRoIAlign":
        rois, bi = _batch_inputs(e, node, inputs[1], inputs[2])
        return e.nodes + ps_roi_align_nodes(
            inputs[0], rois, bi, node.output[0], prefix=prefix + "ps_", output_height=a["output_height"],
            output_width=a["output_width"], spatial_scale=float(a["spatial_scale"]), sampling_ratio=a["sampling_ratio"])
    if node.op_type == "MultiScaleRoIAlign":
        rois, bi = _batch_inputs(e, node, node.input[0], node.input[1] if len(node.input) > 1 else None)
        return e.nodes + multi_scale_roi_align_nodes(
            rois, bi, list(node.input[2:]), node.output[0], prefix=prefix + "msra_",
            **{**a, "spatial_scales": [float(s) for s in a["spatial_scales"]]})
    raise ConversionError(f"{label}: {node.op_type} has no equivalent in standard ONNX ops that keeps the numbers "
                          f"(docs/spec.md); keep it as a roi_ops node and register the library")


def to_standard(model: onnx.ModelProto) -> onnx.ModelProto:
    """roi_ops nodes replaced by standard ONNX ops with the same numbers; ``ConversionError``
    names the first node that has no such form."""
    require_model(model, "to_standard")
    source = onnx.ModelProto()
    source.CopyFrom(model)
    opset = standard_opset(source)
    counter = itertools.count()
    refused = _refusals(model, _is_roi_ops)
    if refused:
        raise _not_converted(refused)

    def replace(n):
        nodes = standard_nodes(n, opset, f"{n.name or n.op_type}_std{next(counter)}_")
        # The node that writes n's output takes n's name, so profiles and to_roi_ops' fusions find
        # it under the name the model gave it (a round trip keeps the names).
        writer = next((m for m in reversed(nodes) if n.output[0] in m.output), None)
        if n.name and writer is not None:
            writer.name = n.name
        return nodes

    out = replace_nodes(source, _is_roi_ops, replace)
    drop_unused_import(out)
    check_result(out, model)
    return out

