"""Pure-PyTorch implementations of the roi_ops operators, written from docs/spec.md (float64 inside,
one Python iteration per RoI at most). They back the ``roi_ops::*`` custom ops, so a PyTorch
model computes the same numbers as the exported ONNX model running with the plugin."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import Tensor


def split_rois(op: str, rois: Tensor, batch_indices: Optional[Tensor], n: int) -> tuple[Tensor, Tensor]:
    """(batch index per RoI as int64, boxes as float64) from either layout, with the library's
    errors (ops/ort/validation.cc) for a batch index that is not an integer in [0, n)."""
    r = rois.to(torch.float64)
    if batch_indices is not None:
        b = batch_indices.to(torch.int64)
        bad = torch.nonzero((b < 0) | (b >= n)).flatten()
        if bad.numel():
            k = int(bad[0])
            raise ValueError(f"{op}: input 'batch_indices'[{k}] = {int(b[k])} is outside [0, N) with N = {n} "
                             f"(from input 'X')")
        return b, r
    col = r[:, 0]
    not_integer = torch.nonzero(~torch.isfinite(col) | (torch.floor(col) != col)).flatten()
    if not_integer.numel():
        k = int(not_integer[0])
        raise ValueError(f"{op}: input 'rois'[{k},0] (batch index) = {float(col[k]):g} is not an integer")
    outside = torch.nonzero((col < 0) | (col >= n)).flatten()
    if outside.numel():
        k = int(outside[0])
        raise ValueError(f"{op}: input 'rois'[{k},0] (batch index) = {float(col[k]):g} is outside [0, N) with "
                         f"N = {n} (from input 'X')")
    return col.to(torch.int64), r[:, 1:]


def _axis(pos: Tensor, size: int):
    """The spec's bilinear rule along one axis: (lo, hi, w_lo, w_hi, valid)."""
    valid = (pos >= -1.0) & (pos <= size) & (size > 0)
    p = pos.clamp(min=0.0)
    lo = torch.floor(p)
    at_end = lo >= size - 1
    lo = torch.where(at_end, torch.full_like(lo, size - 1), lo)
    hi = torch.where(at_end, lo, lo + 1)
    p = torch.where(at_end, lo, p)
    frac = p - lo
    zero = torch.zeros_like(frac)
    return (torch.where(valid, lo, zero).to(torch.int64), torch.where(valid, hi, zero).to(torch.int64),
            torch.where(valid, 1.0 - frac, zero), torch.where(valid, frac, zero), valid)


def _corners(plane: Tensor, ys: Tensor, xs: Tensor):
    """The four weighted corner terms [C, P] of bilinear samples at points (ys[i], xs[i])."""
    H, W = plane.shape[-2:]
    ylo, yhi, wyl, wyh, vy = _axis(ys, H)
    xlo, xhi, wxl, wxh, vx = _axis(xs, W)
    ok = (vy & vx).to(plane.dtype)
    return (plane[:, ylo, xlo] * (wyl * wxl * ok), plane[:, ylo, xhi] * (wyl * wxh * ok),
            plane[:, yhi, xlo] * (wyh * wxl * ok), plane[:, yhi, xhi] * (wyh * wxh * ok)), (vy & vx)


def _grid(start: float, extent: float, out: int, sampling_ratio: int):
    grid = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(extent / out)), 0)
    b = extent / out
    p = torch.arange(out, dtype=torch.float64)[:, None]
    i = torch.arange(grid, dtype=torch.float64)[None, :]
    return start + p * b + (i + 0.5) * b / max(grid, 1), grid


def roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, output_height: int = 1,
              output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0, mode: str = "avg",
              aligned: int = 0, *, op: str = "RoIAlign") -> Tensor:
    b, boxes = split_rois(op, rois, batch_indices, x.shape[0])
    K, C = boxes.shape[0], x.shape[1]
    oh, ow = output_height, output_width
    scale = float(torch.tensor(spatial_scale, dtype=torch.float32))  # ONNX stores float32 attributes
    y = torch.zeros((K, C, oh, ow), dtype=torch.float64)
    x64 = x.to(torch.float64)
    off = 0.5 if aligned else 0.0
    for k in range(K):
        x1, y1, x2, y2 = (float(v) for v in boxes[k])
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            y[k] = float("nan")
            continue
        ey, ex = y2 * scale - y1 * scale, x2 * scale - x1 * scale
        if not aligned:
            ey, ex = max(ey, 1.0), max(ex, 1.0)
        ys, gh = _grid(y1 * scale - off, ey, oh, sampling_ratio)
        xs, gw = _grid(x1 * scale - off, ex, ow, sampling_ratio)
        if gh == 0 or gw == 0:
            continue
        yy = ys.reshape(oh, gh, 1, 1).expand(oh, gh, ow, gw).reshape(-1)
        xx = xs.reshape(1, 1, ow, gw).expand(oh, gh, ow, gw).reshape(-1)
        terms, valid = _corners(x64[b[k]], yy, xx)
        if mode == "avg":
            y[k] = sum(terms).reshape(C, oh, gh, ow, gw).sum(dim=(2, 4)) / max(gh * gw, 1)
            continue
        v = sum(terms) if mode == "max" else torch.stack(terms).amax(0)
        v = torch.where(valid, v, torch.zeros_like(v))  # outside the map counts as 0
        y[k] = v.reshape(C, oh, gh, ow, gw).amax(dim=(2, 4))
    return y.to(x.dtype)


