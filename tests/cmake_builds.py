"""The CMake projects the tests build for themselves (the CUDA emulation, the GPU check's harness,
the C++ host), each in one folder under build/tests/ that later runs rebuild incrementally: CMake
tracks their sources, so a run rebuilds what changed and nothing else. In a temporary folder the
emulation and the harness took about 100 s each, and CI's sanitized run made both again."""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cmake_build(source: str, name: str, *configure: str, env: dict | None = None) -> str:
    """build/tests/<name>, configured from `source` with the `configure` arguments and built; a
    failed step fails the calling test with CMake's output. The build tools run without the
    sanitizer runtimes a sanitized test run preloads. Two test runs at once take turns."""
    build = os.path.join(ROOT, "build", "tests", name)
    os.makedirs(os.path.dirname(build), exist_ok=True)
    env = {k: v for k, v in (env or os.environ).items() if k != "LD_PRELOAD"}
    steps = (["cmake", "-S", source, "-B", build, *configure],
             ["cmake", "--build", build, "-j", str(os.cpu_count() or 2)])
    with open(build + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(steps[0], capture_output=True, text=True, env=env)
        if r.returncode != 0 and os.path.isdir(build):
            # A cache CMake will not reuse (the checkout moved, other arguments): start clean once.
            shutil.rmtree(build)
            r = subprocess.run(steps[0], capture_output=True, text=True, env=env)
        if r.returncode == 0:
            r = subprocess.run(steps[1], capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"{' '.join(r.args)}:\n{r.stdout[-3000:]}{r.stderr[-3000:]}"
    return build
