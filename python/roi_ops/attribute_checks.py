"""Attribute checks with the library's rules and messages (ops/ort/attributes.cc, op_params.cc),
used by the node builders and ``roi_ops.torch``: Python refuses what onnxruntime with the library
refuses, and says the same (tests/test_attribute_checks.py compares each message with the
library's). Float attributes are checked as the float32 values ONNX stores."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .attributes import ATTRIBUTES, FLOAT, FLOATS, INT, STRING

MAX_OUTPUT_SIDE = 65536  # ops/ort/attributes.h
MAX_SAMPLING_RATIO = 1024
MAX_FEATURE_MAPS = 8  # the multi-scale ops' limit on every device (ops/math/fpn_levels.h)
CHOICES = {"mode": ("avg", "max", "onnx_max"), "angle_unit": ("degrees", "radians"), "method": ("bilinear", "nearest")}
_KIND_NAMES = {INT: "an int", FLOAT: "a float", STRING: "a string", FLOATS: "a list of floats"}


def _fail(op: str, text: str) -> None:
    raise ValueError(f"{op}: attribute {text}")


def _f32(v: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.float32(v))


def _g(v: float) -> str:
    """A float as C++'s ostream prints it (6 significant digits)."""
    return f"{v:g}"


def _scales(v) -> str:
    return "[" + ", ".join(_g(s) for s in v) + "]"


def _typed(op: str, name: str, kind: str, value: Any) -> Any:
    ok = {INT: lambda v: isinstance(v, (int, np.integer)),
          FLOAT: lambda v: isinstance(v, (int, float, np.integer, np.floating)),
          STRING: lambda v: isinstance(v, str),
          FLOATS: lambda v: isinstance(v, (list, tuple, np.ndarray)) and all(
              isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, bool) for s in v)}[kind]
    if isinstance(value, bool) and kind == INT:
        return int(value)  # True/False for the 0/1 flags
    if isinstance(value, bool) or not ok(value):
        _fail(op, f"'{name}' must be {_KIND_NAMES[kind]}; got {value!r}")
    return {INT: int, FLOAT: _f32, STRING: str, FLOATS: lambda v: [_f32(s) for s in v]}[kind](value)


def _check_value(op: str, name: str, v: Any) -> None:
    if name in ("output_height", "output_width", "crop_height", "crop_width"):
        if not 1 <= v <= MAX_OUTPUT_SIDE:
            _fail(op, f"'{name}' must be in [1, {MAX_OUTPUT_SIDE}]; got {v}")
    elif name in ("spatial_scale", "canonical_scale", "roi_scale_factor"):
        if not (math.isfinite(v) and v > 0):
            _fail(op, f"'{name}' must be finite and > 0; got {_g(v)}")
    elif name == "sampling_ratio":
        if not 0 <= v <= MAX_SAMPLING_RATIO:
            _fail(op, f"'sampling_ratio' must be in [0, {MAX_SAMPLING_RATIO}] (0 = adaptive); got {v}")
    elif name in ("aligned", "clockwise", "eps_in_log"):
        if v not in (0, 1):
            _fail(op, f"'{name}' must be 0 or 1; got {v}")
    elif name == "mode":
        if v not in CHOICES["mode"]:
            _fail(op, f"'mode' must be \"avg\", \"max\" or \"onnx_max\"; got \"{v}\"")
    elif name in CHOICES:
        if v not in CHOICES[name]:
            listed = ", ".join(f'"{c}"' for c in CHOICES[name])
            _fail(op, f"'{name}' must be one of {listed}; got \"{v}\"")
    elif name == "canonical_level":
        if not -64 <= v <= 64:
            _fail(op, f"'canonical_level' must be in [-64, 64]; got {v}")
    elif name == "eps":
        if not (math.isfinite(v) and v >= 0):
            _fail(op, f"'eps' must be finite and >= 0; got {_g(v)}")
    elif name == "spatial_scales":
        _check_pyramid(op, v)


def _check_pyramid(op: str, scales: list[float]) -> None:
    if not scales:
        _fail(op, "'spatial_scales' is required: one scale per feature map, finest first "
                  "(e.g. [0.25, 0.125, 0.0625, 0.03125]); it is missing or empty")
    if len(scales) > MAX_FEATURE_MAPS:
        _fail(op, f"'spatial_scales' has {len(scales)} scales; {op} takes at most {MAX_FEATURE_MAPS} feature maps")
    if not all(math.isfinite(s) and s > 0 for s in scales):
        _fail(op, f"'spatial_scales' must hold finite scales > 0; got {_scales(scales)}")
    levels = [round(-math.log2(s)) for s in scales]
    if any(b <= a for a, b in zip(levels, levels[1:])):
        _fail(op, "'spatial_scales' must list pyramid levels finest first, each coarser than the one before "
                  "(e.g. [0.25, 0.125, 0.0625, 0.03125], or [0.25, 0.0625] with a level skipped); "
                  f"got {_scales(scales)}")


def check_attributes(op_type: str, **attrs: Any) -> dict[str, Any]:
    """The attributes of an ``op_type`` node, checked as the library checks them: ints as int,
    floats as their float32 value, strings as str. Raises ValueError with the library's message;
    a required attribute that is missing (or None) and an unknown name are errors too."""
    table = ATTRIBUTES[op_type]
    for name in attrs:
        if name not in table:
            raise ValueError(f"{op_type}: unknown attribute {name!r}; {op_type} takes {', '.join(table)}")
    out = {}
    for name, a in table.items():
        value = attrs.get(name)
        if value is None:
            if a.required:
                if name == "spatial_scales":
                    _check_pyramid(op_type, [])
                _fail(op_type, f"'{name}' is required (an int in [1, {MAX_OUTPUT_SIDE}]); it is missing")
            continue
        v = _typed(op_type, name, a.kind, value)
        _check_value(op_type, name, v)
        out[name] = v
    return out