def _round_half_away(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def _windows(c1: float, c2: float, scale: float, out: int, size: int, plus_one: bool, limit: int):
    s, e = _round_half_away(c1 * scale), _round_half_away(c2 * scale)
    extent = max(e - s + (1 if plus_one else 0), 1)
    p = torch.arange(out, dtype=torch.int64)
    start = torch.div(p * extent, out, rounding_mode="floor") + s
    end = -torch.div(-(p + 1) * extent, out, rounding_mode="floor") + s
    return start.clamp(0, limit), end.clamp(0, limit)


def roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, output_height: int = 1,
             output_width: int = 1, spatial_scale: float = 1.0) -> Tensor:
    return _pool(x, rois, batch_indices, output_height, output_width, spatial_scale, ps=False)


def _pool(x, rois, batch_indices, oh, ow, spatial_scale, ps: bool) -> Tensor:
    b, boxes = split_rois("PSRoIPool" if ps else "RoIPool", rois, batch_indices, x.shape[0])
    K, C, H, W = boxes.shape[0], *x.shape[1:]
    scale = float(torch.tensor(spatial_scale, dtype=torch.float32))
    y = torch.zeros((K, C, oh, ow), dtype=torch.float64)
    x64 = x.to(torch.float64)
    for k in range(K):
        c = [float(v) for v in boxes[k]]
        if not all(math.isfinite(v) for v in c):
            y[k] = float("nan")
            continue
        if ps and (H == 0 or W == 0):
            continue
        h0, h1 = _windows(c[1], c[3], scale, oh, H, not ps, H - 1 if ps else H)
        w0, w1 = _windows(c[0], c[2], scale, ow, W, not ps, W - 1 if ps else W)
        for ph in range(oh):
            for pw in range(ow):
                win = x64[b[k], :, int(h0[ph]):int(h1[ph]), int(w0[pw]):int(w1[pw])]
                if win.numel() == 0 or win.shape[1] == 0 or win.shape[2] == 0:
                    continue  # an empty window is 0
                y[k, :, ph, pw] = win.mean(dim=(1, 2)) if ps else win.amax(dim=(1, 2))
    return y.to(x.dtype)


def _pick_bins(full: Tensor, oh: int, ow: int) -> Tensor:
    """Output channel c at bin (ph, pw) = input channel (c*oh + ph)*ow + pw."""
    K, C = full.shape[:2]
    full = full.reshape(K, C // (oh * ow), oh, ow, oh, ow)
    ph = torch.arange(oh)[:, None]
    pw = torch.arange(ow)[None, :]
    return full[:, :, ph, pw, ph, pw]


def ps_roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, output_height: int = 1,
                 output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0) -> Tensor:
    full = roi_align(x.to(torch.float64), rois, batch_indices, output_height, output_width, spatial_scale,
                     sampling_ratio, "avg", 1, op="PSRoIAlign")
    return _pick_bins(full, output_height, output_width).to(x.dtype)


def ps_roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, output_height: int = 1,
                output_width: int = 1, spatial_scale: float = 1.0) -> Tensor:
    full = _pool(x.to(torch.float64), rois, batch_indices, output_height, output_width, spatial_scale, ps=True)
    return _pick_bins(full, output_height, output_width).to(x.dtype)


def roi_align_rotated(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, output_height: int = 1,
                      output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0, aligned: int = 1,
                      clockwise: int = 0, angle_unit: str = "degrees") -> Tensor:
    b, boxes = split_rois("RoIAlignRotated", rois, batch_indices, x.shape[0])
    K, C = boxes.shape[0], x.shape[1]
    oh, ow = output_height, output_width
    scale = float(torch.tensor(spatial_scale, dtype=torch.float32))
    off = 0.5 if aligned else 0.0
    y = torch.zeros((K, C, oh, ow), dtype=torch.float64)
    x64 = x.to(torch.float64)
    for k in range(K):
        cx, cy, w, h, angle = (float(v) for v in boxes[k])
        if not all(math.isfinite(v) for v in (cx, cy, w, h, angle)):
            y[k] = float("nan")
            continue
        cx, cy, w, h = cx * scale - off, cy * scale - off, w * scale, h * scale
        if not aligned:
            w, h = max(w, 1.0), max(h, 1.0)
        theta = angle if angle_unit == "radians" else angle * math.pi / 180
        theta = -theta if clockwise else theta
        ys, gh = _grid(-h / 2, h, oh, sampling_ratio)
        xs, gw = _grid(-w / 2, w, ow, sampling_ratio)
        if gh == 0 or gw == 0:
            continue
        yy = ys.reshape(oh, gh, 1, 1)
        xx = xs.reshape(1, 1, ow, gw)
        py = (yy * math.cos(theta) - xx * math.sin(theta) + cy).reshape(-1)
        px = (yy * math.sin(theta) + xx * math.cos(theta) + cx).reshape(-1)
        terms, _ = _corners(x64[b[k]], py, px)
        y[k] = sum(terms).reshape(C, oh, gh, ow, gw).sum(dim=(2, 4)) / max(gh * gw, 1)
    return y.to(x.dtype)


