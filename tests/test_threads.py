"""Work goes through the session's intra-op pool; results are bit-identical for 1, 2 and 4 threads."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import random_rois, run_crop, run_multi_scale, run_op


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("op,attrs", [
    ("RoIAlign", dict(mode="avg", sampling_ratio=2)),
    ("RoIAlign", dict(mode="max", sampling_ratio=0, aligned=1)),
    ("RoIAlign", dict(mode="onnx_max", sampling_ratio=0)),
    ("RoIPool", {}),
    ("PSRoIAlign", dict(sampling_ratio=2)),
    ("PSRoIPool", {}),
    ("RoIAlignRotated", dict(sampling_ratio=0)),
])
def test_bit_identical_for_1_2_4_threads(rng, dtype, op, attrs):
    X = rng.standard_normal((3, 49 if op.startswith("PS") else 40, 24, 30)).astype(dtype)
    boxes, bidx = random_rois(rng, 150, 3, 96, 120, min_size=2, outside=0.1)
    if op == "RoIAlignRotated":  # (cx, cy, w, h, angle)
        boxes = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2], rng.uniform(-90, 90, (150, 1))], 1)
    boxes = boxes.astype(dtype)
    outs = [run_op(op, X, boxes, bidx, threads=t, output_height=7, output_width=7, spatial_scale=0.25, **attrs)
            for t in (1, 2, 4)]
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_multi_scale_and_crop_bit_identical_for_1_2_4_threads(rng, dtype):
    maps = [rng.standard_normal((2, 40, 64 >> i, 80 >> i)).astype(dtype) for i in range(4)]
    boxes, bidx = random_rois(rng, 150, 2, 256, 320, min_size=4, max_size=400)
    outs = [run_multi_scale(maps, boxes.astype(dtype), bidx, threads=t, spatial_scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32],
                            output_height=7, output_width=7) for t in (1, 2, 4)]
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()
    crops = rng.uniform(-0.1, 1.1, (150, 4)).astype(dtype)
    outs = [run_crop(maps[0], crops, bidx, threads=t, crop_height=14, crop_width=14) for t in (1, 2, 4)]
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()
