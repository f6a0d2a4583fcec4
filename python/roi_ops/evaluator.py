"""``onnx.reference.ReferenceEvaluator`` support: the roi_ops domain backed by the NumPy
reference (``roi_ops.reference``)::

    from onnx.reference import ReferenceEvaluator
    from roi_ops.evaluator import REFERENCE_OPS
    ReferenceEvaluator(model, new_ops=REFERENCE_OPS).run(None, feeds)

or ``roi_ops.evaluator.make_evaluator(model)``.
"""
from __future__ import annotations

import onnx
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from . import reference
from ._library import DOMAIN
from .schemas import register_schemas


def _pick(**attrs):
    """Attributes that are set; the reference functions hold docs/spec.md's defaults for the rest."""
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items() if v is not None}


class RoIAlign(OpRun):
    op_domain = DOMAIN

    def _run(self, X, rois, batch_indices=None, output_height=None, output_width=None, spatial_scale=None,
             sampling_ratio=None, mode=None, aligned=None):
        return (reference.roi_align(X, rois, batch_indices, **_pick(
            output_height=output_height, output_width=output_width, spatial_scale=spatial_scale,
            sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)),)


class RoIPool(OpRun):
    op_domain = DOMAIN

    def _run(self, X, rois, batch_indices=None, output_height=None, output_width=None, spatial_scale=None):
        return (reference.roi_pool(X, rois, batch_indices, **_pick(
            output_height=output_height, output_width=output_width, spatial_scale=spatial_scale)),)


class PSRoIAlign(OpRun):
    op_domain = DOMAIN

    def _run(self, X, rois, batch_indices=None, output_height=None, output_width=None, spatial_scale=None,
             sampling_ratio=None):
        return (reference.ps_roi_align(X, rois, batch_indices, **_pick(
            output_height=output_height, output_width=output_width, spatial_scale=spatial_scale,
            sampling_ratio=sampling_ratio)),)


class PSRoIPool(OpRun):
    op_domain = DOMAIN

    def _run(self, X, rois, batch_indices=None, output_height=None, output_width=None, spatial_scale=None):
        return (reference.ps_roi_pool(X, rois, batch_indices, **_pick(
            output_height=output_height, output_width=output_width, spatial_scale=spatial_scale)),)


class RoIAlignRotated(OpRun):
    op_domain = DOMAIN

    def _run(self, X, rois, batch_indices=None, output_height=None, output_width=None, spatial_scale=None,
             sampling_ratio=None, aligned=None, clockwise=None, angle_unit=None):
        return (reference.roi_align_rotated(X, rois, batch_indices, **_pick(
            output_height=output_height, output_width=output_width, spatial_scale=spatial_scale,
            sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise, angle_unit=angle_unit)),)


class MultiScaleRoIAlign(OpRun):
    op_domain = DOMAIN

    def _run(self, rois, batch_indices, *maps, output_height=None, output_width=None, sampling_ratio=None,
             aligned=None, spatial_scales=None, canonical_scale=None, canonical_level=None, eps=None,
             eps_in_log=None):
        return (reference.multi_scale_roi_align(rois, batch_indices, *maps, **_pick(
            output_height=output_height, output_width=output_width, sampling_ratio=sampling_ratio, aligned=aligned,
            spatial_scales=list(spatial_scales), canonical_scale=canonical_scale, canonical_level=canonical_level,
            eps=eps, eps_in_log=eps_in_log)),)


class CropAndResize(OpRun):
    op_domain = DOMAIN

    def _run(self, X, boxes, box_indices, crop_height=None, crop_width=None, method=None, extrapolation_value=None):
        return (reference.crop_and_resize(X, boxes, box_indices, **_pick(
            crop_height=crop_height, crop_width=crop_width, method=method,
            extrapolation_value=extrapolation_value)),)


REFERENCE_OPS = [RoIAlign, RoIPool, PSRoIAlign, PSRoIPool, RoIAlignRotated, MultiScaleRoIAlign, CropAndResize]


def make_evaluator(model: onnx.ModelProto, **kwargs) -> ReferenceEvaluator:
    """A ReferenceEvaluator for ``model`` with the roi_ops domain available."""
    register_schemas()
    return ReferenceEvaluator(model, new_ops=REFERENCE_OPS, **kwargs)
