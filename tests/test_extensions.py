"""onnxruntime-extensions: its library and ours in one session, and roi_ops models run without
the compiled library through extensions' Python custom ops backed by the NumPy reference."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto as T
from onnx import helper

import roi_ops
from roi_ops import builders, reference
from roi_ops.extensions import EXT_DOMAIN, session_options_with_extensions

HERE = os.path.dirname(os.path.abspath(__file__))


EXTENSIONS = "onnxruntime_extensions"
WHY = "onnxruntime-extensions is not installed (the test extras)"


def test_extensions_and_roi_ops_libraries_in_one_session():
    pytest.importorskip(EXTENSIONS, reason=WHY)
    # extensions' NegPos splits X into its negative and positive parts; RoIAlign pools the positive part.
    nodes = [helper.make_node("NegPos", ["X"], ["neg", "pos"], domain=EXT_DOMAIN),
             builders.make_roi_align_node("pos", "rois", None, "Y", output_height=2, output_width=2,
                                          sampling_ratio=2)]
    model = builders.make_model(nodes, [helper.make_tensor_value_info("X", T.FLOAT, [1, 3, 8, 8]),
                                        helper.make_tensor_value_info("rois", T.FLOAT, ["K", 5])],
                                [helper.make_tensor_value_info("Y", T.FLOAT, ["K", 3, 2, 2])])
    model.opset_import.append(helper.make_opsetid(EXT_DOMAIN, 1))
    X = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    rois = np.array([[0, 0, 0, 7, 7], [0, 2, 1, 5, 6]], np.float32)
    want = reference.roi_align(np.maximum(X, 0), rois, output_height=2, output_width=2, sampling_ratio=2)
    # options that hold our library already (it was registered twice: "Domain already set in registry")
    for options in (None, roi_ops.session_options()):
        sess = ort.InferenceSession(model.SerializeToString(), session_options_with_extensions(options),
                                    providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(sess.run(None, {"X": X, "rois": rois})[0], want, rtol=1e-5, atol=1e-6)


FALLBACK = r"""
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import make_case
import roi_ops._library
from roi_ops.extensions import make_python_session

def no_library(*a, **k):
    raise AssertionError("the compiled roi_ops library was asked for")

roi_ops._library.get_library_path = no_library
model, _, expected, feeds = make_case.case(as_inputs=True)
outs = make_python_session(model).run(None, feeds)
for name, got, want in zip([o.name for o in model.graph.output], outs, expected):
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True)
    print(name, "ok")
"""


def test_every_op_runs_without_the_compiled_library():
    pytest.importorskip(EXTENSIONS, reason=WHY)
    env = dict(os.environ, ROI_OPS_LIBRARY="/nonexistent/libroi_ops.so")
    run = subprocess.run([sys.executable, "-c", FALLBACK, os.path.join(HERE, "cpp_host")], capture_output=True,
                         text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(" ok") == 8


def test_the_python_fallback_names_maps_of_another_type():
    from roi_ops.extensions import to_extensions_model

    for dtype, name in ((T.FLOAT16, "float16"), (T.DOUBLE, "double")):
        nodes = [builders.make_roi_align_node("X", "rois", None, "Y", name="pool")]
        model = builders.make_model(nodes, [helper.make_tensor_value_info("X", dtype, [1, 3, 8, 8]),
                                            helper.make_tensor_value_info("rois", dtype, ["K", 5])],
                                    [helper.make_tensor_value_info("Y", dtype, ["K", 3, 1, 1])])
        # Was onnxruntime's "Type Error: Type 'tensor(float16)' of input parameter (X) of operator
        # (RoiOpsRoIAlign) ... is invalid" when the session was made.
        with pytest.raises(ValueError, match=f"RoIAlign node 'pool': the Python fallback serves float32 models; its "
                                             f"maps are {name}"):
            to_extensions_model(model)
