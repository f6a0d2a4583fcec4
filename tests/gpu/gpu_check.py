#!/usr/bin/env python3
"""GPU check of the CUDA kernels, without onnxruntime (scripts/gpu_check.sh runs it).

1. Every op against the CPU kernels on randomized cases: float32 / float64 / float16, both RoI
   layouts, the CPU tests' edge cases (RoIs outside, reversed, tiny, huge, non-finite), and an
   invalid batch index (NaN block on the GPU). Pass: float32 max relative error < 1e-5,
   float64 < 1e-12, float16 < 2e-3 (relative to the largest |value| of the CPU output).
2. Timings with CUDA events (median of --repeat) against torchvision's CUDA roi_align,
   roi_pool, ps_roi_align, ps_roi_pool on W1-W3, and the memory-traffic floor of each workload
   (bytes that must move / the device's measured copy bandwidth).

    python tests/gpu/gpu_check.py --harness build/gpu/libroi_ops_gpu_harness.so --out results.md
    python tests/gpu/gpu_check.py --harness ... --selftest   # CPU path only: no GPU needed
"""
from __future__ import annotations

import argparse
import ctypes
import statistics
import sys

import numpy as np

DTYPE_CODE = {np.float32: 0, np.float64: 1, np.float16: 2}


class Params(ctypes.Structure):
    _fields_ = [("output_height", ctypes.c_int64), ("output_width", ctypes.c_int64), ("sampling_ratio", ctypes.c_int64),
                ("spatial_scale", ctypes.c_double), ("mode", ctypes.c_int64), ("aligned", ctypes.c_int64),
                ("clockwise", ctypes.c_int64), ("radians", ctypes.c_int64), ("nearest", ctypes.c_int64),
                ("extrapolation_value", ctypes.c_double), ("spatial_scales", ctypes.c_double * 8),
                ("canonical_scale", ctypes.c_double), ("canonical_level", ctypes.c_int64), ("eps", ctypes.c_double),
                ("eps_in_log", ctypes.c_int64), ("roi_scale_factor", ctypes.c_double)]


def make_params(**kw) -> Params:
    p = Params(output_height=kw.get("oh", 7), output_width=kw.get("ow", 7), sampling_ratio=kw.get("sr", 2),
               spatial_scale=kw.get("scale", 0.25), mode=kw.get("mode", 0), aligned=kw.get("aligned", 0),
               clockwise=kw.get("clockwise", 0), radians=kw.get("radians", 0), nearest=kw.get("nearest", 0),
               extrapolation_value=kw.get("ext", 0.0), canonical_scale=kw.get("canonical_scale", 224.0),
               canonical_level=kw.get("canonical_level", 4), eps=kw.get("eps", 1e-6),
               eps_in_log=kw.get("eps_in_log", 0), roi_scale_factor=kw.get("roi_scale_factor", 1.0))
    for i, s in enumerate(kw.get("scales", [])):
        p.spatial_scales[i] = s
    return p


class Harness:
    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        f = self.lib.roi_ops_harness_run
        f.restype = ctypes.c_int
        f.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                      ctypes.POINTER(ctypes.c_int64), ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                      ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(Params), ctypes.c_void_p, ctypes.c_void_p,
                      ctypes.c_char_p, ctypes.c_int64]
        self.fn = f

    def call(self, op, cuda, dtype, map_ptrs, shapes, rois_ptr, k, cols, idx_ptr, idx32, params, y_ptr, stream):
        err = ctypes.create_string_buffer(512)
        maps = (ctypes.c_void_p * len(map_ptrs))(*map_ptrs)
        flat = (ctypes.c_int64 * (4 * len(shapes)))(*[d for s in shapes for d in s])
        rc = self.fn(op.encode(), int(cuda), DTYPE_CODE[dtype], maps, flat, len(shapes), rois_ptr, k, cols, idx_ptr,
                     int(idx32), ctypes.byref(params), y_ptr, stream, err, 512)
        if rc:
            raise RuntimeError(err.value.decode())

    def host(self, op, cuda, maps, rois, idx, params, out_shape):
        """The CPU kernels on NumPy arrays; with ``cuda`` the CUDA launchers on the same host
        memory, which only the CUDA emulation's harness (tests/cuda_emulation) can run."""
        y = np.zeros(out_shape, maps[0].dtype)
        idx32 = cuda and idx is not None and idx.dtype == np.int32
        idx = None if idx is None else np.ascontiguousarray(idx, np.int32 if idx32 else np.int64)
        self.call(op, cuda, maps[0].dtype.type, [m.ctypes.data for m in maps], [m.shape for m in maps],
                  rois.ctypes.data, rois.shape[0], rois.shape[1], None if idx is None else idx.ctypes.data, idx32,
                  params, y.ctypes.data, None)
        return y

    def cpu(self, op, maps, rois, idx, params, out_shape):
        return self.host(op, False, maps, rois, idx, params, out_shape)

    def cuda(self, op, maps, rois, idx, params, out_shape, torch):
        t = [torch.from_numpy(m).cuda() for m in maps]
        r = torch.from_numpy(rois).cuda()
        i = None if idx is None else torch.from_numpy(np.ascontiguousarray(idx)).cuda()
        y = torch.empty(out_shape, dtype=t[0].dtype, device="cuda")
        stream = torch.cuda.current_stream().cuda_stream
        self.call(op, True, maps[0].dtype.type, [m.data_ptr() for m in t], [m.shape for m in maps], r.data_ptr(),
                  rois.shape[0], rois.shape[1], None if i is None else i.data_ptr(),
                  i is not None and i.dtype == torch.int32, params, y.data_ptr(), ctypes.c_void_p(stream))
        torch.cuda.synchronize()
        return y.cpu().numpy()


