"""Build the .deb from this tree with installers/linux/build_deb.sh, for the package tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_DEB = ROOT / "installers" / "linux" / "build_deb.sh"
BUILD_TIMEOUT = 400.0


@dataclass(frozen=True, slots=True)
class DebBuild:
    """A .deb built from this tree, and the build directory that holds its bundle."""

    deb: Path
    build_dir: Path
    out_dir: Path

    def repackage(self, version: str) -> Path:
        """The same bundle packaged again under another (e.g. higher) Debian version."""
        out = self.out_dir / version
        return build_deb(self.build_dir, out, DEB_VERSION=version, REUSE_BUNDLE="1")


def build_deb(build_dir: Path, out_dir: Path, **extra: str) -> Path:
    # This interpreter's environment is the project's: build_deb.sh runs PyInstaller with it.
    env = dict(os.environ, BUILD_DIR=str(build_dir), DEB_COMPRESSION="gzip", PYTHON=sys.executable)
    env.update(extra)
    built = subprocess.run(
        ["bash", str(BUILD_DEB), str(out_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    deb = Path(built.stdout.strip().splitlines()[-1])
    assert deb.is_file() and deb.suffix == ".deb", built.stdout
    return deb
