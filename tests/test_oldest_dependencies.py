"""The oldest versions that pyproject.toml declares run the Python package: numpy, onnx and
onnxruntime, and the extras' onnxruntime-extensions and openvino, in a venv of their own under
build/ (exactly those versions, read from pyproject.toml), with the package's source on the path
and the built library. A standard-op FPN model converts (its pooler fused), runs as onnxruntime
runs the standard model, through the library, through the Python fallback (extensions) and in
OpenVINO (roi_ops.openvino_frontend, and its bodies inlined), `roi-ops check` passes on it, a
RoIAlignRotated body inlined at opset 20 runs in OpenVINO as the reference computes, and the
process exits 0.
The oldest declared torch, torchvision and onnxscript run the PyTorch tests (both exporters, the
ops, torchvision's detectors converted) in a venv of their own.
(onnx 1.20-1.22 crashed at exit once the roi_ops schemas were registered, and their reference
evaluator failed on a level without RoIs; older ones lack OpSchema inference functions.
onnxruntime-extensions 0.14 imports transformers; OpenVINO 2024.0-2024.2 refuse the rotated
sampled bodies inlined at opset 20, 2024.0 also some MultiScaleRoIAlign bodies.)"""
from __future__ import annotations

import hashlib
import os
import subprocess

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

import roi_ops
from pinned_venv import python_with, release

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SMOKE = r"""
import sys
import numpy as np, onnx, onnxruntime as ort
import roi_ops
from roi_ops import cli, convert

standard, converted = sys.argv[1:3]
report = convert.ConversionReport()
onnx.save(convert.to_roi_ops(onnx.load(standard), report=report), converted)
assert len(report.fused) == 1 and not report.converted, report
rng = np.random.default_rng(0)
corners = rng.uniform(0, 120, (32, 2))
boxes = np.concatenate([corners, corners + rng.uniform(8, 120, (32, 2))], 1)
feeds = {"image": rng.random((1, 3, 256, 256), np.float32),
         "proposals": np.concatenate([np.zeros((32, 1)), boxes], 1).astype(np.float32)}
want = ort.InferenceSession(standard, providers=["CPUExecutionProvider"]).run(None, feeds)
got = roi_ops.make_session(converted).run(None, feeds)
from roi_ops.extensions import make_python_session
fallback = make_python_session(onnx.load(converted)).run(None, feeds)
import openvino as ov
from roi_ops.openvino_frontend import conversion_extensions
from roi_ops.functions import inline_functions


def in_openvino(model, core):
    compiled = core.compile_model(core.read_model(model.SerializeToString(), b""), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    result = compiled(feeds)  # the feeds of the moment
    return [result[o] for o in compiled.outputs]


read = ov.Core()
read.add_extension(conversion_extensions())
runs = [got, fallback, in_openvino(onnx.load(converted), read), in_openvino(inline_functions(onnx.load(converted)),
                                                                            ov.Core())]
worst = max(float(np.abs(a - b).max()) for outs in runs for a, b in zip(outs, want))

# a sampled body at opset 20 (OpenVINO 2024.2 refuses it inlined): RoIAlignRotated
from onnx import TensorProto, helper
from roi_ops import builders, reference
x = rng.standard_normal((1, 4, 20, 24)).astype(np.float32)
rotated = np.array([[30, 24, 40, 20, 30], [50, 40, 16, 30, -75]], np.float32)
node = builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", output_height=3, output_width=3, spatial_scale=0.25,
                                            sampling_ratio=2)
io = [helper.make_tensor_value_info(n, t, s) for n, t, s in (("X", 1, x.shape), ("rois", 1, rotated.shape),
                                                               ("bi", 7, [2]), ("Y", 1, None))]  # OpenVINO: static
model = builders.make_model([node], io[:3], io[3:], opset=20)
feeds = {"X": x, "rois": rotated, "bi": np.zeros(2, np.int64)}
body = in_openvino(inline_functions(model), ov.Core())[0]
want = reference.roi_align_rotated(x, rotated, feeds["bi"], output_height=3, output_width=3, spatial_scale=0.25,
                                   sampling_ratio=2)
worst = max(worst, float(np.abs(body - want).max()))
code = cli.main(["check", converted])
from importlib.metadata import version
print(*(version(p) for p in ("numpy", "onnx", "onnxruntime", "onnxruntime-extensions", "openvino")), worst, code)
"""


def _oldest() -> list[str]:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    extras = project["optional-dependencies"]
    declared = project["dependencies"] + extras["extensions"] + extras["openvino"]
    return [d.replace(">=", "==") for d in declared]


def _python(pins: list[str]) -> str:
    return python_with(pins, "oldest-" + hashlib.sha1(" ".join(pins).encode()).hexdigest()[:8])


def test_the_oldest_declared_dependencies_convert_run_and_check_a_model(tmp_path):
    pins = _oldest()
    assert [p.split("==")[0] for p in pins] == ["numpy", "onnx", "onnxruntime", "onnxruntime-extensions", "openvino"]
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), ROI_OPS_LIBRARY=roi_ops.get_library_path())
    r = subprocess.run([_python(pins), str(script), os.path.join(ROOT, "models", "faster_rcnn_fpn.standard.onnx"),
                        str(tmp_path / "converted.onnx")], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    *versions, worst, code = r.stdout.split()[-7:]
    assert [release(v) for v in versions] == [release(p.split("==")[1]) for p in pins], r.stdout
    assert float(worst) < 1e-4 and code == "0", r.stdout


TORCH_TESTS = ["tests/test_torch_export.py", "tests/test_torch_vision.py", "tests/test_torchvision_ops.py",
               "tests/test_torchvision_detectors.py"]


def _oldest_torch() -> tuple[list[str], list[str]]:
    """The oldest torch, torchvision and onnxscript declared, and what else the tests need: the
    package's own dependencies and OpenVINO (the detectors' bodies also run there)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    names = ("torch", "torchvision", "onnxscript")
    declared = [d for d in project["optional-dependencies"]["test"] if d.split(">=")[0] in names]
    pins = [d.replace(">=", "==") for d in sorted(declared, key=lambda d: names.index(d.split(">=")[0]))]
    return pins, project["dependencies"] + project["optional-dependencies"]["openvino"]


def test_the_oldest_declared_torch_runs_the_pytorch_tests():
    """torch 2.5-2.7 failed these (dynamo exports), 2.8 and 2.9 with onnxscript 0.6 too."""
    pins, package = _oldest_torch()
    assert [p.split("==")[0] for p in pins] == ["torch", "torchvision", "onnxscript"]
    python = _python(pins + package + ["pytest"])
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), ROI_OPS_LIBRARY=roi_ops.get_library_path())
    versions = subprocess.run([python, "-c", "from importlib.metadata import version; "
                               "print(*(version(p) for p in ('torch', 'torchvision', 'onnxscript')))"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert [release(v) for v in versions] == [release(p.split("==")[1]) for p in pins], versions
    r = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TORCH_TESTS], cwd=ROOT,
                       capture_output=True, text=True, env=env, timeout=1200)
    summary = (r.stdout.strip().splitlines() or [""])[-1]
    assert r.returncode == 0 and "skipped" not in summary, r.stdout[-3000:] + r.stderr[-2000:]
