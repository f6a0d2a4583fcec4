"""``roi-ops check``: run a model through the library and the NumPy reference (``onnx``'s
ReferenceEvaluator with the roi_ops domain) and compare every output.

Inputs the user does not give are made from the contracts of the roi_ops nodes that read them
(docs/spec.md): feature maps of a size that fits the node, RoIs inside the image with integer
batch indices in [0, N), normalised crop boxes, int32/int64 box indices; symbolic dimensions take
``--dim NAME=SIZE`` or a default per role, and a ``--dim`` that names no dimension is an error.
When an output differs, ``locate`` says where the two runs part: before, in or after a roi_ops node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper

from ._library import DOMAIN, QUIET_LOGS
from .attributes import DEFAULTS
from .graph import attribute_values, fed_inputs, infer_leniently, node_label

# Sizes of unnamed dimensions, and of named ones without --dim, by role.
DEFAULT_SIZES = {"N": 2, "C": 4, "H": 16, "W": 16, "K": 6}
_BOX_OPS = {"RoIAlign": 4, "RoIPool": 4, "PSRoIAlign": 4, "PSRoIPool": 4, "RoIAlignRotated": 5}
_PS_OPS = ("PSRoIAlign", "PSRoIPool")
_MULTI_SCALE_OPS = {"MultiScaleRoIAlign": 4, "MultiScaleRoIAlignRotated": 5}  # rois, batch_indices?, X_0, ...

# Tolerance of |library - reference| relative to the output's magnitude (at least 1), per dtype:
# the library computes float32 and float16 with float32 weights and sums (tests/conftest.py).
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 2e-3}


class CheckError(Exception):
    """The check cannot run as asked (a --dim that names no dimension, inputs that do not fit)."""


@dataclass
class _Role:
    """What a graph input is to the roi_ops node that reads it."""
    kind: str  # "map", "rois", "batch_indices", "crop_boxes", "box_indices"
    node: onnx.NodeProto
    box_cols: int = 4
    with_index: bool = False  # rois carry the batch index in their first column
    maps: list = field(default_factory=list)  # the node's feature-map input names


def _roles(model: onnx.ModelProto) -> dict[str, _Role]:
    roles: dict[str, _Role] = {}
    for node in model.graph.node:
        if node.domain != DOMAIN:
            continue
        ins = list(node.input) + [""] * 3  # a node short of inputs: the session says what it misses
        if node.op_type in _BOX_OPS:
            has_bi = ins[2] != ""
            roles.setdefault(ins[0], _Role("map", node))
            roles.setdefault(ins[1], _Role("rois", node, _BOX_OPS[node.op_type], not has_bi, [ins[0]]))
            if has_bi:
                roles.setdefault(ins[2], _Role("batch_indices", node, maps=[ins[0]]))
        elif node.op_type in _MULTI_SCALE_OPS:
            has_bi = ins[1] != ""
            maps = list(node.input[2:])
            roles.setdefault(ins[0], _Role("rois", node, _MULTI_SCALE_OPS[node.op_type], not has_bi, maps))
            if has_bi:
                roles.setdefault(ins[1], _Role("batch_indices", node, maps=maps))
            for m in maps:
                roles.setdefault(m, _Role("map", node))
        elif node.op_type == "CropAndResize":
            roles.setdefault(ins[0], _Role("map", node))
            roles.setdefault(ins[1], _Role("crop_boxes", node, maps=[ins[0]]))
            roles.setdefault(ins[2], _Role("box_indices", node, maps=[ins[0]]))
    return roles


def _role_dims(role: _Role | None, rank: int | None) -> list[str]:
    """The role name of each axis (N, C, H, W, K) for unnamed dimensions."""
    if role is None:
        return ["N"] + ["C"] * max((rank or 1) - 1, 0)
    return {"map": ["N", "C", "H", "W"], "rois": ["K", "cols"], "crop_boxes": ["K", "cols"],
            "batch_indices": ["K"], "box_indices": ["K"]}[role.kind]


def make_inputs(model: onnx.ModelProto, dims: dict[str, int] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Feeds for every graph input that is not an initializer, valid for the nodes that read them."""
    dims = dict(dims or {})
    rng = np.random.default_rng(seed)
    inputs = fed_inputs(model.graph)
    named = {d.dim_param for v in inputs for d in v.type.tensor_type.shape.dim if d.dim_param}
    unused = sorted(set(dims) - named)
    if unused:
        have = ", ".join(sorted(named)) or "none"
        raise CheckError(f"--dim {unused[0]}: the model's inputs have no dimension named {unused[0]} "
                         f"(named dimensions: {have})")
    roles = _roles(model)
    sizes: dict[str, int] = {}  # resolved sizes of named dimensions

    def size(d, axis_role: str, fixed: int | None = None) -> int:
        if d is not None and d.HasField("dim_value"):
            return d.dim_value
        if fixed is not None:
            return fixed
        if d is not None and d.dim_param:
            if d.dim_param not in sizes:
                sizes[d.dim_param] = dims.get(d.dim_param, DEFAULT_SIZES.get(axis_role, 2))
            return sizes[d.dim_param]
        return DEFAULT_SIZES.get(axis_role, 2)

    def shape_of(v, role, fixed: dict[int, int] | None = None) -> list[int]:
        tt = v.type.tensor_type
        axes = list(tt.shape.dim) if tt.HasField("shape") else None
        names = _role_dims(role, len(axes) if axes is not None else None)
        if axes is None:
            axes = [None] * len(names)
        return [size(d, names[i] if i < len(names) else "C", (fixed or {}).get(i)) for i, d in enumerate(axes)]

    feeds: dict[str, np.ndarray] = {}
    computed = _static_shapes(model)  # maps the graph computes (a backbone's output), for N, H and W
    # Maps first: RoIs are placed inside the image the maps cover.
    for v in inputs:
        role = roles.get(v.name)
        if role is None or role.kind != "map":
            continue
        fixed = {}
        if role.node.op_type in _PS_OPS:
            a = attribute_values(role.node)
            fixed[1] = 2 * a.get("output_height", 1) * a.get("output_width", 1)
        if role.node.op_type in _MULTI_SCALE_OPS:
            level = list(role.node.input[2:]).index(v.name)
            finest = role.node.input[2]
            if level > 0 and finest in feeds:  # the finest map's size over the ratio of the scales
                scales = attribute_values(role.node)["spatial_scales"]
                shift = round(np.log2(float(scales[0]) / float(scales[level])))
                h, w = feeds[finest].shape[2:]
                fixed.update({0: feeds[finest].shape[0], 1: feeds[finest].shape[1], 2: max(h >> shift, 1),
                              3: max(w >> shift, 1)})
            elif level == 0:
                fixed.update({2: 64, 3: 64})
        feeds[v.name] = rng.standard_normal(shape_of(v, role, fixed)).astype(_np_type(v))
    for v in inputs:
        if v.name in feeds:
            continue
        role = roles.get(v.name)
        dtype = _np_type(v)
        if role is None:
            shape = shape_of(v, None)
            feeds[v.name] = (rng.uniform(0, 1, shape) if np.issubdtype(dtype, np.floating)
                             else np.zeros(shape)).astype(dtype)
            continue
        maps = [feeds[m].shape if m in feeds else computed.get(m) for m in role.maps]
        n = maps[0][0] if maps and maps[0] else size(None, "N")
        k_fixed = _k_from_partner(role, feeds)

        def batch_indices(k: int) -> np.ndarray:
            if n == 0 and k:  # else onnxruntime's error would blame the library's op for the made inputs
                raise CheckError(f"input '{v.name}': {node_label(role.node)} takes the batch indices of its {k} RoIs "
                                 f"from input '{role.maps[0]}', which has N = 0 images, so none is valid; give N >= 1 "
                                 "or no RoIs")
            return rng.integers(0, max(n, 1), k)
        if role.kind in ("batch_indices", "box_indices"):
            shape = shape_of(v, role, {0: k_fixed} if k_fixed is not None else None)
            if len(shape) != 1:
                raise CheckError(f"input '{v.name}' is declared {len(shape)}-D, but {role.node.op_type} node "
                                 f"'{role.node.name}' reads it as {role.kind} [K]")
            (k,) = shape
            feeds[v.name] = batch_indices(k).astype(dtype)
        elif role.kind == "crop_boxes":
            k = shape_of(v, role, {1: 4} if k_fixed is None else {0: k_fixed, 1: 4})[0]
            lo, hi = rng.uniform(0, 0.6, (k, 2)), rng.uniform(0.1, 0.4, (k, 2))
            feeds[v.name] = np.concatenate([lo, lo + hi], 1).astype(dtype)
        else:
            cols = role.box_cols + role.with_index
            shape = shape_of(v, role, {1: cols} if k_fixed is None else {0: k_fixed, 1: cols})
            if len(shape) != 2:
                raise CheckError(f"input '{v.name}' is declared {len(shape)}-D, but {role.node.op_type} node "
                                 f"'{role.node.name}' reads it as rois [K,{cols}]")
            k, declared = shape
            if declared != cols:
                layout = "with batch_indices" if not role.with_index else "with the batch index first"
                raise CheckError(f"input '{v.name}' declares {declared} columns, but {role.node.op_type} node "
                                 f"'{role.node.name}' reads it as rois [K,{cols}] ({layout})")
            boxes = _boxes(rng, k, role, maps)
            if role.with_index:
                boxes = np.concatenate([batch_indices(k)[:, None], boxes], 1)
            feeds[v.name] = boxes.astype(dtype)
    return feeds


