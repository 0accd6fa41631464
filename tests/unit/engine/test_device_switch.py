"""Switching the microphone or speaker: later calls start on it, bad names are one error."""

from __future__ import annotations

import random
from pathlib import Path

from alexphone.engine.call_media import MediaController
from alexphone.engine.events import DeviceKind, ErrorReported, Event
from alexphone.engine.settings import PhoneSettings
from alexphone.media.audio_spec import AudioKind


def test_a_switch_is_kept_for_later_calls_and_bad_names_are_errors(tmp_path: Path) -> None:
    events: list[Event] = []
    media = MediaController(PhoneSettings(profile=tmp_path), events.append, random.Random(1))
    media.switch_device(DeviceKind.INPUT, "USB mic")
    media.switch_device(DeviceKind.OUTPUT, "default")
    assert (media.audio_in.kind, media.audio_in.device) == (AudioKind.DEVICE, "USB mic")
    assert (media.audio_out.kind, media.audio_out.device) == (AudioKind.DEVICE, "")
    media.switch_device(DeviceKind.INPUT, "tone:440")  # not a sound card
    media.switch_device(DeviceKind.OUTPUT, "silence")  # not an output at all
    assert [type(e) for e in events] == [ErrorReported, ErrorReported]
    assert media.audio_in.device == "USB mic"  # unchanged by the refused ones
