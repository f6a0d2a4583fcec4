"""roi_ops.torch.torchvision_ops: the plain-PyTorch NMS that stands in for torchvision's
compiled one (it decides the PyTorch detections the detector tests compare with) keeps the
boxes onnxruntime's NonMaxSuppression keeps."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

torch = pytest.importorskip("torch", reason="needs torch (pip install 'roi-ops[test]')")

from roi_ops.torch.torchvision_ops import nms  # noqa: E402


def _onnxruntime_nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores", "max", "iou"], ["selected"])
    graph = helper.make_graph(
        [node], "nms",
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, None, 4]),
         helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, None]),
         helper.make_tensor_value_info("max", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("iou", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("selected", TensorProto.INT64, [None, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (selected,) = session.run(None, {"boxes": boxes[None], "scores": scores[None, None],
                                     "max": np.array([len(boxes)], np.int64), "iou": np.array([iou], np.float32)})
    return selected[:, 2]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("iou", [0.3, 0.5, 0.7])
def test_nms_keeps_what_onnxruntime_keeps(seed, iou):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (300, 2))], 1).astype(np.float32)
    scores = rng.permutation(300).astype(np.float32) / 300  # distinct: one order
    kept = nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou).numpy()
    np.testing.assert_array_equal(kept, _onnxruntime_nms(boxes, scores, iou))


def test_nms_of_no_boxes_is_empty():
    assert nms(torch.zeros((0, 4)), torch.zeros((0,)), 0.5).shape == (0,)
