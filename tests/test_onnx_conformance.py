"""The conformance cases that the onnx package ships for RoiAlign (its backend test-case module),
run through roi_ops.RoIAlign with the attributes that mean the same thing. Expected outputs are
onnx's own arrays. (onnx's max-mode expectation encodes the behaviour docs/spec.md calls onnx_max.)"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import run_op

from roi_ops import reference

roialign_cases = pytest.importorskip("onnx.backend.test.case.node.roialign",
                                     reason="this onnx has no RoiAlign backend test cases")


def collect():
    captured = []

    def fake_expect(node, inputs, outputs, name, **kwargs):
        captured.append((name, node, inputs, outputs))

    original = roialign_cases.expect
    roialign_cases.expect = fake_expect
    try:
        for attr in dir(roialign_cases.RoiAlign):
            if attr.startswith("export"):
                getattr(roialign_cases.RoiAlign, attr)()
    finally:
        roialign_cases.expect = original
    return captured


CASES = collect()


def to_roi_ops_attrs(node):
    a = {at.name: at for at in node.attribute}
    mode = a["mode"].s.decode() if "mode" in a else "avg"
    ctm = a["coordinate_transformation_mode"].s.decode() if "coordinate_transformation_mode" in a else "half_pixel"
    return dict(
        output_height=a["output_height"].i if "output_height" in a else 1,
        output_width=a["output_width"].i if "output_width" in a else 1,
        spatial_scale=a["spatial_scale"].f if "spatial_scale" in a else 1.0,
        sampling_ratio=a["sampling_ratio"].i if "sampling_ratio" in a else 0,
        mode={"avg": "avg", "max": "onnx_max"}[mode],
        aligned=1 if ctm == "half_pixel" else 0,
    )


def test_cases_were_found():
    assert len(CASES) >= 3, [c[0] for c in CASES]


@pytest.mark.parametrize("name,node,inputs,outputs", CASES, ids=[c[0] for c in CASES])
def test_plugin_reproduces_onnx_expected_output(name, node, inputs, outputs):
    X, rois, bidx = inputs
    attrs = to_roi_ops_attrs(node)
    got = run_op("RoIAlign", X, rois, bidx.astype(np.int64), **attrs)
    np.testing.assert_allclose(got, outputs[0], rtol=1e-4, atol=1e-4)
    # The reference agrees with onnx's arrays too: it is not only the plugin's mirror.
    want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), bidx, **attrs)
    np.testing.assert_allclose(want, outputs[0], rtol=1e-4, atol=1e-4)
