"""The system-tray icon: what the phone is doing, quick actions, incoming-call notices.

The tray holds no state of its own beyond "do not disturb": the window
tells it the registration and call state and acts on its signals. Without a
tray (offscreen, some desktops) the actions exist all the same, so the
window menu and tests reach them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

NOTICE_MS = 10000
REGISTRATION_WORDS = {
    "registering": "Registering…",
    "registered": "Registered",
    "failed": "Registration failed",
    "unregistered": "Not registered",
}


class PhoneTray(QObject):
    """Tray icon with a status line and Show/hide, Call again, Do not disturb and Quit.

    Signals:
        toggle_requested(): show the window if hidden, hide it if shown.
        dial_last_requested(str): call this address again.
        quit_requested(): end the app.
    """

    toggle_requested = Signal()
    dial_last_requested = Signal(str)
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon, self)
        self.menu = QMenu()
        self.status_action = QAction("Not registered", self)
        self.status_action.setEnabled(False)
        self.show_action = QAction("Show / hide window", self)
        self.dial_last_action = QAction("Call again", self)
        self.dial_last_action.setEnabled(False)
        self.dnd_action = QAction("Do not disturb", self)
        self.dnd_action.setCheckable(True)
        self.quit_action = QAction("Quit", self)
        self.menu.addAction(self.status_action)
        self.menu.addSeparator()
        for action in (self.show_action, self.dial_last_action, self.dnd_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.show_action.triggered.connect(self.toggle_requested)
        self.dial_last_action.triggered.connect(self._dial_last)
        self.quit_action.triggered.connect(self.quit_requested)
        self.dnd_action.toggled.connect(lambda _on: self._refresh())
        self.icon.activated.connect(self._activated)
        self._registration = ""
        self._call = ""
        self._last = ""
        self.last_notice = ""  # the text of the last incoming-call notification
        self._refresh()
        if QSystemTrayIcon.isSystemTrayAvailable() and not icon.isNull():
            self.icon.show()

    @property
    def do_not_disturb(self) -> bool:
        """Tell whether incoming calls are declined as busy without ringing."""
        return self.dnd_action.isChecked()

    @property
    def status(self) -> str:
        """Return the status line shown in the menu and the tooltip."""
        return self.status_action.text()

    def set_registration(self, account: str, state: str) -> None:
        """Show ``account``'s registration state (a RegistrationState value)."""
        words = REGISTRATION_WORDS.get(state, state)
        self._registration = f"{words}: {account}" if account else words
        self._refresh()

    def set_call(self, caller: str, words: str) -> None:
        """Show the current call (``caller``, a name or address, "" when there is none)."""
        self._call = f"{words.capitalize()}: {caller}" if caller else ""
        self._refresh()

    def set_last_dialled(self, uri: str) -> None:
        """Remember the address "Call again" dials."""
        self._last = uri
        self.dial_last_action.setEnabled(bool(uri))
        self.dial_last_action.setText(f"Call again: {uri}" if uri else "Call again")

    def notify_incoming(self, caller: str, remote: str) -> None:
        """Show a desktop notification for an incoming call: the name, the address beneath."""
        self.last_notice = f"{caller}\n{remote}" if caller != remote else remote
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage("Incoming call", self.last_notice, self.icon.icon(), NOTICE_MS)

    def notify(self, title: str, text: str) -> None:
        """Show a desktop notification (if the desktop shows them)."""
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, self.icon.icon(), NOTICE_MS)

    def hide(self) -> None:
        """Remove the icon from the tray."""
        self.icon.hide()

    def _refresh(self) -> None:
        text = self._call or self._registration or "Not registered"
        if self.do_not_disturb:
            text += " (do not disturb)"
        self.status_action.setText(text)
        self.icon.setToolTip(f"Alexphone — {text}")

    def _dial_last(self) -> None:
        if self._last:
            self.dial_last_requested.emit(self._last)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_requested.emit()
