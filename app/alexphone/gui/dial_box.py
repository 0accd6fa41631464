"""The dial box: a SIP URI, user@host or a number, checked inline before it is dialled.

With several accounts an account picker sits beside the line edit; the call goes out from
the account it shows (the first one unless another is picked).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

DialCheck = Callable[[str], str | None]
"""Returns why ``text`` cannot be dialled, or None if it can (given by the composition root)."""

PAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")


class DialBox(QWidget):
    """Line edit with history completion, a dial pad and an inline reason when input is bad.

    Signals:
        dial_requested(str): the user asked to call this (already checked) text.
    """

    dial_requested = Signal(str)

    def __init__(self, check: DialCheck, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.edit = QLineEdit()
        self.edit.setObjectName("dialEdit")
        self.edit.setPlaceholderText("Call sip:name@example.com, name@host or a number")
        self.edit.setClearButtonEnabled(True)
        self.completions = QStringListModel()
        completer = QCompleter(self.completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        self.account = QComboBox()
        self.account.setObjectName("dialAccount")
        self.account.setToolTip("The account the call goes out from")
        self.account.hide()  # shown only when there is a choice
        self.call_button = QPushButton("Call")
        self.call_button.setObjectName("callButton")
        self.call_button.setDefault(True)
        self.pad_button = QToolButton()
        self.pad_button.setText("123")
        self.pad_button.setToolTip("Dial pad")
        self.pad_button.setCheckable(True)
        self.error = QLabel()
        self.error.setObjectName("dialError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.pad = QWidget()
        grid = QGridLayout(self.pad)
        grid.setContentsMargins(0, 0, 0, 0)
        for position, key in enumerate(PAD_KEYS):
            button = QPushButton(key)
            button.setObjectName("padKey")
            button.clicked.connect(lambda _=False, k=key: self.edit.insert(k))
            grid.addWidget(button, position // 3, position % 3)
        self.pad.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.account)
        row.addWidget(self.pad_button)
        row.addWidget(self.call_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.pad)
        self.edit.returnPressed.connect(self.submit)
        self.call_button.clicked.connect(self.submit)
        self.pad_button.toggled.connect(self.pad.setVisible)
        self.edit.textChanged.connect(self._clear_error)

    def set_accounts(self, accounts: list[str]) -> None:
        """Offer ``accounts`` (AoRs, the default first); the picker shows only for two or more."""
        chosen = self.account.currentText()
        self.account.clear()
        self.account.addItems(list(dict.fromkeys(accounts)))
        if chosen in accounts:
            self.account.setCurrentText(chosen)
        self.account.setVisible(self.account.count() > 1)

    def chosen_account(self) -> str | None:
        """Return the account picked for the next call, None for the default (or no choice)."""
        if self.account.count() < 2 or self.account.currentIndex() <= 0:
            return None
        return self.account.currentText()

    def set_completions(self, entries: list[str]) -> None:
        """Offer ``entries`` (history, contacts) as completions."""
        self.completions.setStringList(list(dict.fromkeys(entries)))

    def submit(self) -> None:
        """Check the text; emit dial_requested, or show why it cannot be dialled."""
        text = self.edit.text().strip()
        reason = "Type whom to call." if not text else self._check(text)
        if reason is not None:
            self.error.setText(reason)
            self.error.show()
            return
        self._clear_error()
        self.dial_requested.emit(text)

    def _clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
