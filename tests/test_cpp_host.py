"""The plugin outside Python: a C++ program (tests/cpp_host, built with CMake) links the
onnxruntime C API library of the installed wheel, registers the library with
RegisterCustomOpsLibrary, runs a model holding every op and checks each output against the
NumPy reference; a model with a bad attribute must fail with an error naming the op."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import roi_ops

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host")
sys.path.insert(0, HERE)
import make_case  # noqa: E402
import paths  # noqa: E402
from cmake_builds import cmake_build  # noqa: E402


@pytest.fixture(scope="module")
def host():
    build = cmake_build(HERE, "cpp_host", f"-DONNXRUNTIME_INCLUDE_DIR={paths.include_dir()}",
                        f"-DONNXRUNTIME_LIBRARY={paths.runtime_library()}")
    return os.path.join(build, "roi_ops_host")


def test_cpp_host_runs_every_op_and_reports_errors(host, tmp_path):
    make_case.write(str(tmp_path))
    run = subprocess.run([host, roi_ops.get_library_path(), str(tmp_path / "model.onnx"),
                          str(tmp_path / "expected.bin"), str(tmp_path / "bad_model.onnx")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    for op in ("roi_align", "roi_pool", "ps_roi_align", "ps_roi_pool", "roi_align_rotated", "multi_scale_roi_align",
               "crop_and_resize"):
        assert f"{op}: " in run.stdout and f"{op}: " + "0 values" not in run.stdout
    assert "MISMATCH" not in run.stdout
    assert "bad model: " in run.stdout and "RoIAlign: attribute 'output_height'" in run.stdout
