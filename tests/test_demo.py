"""The detection pipeline (onnxruntime-extensions pre/post-processing around the detector) and the
demo: pre-processing checked on known pixels, NMS and box scaling against a NumPy NMS on the
detector's own outputs, drawing checked to touch only box edges, plugin vs standard-op model."""
from __future__ import annotations

import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

pytest.importorskip("onnxruntime_extensions", reason="onnxruntime-extensions is not installed (the test extras)")
pytest.importorskip("PIL", reason="Pillow is not installed (the demo extras)")

import roi_ops  # noqa: E402
from roi_ops import demo, pipeline, sample_image  # noqa: E402
from roi_ops.extensions import session_options_with_extensions  # noqa: E402

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
DETECTOR = os.path.join(MODELS_DIR, "faster_rcnn_detector.onnx")
SIZE = 256


@pytest.fixture(scope="module")
def run_pipeline():
    detector = onnx.load(DETECTOR)
    model = pipeline.add_pre_post_processing(detector)
    e2e = ort.InferenceSession(model.SerializeToString(), session_options_with_extensions(),
                               providers=["CPUExecutionProvider"])
    core = roi_ops.make_session(detector)
    image = sample_image.scene()
    png, detections, pixels = e2e.run(None, {"image_bytes": sample_image.png_bytes(image)})
    boxes, scores = core.run(None, {"image": pixels})
    return dict(image=image, png=png, detections=detections, pixels=pixels, boxes=boxes, scores=scores)


