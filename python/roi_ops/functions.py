"""Function bodies: roi_ops nodes that carry a standard-op definition (docs/spec.md, "Function
bodies"), so a model runs where the library is not registered.

``attach_functions(model)`` adds one model-local ``FunctionProto`` (domain ``roi_ops``, the op's
name) per distinct node form (op, attributes, which inputs are given), told apart by the
``overload`` field that ONNX IR 10 gives functions and nodes. onnxruntime runs the library's
kernel when the library is registered and inlines the body otherwise; ``onnx.reference`` runs the
body. The bodies are ``roi_ops.convert.to_standard``'s graphs where it has one, so they give the
op's numbers exactly where a standard op computes the same thing (``RoiAlign``, ``MaxRoiPool``),
and otherwise graphs that sample the map at computed positions (``roi_ops.sampled_bodies``)
within float32 rounding. A RoI with a NaN or infinite coordinate gets a NaN block, as the spec
says, in every body. A node form without such a body gets none, and the report says which node
and why.
"""
from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx
import onnx.inliner
from onnx import helper

from ._library import DOMAIN
from .convert import ConversionError, standard_nodes
from .graph import attribute_values, check_result, node_label, require_model, standard_opset
from .sampled_bodies import (NoBody, crop_and_resize_nodes, multi_scale_max_nodes, multi_scale_rotated_nodes,
                             ps_roi_pool_nodes, roi_align_max_nodes, roi_align_rotated_nodes)
from .standard_models import NodeEmitter

# Formal input names of each op's function, in the node's input order.
_FORMAL = {"MultiScaleRoIAlign": ["rois", "batch_indices"], "MultiScaleRoIAlignRotated": ["rois", "batch_indices"],
           "CropAndResize": ["X", "boxes", "box_indices"]}
_BOX = ["X", "rois", "batch_indices"]
# Forms to_standard has no graph for, sampled at computed positions (roi_ops.sampled_bodies).
SAMPLED = {"RoIAlign": roi_align_max_nodes, "RoIAlignRotated": roi_align_rotated_nodes,
           "CropAndResize": crop_and_resize_nodes, "MultiScaleRoIAlign": multi_scale_max_nodes,
           "MultiScaleRoIAlignRotated": multi_scale_rotated_nodes, "PSRoIPool": ps_roi_pool_nodes}


def _mode(node: onnx.NodeProto) -> str:
    for a in node.attribute:
        if a.name == "mode":
            return a.s.decode()
    return "avg"


@dataclass
class FunctionReport:
    """What ``attach_functions`` did: bodies attached (one line per function), bodies the model
    already had, and nodes left without one (node and reason)."""
    attached: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # also given to warnings.warn


def _formal_inputs(node: onnx.NodeProto) -> list[str]:
    names = list(_FORMAL.get(node.op_type, _BOX))
    while len(names) < len(node.input):  # the feature maps of the multi-scale ops
        names.append(f"X_{len(names) - 2}")
    return names[:len(node.input)]


def _key(node: onnx.NodeProto) -> str:
    text = repr((node.op_type, sorted((a.name, a.SerializeToString()) for a in node.attribute),
                 [bool(i) for i in node.input]))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


_UNCHECKED, _FINITE = "body_before_non_finite_rois", "body_finite_rois"


def _non_finite_rois(rois: str, opset: int) -> tuple[list[onnx.NodeProto], list[onnx.NodeProto]]:
    """Nodes before the body (``_FINITE``: rois with each NaN or infinite value replaced by 0, as
    onnxruntime's RoiAlign refuses such rois and OpenVINO's fails on them) and after it (Y = the
    body's output + NaN in the blocks of those RoIs, 0 elsewhere: docs/spec.md gives them a NaN
    block). rois - rois is 0, or NaN where a value is not finite."""
    before, after = NodeEmitter("body_finite_"), NodeEmitter("body_nan_")
    diff = before.op("Sub", [rois, rois])
    if opset >= 15:
        zero = before.real(0.0, rois)
    else:  # zeros of the rois' type without CastLike (opset 15)
        eye = before.op("EyeLike", [rois])
        zero = before.op("Sub", [eye, eye])
    # Equal rather than IsNaN: OpenVINO 2026.4 fails to compile IsNaN of a dynamic shape.
    before.op("Where", [before.op("Equal", [diff, zero]), rois, zero], output=_FINITE)
    if opset >= 13:  # ReduceSum and Unsqueeze take their axes as an input from 13
        flag = after.op("ReduceSum", [diff, after.const([1], np.int64)], keepdims=1)  # [K, 1]
        flag = after.op("Unsqueeze", [flag, after.const([2, 3], np.int64)])
    else:
        flag = after.op("Unsqueeze", [after.op("ReduceSum", [diff], axes=[1], keepdims=1)], axes=[2, 3])
    after.op("Add", [_UNCHECKED, flag], output="Y")
    return before.nodes, after.nodes


