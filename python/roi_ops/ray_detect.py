"""Detector inference over a folder of images on Ray Data: the demo's end-to-end model (encoded
image bytes → onnxruntime-extensions pre-processing → detector with roi_ops → NMS → detections)
runs in a pool of Ray actors; each actor registers the roi_ops library and onnxruntime-extensions'
once and keeps one session, and Ray Data spreads the files over them.

One machine: Ray starts a local cluster. Many machines: install roi-ops[ray] on every node, start
Ray there (``ray start --head`` on one, ``ray start --address=HEAD_IP:6379`` on the others), put
the images where every node can read them (a shared file system, or an ``s3://`` / ``gs://`` path,
which Ray Data reads directly), and run on any node with ``--address auto``; the actors then spread
over the nodes' CPUs::

    python -m roi_ops.ray_detect IMAGES -o detections.json --workers 8 --address auto

Needs the ``ray`` extra: ``pip install 'roi-ops[ray]'``.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys

import numpy as np

from ._files import FileProblem, new_file, writing
from ._library import QUIET_LOGS, SettingError, loadable_library_path, run_error
from .pipeline import decode_problem


class Detector:
    """A Ray Data actor: one onnxruntime session of the end-to-end model, the roi_ops and
    onnxruntime-extensions libraries registered in it."""

    def __init__(self, model: bytes, threads: int = 1):
        import onnxruntime as ort

        from .extensions import session_options_with_extensions

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = QUIET_LOGS
        self.session = ort.InferenceSession(model, session_options_with_extensions(options, with_roi_ops=True),
                                            providers=["CPUExecutionProvider"])

    def __call__(self, batch: dict) -> dict:
        detections, errors = [], []
        for data in batch["bytes"]:
            # A file the pre-processing cannot decode is reported by name, not raised: Ray would
            # abort the whole dataset and hand the driver only its traceback's text. Checked
            # first, as the decoder can end or hang this actor on some files (decode_problem).
            found, error = np.zeros((0, 6), np.float32), decode_problem(data)
            if not error:
                try:
                    _, found, _ = self.session.run(None, {"image_bytes": np.frombuffer(data, np.uint8)})
                except Exception as e:  # noqa: BLE001 - onnxruntime's error, in one line
                    error = run_error(e)
            detections.append(json.dumps(found.astype(float).tolist()))  # [n, 6]: cx, cy, w, h, score, class
            errors.append(error)
        return {"path": batch["path"], "detections": np.array(detections, dtype=object),
                "error": np.array(errors, dtype=object)}


def end_to_end_model(models_dir: str | None = None) -> bytes:
    """The demo detector wrapped in onnxruntime-extensions' pre- and post-processing."""
    import onnx

    from ._library import package_folder
    from .demo import DETECTOR
    from .pipeline import add_pre_post_processing

    folder = models_dir or package_folder("models") or "models"
    return add_pre_post_processing(onnx.load(os.path.join(folder, f"{DETECTOR}.onnx"))).SerializeToString()


