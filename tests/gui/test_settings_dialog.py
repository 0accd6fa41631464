"""Accounts & settings: saved to config.toml, password to a 0600 file, bad addresses refused."""

from __future__ import annotations

import stat
from pathlib import Path

from gui_phones import dial_check
from pytestqt.qtbot import QtBot

from alexphone.gui.settings_dialog import SettingsDialog
from alexphone.store.config import AppConfig, load_config, save_config
from alexphone.store.credentials import PasswordStore


def test_save_writes_config_and_private_password(qtbot: QtBot, tmp_path: Path) -> None:
    passwords = PasswordStore(tmp_path, use_keyring=False)
    dialog = SettingsDialog(AppConfig(), passwords, dial_check())
    qtbot.addWidget(dialog)
    dialog.aor.setText("sip:alice@example.com")
    dialog.password.setText("s3cret")
    dialog.transport.setCurrentText("tcp")
    dialog.lan.setChecked(False)
    dialog.codecs.setCurrentRow(2)
    dialog._move_codec(-1)
    assert dialog.encryption.currentText() == "optional"
    dialog.encryption.setCurrentText("dtls")
    dialog.save()
    assert dialog.saved_config is not None
    save_config(tmp_path, dialog.saved_config)
    config = load_config(tmp_path)
    assert config.account.aor == "sip:alice@example.com"
    assert config.account.transport == "tcp"
    assert config.audio.codecs == ("opus", "pcma", "pcmu")
    assert config.network.lan_discovery is False
    assert config.audio.encryption == "dtls"
    assert "s3cret" not in (tmp_path / "config.toml").read_text()
    assert passwords.get("sip:alice@example.com") == "s3cret"
    assert stat.S_IMODE(passwords.file("sip:alice@example.com").stat().st_mode) == 0o600


def test_bad_proxy_is_refused_inline(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SettingsDialog(AppConfig(), PasswordStore(tmp_path, use_keyring=False), dial_check())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.proxy.setText("sip:proxy@@bad host")
    dialog.save()
    assert dialog.saved_config is None
    assert dialog.error.isVisible() and dialog.error.text().startswith("Outbound proxy:")
