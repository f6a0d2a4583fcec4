"""NumPy ports of other toolchains' RoI kernels, written from their sources (not from
docs/spec.md or roi_ops.reference), the oracles of tests/test_foreign.py. Plain loops over RoIs,
bins and samples, vectorised over channels only; float64.

- mmcv: mmcv/ops/csrc/common/cuda/roi_align_cuda_kernel.cuh (``bilinear_interpolate``,
  ``roi_align_forward_cuda_kernel``) and roi_align_rotated_cuda_kernel.cuh.
- mmdeploy TensorRT: csrc/mmdeploy/backend_ops/tensorrt/multi_level_roi_align/
  trt_multi_level_roi_align_kernel.cu and multi_level_rotated_roi_align/
  trt_multi_level_rotated_roi_align_kernel.cu (``roi_extractor_kernel``: level
  min(L-1, max(0, floor(log2(sqrt(area) / finest_scale + 1e-6)))), ``roi_scale_factor > 0`` rescales).
"""
from __future__ import annotations

import math

import numpy as np


def bilinear(plane: np.ndarray, y: float, x: float) -> np.ndarray:
    """mmcv's bilinear_interpolate over every channel of plane [C, H, W]."""
    _, h, w = plane.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(plane.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= h - 1:
        y_high = y_low = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_high = x_low = w - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    return (hy * hx * plane[:, y_low, x_low] + hy * lx * plane[:, y_low, x_high]
            + ly * hx * plane[:, y_high, x_low] + ly * lx * plane[:, y_high, x_high])


def _align_box(plane, x1, y1, x2, y2, oh, ow, sampling_ratio, aligned, pool_max):
    """roi_align_forward_cuda_kernel for one RoI already in feature coordinates (offset applied)."""
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
    bin_h, bin_w = roi_h / oh, roi_w / ow
    grid_h = sampling_ratio if sampling_ratio > 0 else int(math.ceil(roi_h / oh))
    grid_w = sampling_ratio if sampling_ratio > 0 else int(math.ceil(roi_w / ow))
    out = np.zeros((plane.shape[0], oh, ow))
    for ph in range(oh):
        for pw in range(ow):
            acc = np.full(plane.shape[0], -np.finfo(np.float32).max) if pool_max else np.zeros(plane.shape[0])
            for iy in range(grid_h):
                y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                for ix in range(grid_w):
                    x = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                    v = bilinear(plane, y, x)
                    acc = np.maximum(acc, v) if pool_max else acc + v
            out[:, ph, pw] = acc if pool_max else acc / max(grid_h * grid_w, 1)
    return out


def mmcv_roi_align(x, rois, *, output_height, output_width, spatial_scale, sampling_ratio, mode, aligned):
    """mmcv.ops.roi_align: rois [K,5] (batch, x1, y1, x2, y2)."""
    x = np.asarray(x, np.float64)
    off = 0.5 if aligned else 0.0
    out = np.zeros((len(rois), x.shape[1], output_height, output_width))
    for k, (b, x1, y1, x2, y2) in enumerate(np.asarray(rois, np.float64)):
        out[k] = _align_box(x[int(b)], x1 * spatial_scale - off, y1 * spatial_scale - off, x2 * spatial_scale - off,
                            y2 * spatial_scale - off, output_height, output_width, sampling_ratio, aligned,
                            mode == "max")
    return out


def _rotated_box(plane, cx, cy, w, h, theta, oh, ow, sampling_ratio, clamp):
    """roi_align_rotated_forward_cuda_kernel for one RoI in feature coordinates."""
    if clamp:
        w, h = max(w, 1.0), max(h, 1.0)
    bin_h, bin_w = h / oh, w / ow
    grid_h = sampling_ratio if sampling_ratio > 0 else int(math.ceil(h / oh))
    grid_w = sampling_ratio if sampling_ratio > 0 else int(math.ceil(w / ow))
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    out = np.zeros((plane.shape[0], oh, ow))
    for ph in range(oh):
        for pw in range(ow):
            acc = np.zeros(plane.shape[0])
            for iy in range(grid_h):
                yy = -h / 2 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                for ix in range(grid_w):
                    xx = -w / 2 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                    acc += bilinear(plane, yy * cos_t - xx * sin_t + cy, yy * sin_t + xx * cos_t + cx)
            out[:, ph, pw] = acc / max(grid_h * grid_w, 1)
    return out


def mmcv_roi_align_rotated(x, rois, *, output_height, output_width, spatial_scale, sampling_ratio, aligned,
                           clockwise):
    """mmcv.ops.roi_align_rotated: rois [K,6] (batch, cx, cy, w, h, angle in radians)."""
    x = np.asarray(x, np.float64)
    off = 0.5 if aligned else 0.0
    out = np.zeros((len(rois), x.shape[1], output_height, output_width))
    for k, (b, cx, cy, w, h, a) in enumerate(np.asarray(rois, np.float64)):
        out[k] = _rotated_box(x[int(b)], cx * spatial_scale - off, cy * spatial_scale - off, w * spatial_scale,
                              h * spatial_scale, -a if clockwise else a, output_height, output_width, sampling_ratio,
                              clamp=not aligned)
    return out


def _trt_level(area: float, finest_scale: float, levels: int) -> int:
    scale = math.sqrt(area) if area >= 0 else float("nan")
    k = math.floor(math.log2(scale / finest_scale + 1e-6)) if scale == scale else 0
    return min(levels - 1, max(0, k))


def mmdeploy_multi_level_roi_align(rois, feats, *, featmap_strides, finest_scale, output_height, output_width,
                                   pool_mode, sampling_ratio, roi_scale_factor, aligned):
    """mmdeploy's MMCVMultiLevelRoiAlign TensorRT kernel: rois [K,5]."""
    feats = [np.asarray(f, np.float64) for f in feats]
    off = 0.5 if aligned else 0.0
    out = np.zeros((len(rois), feats[0].shape[1], output_height, output_width))
    for k, (b, x0, y0, x1, y1) in enumerate(np.asarray(rois, np.float64)):
        lvl = _trt_level((y1 - y0) * (x1 - x0), finest_scale, len(feats))
        if roi_scale_factor > 0:  # the legacy +1 width
            cx, cy = (x0 + x1) * 0.5, (y0 + y1) * 0.5
            hw = (x1 - x0 + 1) * roi_scale_factor * 0.5 - 0.5
            hh = (y1 - y0 + 1) * roi_scale_factor * 0.5 - 0.5
            x0, x1, y0, y1 = cx - hw, cx + hw, cy - hh, cy + hh
        s = 1.0 / featmap_strides[lvl]
        out[k] = _align_box(feats[lvl][int(b)], x0 * s - off, y0 * s - off, x1 * s - off, y1 * s - off,
                            output_height, output_width, sampling_ratio, aligned, pool_mode == 0)
    return out


def mmdeploy_multi_level_rotated_roi_align(rois, feats, *, featmap_strides, finest_scale, output_height,
                                           output_width, clockwise, sampling_ratio, roi_scale_factor, aligned):
    """mmdeploy's MMCVMultiLevelRotatedRoiAlign TensorRT kernel: rois [K,6] (b, cx, cy, w, h, radians).
    Its roi_align_single widens every RoI to at least one cell, aligned or not."""
    feats = [np.asarray(f, np.float64) for f in feats]
    off = 0.5 if aligned else 0.0
    out = np.zeros((len(rois), feats[0].shape[1], output_height, output_width))
    for k, (b, cx, cy, w, h, a) in enumerate(np.asarray(rois, np.float64)):
        lvl = _trt_level(w * h, finest_scale, len(feats))
        if roi_scale_factor > 0:
            w, h = w * roi_scale_factor, h * roi_scale_factor
        s = 1.0 / featmap_strides[lvl]
        out[k] = _rotated_box(feats[lvl][int(b)], cx * s - off, cy * s - off, w * s, h * s, -a if clockwise else a,
                              output_height, output_width, sampling_ratio, clamp=True)
    return out


def _trt_bilinear(plane, y, x):
    """interpolateBilinear of maskRCNNKernels.cu (samples already clamped into the map)."""
    y0, x0 = int(y), int(x)
    ya, xa = y - y0, x - x0
    y1 = y0 if ya == 0 else y0 + 1
    x1 = x0 if xa == 0 else x0 + 1
    top = plane[:, y0, x0] * (1 - xa) + plane[:, y0, x1] * xa
    bottom = plane[:, y1, x0] * (1 - xa) + plane[:, y1, x1] * xa
    return top * (1 - ya) + bottom * ya


def trt_pyramid_roi_align(rois, maps, *, pooled_size, image_size, fpn_scale, sampling_ratio, transform, absolute,
                          swap):
    """roiAlign_kernel of TensorRT's PyramidROIAlign_TRT (plugin/common/kernels/maskRCNNKernels.cu),
    non-legacy, roi_coords_plusone 0: rois [N,R,4], maps P2..P5; output [N,R,C,p,p]."""
    maps = [np.asarray(m, np.float64) for m in maps]
    n, r = rois.shape[:2]
    img_h, img_w = image_size
    out = np.zeros((n, r, maps[0].shape[1], pooled_size, pooled_size))
    thr = (fpn_scale / math.sqrt(img_h * img_w)) ** 2 / 4
    for b in range(n):
        for i in range(r):
            c = [float(v) for v in rois[b, i]]
            if swap:
                y1, x1, y2, x2 = min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3])
            else:
                x1, y1, x2, y2 = min(c[0], c[2]), min(c[1], c[3]), max(c[0], c[2]), max(c[1], c[3])
            if absolute:
                y1, y2 = (max(0.0, min(img_h, v)) / img_h for v in (y1, y2))
                x1, x2 = (max(0.0, min(img_w, v)) / img_w for v in (x1, x2))
            else:
                y1, y2, x1, x2 = (max(0.0, min(1.0, v)) for v in (y1, y2, x1, x2))
            hw = (y2 - y1) * (x2 - x1)
            level, t = 0, thr
            for _ in range(3):
                if hw > t:
                    level += 1
                t *= 4
            plane = maps[level][b]
            h, w = plane.shape[1:]
            offset, sampling_offset = (0.5, 0.5) if transform == 2 else (0.0, 0.5)
            ys, xs = y1 * h - offset, x1 * w - offset
            ye, xe = y2 * h - offset, x2 * w - offset
            dy, dx = (ye - ys) / pooled_size, (xe - xs) / pooled_size
            gx = sampling_ratio if sampling_ratio > 0 else max(1, math.ceil((xe - xs) / pooled_size))
            gy = sampling_ratio if sampling_ratio > 0 else max(1, math.ceil((ye - ys) / pooled_size))
            for yy in range(pooled_size):
                for xx in range(pooled_size):
                    acc = np.zeros(plane.shape[0])
                    for iy in range(gy):
                        sy = min(max(ys + dy * yy + dy * (iy + sampling_offset) / gy, 0.0), h - 1.0)
                        for ix in range(gx):
                            sx = min(max(xs + dx * xx + dx * (ix + sampling_offset) / gx, 0.0), w - 1.0)
                            acc += _trt_bilinear(plane, sy, sx)
                    out[b, i, :, yy, xx] = acc / (gx * gy)
    return out