def random_case(rng, op, dtype, layout):
    """(maps, rois, idx, params, out_shape) of a randomized case with the CPU tests' edge RoIs."""
    oh, ow = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    n = int(rng.integers(1, 3))
    ps = op.startswith("PS")
    c = (oh * ow if ps else 1) * int(rng.integers(1, 6))
    h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    scale = float(rng.choice([1.0, 0.5, 0.25, 1 / 16]))
    k = int(rng.integers(4, 40))
    img_h, img_w = h / scale, w / scale
    xy = rng.uniform(-0.3, 1.1, (k, 2)) * [img_w, img_h]
    wh = np.exp(rng.uniform(np.log(0.3), np.log(2 * max(img_h, img_w)), (k, 2)))
    boxes = np.concatenate([xy, xy + wh], 1)
    # The CPU tests' edge RoIs.
    boxes[0] = [img_w * 0.5, img_h * 0.5, img_w * 0.5, img_h * 0.5]  # a point
    boxes[1] = boxes[1][[2, 3, 0, 1]]  # reversed
    boxes[2] = [-1e6, -1e6, 1e6, 1e6]  # huge
    boxes[3] = [np.nan, 0, 1, 1]  # non-finite: NaN block on both
    bidx = rng.integers(0, n, k)
    params = make_params(oh=oh, ow=ow, sr=int(rng.choice([0, 1, 2])), scale=scale, mode=int(rng.integers(0, 3)),
                         aligned=int(rng.integers(0, 2)), clockwise=int(rng.integers(0, 2)))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    maps = [x]
    if op == "RoIAlignRotated":
        cxcy = (boxes[:, :2] + boxes[:, 2:]) / 2
        rb = np.concatenate([cxcy, np.abs(boxes[:, 2:] - boxes[:, :2]), rng.uniform(-180, 180, (k, 1))], 1)
        boxes = rb
    if op.startswith("MultiScaleRoIAlign"):
        levels = int(rng.integers(1, 5))
        # Consecutive levels, or (one time in three) every other level: RoIs past the last map get zeros.
        step = 2 if rng.integers(0, 3) == 0 else 1
        scales = [2.0 ** -(2 + step * i) for i in range(levels)]
        maps = [rng.standard_normal((n, c, max(int(64 * 4 * s), 1), max(int(80 * 4 * s), 1))).astype(dtype) for s in scales]
        params = make_params(oh=oh, ow=ow, sr=int(rng.choice([0, 2])), aligned=int(rng.integers(0, 2)), scales=scales,
                             canonical_scale=float(rng.choice([224, 56])), canonical_level=4,
                             mode=int(rng.integers(0, 3)), roi_scale_factor=float(rng.choice([1.0, 0.8, 1.5])),
                             clockwise=int(rng.integers(0, 2)), radians=int(rng.integers(0, 2)))
        xy = rng.uniform(0, 256, (k, 2))
        boxes = np.concatenate([xy, xy + np.exp(rng.uniform(0, 6, (k, 2)))], 1)
        if op == "MultiScaleRoIAlignRotated":
            boxes = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2],
                                    rng.uniform(-180, 180, (k, 1))], 1)
            boxes[0, 2] = np.nan  # non-finite: NaN block on both
    if op == "CropAndResize":
        boxes = rng.uniform(-0.3, 1.3, (k, 4))
        params = make_params(oh=oh, ow=ow, nearest=int(rng.integers(0, 2)), ext=float(rng.choice([0.0, -1.5])))
        return maps, boxes.astype(dtype), bidx.astype(rng.choice([np.int32, np.int64])), params, (k, c, oh, ow)
    with np.errstate(over="ignore"):  # in float16 the huge RoI's ±1e6 is ±inf: a non-finite RoI, on both sides
        if layout == "first":
            rois, idx = np.concatenate([bidx[:, None], boxes], 1).astype(dtype), None
        else:
            rois, idx = boxes.astype(dtype), bidx
    return maps, np.ascontiguousarray(rois), idx, params, (k, c // (oh * ow) if ps else c, oh, ow)


OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "RoIAlignRotated", "MultiScaleRoIAlign",
       "MultiScaleRoIAlignRotated", "CropAndResize"]
