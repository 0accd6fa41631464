"""The Accounts tab of Accounts & settings: the accounts with their registration state.

A list of accounts (each shown with its latest ``registration.state``), Add and Remove
buttons, and one form that edits the account selected in the list. A new profile starts
with one blank account; blank accounts (no SIP address) are not saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.dial_box import DialCheck
from alexphone.store.config import TRANSPORTS, AccountConfig
from alexphone.store.credentials import PasswordStore

NEW_ACCOUNT = "(new account)"
_CHECKED = (("SIP address", "aor"), ("Registrar", "registrar"), ("Outbound proxy", "proxy"))


def account_key(aor: str) -> str:
    """Return how the engine names the account of config ``aor`` (``sip:`` URI, no params)."""
    uri = aor if aor.lower().startswith(("sip:", "sips:")) else f"sip:{aor}"
    return uri.split(";", 1)[0].split("?", 1)[0]


class AccountEditor(QWidget):
    """Edits a list of AccountConfig; passwords typed here are kept apart, by AoR."""

    def __init__(
        self,
        accounts: tuple[AccountConfig, ...],
        passwords: PasswordStore,
        states: Mapping[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._accounts = list(accounts) or [AccountConfig()]
        self._typed: list[str | None] = [None] * len(self._accounts)  # None: not changed
        self._store = passwords
        self._states = dict(states)
        self._current = -1
        self.list = QListWidget()
        self.list.setObjectName("accountList")
        self.list.setFixedHeight(88)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self._build_form(passwords.backend)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(top)
        layout.addLayout(self.form)
        self.list.currentRowChanged.connect(self._select)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self._refresh_list()
        self._select(0)

    def _build_form(self, backend: str) -> None:
        self.aor = QLineEdit()
        self.aor.setPlaceholderText("sip:alice@example.com")
        self.username = QLineEdit()
        self.username.setPlaceholderText("defaults to the user part of the address")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.display_name = QLineEdit()
        self.registrar = QLineEdit()
        self.registrar.setPlaceholderText("defaults to the address's domain")
        self.proxy = QLineEdit()
        self.proxy.setPlaceholderText("sip:proxy.example.com;transport=tcp")
        self.transport = QComboBox()
        self.transport.addItems(TRANSPORTS)
        self.expires = QSpinBox()
        self.expires.setRange(60, 86400)
        self.expires.setSuffix(" s")
        self.form = QFormLayout()
        self.form.setVerticalSpacing(10)
        self.form.addRow("SIP address", self.aor)
        self.form.addRow("Login", self.username)
        self.form.addRow("Password", self.password)
        self.form.addRow("", QLabel(f"Stored in the {backend}."))
        self.form.addRow("Display name", self.display_name)
        self.form.addRow("Registrar", self.registrar)
        self.form.addRow("Outbound proxy", self.proxy)
        self.form.addRow("Transport", self.transport)
        self.form.addRow("Registration expiry", self.expires)
        self.password.textChanged.connect(self._password_typed)
        self.aor.textEdited.connect(lambda _text: self._keep_form())

    def accounts(self) -> tuple[AccountConfig, ...]:
        """Return the accounts as edited, blank ones left out."""
        self._keep_form()
        return tuple(a for a in self._accounts if a.aor)

    def typed_passwords(self) -> dict[str, str]:
        """Return the passwords typed in this dialog, by the AoR they belong to."""
        self._keep_form()
        return {
            account.aor: typed
            for account, typed in zip(self._accounts, self._typed, strict=True)
            if account.aor and typed
        }

    def first_problem(self, check: DialCheck) -> str | None:
        """Select the first account with an unusable address; return the reason, or None."""
        self._keep_form()
        for row, account in enumerate(self._accounts):
            for label, key in _CHECKED:
                text = getattr(account, key)
                reason = check(text) if text else None
                if reason is not None:
                    self.list.setCurrentRow(row)
                    return f"{label}: {reason}"
        return None

    def set_state(self, account: str, state: str) -> None:
        """Show ``account``'s registration state (a ``registration.state`` value)."""
        self._states[account] = state
        self._refresh_list()

    def add(self) -> None:
        """Add a blank account and edit it."""
        self._keep_form()
        self._accounts.append(AccountConfig())
        self._typed.append(None)
        self._refresh_list()
        self.list.setCurrentRow(len(self._accounts) - 1)
        self.aor.setFocus()

    def remove(self) -> None:
        """Remove the selected account (its stored password is forgotten on Save)."""
        row = self.list.currentRow()
        if row < 0:
            return
        self._current = -1  # the form's content goes with it
        del self._accounts[row]
        del self._typed[row]
        if not self._accounts:
            self._accounts, self._typed = [AccountConfig()], [None]
        self._refresh_list()
        self.list.setCurrentRow(min(row, len(self._accounts) - 1))
        self._select(self.list.currentRow())

    def _refresh_list(self) -> None:
        rows = [self._label(a) for a in self._accounts]
        if [self.list.item(i).text() for i in range(self.list.count())] == rows:
            return
        current = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems(rows)
        self.list.setCurrentRow(min(max(current, 0), len(rows) - 1))
        self.list.blockSignals(False)

    def _label(self, account: AccountConfig) -> str:
        if not account.aor:
            return NEW_ACCOUNT
        state = self._states.get(account_key(account.aor), "not registered")
        return f"{account.aor} — {state}"

    def _select(self, row: int) -> None:
        if self._current >= 0:
            self._keep_form()
        self._current = row
        if 0 <= row < len(self._accounts):
            self._show(self._accounts[row], self._typed[row])

    def _show(self, account: AccountConfig, typed: str | None) -> None:
        self.aor.setText(account.aor)
        self.username.setText(account.username)
        stored = self._store.get(account.aor) if account.aor and typed is None else None
        self.password.blockSignals(True)  # showing is not typing
        self.password.setText(typed if typed is not None else stored or "")
        self.password.blockSignals(False)
        self.display_name.setText(account.display_name)
        self.registrar.setText(account.registrar)
        self.proxy.setText(account.proxy)
        self.transport.setCurrentText(account.transport)
        self.expires.setValue(account.expires)

    def _password_typed(self, text: str) -> None:
        if 0 <= self._current < len(self._typed):
            self._typed[self._current] = text

    def _keep_form(self) -> None:
        """Write the form back into the account it edits."""
        row = self._current
        if not 0 <= row < len(self._accounts):
            return
        self._accounts[row] = replace(
            self._accounts[row],
            aor=self.aor.text().strip(),
            username=self.username.text().strip(),
            display_name=self.display_name.text().strip(),
            registrar=self.registrar.text().strip(),
            proxy=self.proxy.text().strip(),
            transport=self.transport.currentText(),
            expires=self.expires.value(),
        )
        self._refresh_list()