def letterbox_geometry(h, w):
    """Resize (aspect kept, longer side to SIZE) then centre padding: scale and (x, y) offset."""
    scale = SIZE / max(h, w)
    return scale, ((SIZE - round(w * scale)) // 2, (SIZE - round(h * scale)) // 2)


def test_sample_image_round_trips_through_png():
    image = sample_image.scene()
    assert image.shape == (sample_image.HEIGHT, sample_image.WIDTH, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(sample_image.decode_png(sample_image.png_bytes(image)), image)


def test_preprocessing_gives_rgb_in_unit_range_letterboxed(run_pipeline):
    pixels, image = run_pipeline["pixels"], run_pipeline["image"]
    assert pixels.shape == (1, 3, SIZE, SIZE) and pixels.dtype == np.float32
    scale, (ox, oy) = letterbox_geometry(*image.shape[:2])
    assert oy == 32 and ox == 0
    np.testing.assert_array_equal(pixels[0, :, :oy], 0)  # padding above and below the image
    np.testing.assert_array_equal(pixels[0, :, SIZE - oy:], 0)
    # Inside a flat-coloured object the resized image keeps its colour, in RGB order.
    for x, y in [(70, 80), (200, 70), (250, 170)]:
        want = image[y, x] / 255.0
        got = pixels[0, :, round(y * scale) + oy, round(x * scale) + ox]
        np.testing.assert_allclose(got, want, atol=1.5 / 255)


def numpy_nms(boxes, scores, iou_threshold=0.5, max_detections=10):
    """ONNX NonMaxSuppression per class (center_point_box=1, score > 0), then the best
    max_detections overall: rows (cx, cy, w, h, score, class)."""
    x1y1 = boxes[:, :2] - boxes[:, 2:] / 2
    x2y2 = boxes[:, :2] + boxes[:, 2:] / 2
    area = boxes[:, 2] * boxes[:, 3]
    rows = []
    for c in range(scores.shape[1]):
        keep = []
        for i in np.argsort(-scores[:, c], kind="stable"):
            if scores[i, c] <= 0:
                break
            if keep:
                k = np.array(keep)
                wh = np.clip(np.minimum(x2y2[k], x2y2[i]) - np.maximum(x1y1[k], x1y1[i]), 0, None)
                inter = wh[:, 0] * wh[:, 1]
                if np.any(inter / (area[k] + area[i] - inter) > iou_threshold):
                    continue
            keep.append(i)
            if len(keep) == 100:
                break
        rows += [[*boxes[i], scores[i, c], c] for i in keep]
    rows = np.array(rows, np.float64)
    return rows[np.argsort(-rows[:, 4], kind="stable")[:max_detections]]


def test_nms_and_box_scaling_match_numpy(run_pipeline):
    got = run_pipeline["detections"].astype(np.float64)
    want = numpy_nms(run_pipeline["boxes"].astype(np.float64), run_pipeline["scores"].astype(np.float64))
    scale, (ox, oy) = letterbox_geometry(*run_pipeline["image"].shape[:2])
    want[:, :4] = (want[:, :4] - [ox, oy, 0, 0]) / scale  # back to the original image's pixels
    assert got.shape == want.shape == (10, 6)
    got = got[np.lexsort((got[:, 0], -got[:, 4]))]
    want = want[np.lexsort((want[:, 0], -want[:, 4]))]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)


def test_drawing_touches_only_box_edges(run_pipeline):
    drawn = sample_image.decode_png(run_pipeline["png"])
    image = run_pipeline["image"]
    assert drawn.shape == image.shape
    changed = np.argwhere(np.any(drawn != image, axis=-1))  # (y, x)
    assert len(changed) > 1000
    near_edge = np.zeros(len(changed), bool)
    height, width = image.shape[:2]
    for cx, cy, w, h, _, _ in run_pipeline["detections"]:
        # The drawing clips boxes that leave the image to its border.
        x1, x2 = np.clip([cx - w / 2, cx + w / 2], 0, width - 1)
        y1, y2 = np.clip([cy - h / 2, cy + h / 2], 0, height - 1)
        y, x = changed[:, 0], changed[:, 1]
        inside = (x >= x1 - 3) & (x <= x2 + 3) & (y >= y1 - 3) & (y <= y2 + 3)
        on_edge = (np.minimum(abs(x - x1), abs(x - x2)) <= 3) | (np.minimum(abs(y - y1), abs(y - y2)) <= 3)
        near_edge |= inside & on_edge
    assert near_edge.all(), f"{(~near_edge).sum()} changed pixels are not on a box edge"


def test_wrapped_model_imports_roi_ops_through_the_extensions_checker_context():
    # pipeline.admit_roi_ops reaches into onnxruntime-extensions' private checker context; this
    # fails first, and says so, if a new release moves it.
    model = pipeline.add_pre_post_processing(onnx.load(DETECTOR))
    imports = {o.domain: o.version for o in model.opset_import}
    assert imports.get(roi_ops.DOMAIN) == roi_ops.OPSET_VERSION
    assert any(n.domain == roi_ops.DOMAIN for n in model.graph.node)

    class Moved:  # a PrePostProcessor without the private attribute
        pass
    with pytest.raises(RuntimeError, match="_custom_op_checker_context"):
        pipeline.admit_roi_ops(Moved())


def _jpeg(image: np.ndarray) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_decode_problem_passes_what_the_decoder_reads_and_names_the_rest(run_pipeline):
    # The inputs it refuses are the ones onnxruntime-extensions' decoder ends the process on
    # (not a JPEG, a damaged JPEG) or hangs on (a truncated JPEG), so they are never run here.
    image = run_pipeline["image"]
    png, jpeg = sample_image.png_bytes(image).tobytes(), _jpeg(image)
    damaged = bytearray(jpeg)
    damaged[200:260] = b"x" * 60  # over the Huffman tables
    e2e = ort.InferenceSession(pipeline.add_pre_post_processing(onnx.load(DETECTOR)).SerializeToString(),
                               session_options_with_extensions(), providers=["CPUExecutionProvider"])
    for data in (png, jpeg):
        assert pipeline.decode_problem(data) == ""
        pixels = e2e.run(None, {"image_bytes": np.frombuffer(data, np.uint8)})[2]
        assert np.abs(pixels - run_pipeline["pixels"]).mean() < 0.01  # the same image, up to JPEG's loss
    truncated_png = png[:len(png) // 2]
    assert pipeline.decode_problem(truncated_png) == ""  # libpng's errors come back as errors
    with pytest.raises(Exception, match="ImageDecoder"):
        e2e.run(None, {"image_bytes": np.frombuffer(truncated_png, np.uint8)})
    assert pipeline.decode_problem(b"GIF89a" + bytes(20)) == "not a PNG or JPEG file"
    assert pipeline.decode_problem(b"some notes, not an image") == "not a PNG or JPEG file"
    assert pipeline.decode_problem(jpeg[:len(jpeg) // 2]).startswith("a damaged JPEG (image file is truncated")
    assert pipeline.decode_problem(bytes(damaged)).startswith("a damaged JPEG (")


def test_pipeline_refuses_a_detector_of_another_form():
    model = onnx.load(os.path.join(MODELS_DIR, "faster_rcnn_fpn.onnx"))  # takes proposals as well
    with pytest.raises(ValueError, match="one input"):
        pipeline.add_pre_post_processing(model)


def test_demo_writes_images_and_compares_plugin_with_standard_model(tmp_path, capsys):
    result = demo.run(MODELS_DIR, str(tmp_path), runs=2)
    out = capsys.readouterr().out
    assert "| plugin (faster_rcnn_detector.onnx) |" in out and "| standard (" in out
    assert result["diffs"]["scores"] < 1e-5 and result["diffs"]["boxes"] < 1e-3
    assert result["diffs"]["detections"] < 1e-3  # same detections after NMS
    for name in ("input.png", "detections.png"):
        assert sample_image.decode_png((tmp_path / name).read_bytes()).shape == (240, 320, 3)


@pytest.mark.parametrize("name", ["input.png", "detections.png"])
def test_demo_names_the_image_it_cannot_write(tmp_path, monkeypatch, capsys, name):
    # a full disk: the OSError of a failed write carries no file name
    import builtins
    import errno

    from roi_ops.cli import main

    def full_disk_open(path, *args, **kwargs):
        if os.path.basename(path) == name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(demo, "open", full_disk_open, raising=False)  # the module's writes, not onnx's reads
    assert main(["demo", "-o", str(tmp_path), "--runs", "1"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]  # after the timing's progress bar, for detections.png
    assert err == f"roi-ops: error: {tmp_path / name}: cannot write it: No space left on device", err


def test_demo_without_models_is_a_one_line_error(tmp_path, capsys):
    from roi_ops.cli import main

    assert main(["demo", "--models", str(tmp_path), "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("roi-ops: error:") and "faster_rcnn_detector.onnx not found" in err


def _detector_with_output_height(height: int) -> bytes:
    """The demo's plugin detector with its MultiScaleRoIAlign's output_height set to `height`."""
    model = onnx.load(os.path.join(MODELS_DIR, "faster_rcnn_detector.onnx"))
    node = next(n for n in model.graph.node if n.op_type == "MultiScaleRoIAlign")
    next(a for a in node.attribute if a.name == "output_height").i = height
    return model.SerializeToString()


@pytest.mark.parametrize("plugin,problem", [
    pytest.param(b"junk", "not an ONNX model (DecodeError)", id="junk"),
    pytest.param("faster_rcnn_fpn.onnx", ": the detector must have one input", id="two-inputs"),  # proposals too
    # refused by the library when onnxruntime creates the session: said once, without
    # onnxruntime's status code or its own log line of the same error
    pytest.param(_detector_with_output_height(-3), ": Exception during initialization: MultiScaleRoIAlign: "
                 "attribute 'output_height' must be in [1, 65536]; got -3", id="bad-attribute"),
])
def test_demo_with_a_model_it_cannot_run_is_a_one_line_error_naming_it(tmp_path, capfd, plugin, problem):
    import shutil

    from roi_ops.cli import main

    models = tmp_path / "models"
    models.mkdir()
    target = models / "faster_rcnn_detector.onnx"
    if isinstance(plugin, bytes):
        target.write_bytes(plugin)
    else:
        shutil.copy(os.path.join(MODELS_DIR, plugin), target)
    shutil.copy(os.path.join(MODELS_DIR, "faster_rcnn_detector.standard.onnx"), models)
    assert main(["demo", "--models", str(models), "-o", str(tmp_path / "out")]) == 1
    err = capfd.readouterr().err  # capfd: onnxruntime logs to the process's stderr, not sys.stderr
    assert err.startswith(f"roi-ops: error: {target}: ") and problem in err and err.count("\n") == 1, err
    assert "ONNXRuntimeError" not in err
    assert not (tmp_path / "out").exists()  # refused before it writes anything


@pytest.mark.parametrize("args,problem", [(["--runs", "0"], "0: must be at least 1"),
                                          (["--threads", "-1"], "-1: must be at least 1"),
                                          (["--runs", "x"], "'x': not an integer")])
def test_demo_counts_below_one_are_usage_errors(args, problem, capsys):
    from roi_ops.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["demo", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"roi-ops demo: error: argument {args[0]}: {problem}"


def test_demo_module_entry_point_is_the_command(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "roi_ops.demo", "--models", str(tmp_path), "-o", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("roi-ops: error:") and r.stderr.count("\n") == 1
