"""Streaming resampler: lengths add up across chunks and a tone keeps its frequency."""

from __future__ import annotations

import numpy as np
import pytest

from alexphone.media.resampler import Resampler, to_pcm, to_samples


def tone(rate: int, hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * hz * t) * 10000


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


@pytest.mark.parametrize(
    ("in_rate", "out_rate"), [(8000, 48000), (48000, 8000), (44100, 48000), (48000, 16000)]
)
def test_chunked_output_length_tracks_the_rate_ratio(in_rate: int, out_rate: int) -> None:
    resampler = Resampler(in_rate, out_rate)
    chunk = in_rate // 50
    total = sum(resampler.process(np.ones(chunk)).size for _ in range(100))
    assert abs(total - 2 * out_rate) <= 2


@pytest.mark.parametrize(("in_rate", "out_rate"), [(16000, 48000), (48000, 8000), (44100, 48000)])
def test_a_tone_keeps_its_frequency_across_chunk_joins(in_rate: int, out_rate: int) -> None:
    resampler = Resampler(in_rate, out_rate)
    signal = tone(in_rate, 1000, 1.0)
    chunk = in_rate // 50
    out = np.concatenate(
        [resampler.process(signal[i : i + chunk]) for i in range(0, signal.size, chunk)]
    )
    assert peak_hz(out, out_rate) == pytest.approx(1000, abs=5)
    # no clicks at chunk joins: the steady part is a pure sine (least-squares fit)
    steady = out[out_rate // 10 :]
    t = np.arange(steady.size) / out_rate
    basis = np.column_stack((np.sin(2 * np.pi * 1000 * t), np.cos(2 * np.pi * 1000 * t)))
    fit, *_ = np.linalg.lstsq(basis, steady, rcond=None)
    residual = steady - basis @ fit
    assert np.hypot(*fit) == pytest.approx(10000, rel=0.05)
    assert np.max(np.abs(residual)) < 0.05 * 10000


def test_downsampling_removes_what_the_new_rate_cannot_carry() -> None:
    resampler = Resampler(48000, 8000)
    out = resampler.process(tone(48000, 6000, 0.5))  # above the 4 kHz Nyquist of 8 kHz
    assert np.sqrt(np.mean(out[200:] ** 2)) < 0.05 * 10000 / np.sqrt(2)


def test_equal_rates_pass_through_and_pcm_round_trips() -> None:
    pcm = to_pcm(np.array([0.0, 1.0, -32768.0, 40000.0]))
    assert to_samples(pcm).tolist() == [0.0, 1.0, -32768.0, 32767.0]
    assert Resampler(8000, 8000).convert(pcm) == pcm
    with pytest.raises(ValueError):
        Resampler(0, 8000)
