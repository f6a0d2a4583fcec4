"""The `roi-ops` command line: every subcommand's output, exit status and one-line errors, run as a
user runs it (python -m roi_ops.cli in a subprocess). Fusion's report is tested with its fixtures
in test_fusion.py, the bench and demo commands in test_bench.py and test_demo.py."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper
from test_graph_tooling import F, make_case, roi_ops_model, standard_model, vi

import roi_ops
from roi_ops import builders


def cli(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "roi_ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_info():
    r = cli("info")
    assert r.returncode == 0, r.stderr
    for key in ("roi-ops 0.1.0", "library: ", "compiler: ", "cxx_flags: ", "cuda: ", "onnxruntime: 1.",
                "loads in onnxruntime: yes"):
        assert key in r.stdout
    assert "cuda: no (CPU kernels only)" in r.stdout or "libroi_ops_cuda.so for " in r.stdout
    from roi_ops._cpu import picked_isa

    assert f"cpu path at load time: {picked_isa()}" in r.stdout


def test_python_dash_m_roi_ops_is_the_command():
    # Where the venv's scripts folder is not on PATH, `python -m roi_ops` runs the same command.
    r = subprocess.run([sys.executable, "-m", "roi_ops", "--version"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == f"roi-ops {roi_ops.__version__}", r.stderr
    r = subprocess.run([sys.executable, "-m", "roi_ops", "convert", "missing.onnx", "-o", "x.onnx"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and r.stderr.startswith("roi-ops: error: ") and "Traceback" not in r.stderr


def test_info_names_the_code_path_the_resolver_picks():
    from roi_ops._cpu import LEVELS, picked_isa

    v4, v3 = (set(flags) for _, flags in LEVELS)
    assert picked_isa(v4, "x86_64") == "x86-64-v4"
    assert picked_isa(v4 - {"avx512vl"}, "x86_64") == "x86-64-v3"  # one AVX-512 subset missing
    assert picked_isa(v3 - {"fma"}, "x86_64") == "x86-64 (default)"
    assert picked_isa(None, "aarch64").startswith("default")


def test_cli_convert_both_ways_and_check(tmp_path):
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2, sampling_ratio=2)
    src = tmp_path / "standard.onnx"
    onnx.save(standard_model(node, 16), src)
    r = cli("convert", str(src), "-o", str(tmp_path / "ours.onnx"))
    assert r.returncode == 0, r.stderr
    ours = onnx.load(tmp_path / "ours.onnx")
    assert ours.graph.node[0].op_type == "RoIAlign"
    assert "converted 1 node(s)" in r.stdout
    r = cli("convert", str(tmp_path / "ours.onnx"), "--to", "standard", "--in-place")
    assert r.returncode == 0 and onnx.load(tmp_path / "ours.onnx").graph.node[0].op_type == "RoiAlign"
    assert "converted 1 roi_ops node(s) to standard ops" in r.stdout
    r = cli("convert", str(tmp_path / "ours.onnx"), "-o", str(tmp_path / "again.onnx"))
    assert r.returncode == 0  # converting again is fine; a model with nothing to convert says so
    onnx.save(roi_ops_model(builders.make_roi_pool_node("X", "rois", None, "Y"), [vi("X", F, [1, 2, 4, 4]),
                                                                                 vi("rois", F, ["K", 5])]),
              tmp_path / "done.onnx")
    r = cli("convert", str(tmp_path / "done.onnx"), "-o", str(tmp_path / "same.onnx"))
    assert r.returncode == 0 and "nothing to convert" in r.stdout
    model, _, _, feeds = make_case.case(as_inputs=True)
    onnx.save(model, tmp_path / "every.onnx")
    np.savez(tmp_path / "inputs.npz", **feeds)
    for extra in ([], ["--inputs", str(tmp_path / "inputs.npz")]):
        r = cli("check", str(tmp_path / "every.onnx"), *extra)
        assert r.returncode == 0, r.stderr
        last = r.stdout.strip().splitlines()[-1]
        assert last.startswith("largest difference: ") and last.endswith("every output within tolerance")
        assert float(last.split()[2].rstrip(";")) < 1e-4 and "crop_and_resize: shape [3, 18, 4, 5]" in r.stdout


def test_cli_convert_says_it_fused_a_ps_roi_align_form(tmp_path):
    # --to standard writes PSRoIAlign as a RoiAlign of every channel at every bin and three picking
    # nodes; converting back converts the RoiAlign, then fuses the four into one PSRoIAlign, and
    # says both (the node count alone, 14 -> 1, did not say what became of the RoiAlign).
    node = builders.make_ps_roi_align_node("X", "rois", None, "Y", output_height=2, output_width=2, name="ps")
    onnx.save(roi_ops_model(node, [vi("X", F, [1, 8, 6, 6]), vi("rois", F, ["K", 5])]), tmp_path / "ps.onnx")
    r = cli("convert", str(tmp_path / "ps.onnx"), "--to", "standard", "-o", str(tmp_path / "standard.onnx"))
    assert r.returncode == 0, r.stderr
    r = cli("convert", str(tmp_path / "standard.onnx"), "-o", str(tmp_path / "back.onnx"), "-v")
    assert r.returncode == 0, r.stderr
    assert "converted 1 node(s), left 0 pooler(s) unfused, fused 1 PSRoIAlign form(s); nodes 14 -> 1" in r.stdout
    assert re.search(r"\n  converted RoiAlign node '(\w+)'\n  fused RoIAlign node '\1': PSRoIAlign's standard form",
                     r.stdout)
    assert [n.op_type for n in onnx.load(tmp_path / "back.onnx").graph.node] == ["PSRoIAlign"]
    r = cli("convert", str(tmp_path / "standard.onnx"), "-o", str(tmp_path / "kept.onnx"), "--no-fuse")
    assert r.returncode == 0 and "PSRoIAlign form" not in r.stdout and "nodes 14 -> 7" in r.stdout


def test_two_onnxruntime_builds_installed_together_are_named_with_the_fix(tmp_path):
    # pip installs roi-ops' onnxruntime over an onnxruntime-gpu already there (both install the one
    # onnxruntime folder), and CUDA is gone without an error: info says so, and so does a session
    # that asks for a provider this onnxruntime lacks. A second build's metadata stands in for it.
    # A dist-info folder without METADATA (an interrupted install) names no build, and is no
    # second one.
    dist = tmp_path / "gpu" / "onnxruntime_gpu-1.31.1.dist-info"
    broken = tmp_path / "broken" / "onnxruntime_partial-1.0.dist-info"
    for folder in (dist, broken):
        folder.mkdir(parents=True)
        (folder / "top_level.txt").write_text("onnxruntime\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: onnxruntime-gpu\nVersion: 1.31.1\n")
    session = ("import roi_ops, warnings; from roi_ops import builders; from test_graph_tooling import F, "
               "roi_ops_model, vi\n"
               "node = builders.make_roi_pool_node('X', 'rois', None, 'Y')\n"
               "model = roi_ops_model(node, [vi('X', F, [1, 2, 4, 4]), vi('rois', F, ['K', 5])])\n"
               "with warnings.catch_warnings(record=True) as caught:\n"
               "    warnings.simplefilter('always')\n"
               "    roi_ops.make_session(model, providers=[('CoreMLExecutionProvider', {}), 'CPUExecutionProvider'])\n"
               "print('|'.join(str(w.message) for w in caught if 'make_session' in str(w.message)))\n")
    fix = ("To keep onnxruntime-gpu: pip uninstall -y onnxruntime && "
           "pip install --force-reinstall --no-deps onnxruntime-gpu")
    for extra, named in (([], False), ([str(tmp_path / "broken")], False),
                         ([str(tmp_path / "gpu"), str(tmp_path / "broken")], True)):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([*extra, os.path.dirname(__file__),
                                                           os.environ.get("PYTHONPATH", "")]))
        r = subprocess.run([sys.executable, "-m", "roi_ops.cli", "info"], capture_output=True, text=True, env=env,
                           timeout=300)
        assert r.returncode == 0 and r.stdout.rstrip().endswith("loads in onnxruntime: yes"), r.stderr
        assert ("warning: onnxruntime " in r.stdout and " and onnxruntime-gpu 1.31.1 are installed together" in r.stdout
                and fix in r.stdout) == named, r.stdout
        r = subprocess.run([sys.executable, "-c", session], capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        assert (r.stdout.startswith("make_session: this onnxruntime does not offer CoreMLExecutionProvider: ")
                and fix in r.stdout) == named, r.stdout


def test_cli_convert_and_check_models_with_external_data(tmp_path):
    """A model whose weights lie in a data file beside it (as exporters write models past 2 GB):
    converted beside it, the output shares that file; elsewhere, it gets one of its own; either
    way it runs as the source does. A data file that is missing is named, in one line."""
    import onnxruntime as ort

    from roi_ops.check import make_inputs

    weight = np.random.default_rng(0).random((16, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["img", "W"], ["X"], pads=[1, 1, 1, 1]),
             helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=7, output_width=7,
                              sampling_ratio=2)]
    graph = helper.make_graph(nodes, "g", [vi("img", F, [1, 3, 32, 32]), vi("rois", F, ["K", 4]),
                                           vi("bi", T.INT64, ["K"])], [vi("Y", F, None)],
                              [onnx.numpy_helper.from_array(weight, "W")])
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    src = tmp_path / "src" / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=10), src,
              save_as_external_data=True, location="w.bin", size_threshold=0)
    feeds = make_inputs(onnx.load(src))
    expected = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).run(None, feeds)[0]

    r = cli("convert", str(src), "-o", str(tmp_path / "src" / "beside.onnx"))
    assert r.returncode == 0 and r.stdout.strip().endswith("beside.onnx (its external tensors in w.bin)"), r.stderr
    assert sorted(os.listdir(tmp_path / "src")) == ["beside.onnx", "m.onnx", "w.bin"]
    for _ in range(2):  # a second run replaces the data file rather than appending to it
        r = cli("convert", str(src), "-o", str(tmp_path / "dst" / "r.onnx"))
        assert r.returncode == 0 and r.stdout.strip().endswith("(its external tensors in r.onnx.data)"), r.stderr
    assert os.path.getsize(tmp_path / "dst" / "r.onnx.data") == weight.nbytes
    for out in (tmp_path / "src" / "beside.onnx", tmp_path / "dst" / "r.onnx"):
        assert onnx.load(out).graph.node[1].op_type == "RoIAlign"
        np.testing.assert_allclose(roi_ops.make_session(str(out)).run(None, feeds)[0], expected, atol=1e-5)
        r = cli("check", str(out))
        assert r.returncode == 0 and r.stdout.strip().endswith("every output within tolerance"), r.stderr

    os.remove(tmp_path / "src" / "w.bin")
    for args in (["convert", str(src), "-o", str(tmp_path / "dst" / "again.onnx")], ["check", str(src)]):
        r = cli(*args)
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith(f"roi-ops: error: {src}: cannot read its external data") and "w.bin" in r.stderr
    assert not (tmp_path / "dst" / "again.onnx").exists()


def test_cli_convert_names_a_model_that_fails_onnxs_check_itself(tmp_path):
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2)
    model = standard_model(node, 16)
    model.graph.input[0].type.tensor_type.elem_type = T.FLOAT16  # rois stay float32
    onnx.save(model, tmp_path / "mixed.onnx")
    r = cli("convert", str(tmp_path / "mixed.onnx"), "-o", str(tmp_path / "o.onnx"))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"roi-ops: error: {tmp_path / 'mixed.onnx'}: the model fails onnx's check before any "
                               "change: ") and "rois has inconsistent type" in r.stderr


def test_cli_check_of_another_toolchains_model_says_to_convert_it(tmp_path):
    node = helper.make_node("MMCVRoiAlign", ["X", "rois"], ["Y"], domain="mmcv", name="head", output_height=2,
                            output_width=2, spatial_scale=1.0, sampling_ratio=2, pool_mode="avg", aligned=1)
    graph = helper.make_graph([node], "g", [vi("X", F, [1, 4, 16, 16]), vi("rois", F, ["K", 5])],
                              [vi("Y", F, None)])
    src = tmp_path / "mmcv.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16), helper.make_opsetid("mmcv", 1)],
                                ir_version=10), src)
    r = cli("check", str(src))  # was onnxruntime's "mmcv:MMCVRoiAlign(-1) is not a registered function/op"
    assert r.returncode == 1 and r.stderr.strip() == (
        f"roi-ops: error: {src}: 1 node(s) of other toolchains (MMCVRoiAlign node 'head', domain 'mmcv'), which "
        f"check does not run; convert the model first: roi-ops convert {src} -o OUT.onnx")
    assert cli("convert", str(src), "-o", str(tmp_path / "ours.onnx")).returncode == 0
    r = cli("check", str(tmp_path / "ours.onnx"))
    assert r.returncode == 0 and r.stdout.strip().endswith("every output within tolerance"), r.stderr


HERE = os.path.dirname(__file__)
DETECTOR = os.path.join(HERE, "..", "models", "faster_rcnn_detector.onnx")
MISSING = os.path.abspath(os.path.join(HERE, "no-such-folder"))


@pytest.mark.parametrize("args,needle", [
    (["check", "no_such.onnx"], "no_such.onnx: no such file"),
    (["convert", "no_such.onnx", "-o", "x.onnx"], "no_such.onnx: no such file"),
    (["convert", __file__, "-o", "x.onnx"], "not an ONNX model"),
    (["check", HERE], f"{HERE}: a directory, not a file"),
    (["convert", HERE, "-o", "x.onnx"], f"{HERE}: a directory, not a file"),
    (["check", DETECTOR, "--inputs", HERE], f"{HERE}: a directory, not a file"),
    (["convert", "/dev/null", "-o", "x.onnx"], "/dev/null: not a regular file"),
    (["check", DETECTOR, "--inputs", __file__], f"{__file__}: not an .npz file of inputs by name (np.savez)"),
    (["convert", DETECTOR, "-o", HERE], f"{HERE}: a directory, not a file"),
    (["convert", DETECTOR, "-o", os.path.join(__file__, "x.onnx")], f"{__file__} is a file, not a folder"),
    (["convert", DETECTOR, "-o", os.path.join(MISSING, "x.onnx")], f"x.onnx: folder {MISSING} does not exist"),
    (["bench", "--quick", "--results", HERE], f"{HERE}: a directory, not a file (--results names the Markdown file)"),
    (["bench", "--quick", "--results", os.path.join(MISSING, "R.md")], f"R.md: folder {MISSING} does not exist"),
    (["bench", "--quick", "--output-dir", __file__], f"{__file__}: a file, not a folder (--output-dir names a folder)"),
    (["bench", "--quick", "--output-dir", os.path.join(__file__, "out")], f"{__file__} is a file, not a folder"),
    (["explain", "-o", "figure.jpg"], "roi-ops explain writes a PNG: figure.jpg names a .jpg file"),
    (["explain", "-o", os.path.join(MISSING, "f.png")], f"f.png: folder {MISSING} does not exist"),
    (["explain", "-o", os.path.join(__file__, "f.png")], f"{__file__} is a file, not a folder"),
])
def test_cli_user_mistakes_are_one_line_errors(args, needle):
    r = cli(*args)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and needle in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("content", [b"", bytes([8, 7])], ids=["empty", "ir_version only"])
@pytest.mark.parametrize("command", ["convert", "check"])
def test_cli_a_file_that_parses_to_no_graph_is_not_a_model(tmp_path, content, command):
    # protobuf parses an empty file (or another message's bytes) as a bare ModelProto: convert
    # ended in a ValueError traceback ("the model imports no opset"), check in onnxruntime's words
    src = tmp_path / "m.onnx"
    src.write_bytes(content)
    r = cli(command, str(src), *(["-o", str(tmp_path / "out.onnx")] if command == "convert" else []))
    assert r.returncode == 1 and r.stderr.strip() == f"roi-ops: error: {src}: not an ONNX model (no graph in it)"


@pytest.mark.parametrize("output, needle", [
    (__file__, f"{__file__}: a file, not a folder (-o names a folder)"),
    (os.path.join(__file__, "a", "b"), f"{__file__} is a file, not a folder")])
def test_cli_demo_names_an_output_folder_that_is_a_file(output, needle):
    # was "[Errno 17] File exists"
    r = cli("demo", "--runs", "1", "-o", output)
    if "needs" in r.stderr and "pip install" in r.stderr:
        pytest.skip(f"an extra is not installed: {r.stderr.strip()}")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and needle in r.stderr


@pytest.mark.parametrize("args", [["info"], ["convert", DETECTOR, "-v", "-o", "OUT"]])
def test_cli_stops_quietly_when_its_reader_goes(args, tmp_path):
    # `roi-ops convert ... | head -1` printed "roi-ops: error: [Errno 32] Broken pipe"
    args = [str(tmp_path / "out.onnx") if a == "OUT" else a for a in args]
    p = subprocess.Popen([sys.executable, "-m", "roi_ops.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=300) == 1 and err == ""


# The commands that load the library; OUT and IMAGES stand for paths under the test's tmp_path.
LIBRARY_COMMANDS = [["roi_ops.cli", "info"], ["roi_ops.cli", "check", DETECTOR],
                    ["roi_ops.cli", "demo", "--runs", "1", "-o", "OUT"],
                    ["roi_ops.ray_detect", "IMAGES", "-o", "OUT/d.json"]]


def run_library_command(command, tmp_path, env):
    """One of LIBRARY_COMMANDS (IMAGES: a folder of one file) in a process of its own; skips when
    the command's extra is not installed."""
    (tmp_path / "IMAGES").mkdir()
    (tmp_path / "IMAGES" / "a.png").write_bytes(b"")
    command = [str(tmp_path / a) if a in ("OUT", "IMAGES") else a.replace("OUT/", f"{tmp_path}/") for a in command]
    r = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, env=env, timeout=300)
    if "needs" in r.stderr and "pip install" in r.stderr:
        pytest.skip(f"an extra is not installed: {r.stderr.strip()}")
    return r


