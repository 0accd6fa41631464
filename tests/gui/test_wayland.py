"""The window starts under Wayland: a headless Weston (Debian's ``weston``) and Qt's
``wayland`` platform, in a child process with its own XDG_RUNTIME_DIR.

The child builds the real window with its engine on loopback, shows it and reports once
the compositor has exposed it and the engine is ready; Weston is stopped by its PID.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("weston")]

HERE = Path(__file__).resolve().parent
APP = HERE.parents[1] / "app"
SOCKET = f"wayland-alexphone-{os.getpid()}"

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from gui_phones import dial_check, loopback_runner
from alexphone.engine.events import UaReady
from alexphone.gui.app import build_window

profile = Path(sys.argv[1])
app, window = build_window(profile, lambda: loopback_runner(profile), dial_check())
ready = []
window.bridge.event_received.connect(lambda e: ready.append(e) if isinstance(e, UaReady) else None)
window.show()
window.start_engine()
handle = window.windowHandle()
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not (ready and handle.isExposed()):
    QCoreApplication.processEvents()
    time.sleep(0.01)
print(json.dumps({"platform": app.platformName(), "exposed": handle.isExposed(),
                  "ready": bool(ready), "width": window.width()}), flush=True)
window.close()
"""


def test_the_window_starts_under_a_headless_weston(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("DISPLAY", None)  # nothing but Wayland to fall back on
    weston = subprocess.Popen(
        ["weston", "--backend=headless-backend.so", f"--socket={SOCKET}", "--idle-time=0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not (runtime / SOCKET).exists():  # bounded: the socket is Weston's only sign
            assert weston.poll() is None and time.monotonic() < deadline, "weston did not start"
            time.sleep(0.05)
        child_env = {
            **env,
            "WAYLAND_DISPLAY": SOCKET,
            "QT_QPA_PLATFORM": "wayland",
            "PYTHONPATH": str(APP),
        }
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path / "profile"), str(HERE)],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        weston.terminate()
        weston.wait(10)

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"platform": "wayland", "exposed": True, "ready": True, "width": 1040}, result
    assert "Traceback" not in done.stderr
