"""Function bodies that sample the map at computed positions (roi_ops.functions): the op forms no
single standard op computes, built from the sample positions of docs/spec.md.

Each sample reads its RoI's image bilinearly with four ``Gather``s of the map's rows ([N*H*W, C])
at positions clamped into [0, H-1] x [0, W-1]; masking the samples outside [-1, H] x [-1, W] to
0 makes that the spec's "Bilinear sample" exactly. Only standard ops every runtime has (no
``GridSample``, whose mode names changed at opset 20 and which onnx's evaluator runs only from
then on). Positions are computed in the RoIs' float type, so the bodies match the reference
within float32 rounding, not bit for bit.

Forms: RoIAlign ``mode="max"``, RoIAlignRotated, MultiScaleRoIAlign ``mode="max"`` and
MultiScaleRoIAlignRotated, each with ``sampling_ratio > 0`` (an adaptive ratio varies per RoI and
has no fixed-size grid); CropAndResize; and PSRoIPool, which needs no sampling but integer
windows (an integral image).
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto

from .attributes import defaults
from .standard_models import NodeEmitter, per_level_nodes, rescaled_boxes, split_batch_column


class NoBody(ValueError):
    """This form has no sampled body (the message says why)."""


def _reduce(e: NodeEmitter, op: str, x: str, axes: list[int], opset: int) -> str:
    if opset >= (13 if op == "ReduceSum" else 18):  # when the op took its axes as an input
        return e.op(op, [x, e.const(axes, np.int64)], keepdims=0)
    return e.op(op, [x], axes=axes, keepdims=0)


def _column(e: NodeEmitter, x: str, i: int) -> str:
    """Column i of [K, n] as [K, 1]."""
    return e.op("Gather", [x, e.const([i], np.int64)], axis=1)


def _sample(e: NodeEmitter, x: str, batch: str, ys: str, xs: str) -> str:
    """Bilinear values [K, C, P] of x [N,C,H,W] at positions ys, xs [K, P] on image batch[k],
    positions clamped into the map: four rows of x as [N*H*W, C] gathered per sample and weighted
    (docs/spec.md, "Bilinear sample"; a NaN position reads pixel 0 and is masked by the caller)."""
    shape = e.op("Shape", [x])
    c, h, w = (e.op("Gather", [shape, e.const([i], np.int64)]) for i in (1, 2, 3))
    rows = e.op("Reshape", [e.op("Transpose", [x], perm=[0, 2, 3, 1]),
                            e.op("Concat", [e.const([-1], np.int64), c], axis=0)])  # [N*H*W, C]
    zero, one = e.real(0.0, ys), e.real(1.0, ys)
    index_one = e.const([1], np.int64)

    def corners(pos: str, size: str) -> tuple[str, str, str]:
        """(low index, high index, weight of the high one) along one axis."""
        top = e.op("Sub", [e.op("CastLike", [size, pos]), one])
        pos = e.op("Where", [e.op("Equal", [pos, pos]), pos, zero])  # not IsNaN: see functions._non_finite_rois
        pos = e.op("Min", [e.op("Max", [pos, zero]), top])
        low = e.op("Floor", [pos])
        low_i = e.op("Cast", [low], to=TensorProto.INT64)
        high_i = e.op("Min", [e.op("Add", [low_i, index_one]), e.op("Sub", [size, index_one])])
        return low_i, high_i, e.op("CastLike", [e.op("Sub", [pos, low]), x])

    y0, y1, ly = corners(ys, h)
    x0, x1, lx = corners(xs, w)
    base = e.op("Mul", [e.op("Unsqueeze", [batch, e.const([1], np.int64)]), e.op("Mul", [h, w])])  # [K, 1]
    one_x = e.real(1.0, x)
    hy, hx = e.op("Sub", [one_x, ly]), e.op("Sub", [one_x, lx])
    total = None
    for yi, wy in ((y0, hy), (y1, ly)):
        row = e.op("Add", [base, e.op("Mul", [yi, w])])
        for xi, wx in ((x0, hx), (x1, lx)):
            v = e.op("Gather", [rows, e.op("Add", [row, xi])], axis=0)  # [K, P, C]
            term = e.op("Mul", [v, e.op("Unsqueeze", [e.op("Mul", [wy, wx]), e.const([2], np.int64)])])
            total = term if total is None else e.op("Add", [total, term])
    return e.op("Transpose", [total], perm=[0, 2, 1])  # [K, C, P]


def _inside(e: NodeEmitter, ys: str, xs: str, x: str, lo: float, hi_offset: float) -> str:
    """[K, 1, P] bool: lo <= y <= H + hi_offset and lo <= x <= W + hi_offset."""
    shape = e.op("Shape", [x])
    h = e.op("CastLike", [e.op("Gather", [shape, e.const([2], np.int64)]), ys])
    w = e.op("CastLike", [e.op("Gather", [shape, e.const([3], np.int64)]), ys])
    lo_c, off = e.real(lo, ys), e.real(hi_offset, ys)
    conds = [e.op("GreaterOrEqual", [ys, lo_c]), e.op("LessOrEqual", [ys, e.op("Add", [h, off])]),
             e.op("GreaterOrEqual", [xs, lo_c]), e.op("LessOrEqual", [xs, e.op("Add", [w, off])])]
    both = e.op("And", [e.op("And", [conds[0], conds[1]]), e.op("And", [conds[2], conds[3]])])
    return e.op("Unsqueeze", [both, e.const([1], np.int64)])


def _grid(e: NodeEmitter, start: str, extent: str, out: int, g: int) -> str:
    """Sample positions [K, out*g] along one axis: start + (p + (i + 0.5)/g) * extent/out."""
    frac = np.array([p + (i + 0.5) / g for p in range(out) for i in range(g)], np.float32)
    bin_size = e.op("Div", [extent, e.real(float(out), extent)])
    return e.op("Add", [start, e.op("Mul", [bin_size, e.op("CastLike", [e.const(frac, np.float32), extent])])])


def _pairs(e: NodeEmitter, ys: str, xs: str, count: int) -> tuple[str, str]:
    """All (y, x) pairs of ys [K, A] and xs [K, B] as [K, A*B] each (count = A*B), y-major."""
    y = e.op("Unsqueeze", [ys, e.const([2], np.int64)])  # [K, A, 1]
    x = e.op("Unsqueeze", [xs, e.const([1], np.int64)])  # [K, 1, B]
    flat = e.const([-1, count], np.int64)  # not [0, -1]: K may be 0 (a level without RoIs)
    zero = e.op("Mul", [y, e.op("Mul", [x, e.real(0.0, ys)])])  # [K, A, B] zeros for broadcasting
    return e.op("Reshape", [e.op("Add", [y, zero]), flat]), e.op("Reshape", [e.op("Add", [x, zero]), flat])


def _bins(e: NodeEmitter, v: str, oh: int, g: int, ow: int, reduce: str, opset: int) -> str:
    """[K, C, oh*g*ow*g] samples -> [K, C, oh, ow] by ``reduce`` over each bin's g*g samples."""
    v = e.op("Reshape", [v, e.const([0, 0, oh, g, ow, g], np.int64)])
    return _reduce(e, reduce, v, [3, 5], opset)


