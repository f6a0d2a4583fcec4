"""Sessions of one roi_ops node and the check that a call fails with the library's message; the
bad-input tests (test_errors_attributes.py, test_errors_inputs.py) use them."""
from __future__ import annotations

import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import roi_ops
from roi_ops import builders

F = TensorProto.FLOAT


def session(op, attrs, x_type=F, rois_type=F, with_bi=True):
    ins = [helper.make_tensor_value_info("X", x_type, None), helper.make_tensor_value_info("rois", rois_type, None)]
    inputs = ["X", "rois"]
    if with_bi:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
        inputs.append("bi")
    node = helper.make_node(op, inputs, ["Y"], domain="roi_ops", **attrs)
    g = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info("Y", x_type, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("roi_ops", 1)],
                          ir_version=10)
    return roi_ops.make_session(m)


def multi_scale_session(attrs, maps=2, rois_type=F, with_bi=True, op="MultiScaleRoIAlign"):
    names = [f"X_{i}" for i in range(maps)]
    node = helper.make_node(op, ["rois", "bi" if with_bi else "", *names], ["Y"], domain="roi_ops", **attrs)
    ins = [helper.make_tensor_value_info("rois", rois_type, None)]
    if with_bi:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
    ins += [helper.make_tensor_value_info(n, F, None) for n in names]
    model = builders.make_model([node], ins, [helper.make_tensor_value_info("Y", F, None)])
    return roi_ops.make_session(model)


def crop_session(attrs, boxes_type=F, index_type=TensorProto.INT64):
    node = helper.make_node("CropAndResize", ["X", "boxes", "box_indices"], ["Y"], domain="roi_ops", **attrs)
    ins = [helper.make_tensor_value_info("X", F, None), helper.make_tensor_value_info("boxes", boxes_type, None),
           helper.make_tensor_value_info("box_indices", index_type, None)]
    model = builders.make_model([node], ins, [helper.make_tensor_value_info("Y", F, None)])
    return roi_ops.make_session(model)


def expect_error(fn, *needles):
    with pytest.raises(Exception) as info:
        fn()
    msg = str(info.value)
    assert isinstance(info.value, (ort.capi.onnxruntime_pybind11_state.Fail,
                                   ort.capi.onnxruntime_pybind11_state.InvalidArgument,
                                   ort.capi.onnxruntime_pybind11_state.InvalidGraph,
                                   ort.capi.onnxruntime_pybind11_state.RuntimeException)), msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
