"""``alexphone ctl`` drives the desktop app as it drives the daemon: the window's engine, built
by the CLI's own runner, serves the profile's control socket (offscreen, real engines)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_phones import dial_check
from pytestqt.qtbot import QtBot

from alexphone.cli.gui import engine_runner
from alexphone.cli.parser import build_parser
from alexphone.engine.control import socket_path
from alexphone.engine.events import CallState
from alexphone.gui.call_model import CallInfo
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.gui.window_models import WindowModels
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database
from conftest import WAIT_MS, PeerPhone

NOBODY = 65534
PROBE = (  # connect as another user: print what happened
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n print('refused')\n"
    "else:\n print('connected')"
)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory every user may enter, so only the socket's own mode can keep one out."""
    path = Path(tempfile.mkdtemp(prefix="alexphone-ctl-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def ctl(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``alexphone ctl --profile PROFILE ARGS``."""
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(profile), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def as_nobody(path: Path) -> str:
    """Try to connect to ``path`` as user nobody; return 'refused' or 'connected'."""
    argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    done = subprocess.run(
        [*argv, "/usr/bin/python3", "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout.strip() or done.stderr.strip()


def window_of(qtbot: QtBot, profile: Path) -> MainWindow:
    """The desktop app's window for ``profile``, its engine run by ``alexphone gui``'s runner."""
    options = ["--listen", "udp:127.0.0.1:0", "--no-mdns", "--audio-in", "silence"]
    args = build_parser().parse_args(
        ["gui", "--profile", str(profile), *options, "--audio-out", "null"]
    )
    context = WindowContext(
        profile=profile,
        database=open_database(profile / "alexphone.db"),
        runner=lambda: engine_runner(args),
        check=dial_check(),
        passwords=PasswordStore(profile, use_keyring=False),
    )
    window = MainWindow(context, WindowModels.build(context.database))
    qtbot.addWidget(window)
    return window


def _confirmed(call: CallInfo) -> bool:
    return call.state is CallState.CONFIRMED


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_ctl_drives_the_window_and_keeps_other_users_out(
    qtbot: QtBot, open_dir: Path, peer_phone: PeerPhone
) -> None:
    profile = open_dir / "me"
    profile.mkdir(mode=0o755)
    path = socket_path(profile)
    left = socket.socket(socket.AF_UNIX)
    left.bind(str(path))  # a phone that crashed: bound, nobody accepts
    left.close()
    window = window_of(qtbot, profile)
    window.show()
    with qtbot.waitSignal(window.bridge.client_ready, timeout=WAIT_MS):
        window.start_engine()
    try:
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert as_nobody(path) == "refused"
        path.chmod(0o666)  # the same socket, opened up: the refusal above was its mode's
        assert as_nobody(path) == "connected"
        path.chmod(0o600)

        assert json.loads(ctl(profile, "status", "--json").stdout) == {"calls": []}
        with qtbot.waitSignal(
            window.dispatcher.call_updated, timeout=WAIT_MS, check_params_cb=_confirmed
        ):
            dialled = ctl(profile, "dial", peer_phone.uri())
            assert dialled.returncode == 0, dialled.stderr
        assert window.call_panel.isVisible()
        status = ctl(profile, "status", "--json")
        [call] = json.loads(status.stdout)["calls"]
        assert (call["state"], call["direction"]) == ("confirmed", "out")
        assert call["call_id"] == window.call_panel.call.call_id

        wrong = ctl(profile, "dtmf")
        assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1
        with socket.socket(socket.AF_UNIX) as raw:  # garbage gets an error; the link stays
            raw.settimeout(10)
            raw.connect(str(path))
            raw.sendall(b'{"id": 1, "command"\n{"id": 2, "command": "status"}\n')
            lines = raw.makefile("rb")
            assert json.loads(lines.readline())["ok"] is False
            assert json.loads(lines.readline())["id"] == 2

        with qtbot.waitSignal(
            window.dispatcher.call_updated,
            timeout=WAIT_MS,
            check_params_cb=lambda c: c.state is CallState.ENDED,
        ):
            assert ctl(profile, "hangup").returncode == 0
    finally:
        assert window.stop_engine(5000)
    assert not path.exists()
    assert ctl(profile, "status").returncode == 1
