"""Time-scale modification: one pitch period out or in, only where nobody hears the splice."""

from __future__ import annotations

import numpy as np
import pytest

from alexphone.media.time_stretch import accelerate, expand, find_period

RATE = 16000


def voiced(seconds: float, f0: float, rate: int = RATE) -> np.ndarray:
    """A vowel-like periodic signal: a fundamental and two harmonics."""
    t = np.arange(round(seconds * rate)) / rate
    return 6000 * (np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t + 1)
                   + 0.3 * np.sin(6 * np.pi * f0 * t + 2))  # fmt: skip


def noise(seconds: float, level: float, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, level, round(seconds * RATE))


@pytest.mark.parametrize(("f0", "rate"), [(100.0, 16000), (200.0, 8000), (125.0, 48000)])
def test_find_period_finds_the_pitch(f0: float, rate: int) -> None:
    x = voiced(0.03, f0, rate)
    period, score = find_period(x, rate, round(0.0025 * rate), round(0.015 * rate))
    assert score > 0.99
    assert period % round(rate / f0) == 0 or abs(period - rate / f0) <= 1


def test_accelerate_removes_one_period_of_a_voiced_segment_smoothly() -> None:
    future = voiced(0.020, 200.0)
    result = accelerate(future, RATE)
    assert result is not None and not result.quiet
    assert result.change in (-80, -160)  # one or two periods of 5 ms
    assert result.samples.size == future.size + result.change
    # the result is still the same waveform, continued: no discontinuity anywhere
    assert np.max(np.abs(np.diff(result.samples))) <= 1.05 * np.max(np.abs(np.diff(future)))
    shifted = future[-result.change :][: result.samples.size]
    assert np.max(np.abs(result.samples[-40:] - shifted[-40:])) < 1.0


def test_expand_repeats_the_period_just_played() -> None:
    signal = voiced(0.050, 150.0)
    history, future = signal[:480], signal[480:800]
    result = expand(history, future, RATE)
    assert result is not None and result.change > 0
    assert result.samples.size == future.size + result.change
    joined = np.concatenate((history, result.samples))
    assert np.max(np.abs(np.diff(joined))) <= 1.05 * np.max(np.abs(np.diff(signal)))


def test_pause_only_stretches_refuse_a_vowel_but_not_a_pause() -> None:
    signal = voiced(0.050, 150.0)
    assert expand(signal[:480], signal[480:800], RATE, voiced=False) is None
    assert accelerate(signal[480:800], RATE, voiced=False) is None
    quiet = noise(0.040, 20.0)
    result = expand(quiet[:320], quiet[320:], RATE, voiced=False)
    assert result is not None and result.quiet


def test_noise_like_speech_is_left_alone() -> None:
    future = noise(0.020, 3000.0)
    assert accelerate(future, RATE) is None
    assert expand(noise(0.03, 3000.0, seed=2), future, RATE) is None


def test_a_pause_is_stretched_by_the_longest_period() -> None:
    quiet = noise(0.040, 20.0)
    result = accelerate(quiet, RATE)
    assert result is not None and result.quiet and result.change == -240
    result = expand(quiet[:320], quiet[320:], RATE)
    assert result is not None and result.quiet and result.change == 240


def test_too_little_audio_is_not_stretched() -> None:
    assert accelerate(voiced(0.004, 200.0), RATE) is None
    assert expand(np.zeros(0), voiced(0.02, 200.0), RATE) is None
