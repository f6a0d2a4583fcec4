"""Rewrites the kernel launches of a .cu file for the CUDA emulation: every
``kernel<<<grid, block[, shared[, stream]]>>>(args);`` becomes
``::roi_ops_emulation::launch(grid, block, shared, stream, [&] { kernel(args); });``; nothing
else changes. Usage: rewrite_launches.py IN.cu OUT.cc"""
from __future__ import annotations

import re
import sys

LAUNCH = re.compile(r"<<<")


def _balanced(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the bracket that closes text[start] (== open_)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError(f"unbalanced {open_}{close} from offset {start}")


def _kernel_start(text: str, end: int) -> int:
    """Start of the kernel expression that ends at `end` (a name, maybe qualified, maybe with
    template arguments)."""
    i = end
    while i > 0:
        if text[i - 1] == ">":
            depth = 0
            while i > 0:
                i -= 1
                depth += {">": 1, "<": -1}.get(text[i], 0)
                if depth == 0:
                    break
            continue
        if text[i - 1].isalnum() or text[i - 1] in "_:":
            i -= 1
            continue
        break
    return i


def rewrite(text: str) -> str:
    out, pos = [], 0
    for m in LAUNCH.finditer(text):
        if m.start() < pos:
            continue
        kernel_start = _kernel_start(text, m.start())
        config_end = text.index(">>>", m.end())
        config = [c.strip() for c in text[m.end():config_end].split(",")]
        config += ["0", "nullptr"][len(config) - 2:]
        args_start = config_end + 3
        while text[args_start].isspace():
            args_start += 1
        args_end = _balanced(text, args_start, "(", ")")
        kernel = text[kernel_start:m.start()]
        out.append(text[pos:kernel_start])
        out.append(f"::roi_ops_emulation::launch({', '.join(config)}, [&] {{ {kernel}{text[args_start:args_end]}; }})")
        pos = args_end
    out.append(text[pos:])
    return "".join(out)


def main() -> None:
    src, dst = sys.argv[1:3]
    with open(src) as f:
        text = f.read()
    with open(dst, "w") as f:
        f.write(f"// Generated from {src} by rewrite_launches.py (CUDA emulation); do not edit.\n")
        f.write(rewrite(text))


if __name__ == "__main__":
    main()
