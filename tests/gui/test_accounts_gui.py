"""Several accounts in the window: Settings lists them with their state; the dial box picks one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gui_phones import dial_check
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import PlaceCall
from alexphone.engine.events import RegistrationChanged, RegistrationState
from alexphone.gui.dial_box import DialBox
from alexphone.gui.main_window import MainWindow
from alexphone.gui.settings_dialog import SettingsDialog
from alexphone.store.config import AccountConfig, AppConfig, load_config, save_config
from alexphone.store.credentials import PasswordStore

ALICE, CAROL = "sip:alice@lab.test", "sip:carol@lab.test"
TWO = AppConfig((AccountConfig(aor=ALICE), AccountConfig(aor=CAROL, transport="tcp")))


def rows(dialog: SettingsDialog) -> list[str]:
    listed = dialog.accounts.list
    return [listed.item(i).text() for i in range(listed.count())]


def test_settings_lists_the_accounts_with_their_registration_state(
    qtbot: QtBot, tmp_path: Path
) -> None:
    passwords = PasswordStore(tmp_path, use_keyring=False)
    dialog = SettingsDialog(TWO, passwords, dial_check(), states={ALICE: "registered"})
    qtbot.addWidget(dialog)

    assert rows(dialog) == [f"{ALICE} — registered", f"{CAROL} — not registered"]
    dialog.accounts.set_state(CAROL, "failed")
    assert rows(dialog)[1] == f"{CAROL} — failed"
    dialog.accounts.list.setCurrentRow(1)
    assert (dialog.aor.text(), dialog.transport.currentText()) == (CAROL, "tcp")


def test_add_edit_and_remove_accounts_each_with_its_password(qtbot: QtBot, tmp_path: Path) -> None:
    passwords = PasswordStore(tmp_path, use_keyring=False)
    passwords.set(ALICE, "alicepw")
    dialog = SettingsDialog(TWO, passwords, dial_check())
    qtbot.addWidget(dialog)

    assert dialog.password.text() == "alicepw"  # the selected account's stored password
    dialog.accounts.add()
    dialog.aor.setText("sip:dave@example.org")
    dialog.password.setText("davepw")
    dialog.accounts.list.setCurrentRow(1)  # carol: edit her expiry
    dialog.accounts.expires.setValue(120)
    dialog.accounts.list.setCurrentRow(0)
    dialog.accounts.remove()  # alice goes
    dialog.save()

    assert dialog.saved_config is not None
    save_config(tmp_path, dialog.saved_config)
    saved = load_config(tmp_path).accounts
    assert [(a.aor, a.expires) for a in saved] == [(CAROL, 120), ("sip:dave@example.org", 600)]
    assert passwords.get("sip:dave@example.org") == "davepw"
    assert passwords.get(ALICE) is None  # a removed account's password is forgotten
    assert passwords.get(CAROL) is None  # never typed: nothing stored


def test_a_bad_address_of_another_account_is_shown_on_it(qtbot: QtBot, tmp_path: Path) -> None:
    config = AppConfig((AccountConfig(aor=ALICE), AccountConfig(aor=CAROL, proxy="sip:a b")))
    dialog = SettingsDialog(config, PasswordStore(tmp_path, use_keyring=False), dial_check())
    qtbot.addWidget(dialog)
    dialog.save()
    assert dialog.saved_config is None
    assert dialog.error.text().startswith("Outbound proxy:")
    assert dialog.accounts.list.currentRow() == 1


def test_dial_box_offers_a_picker_only_with_several_accounts(qtbot: QtBot) -> None:
    box = DialBox(dial_check())
    qtbot.addWidget(box)
    box.show()
    box.set_accounts([ALICE])
    assert not box.account.isVisible() and box.chosen_account() is None
    box.set_accounts([ALICE, CAROL])
    assert box.account.isVisible() and box.chosen_account() is None  # the first: the default
    box.account.setCurrentIndex(1)
    assert box.chosen_account() == CAROL
    box.set_accounts([ALICE, CAROL, "sip:dave@lab.test"])
    assert box.chosen_account() == CAROL  # the choice stays


def test_window_dials_from_the_account_picked(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.show()
    for account in (ALICE, CAROL):
        event = RegistrationChanged(account, RegistrationState.REGISTERED, 200)
        window.bridge.event_received.emit(event)
    qtbot.waitUntil(lambda: window.dial_box.account.count() == 2, timeout=2000)
    window.dial_box.account.setCurrentText(CAROL)
    window.dial_box.edit.setText("sip:bob@lab.test")
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        window.dial_box.submit()
    assert sent.args == [PlaceCall("sip:bob@lab.test", CAROL)]
