"""`make run` opens the window under Xvfb and keeps it open (the venv already made by the
suite's own `make test`; its stamp is taken as up to date so nothing is installed here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_SECONDS = 8

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("make", "xvfb-run")]


def test_make_run_opens_the_window_and_keeps_running(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    args = f"--profile {profile} --listen udp:127.0.0.1:0 --no-mdns"
    command = [
        "timeout", "-s", "TERM", str(RUN_SECONDS),
        "xvfb-run", "-a",
        "make", "--no-print-directory", "-o", ".venv/.installed-app", "run",
        f"BIN={Path(sys.executable).parent}", f"ARGS={args}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "DISPLAY"))}
    env["PYTHONPATH"] = str(ROOT / "app")

    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 30
    )

    assert done.returncode == 124, f"exit {done.returncode}: {done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "alexphone" in done.stdout  # make echoed the command it ran
    assert (profile / "alexphone.db").is_file()  # the window opened its profile
