"""Run policy for the whole suite: when interop tests run, skip or fail.

Tests marked ``@pytest.mark.interop`` drive real third-party SIP software inside
network namespaces. They need root and some programs on PATH. On a desktop
without them they are skipped; under ``CI=true`` a test that cannot run is a
failure, so a broken CI image never passes silently.

Extra programs a test needs are named with ``@pytest.mark.needs("sipp", ...)``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# Every interop test builds namespaces and runs its peers under `timeout`.
BASE_PROGRAMS = ("ip", "iptables", "ip6tables", "timeout", "ss")

_BLOCKED = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker that lists the programs an interop test needs."""
    config.addinivalue_line("markers", "needs(*programs): programs an interop test needs on PATH")


def running_under_ci() -> bool:
    """Tell whether the suite runs in CI, where skipping interop tests is an error."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing_requirements(item: pytest.Item) -> list[str]:
    """List what keeps an interop test from running here (empty if nothing)."""
    missing: list[str] = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces)")
    programs = list(BASE_PROGRAMS)
    for mark in item.iter_markers("needs"):
        programs.extend(str(arg) for arg in mark.args)
    missing.extend(p for p in dict.fromkeys(programs) if shutil.which(p) is None)
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip interop tests that cannot run, or mark them to fail under CI."""
    del config
    ci = running_under_ci()
    for item in items:
        if item.get_closest_marker("interop") is None:
            continue
        missing = missing_requirements(item)
        if not missing:
            continue
        reason = "interop test cannot run, missing: " + ", ".join(missing)
        if ci:
            item.stash[_BLOCKED] = reason
        else:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail (under CI) an interop test whose requirements are missing."""
    reason = item.stash.get(_BLOCKED, None)
    if reason is not None:
        pytest.fail(f"{reason} (CI=true: interop tests must run, not skip)", pytrace=False)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty directory nobody can write in, root included: a read-only tmpfs when run as
    root (root ignores mode bits), else mode 0555. Unmounted or opened again afterwards."""
    path = tmp_path / "read-only"
    path.mkdir()
    if os.geteuid() == 0:
        mount = ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)]
        subprocess.run(mount, check=True)
        try:
            yield path
        finally:
            subprocess.run(["umount", str(path)], check=True)
    else:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
