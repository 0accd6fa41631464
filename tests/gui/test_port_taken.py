"""The window says in its status bar when its default port belonged to another program."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from gui_phones import loopback_settings
from pytestqt.qtbot import QtBot

from alexphone.engine.events import UaReady
from alexphone.engine.runner import run_phone
from alexphone.gui.main_window import MainWindow
from alexphone.net.transport import ListenSpec, TransportKind


def test_status_bar_names_the_taken_port_and_the_new_one(
    qtbot: QtBot, tmp_path: Path, make_window: Callable[..., MainWindow]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other_phone:
        other_phone.bind(("127.0.0.1", 0))  # a port we picked, held as another phone would
        taken = other_phone.getsockname()[1]
        wanted = ListenSpec(TransportKind.UDP, "127.0.0.1", taken)
        settings = replace(
            loopback_settings(tmp_path / "me"), listen=(wanted,), listen_fallback=True
        )
        window = make_window(runner=lambda: lambda e, s: run_phone(settings, e, s))
        with qtbot.waitSignal(
            window.bridge.event_received,
            timeout=5000,
            check_params_cb=lambda event: isinstance(event, UaReady),
        ) as ready:
            window.start_engine()

    (listen,) = ready.args[0].listen
    assert listen != str(wanted)
    assert window.statusBar().currentMessage() == (
        f"Listening on {listen} ({wanted} is in use by another program)"
    )
