"""``import torchvision`` where its compiled ops do not load.

torchvision's wheels pair with one torch build; with another (say a CPU-only torch of a newer
patch release) its C++ extension fails to load and ``import torchvision`` itself fails, because
its meta registrations name ``torchvision::nms``. Its Python code — detection models, poolers,
ONNX symbolics — needs no compiled code, only the ops to exist. ``import_torchvision()`` imports
it normally and, only when the extension is missing, first defines the ops the detection models
call (``nms``, ``qnms``, ``roi_align``, ``roi_pool``, ``ps_roi_align``, ``ps_roi_pool``) with
``torch.library`` in plain PyTorch and makes torchvision report them as present. The kernels:
roi_ops' eager ops (the NumPy reference; docs/spec.md's numbers equal torchvision's; torchvision's
own pure-PyTorch ``_roi_align`` samples every map cell per bin and runs out of memory on detector
sizes) and a greedy NMS. They are slow and meant for export and tests, which is
what the ONNX exporters need: the traced graph holds torchvision's own symbolics.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings

import torch
from torch import Tensor

_NAMESPACE = "torchvision"
_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                 "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "roi_pool": "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                "SymInt pooled_width) -> (Tensor, Tensor)",
    "ps_roi_align": "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                    "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "ps_roi_pool": "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                   "SymInt pooled_width) -> (Tensor, Tensor)",
}
_library = None  # the torch.library.Library that holds the definitions (kept alive)


def nms(dets: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy NMS as torchvision's kernel: indices of the kept boxes, by decreasing score; a box
    is dropped when its IoU with a kept, higher-scoring box is above ``iou_threshold``."""
    if dets.numel() == 0:
        return torch.empty((0,), dtype=torch.int64, device=dets.device)
    order = torch.argsort(scores, descending=True, stable=True)
    boxes = dets[order].to(torch.float64)
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2[i + 1:]) - torch.maximum(x1[i], x1[i + 1:])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[i + 1:]) - torch.maximum(y1[i], y1[i + 1:])).clamp(min=0)
        inter = w * h
        suppressed[i + 1:] |= inter / (area[i] + area[i + 1:] - inter) > iou_threshold
    return order[torch.tensor(keep, dtype=torch.int64)].to(dets.device)


def _has_ops() -> bool:
    # A plain function: torchvision's scripted code compiles whatever _has_ops names.
    return True


def _extension_loads() -> bool:
    try:
        return hasattr(torch.ops.torchvision, "nms") or importlib.import_module("torchvision.extension")._has_ops()
    except Exception:  # noqa: BLE001 - importing the extension fails exactly when it does not load
        return False


def import_torchvision():
    """``torchvision``, with plain-PyTorch ops defined first when its compiled ops do not load
    (a warning says so). Raises ``ImportError`` when torchvision is not installed."""
    if "torchvision" in sys.modules and getattr(sys.modules["torchvision"], "models", None) is not None:
        return sys.modules["torchvision"]
    if importlib.util.find_spec("torchvision") is None:
        raise ImportError("torchvision is not installed (pip install torchvision)")
    if _extension_loads():
        import torchvision

        return torchvision
    # The failed import above left half-initialised torchvision modules behind.
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    if _library is None:
        _define_ops()
    import torchvision

    # The modules that imported _has_ops by name (torchvision.ops.roi_align is also a function).
    for module in ("torchvision.extension", "torchvision.ops.roi_align"):
        sys.modules[module]._has_ops = _has_ops
    warnings.warn("torchvision's compiled ops do not load with this torch; its RoI ops and NMS run as plain "
                  "PyTorch (roi_ops.torch.torchvision_ops): fine for export and tests, slow for inference",
                  stacklevel=2)
    return torchvision


def _define_ops() -> None:
    """Defines the ops in two steps: ``nms`` / ``qnms`` first (torchvision's ``__init__`` registers
    fake kernels for them), then, once torchvision imports, the RoI ops, with torchvision's own
    fake kernels for export."""
    global _library
    _library = torch.library.Library(_NAMESPACE, "DEF")
    for name, kernel in (("nms", nms), ("qnms", lambda d, s, t: nms(d.dequantize(), s.dequantize(), t))):
        _library.define(_SCHEMAS[name])
        _library.impl(name, kernel, "CompositeExplicitAutograd")
    import torchvision._meta_registrations as meta

    from . import eager as F

    def roi_align(x, rois, spatial_scale, ph, pw, sampling_ratio, aligned):
        # torchvision's sampling_ratio <= 0 is adaptive, roi_ops' 0.
        return F.roi_align(x, rois, None, ph, pw, spatial_scale, max(sampling_ratio, 0), "avg", int(aligned))

    def with_second(fn):  # torchvision's pool ops also return argmax / channel mapping; no inference reads them
        def op(x, rois, spatial_scale, ph, pw, *rest):
            y = fn(x, rois, None, ph, pw, spatial_scale, *rest)
            return y, torch.zeros(y.shape, dtype=torch.int32, device=x.device)
        return op

    for name, kernel in (("roi_align", roi_align), ("roi_pool", with_second(F.roi_pool)),
                         ("ps_roi_align", with_second(F.ps_roi_align)), ("ps_roi_pool", with_second(F.ps_roi_pool))):
        _library.define(_SCHEMAS[name])
        _library.impl(name, kernel, "CompositeExplicitAutograd")
        torch.library.register_fake(f"{_NAMESPACE}::{name}", getattr(meta, f"meta_{name}"), lib=_library)
