"""The first-run assistant: LAN only, an account checked live, the audio page; cancel saves
nothing. Engine answers are fed as the events the engine emits (the engine side is tested
against Kamailio in tests/interop/test_account_trial_kamailio.py and, with the window, in
test_first_run_kamailio.py; the audio check through PulseAudio in
test_first_run_audio_pulse.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gui_phones import dial_check
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import (
    Command,
    ListAudioDevices,
    LocateRegistrar,
    PlaySound,
    RecordSound,
    StopSound,
    TryAccount,
)
from alexphone.engine.events import (
    AccountTried,
    RecordingState,
    RegistrarLocated,
    RegistrationChanged,
    SoundRecording,
    TrialOutcome,
    UaReady,
)
from alexphone.gui.first_run import FirstRunWizard, Page
from alexphone.gui.main_window import MainWindow
from alexphone.store.config import AppConfig, load_config
from alexphone.store.contacts import Contact
from alexphone.store.credentials import PasswordStore

MakeWindow = Callable[..., MainWindow]

AOR = "sip:alice@example.com"


def _wizard(qtbot: QtBot, sent: list[Command], tones: list[str] | None = None) -> FirstRunWizard:
    tones = tones if tones is not None else []
    wizard = FirstRunWizard(AppConfig(), sent.append, dial_check(), tones.append)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_lan_only_goes_straight_to_audio_and_keeps_no_account(qtbot: QtBot) -> None:
    sent: list[Command] = []
    tones: list[str] = []
    wizard = _wizard(qtbot, sent, tones)

    assert wizard.choice.lan_only.isChecked()
    wizard.next()
    assert wizard.currentId() == Page.AUDIO
    wizard.audio.set_devices(["USB headset mic"], ["USB headset"])
    wizard.audio.audio_in.setCurrentText("USB headset mic")
    wizard.audio.tone.click()
    wizard.accept()

    assert tones == ["default"]  # the test tone plays on the speaker chosen on the page
    assert wizard.config is not None
    assert wizard.config.account.aor == "" and wizard.config.network.lan_discovery
    assert (wizard.config.audio.input, wizard.config.audio.output) == ("USB headset mic", "default")
    assert wizard.password == "" and sent == []


def test_account_page_shows_the_server_and_the_trial_in_plain_words(qtbot: QtBot) -> None:
    sent: list[Command] = []
    wizard = _wizard(qtbot, sent)
    wizard.choice.account.setChecked(True)
    wizard.next()
    page = wizard.account
    assert wizard.currentId() == Page.ACCOUNT

    page.aor.setText(AOR)
    page.aor.editingFinished.emit()
    assert sent == [LocateRegistrar("example.com")]
    wizard.event_seen(RegistrarLocated("other.org", ("udp 198.51.100.9:5060",)))  # not ours
    assert "198.51.100.9" not in page.server.text()
    wizard.event_seen(RegistrarLocated("example.com", ("udp 192.0.2.1:5060", "tcp 192.0.2.1:5060")))
    assert page.server.text() == "udp 192.0.2.1:5060, tcp 192.0.2.1:5060"

    page.password.setText("wrong")
    page.try_button.click()
    assert sent[-1] == TryAccount(AOR, "wrong")
    wizard.event_seen(AccountTried(AOR, TrialOutcome.WRONG_PASSWORD, 401, "Unauthorized"))
    assert page.result.text().startswith("Wrong password")
    page.password.setText("right")
    page.try_button.click()
    wizard.event_seen(AccountTried(AOR, TrialOutcome.REGISTERED, 200, "OK"))
    assert page.result.text().startswith("Registered")

    wizard.next()
    assert wizard.currentId() == Page.AUDIO
    wizard.accept()
    assert wizard.config is not None and wizard.config.account.aor == AOR
    assert wizard.password == "right"


def test_an_unknown_domain_and_a_bad_address_are_said_on_the_page(qtbot: QtBot) -> None:
    sent: list[Command] = []
    wizard = _wizard(qtbot, sent)
    wizard.choice.account.setChecked(True)
    wizard.next()
    page = wizard.account

    page.aor.setText("sip:alice@nowhere.test")
    page.aor.editingFinished.emit()
    wizard.event_seen(RegistrarLocated("nowhere.test", (), "no SIP server for nowhere.test"))
    assert page.server.text().startswith("No server found for nowhere.test")
    wizard.event_seen(AccountTried("sip:alice@nowhere.test", TrialOutcome.NO_SERVER, 503, ""))
    assert page.result.text() == "No server found for this domain."

    page.aor.setText("sip:alice@[::1")
    wizard.next()
    assert wizard.currentId() == Page.ACCOUNT  # refused, with the reason
    assert page.result.text()


def test_cancel_saves_nothing_and_finish_saves_config_and_password(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window()
    profile = tmp_path / "me"
    assert window.needs_first_run()

    wizard = window.open_first_run()
    wizard.choice.account.setChecked(True)
    wizard.next()
    wizard.account.aor.setText(AOR)
    wizard.account.password.setText("secret")
    wizard.reject()
    assert not (profile / "config.toml").exists()
    assert PasswordStore(profile, use_keyring=False).get(AOR) is None

    wizard = window.open_first_run()
    wizard.choice.account.setChecked(True)
    wizard.next()
    wizard.account.aor.setText(AOR)
    wizard.account.password.setText("secret")
    wizard.next()
    wizard.accept()
    assert load_config(profile).account.aor == AOR
    assert window.passwords.get(AOR) == "secret"
    assert not window.needs_first_run()


def test_a_profile_with_contacts_is_not_new(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.models.contact_store.add(Contact(name="Bob", uri="sip:bob@example.com"))

    assert not window.needs_first_run()


def test_the_assistant_asks_the_engine_for_sound_cards(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    sent: list[object] = []
    window.command_sent.connect(sent.append)

    window.first_run_action.trigger()

    assert ListAudioDevices() in sent


def test_the_audio_check_records_and_plays_back_what_the_engine_recorded(qtbot: QtBot) -> None:
    sent: list[Command] = []
    wizard = _wizard(qtbot, sent)
    wizard.next()
    page = wizard.audio
    page.set_devices(["USB headset mic"], ["USB headset"])
    page.audio_in.setCurrentText("USB headset mic")
    page.audio_out.setCurrentText("USB headset")
    path = str(page.recording)

    page.record.click()
    assert sent == [RecordSound(path, "USB headset mic", 3.0)]
    assert not page.record.isEnabled() and not page.play_back.isEnabled()
    wizard.event_seen(SoundRecording("/elsewhere.wav", RecordingState.RECORDING, -3.0, 0.1))
    assert page.meter.db is None  # not this check's recording
    wizard.event_seen(SoundRecording(path, RecordingState.RECORDING, -20.0, 0.1))
    assert page.meter.db == -20.0
    wizard.event_seen(SoundRecording(path, RecordingState.DONE, -12.0, 3.0))
    assert page.said.text().startswith("Recorded 3 s") and page.play_back.isEnabled()
    page.play_back.click()
    assert sent[-1] == PlaySound(path, "USB headset")


def test_a_silent_or_failed_recording_is_said_and_offers_no_play_back(qtbot: QtBot) -> None:
    wizard = _wizard(qtbot, [])
    wizard.next()
    page = wizard.audio
    path = str(page.recording)
    page.record.click()
    wizard.event_seen(SoundRecording(path, RecordingState.DONE, -100.0, 3.0))
    assert page.said.text().startswith("Nothing was heard") and not page.play_back.isEnabled()
    page.record.click()
    wizard.event_seen(SoundRecording(path, RecordingState.FAILED, -100.0, 0.0))
    assert page.said.text().startswith("Could not record") and page.record.isEnabled()


def test_cancelling_during_a_recording_stops_it_and_keeps_no_file(qtbot: QtBot) -> None:
    sent: list[Command] = []
    wizard = _wizard(qtbot, sent)
    wizard.next()
    page = wizard.audio
    page.recording.write_bytes(b"RIFF")  # as the engine would have begun writing it
    page.record.click()

    wizard.reject()

    assert sent[-1] == StopSound()
    assert not page.recording.exists() and not page.recording.parent.exists()
    assert wizard.config is None


def test_lan_only_finish_saves_discovery_on_and_no_account_then_restarts_the_engine(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window()
    seen: list[object] = []
    window.bridge.event_received.connect(seen.append)
    with qtbot.waitSignal(window.bridge.event_received, timeout=5000, check_params_cb=_is_ready):
        window.start_engine()
    first_engine = window.engine
    wizard = window.open_first_run()
    assert wizard.choice.lan_only.isChecked()  # the default: works with no server
    wizard.next()
    assert wizard.currentId() == Page.AUDIO

    with qtbot.waitSignal(window.bridge.event_received, timeout=5000, check_params_cb=_is_ready):
        wizard.accept()  # Finish: saved, and the engine starts again on the new config

    config = load_config(tmp_path / "me")
    assert config.account.aor == "" and config.network.lan_discovery
    assert window.engine is not first_engine
    assert not any(isinstance(e, RegistrationChanged) for e in seen)  # nothing to register
    assert not window.needs_first_run()  # not asked again at the next start


def _is_ready(event: object) -> bool:
    return isinstance(event, UaReady)