@pytest.mark.parametrize("command", LIBRARY_COMMANDS)
def test_cli_names_a_device_setting_it_does_not_take(command, tmp_path):
    # info was a ValueError traceback, check and demo blamed the model, ray_detect failed in its actors
    env = dict(os.environ, ROI_OPS_DEVICE="gpu")
    env.pop("ROI_OPS_LIBRARY", None)  # it overrides the device setting (the sanitized CI run sets it)
    r = run_library_command(command, tmp_path, env)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip() == "roi-ops: error: ROI_OPS_DEVICE='gpu': expected 'cpu' or 'cuda'"


@pytest.mark.parametrize("library, problem", [
    ("junk.so", "file too short"),
    ("pybind11_state", "undefined symbol: RegisterCustomOps"),  # onnxruntime's own: no custom-op library
])
@pytest.mark.parametrize("command", LIBRARY_COMMANDS + [["roi_ops.cli", "bench", "--quick", "-o", "OUT"]])
def test_cli_says_when_onnxruntime_cannot_load_the_library(tmp_path, library, problem, command):
    # info listed such a file as if all were well and exited 0; check and demo blamed the model;
    # ray_detect ended in a traceback from its actors, bench in its own
    if library == "junk.so":
        library = tmp_path / library
        library.write_bytes(b"junk")
    else:
        from onnxruntime.capi import onnxruntime_pybind11_state

        library = onnxruntime_pybind11_state.__file__
    library = os.path.realpath(library)  # as get_library_path() names it
    r = run_library_command(command, tmp_path, dict(os.environ, ROI_OPS_LIBRARY=library))
    assert r.returncode == 1 and r.stderr.startswith(f"roi-ops: error: onnxruntime cannot load the library {library}: ")
    assert problem in r.stderr and r.stderr.count("\n") == 1 and "ONNXRuntimeError" not in r.stderr, r.stderr
    if command[1] == "info":  # what it can say, it says first
        assert f"library: {library}" in r.stdout and "loads in onnxruntime" not in r.stdout


