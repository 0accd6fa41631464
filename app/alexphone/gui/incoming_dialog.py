"""The incoming-call dialog: who is calling, Accept or Decline."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from alexphone.gui.call_model import CallInfo


class IncomingDialog(QDialog):
    """Asks whether to take one incoming call; closes itself if the caller gives up.

    During another call (call waiting) Accept reads "Hold && answer" and "End && answer"
    is offered beside it.

    Signals:
        answered(str): Accept (Hold & answer) was pressed for this call id.
        answered_ending(str): End & answer was pressed for this call id.
        declined(str): Decline was pressed (or the dialog was closed) for this call id.
    """

    answered = Signal(str)
    answered_ending = Signal(str)
    declined = Signal(str)

    def __init__(
        self, call: CallInfo, parent: QWidget | None = None, waiting: bool = False
    ) -> None:
        super().__init__(parent)
        self.call_id = call.call_id
        self.setWindowTitle("Call waiting" if waiting else "Incoming call")
        self.setObjectName("incomingDialog")
        title = QLabel("Call waiting" if waiting else "Incoming call")
        title.setObjectName("incomingTitle")
        self.caller = QLabel(call.caller)  # the name, or the address when no name is known
        self.caller.setObjectName("incomingCaller")
        self.caller.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address = QLabel(call.remote)  # beneath a name
        self.address.setObjectName("incomingAddress")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setVisible(bool(call.name))
        self.accept_button = QPushButton("Hold && answer" if waiting else "Accept")
        self.accept_button.setObjectName("answerButton")
        self.accept_button.setDefault(True)
        self.end_and_answer_button = QPushButton("End && answer")
        self.end_and_answer_button.setVisible(waiting)
        self.decline_button = QPushButton("Decline")
        self.decline_button.setObjectName("hangUpButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.decline_button)
        buttons.addStretch(1)
        buttons.addWidget(self.end_and_answer_button)
        buttons.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.caller)
        layout.addWidget(self.address)
        layout.addLayout(buttons)
        self.accept_button.clicked.connect(lambda: self._accept(self.answered))
        self.end_and_answer_button.clicked.connect(lambda: self._accept(self.answered_ending))
        self.decline_button.clicked.connect(self.reject)

    def _accept(self, signal: SignalInstance) -> None:
        signal.emit(self.call_id)
        self.accept()

    def reject(self) -> None:
        """Decline the call and close."""
        self.declined.emit(self.call_id)
        super().reject()

    def caller_gave_up(self) -> None:
        """Close without declining: the call already ended or was answered elsewhere."""
        super().reject()
