"""A phone starts PortAudio on a worker thread at start-up, and only if it uses a sound card,
and rescans the sound cards on one: at the first call, or at a hot-plug rescan, on the engine
loop, it stalled a loaded machine long enough for callers to retransmit their INVITEs
unanswered."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from alexphone.engine.call_media import MediaController
from alexphone.engine.events import AudioDevicesListed, Event
from alexphone.engine.settings import PhoneSettings
from alexphone.media.audio_device import AudioDevice, PortAudio
from alexphone.media.audio_spec import EchoControl, parse_audio_in, parse_audio_out


class RecordingPortAudio(PortAudio):
    """PortAudio that records which thread started it instead of starting."""

    def __init__(self) -> None:
        super().__init__()
        self.starters: list[threading.Thread] = []

    def session(self) -> Any:
        self.starters.append(threading.current_thread())
        return object()

    def refresh(self) -> list[AudioDevice]:
        self.starters.append(threading.current_thread())
        return [AudioDevice(0, "USB headset", 1, 2, 48000)]


def prepared(settings: PhoneSettings) -> list[threading.Thread]:
    media = MediaController(settings, lambda _: None, random.Random(1))
    audio = media.audio = RecordingPortAudio()
    asyncio.run(media.prepare())
    return audio.starters


def test_a_sound_card_phone_starts_portaudio_once_off_the_loop(tmp_path: Path) -> None:
    starters = prepared(PhoneSettings(profile=tmp_path, echo_cancel=EchoControl.OFF))

    assert len(starters) == 1
    assert starters[0] is not threading.main_thread()


@pytest.mark.parametrize(("audio_in", "audio_out"), [("tone:440", "null"), ("silence", "null")])
def test_a_phone_without_sound_cards_never_starts_portaudio(
    tmp_path: Path, audio_in: str, audio_out: str
) -> None:
    settings = PhoneSettings(
        profile=tmp_path, audio_in=parse_audio_in(audio_in), audio_out=parse_audio_out(audio_out)
    )

    assert prepared(settings) == []


def test_a_rescan_restarts_portaudio_off_the_loop_and_then_lists_the_devices(
    tmp_path: Path,
) -> None:
    audio = RecordingPortAudio()

    async def main() -> list[Event]:
        events: list[Event] = []
        listed = asyncio.Event()

        def emit(event: Event) -> None:
            events.append(event)
            listed.set()

        media = MediaController(PhoneSettings(profile=tmp_path), emit, random.Random(1))
        media.audio = audio
        media.list_devices()
        await asyncio.wait_for(listed.wait(), 10)
        return events

    events = asyncio.run(main())

    assert events == [AudioDevicesListed(("USB headset",), ("USB headset",))]
    assert len(audio.starters) == 1
    assert audio.starters[0] is not threading.main_thread()
