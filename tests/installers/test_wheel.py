"""The wheel as a user gets it: built the way ``make dist`` builds it, installed with pip into a
new virtual environment (dependencies from PyPI, through pip's own cache), then run from that
environment only: no source tree on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 900.0  # a cold pip cache downloads numpy and builds PyAudio
RUN_TIMEOUT = 60.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _run(argv: list[str], cwd: Path, timeout: float = RUN_TIMEOUT) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv[0]} exited {done.returncode}: {done.stderr[-3000:]}"
    return done.stdout


def _items(output: str) -> set[tuple[str, str, str]]:
    """(flow, address, type) of each ALEX item line."""
    rows = [json.loads(line) for line in output.splitlines()]
    return {(row["flow"], row["address"], row["typ"]) for row in rows}


def test_wheel_installs_into_a_new_venv_and_runs(tmp_path: Path) -> None:
    wheels = tmp_path / "dist"
    # The Makefile's `dist` line.
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
         cwd=tmp_path, timeout=INSTALL_TIMEOUT)  # fmt: skip
    (wheel,) = wheels.glob("alexphone-*-py3-none-any.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=tmp_path,
         timeout=INSTALL_TIMEOUT)  # fmt: skip

    python = str(venv / "bin" / "python")
    where = _run([python, "-c", "import alexphone; print(alexphone.__file__)"], cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(venv), where
    program = str(venv / "bin" / "alexphone")
    usage = _run([program, "--help"], cwd=tmp_path)
    for command in ("daemon", "call", "gui", "addresses", "ctl"):
        assert command in usage
    args = ["addresses", "--json", "--listen", "udp:0.0.0.0:0"]
    installed = _items(_run([program, *args], cwd=tmp_path))
    source = subprocess.run(
        [sys.executable, "-m", "alexphone", *args],
        env=dict(os.environ, PYTHONPATH=str(ROOT / "app")),
        capture_output=True, text=True, timeout=RUN_TIMEOUT, check=True,
    ).stdout  # fmt: skip
    assert installed and installed == _items(source)
    # The window's icons and sounds come with the wheel, where resources_dir() looks.
    share = venv / "share" / "alexphone"
    assert (share / "icons" / "alexphone-256.png").is_file()
    assert (share / "sounds" / "ringtone.wav").is_file()
