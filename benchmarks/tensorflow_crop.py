"""CropAndResize against TensorFlow's `tf.image.crop_and_resize` on the bench's C1 and W6 crops.

TensorFlow's thread count can be set only once per process, so this runs one thread count per
call, outside `roi-ops bench`:

  python benchmarks/tensorflow_crop.py --threads 1

Both take the same map (TensorFlow in its own NHWC layout, transposed once before timing), boxes
and box indices, and alternate in one process; it prints each median, the paired ratio and the
largest difference between the two outputs. Needs tensorflow-cpu (not a dependency of roi-ops).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import onnxruntime as ort

import roi_ops
from roi_ops.bench import cases


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--quick", action="store_true", help="the shrunken inputs of `roi-ops bench --quick`")
    args = p.parse_args(argv)
    try:
        import tensorflow as tf
    except ImportError:
        sys.exit("tensorflow_crop.py: tensorflow is not installed (pip install tensorflow-cpu)")
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    crops = [c for c in [*cases.op_set_cases(args.quick), *cases.op_set_cases(args.quick, few=True)]
             if c.op == "CropAndResize"]
    for case in crops:
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.register_custom_ops_library(roi_ops.get_library_path(cuda=False))
        session = ort.InferenceSession(case.model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        feeds = case.feeds
        attrs = {a.name: a for a in case.model.graph.node[0].attribute}
        size = [attrs["crop_height"].i, attrs["crop_width"].i]
        image = tf.constant(feeds["X"].transpose(0, 2, 3, 1))
        boxes, index = tf.constant(feeds["boxes"]), tf.constant(feeds["bi"].astype(np.int32))

        def ours():
            return session.run(None, feeds)[0]

        def theirs():
            return tf.image.crop_and_resize(image, boxes, index, size, method="bilinear").numpy()

        diff = float(np.max(np.abs(ours().astype(np.float64) - theirs().transpose(0, 3, 1, 2)), initial=0.0))
        t_ours, t_tf = [], []
        end = time.perf_counter() + args.seconds
        while time.perf_counter() < end or len(t_ours) < 5:
            for fn, times in ((ours, t_ours), (theirs, t_tf)):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
        ratio = float(np.median(np.array(t_tf) / np.array(t_ours)))
        print(f"{case.workload} CropAndResize, {args.threads} thread(s): roi_ops {np.median(t_ours) * 1e3:.2f} ms, "
              f"tf.image.crop_and_resize {np.median(t_tf) * 1e3:.2f} ms ({tf.__version__}), roi_ops {ratio:.2f}x "
              f"faster (paired median), max abs diff {diff:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