def roi_align_max_nodes(x: str, rois: str, batch_indices: str | None, output: str, *, prefix: str, opset: int,
                        **attributes) -> list[onnx.NodeProto]:
    a = {**defaults("RoIAlign"), **attributes}
    g = int(a["sampling_ratio"])
    if g <= 0:
        raise NoBody("mode 'max' with sampling_ratio 0 (adaptive): the number of samples per bin depends on the RoI, "
                     "which no fixed-size standard-op grid expresses")
    e = NodeEmitter(prefix)
    boxes, batch = (rois, batch_indices) if batch_indices else split_batch_column(e, rois)
    s, off = e.real(float(a["spatial_scale"]), boxes), e.real(0.5 if a["aligned"] else 0.0, boxes)
    x1, y1, x2, y2 = (e.op("Sub", [e.op("Mul", [_column(e, boxes, i), s]), off]) for i in range(4))
    w, h = e.op("Sub", [x2, x1]), e.op("Sub", [y2, y1])
    if not a["aligned"]:
        w, h = e.op("Max", [w, e.real(1.0, boxes)]), e.op("Max", [h, e.real(1.0, boxes)])
    oh, ow = int(a["output_height"]), int(a["output_width"])
    ys, xs = _pairs(e, _grid(e, y1, h, oh, g), _grid(e, x1, w, ow, g), oh * g * ow * g)
    v = e.op("Where", [_inside(e, ys, xs, x, -1.0, 0.0), _sample(e, x, batch, ys, xs),
                       e.real(0.0, x)])
    e.op("Identity", [_bins(e, v, oh, g, ow, "ReduceMax", opset)], output)
    return e.nodes


