"""Reading the user's files: one place for what the command line, the demo and the bench say
when a path is not a readable file or a file is not an ONNX model."""
from __future__ import annotations

import os


class FileProblem(ValueError):
    """A path that is not a readable file of the kind asked for; the message names it."""


def existing_file(path: str) -> str:
    if not os.path.exists(path):
        raise FileProblem(f"{path}: no such file")
    if os.path.isdir(path):
        raise FileProblem(f"{path}: a directory, not a file")
    if not os.path.isfile(path):
        raise FileProblem(f"{path}: not a regular file")
    return path


def load_model(path: str):
    """The ONNX model at `path`, or a FileProblem naming the file."""
    import onnx

    existing_file(path)
    try:
        return onnx.load(path)
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise FileProblem(f"{path}: not an ONNX model ({e.__class__.__name__})") from e