@pytest.mark.parametrize("content, problem", [
    (b"junk", "not an ONNX model (DecodeError)"),
    ("faster_rcnn_fpn.onnx", "not the demo's detector (D1 feeds one input, 'image' [1, 3, 256, 256]; this model "
                             "takes ['image', 'proposals'])"),
])
def test_cli_bench_names_a_detector_file_it_cannot_time_before_its_runs(tmp_path, content, problem):
    import shutil

    models = os.path.dirname(DETECTOR)
    shutil.copy(os.path.join(models, "faster_rcnn_detector.standard.onnx"), tmp_path)
    target = tmp_path / "faster_rcnn_detector.onnx"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        shutil.copy(os.path.join(models, content), target)
    r = cli("bench", "--quick", "--no-progress", "--no-peers", "--no-torchvision", "--models", str(tmp_path),
            "-o", str(tmp_path / "out"))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == f"roi-ops: error: {target}: {problem}"


def test_cli_check_inputs_of_one_array_and_negative_seed(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3, np.float32))  # an array, not arrays by name
    r = cli("check", DETECTOR, "--inputs", str(tmp_path / "one.npy"))
    assert r.returncode == 1 and r.stderr.strip() == f"roi-ops: error: {tmp_path / 'one.npy'}: not an .npz file of " \
        "inputs by name (np.savez)"
    r = cli("check", DETECTOR, "--seed", "-5")
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == "roi-ops check: error: argument --seed: -5: " \
        "must be at least 0"


