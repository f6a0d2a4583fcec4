"""``onnx.reference.ReferenceEvaluator`` support: the roi_ops domain backed by the NumPy
reference (``roi_ops.reference``)::

    from onnx.reference import ReferenceEvaluator
    from roi_ops.evaluator import REFERENCE_OPS, STANDARD_OPS
    ReferenceEvaluator(model, new_ops=REFERENCE_OPS + STANDARD_OPS).run(None, feeds)

or ``roi_ops.evaluator.make_evaluator(model)``.

``STANDARD_OPS`` mends two standard ops that onnx 1.23's evaluator lacks or computes wrongly,
both of which roi_ops' function bodies and ``roi-ops convert --to standard`` write: it has no
``MaxRoiPool``, and it runs ``RoiAlign``-10 (models importing opset < 16) with opset 16's default
coordinates (``half_pixel``) where RoiAlign-10 samples as ``output_half_pixel`` does (as
onnxruntime and OpenVINO run it). ``make_body_evaluator(model)`` runs a model's roi_ops nodes by
their function bodies (``roi_ops.functions``) with these two mended: there the standard
``RoiAlign`` stays onnx's own, an oracle independent of roi_ops.

``make_evaluator`` (what ``roi-ops check`` compares with) computes ``RoiAlign`` by the NumPy
reference instead (``REFERENCE_STANDARD_OPS``): onnx's loops over every sample in Python took 38
of the 65 s that checking torchvision's exported Faster R-CNN took under the profiler.
"""
from __future__ import annotations

import onnx
import onnx.inliner
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnx.reference.ops.op_roi_align import RoiAlign as _EvaluatorRoiAlign

from . import reference
from ._library import DOMAIN
from .attributes import OP_TYPES
from .graph import node_label
from .schemas import register_schemas
from .standard_attributes import COORDINATES, roi_align_from_standard, roi_pool_from_standard


def _reference_op(op_type: str, fn) -> type[OpRun]:
    """An OpRun for ``op_type`` that calls ``fn``. The evaluator passes every attribute: the
    node's, and the registered schema's defaults (roi_ops.attributes) for the rest."""

    def _run(self, *inputs, **attrs):
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
        if "spatial_scales" in attrs:
            attrs["spatial_scales"] = [float(s) for s in attrs["spatial_scales"]]
        return (fn(*inputs, **attrs),)

    return type(op_type, (OpRun,), {"op_domain": DOMAIN, "_run": _run})


REFERENCE_OPS = [_reference_op(op_type, reference.BY_OP_TYPE[op_type]) for op_type in OP_TYPES]


class MaxRoiPool(OpRun):
    """ONNX ``MaxRoiPool``-1, which onnx 1.23's evaluator does not implement: the same op as
    roi_ops' RoIPool (docs/spec.md, "RoIPool"), so its reference computes it."""

    op_domain = ""

    def _run(self, X, rois, **_):
        return (reference.roi_pool(X, rois, **_named(self, roi_pool_from_standard)),)


def _named(op: OpRun, read, *args):
    """read(op's node, *args), its ValueError naming the node (onnxruntime, for one, runs a
    coordinate mode the standard does not define as output_half_pixel)."""
    try:
        return read(op.onnx_node, *args)
    except ValueError as e:
        raise ValueError(f"{node_label(op.onnx_node)}: {e}") from None


def _roi_align_attributes(op: OpRun) -> dict:
    opsets = op.run_params.get("opsets") or {}
    return _named(op, roi_align_from_standard, opsets.get("", opsets.get("ai.onnx", 16)))


class RoiAlign(_EvaluatorRoiAlign):
    """The evaluator's own ``RoiAlign``, given ``output_half_pixel`` where the node is
    ``RoiAlign``-10: that version has no coordinate_transformation_mode and samples without the
    half-pixel shift, but onnx 1.23's evaluator applies opset 16's default (``half_pixel``)."""

    op_domain = ""

    def _run(self, X, rois, batch_indices, coordinate_transformation_mode=None, **attrs):
        aligned = _roi_align_attributes(self)["aligned"]
        return super()._run(X, rois, batch_indices, coordinate_transformation_mode=COORDINATES[aligned], **attrs)


STANDARD_OPS = [MaxRoiPool, RoiAlign]


def _roi_align_by_reference(self, X, rois, batch_indices, **_):
    return (reference.roi_align(X, rois, batch_indices, **_roi_align_attributes(self)),)


# Standard RoiAlign computed by roi_ops' reference of what it computes (RoIAlign, onnx_max for its
# max), and MaxRoiPool as above. The evaluator picks an op by its class name.
REFERENCE_STANDARD_OPS = [MaxRoiPool, type("RoiAlign", (OpRun,), {"op_domain": "", "_run": _roi_align_by_reference})]


def make_evaluator(model: onnx.ModelProto, **kwargs) -> ReferenceEvaluator:
    """A ReferenceEvaluator for ``model`` with the roi_ops domain available and the standard RoI
    ops of ``REFERENCE_STANDARD_OPS``."""
    register_schemas()
    return ReferenceEvaluator(model, new_ops=REFERENCE_OPS + REFERENCE_STANDARD_OPS, **kwargs)


def make_body_evaluator(model: onnx.ModelProto, **kwargs) -> ReferenceEvaluator:
    """A ReferenceEvaluator that runs ``model``'s roi_ops nodes by their function bodies, with
    ``STANDARD_OPS``. The model-local functions are inlined first: onnx 1.23's evaluator builds
    the evaluators of local functions without ``new_ops``, so inside a body it would run its own
    RoiAlign and have no MaxRoiPool."""
    return ReferenceEvaluator(onnx.inliner.inline_local_functions(model), new_ops=STANDARD_OPS, **kwargs)