TOL = {np.float32: 1e-5, np.float64: 1e-12, np.float16: 2e-3}


def max_rel_err(gpu, cpu):
    both_nan = np.isnan(gpu) & np.isnan(cpu)
    if np.any(np.isnan(gpu) != np.isnan(cpu)):
        return float("inf")
    g, c = np.where(both_nan, 0, gpu).astype(np.float64), np.where(both_nan, 0, cpu).astype(np.float64)
    return float(np.abs(g - c).max(initial=0) / max(np.abs(c).max(initial=0), 1e-30))


def correctness(h, torch, cases_per_op, seed=0):
    rng = np.random.default_rng(seed)
    lines, ok = [], True
    for op in OPS:
        for dtype in (np.float32, np.float64, np.float16):
            worst = 0.0
            for i in range(cases_per_op):
                maps, rois, idx, p, shape = random_case(rng, op, dtype, "first" if i % 2 else "indices")
                cpu = h.cpu(op, maps, rois, idx, p, shape)
                gpu = h.cuda(op, maps, rois, idx, p, shape, torch)
                worst = max(worst, max_rel_err(gpu, cpu))
            passed = worst < TOL[dtype]
            ok &= passed
            lines.append(f"| {op} | {np.dtype(dtype).name} | {cases_per_op} | {worst:.2e} | {'ok' if passed else 'FAIL'} |")
    # An invalid batch index cannot raise on the device: its block must be NaN.
    maps, rois, idx, p, shape = random_case(np.random.default_rng(1), "RoIAlign", np.float32, "indices")
    idx = idx.copy()
    idx[0] = 99
    gpu = h.cuda("RoIAlign", maps, rois, idx, p, shape, torch)
    nan_ok = bool(np.isnan(gpu[0]).all())
    ok &= nan_ok
    lines.append(f"| RoIAlign, batch index 99 of N={maps[0].shape[0]} | float32 | 1 | NaN block: {nan_ok} | "
                 f"{'ok' if nan_ok else 'FAIL'} |")
    return ok, lines


def selftest(h):
    """The harness's CPU path against the NumPy reference: checks the ctypes plumbing without a GPU."""
    sys.path.insert(0, __file__.rsplit("/tests/", 1)[0] + "/python")
    from roi_ops import reference

    rng = np.random.default_rng(3)
    maps, rois, idx, p, shape = random_case(rng, "RoIAlign", np.float64, "indices")
    ok_rows = [3]
    y = h.cpu("RoIAlign", maps, rois, idx, p, shape)
    want = reference.roi_align(maps[0], rois, idx, output_height=p.output_height, output_width=p.output_width,
                               spatial_scale=p.spatial_scale, sampling_ratio=p.sampling_ratio,
                               mode=["avg", "max", "onnx_max"][p.mode], aligned=p.aligned)
    keep = np.all(np.abs(rois) < 1e5, axis=1) & np.all(np.isfinite(rois), axis=1)
    np.testing.assert_allclose(y[keep], want[keep], rtol=1e-9, atol=1e-9)
    assert np.isnan(y[ok_rows]).all()
    print("selftest: harness CPU path matches the NumPy reference")


