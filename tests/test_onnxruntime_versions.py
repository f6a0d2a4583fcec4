"""The library asks the runtime for C API version 17 (ops/ort/ort_api.h), so it must run on every
onnxruntime from 1.17 on, whatever headers it was built with: every op through the oldest such
release with a Python 3.11 wheel (1.17.0, in a venv of its own under build/, with the numpy 1.x
it was built against) and through the current one (the test environment's). The model is the
C++ host's case (every op once), compared with the NumPy reference."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

import roi_ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host"))
import make_case  # noqa: E402
from pinned_venv import python_with  # noqa: E402

OLDEST = ["onnxruntime==1.17.0", "numpy==1.26.4"]

RUN = r"""
import sys, numpy as np, onnxruntime as ort
library, model, data = sys.argv[1:4]
d = np.load(data)
feeds = {k[5:]: d[k] for k in d.files if k.startswith("feed_")}
so = ort.SessionOptions()
so.register_custom_ops_library(library)
session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
outputs = session.run(None, feeds)
worst = max(float(np.nanmax(np.abs(o.astype(np.float64) - d[f"want_{i}"]), initial=0)) for i, o in enumerate(outputs))
nan_ok = all(np.array_equal(np.isnan(o), np.isnan(d[f"want_{i}"])) for i, o in enumerate(outputs))
print(ort.__version__, worst, nan_ok)
"""


@pytest.fixture(scope="module")
def case_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ort_versions")
    model, _, expected, feeds = make_case.case(as_inputs=True)
    model.ir_version = 9  # onnxruntime 1.17 reads IR versions up to 9; the model uses nothing newer
    onnx.save(model, folder / "model.onnx")
    np.savez(folder / "data.npz", **{f"feed_{k}": v for k, v in feeds.items()},
             **{f"want_{i}": np.asarray(w, np.float64) for i, w in enumerate(expected)})
    (folder / "run.py").write_text(RUN)
    return folder


def _oldest_python() -> str:
    return python_with(OLDEST, "onnxruntime-" + OLDEST[0].split("==")[1])


@pytest.mark.parametrize("runtime", ["oldest", "current"])
def test_every_op_runs_on_the_oldest_and_the_current_onnxruntime(case_files, runtime):
    python = _oldest_python() if runtime == "oldest" else sys.executable
    r = subprocess.run([python, str(case_files / "run.py"), roi_ops.get_library_path(),
                        str(case_files / "model.onnx"), str(case_files / "data.npz")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    version, worst, nan_ok = r.stdout.split()
    assert version.startswith("1.17." if runtime == "oldest" else "1.")
    assert float(worst) < 1e-5 and nan_ok == "True", r.stdout