def trt_multilevel_crop_and_resize(rois, maps, *, pooled_size):
    """roiAlignHalfCenter_kernel of TensorRT's MultilevelCropAndResize_TRT: rois [N,R,4]
    (y1, x1, y2, x2) in pixels inside the image, maps P2..P6; output [N,R,C,p,p]."""
    maps = [np.asarray(m, np.float64) for m in maps]
    n, r = rois.shape[:2]
    out = np.zeros((n, r, maps[0].shape[1], pooled_size, pooled_size))
    for b in range(n):
        for i in range(r):
            y1, x1, y2, x2 = (float(v) for v in rois[b, i])
            hw = (y2 - y1) * (x2 - x1)
            level, t = 0, 224 * 224 / 4.0
            for _ in range(4):
                if hw > t:
                    level += 1
                t *= 4
            plane = maps[level][b]
            h, w = plane.shape[1:]
            s = 2.0 ** (level + 2)
            dy, dx = (y2 - y1) / s / pooled_size, (x2 - x1) / s / pooled_size
            for yy in range(pooled_size):
                for xx in range(pooled_size):
                    sy = min(max(y1 / s + dy * (yy + 0.5), 0.0), h - 1.0)
                    sx = min(max(x1 / s + dx * (xx + 0.5), 0.0), w - 1.0)
                    out[b, i, :, yy, xx] = _trt_bilinear(plane, sy, sx)
    return out
