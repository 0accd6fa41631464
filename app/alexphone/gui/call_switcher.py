"""Several calls at once: the list of calls not ended, with switch, swap, hold and merge.

Shown from the second call on. Every button becomes one engine command (``Resume``,
``Swap``, ``Hold``, ``Merge``); the engine answers with ``call.mode`` and ``call.state``
events, which come back here through the call model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from alexphone.engine.commands import Command, Hold, Merge, Resume, Swap
from alexphone.engine.events import CallMode, CallState
from alexphone.gui.call_model import CallInfo

_UP = (CallState.CONFIRMED, CallState.HELD)


def keeps_focus(shown: CallInfo | None, updated: CallInfo) -> bool:
    """Tell whether the call panel should keep ``shown`` rather than show ``updated``: a
    call we talk with stays in view while another one is held or waits."""
    if shown is None or shown.call_id == updated.call_id or not shown.active:
        return False
    talking = shown.state is CallState.CONFIRMED and shown.mode is not CallMode.HELD
    return talking and (updated.state is not CallState.CONFIRMED or updated.mode is CallMode.HELD)


class CallSwitcher(QFrame):
    """Lists the calls and switches between them.

    Signals:
        command_requested(object): an engine command to submit (Resume, Swap, Hold, Merge).
    """

    command_requested = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("callSwitcher")
        title = QLabel("Calls")
        title.setObjectName("detailTitle")
        self.list = QListWidget()
        self.list.setObjectName("callList")
        self.list.setMaximumHeight(96)
        self.switch_button = QPushButton("Switch to")
        self.hold_button = QPushButton("Hold")
        self.swap_button = QPushButton("Swap")
        self.merge_button = QPushButton("Merge")
        buttons = QHBoxLayout()
        for button in (self.switch_button, self.hold_button, self.swap_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addWidget(title)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.switch_button.clicked.connect(lambda: self._for_selected(Resume))
        self.hold_button.clicked.connect(lambda: self._for_selected(Hold))
        self.list.itemDoubleClicked.connect(lambda _item: self._for_selected(Resume))
        self.swap_button.clicked.connect(lambda: self.command_requested.emit(Swap()))
        self.merge_button.clicked.connect(lambda: self.command_requested.emit(Merge()))
        self.list.currentRowChanged.connect(lambda _row: self._enable())
        self.calls: list[CallInfo] = []
        self.hide()

    def show_calls(self, calls: list[CallInfo]) -> None:
        """List ``calls`` (those not ended); shown only while there are two or more."""
        selected = self.selected()
        self.calls = calls
        self.list.clear()
        for call in calls:
            item = QListWidgetItem(f"{call.caller}  ·  {call.state_words()}")
            item.setData(Qt.ItemDataRole.UserRole, call.call_id)
            self.list.addItem(item)
            if selected is not None and call.call_id == selected:
                self.list.setCurrentItem(item)
        up = [call for call in calls if call.state in _UP]
        self.swap_button.setEnabled(any(c.mode is CallMode.HELD for c in up))
        self.merge_button.setEnabled(len(up) >= 2)
        self._enable()
        self.setVisible(len(calls) >= 2)

    def selected(self) -> str | None:
        """Return the call id of the selected row, or None."""
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _enable(self) -> None:
        call = next((c for c in self.calls if c.call_id == self.selected()), None)
        up = call is not None and call.state in _UP
        self.switch_button.setEnabled(up and call is not None and call.mode is CallMode.HELD)
        self.hold_button.setEnabled(up and call is not None and call.mode is not CallMode.HELD)

    def _for_selected(self, command: type[Resume] | type[Hold]) -> None:
        call_id = self.selected()
        if call_id is not None:
            request: Command = command(call_id)
            self.command_requested.emit(request)
