"""Audio: device lists from the engine, the test tone, level meters fed by audio.level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from gui_phones import dial_check, loopback_settings
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.engine.events import AudioLevel, CallChanged, CallState, Direction
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import audio_in_option
from alexphone.gui.main_window import MainWindow
from alexphone.gui.settings_dialog import SettingsDialog
from alexphone.store.config import AppConfig
from alexphone.store.credentials import PasswordStore
from conftest import PeerPhone

WindowFactory = Callable[..., MainWindow]


def test_device_lists_fill_the_combos_and_keep_the_choice(qtbot: QtBot, tmp_path: Path) -> None:
    played: list[str] = []
    dialog = SettingsDialog(
        AppConfig(),
        PasswordStore(tmp_path, use_keyring=False),
        dial_check(),
        test_tone=lambda device: played.append(device) or True,
    )
    qtbot.addWidget(dialog)
    dialog.audio_in.setCurrentText("USB mic")
    dialog.set_devices(("Built-in", "USB mic"), ("Speakers", "HDMI"))
    inputs = [dialog.audio_in.itemText(i) for i in range(dialog.audio_in.count())]
    outputs = [dialog.ringer.itemText(i) for i in range(dialog.ringer.count())]
    assert inputs == ["default", "Built-in", "USB mic"]
    assert outputs == ["default", "Speakers", "HDMI"]
    assert dialog.audio_in.currentText() == "USB mic"
    dialog.audio_out.setCurrentText("HDMI")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert played == ["HDMI"] and dialog.test_result.text() == "Playing…"  # the chosen speaker
    dialog.show_level("c-1", -20.0, -90.0)
    assert dialog.input_meter.value() == 67


def test_audio_level_events_move_the_call_meters_and_stay_out_of_the_log(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.bridge.forward(CallChanged("c-1", Direction.OUT, "sip:bob@x", CallState.CONFIRMED))
    lines = window.log.rowCount()
    window.bridge.forward(AudioLevel("c-1", -12.0, -100.0))
    panel = window.call_panel
    qtbot.waitUntil(lambda: panel.input_meter.db == -12.0, timeout=1000)
    assert panel.input_meter.value() == 80 and panel.output_meter.value() == 0
    assert window.log.rowCount() == lines
    window.bridge.forward(AudioLevel("other", -3.0, -3.0))  # not the call shown
    window.bridge.forward(CallChanged("c-1", Direction.OUT, "sip:bob@x", CallState.ENDED, 200))
    qtbot.waitUntil(lambda: panel.input_meter.db is None, timeout=1000)


def test_a_real_call_reports_the_microphone_level(
    qtbot: QtBot, make_window: WindowFactory, peer_phone: PeerPhone, tmp_path: Path
) -> None:
    settings = replace(
        loopback_settings(tmp_path / "me"),
        log_sip=True,
        audio_levels=True,
        audio_in=audio_in_option("tone:440"),
    )
    window = make_window(runner=lambda: lambda emit, ok: run_phone(settings, emit, ok))
    window.start_engine()
    window.place_call(peer_phone.uri())
    with qtbot.waitSignal(
        window.dispatcher.levels_changed,
        timeout=8000,
        check_params_cb=lambda _c, level_in, _o: level_in > -40.0,
    ):
        pass
    qtbot.waitUntil(lambda: (window.call_panel.input_meter.db or -100.0) > -40.0, timeout=2000)
