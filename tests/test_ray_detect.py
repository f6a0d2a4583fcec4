"""Detector inference over a folder of images on Ray Data (``python -m roi_ops.ray_detect``): a
local Ray cluster, two actors each with the library registered and one session, gives every image
the detections the same end-to-end model gives in this process. Ray runs in a subprocess with a
timeout, so a scheduling stall fails the test instead of hanging the suite; a test that starts a
cluster runs ``alone`` (tests/conftest.py), as Ray gives a local node a fixed 30 s to start."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("ray", reason="ray is not installed (pip install '.[test]' or 'roi-ops[ray]')")
pytest.importorskip("onnxruntime_extensions", reason="onnxruntime-extensions is not installed")

from roi_ops import ray_detect, sample_image  # noqa: E402
from roi_ops.extensions import session_options_with_extensions  # noqa: E402


def _images(folder) -> dict[str, np.ndarray]:
    base = sample_image.scene()
    variants = {"scene.png": base, "flipped.png": base[:, ::-1], "upside_down.png": base[::-1],
                "large.png": sample_image.scene(400, 300), "square.png": sample_image.scene(256, 256),
                "crop.png": base[40:200, 30:290]}
    paths = {}
    for name, rgb in variants.items():
        data = sample_image.png_bytes(np.ascontiguousarray(rgb))
        (folder / name).write_bytes(data.tobytes())
        paths[str(folder / name)] = data
    return paths


def _run(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "roi_ops.ray_detect", *args]
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if "Ray did not start a cluster" not in r.stderr:
            return r
    except subprocess.TimeoutExpired:
        pass
    # A Ray scheduling stall, seen once in CI under the sanitizers (600 s, where the same test takes
    # 30 s alone), or a node that missed Ray's 30 s to start, seen once in CI on a busy machine. The
    # cluster's daemons outlive the driver; stop them and try once more: a second failure fails.
    subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True,
                   timeout=120)
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.alone  # a local Ray cluster: its node must start within 30 s
@pytest.mark.parametrize("address", [[], ["--address", "local"]], ids=["no_address", "local"])
def test_ray_data_detections_equal_one_local_session(tmp_path, address):
    # 'local' (Ray's new cluster on this machine) waited forever: it did not get the CPU slot for
    # reading files that a run without an address gets
    images = tmp_path / "images"
    images.mkdir()
    inputs = _images(images)
    out = tmp_path / "detections.json"
    r = _run(str(images), "-o", str(out), "--workers", "2", *address)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"wrote detections of {len(inputs)} images" in r.stdout
    assert "deprecated" not in r.stderr  # Ray 2.51 on warned of map_batches(concurrency=)
    _assert_local_detections(out, inputs)


def _assert_local_detections(out, inputs: dict[str, np.ndarray]) -> None:
    """The detections written to `out` are those one session in this process gives each image."""
    import onnxruntime as ort

    found = {path.split("://")[-1]: np.array(d, np.float32).reshape(-1, 6)
             for path, d in json.loads(out.read_text()).items()}
    assert sorted(found) == sorted(inputs)
    local = ort.InferenceSession(ray_detect.end_to_end_model(), session_options_with_extensions(),
                                 providers=["CPUExecutionProvider"])
    counts = set()
    for path, data in inputs.items():
        got = local.run(None, {"image_bytes": data})[1]
        np.testing.assert_allclose(found[path], got, rtol=1e-5, atol=1e-4)
        counts.add(len(got))
    assert max(counts) > 0  # the images give detections to compare


# A cluster of two Ray nodes on this machine (Ray's own test helper), ray_detect joined to it by
# HOST:PORT, then the nodes its detector actors ran on. ray.util.state would need the dashboard,
# which such a cluster does not start; the GCS's actor table (a private API) has them.
_TWO_NODES = r"""
import json, subprocess, sys
import ray
from ray.cluster_utils import Cluster

cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
try:
    cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    r = subprocess.run([sys.executable, "-m", "roi_ops.ray_detect", *sys.argv[1:], "--address", cluster.address],
                       capture_output=True, text=True, timeout=300)
    ray.init(address=cluster.address)
    placed = {a["Address"]["NodeID"] for a in ray._private.state.actors().values()
              if "Detector" in a["ActorClassName"]}
    print(json.dumps({"returncode": r.returncode, "stdout": r.stdout, "stderr": r.stderr[-3000:],
                      "nodes": len(ray.nodes()), "actor_nodes": len(placed)}))
finally:
    ray.shutdown()
    cluster.shutdown()
"""


@pytest.mark.alone  # two Ray nodes on this machine
def test_a_cluster_of_two_nodes_joined_by_address_runs_an_actor_on_each(tmp_path):
    """What the README's many-machine use rests on: joined by its address, a cluster's nodes each
    run a detector actor, and the detections are those of one local session."""
    images = tmp_path / "images"
    images.mkdir()
    inputs = _images(images)
    out = tmp_path / "detections.json"
    command = [sys.executable, "-c", _TWO_NODES, str(images), "-o", str(out), "--workers", "2"]
    r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:  # a node that missed Ray's 30 s to start, or a stall (as _run): once more
        r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    run = json.loads(r.stdout.strip().splitlines()[-1])
    assert run["returncode"] == 0 and f"wrote detections of {len(inputs)} images" in run["stdout"], run["stderr"]
    assert run["nodes"] == 2 and run["actor_nodes"] == 2, run
    _assert_local_detections(out, inputs)


@pytest.mark.alone  # a local Ray cluster: its node must start within 30 s
def test_files_that_are_not_images_are_named_in_one_line_and_the_rest_written(tmp_path):
    # A text file and a truncated JPEG: onnxruntime-extensions' decoder would end the actor on the
    # first and loop forever on the second, and Ray would restart the actor for ever
    # (pipeline.decode_problem); both are named, the image's detections written.
    import io

    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    (images / "scene.png").write_bytes(sample_image.png_bytes(sample_image.scene()).tobytes())
    (images / "notes.txt").write_text("notes, not an image")
    jpeg = io.BytesIO()
    Image.fromarray(sample_image.scene()).save(jpeg, "JPEG")
    (images / "cut.jpg").write_bytes(jpeg.getvalue()[:jpeg.tell() // 2])
    out = tmp_path / "detections.json"
    r = _run(str(images), "-o", str(out), "--workers", "1")
    assert r.returncode == 1, r.stderr[-3000:]
    assert "wrote detections of 1 images" in r.stdout
    errors = [line for line in r.stderr.splitlines() if line.startswith("roi-ops: error:")]
    assert len(errors) == 1 and "2 of 3 files are not images the detector reads" in errors[0], r.stderr
    assert "cut.jpg (a damaged JPEG (image file is truncated" in errors[0]
    assert "notes.txt (not a PNG or JPEG file)" in errors[0]
    assert "Traceback" not in r.stderr
    assert [path.endswith("scene.png") for path in json.loads(out.read_text())] == [True]


@pytest.mark.parametrize("case, expected", [
    ("missing", "missing: no such folder"),
    ("empty", "empty: no files in it"),
    ("output_is_a_directory", "a directory, not a file"),
    ("output_folder_missing", "does not exist"),
])
def test_paths_are_refused_in_one_line_before_ray_starts(tmp_path, case, expected):
    (tmp_path / "empty").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"")
    images, out = str(tmp_path / "images"), str(tmp_path / "out.json")
    if case in ("missing", "empty"):
        images = str(tmp_path / case)
    elif case == "output_is_a_directory":
        out = str(tmp_path)
    else:
        out = str(tmp_path / "no" / "out.json")
    r = subprocess.run([sys.executable, "-m", "roi_ops.ray_detect", images, "-o", out], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.startswith("roi-ops: error:") and expected in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1  # nothing of Ray's: it never started


@pytest.mark.parametrize("flag", ["--workers", "--threads"])
def test_counts_below_one_are_usage_errors(tmp_path, flag):
    r = subprocess.run([sys.executable, "-m", "roi_ops.ray_detect", str(tmp_path), flag, "0"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and f"argument {flag}: 0: must be at least 1" in r.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free again once closed: nothing listens on it


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1:{port}", "no Ray cluster answers there ([Errno 111] Connection refused)"),
    ("ray://127.0.0.1:{port}", "no Ray cluster answers there"),
    ("localhost", "not 'auto', 'local' or HOST:PORT"),
])
def test_an_address_no_cluster_answers_on_is_refused_in_one_line(tmp_path, address, expected):
    # Ray itself would retry it for about 14 minutes, then raise with a traceback
    (tmp_path / "a.png").write_bytes(sample_image.png_bytes(sample_image.scene()).tobytes())
    address = address.format(port=_closed_port())
    r = subprocess.run([sys.executable, "-m", "roi_ops.ray_detect", str(tmp_path), "-o", str(tmp_path / "d.json"),
                        "--address", address], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.startswith(f"roi-ops: error: --address {address}: {expected}"), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_local_node_that_does_not_start_in_time_is_one_line(tmp_path, monkeypatch, capsys):
    # What Ray 2.60 raises when its raylet misses the fixed 30 s to register (seen in CI, on a
    # machine busy with a build): a bare Exception, which was a traceback.
    import ray

    def init(**kwargs):
        raise Exception("The current node timed out during startup. This could happen because some of the "
                        "raylet failed to startup or the GCS has become overloaded.")

    monkeypatch.setattr(ray, "init", init)
    (tmp_path / "a.png").write_bytes(sample_image.png_bytes(sample_image.scene()).tobytes())
    assert ray_detect.main([str(tmp_path), "-o", str(tmp_path / "d.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("roi-ops: error: Ray did not start a cluster: The current node timed out during startup")
    assert len(err.strip().splitlines()) == 1


def test_detections_it_cannot_write_name_the_file(tmp_path, monkeypatch, capsys):
    # a full disk: the OSError of a failed write carries no file name
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full (Linux), a file every write to fails")
    (tmp_path / "a.png").write_bytes(sample_image.png_bytes(sample_image.scene()).tobytes())
    monkeypatch.setattr(ray_detect, "detect_folder", lambda *a, **k: ({str(tmp_path / "a.png"): np.zeros((0, 6))}, {}))
    assert ray_detect.main([str(tmp_path), "-o", "/dev/full"]) == 1
    assert capsys.readouterr().err == "roi-ops: error: /dev/full: cannot write it: No space left on device\n"


@pytest.mark.alone  # a Ray cluster started with `ray start`
def test_a_cluster_with_a_token_is_joined_by_address_in_token_mode_and_named_otherwise(tmp_path):
    # A head that finds ~/.ray/auth_token refuses a driver by HOST:PORT that is not in token mode
    # (Ray 2.60: InvalidAuthToken, then "Failed to connect ... a previous Ray instance that has
    # since crashed"); roi_ops names the token, and in token mode the same address is joined.
    import secrets

    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text(secrets.token_hex(32))
    env = {**os.environ, "HOME": str(home)}
    env.pop("RAY_AUTH_MODE", None)
    port = _closed_port()
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    subprocess.run([*ray_cli, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false"],
                   env=env, capture_output=True, check=True, timeout=300)
    try:
        (tmp_path / "images").mkdir()
        (tmp_path / "images" / "a.png").write_bytes(sample_image.png_bytes(sample_image.scene()).tobytes())
        command = [sys.executable, "-m", "roi_ops.ray_detect", str(tmp_path / "images"), "-o",
                   str(tmp_path / "d.json"), "--workers", "1", "--address", f"127.0.0.1:{port}"]
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        errors = [line for line in refused.stderr.splitlines() if line.startswith("roi-ops: error:")]
        assert refused.returncode == 1 and len(errors) == 1 and "set RAY_AUTH_MODE=token" in errors[0], refused.stderr
        assert "Traceback" not in refused.stderr
        joined = subprocess.run(command, env={**env, "RAY_AUTH_MODE": "token"}, capture_output=True, text=True,
                                timeout=300)
        assert joined.returncode == 0 and "wrote detections of 1 images" in joined.stdout, joined.stderr[-3000:]
    finally:
        subprocess.run([*ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)
