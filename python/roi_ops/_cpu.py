"""Which CPU code path of the library runs on this machine. The kernels are compiled once per
instruction set (ops/cpu/isa.h: target_clones x86-64-v4, x86-64-v3, default) and GCC's resolver
picks the best the CPU supports when the library loads; this makes the same choice from the
CPU flags Linux reports, for ``roi-ops info``."""
from __future__ import annotations

import platform

# The x86-64 micro-architecture levels (psABI), as Linux names their flags in /proc/cpuinfo.
_V2 = {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"}
_V3 = _V2 | {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
_V4 = _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}
LEVELS = (("x86-64-v4", _V4), ("x86-64-v3", _V3))


def cpu_flags() -> set[str] | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def picked_isa(flags: set[str] | None = None, machine: str | None = None) -> str:
    """The code path the library's resolver picks: x86-64-v4, x86-64-v3 or the default build."""
    if (machine or platform.machine()) not in ("x86_64", "AMD64"):
        return "default (one build; no per-ISA clones on this architecture)"
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return "unknown (no /proc/cpuinfo to read the CPU flags from)"
    for name, needed in LEVELS:
        if needed <= flags:
            return name
    return "x86-64 (default)"
