"""One window per profile: a second launch hands over its URI, stale sockets are replaced."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import PlaceCall
from alexphone.gui.main_window import MainWindow
from alexphone.gui.single_instance import InstanceServer, hand_over, server_name

WindowFactory = Callable[..., MainWindow]


def test_the_name_depends_on_the_profile_only(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") == server_name(tmp_path / "x" / ".." / "a")
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")


def test_a_second_launch_hands_its_uri_to_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    first = InstanceServer(tmp_path / "me")
    assert first.listen()
    try:
        with qtbot.waitSignal(first.launched, timeout=2000) as got:
            assert hand_over(tmp_path / "me", "sip:bob@example.com")
        assert got.args == ["sip:bob@example.com"]
        assert not hand_over(tmp_path / "other", "sip:bob@example.com", timeout_ms=200)
    finally:
        first.close()


def test_with_no_first_instance_nothing_answers(tmp_path: Path) -> None:
    assert not hand_over(tmp_path / "nobody", None, timeout_ms=200)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="socket files are a Unix thing")
def test_a_stale_socket_from_a_crash_is_replaced(qtbot: QtBot, tmp_path: Path) -> None:
    profile = tmp_path / "crashed"
    path = Path(tempfile.gettempdir()) / server_name(profile)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening: what a killed instance leaves behind
    stale.close()
    assert path.exists()
    server = InstanceServer(profile)
    try:
        assert server.listen()
        with qtbot.waitSignal(server.launched, timeout=2000) as got:
            assert hand_over(profile, None)
        assert got.args == [""]
    finally:
        server.close()


def test_a_second_alexphone_process_dials_in_the_first_window_and_exits_0(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window(name="shared")
    server = InstanceServer(tmp_path / "shared", window)
    server.launched.connect(window.launched)
    assert server.listen()
    window.showMinimized()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "alexphone", "gui", "--profile", str(tmp_path / "shared")]
    second = subprocess.Popen(
        [*command, "sip:carol@example.com"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with qtbot.waitSignal(window.command_sent, timeout=15000) as sent:
            qtbot.waitUntil(lambda: second.poll() is not None, timeout=15000)
        assert second.returncode == 0, second.stderr.read() if second.stderr else ""
    finally:
        if second.poll() is None:
            second.kill()
        second.wait(5)
        server.close()
    assert sent.args == [PlaceCall("sip:carol@example.com")]
    assert window.isVisible() and not window.isMinimized()
