"""What a user of a plain ``pip install roi-ops`` (no extras) meets, from a directory outside the
repository: every subcommand works, or stops with one line naming the extra to install.

In the suite the extras are hidden from the CLI's process by an import blocker
(tests/plain_install/), so it needs no second install. scripts/test_plain_install.sh (run by CI)
runs the same tests against a real plain install in a fresh venv: ROI_OPS_PLAIN_PYTHON names its
interpreter."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRAS = "onnxruntime_extensions,PIL,tqdm,matplotlib,torch,torchvision,onnxscript,ray,openvino,tensorflow"


PLAIN_PYTHON = os.environ.get("ROI_OPS_PLAIN_PYTHON")


def python(tmp_path, *argv, blocked: str = EXTRAS):
    """Python with ``argv`` in ``tmp_path``, as a plain install runs it."""
    if PLAIN_PYTHON:  # the fresh venv: its own package and library, nothing of this checkout
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ROI_OPS_LIBRARY", "LD_PRELOAD")}
        return subprocess.run([PLAIN_PYTHON, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
    env = dict(os.environ, ROI_OPS_TEST_BLOCK=blocked,
               PYTHONPATH=os.pathsep.join([os.path.join(HERE, "plain_install")] +
                                          [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)


def cli(tmp_path, *args, blocked: str = EXTRAS, module: str = "roi_ops.cli"):
    return python(tmp_path, "-m", module, *args, blocked=blocked)


@pytest.mark.skipif(bool(PLAIN_PYTHON), reason="a real plain install: no blocker to check")
def test_the_blocker_hides_the_extras(tmp_path):
    r = subprocess.run([sys.executable, "-c", "import tqdm"], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(os.environ, ROI_OPS_TEST_BLOCK="tqdm",
                                PYTHONPATH=os.path.join(HERE, "plain_install")))
    assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["demo"], "pip install 'roi-ops[demo]'"),
    (["explain"], "pip install 'roi-ops[plots]'"),
])
def test_subcommands_that_need_an_extra_name_it_in_one_line(tmp_path, args, needle):
    r = cli(tmp_path, *args)
    assert r.returncode == 1 and needle in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr


def test_ray_detect_names_its_extra_in_one_line(tmp_path):
    r = cli(tmp_path, str(tmp_path), module="roi_ops.ray_detect")
    assert r.returncode == 1 and "pip install 'roi-ops[ray]'" in r.stderr and r.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("module", ["roi_ops.torch", "roi_ops.torch.vision"])
def test_importing_the_torch_api_without_torch_names_the_extra(tmp_path, module):
    r = python(tmp_path, "-c", f"import {module}")
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and last.startswith("ModuleNotFoundError: roi_ops.torch needs torch"), r.stderr
    assert last.endswith("pip install 'roi-ops[torch]'"), r.stderr


def test_info_and_version_work_without_extras(tmp_path):
    for args in (["info"], ["--version"]):
        r = cli(tmp_path, *args)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def test_bench_runs_without_extras_and_says_what_it_leaves_out(tmp_path):
    r = cli(tmp_path, "bench", "--quick", "--warmup", "0", "--repeat", "1", "--threads", "1", "--dtypes", "float32")
    assert r.returncode == 0, r.stderr
    assert "no progress bar (pip install 'roi-ops[demo]')" in r.stderr
    assert "no plot (pip install 'roi-ops[plots]')" in r.stderr
    assert "T1 skipped (pip install 'roi-ops[test]')" in r.stderr and "Traceback" not in r.stderr
    assert "openvino is not installed; O1-O4 skipped (pip install 'roi-ops[openvino]')" in r.stderr
    assert "tensorflow is not installed; O5-O6 skipped (pip install 'roi-ops[tensorflow]')" in r.stderr
    assert "| D1 detector (quick) |" in r.stdout  # the demo's models come with the package, found from any folder
    assert (tmp_path / "bench_output" / "bench.md").is_file()


def test_convert_and_check_work_without_extras(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2, sampling_ratio=2)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4, 16, 16]),
              helper.make_tensor_value_info("rois", TensorProto.FLOAT, ["K", 4]),
              helper.make_tensor_value_info("bi", TensorProto.INT64, ["K"])]
    graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=10),
              tmp_path / "standard.onnx")
    r = cli(tmp_path, "convert", "standard.onnx", "-o", "ours.onnx")
    assert r.returncode == 0 and "converted 1 node(s)" in r.stdout, r.stderr
    r = cli(tmp_path, "check", "ours.onnx", "--dim", "K=7")
    assert r.returncode == 0 and "every output within tolerance" in r.stdout, r.stderr


@pytest.mark.skipif(bool(PLAIN_PYTHON), reason="a real plain install has no demo extra; the refusal is tested above")
def test_demo_runs_from_another_folder_with_the_packaged_models(tmp_path):
    pytest.importorskip("onnxruntime_extensions", reason="the demo extra is not installed")
    r = cli(tmp_path, "demo", "--runs", "1", blocked="")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "demo_output" / "detections.png").is_file()
