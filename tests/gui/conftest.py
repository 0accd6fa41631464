"""GUI tests run headless (QT_QPA_PLATFORM=offscreen) against real engines on loopback."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before pytest-qt creates the QApplication

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gui_phones import dial_check, loopback_runner
from pytestqt.qtbot import QtBot

from alexphone.engine.events import Event, UaReady
from alexphone.gui.bridge import EngineRunner, EngineThread, EventBridge
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.gui.window_models import WindowModels
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database

WAIT_MS = 5000
GC_ENABLED_AT_START = gc.isenabled()


@pytest.fixture(autouse=True)
def collect_in_the_gui_thread() -> Iterator[None]:
    """Collect each test's garbage here, in the GUI thread, with automatic collection off.

    Left to the automatic collector, a cycle holding a closed window's widgets may be
    collected in a later test's engine thread, which crashes Qt (gui/collector.py).
    """
    gc.disable()
    yield
    gc.collect()
    if GC_ENABLED_AT_START:  # tests after these ones (and a window's collector) get it back
        gc.enable()


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., MainWindow]]:
    """Build main windows on throw-away profiles; their engines are stopped afterwards."""
    windows: list[MainWindow] = []

    def make(runner: Callable[[], EngineRunner] | None = None, name: str = "me") -> MainWindow:
        profile = tmp_path / name
        context = WindowContext(
            profile=profile,
            database=open_database(profile / "alexphone.db"),
            runner=runner or (lambda: loopback_runner(profile)),
            check=dial_check(),
            passwords=PasswordStore(profile, use_keyring=False),
        )
        window = MainWindow(context, WindowModels.build(context.database))
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        assert window.stop_engine(5000), "engine did not stop within 5 s"


class PeerPhone:
    """A second phone (auto-answer) in its own engine thread, like ``alexphone daemon``."""

    def __init__(self, qtbot: QtBot, profile: Path) -> None:
        self.bridge = EventBridge()
        self.events: list[Event] = []
        self.bridge.event_received.connect(self.events.append)
        self.thread = EngineThread(loopback_runner(profile, auto_answer=0.0), self.bridge)
        with qtbot.waitSignal(
            self.bridge.event_received,
            timeout=WAIT_MS,
            check_params_cb=lambda e: isinstance(e, UaReady),
        ) as ready:
            self.thread.start()
        event = ready.args[0] if ready.args else None
        assert isinstance(event, UaReady)
        self.listen = event.listen[0]  # "udp:127.0.0.1:PORT"

    def uri(self, user: str = "bob") -> str:
        """Return a URI that reaches this phone."""
        host_port = self.listen.split(":", 1)[1]
        return f"sip:{user}@{host_port}"


@pytest.fixture
def peer_phone(qtbot: QtBot, tmp_path: Path) -> Iterator[PeerPhone]:
    """An auto-answering phone on 127.0.0.1, stopped after the test."""
    phone = PeerPhone(qtbot, tmp_path / "peer")
    yield phone
    assert phone.thread.shut_down(5000)
