"""Poolers of detectron2, mmdetection + mmdeploy and older torchvision, as their sources write
them, and the export calls those projects use."""
from __future__ import annotations

import io
import math
import sys
from typing import List

import onnx
import torch
from torch import Tensor, nn

import roi_ops.torch as rt


def _roi_align(x: Tensor, rois: Tensor, scale: float, size: int, sampling_ratio: int, aligned: bool) -> Tensor:
    from roi_ops.torch.torchvision_ops import import_torchvision

    return import_torchvision().ops.roi_align(x, rois, (size, size), scale, sampling_ratio, aligned)


class Detectron2ROIPooler(nn.Module):
    """detectron2/modeling/poolers.py ``ROIPooler`` (pooler_type ROIAlignV2: aligned=True):
    ``assign_boxes_to_levels`` with eps = sys.float_info.epsilon inside the log, boxes in pooler
    format (batch index first), ``output[inds] = pooler(...)`` per level (ScatterND)."""

    def __init__(self, output_size: int, scales: List[float], sampling_ratio: int, aligned: bool = True,
                 canonical_box_size: int = 224, canonical_level: int = 4):
        super().__init__()
        self.output_size, self.scales, self.sampling_ratio, self.aligned = output_size, scales, sampling_ratio, aligned
        self.min_level = int(-math.log2(scales[0]))
        self.max_level = int(-math.log2(scales[-1]))
        self.canonical_box_size, self.canonical_level = canonical_box_size, canonical_level

    def forward(self, x: List[Tensor], box_lists: List[Tensor]) -> Tensor:
        pooler_fmt_boxes = torch.cat([torch.cat((torch.full((len(b), 1), i, dtype=b.dtype), b), dim=1)
                                      for i, b in enumerate(box_lists)], dim=0)
        eps = sys.float_info[8]
        box_sizes = torch.sqrt(torch.cat([(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) for b in box_lists]))
        level_assignments = torch.floor(self.canonical_level + torch.log2(box_sizes / self.canonical_box_size + eps))
        level_assignments = torch.clamp(level_assignments, min=self.min_level, max=self.max_level)
        level_assignments = level_assignments.to(torch.int64) - self.min_level
        # _create_zeros: the RoI count from .shape[0], which tracing keeps dynamic
        output = torch.zeros((pooler_fmt_boxes.shape[0], x[0].shape[1], self.output_size, self.output_size),
                             dtype=x[0].dtype)
        for level, scale in enumerate(self.scales):
            inds = torch.nonzero(level_assignments == level, as_tuple=True)[0]
            output[inds] = _roi_align(x[level], pooler_fmt_boxes[inds], scale, self.output_size,
                                      self.sampling_ratio, self.aligned)
        return output


class _MMDeployRoIAlign(torch.autograd.Function):
    """mmdeploy/mmcv/ops/roi_align.py ``roi_align_default`` for onnxruntime below opset 16: the
    batch column and the boxes are selected, ``aligned`` becomes ``rois + (-0.5 / scale)``, then
    ``RoiAlign`` (opset 10 semantics). Forward: mmcv's aligned RoIAlign (avg)."""

    @staticmethod
    def forward(ctx, x, rois, size: int, scale: float, sampling_ratio: int):
        return rt.roi_align(x, rois, output_height=size, output_width=size, spatial_scale=scale,
                            sampling_ratio=sampling_ratio, aligned=1)

    @staticmethod
    def symbolic(g, x, rois, size: int, scale: float, sampling_ratio: int):
        from torch.onnx.symbolic_opset11 import add, select

        batch = g.op("Cast", g.op("Squeeze", select(g, rois, 1, g.op("Constant", value_t=torch.tensor([0]))),
                                  axes_i=[1]), to_i=7)
        boxes = select(g, rois, 1, g.op("Constant", value_t=torch.tensor([1, 2, 3, 4])))
        boxes = add(g, boxes, g.op("Constant", value_t=torch.tensor([-0.5 / scale], dtype=torch.float)))
        return g.op("RoiAlign", x, boxes, batch, output_height_i=size, output_width_i=size, spatial_scale_f=scale,
                    sampling_ratio_i=sampling_ratio, mode_s="avg")


