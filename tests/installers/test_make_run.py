"""`make run` opens the window on an Xvfb display and keeps it open (the venv already made by
the suite's own `make test`; its stamp is taken as up to date so nothing is installed here).
What `make run` would install on a fresh machine, and that it is no lab package, is
test_system_packages.py's part (`make -n`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_SECONDS = 12
# Runs on the Xvfb display next to `make run`: looks for the mapped main window, up to 200
# times 50 ms, then leaves make to its timeout. Prints what it saw for the test to read.
WATCH = """
timeout -s TERM {seconds} make --no-print-directory -o .venv/.installed-app run \
    BIN="$1" ARGS="$2" &
make_pid=$!
tries=0
while [ "$tries" -lt 200 ] && kill -0 "$make_pid" 2>/dev/null; do
    if xwininfo -name Alexphone 2>/dev/null | grep -q 'Map State: IsViewable'; then
        echo "window mapped after $tries tries"
        xwininfo -name Alexphone | grep -E 'Width|Height'
        break
    fi
    sleep 0.05
    tries=$((tries + 1))
done
wait "$make_pid"
echo "make exited $?"
"""

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.needs("make", "xvfb-run", "xwininfo"),
]


def test_make_run_opens_the_window_and_keeps_running(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    args = f"--profile {profile} --listen udp:127.0.0.1:0 --no-mdns"
    command = [
        "xvfb-run", "-a", "sh", "-c", WATCH.format(seconds=RUN_SECONDS), "watch",
        str(Path(sys.executable).parent), args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "DISPLAY"))}
    env["PYTHONPATH"] = str(ROOT / "app")

    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_SECONDS + 30
    )

    assert "window mapped" in done.stdout, done.stdout + done.stderr[-3000:]
    width = [int(line.split(":")[1]) for line in done.stdout.splitlines() if "Width:" in line]
    assert width and width[0] > 200, done.stdout  # a real window, not a stub
    assert "make exited 124" in done.stdout, done.stdout + done.stderr[-3000:]  # still running
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert (profile / "alexphone.db").is_file()  # the window opened its profile
