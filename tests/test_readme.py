"""The README's code blocks run as written: its Python blocks in order, in one namespace (they
build on each other: the model saved in one is converted and checked in the next), then its
command-line block line by line in the same folder, each command exiting 0. Blocks that cannot
run inside the suite are listed below with the reason and where they are exercised instead; a
new block that is neither run nor listed fails the test."""
from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
# First line of each block not run here -> why, and what runs it instead.
NOT_RUN = {
    "bash scripts/demo.sh": "the two fresh-machine commands: CI runs scripts/test.sh itself (this suite)",
    "pip install .": "installs the package: scripts/setup.sh does, before this suite runs",
    "pip install . onnxruntime-gpu": "swaps onnxruntime for its GPU build (a 300 MB download): test_cli.py's "
                                     "test_two_onnxruntime_builds_installed_together_are_named_with_the_fix checks "
                                     "the warning that gives this fix",
    "ONNXRUNTIME_INCLUDE_DIR=/opt/onnxruntime/include pip install .": "a build against local headers: "
                                                                       "tests/test_cuda_build.py builds with given headers",
    "Ort::Env env;": "C++: tests/test_cpp_host.py builds and runs a C++ host that loads the library this way",
    'name: "detector"': "Triton's config.pbtxt: tests/test_readme.py::test_triton_config_parses parses it",
    "python -m roi_ops.ray_detect /shared/images -o detections.json --workers 16 --address auto":
        "needs a multi-node Ray cluster: tests/test_ray_detect.py runs roi_ops.ray_detect on a local one",
}


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", README.read_text(), re.S | re.M)]


def test_every_block_is_run_or_listed_with_a_reason():
    for lang, text in blocks():
        first = text.strip().splitlines()[0].split("  #")[0].strip()
        runs = lang == "python" or (lang == "sh" and first.startswith("roi-ops "))
        assert runs or first in NOT_RUN, f"README block starting {first!r} is neither run by this test nor listed"


def test_python_and_command_line_blocks_run_as_written(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed (pip install '.[test]')")
    pytest.importorskip("onnxscript", reason="onnxscript is not installed (the dynamo exporter needs it)")
    from exporters import torchvision_or_skip

    torchvision_or_skip()
    python = [text for lang, text in blocks() if lang == "python"]
    # torchvision's compiled ops do not load with every torch build; the README says so and names
    # the helper that makes `import torchvision` work there. The blocks themselves run unchanged.
    prelude = "from roi_ops.torch.torchvision_ops import import_torchvision\nimport_torchvision()\n"
    script = tmp_path / "readme_blocks.py"
    script.write_text(prelude + "\n".join(python))
    r = subprocess.run([sys.executable, "-W", "ignore", str(script)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "frcnn.onnx").exists() and (tmp_path / "roi_align.onnx").exists()
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for lang, text in blocks():
        if lang != "sh" or not text.startswith("roi-ops "):
            continue
        for line in text.splitlines():
            command = line.split("#", 1)[0].strip()
            if not command:
                continue
            r = subprocess.run(shlex.split(command), cwd=tmp_path, capture_output=True, text=True, env=env,
                               timeout=1200)
            assert r.returncode == 0, f"{command}: {r.stderr[-2000:]}"
            assert "Traceback" not in r.stderr, command


def test_triton_config_parses():
    """The README's config.pbtxt against Triton's own model-config schema (tritonclient's
    model_config.proto): a misspelt field or a wrong type fails to parse."""
    model_config = pytest.importorskip("tritonclient.grpc.model_config_pb2",
                                       reason="tritonclient is not installed (pip install '.[test]')")
    from google.protobuf import text_format

    (text,) = [t for _, t in blocks() if t.startswith('name: "detector"')]
    config = text_format.Parse(text, model_config.ModelConfig())
    assert config.backend == "onnxruntime"
    assert list(config.model_operations.op_library_filename) == ["/models/lib/libroi_ops.so"]
    with pytest.raises(text_format.ParseError):
        text_format.Parse(text.replace("op_library_filename", "op_library_file"), model_config.ModelConfig())
