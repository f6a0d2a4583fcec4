"""The oldest numpy, onnx and onnxruntime that pyproject.toml declares run the Python package:
in a venv of their own under build/ (exactly those versions, read from pyproject.toml), with
the package's source on the path and the built library, a standard-op FPN model converts (its
pooler fused), runs as onnxruntime runs the standard model, and `roi-ops check` passes on it;
the process exits 0. (onnx 1.20-1.22 crashed at exit once the roi_ops schemas were registered,
and their reference evaluator failed on a level without RoIs; older ones lack OpSchema
inference functions.)"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib

import pytest

import roi_ops

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
worst = max(float(np.abs(a - b).max()) for a, b in zip(got, want))
code = cli.main(["check", converted])
print(np.__version__, onnx.__version__, ort.__version__, worst, code)
"""


def _oldest() -> list[str]:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        declared = tomllib.load(f)["project"]["dependencies"]
    return [d.replace(">=", "==") for d in declared]


def _python(pins: list[str]) -> str:
    venv = os.path.join(ROOT, "build", "oldest-" + hashlib.sha1(" ".join(pins).encode()).hexdigest()[:8])
    python = os.path.join(venv, "bin", "python")
    if not os.path.isfile(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True)
        r = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"could not install {' '.join(pins)} from PyPI: {r.stderr.strip().splitlines()[-1:]}")
    return python


def test_the_oldest_declared_dependencies_convert_run_and_check_a_model(tmp_path):
    pins = _oldest()
    assert [p.split("==")[0] for p in pins] == ["numpy", "onnx", "onnxruntime"], pins
    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), ROI_OPS_LIBRARY=roi_ops.get_library_path())
    r = subprocess.run([_python(pins), str(script), os.path.join(ROOT, "models", "faster_rcnn_fpn.standard.onnx"),
                        str(tmp_path / "converted.onnx")], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    *versions, worst, code = r.stdout.split()[-5:]
    release = lambda v: tuple(int(x) for x in v.split(".")) + (0,) * (3 - len(v.split(".")))  # noqa: E731
    assert [release(v) for v in versions] == [release(p.split("==")[1]) for p in pins], r.stdout
    assert float(worst) < 1e-4 and code == "0", r.stdout