def roi_align_rotated_nodes(x: str, rois: str, batch_indices: str | None, output: str, *, prefix: str, opset: int,
                            **attributes) -> list[onnx.NodeProto]:
    a = {**defaults("RoIAlignRotated"), **attributes}
    g = int(a["sampling_ratio"])
    if g <= 0:
        raise NoBody("sampling_ratio 0 (adaptive): the number of samples per bin depends on the RoI, which no "
                     "fixed-size standard-op grid expresses")
    e = NodeEmitter(prefix)
    boxes, batch = (rois, batch_indices) if batch_indices else split_batch_column(e, rois)
    s, off = e.real(float(a["spatial_scale"]), boxes), e.real(0.5 if a["aligned"] else 0.0, boxes)
    cx, cy = (e.op("Sub", [e.op("Mul", [_column(e, boxes, i), s]), off]) for i in range(2))
    w, h = (e.op("Mul", [_column(e, boxes, i), s]) for i in (2, 3))
    if not a["aligned"]:
        w, h = e.op("Max", [w, e.real(1.0, boxes)]), e.op("Max", [h, e.real(1.0, boxes)])
    unit = a["angle_unit"].decode() if isinstance(a["angle_unit"], bytes) else a["angle_unit"]
    theta = e.op("Mul", [_column(e, boxes, 4), e.real((math.pi / 180 if unit == "degrees" else 1.0)
                                                       * (-1.0 if a["clockwise"] else 1.0), boxes)])
    cos, sin = e.op("Cos", [theta]), e.op("Sin", [theta])
    half = e.real(-0.5, boxes)
    oh, ow = int(a["output_height"]), int(a["output_width"])
    yy, xx = _pairs(e, _grid(e, e.op("Mul", [h, half]), h, oh, g), _grid(e, e.op("Mul", [w, half]), w, ow, g),
                    oh * g * ow * g)
    ys = e.op("Add", [e.op("Sub", [e.op("Mul", [yy, cos]), e.op("Mul", [xx, sin])]), cy])
    xs = e.op("Add", [e.op("Add", [e.op("Mul", [yy, sin]), e.op("Mul", [xx, cos])]), cx])
    v = e.op("Where", [_inside(e, ys, xs, x, -1.0, 0.0), _sample(e, x, batch, ys, xs), e.real(0.0, x)])
    e.op("Identity", [_bins(e, v, oh, g, ow, "ReduceMean", opset)], output)
    return e.nodes


def crop_and_resize_nodes(x: str, boxes: str, box_indices: str, output: str, *, prefix: str, opset: int,
                          **attributes) -> list[onnx.NodeProto]:
    a = {**defaults("CropAndResize"), **attributes}
    method = a["method"].decode() if isinstance(a["method"], bytes) else a["method"]
    e = NodeEmitter(prefix)
    batch = e.op("Cast", [box_indices], to=TensorProto.INT64)
    shape = e.op("Shape", [x])
    hm1 = e.op("Sub", [e.op("CastLike", [e.op("Gather", [shape, e.const([2], np.int64)]), boxes]), e.real(1.0, boxes)])
    wm1 = e.op("Sub", [e.op("CastLike", [e.op("Gather", [shape, e.const([3], np.int64)]), boxes]), e.real(1.0, boxes)])
    y1, x1, y2, x2 = (_column(e, boxes, i) for i in range(4))
    ch, cw = int(a["crop_height"]), int(a["crop_width"])

    def axis(lo, hi, size_m1, n):
        if n == 1:
            return e.op("Mul", [e.op("Mul", [e.op("Add", [lo, hi]), e.real(0.5, boxes)]), size_m1])
        step = e.op("Div", [e.op("Mul", [e.op("Sub", [hi, lo]), size_m1]), e.real(float(n - 1), boxes)])
        index = e.op("CastLike", [e.const(np.arange(n, dtype=np.float32), np.float32), boxes])
        return e.op("Add", [e.op("Mul", [lo, size_m1]), e.op("Mul", [index, step])])

    ys, xs = _pairs(e, axis(y1, y2, hm1, ch), axis(x1, x2, wm1, cw), ch * cw)
    inside = _inside(e, ys, xs, x, 0.0, -1.0)
    if method == "nearest":  # TensorFlow rounds half away from zero; inside the map, floor(v + 0.5)
        # (ONNX Round rounds halves to even), then reads that pixel bilinearly.
        ys, xs = (e.op("Floor", [e.op("Add", [v, e.real(0.5, boxes)])]) for v in (ys, xs))
    v = e.op("Where", [inside, _sample(e, x, batch, ys, xs),
                       e.real(float(a["extrapolation_value"]), x)])
    e.op("Reshape", [v, e.const([0, 0, ch, cw], np.int64)], output)
    return e.nodes


