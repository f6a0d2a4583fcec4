"""A venv under build/ with exactly some package versions from PyPI, made once and reused: the
tests that run the library or the package on the oldest releases they support."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def release(version: str) -> tuple[int, ...]:
    """A version's release numbers, 1.23 and 1.23.0 alike; a local tag (2.8.0+cu128) left out."""
    parts = [int(x) for x in version.split("+")[0].split(".")]
    return tuple(parts) + (0,) * (3 - len(parts))


def python_with(pins: list[str], name: str) -> str:
    """The Python of build/<name>-py<X.Y>, a venv made by this Python and holding `pins` (e.g.
    "onnx==1.23"); the test is skipped, saying which, when PyPI cannot give them. Keyed by the
    Python too: which pins install depends on it (numpy 1.24 has no wheels for 3.12 on)."""
    venv = os.path.join(ROOT, "build", f"{name}-py{sys.version_info[0]}.{sys.version_info[1]}")
    python = os.path.join(venv, "bin", "python")
    # Written last: a venv whose install failed or was interrupted is made again, not reused.
    installed = os.path.join(venv, "roi-ops-pins.txt")
    want = "\n".join(pins) + "\n"
    have = None
    if os.path.isfile(installed):
        with open(installed) as f:
            have = f.read()
    if have != want:
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True, capture_output=True)
        r = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
                           capture_output=True, text=True)
        if r.returncode != 0:
            said = (r.stderr.strip().splitlines() or ["pip wrote no error"])[-1]
            pytest.skip(f"could not install {' '.join(pins)} from PyPI for Python {sys.version_info[0]}."
                        f"{sys.version_info[1]}: {said}")
        with open(installed, "w") as f:
            f.write(want)
    return python
