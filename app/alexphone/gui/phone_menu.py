"""The window's Phone menu: set-up assistant, settings, restart, do not disturb, quit."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow


class PhoneMenu:
    """Adds the Phone menu to ``window``; the window connects the actions it offers."""

    def __init__(self, window: QMainWindow, dnd_action: QAction) -> None:
        menu = window.menuBar().addMenu("&Phone")
        self.settings_action = QAction("Accounts && settings…", window)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.restart_action = QAction("Restart engine", window)
        self.first_run_action = QAction("Set-up assistant…", window)
        self.quit_action = QAction("Quit", window)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(window.close)
        for action in (
            self.first_run_action,
            self.settings_action,
            self.restart_action,
            dnd_action,
            self.quit_action,
        ):
            menu.addAction(action)
