"""The ringer asks the engine to play sounds on the devices chosen in Settings."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from alexphone.engine.commands import Command, PlaySound, StopSound
from alexphone.gui.ringer import Ringer
from alexphone.store.config import AppConfig, AudioConfig, save_config


def test_ringtone_goes_to_the_ringer_device_ringback_to_the_speaker(
    qtbot: QtBot, tmp_path: Path
) -> None:
    del qtbot  # the Qt application
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    for name in ("ringtone", "ringback"):
        (sounds / f"{name}.wav").write_bytes(b"RIFF")
    save_config(tmp_path, AppConfig(audio=AudioConfig(output="Speakers", ringer="USB")))
    sent: list[Command] = []
    ringer = Ringer(sounds, sent.append, tmp_path)

    ringer.start("ringtone")
    assert ringer.playing
    ringer.start("ringback")
    ringer.stop()
    ringer.stop()  # nothing playing: nothing sent
    assert not ringer.playing
    assert ringer.play_once("ringback", "HDMI")
    assert not ringer.play_once("busy-signal", "HDMI")  # no such sound
    assert sent == [
        PlaySound(str(sounds / "ringtone.wav"), "USB", repeat=True),
        StopSound(),
        PlaySound(str(sounds / "ringback.wav"), "Speakers", repeat=True),
        StopSound(),
        PlaySound(str(sounds / "ringback.wav"), "HDMI"),
    ]
