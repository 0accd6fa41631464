"""Keyboard shortcuts send their commands for the call shown, and Ctrl+L goes to the dial box."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import Answer, Command, HangUp, Hold, Mute
from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.gui.main_window import MainWindow
from alexphone.gui.shortcuts import CallShortcut

WindowFactory = Callable[..., MainWindow]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _shown(qtbot: QtBot, make_window: WindowFactory) -> MainWindow:
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    _activate(qtbot, window)
    return window


def _activate(qtbot: QtBot, window: MainWindow) -> None:
    """Make ``window`` the active one: shortcuts go to the active window."""
    handle = window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=1000)


def _press(qtbot: QtBot, window: MainWindow, key: Qt.Key, command: Command) -> None:
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.keyClick(window.side_tabs.contact_view, key, CTRL_SHIFT)
    assert sent.args == [command]


def test_answer_mute_hold_and_hang_up_by_keyboard(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = _shown(qtbot, make_window)
    remote = "sip:carol@example.com"
    window.bridge.forward(CallChanged("c-1", Direction.IN, remote, CallState.RINGING))
    qtbot.waitUntil(lambda: "c-1" in window.incoming_dialogs, timeout=1000)
    window.incoming_dialogs["c-1"].hide()  # the user went back to the main window
    _activate(qtbot, window)

    _press(qtbot, window, Qt.Key.Key_A, Answer("c-1"))
    window.bridge.forward(CallChanged("c-1", Direction.IN, remote, CallState.CONFIRMED))
    qtbot.waitUntil(lambda: window.call_panel.mute_button.isVisible(), timeout=1000)
    _press(qtbot, window, Qt.Key.Key_M, Mute("c-1", True))
    _press(qtbot, window, Qt.Key.Key_M, Mute("c-1", False))
    _press(qtbot, window, Qt.Key.Key_H, Hold("c-1", True))
    _press(qtbot, window, Qt.Key.Key_E, HangUp("c-1"))


def test_shortcuts_do_nothing_without_a_call_they_fit(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = _shown(qtbot, make_window)
    sent: list[object] = []
    window.command_sent.connect(sent.append)
    for shortcut in (CallShortcut.ANSWER, CallShortcut.MUTE, CallShortcut.HOLD):
        window.shortcuts[shortcut].trigger()
    remote = "sip:dave@example.com"
    window.bridge.forward(CallChanged("c-2", Direction.OUT, remote, CallState.CALLING))
    qtbot.waitUntil(lambda: window.call_panel.call is not None, timeout=1000)
    window.shortcuts[CallShortcut.ANSWER].trigger()  # our own call: nothing to answer
    window.shortcuts[CallShortcut.MUTE].trigger()  # not connected yet
    assert sent == []
    window.shortcuts[CallShortcut.HANG_UP].trigger()  # cancels the outgoing call
    assert sent == [HangUp("c-2")]


def test_ctrl_l_goes_to_the_dial_box(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = _shown(qtbot, make_window)
    window.dial_box.edit.setText("sip:bob@example.com")
    window.side_tabs.search.setFocus()

    qtbot.keyClick(window.side_tabs.search, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    assert QApplication.focusWidget() is window.dial_box.edit
    assert window.dial_box.edit.selectedText() == "sip:bob@example.com"
    assert [a.text() for a in window.menuBar().actions()][:2] == ["&Phone", "&Call"]