def _static_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """The shapes onnx's shape inference fixes from the inputs' declared ones, by value name (none
    where inference cannot follow the model: every map's size then defaults)."""
    shapes = {}
    for v in infer_leniently(model).graph.value_info:
        dims = v.type.tensor_type.shape.dim
        if v.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[v.name] = tuple(d.dim_value for d in dims)
    return shapes


def _k_from_partner(role, feeds) -> int | None:
    """K of an input whose partner (rois <-> batch indices) already has values."""
    ins = list(role.node.input)
    pair = ins[0:2] if role.node.op_type in _MULTI_SCALE_OPS else ins[1:3]
    for name in pair:
        if name and name in feeds:
            return feeds[name].shape[0]
    return None


def _np_type(v) -> np.dtype:
    return helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type)


def _boxes(rng, k: int, role: _Role, maps: list) -> np.ndarray:
    """Boxes in image pixels inside the image the node's (finest) map covers."""
    a = attribute_values(role.node)
    if role.node.op_type in _MULTI_SCALE_OPS:
        scale = float(a["spatial_scales"][0])
    else:
        scale = float(a.get("spatial_scale", DEFAULTS.RoIAlign.spatial_scale))
    h, w = (maps[0][2:] if maps and maps[0] else (DEFAULT_SIZES["H"], DEFAULT_SIZES["W"]))
    img_h, img_w = max(h, 1) / scale, max(w, 1) / scale
    # Log-uniform sides from 1/16 of the image to all of it: small and large boxes (every FPN level).
    side = np.exp(rng.uniform(np.log(1 / 16), 0, (k, 2))) * [img_w, img_h]
    x1 = rng.uniform(0, 1, k) * (img_w - side[:, 0])
    y1 = rng.uniform(0, 1, k) * (img_h - side[:, 1])
    if role.box_cols == 5:  # rotated: centre, size, angle
        unit = a.get("angle_unit", DEFAULTS.RoIAlignRotated.angle_unit)
        unit = unit.decode() if isinstance(unit, bytes) else unit
        angle = rng.uniform(-90, 90, k) if unit == "degrees" else rng.uniform(-np.pi / 2, np.pi / 2, k)
        return np.stack([x1 + side[:, 0] / 2, y1 + side[:, 1] / 2, side[:, 0], side[:, 1], angle], 1)
    return np.stack([x1, y1, x1 + side[:, 0], y1 + side[:, 1]], 1)


