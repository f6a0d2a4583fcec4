"""Peers that run here, for the tests that compare with them directly."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

# OpenVINO's CPU plugin computes in bfloat16 where the CPU has it unless told otherwise, hence
# float32; and one thread: on two, OpenVINO 2026.4 gives torchvision's Mask R-CNN export masks
# that differ by 0.18 from one run of the same compiled model to the next when the other core is
# busy (boxes and scores stay bit-identical), which made the detector comparisons flaky; on one
# thread repeated runs are identical, busy core or not.
OPENVINO_F32 = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": 1}
# OpenVINO dlopens its plugins with RTLD_DEEPBIND, which the sanitizer runtimes that
# scripts/test_sanitized.sh preloads refuse (the process aborts); there it runs in a child process
# without them (our library takes no part in what OpenVINO computes).
SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")

_CHILD = r"""
import json, sys, numpy as np, openvino as ov
folder = sys.argv[1]
feeds = dict(np.load(folder + "/feeds.npz"))
core = ov.Core()
if sys.argv[2] == "1":
    from roi_ops.openvino_frontend import conversion_extensions
    core.add_extension(conversion_extensions())
with open(folder + "/model.onnx", "rb") as f:
    compiled = core.compile_model(core.read_model(f.read(), b""), "CPU", json.loads(sys.argv[3]))
result = compiled(feeds)
np.savez(folder + "/outputs.npz", *[result[o] for o in compiled.outputs])
"""


def static_inputs(model, feeds: dict):
    """A copy of ``model`` whose inputs have the feeds' shapes: OpenVINO's CPU plugin wants inputs
    of known rank."""
    import onnx

    model = onnx.ModelProto.FromString(model.SerializeToString())
    for v in model.graph.input:
        v.type.tensor_type.ClearField("shape")
        for d in feeds[v.name].shape:
            v.type.tensor_type.shape.dim.add().dim_value = d
    return model


def openvino_or_skip():
    try:
        import openvino as ov
    except ImportError:
        pytest.skip("needs openvino (pip install 'roi-ops[test]')")
    return ov


def openvino_run(model_bytes: bytes, feeds: dict, *, roi_ops_extensions: bool = False) -> list:
    """The outputs of an ONNX model run by OpenVINO's CPU plugin in float32, in output order;
    ``roi_ops_extensions``: with roi_ops.openvino_frontend's conversion extensions added."""
    ov = openvino_or_skip()
    if SANITIZED:
        return _in_child(model_bytes, feeds, roi_ops_extensions)
    core = ov.Core()
    if roi_ops_extensions:
        from roi_ops.openvino_frontend import conversion_extensions

        core.add_extension(conversion_extensions())
    compiled = core.compile_model(core.read_model(model_bytes, b""), "CPU", OPENVINO_F32)
    result = compiled(feeds)
    return [result[o] for o in compiled.outputs]


def _in_child(model_bytes: bytes, feeds: dict, roi_ops_extensions: bool) -> list:
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(model_bytes)
        np.savez(os.path.join(folder, "feeds.npz"), **feeds)
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        run = subprocess.run([sys.executable, "-c", _CHILD, folder, str(int(roi_ops_extensions)),
                              json.dumps(OPENVINO_F32)],
                             capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        outputs = np.load(os.path.join(folder, "outputs.npz"))
        return [outputs[f"arr_{i}"] for i in range(len(outputs.files))]
