"""Work goes through the session's intra-op pool; results are bit-identical for 1, 2 and 4 threads."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import random_rois, run_op


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("op,attrs", [
    ("RoIAlign", dict(mode="avg", sampling_ratio=2)),
    ("RoIAlign", dict(mode="max", sampling_ratio=0, aligned=1)),
    ("RoIAlign", dict(mode="onnx_max", sampling_ratio=0)),
    ("RoIPool", {}),
])
def test_bit_identical_for_1_2_4_threads(rng, dtype, op, attrs):
    X = rng.standard_normal((3, 40, 24, 30)).astype(dtype)
    boxes, bidx = random_rois(rng, 150, 3, 96, 120, min_size=2, outside=0.1)
    boxes = boxes.astype(dtype)
    outs = [run_op(op, X, boxes, bidx, threads=t, output_height=7, output_width=7, spatial_scale=0.25, **attrs)
            for t in (1, 2, 4)]
    for o in outs[1:]:
        assert o.tobytes() == outs[0].tobytes()
