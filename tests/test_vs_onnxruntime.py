"""The plugin against onnxruntime's own CPU kernels on the same inputs, where docs/spec.md says they
agree: RoIAlign(avg) = RoiAlign-16 (output_half_pixel / half_pixel), RoIAlign(onnx_max) =
RoiAlign(mode="max"), RoIPool = MaxRoiPool."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from conftest import random_rois, run_op
from onnx import TensorProto, helper


def builtin(node, X, rois, bidx=None, opset=16):
    ins = [helper.make_tensor_value_info("X", TensorProto.FLOAT, None),
           helper.make_tensor_value_info("rois", TensorProto.FLOAT, None)]
    feeds = {"X": X, "rois": rois}
    if bidx is not None:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
        feeds["bi"] = bidx
    g = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    so = ort.SessionOptions()
    so.log_severity_level = 3  # RoiAlign's max-mode warning is the point of the comparison
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("aligned,ctm", [(0, "output_half_pixel"), (1, "half_pixel")])
@pytest.mark.parametrize("mode,ours", [("avg", "avg"), ("max", "onnx_max")])
@pytest.mark.parametrize("sampling_ratio", [0, 1, 2, 4])
@pytest.mark.parametrize("scale", [1.0, 1 / 4, 1 / 16])
def test_roi_align_matches_builtin_roialign(rng, aligned, ctm, mode, ours, sampling_ratio, scale):
    X = rng.standard_normal((3, 20, 15, 18)).astype(np.float32)
    boxes, bidx = random_rois(rng, 25, 3, 15 / scale, 18 / scale, min_size=0.5 / scale, outside=0.2)
    boxes = boxes.astype(np.float32)
    attrs = dict(output_height=5, output_width=6, spatial_scale=scale, sampling_ratio=sampling_ratio)
    want = builtin(helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode=mode,
                                    coordinate_transformation_mode=ctm, **attrs), X, boxes, bidx)
    got = run_op("RoIAlign", X, boxes, bidx, mode=ours, aligned=aligned, **attrs)
    # onnxruntime computes sample positions in float32, roi_ops in float64.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("out", [(1, 1), (3, 2), (7, 7), (14, 14)])
@pytest.mark.parametrize("scale", [1.0, 1 / 4, 1 / 16, 1 / 32])
def test_roi_pool_matches_builtin_maxroipool(rng, out, scale):
    X = rng.standard_normal((2, 20, 15, 18)).astype(np.float32)
    boxes, bidx = random_rois(rng, 25, 2, 15 / scale, 18 / scale, min_size=0.5 / scale, outside=0.2)
    rois = np.concatenate([bidx[:, None], boxes], 1).astype(np.float32)
    want = builtin(helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=list(out),
                                    spatial_scale=scale), X, rois, opset=1)
    got = run_op("RoIPool", X, rois, output_height=out[0], output_width=out[1], spatial_scale=scale)
    np.testing.assert_array_equal(got, want)
