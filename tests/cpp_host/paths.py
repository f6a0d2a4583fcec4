"""Where the C++ host finds onnxruntime: the headers the library was built with and the C API
library of the installed onnxruntime wheel.

    python tests/cpp_host/paths.py include|library
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def include_dir() -> str:
    """ONNXRUNTIME_INCLUDE_DIR, else the headers a build of this tree fetched, else a fresh fetch."""
    env = os.environ.get("ONNXRUNTIME_INCLUDE_DIR")
    if env:
        return env
    for cache in sorted(glob.glob(os.path.join(ROOT, "build", "*", "CMakeCache.txt"))):
        with open(cache) as f:
            m = re.search(r"^ONNXRUNTIME_INCLUDE_DIR:PATH=(.*)$", f.read(), re.M)
        if m and os.path.exists(os.path.join(m.group(1), "onnxruntime_c_api.h")):
            return m.group(1)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "cmake", "fetch_onnxruntime_headers.py"),
                          os.path.join(ROOT, "build", "onnxruntime-headers")], check=True, capture_output=True,
                         text=True)
    return out.stdout.strip().splitlines()[-1]


def runtime_library() -> str:
    """The onnxruntime wheel's libonnxruntime.so.X.Y.Z."""
    import onnxruntime

    capi = os.path.join(os.path.dirname(onnxruntime.__file__), "capi")
    found = sorted(glob.glob(os.path.join(capi, "libonnxruntime.so.*")))
    if not found:
        raise FileNotFoundError(f"no libonnxruntime.so.* in {capi}")
    return found[-1]


if __name__ == "__main__":
    print({"include": include_dir, "library": runtime_library}[sys.argv[1]]())
