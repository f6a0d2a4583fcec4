"""The ``roi-ops`` command line."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="roi-ops", description="RoI operators for ONNX Runtime.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="build a small model with RoIAlign and RoIPool, run it, compare with references")
    sub.add_parser("info", help="print the library path and versions")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main()
    if args.command == "info":
        import onnxruntime

        from . import __version__, get_library_path

        print(f"roi-ops {__version__}")
        print(f"library: {get_library_path()}")
        print(f"onnxruntime: {onnxruntime.__version__}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