def cuda_ms(torch, fn, warmup, repeat):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def copy_bandwidth(torch):
    x = torch.empty(512 * 2**20, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    ms = cuda_ms(torch, lambda: y.copy_(x), 3, 20)
    return 2 * x.numel() / (ms * 1e-3)  # bytes read + written per second


def timings(h, torch, tv, repeat):
    """(workload, op) rows: ours vs torchvision, and the memory-traffic floor."""
    rng = np.random.default_rng(1234)
    workloads = [("W1", (1, 256, 200, 272), 1000, 7, 2, 0.25), ("W2", (1, 256, 200, 272), 100, 14, 2, 0.25),
                 ("W3", (4, 256, 50, 68), 512, 7, 0, 1 / 16)]
    bw = copy_bandwidth(torch)
    rows = [f"Device copy bandwidth (read + write): {bw / 1e9:.0f} GB/s", "",
            "| workload | op | roi_ops ms | torchvision ms | speed-up | floor ms | roi_ops / floor |", "|---|---|---|---|---|---|---|"]
    for name, shape, per_image, out, sr, scale in workloads:
        n, c, hh, ww = shape
        x = torch.randn(shape, device="cuda")
        k = n * per_image
        sizes = np.exp(rng.uniform(np.log(16), np.log(600), (k, 2)))
        img_h, img_w = hh / scale, ww / scale
        sizes = np.minimum(sizes, [img_w - 1, img_h - 1])
        xy = rng.uniform(0, 1, (k, 2)) * ([img_w, img_h] - sizes)
        boxes = np.concatenate([xy, xy + sizes], 1)
        bidx = np.repeat(np.arange(n), per_image)
        rois5 = torch.from_numpy(np.concatenate([bidx[:, None], boxes], 1).astype(np.float32)).cuda()
        # Floor: the output written once plus every map pixel some RoI touches read once.
        touched = np.zeros((n, hh, ww), bool)
        for (x1, y1, x2, y2), b in zip(boxes * scale, bidx):
            touched[b, max(int(y1), 0):min(int(np.ceil(y2)) + 1, hh), max(int(x1), 0):min(int(np.ceil(x2)) + 1, ww)] = True
        floor_bytes = 4 * (k * c * out * out + touched.sum() * c)
        floor_ms = floor_bytes / bw * 1e3
        y = torch.empty((k, c, out, out), device="cuda")
        p = make_params(oh=out, ow=out, sr=sr, scale=scale)
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)

        def ours(op="RoIAlign", y=y, p=p):
            h.call(op, True, np.float32, [x.data_ptr()], [shape], rois5.data_ptr(), k, 5, None, False, p,
                   y.data_ptr(), stream)

        t_ours = cuda_ms(torch, ours, 3, repeat)
        t_tv = cuda_ms(torch, lambda: tv.roi_align(x, rois5, (out, out), scale, sr, False), 3, repeat)
        rows.append(f"| {name} | RoIAlign | {t_ours:.3f} | {t_tv:.3f} | {t_tv / t_ours:.2f}x | {floor_ms:.3f} | "
                    f"{t_ours / floor_ms:.2f} |")
        t_ours = cuda_ms(torch, lambda: ours("RoIPool", p=make_params(oh=out, ow=out, scale=scale)), 3, repeat)
        t_tv = cuda_ms(torch, lambda: tv.roi_pool(x, rois5, (out, out), scale), 3, repeat)
        rows.append(f"| {name} | RoIPool | {t_ours:.3f} | {t_tv:.3f} | {t_tv / t_ours:.2f}x | {floor_ms:.3f} | "
                    f"{t_ours / floor_ms:.2f} |")
        bins = out * out
        cps = (c // bins) * bins
        xps = x[:, :cps].contiguous()
        yps = torch.empty((k, cps // bins, out, out), device="cuda")
        ps_floor = 4 * (k * cps // bins * bins + touched.sum() * cps) / bw * 1e3

        def ours_ps(op, params):
            h.call(op, True, np.float32, [xps.data_ptr()], [(n, cps, hh, ww)], rois5.data_ptr(), k, 5, None, False,
                   params, yps.data_ptr(), stream)

        t_ours = cuda_ms(torch, lambda: ours_ps("PSRoIAlign", p), 3, repeat)
        t_tv = cuda_ms(torch, lambda: tv.ps_roi_align(xps, rois5, (out, out), scale, sr), 3, repeat)
        rows.append(f"| {name} (C={cps}) | PSRoIAlign | {t_ours:.3f} | {t_tv:.3f} | {t_tv / t_ours:.2f}x | "
                    f"{ps_floor:.3f} | {t_ours / ps_floor:.2f} |")
        t_ours = cuda_ms(torch, lambda: ours_ps("PSRoIPool", make_params(oh=out, ow=out, scale=scale)), 3, repeat)
        t_tv = cuda_ms(torch, lambda: tv.ps_roi_pool(xps, rois5, (out, out), scale), 3, repeat)
        rows.append(f"| {name} (C={cps}) | PSRoIPool | {t_ours:.3f} | {t_tv:.3f} | {t_tv / t_ours:.2f}x | "
                    f"{ps_floor:.3f} | {t_ours / ps_floor:.2f} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--harness", required=True)
    ap.add_argument("--out", help="write the results (Markdown) here")
    ap.add_argument("--cases", type=int, default=12, help="random cases per op and dtype")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--selftest", action="store_true", help="check the harness's CPU path only (no GPU needed)")
    args = ap.parse_args()
    h = Harness(args.harness)
    if args.selftest:
        selftest(h)
        return 0
    import torch

    lines = [f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}", "",
             "| op | dtype | cases | max rel. error vs CPU | result |", "|---|---|---|---|---|"]
    ok, rows = correctness(h, torch, args.cases)
    lines += rows
    if not args.no_timing:
        import torchvision.ops as tv

        lines += [""] + timings(h, torch, tv, args.repeat)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
