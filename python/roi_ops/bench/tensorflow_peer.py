"""TensorFlow's `tf.image.crop_and_resize` as a peer of CropAndResize (bench rows O5, O6).

TensorFlow's thread pool is sized once per process, so each (case, thread count) runs in a child
process, `python -m roi_ops.bench.tensorflow_peer DIR --threads N ...`, given the roi_ops model
and its feeds in DIR. The child times roi_ops and TensorFlow in alternation on the same inputs
(TensorFlow's map transposed to NHWC once, before timing) and prints their medians and the
largest difference between the outputs as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

from .._timing import median_ms_interleaved
from .cases import Case
from .run import MIN_SECONDS, PeerFailed, session as roi_session


def version() -> str | None:
    """The installed TensorFlow's version, without importing it (None: not installed)."""
    from importlib import metadata

    for dist in ("tensorflow-cpu", "tensorflow"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def time_in_child(case: Case, threads: int, warmup: int, repeat: int,
                  min_seconds: float = MIN_SECONDS) -> tuple[float, float, float]:
    """(roi_ops ms, TensorFlow ms, largest absolute difference) for a CropAndResize case."""
    with tempfile.TemporaryDirectory() as d:
        onnx.save(case.model, os.path.join(d, "model.onnx"))
        np.savez(os.path.join(d, "feeds.npz"), **case.feeds)
        run = subprocess.run([sys.executable, "-m", __name__, d, "--threads", str(threads), "--warmup", str(warmup),
                              "--repeat", str(repeat), "--min-seconds", str(min_seconds)],
                             capture_output=True, text=True)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise PeerFailed(f"TensorFlow failed to run ({last})")
    out = json.loads(run.stdout.strip().splitlines()[-1])
    return out["ours_ms"], out["tf_ms"], out["max_diff"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="holds model.onnx (one CropAndResize node) and feeds.npz")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--min-seconds", type=float, default=MIN_SECONDS)
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up banner is not news here
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    model = onnx.load(os.path.join(args.folder, "model.onnx"))
    feeds = dict(np.load(os.path.join(args.folder, "feeds.npz")))
    node = model.graph.node[0]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    size = [attrs["crop_height"], attrs["crop_width"]]
    x, boxes, index = (feeds[name] for name in node.input)
    image = tf.constant(x.transpose(0, 2, 3, 1))
    boxes, index = tf.constant(boxes), tf.constant(index.astype(np.int32))
    # Our pool's threads do not spin between calls, as in every pair of runtimes the bench times
    # in turns (run.py, time_case): a spinning pool thread can take a vCPU from the other's turn.
    # Against TensorFlow no effect was shown (O5 at 2 threads, TensorFlow / roi_ops over ten child
    # runs each way: median 3.9x both; roi_ops 14-20 ms either way).
    session = roi_session(model, args.threads, True, spinning=False)

    def ours():
        return session.run(None, feeds)[0]

    def theirs():
        return tf.image.crop_and_resize(image, boxes, index, size, method="bilinear").numpy()

    diff = float(np.max(np.abs(ours().astype(np.float64) - theirs().transpose(0, 3, 1, 2)), initial=0.0))
    ours_ms, tf_ms = median_ms_interleaved(ours, theirs, args.warmup, args.repeat, min_seconds=args.min_seconds)
    print(json.dumps({"ours_ms": ours_ms, "tf_ms": tf_ms, "max_diff": diff}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