def test_cli_convert_refusal_and_missing_output(tmp_path):
    node = builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", name="rot")
    model = roi_ops_model(node, [vi("X", F, ["N", 4, "H", "W"]), vi("rois", F, ["K", 5]), vi("bi", T.INT64, ["K"])])
    onnx.save(model, tmp_path / "rot.onnx")
    r = cli("convert", str(tmp_path / "rot.onnx"), "--to", "standard", "-o", str(tmp_path / "o.onnx"))
    assert r.returncode == 1 and "RoIAlignRotated node 'rot'" in r.stderr and "Traceback" not in r.stderr
    r = cli("convert", str(tmp_path / "rot.onnx"))
    assert r.returncode == 1 and "give an output file" in r.stderr
    r = cli("--help")
    assert r.returncode == 0 and "convert" in r.stdout and "check" in r.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux), a file every write to fails")
@pytest.mark.parametrize("command", ["convert", "explain"])
def test_cli_names_the_file_it_cannot_write(tmp_path, command):
    # was "roi-ops: error: [Errno 28] No space left on device": a failed write carries no file name
    if command == "explain":
        pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install '.[test]' installs it)")
        r = cli("explain", "-o", "/dev/full")
    else:
        node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2)
        onnx.save(standard_model(node, 16), tmp_path / "m.onnx")
        r = cli("convert", str(tmp_path / "m.onnx"), "-o", "/dev/full")
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1] == (
        "roi-ops: error: /dev/full: cannot write it: No space left on device"), r.stderr


def test_cli_version_and_in_place_with_output_is_an_error(tmp_path):
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"roi-ops {roi_ops.__version__}"
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], output_height=2, output_width=2)
    onnx.save(standard_model(node, 16), tmp_path / "m.onnx")
    r = cli("convert", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "o.onnx"), "--in-place")
    assert r.returncode == 1 and "not both" in r.stderr and not (tmp_path / "o.onnx").exists()


@pytest.mark.parametrize("given,written", [
    ("explain.png", "explain.png"),
    ("figure", "figure"),  # as given: matplotlib alone would have written figure.png
    (".", "roi_pool_vs_roi_align.png"),  # a directory: the default name inside it
])
def test_cli_explain_writes_a_png(tmp_path, given, written):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install '.[test]' installs it)")
    out = tmp_path / given
    r = cli("explain", "-o", str(out))
    assert r.returncode == 0, r.stderr
    path = tmp_path / written
    assert r.stdout.strip() == f"wrote {os.path.join(str(out), written) if given == '.' else out}"
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(path) > 10_000
    assert sorted(os.listdir(tmp_path)) == [written]