@dataclass
class OutputDifference:
    name: str
    shape: tuple
    largest: float
    tolerance: float
    nan_mismatches: int
    reference_shape: tuple | None = None  # set where the reference's shape is not the library's

    @property
    def ok(self) -> bool:
        return self.reference_shape is None and self.largest <= self.tolerance and self.nan_mismatches == 0

    def __str__(self) -> str:
        if self.reference_shape is not None:
            return (f"{self.name}: shape {list(self.shape)} from the library, {list(self.reference_shape)} from the "
                    "reference")
        return (f"{self.name}: shape {list(self.shape)}, largest |library - reference| = {self.largest:.3g} "
                f"(tolerance {self.tolerance:.3g})" + (f", {self.nan_mismatches} NaN mismatches"
                                                       if self.nan_mismatches else ""))


def difference(name: str, library, reference) -> OutputDifference:
    """How far the library's value of `name` is from the reference's, against the tolerance of its
    dtype relative to the reference's magnitude (integers: none)."""
    a64, b64 = np.asarray(library, np.float64), np.asarray(reference, np.float64)
    if a64.shape != b64.shape:  # a detector keeping another number of boxes: no element-wise difference
        return OutputDifference(name, a64.shape, float("inf"), 0.0, 0, b64.shape)
    both = ~(np.isnan(a64) | np.isnan(b64))
    largest = float(np.max(np.abs(a64 - b64)[both], initial=0.0))
    magnitude = max(float(np.max(np.abs(b64[both]), initial=0.0)), 1.0)
    tol = TOLERANCE.get(np.asarray(library).dtype, 0.0) * magnitude
    return OutputDifference(name, a64.shape, largest, tol, int(np.sum(np.isnan(a64) != np.isnan(b64))))