def function_for(node: onnx.NodeProto, opset: int) -> onnx.FunctionProto:
    """The body of ``node``'s form at standard opset ``opset``; ``ConversionError`` (naming the
    node and why) when it has none."""
    formal = _formal_inputs(node)
    rois = "boxes" if node.op_type == "CropAndResize" else "rois"
    template = helper.make_node(node.op_type, [(_FINITE if f == rois else f) if given else ""
                                               for f, given in zip(formal, node.input)],
                                [_UNCHECKED], domain=DOMAIN, name=node.name)
    template.attribute.extend(node.attribute)
    try:
        body = standard_nodes(template, opset, "body_")
    except ConversionError:
        sampled = SAMPLED.get(node.op_type)
        if sampled is None or (node.op_type in ("RoIAlign", "MultiScaleRoIAlign") and _mode(node) != "max"):
            raise
        if opset < 16:
            raise NoBody(f"{node_label(node)}: its sampled body needs standard opset 16 or later; the model imports "
                         f"{opset}") from None
        attrs = attribute_values(node)
        inputs = list(template.input) + [""] * 3
        if node.op_type.startswith("MultiScale"):
            body = sampled(inputs[0], inputs[1] or None, list(template.input[2:]), _UNCHECKED, prefix="body_",
                           opset=opset, **attrs)
        else:
            body = sampled(inputs[0], inputs[1], inputs[2] or None, _UNCHECKED, prefix="body_", opset=opset, **attrs)
    before, after = _non_finite_rois(rois, opset)
    body = before + list(body) + after
    return helper.make_function(DOMAIN, node.op_type, formal, ["Y"], body, [helper.make_opsetid("", opset)],
                                attributes=[a.name for a in node.attribute], overload=_key(node))


def attach_functions(model: onnx.ModelProto, *, report: FunctionReport | None = None) -> onnx.ModelProto:
    """A copy of ``model`` whose roi_ops nodes (main graph) carry standard-op function bodies.
    Nodes without a body keep running only where the library is registered; ``report`` lists
    them with the reason. Nodes of one op with different attributes get bodies told apart by
    their overload (IR 10), which onnxruntime before 1.27 ignores: a warning says so."""
    require_model(model, "attach_functions")
    report = report if report is not None else FunctionReport()
    out = _attach(model, report)
    bodies = Counter(f.name for f in out.functions if f.domain == DOMAIN)
    for op, count in sorted(bodies.items()):
        if count > 1:
            # measured: 1.21-1.26 run one body for all of them (wrong numbers, no error); 1.27 on run each
            report.warnings.append(f"{count} {op} bodies, told apart by their overload: onnxruntime before 1.27 runs "
                                   f"one of them for every {op} node (wrong numbers, no error); run the model on "
                                   "onnxruntime 1.27 or later, or write its bodies inlined (roi-ops convert --to "
                                   "standard --with-functions)")
            warnings.warn(report.warnings[-1], stacklevel=2)
    return out


def _attach(model: onnx.ModelProto, report: FunctionReport) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    opset = standard_opset(out)  # a model of roi_ops nodes only gets the opset its bodies need
    had = {(f.domain, f.name, f.overload) for f in out.functions}
    existing = set(had)
    for node in out.graph.node:
        if node.domain != DOMAIN:
            continue
        try:
            fn = function_for(node, opset)
        except (ConversionError, ValueError) as e:
            reason = str(e).split(": ", 1)[-1] if str(e).startswith(node_label(node)) else str(e)
            report.without.append(f"{node_label(node)}: {reason}")
            continue
        node.overload = fn.overload
        if (fn.domain, fn.name, fn.overload) in had:
            had.discard((fn.domain, fn.name, fn.overload))
            report.already.append(f"{fn.name} ({fn.overload}), first used by {node_label(node)}")
        elif (fn.domain, fn.name, fn.overload) not in existing:
            existing.add((fn.domain, fn.name, fn.overload))
            out.functions.append(fn)
            report.attached.append(f"{fn.name} ({fn.overload}): {len(fn.node)} standard nodes, first used by "
                                   f"{node_label(node)}")
    if out.ir_version < 10:  # function overloads exist from IR version 10
        out.ir_version = 10
    check_result(out, model)
    return out


def inline_functions(model: onnx.ModelProto, *, report: FunctionReport | None = None) -> onnx.ModelProto:
    """A copy of ``model`` whose roi_ops nodes (main graph) are replaced by their standard-op
    bodies: a model of standard ops only, for runtimes that expand no model-local functions.
    ``ConversionError`` naming each node without a body (and why) when there is one."""
    require_model(model, "inline_functions")
    report = report if report is not None else FunctionReport()
    with_bodies = _attach(model, report)  # onnx's inliner tells the overloads apart
    if report.without:
        raise ConversionError("no standard-op body for " + "; ".join(report.without))
    out = onnx.inliner.inline_local_functions(with_bodies)
    if not any(n.domain == DOMAIN for n in out.graph.node):
        kept = [o for o in out.opset_import if o.domain != DOMAIN]
        del out.opset_import[:]
        out.opset_import.extend(kept)
    check_result(out, model)
    return out
