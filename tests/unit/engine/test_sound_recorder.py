"""The audio check's recorder: RecordSound fills a WAV of the asked length from the named
microphone, reports the level every 100 ms and then its end; trouble is an error event."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from phone_pair import run

from alexphone.engine.events import (
    ErrorReported,
    Event,
    RecordingState,
    SoundRecording,
)
from alexphone.engine.sound_recorder import RATE, SoundRecorder
from alexphone.media.audio_device import PortAudio


def _record(
    path: Path, device: str, seconds: float, stop_after: float | None = None
) -> list[Event]:
    events: list[Event] = []

    async def scenario() -> None:
        ended = asyncio.Event()

        def emit(event: Event) -> None:
            events.append(event)
            if isinstance(event, SoundRecording) and event.state is not RecordingState.RECORDING:
                ended.set()

        recorder = SoundRecorder(PortAudio(), emit)
        recorder.record(str(path), device, seconds)
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, recorder.stop)
        await ended.wait()

    run(scenario())
    return events


def test_a_recording_has_the_asked_length_and_its_levels(tmp_path: Path) -> None:
    path = tmp_path / "check.wav"
    events = _record(path, "tone:440", 0.3)

    samples = np.frombuffer(path.read_bytes()[44:], dtype="<i2")
    assert samples.size == round(0.3 * RATE)
    assert np.abs(samples).max() > 1000  # the tone is in the file
    states = [e.state for e in events if isinstance(e, SoundRecording)]
    assert states == [RecordingState.RECORDING] * 3 + [RecordingState.DONE]  # every 100 ms
    done = events[-1]
    assert isinstance(done, SoundRecording) and done.seconds == 0.3 and done.path == str(path)
    assert done.level_db > -30  # the loudest 100 ms: a tone, not silence


def test_silence_is_recorded_as_silence(tmp_path: Path) -> None:
    events = _record(tmp_path / "quiet.wav", "silence", 0.1)
    done = events[-1]
    assert isinstance(done, SoundRecording) and done.state is RecordingState.DONE
    assert done.level_db == -100.0


def test_stopping_early_keeps_what_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    events = _record(path, "tone:440", 10.0, stop_after=0.1)
    done = events[-1]
    assert isinstance(done, SoundRecording) and done.state is RecordingState.DONE
    assert 0 < done.seconds < 10.0
    assert path.stat().st_size == 44 + 2 * round(done.seconds * RATE)


def test_an_unwritable_file_fails_with_an_error_event(tmp_path: Path) -> None:
    events = _record(tmp_path / "no-such-dir" / "x.wav", "tone:440", 0.1)
    assert [type(e) for e in events] == [ErrorReported, SoundRecording]
    assert isinstance(events[-1], SoundRecording) and events[-1].state is RecordingState.FAILED
