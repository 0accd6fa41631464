"""Picking the microphone or speaker during a call: the engine is told, the choice is kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from alexphone.engine.commands import SwitchAudioDevice
from alexphone.engine.events import DeviceKind
from alexphone.gui.device_picker import DevicePicker
from alexphone.gui.main_window import MainWindow
from alexphone.store.config import AppConfig, AudioConfig, load_config, save_config


def test_a_picked_speaker_is_announced_and_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    save_config(tmp_path, AppConfig(audio=AudioConfig(input="USB mic")))
    picker = DevicePicker(tmp_path)
    qtbot.addWidget(picker)
    assert picker.microphone.currentText() == "USB mic"  # from the saved config
    picker.set_devices(("Built-in", "USB mic"), ("Speakers", "Headset"))
    assert picker.microphone.currentText() == "USB mic"
    index = picker.speaker.findText("Headset")
    picker.speaker.setCurrentIndex(index)
    with qtbot.waitSignal(picker.device_chosen) as chosen:
        picker.speaker.activated.emit(index)
    assert chosen.args == [DeviceKind.OUTPUT, "Headset"]
    audio = load_config(tmp_path).audio
    assert (audio.input, audio.output) == ("USB mic", "Headset")


def test_the_call_panel_switches_the_engine_device(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    picker = window.call_panel.devices
    picker.set_devices(("Built-in",), ("Speakers",))
    index = picker.microphone.findText("Built-in")
    picker.microphone.setCurrentIndex(index)
    with qtbot.waitSignal(window.command_sent) as sent:
        picker.microphone.activated.emit(index)
    assert sent.args == [SwitchAudioDevice(DeviceKind.INPUT, "Built-in")]
