"""`python -m tests.system_tools`: what the tests need on this machine beyond Python, installed by
`make test-tools` (which `make test` runs) and never from inside a test.

- Debian's `chromium` for the browser tests and `wrk` for the load generator's tests, with
  apt-get when missing (CI runs as root);
- axe-core, the accessibility engine the browser tests inject into pages: one pinned release
  from the npm registry, checked against its published sha512 integrity before it is
  unpacked into `.tools/`, so no Node is needed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

AXE_VERSION = "4.11.4"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_INTEGRITY = (
    "sha512-"
    "KunSNx+TVpkAw/6ULfhnx+HWRecjqZGTOyquAoWHYLRSdK1tB5Ihce1ZW+UY3fj33bYAFWPu7W/GRSmmrCGuxA=="
)
AXE_SCRIPT = Path(__file__).resolve().parent.parent / ".tools" / f"axe-core-{AXE_VERSION}.min.js"
DEBIAN_PACKAGES = ("chromium", "wrk")


def chromium_path() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


def install_packages() -> None:
    missing = [name for name in DEBIAN_PACKAGES if shutil.which(name) is None]
    if not missing:
        return
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=environment)
    still = [name for name in missing if shutil.which(name) is None]
    if still:
        raise SystemExit(f"error: apt-get installed {still}, but they are not on PATH")


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def install_axe() -> Path:
    if AXE_SCRIPT.exists():
        return AXE_SCRIPT
    with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:
        tarball = response.read()
    if _integrity(tarball) != AXE_INTEGRITY:
        raise SystemExit(f"error: {AXE_TARBALL} does not match its published integrity")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise SystemExit(f"error: {AXE_TARBALL} holds no package/axe.min.js")
        script = member.read()
    AXE_SCRIPT.parent.mkdir(parents=True, exist_ok=True)
    partial = AXE_SCRIPT.with_suffix(".partial")
    partial.write_bytes(script)
    partial.replace(AXE_SCRIPT)
    return AXE_SCRIPT


def main() -> int:
    install_packages()
    for name in DEBIAN_PACKAGES:
        print(f"{name:<10} {shutil.which(name)}")
    print(f"{'axe-core':<10} {install_axe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
