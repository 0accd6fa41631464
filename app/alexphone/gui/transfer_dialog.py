"""The transfer picker: a contact, a phone on this network or an address; "consult first"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.dial_box import DialCheck


@dataclass(frozen=True, slots=True)
class TransferChoice:
    """Where to move a call, and whether to talk to the target first (attended)."""

    call_id: str
    target: str
    consult: bool


@dataclass(frozen=True, slots=True)
class Destination:
    """One entry of the picker: who, and the address the transfer names."""

    label: str
    uri: str


class TransferDialog(QDialog):
    """Asks where to transfer one call; the address is checked like the dial box's.

    Signals:
        chosen(TransferChoice): Transfer (or Call first) was pressed with a valid target.
    """

    chosen = Signal(object)

    def __init__(
        self,
        call_id: str,
        caller: str,
        destinations: Sequence[Destination],
        check: DialCheck,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.call_id = call_id
        self._check = check
        self._uris = {d.label: d.uri for d in destinations}
        self.setWindowTitle("Transfer call")
        self.setObjectName("transferDialog")
        title = QLabel(f"Transfer {caller} to:")
        title.setObjectName("incomingTitle")
        self.target = QComboBox()
        self.target.setEditable(True)  # a SIP or tel: address the lists do not hold
        self.target.addItems([d.label for d in destinations])
        self.target.setCurrentIndex(-1)
        if (line := self.target.lineEdit()) is not None:  # editable: it has one
            line.setPlaceholderText("A contact, a phone on this network, or sip:… / tel:…")
        self.consult = QCheckBox("Consult first: call them, then complete the transfer")
        self.error = QLabel()
        self.error.setObjectName("dialError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.transfer_button = QPushButton("Transfer")
        self.transfer_button.setDefault(True)
        cancel = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.transfer_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.target)
        layout.addWidget(self.error)
        layout.addWidget(self.consult)
        layout.addLayout(buttons)
        self.consult.toggled.connect(
            lambda on: self.transfer_button.setText("Call first" if on else "Transfer")
        )
        self.transfer_button.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)

    def address(self) -> str:
        """Return the address chosen: a listed entry's URI, or the text typed."""
        text = self.target.currentText().strip()
        return self._uris.get(text, text)

    def submit(self) -> None:
        """Emit ``chosen`` and close if the address can be called; else say why, inline."""
        uri = self.address()
        problem = self._check(uri) if uri else "Choose someone to transfer the call to."
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        self.chosen.emit(TransferChoice(self.call_id, uri, self.consult.isChecked()))
        self.accept()