def _run_both(model: onnx.ModelProto, feeds: dict[str, np.ndarray], path: str | None = None) -> tuple[list, list]:
    """The graph outputs by the library's session and by the reference. A failure raises
    onnxruntime's exception; its log line is left out, so it is reported once."""
    import onnxruntime as ort

    from . import make_session
    from .evaluator import make_evaluator

    # make_session refuses misspelt roi_ops ops and attributes first, naming the closest name.
    options = ort.SessionOptions()
    options.log_severity_level = QUIET_LOGS
    return make_session(path or model, options=options).run(None, feeds), make_evaluator(model).run(None, feeds)


def compare(model: onnx.ModelProto, feeds: dict[str, np.ndarray], path: str | None = None) -> list[OutputDifference]:
    """Runs the model through the library and the reference; one entry per graph output.
    `path`, the model's file, is what the library's session reads when given: onnxruntime then
    reads the external data itself, and a model past protobuf's 2 GB cannot be passed as bytes."""
    library, ref = _run_both(model, feeds, path)
    return [difference(v.name, a, b) for v, a, b in zip(model.graph.output, library, ref)]


def locate(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> str | None:
    """For a check that failed, where the library and the reference part: the first roi_ops node
    (in graph order) whose inputs already differ, or whose inputs agree and outputs do not, or
    none of them (the difference starts after them). A converted detector can fail its check with
    no fault of the library: on a constant image its standard ops rank tied scores differently in
    onnxruntime and the reference, and the RoIs the pooler gets differ. None for a model whose
    roi_ops nodes sit only in subgraphs, or that protobuf cannot pass to a session (past 2 GB)."""
    nodes = [n for n in model.graph.node if n.domain == DOMAIN]
    if not nodes or model.ByteSize() > onnx.checker.MAXIMUM_PROTOBUF:
        return None
    given = {v.name for v in model.graph.input} | {t.name for t in model.graph.initializer}
    shown = [v.name for v in model.graph.output]
    watched = [x for x in dict.fromkeys(x for n in nodes for x in [*n.input, *n.output]) if x and x not in given]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.ValueInfoProto(name=x) for x in watched if x not in shown)
    names = [v.name for v in probe.graph.output]
    library, ref = (dict(zip(names, values)) for values in _run_both(probe, feeds))

    def differing(values) -> list[OutputDifference]:
        return [d for d in (difference(x, library[x], ref[x]) for x in values if x in watched) if not d.ok]

    for n in nodes:
        inputs, outputs = differing(n.input), differing(n.output)
        if inputs:
            return (f"the inputs of {node_label(n)} already differ ({inputs[0]}): the difference starts in the "
                    "standard ops before it, not in the library")
        if outputs:
            return (f"{node_label(n)} gets the same inputs and its output differs ({outputs[0]}): the library and "
                    "the reference disagree in this node")
    return ("every roi_ops node gets the same inputs and gives the same outputs in both: the difference starts in "
            "the standard ops after them")
