"""Peers that run here, for the tests that compare with them directly."""
from __future__ import annotations

import pytest

# OpenVINO's CPU plugin computes in bfloat16 where the CPU has it unless told otherwise.
OPENVINO_F32 = {"INFERENCE_PRECISION_HINT": "f32"}


def openvino_or_skip():
    try:
        import openvino as ov
    except ImportError:
        pytest.skip("needs openvino (pip install 'roi-ops[test]')")
    return ov


def openvino_run(model_bytes: bytes, feeds: dict) -> list:
    """The outputs of an ONNX model run by OpenVINO's CPU plugin in float32, in output order."""
    ov = openvino_or_skip()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(model_bytes, b""), "CPU", OPENVINO_F32)
    result = compiled(feeds)
    return [result[o] for o in compiled.outputs]
