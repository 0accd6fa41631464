"""Synthetic endpoints: tone, silence, WAV in (any rate, stereo) and WAV out (always valid)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from alexphone.core.errors import ConfigError
from alexphone.media.audio_endpoint import (
    BeepSource,
    NullSink,
    SilenceSource,
    ToneSource,
    WavSink,
    WavSource,
    open_synthetic_sink,
    open_synthetic_source,
)
from alexphone.media.audio_spec import parse_audio_in, parse_audio_out
from alexphone.media.resampler import to_samples


def write_wav(path: Path, rate: int, samples: np.ndarray, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())


def test_tone_is_phase_continuous_at_the_asked_frequency() -> None:
    source = ToneSource(8000, 1000)
    samples = np.concatenate([to_samples(source.read(160)) for _ in range(50)])
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 8000 / samples.size == pytest.approx(1000, abs=1)
    assert np.max(np.abs(np.diff(samples))) < 2 * np.pi * 1000 / 8000 * 8192 * 1.01


@pytest.mark.parametrize("hz", [440, 600, 440.5])
def test_tone_is_the_same_sine_whatever_the_read_sizes(hz: float) -> None:
    # integer frequencies come from a table of whole periods; any read size joins up
    source = ToneSource(48000, hz)
    sizes = [960] * 30 + [7, 48000, 960, 13] * 3
    got = np.concatenate([to_samples(source.read(n)) for n in sizes])
    want = np.rint(np.sin(2 * np.pi * hz / 48000 * np.arange(got.size)) * 0.25 * 32767)
    assert got.size == sum(sizes)
    assert np.max(np.abs(got - want)) <= 1


def test_silence_and_null() -> None:
    assert SilenceSource(8000).read(160) == bytes(320)
    sink = NullSink(8000)
    sink.write(bytes(320))
    assert sink.samples == 160


def test_wav_source_resamples_mixes_down_then_pads_with_silence(tmp_path: Path) -> None:
    path = tmp_path / "in.wav"
    t = np.arange(1600) / 16000
    left = np.sin(2 * np.pi * 500 * t) * 8000
    write_wav(path, 16000, np.column_stack((left, left)).reshape(-1), channels=2)
    source = WavSource(path, 48000)
    frames = [to_samples(source.read(960)) for _ in range(8)]  # 160 ms, file is 100 ms
    assert all(f.size == 960 for f in frames)
    assert np.max(np.abs(frames[1])) == pytest.approx(8000, rel=0.05)
    assert source.finished and not frames[-1].any()
    source.close()


def test_wav_sink_header_is_valid_after_every_write(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    sink = WavSink(path, 8000)
    sink.write(bytes(range(160)) * 2)
    with wave.open(str(path), "rb") as wav:  # not closed yet, still readable
        assert (wav.getframerate(), wav.getnframes()) == (8000, 160)
    sink.write(bytes(320))
    sink.close()
    with wave.open(str(path), "rb") as wav:
        assert wav.getnframes() == 320
        assert wav.readframes(160) == bytes(range(160)) * 2


def test_factories_and_their_errors(tmp_path: Path) -> None:
    assert isinstance(open_synthetic_source(parse_audio_in("tone:300"), 8000), ToneSource)
    assert isinstance(open_synthetic_sink(parse_audio_out("null"), 8000), NullSink)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav file")
    with pytest.raises(ConfigError, match="cannot read"):
        open_synthetic_source(parse_audio_in(f"file:{bad}"), 8000)
    with pytest.raises(ConfigError):
        open_synthetic_source(parse_audio_in("default"), 8000)


def test_the_call_waiting_cue_is_two_soft_beeps_then_a_pause() -> None:
    rate = 8000
    cue = BeepSource(rate)
    samples = np.frombuffer(b"".join(cue.read(160) for _ in range(150)), dtype="<i2")
    on = np.abs(samples.astype(float)).reshape(-1, 160).max(axis=1) > 0  # per 20 ms
    assert on[:10].all() and not on[10:20].any() and on[20:30].all() and not on[30:150].any()
    assert np.abs(samples).max() < 0.11 * 32767  # softer than a tone source's 0.25
