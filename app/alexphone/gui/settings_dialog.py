"""Accounts & settings: the accounts (passwords to the keyring or 0600 files), network, audio.

Everything but the password is saved to the profile's config.toml; the
engine reads it when it (re)starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.account_editor import AccountEditor
from alexphone.gui.dial_box import DialCheck
from alexphone.gui.level_meter import LevelMeter
from alexphone.store.config import AppConfig, AudioConfig, NetworkConfig
from alexphone.store.credentials import CredentialsError, PasswordStore

KNOWN_CODECS = ("opus", "pcmu", "pcma")
ENCRYPTIONS = ("optional", "mandatory", "dtls", "off")  # --media-encryption, default first


def _form(widget: QWidget) -> QFormLayout:
    form = QFormLayout(widget)
    form.setContentsMargins(16, 16, 16, 16)
    form.setVerticalSpacing(10)
    return form


class SettingsDialog(QDialog):
    """Edits an AppConfig; ``saved_config`` holds the result after Save."""

    def __init__(
        self,
        config: AppConfig,
        passwords: PasswordStore,
        check: DialCheck,
        parent: QWidget | None = None,
        test_tone: Callable[[str], bool] | None = None,  # plays on the named output
        states: Mapping[str, str] | None = None,  # registration state by account
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accounts & settings")
        self.setMinimumWidth(520)
        self._config = config
        self._passwords = passwords
        self._check = check
        self.saved_config: AppConfig | None = None
        self.accounts = AccountEditor(config.accounts, passwords, states or {})
        editor = self.accounts  # the selected account's fields, as the tests and users see them
        self.aor, self.username, self.password = editor.aor, editor.username, editor.password
        self.registrar, self.proxy, self.transport = (
            editor.registrar,
            editor.proxy,
            editor.transport,
        )
        account_page = self.accounts
        network = config.network
        self.listen = QLineEdit(", ".join(network.listen))
        self.listen.setPlaceholderText("udp:0.0.0.0:5060")
        self.stun = QLineEdit(network.stun)
        self.stun.setPlaceholderText("stun.example.com:3478")
        self.turn = QLineEdit(network.turn)
        self.turn.setPlaceholderText("turn:turn.example.com:3478")
        self.turn_user = QLineEdit(network.turn_user)
        self.lan = QCheckBox("Find and announce phones on the LAN (mDNS / DNS-SD)")
        self.lan.setChecked(network.lan_discovery)
        network_page = QWidget()
        form = _form(network_page)
        form.addRow("Listen on", self.listen)
        form.addRow("STUN server", self.stun)
        form.addRow("TURN server", self.turn)
        form.addRow("TURN user", self.turn_user)
        form.addRow("", self.lan)
        audio = config.audio
        self.audio_in = QComboBox()
        self.audio_out = QComboBox()
        self.ringer = QComboBox()
        for combo, value in (
            (self.audio_in, audio.input),
            (self.audio_out, audio.output),
            (self.ringer, audio.ringer),
        ):
            combo.setEditable(True)
            combo.addItems(list(dict.fromkeys(["default", value])))
            combo.setCurrentText(value)
        self.echo_cancel = QCheckBox("Echo cancellation and noise suppression")
        self.echo_cancel.setChecked(audio.echo_cancel)
        self.encryption = QComboBox()  # SDES or DTLS-SRTP keys (docs/ARCHITECTURE.md)
        self.encryption.addItems(list(dict.fromkeys([*ENCRYPTIONS, audio.encryption])))
        self.encryption.setCurrentText(audio.encryption)
        self.codecs = QListWidget()
        self.codecs.addItems(
            list(audio.codecs) + [c for c in KNOWN_CODECS if c not in audio.codecs]
        )
        self.codecs.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.codecs.setFixedHeight(96)
        up, down = QPushButton("Up"), QPushButton("Down")
        up.clicked.connect(lambda: self._move_codec(-1))
        down.clicked.connect(lambda: self._move_codec(1))
        order = QHBoxLayout()
        order.addWidget(self.codecs, 1)
        moves = QVBoxLayout()
        moves.addWidget(up)
        moves.addWidget(down)
        moves.addStretch(1)
        order.addLayout(moves)
        audio_page = QWidget()
        form = _form(audio_page)
        form.addRow("Microphone", self.audio_in)
        form.addRow("Speaker", self.audio_out)
        form.addRow("Ringer", self.ringer)
        form.addRow("", self.echo_cancel)
        form.addRow("Encryption", self.encryption)
        self.input_meter = LevelMeter("Microphone")
        form.addRow("Microphone level", self.input_meter)
        self.level_hint = QLabel("The meter moves during a call.")
        self.level_hint.setObjectName("hint")
        form.addRow("", self.level_hint)
        self.test_button = QPushButton("Play test tone")
        self.test_button.setEnabled(test_tone is not None)
        self.test_result = QLabel()
        self.test_result.setObjectName("hint")
        if test_tone is not None:
            self.test_button.clicked.connect(
                lambda: self.test_result.setText(
                    "Playing…"
                    if test_tone(self.audio_out.currentText().strip() or "default")
                    else "No test sound found."
                )
            )
        tone_row = QHBoxLayout()
        tone_row.addWidget(self.test_button)
        tone_row.addWidget(self.test_result, 1)
        form.addRow("Speaker test", tone_row)
        form.addRow("Codecs (first preferred)", order)
        self.tabs = QTabWidget()
        self.tabs.addTab(account_page, "Accounts")
        self.tabs.addTab(network_page, "Network")
        self.tabs.addTab(audio_page, "Audio")
        self.error = QLabel()
        self.error.setObjectName("dialError")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def set_devices(self, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        """Offer the engine's device names (``audio.devices``), keeping what is chosen."""
        for combo, names in (
            (self.audio_in, inputs),
            (self.audio_out, outputs),
            (self.ringer, outputs),
        ):
            chosen = combo.currentText()
            combo.clear()
            combo.addItems(list(dict.fromkeys(["default", *names, chosen])))
            combo.setCurrentText(chosen)

    def show_level(self, _call_id: str, input_db: float, _output_db: float) -> None:
        """Move the microphone meter to the latest ``audio.level`` reading."""
        self.input_meter.set_db(input_db)

    def _move_codec(self, step: int) -> None:
        row = self.codecs.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.codecs.count():
            return
        item = self.codecs.takeItem(row)
        self.codecs.insertItem(target, item)
        self.codecs.setCurrentRow(target)

    def edited_config(self) -> AppConfig:
        """Return the config as currently edited (not yet checked or saved)."""
        listen = tuple(p.strip() for p in self.listen.text().split(",") if p.strip())
        return AppConfig(
            self.accounts.accounts(),
            AudioConfig(
                self.audio_in.currentText().strip() or "default",
                self.audio_out.currentText().strip() or "default",
                self.ringer.currentText().strip() or "default",
                tuple(self.codecs.item(i).text() for i in range(self.codecs.count())),
                self.echo_cancel.isChecked(),
                self.encryption.currentText(),
            ),
            NetworkConfig(
                listen,
                self.stun.text().strip(),
                self.turn.text().strip(),
                self.turn_user.text().strip(),
                self.lan.isChecked(),
            ),
        )

    def save(self) -> None:
        """Check the addresses, store the password, keep the config; or say what is wrong."""
        config = self.edited_config()
        reason = self.accounts.first_problem(self._check)
        if reason is not None:
            self.tabs.setCurrentIndex(0)
            self.error.setText(reason)
            self.error.show()
            return
        try:
            for aor, password in self.accounts.typed_passwords().items():
                self._passwords.set(aor, password)
            kept = {account.aor for account in config.accounts}
            for gone in {a.aor for a in self._config.accounts} - kept:
                self._passwords.delete(gone)
        except CredentialsError as exc:
            self.error.setText(f"Password: {exc}")
            self.error.show()
            return
        self.saved_config = config
        self.accept()
