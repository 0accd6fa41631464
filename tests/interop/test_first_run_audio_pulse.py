"""The first-run assistant's audio check through a PulseAudio null sink (pytest-qt): the
test tone and a 3 s recording go through the real sound-card path, the meter moves, the
recording plays back (and is heard again), Finish saves the devices chosen, Cancel nothing.

The null sink's monitor is the default source (lab_pulse.py), so what the speaker plays is
what the microphone hears. The window's engine finds the private server by PULSE_SERVER.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt's QApplication

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from lab import Lab
from lab_pulse import start_pulse
from pytestqt.qtbot import QtBot

from alexphone.cli import dial_check
from alexphone.engine.events import (
    AudioDevicesListed,
    Event,
    RecordingState,
    SoundRecording,
    UaReady,
)
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import PhoneSettings, audio_in_option, audio_out_option
from alexphone.gui.first_run import AudioPage, FirstRunWizard
from alexphone.gui.level_meter import FLOOR_DB
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.net.transport import ListenSpec
from alexphone.store.config import load_config
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database

pytestmark = [pytest.mark.interop, pytest.mark.needs("pulseaudio", "pactl")]

SOUNDS = Path(__file__).resolve().parents[2] / "resources" / "sounds"
WAIT_MS = 20000
DEVICE = "pulse"  # ALSA's PulseAudio plugin, a named PortAudio device


def _window(qtbot: QtBot, profile: Path) -> MainWindow:
    settings = PhoneSettings(
        listen=(ListenSpec.parse("udp:127.0.0.1:0"),),
        profile=profile,
        mdns=False,
        audio_in=audio_in_option("silence"),  # calls need no sound card; the check does
        audio_out=audio_out_option("null"),
    )
    context = WindowContext(
        profile=profile,
        database=open_database(profile / "alexphone.db"),
        runner=lambda: lambda emit, started: run_phone(settings, emit, started),
        check=dial_check(replace(settings, mdns=False)),
        passwords=PasswordStore(profile, use_keyring=False),
        sounds=SOUNDS,
    )
    window = MainWindow(context)
    qtbot.addWidget(window)
    return window


def _is(kind: type[Event]) -> Callable[[object], bool]:
    return lambda event: isinstance(event, kind)


def _ended(event: object) -> bool:
    return isinstance(event, SoundRecording) and event.state is not RecordingState.RECORDING


def _record(qtbot: QtBot, window: MainWindow, page: AudioPage) -> list[SoundRecording]:
    """Click Record and wait for its end; return every sound.recording event it brought."""
    seen: list[SoundRecording] = []
    collect = lambda e: seen.append(e) if isinstance(e, SoundRecording) else None  # noqa: E731
    window.bridge.event_received.connect(collect)
    with qtbot.waitSignal(window.bridge.event_received, timeout=WAIT_MS, check_params_cb=_ended):
        page.record.click()
    window.bridge.event_received.disconnect(collect)
    return seen


def _audio_page(qtbot: QtBot, window: MainWindow) -> tuple[FirstRunWizard, AudioPage]:
    with qtbot.waitSignal(
        window.bridge.event_received, timeout=WAIT_MS, check_params_cb=_is(AudioDevicesListed)
    ) as listed:
        wizard = window.open_first_run()
    wizard.next()  # "Use on this network only" goes straight to the audio check
    page = wizard.audio
    devices = listed.args[0]
    assert isinstance(devices, AudioDevicesListed)
    offered = [page.audio_in.itemText(i) for i in range(page.audio_in.count())]
    assert DEVICE in offered, offered  # the engine's list of sound cards reached the page
    page.audio_in.setCurrentText(DEVICE)
    page.audio_out.setCurrentText(DEVICE)
    return wizard, page


def test_audio_check_records_plays_back_and_saves_the_devices_on_finish(
    lab: Lab, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = start_pulse(lab)
    monkeypatch.setenv("PULSE_SERVER", f"unix:{env['XDG_RUNTIME_DIR']}/pulse/native")
    profile = tmp_path / "profile"
    profile.mkdir()
    window = _window(qtbot, profile)
    try:
        with qtbot.waitSignal(
            window.bridge.event_received, timeout=WAIT_MS, check_params_cb=_is(UaReady)
        ):
            window.start_engine()
        wizard, page = _audio_page(qtbot, window)

        page.tone.click()  # the ringback tone on the chosen speaker ...
        heard = _record(qtbot, window, page)  # ... is what the microphone records
        levels = [e.level_db for e in heard if e.state is RecordingState.RECORDING]
        assert heard[-1].state is RecordingState.DONE, heard[-1]
        assert len(levels) >= 10 and max(levels) > FLOOR_DB, levels  # the meter moved
        assert page.meter.db is not None and page.meter.db > FLOOR_DB
        assert page.play_back.isEnabled() and page.said.text().startswith("Recorded 3 s")
        recording = page.recording
        assert recording.stat().st_size == 44 + 2 * 48000 * 3  # 3 s, 48 kHz, 16-bit mono

        page.play_back.click()  # the recording on the speaker ...
        again = _record(qtbot, window, page)  # ... is heard by the microphone once more
        assert again[-1].state is RecordingState.DONE and again[-1].level_db > FLOOR_DB

        wizard.accept()
        config = load_config(profile)
        assert (config.audio.input, config.audio.output) == (DEVICE, DEVICE)
        assert not recording.exists()  # the check's recording is not kept
    finally:
        assert window.stop_engine(5000)


def test_cancelling_the_audio_check_saves_nothing(
    lab: Lab, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = start_pulse(lab)
    monkeypatch.setenv("PULSE_SERVER", f"unix:{env['XDG_RUNTIME_DIR']}/pulse/native")
    profile = tmp_path / "profile"
    profile.mkdir()
    window = _window(qtbot, profile)
    try:
        with qtbot.waitSignal(
            window.bridge.event_received, timeout=WAIT_MS, check_params_cb=_is(UaReady)
        ):
            window.start_engine()
        wizard, page = _audio_page(qtbot, window)
        _record(qtbot, window, page)
        recording = page.recording

        wizard.reject()

        assert not (profile / "config.toml").exists()
        assert not recording.exists()
    finally:
        assert window.stop_engine(5000)
