#!/usr/bin/env python3
"""Obtain onnxruntime's C/C++ headers at a pinned version, checked by hash, for the build.

Usage: fetch_onnxruntime_headers.py DEST_DIR
Prints the include directory (holding onnxruntime_c_api.h) on success.

The pip wheel of onnxruntime ships no headers. Routes, in order:
  1. apt (Debian and derivatives): download Debian's libonnxruntime-dev package with a private
     sources list that reuses the mirror URI of the machine's own apt sources, check its SHA-256,
     and unpack it with dpkg-deb into DEST_DIR. Nothing is installed into the system.
  2. otherwise: the official onnxruntime release archive of the same version; the headers the
     build uses are checked against the same pinned SHA-256 values.
To use headers you already have, skip this script: set the CMake variable or environment
variable ONNXRUNTIME_INCLUDE_DIR (see README.md).
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

ORT_VERSION = "1.21.0"
DEB_PACKAGE = "libonnxruntime-dev"
DEB_VERSION = "1.21.0+dfsg-1"
DEB_SUITE = "trixie"
DEB_SHA256 = "14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08"
ARCHIVE_URL = (
    f"https://github.com/microsoft/onnxruntime/releases/download/v{ORT_VERSION}/"
    f"onnxruntime-linux-x64-{ORT_VERSION}.tgz"
)
# The headers the library compiles against, as shipped in DEB_VERSION.
HEADER_SHA256 = {
    "onnxruntime_c_api.h": "7783e9664bdb0b1b36145b5c8587dd1bc9a399aa000edf2e3dd03003cafc6882",
    "onnxruntime_cxx_api.h": "b3b27d6a6fced0725e3f188379cca008b1d7a456997684756374d4b388f2cf05",
    "onnxruntime_cxx_inline.h": "7f448e994c732eacd9e49900365fefa8f1ac998a6d6eb78e5f4aab1b8d9d8900",
    "onnxruntime_float16.h": "6c4db3d1954b266c4febe413351af86cac922e3448538e7e452e51d646e56a4a",
}


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def headers_ok(include_dir: str) -> bool:
    return all(
        os.path.isfile(os.path.join(include_dir, name)) and sha256(os.path.join(include_dir, name)) == digest
        for name, digest in HEADER_SHA256.items()
    )


def debian_mirror() -> str | None:
    """The URI of the machine's own Debian archive (not its security mirror)."""
    uris: list[str] = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for line in open(path, encoding="utf-8", errors="replace"):
            m = re.match(r"\s*URIs:\s*(.+)", line)
            if m:
                uris += m.group(1).split()
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if os.path.exists(path):
            for line in open(path, encoding="utf-8", errors="replace"):
                m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
                if m:
                    uris.append(m.group(1))
    for uri in uris:
        if re.search(r"/debian/?$", uri) and "security" not in uri:
            return uri.rstrip("/")
    return None


def via_apt(dest: str) -> str:
    mirror = debian_mirror()
    if mirror is None:
        raise RuntimeError("no Debian mirror found in the machine's apt sources")
    work = tempfile.mkdtemp(prefix="roi-ops-apt-")
    try:
        os.makedirs(os.path.join(work, "lists", "partial"))
        os.makedirs(os.path.join(work, "archives", "partial"))
        sources = os.path.join(work, "sources.list")
        with open(sources, "w") as f:
            f.write(f"deb {mirror} {DEB_SUITE} main\n")
        opts = [
            f"-o=Dir::Etc::SourceList={sources}",
            "-o=Dir::Etc::SourceParts=/dev/null",
            f"-o=Dir::State::Lists={work}/lists",
            f"-o=Dir::Cache::Archives={work}/archives",
            "-o=APT::Sandbox::User=root",
            "-q",
        ]
        subprocess.run(["apt-get", *opts, "update"], check=True, stdout=sys.stderr, stderr=sys.stderr)
        subprocess.run(
            ["apt-get", *opts, "download", f"{DEB_PACKAGE}={DEB_VERSION}"],
            check=True, cwd=work, stdout=sys.stderr, stderr=sys.stderr,
        )
        debs = glob.glob(os.path.join(work, f"{DEB_PACKAGE}_*.deb"))
        if len(debs) != 1:
            raise RuntimeError(f"apt-get download left {debs!r}")
        got = sha256(debs[0])
        if got != DEB_SHA256:
            raise RuntimeError(f"{os.path.basename(debs[0])}: SHA-256 {got}, expected {DEB_SHA256}")
        root = os.path.join(dest, "deb")
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", debs[0], root], check=True)
        return os.path.join(root, "usr", "include", "onnxruntime")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def via_archive(dest: str) -> str:
    root = os.path.join(dest, "archive")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    tgz = os.path.join(root, "onnxruntime.tgz")
    urllib.request.urlretrieve(ARCHIVE_URL, tgz)
    with tarfile.open(tgz) as t:
        members = [m for m in t.getmembers() if m.isfile() and "/include/" in m.name]
        t.extractall(root, members=members, filter="data")
    inc = glob.glob(os.path.join(root, "*", "include"))
    if len(inc) != 1:
        raise RuntimeError(f"unexpected layout of {ARCHIVE_URL}")
    return inc[0]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dest = os.path.abspath(sys.argv[1])
    os.makedirs(dest, exist_ok=True)
    for cached in (os.path.join(dest, "deb", "usr", "include", "onnxruntime"), *glob.glob(os.path.join(dest, "archive", "*", "include"))):
        if headers_ok(cached):
            print(cached)
            return 0
    errors = []
    routes = [via_apt, via_archive] if shutil.which("apt-get") and shutil.which("dpkg-deb") else [via_archive]
    for route in routes:
        try:
            inc = route(dest)
        except Exception as e:  # noqa: BLE001 - each route's failure is reported below
            errors.append(f"{route.__name__}: {e}")
            continue
        if headers_ok(inc):
            print(inc)
            return 0
        errors.append(f"{route.__name__}: headers in {inc} do not match the pinned SHA-256 values")
    print(
        f"roi-ops: could not obtain onnxruntime {ORT_VERSION} headers:\n  " + "\n  ".join(errors)
        + "\nSet ONNXRUNTIME_INCLUDE_DIR to a folder holding onnxruntime_c_api.h (see README.md).",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