def multi_scale_max_nodes(rois: str, batch_indices: str | None, maps: list[str], output: str, *, prefix: str,
                          opset: int, **attributes) -> list[onnx.NodeProto]:
    """MultiScaleRoIAlign with ``mode="max"`` and a fixed sampling ratio: the exporters' per-level
    form (standard_models.per_level_nodes) pooling each level with the sampled true max."""
    a = {**defaults("MultiScaleRoIAlign"), **attributes}
    e = NodeEmitter(prefix)
    boxes, batch = (rois, batch_indices) if batch_indices else split_batch_column(e, rois)
    x1, y1, x2, y2 = (_column(e, boxes, i) for i in range(4))
    pooled = rescaled_boxes(e, boxes, (x1, y1, x2, y2), a["roi_scale_factor"])
    level_attrs = {k: a[k] for k in ("output_height", "output_width", "sampling_ratio", "aligned")}
    return _per_level(e, e.op("Mul", [e.op("Sub", [x2, x1]), e.op("Sub", [y2, y1])]), boxes, pooled, batch, maps,
                      output, a, opset, lambda x, r, b, out, p, scale: roi_align_max_nodes(
                          x, r, b, out, prefix=p, opset=opset, mode="max", spatial_scale=scale, **level_attrs))


def multi_scale_rotated_nodes(rois: str, batch_indices: str | None, maps: list[str], output: str, *, prefix: str,
                              opset: int, **attributes) -> list[onnx.NodeProto]:
    """MultiScaleRoIAlignRotated with a fixed sampling ratio: levels from w * h, then the sampled
    RoIAlignRotated per level."""
    a = {**defaults("MultiScaleRoIAlignRotated"), **attributes}
    e = NodeEmitter(prefix)
    boxes, batch = (rois, batch_indices) if batch_indices else split_batch_column(e, rois)
    area = e.op("Mul", [_column(e, boxes, 2), _column(e, boxes, 3)])
    pooled = boxes
    if a["roi_scale_factor"] != 1.0:  # w and h, after the level is chosen
        f = float(a["roi_scale_factor"])
        pooled = e.op("Mul", [boxes, e.op("CastLike", [e.const([1, 1, f, f, 1], np.float32), boxes])])
    level_attrs = {k: a[k] for k in ("output_height", "output_width", "sampling_ratio", "aligned", "clockwise",
                                     "angle_unit")}
    return _per_level(e, area, boxes, pooled, batch, maps, output, a, opset, lambda x, r, b, out, p, scale:
                      roi_align_rotated_nodes(x, r, b, out, prefix=p, opset=opset, spatial_scale=scale,
                                              **level_attrs))


def _per_level(e, area, boxes, pooled, batch, maps, output, a, opset, body) -> list[onnx.NodeProto]:
    if int(a["sampling_ratio"]) <= 0:
        raise NoBody("sampling_ratio 0 (adaptive): the number of samples per bin depends on the RoI, which no "
                     "fixed-size standard-op grid expresses")

    def pool(x, level_rois, level_bi, scale):
        out = e.name(f"level_{len(e.nodes)}")
        e.nodes.extend(body(x, level_rois, level_bi, out, e.name(f"l{len(e.nodes)}_"), float(scale)))
        return out

    per_level_nodes(e, area, boxes, pooled, batch, maps, output, pool, a)
    return e.nodes


