"""Keyboard shortcuts for the call in the window: answer, hang up, mute, hold, and a jump
to the dial box; listed in the Call menu, so they work wherever the focus is in the window.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from alexphone.gui.call_panel import CallPanel
from alexphone.gui.dial_box import DialBox


class CallShortcut(Enum):
    """What a shortcut does; the value is its key sequence."""

    ANSWER = "Ctrl+Shift+A"
    HANG_UP = "Ctrl+Shift+E"
    MUTE = "Ctrl+Shift+M"
    HOLD = "Ctrl+Shift+H"
    DIAL = "Ctrl+L"


TITLES = {
    CallShortcut.ANSWER: "Answer",
    CallShortcut.HANG_UP: "Hang up / decline",
    CallShortcut.MUTE: "Mute / unmute",
    CallShortcut.HOLD: "Hold / resume",
    CallShortcut.DIAL: "Go to the dial box",
}


def install_shortcuts(
    window: QMainWindow, panel: CallPanel, dial_box: DialBox
) -> dict[CallShortcut, QAction]:
    """Add the Call menu with one action per shortcut to ``window``; return the actions."""
    handlers = {
        CallShortcut.ANSWER: panel.answer,
        CallShortcut.HANG_UP: panel.hang_up,
        CallShortcut.MUTE: panel.toggle_mute,
        CallShortcut.HOLD: panel.toggle_hold,
        CallShortcut.DIAL: lambda: _focus_dial(dial_box),
    }
    menu = window.menuBar().addMenu("&Call")
    actions: dict[CallShortcut, QAction] = {}
    for shortcut, handler in handlers.items():
        action = QAction(TITLES[shortcut], window)
        action.setShortcut(QKeySequence(shortcut.value))
        action.triggered.connect(handler)
        menu.addAction(action)
        actions[shortcut] = action
    return actions


def _focus_dial(dial_box: DialBox) -> None:
    dial_box.edit.setFocus()
    dial_box.edit.selectAll()
