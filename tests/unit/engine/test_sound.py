"""The engine's sound controller: PlaySound on a named output, once or looped, errors as events."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from phone_pair import run

from alexphone.engine.events import ErrorReported, ErrorSource, Event
from alexphone.engine.sound import RATE, SoundController
from alexphone.media.audio_device import PortAudio
from alexphone.media.audio_endpoint import WavSink
from alexphone.media.resampler import to_pcm
from alexphone.media.sound_player import TICK_SECONDS


def clip_file(path: Path, seconds: float) -> Path:
    sink = WavSink(path, RATE)
    sink.write(to_pcm(np.full(round(seconds * RATE), 1234.0)))
    sink.close()
    return path


def read_samples(path: Path) -> np.ndarray:
    return np.frombuffer(path.read_bytes()[44:], dtype="<i2")


def test_a_single_sound_plays_to_the_named_output_then_stops(tmp_path: Path) -> None:
    events: list[Event] = []

    async def scenario() -> None:
        sounds = SoundController(PortAudio(), events.append)
        sounds.play(str(clip_file(tmp_path / "tone.wav", 0.1)), f"file:{tmp_path}/out.wav", False)
        assert not sounds.finished.is_set()
        await sounds.finished.wait()

    run(scenario())
    played = read_samples(tmp_path / "out.wav")
    assert np.count_nonzero(played == 1234) == round(0.1 * RATE)
    assert played.size % round(TICK_SECONDS * RATE) == 0  # whole ticks, the drain in silence
    assert events == []


def test_a_repeating_sound_loops_until_stopped(tmp_path: Path) -> None:
    async def scenario() -> None:
        sounds = SoundController(PortAudio(), lambda e: None)
        sounds.play(str(clip_file(tmp_path / "tone.wav", 0.02)), f"file:{tmp_path}/out.wav", True)
        asyncio.get_running_loop().call_later(5 * TICK_SECONDS, sounds.stop)
        await sounds.finished.wait()

    run(scenario())
    played = read_samples(tmp_path / "out.wav")
    assert played.size >= 4 * round(TICK_SECONDS * RATE)  # ticks missed meanwhile are caught up
    assert np.all(played == 1234)  # round after round, no gap


def test_a_missing_file_or_bad_device_is_one_error_event(tmp_path: Path) -> None:
    events: list[Event] = []

    async def scenario() -> None:
        sounds = SoundController(PortAudio(), events.append)
        sounds.play(str(tmp_path / "missing.wav"), "default", True)
        sounds.play(str(clip_file(tmp_path / "t.wav", 0.02)), "tone:440", False)
        assert sounds.finished.is_set()

    run(scenario())
    assert [type(e) for e in events] == [ErrorReported, ErrorReported]
    assert all(isinstance(e, ErrorReported) and e.where is ErrorSource.SOUND for e in events)