def ps_roi_pool_nodes(x: str, rois: str, batch_indices: str | None, output: str, *, prefix: str, opset: int,
                      **attributes) -> list[onnx.NodeProto]:
    """PSRoIPool (docs/spec.md): the integer windows of each bin (rounded corners, extent without +1,
    bounds clamped to [0, size-1]) summed from an integral image in float64 (CumSum, four GatherND
    lookups per bin, each output channel reading its bin's input channel), divided by the window's
    area; 0 for an empty window. (roi_ops.functions gives it finite RoIs, so no non-finite value
    is converted to an integer, and puts NaN in the blocks of the others.)"""
    a = {**defaults("PSRoIPool"), **attributes}
    oh, ow = int(a["output_height"]), int(a["output_width"])
    e = NodeEmitter(prefix)
    i64 = lambda v: e.const(v, np.int64)  # noqa: E731
    boxes, batch = (rois, batch_indices) if batch_indices else split_batch_column(e, rois)
    scaled = e.op("Mul", [e.op("Cast", [boxes], to=TensorProto.DOUBLE), e.const(float(np.float32(a["spatial_scale"])),
                                                                                 np.float64)])
    rounded = e.op("Mul", [e.op("Sign", [scaled]), e.op("Floor", [e.op("Add", [e.op("Abs", [scaled]),
                                                                                e.const(0.5, np.float64)])])])
    corners = e.op("Cast", [rounded], to=TensorProto.INT64)  # [K, 4]: xs, ys, xe, ye
    shape = e.op("Shape", [x])
    last = {2: e.op("Sub", [e.op("Gather", [shape, i64(2)]), i64(1)]),
            3: e.op("Sub", [e.op("Gather", [shape, i64(3)]), i64(1)])}

    def windows(lo_col: int, hi_col: int, out: int, axis: int):
        lo, hi = _column(e, corners, lo_col), _column(e, corners, hi_col)
        extent = e.op("Max", [e.op("Sub", [hi, lo]), i64(1)])
        p = i64(np.arange(out)[None, :])
        start = e.op("Add", [e.op("Div", [e.op("Mul", [p, extent]), i64(out)]), lo])
        end = e.op("Add", [e.op("Div", [e.op("Add", [e.op("Mul", [e.op("Add", [p, i64(1)]), extent]), i64(out - 1)]),
                                        i64(out)]), lo])
        clamp = lambda v: e.op("Min", [e.op("Max", [v, i64(0)]), last[axis]])  # noqa: E731
        return clamp(start), clamp(end)  # [K, out]

    h0, h1 = windows(1, 3, oh, 2)
    w0, w1 = windows(0, 2, ow, 3)
    x64 = e.op("Cast", [x], to=TensorProto.DOUBLE)
    integral = e.op("CumSum", [e.op("CumSum", [x64, i64(2)]), i64(3)])
    integral = e.op("Pad", [integral, i64([0, 0, 1, 1, 0, 0, 0, 0])])  # S[y, x] = sum of rows < y, columns < x
    c_out = e.op("Div", [e.op("Gather", [shape, i64([1])]), i64([oh * ow])])
    c = e.op("Reshape", [e.op("Range", [i64(0), e.op("Squeeze", [c_out]), i64(1)]), i64([1, -1, 1, 1])])
    ph, pw = i64(np.arange(oh).reshape(1, 1, oh, 1)), i64(np.arange(ow).reshape(1, 1, 1, ow))
    channel = e.op("Add", [e.op("Mul", [e.op("Add", [e.op("Mul", [c, i64(oh)]), ph]), i64(ow)]), pw])
    k = e.op("Shape", [boxes], start=0, end=1)
    full = e.op("Concat", [k, c_out, i64([oh, ow])], axis=0)
    parts = [e.op("Reshape", [batch, i64([-1, 1, 1, 1])]), channel]

    def lookup(ys, xs):
        y = e.op("Reshape", [ys, i64([-1, 1, oh, 1])])
        xx = e.op("Reshape", [xs, i64([-1, 1, 1, ow])])
        index = e.op("Concat", [e.op("Unsqueeze", [e.op("Expand", [v, full]), i64([4])]) for v in (*parts, y, xx)],
                     axis=4)
        return e.op("GatherND", [integral, index])  # [K, C_out, oh, ow]

    total = e.op("Add", [e.op("Sub", [e.op("Sub", [lookup(h1, w1), lookup(h0, w1)]), lookup(h1, w0)]),
                         lookup(h0, w0)])
    area = e.op("Mul", [e.op("Reshape", [e.op("Sub", [h1, h0]), i64([-1, 1, oh, 1])]),
                        e.op("Reshape", [e.op("Sub", [w1, w0]), i64([-1, 1, 1, ow])])])
    mean = e.op("Div", [total, e.op("Cast", [e.op("Max", [area, i64(1)])], to=TensorProto.DOUBLE)])
    mean = e.op("Where", [e.op("Greater", [area, i64(0)]), mean, e.const(0.0, np.float64)])
    e.op("CastLike", [mean, x], output)
    return e.nodes
