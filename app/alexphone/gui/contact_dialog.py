"""Add or edit a contact: name, SIP address (checked inline), notes."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alexphone.core.errors import ConfigError
from alexphone.gui.dial_box import DialCheck
from alexphone.store.contacts import Contact


class ContactDialog(QDialog):
    """Edits one contact; ``result_contact`` holds it after Save."""

    def __init__(
        self, check: DialCheck, contact: Contact | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit contact" if contact else "New contact")
        self._check = check
        self._id = contact.id if contact else None
        self.result_contact: Contact | None = None
        self.name = QLineEdit(contact.name if contact else "")
        self.uri = QLineEdit(contact.uri if contact else "")
        self.uri.setPlaceholderText("sip:name@example.com")
        self.notes = QPlainTextEdit(contact.notes if contact else "")
        self.notes.setFixedHeight(72)
        self.error = QLabel()
        self.error.setObjectName("dialError")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("SIP address", self.uri)
        form.addRow("Notes", self.notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Validate and close with the contact, or show what is wrong."""
        reason = self._check(self.uri.text().strip()) if self.uri.text().strip() else None
        try:
            if reason is not None:
                raise ConfigError(reason)
            contact = Contact(
                self.name.text(), self.uri.text(), self.notes.toPlainText().strip(), self._id
            )
        except ConfigError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.result_contact = contact
        self.accept()
