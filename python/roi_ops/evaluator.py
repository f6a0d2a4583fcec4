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
from .attributes import OP_TYPES
from .schemas import register_schemas


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


def make_evaluator(model: onnx.ModelProto, **kwargs) -> ReferenceEvaluator:
    """A ReferenceEvaluator for ``model`` with the roi_ops domain available."""
    register_schemas()
    return ReferenceEvaluator(model, new_ops=REFERENCE_OPS, **kwargs)
