"""Detector inference over a folder of images on Ray Data (``python -m roi_ops.ray_detect``): a
local Ray cluster, two actors each with the library registered and one session, gives every image
the detections the same end-to-end model gives in this process. Ray runs in a subprocess with a
timeout, so a scheduling stall fails the test instead of hanging the suite."""
from __future__ import annotations

import json
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


def test_ray_data_detections_equal_one_local_session(tmp_path):
    import onnxruntime as ort

    images = tmp_path / "images"
    images.mkdir()
    inputs = _images(images)
    out = tmp_path / "detections.json"
    command = [sys.executable, "-m", "roi_ops.ray_detect", str(images), "-o", str(out), "--workers", "2"]
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        # A Ray scheduling stall: seen once in CI under the sanitizers (600 s, where the same test
        # takes 30 s alone). The stalled cluster's daemons outlive the driver; stop them and try
        # once more: a second stall fails.
        subprocess.run([sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True,
                       timeout=120)
        r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"wrote detections of {len(inputs)} images" in r.stdout
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
