"""One .deb build per test run, shared by the package tests (PyInstaller takes 35-100 s)."""

from __future__ import annotations

import pytest
from debian_package import DebBuild, build_deb


@pytest.fixture(scope="session")
def deb_build(tmp_path_factory: pytest.TempPathFactory) -> DebBuild:
    """Build the .deb once per run with installers/linux/build_deb.sh (gzip: faster than xz)."""
    work = tmp_path_factory.mktemp("deb-build")
    deb = build_deb(work / "build", work / "out")
    return DebBuild(deb=deb, build_dir=work / "build", out_dir=work / "out")