def detect_folder(images: str, *, workers: int = 2, threads: int = 1, batch_size: int = 4,
                  address: str | None = None,
                  models_dir: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Detections [n, 6] (cx, cy, w, h in the image's pixels, score, class) of every image in
    ``images``, by path, and the files that are not images the pre-processing decodes, by path
    with the reason. Starts (or joins, with ``address``) a Ray cluster if none is
    running."""
    import ray

    if not ray.is_initialized():
        # A local cluster (no address, or Ray's 'local') gets a CPU slot per actor thread plus one
        # for reading files: Ray Data holds back the reads while the actors take every slot, and
        # would wait forever.
        slots = max(os.cpu_count() or 1, workers * threads + 1)
        _start_ray(address, {"num_cpus": slots} if _starts_a_cluster(address) else {})
    dataset = ray.data.read_binary_files(images, include_paths=True, num_cpus=0.1)
    rows = dataset.map_batches(Detector, fn_constructor_args=(end_to_end_model(models_dir), threads),
                               batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=workers),
                               num_cpus=threads).take_all()
    found = {r["path"]: np.array(json.loads(r["detections"]), np.float32).reshape(-1, 6)
             for r in rows if not r["error"]}
    return found, {r["path"]: r["error"] for r in rows if r["error"]}


# Ray's own names for ray.init's address: "auto" joins the cluster this node belongs to, "local"
# starts a new one here (as no address does).
RAY_ADDRESSES = ("auto", "local")


def _starts_a_cluster(address: str | None) -> bool:
    """Whether ray.init(address) starts a new cluster on this machine rather than joining one."""
    return address in (None, "local")


class ClusterProblem(RuntimeError):
    """Ray neither started a local cluster nor joined the one named."""


def _start_ray(address: str | None, local: dict) -> None:
    """ray.init, with its failures as one-line errors: an ``--address`` host:port that nothing
    answers on is refused at once (Ray 2.60 tries it 20 times, about 41 s each), one that refuses
    this driver names Ray's token authentication, and a local node that misses Ray's fixed 30 s to
    start (a machine busy with other work) is a ClusterProblem."""
    import ray

    if address and address not in RAY_ADDRESSES:
        host, _, port = address.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise ClusterProblem(f"--address {address}: not 'auto', 'local' or HOST:PORT (e.g. 10.0.0.1:6379)")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
        except OSError as e:
            raise ClusterProblem(f"--address {address}: no Ray cluster answers there ({e})") from e
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)
    except ConnectionError as e:
        if address in RAY_ADDRESSES or os.environ.get("RAY_AUTH_MODE") == "token":
            raise  # Ray's own message names the problem ('auto' with no cluster running)
        # The port answered, yet Ray says the cluster crashed: a cluster whose head has a token
        # (~/.ray/auth_token) refuses a driver by HOST:PORT unless it too is in token mode.
        raise ClusterProblem(f"{e}; it answers, so it may want a token: set RAY_AUTH_MODE=token, and "
                             "RAY_AUTH_TOKEN to the head's `ray get-auth-token` where ~/.ray/auth_token is "
                             "not that token") from e
    except Exception as e:  # Ray raises a bare Exception for a node that did not start
        raise ClusterProblem(f"Ray did not {'start' if _starts_a_cluster(address) else 'join'} a cluster: {e}") from e


def _listed(files: list[str]) -> bool:
    """Whether Ray Data's file listing reads any of these names."""
    return any(not name.startswith((".", "_")) for name in files)


def _check_paths(images: str, output: str) -> None:
    """Refuse, before Ray starts, a local images path that is not there and an output that cannot
    be written (a directory, or a file in a folder that does not exist)."""
    if "://" not in images:
        if not os.path.exists(images):
            raise FileNotFoundError(f"{images}: no such folder")
        if os.path.isdir(images) and not any(_listed(files) for _, _, files in os.walk(images)):
            # Ray Data would raise with a traceback
            raise FileNotFoundError(f"{images}: no files in it (names starting with '.' or '_' are skipped)")
    new_file(output, "-o names the JSON file")


def main(argv: list[str] | None = None) -> int:
    from ._args import int_at_least
    from ._extras import missing

    parser = argparse.ArgumentParser(prog="python -m roi_ops.ray_detect", description=__doc__.split("\n\n")[0])
    parser.add_argument("images", help="folder (or Ray Data path, e.g. s3://bucket/images) of PNG/JPEG files")
    parser.add_argument("-o", "--output", default="detections.json", help="JSON file: path -> detections")
    parser.add_argument("--workers", type=int_at_least(1), default=2, help="detector actors (one session each)")
    parser.add_argument("--threads", type=int_at_least(1), default=1, help="onnxruntime intra-op threads per actor")
    parser.add_argument("--address", help="Ray cluster to join ('auto': the one this node belongs to; "
                        "'local' or none: a new one on this machine)")
    args = parser.parse_args(argv)
    absent = missing("ray", "onnxruntime_extensions", "PIL")
    if absent:
        print(f"roi-ops: error: ray_detect needs {', '.join(absent)}: pip install 'roi-ops[ray]'", file=sys.stderr)
        return 1
    try:
        _check_paths(args.images, args.output)
        loadable_library_path()  # a bad ROI_OPS_DEVICE or ROI_OPS_LIBRARY, before Ray starts actors that would fail
        found, unreadable = detect_folder(args.images, workers=args.workers, threads=args.threads,
                                          address=args.address)
        with writing(args.output), open(args.output, "w") as f:
            json.dump({path: d.tolist() for path, d in found.items()}, f)
    except (OSError, FileProblem, SettingError, ClusterProblem) as e:
        print(f"roi-ops: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote detections of {len(found)} images to {args.output}")
    if unreadable:
        shown = [f"{path} ({why})" for path, why in sorted(unreadable.items())[:3]]
        more = f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        print(f"roi-ops: error: {len(unreadable)} of {len(found) + len(unreadable)} files are not images the "
              f"detector reads: {', '.join(shown)}{more}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
