"""A real call from the window's engine to an auto-answering phone, both on loopback."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.engine.events import CallState
from alexphone.gui.call_model import CallInfo
from alexphone.gui.main_window import MainWindow
from conftest import WAIT_MS, PeerPhone


def _in_state(state: CallState) -> Callable[[CallInfo], bool]:
    return lambda call: call.state is state


def test_call_shows_connected_then_ended(
    qtbot: QtBot, make_window: Callable[..., MainWindow], peer_phone: PeerPhone
) -> None:
    window = make_window()
    window.show()
    with qtbot.waitSignal(window.bridge.client_ready, timeout=WAIT_MS):
        window.start_engine()
    window.dial_box.edit.setText(peer_phone.uri())
    with qtbot.waitSignal(
        window.dispatcher.call_updated,
        timeout=WAIT_MS,
        check_params_cb=_in_state(CallState.CONFIRMED),
    ):
        qtbot.mouseClick(window.dial_box.call_button, Qt.MouseButton.LeftButton)
    panel = window.call_panel
    assert panel.isVisible() and panel.state.text() == "Connected"
    assert panel.remote.text() == peer_phone.uri()
    qtbot.waitUntil(lambda: panel.security.text() != "—", timeout=WAIT_MS)  # call.media
    assert panel.security.text() == "Not encrypted"  # UDP signaling: no SDES keys offered
    with qtbot.waitSignal(
        window.dispatcher.call_updated, timeout=WAIT_MS, check_params_cb=_in_state(CallState.ENDED)
    ):
        qtbot.mouseClick(panel.hang_up_button, Qt.MouseButton.LeftButton)
    assert panel.state.text() == "Ended"
    assert window.history.rowCount() == 1
    assert window.history.index(0, 0).data() == "↗ Out"
    assert window.history.index(0, 3).data() != ""  # it was connected: a duration is shown
