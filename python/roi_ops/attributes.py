"""The attributes of every roi_ops op, once: name, type and default (docs/spec.md).

The ONNX schemas (``schemas.py``), the node builders, the NumPy reference, the evaluator,
onnxruntime-extensions' Python ops and ``roi_ops.torch`` all take their defaults from this
table; the library's C++ attribute parser keeps its own, and tests check it, docs/ops.md and
every Python signature against this table.

    from roi_ops.attributes import DEFAULTS
    DEFAULTS.RoIAlign.sampling_ratio   # 0
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

INT, FLOAT, STRING, FLOATS = "int", "float", "string", "floats"


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: str  # INT, FLOAT, STRING or FLOATS
    default: Any = None  # None: the attribute is required

    @property
    def required(self) -> bool:
        return self.default is None


def _table(**spec: tuple[str, Any]) -> dict[str, Attribute]:
    return {name: Attribute(name, kind, default) for name, (kind, default) in spec.items()}


_OUTPUT = dict(output_height=(INT, 1), output_width=(INT, 1))
_SCALE = dict(spatial_scale=(FLOAT, 1.0))
_SAMPLING = dict(sampling_ratio=(INT, 0))  # 0: adaptive, ceil(roi size / output size)
# The FPN level rule; the defaults are torchvision's MultiScaleRoIAlign.
_LEVELS = dict(spatial_scales=(FLOATS, None), canonical_scale=(FLOAT, 224.0), canonical_level=(INT, 4),
               eps=(FLOAT, 1e-6), eps_in_log=(INT, 0), roi_scale_factor=(FLOAT, 1.0))
_MODE = dict(mode=(STRING, "avg"))
# detectron2's ROIAlignRotated defaults.
_ROTATED = dict(aligned=(INT, 1), clockwise=(INT, 0), angle_unit=(STRING, "degrees"))

ATTRIBUTES: dict[str, dict[str, Attribute]] = {
    "RoIAlign": _table(**_OUTPUT, **_SCALE, **_SAMPLING, **_MODE, aligned=(INT, 0)),
    "RoIPool": _table(**_OUTPUT, **_SCALE),
    "PSRoIAlign": _table(**_OUTPUT, **_SCALE, **_SAMPLING),
    "PSRoIPool": _table(**_OUTPUT, **_SCALE),
    "RoIAlignRotated": _table(**_OUTPUT, **_SCALE, **_SAMPLING, **_ROTATED),
    "MultiScaleRoIAlign": _table(**_OUTPUT, **_SAMPLING, **_MODE, aligned=(INT, 0), **_LEVELS),
    "MultiScaleRoIAlignRotated": _table(**_OUTPUT, **_SAMPLING, **_ROTATED, **_LEVELS),
    "CropAndResize": _table(crop_height=(INT, None), crop_width=(INT, None), method=(STRING, "bilinear"),
                            extrapolation_value=(FLOAT, 0.0)),
}
OP_TYPES = tuple(ATTRIBUTES)


def defaults(op_type: str) -> dict[str, Any]:
    """The optional attributes of ``op_type`` with their defaults."""
    return {name: a.default for name, a in ATTRIBUTES[op_type].items() if not a.required}


# DEFAULTS.<op>.<attribute>: what the Python signatures write as their defaults.
DEFAULTS = SimpleNamespace(**{op: SimpleNamespace(**defaults(op)) for op in ATTRIBUTES})
