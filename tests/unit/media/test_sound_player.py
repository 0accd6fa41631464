"""The sound player: a clip at the sink's rate, 20 ms per tick, looped or once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alexphone.core.errors import ConfigError
from alexphone.media.audio_endpoint import WavSink
from alexphone.media.resampler import to_pcm, to_samples
from alexphone.media.sound_player import SoundPlayer, load_clip


class ListSink:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frames: list[bytes] = []
        self.closed = False

    def write(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    def close(self) -> None:
        self.closed = True


def wav(path: Path, rate: int, samples: np.ndarray) -> Path:
    sink = WavSink(path, rate)
    sink.write(to_pcm(samples))
    sink.close()
    return path


def test_a_clip_is_read_whole_and_converted_to_the_rate(tmp_path: Path) -> None:
    path = wav(tmp_path / "c.wav", 8000, np.full(4000, 1000.0))  # 0.5 s at 8 kHz
    clip = to_samples(load_clip(path, 16000))
    assert clip.size == 8000  # 0.5 s at 16 kHz
    assert clip[4000] == pytest.approx(1000, abs=2)


def test_an_unreadable_clip_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    with pytest.raises(ConfigError):
        load_clip(tmp_path / "bad.wav", 16000)


def test_a_repeating_clip_wraps_without_a_gap() -> None:
    sink = ListSink(8000)
    clip = to_pcm(np.arange(200, dtype=np.float64))  # 25 ms: wraps inside the second frame
    player = SoundPlayer(sink, clip, repeat=True)
    for _ in range(5):
        player.tick()
    played = to_samples(b"".join(sink.frames))
    assert played.size == 5 * 160
    assert list(played[:400]) == list(range(200)) * 2
    assert not player.done


def test_a_single_clip_ends_in_silence_and_says_done() -> None:
    sink = ListSink(8000)
    player = SoundPlayer(sink, to_pcm(np.full(200, 7.0)), repeat=False)
    player.tick()
    assert not player.done
    player.tick()
    player.tick()
    assert player.done
    played = to_samples(b"".join(sink.frames))
    assert played.size == 480 and np.all(played[:200] == 7) and np.all(played[200:] == 0)
    player.close()
    assert sink.closed
