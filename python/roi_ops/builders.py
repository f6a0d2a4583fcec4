"""Builders for roi_ops nodes and models, with attributes checked against SPEC.md.

Each builder returns a new ``onnx.NodeProto`` in the ``roi_ops`` domain; ``add_opset_import``
returns a copy of a model that imports the domain. Bad values raise ``ValueError`` naming the
attribute and what to change.
"""
from __future__ import annotations

import math
from typing import Sequence

import onnx
from onnx import helper

from ._library import DOMAIN, OPSET_VERSION

MAX_OUTPUT_SIDE = 65536  # the library refuses larger outputs (ops/ort/attributes.h)
MAX_SAMPLING_RATIO = 1024
ALIGN_MODES = ("avg", "max", "onnx_max")


def _check_side(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_OUTPUT_SIDE:
        raise ValueError(f"{name} must be an int in [1, {MAX_OUTPUT_SIDE}]; got {value!r}")
    return value


def _check_scale(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"spatial_scale must be a finite number > 0 (feature size / image size); got {value!r}")
    return float(value)


def _check_sampling_ratio(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAMPLING_RATIO:
        raise ValueError(
            f"sampling_ratio must be an int in [0, {MAX_SAMPLING_RATIO}] (0 = adaptive); got {value!r}"
        )
    return value


def _check_flag(name: str, value: int | bool) -> int:
    if value not in (0, 1):  # True/False compare equal to 1/0
        raise ValueError(f"{name} must be 0 or 1 (or a bool); got {value!r}")
    return int(value)


def _roi_inputs(x: str, rois: str, batch_indices: str | None) -> list[str]:
    # rois [K,4] needs batch_indices; rois [K,5] carries the batch index and omits it.
    return [x, rois] if not batch_indices else [x, rois, batch_indices]


def make_roi_align_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = 1,
    output_width: int = 1,
    spatial_scale: float = 1.0,
    sampling_ratio: int = 0,
    mode: str = "avg",
    aligned: int | bool = 0,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.RoIAlign`` node.

    ``aligned=0, mode="avg"`` equals ONNX ``RoiAlign`` (``output_half_pixel``) and
    ``torchvision.ops.roi_align(aligned=False)``; ``aligned=1`` equals ``half_pixel``,
    torchvision ``aligned=True``, detectron2 ``ROIAlign(aligned=True)`` and mmcv ``aligned=True``.
    ``mode="max"`` is the max of bilinear samples (mmcv ``pool_mode="max"``); ``"onnx_max"``
    reproduces ONNX Runtime's ``RoiAlign(mode="max")``. Pass ``batch_indices=None`` with
    rois of shape [K,5] (batch index first).
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f"mode must be one of {ALIGN_MODES}; got {mode!r}")
    return helper.make_node(
        "RoIAlign",
        _roi_inputs(x, rois, batch_indices),
        [output],
        name=name,
        domain=DOMAIN,
        output_height=_check_side("output_height", output_height),
        output_width=_check_side("output_width", output_width),
        spatial_scale=_check_scale(spatial_scale),
        sampling_ratio=_check_sampling_ratio(sampling_ratio),
        mode=mode,
        aligned=_check_flag("aligned", aligned),
    )


def make_roi_pool_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = 1,
    output_width: int = 1,
    spatial_scale: float = 1.0,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.RoIPool`` node: the numbers of ONNX ``MaxRoiPool`` and
    ``torchvision.ops.roi_pool`` (Fast R-CNN rounding)."""
    return helper.make_node(
        "RoIPool",
        _roi_inputs(x, rois, batch_indices),
        [output],
        name=name,
        domain=DOMAIN,
        output_height=_check_side("output_height", output_height),
        output_width=_check_side("output_width", output_width),
        spatial_scale=_check_scale(spatial_scale),
    )


def add_opset_import(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` that imports the ``roi_ops`` domain (version 1)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for imp in out.opset_import:
        if imp.domain == DOMAIN:
            if imp.version != OPSET_VERSION:
                raise ValueError(f"model imports {DOMAIN} version {imp.version}; this package provides {OPSET_VERSION}")
            return out
    out.opset_import.append(helper.make_opsetid(DOMAIN, OPSET_VERSION))
    return out


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[onnx.ValueInfoProto],
    outputs: Sequence[onnx.ValueInfoProto],
    *,
    opset: int = 17,
    name: str = "roi_ops_graph",
) -> onnx.ModelProto:
    """A model of ``nodes`` importing the standard opset ``opset`` and ``roi_ops``."""
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs))
    # IR version 10 is read by every onnxruntime this package supports (>= 1.21).
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    return add_opset_import(model)
