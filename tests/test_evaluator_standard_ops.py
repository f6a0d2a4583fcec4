"""roi_ops.evaluator.STANDARD_OPS: the two standard ops onnx 1.23's ReferenceEvaluator lacks
(MaxRoiPool) or computes wrongly (RoiAlign-10, run with opset 16's half_pixel), checked against
onnxruntime's own kernels of those ops; and the evaluator's own gaps, so that they show when onnx
fixes them. make_evaluator computes both with the NumPy reference (REFERENCE_STANDARD_OPS),
checked against onnxruntime the same way; the body evaluator keeps onnx's RoiAlign."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import RuntimeImplementationError

from roi_ops import evaluator, reference
from roi_ops.evaluator import STANDARD_OPS, make_body_evaluator, make_evaluator

RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 3, 12, 14)).astype(np.float32)
_C = RNG.uniform(-8, 64, (9, 4)).astype(np.float32)  # some boxes reach past the map
BOXES = np.concatenate([np.minimum(_C[:, :2], _C[:, 2:]), np.maximum(_C[:, :2], _C[:, 2:])], 1)
BI = RNG.integers(0, 2, 9).astype(np.int64)
ROIS5 = np.concatenate([BI[:, None].astype(np.float32), BOXES], 1)


def _model(node, inputs, opset):
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64 if n == "bi" else TensorProto.FLOAT, None)
           for n in inputs]
    graph = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _onnxruntime(model, feeds):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]


@pytest.mark.parametrize("opset", [10, 11, 13, 16, 17])
@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_roi_align_matches_onnxruntime_at_every_opset(opset, mode, sampling_ratio):
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode=mode, output_height=3, output_width=4,
                            spatial_scale=0.25, sampling_ratio=sampling_ratio)
    model = _model(node, ["X", "rois", "bi"], opset)
    feeds = {"X": X, "rois": BOXES, "bi": BI}
    want = _onnxruntime(model, feeds)
    np.testing.assert_allclose(ReferenceEvaluator(model, new_ops=STANDARD_OPS).run(None, feeds)[0], want,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(make_evaluator(model).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)
    alone = ReferenceEvaluator(model).run(None, feeds)[0]
    if opset < 16:  # the evaluator's own gap: half_pixel for RoiAlign-10
        assert not np.allclose(alone, want, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(alone, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pooled", [(1, 1), (2, 3), (7, 7)])
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_max_roi_pool_matches_onnxruntime(pooled, scale):
    node = helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=list(pooled), spatial_scale=scale)
    model = _model(node, ["X", "rois"], 11)
    feeds = {"X": X, "rois": ROIS5}
    want = _onnxruntime(model, feeds)
    for got in (ReferenceEvaluator(model, new_ops=STANDARD_OPS).run(None, feeds)[0],
                make_evaluator(model).run(None, feeds)[0]):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)  # a max of the same floats: exact
    with pytest.raises(RuntimeImplementationError, match="MaxRoiPool"):  # the evaluator's own gap
        ReferenceEvaluator(model)


def test_only_make_evaluator_computes_standard_roi_align_with_the_reference(monkeypatch):
    """The function-body tests compare the reference with bodies of standard RoiAlign nodes, so
    the body evaluator must not compute those with the reference itself."""
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=3, output_width=4)
    model = _model(node, ["X", "rois", "bi"], 16)
    feeds = {"X": X, "rois": BOXES, "bi": BI}
    want = _onnxruntime(model, feeds)
    calls = []
    real = reference.roi_align
    monkeypatch.setattr(reference, "roi_align", lambda *a, **k: calls.append(k) or real(*a, **k))
    np.testing.assert_allclose(make_body_evaluator(model).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)
    assert calls == []
    np.testing.assert_allclose(make_evaluator(model).run(None, feeds)[0], want, rtol=1e-5, atol=1e-5)
    assert calls == [dict(output_height=3, output_width=4, spatial_scale=1.0, sampling_ratio=0, mode="avg",
                          aligned=1)]
    assert [op.__name__ for op in evaluator.REFERENCE_STANDARD_OPS] == ["MaxRoiPool", "RoiAlign"]