class MMDeploySingleRoIExtractor(nn.Module):
    """mmdet ``SingleRoIExtractor`` (finest_scale=56, RoIAlign aligned=True, sampling_ratio=0) as
    mmdeploy rewrites its forward for the default backend
    (mmdeploy/codebase/mmdet/models/roi_heads/single_level_roi_extractor.py): 2L zero RoIs and
    levels 0..L-1 twice prepended, per level select, RoIAlign, ``roi_feats[inds] = ...``, then
    the dummy rows sliced off. Levels from mmdet's ``map_roi_levels``."""

    def __init__(self, output_size: int, featmap_strides: List[int], out_channels: int, finest_scale: int = 56):
        super().__init__()
        self.output_size, self.strides, self.finest_scale = output_size, featmap_strides, finest_scale
        self.out_channels = out_channels

    def forward(self, feats: List[Tensor], rois: Tensor) -> Tensor:
        num_levels = len(feats)
        roi_feats = feats[0].new_zeros(rois.shape[0], self.out_channels, self.output_size, self.output_size)
        scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
        target_lvls = torch.floor(torch.log2(scale / self.finest_scale + 1e-6))
        target_lvls = target_lvls.clamp(min=0, max=num_levels - 1).long()
        roi_feats = torch.cat((roi_feats.new_zeros(num_levels * 2, *roi_feats.shape[-3:]), roi_feats))
        rois = torch.cat((rois.new_zeros(num_levels * 2, 5), rois))
        _tmp = torch.linspace(0, num_levels - 1, num_levels, dtype=target_lvls.dtype, device=target_lvls.device)
        target_lvls = torch.cat((_tmp, _tmp, target_lvls))
        for i in range(num_levels):
            mask = target_lvls == i
            inds = mask.nonzero(as_tuple=False).squeeze(1)
            rois_t = rois[inds]
            roi_feats_t = _MMDeployRoIAlign.apply(feats[i], rois_t, self.output_size, 1.0 / self.strides[i], 0)
            roi_feats[inds] = roi_feats_t
        return roi_feats[num_levels * 2:]


def old_torchvision_level_mapper():
    """torchvision <= 0.7 ``LevelMapper.__call__`` (torchvision/ops/poolers.py then): eps inside
    the log, ``floor(lvl0 + log2(s / s0 + eps))``. Returns the function to patch in."""
    def __call__(self, boxlists):
        s = torch.sqrt(torch.cat([(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) for b in boxlists]))
        target_lvls = torch.floor(self.lvl0 + torch.log2(s / self.s0 + self.eps))
        target_lvls = torch.clamp(target_lvls, min=self.k_min, max=self.k_max)
        return (target_lvls.to(torch.int64) - self.k_min).to(torch.int64)
    return __call__


def export(module: nn.Module, args: tuple, input_names: list, output_names: list, opset: int,
           dynamic_axes: dict) -> onnx.ModelProto:
    """TorchScript export (tracing), as detectron2's and mmdeploy's exporters call it."""
    buffer = io.BytesIO()
    torch.onnx.export(module, args, buffer, dynamo=False, opset_version=opset, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes)
    return onnx.load_from_string(buffer.getvalue())


class TorchvisionPooler(nn.Module):
    """torchvision's own ``MultiScaleRoIAlign`` on maps given as separate inputs (so the export
    has one input per map and per image's boxes)."""

    def __init__(self, num_maps: int, output_size: int, sampling_ratio: int, image_size: int):
        super().__init__()
        from roi_ops.torch.torchvision_ops import import_torchvision

        self.names = [str(i) for i in range(num_maps)]
        self.pool = import_torchvision().ops.MultiScaleRoIAlign(self.names, output_size, sampling_ratio)
        self.image_size = image_size

    def forward(self, maps: List[Tensor], boxes: List[Tensor]) -> Tensor:
        return self.pool(dict(zip(self.names, maps)), boxes, [(self.image_size, self.image_size)] * len(boxes))