def fpn_levels(boxes: Tensor, spatial_scales: Sequence[float], canonical_scale: float = 224.0,
               canonical_level: int = 4, eps: float = 1e-6, eps_in_log: int = 0) -> Tensor:
    f32 = lambda v: float(torch.tensor(v, dtype=torch.float32))  # noqa: E731 - ONNX float attributes
    k_min = round(-math.log2(f32(spatial_scales[0])))
    k_max = round(-math.log2(f32(spatial_scales[-1])))
    bx = torch.nan_to_num(boxes.to(torch.float64), nan=0.0, posinf=0.0, neginf=0.0)
    area = (bx[:, 2] - bx[:, 0]) * (bx[:, 3] - bx[:, 1])
    positive = area > 0
    ratio = torch.sqrt(torch.where(positive, area, torch.ones_like(area))) / f32(canonical_scale)
    e = f32(eps)
    k = torch.floor(canonical_level + torch.log2(ratio + e)) if eps_in_log else \
        torch.floor(canonical_level + torch.log2(ratio) + e)
    k = torch.where(positive, k.clamp(k_min, k_max), torch.full_like(k, k_min))
    return (k - k_min).to(torch.int64)


def multi_scale_roi_align(rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor],
                          spatial_scales: Sequence[float], output_height: int = 1, output_width: int = 1,
                          sampling_ratio: int = 0, aligned: int = 0, canonical_scale: float = 224.0,
                          canonical_level: int = 4, eps: float = 1e-6, eps_in_log: int = 0) -> Tensor:
    b, boxes = split_rois("MultiScaleRoIAlign", rois, batch_indices, maps[0].shape[0])
    level = fpn_levels(boxes, spatial_scales, canonical_scale, canonical_level, eps, eps_in_log)
    y = torch.zeros((boxes.shape[0], maps[0].shape[1], output_height, output_width), dtype=torch.float64)
    for lvl, x in enumerate(maps):
        idx = torch.nonzero(level == lvl).flatten()
        if idx.numel():
            y[idx] = roi_align(x.to(torch.float64), boxes[idx], b[idx], output_height, output_width,
                               spatial_scales[lvl], sampling_ratio, "avg", aligned)
    return y.to(maps[0].dtype)


def crop_and_resize(x: Tensor, boxes: Tensor, box_indices: Tensor, crop_height: int, crop_width: int,
                    method: str = "bilinear", extrapolation_value: float = 0.0) -> Tensor:
    K, (C, H, W) = boxes.shape[0], x.shape[1:]
    ext = float(torch.tensor(extrapolation_value, dtype=torch.float32))
    y = torch.full((K, C, crop_height, crop_width), ext, dtype=torch.float64)
    x64 = x.to(torch.float64)

    def positions(c1, c2, size, out):
        if out > 1:
            return c1 * (size - 1) + torch.arange(out, dtype=torch.float64) * ((c2 - c1) * (size - 1) / (out - 1))
        return torch.tensor([0.5 * (c1 + c2) * (size - 1)], dtype=torch.float64)

    for k in range(K):
        y1, x1, y2, x2 = (float(v) for v in boxes[k])
        if not all(math.isfinite(v) for v in (y1, x1, y2, x2)):
            y[k] = float("nan")
            continue
        if H == 0 or W == 0:
            continue
        iy, ix = positions(y1, y2, H, crop_height), positions(x1, x2, W, crop_width)
        vy, vx = (iy >= 0) & (iy <= H - 1), (ix >= 0) & (ix <= W - 1)
        iy, ix = torch.where(vy, iy, torch.zeros_like(iy)), torch.where(vx, ix, torch.zeros_like(ix))
        img = x64[int(box_indices[k])]
        if method == "nearest":
            ry = (torch.sign(iy) * torch.floor(iy.abs() + 0.5)).to(torch.int64)
            rx = (torch.sign(ix) * torch.floor(ix.abs() + 0.5)).to(torch.int64)
            v = img[:, ry][:, :, rx]
        else:
            t, bo = torch.floor(iy).to(torch.int64), torch.ceil(iy).to(torch.int64)
            le, ri = torch.floor(ix).to(torch.int64), torch.ceil(ix).to(torch.int64)
            yl, xl = (iy - t)[:, None], (ix - le)[None, :]
            tl, tr, bl, br = img[:, t][:, :, le], img[:, t][:, :, ri], img[:, bo][:, :, le], img[:, bo][:, :, ri]
            top, bottom = tl + (tr - tl) * xl, bl + (br - bl) * xl
            v = top + (bottom - top) * yl
        y[k] = torch.where((vy[:, None] & vx[None, :])[None], v, torch.full_like(v, ext))
    return y.to(x.dtype)
