"""The long linear echo filter and the choice between its residual and AEC3's output."""

from __future__ import annotations

import numpy as np

from alexphone.media.echo_filter import EchoChoice, FilterConfig, LinearEchoFilter

BLOCK = 160  # 10 ms at 16 kHz


def echo_path(seed: int) -> np.ndarray:
    """A 250 ms decaying random impulse response after 30 ms of delay, at -6 dB."""
    rng = np.random.default_rng(seed)
    tail = rng.standard_normal(4000) * np.exp(-6.91 * np.arange(4000) / 4000)
    return np.concatenate((np.zeros(480), 0.5 * tail / np.sqrt(np.sum(tail**2))))


def run(
    echo_filter: LinearEchoFilter, far: np.ndarray, near: np.ndarray
) -> tuple[np.ndarray, list[bool]]:
    """Feed ``far`` and ``near`` + the echo of ``far`` block by block; (residual, talk flags)."""
    mic = np.convolve(far, echo_path(1))[: far.size] + near
    out, talking = [], []
    for start in range(0, far.size, BLOCK):
        block = slice(start, start + BLOCK)
        out.append(echo_filter.process(mic[block], far[block]))
        talking.append(echo_filter.near_talk)
    return np.concatenate(out), talking


def energy_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples**2) + 1e-9))


def test_the_filter_learns_an_echo_path_longer_than_aec3s_span() -> None:
    far = np.random.default_rng(2).standard_normal(16000 * 8) * 3000
    echo = np.convolve(far, echo_path(1))[: far.size]
    residual, talking = run(
        LinearEchoFilter(FilterConfig(BLOCK, parts=32)), far, np.zeros(far.size)
    )
    last = slice(-16000, None)
    assert energy_db(echo[last]) - energy_db(residual[last]) > 30.0
    assert not any(talking[-100:])  # the far end alone is not taken for a talker


def test_double_talk_neither_reaches_the_foreground_nor_passes_unnoticed() -> None:
    rng = np.random.default_rng(3)
    far = rng.standard_normal(16000 * 10) * 3000
    near = np.zeros(far.size)
    near[16000 * 8 :] = rng.standard_normal(16000 * 2) * 3000  # the near end starts at 8 s
    echo_filter = LinearEchoFilter(FilterConfig(BLOCK, parts=32))
    residual, talking = run(echo_filter, far, near)
    echo = np.convolve(far, echo_path(1))[: far.size]
    during = slice(16000 * 8, None)
    # what is left beside the talker is still the echo cancelled by more than 25 dB
    assert energy_db(echo[during]) - energy_db(residual[during] - near[during]) > 25.0
    assert sum(talking[-200:]) >= 190
    assert echo_filter.erle > FilterConfig(BLOCK).trust


def test_the_choice_takes_the_quieter_output_and_the_residual_while_the_near_end_talks() -> None:
    choice = EchoChoice(4)
    loud, quiet = np.full(4, 100.0), np.full(4, 1.0)
    ramp = np.array([0.125, 0.375, 0.625, 0.875])  # a cross-fade over the block
    assert np.allclose(choice.mix(quiet, loud, near_talk=False), 100 - 99 * ramp)
    assert np.array_equal(choice.mix(quiet, loud, near_talk=False), quiet)
    assert np.allclose(choice.mix(loud, quiet, near_talk=False)[-1:], [1 + 99 * 0.125])
    assert np.array_equal(choice.mix(loud, quiet, near_talk=False), quiet)
    assert np.isclose(choice.mix(loud, quiet, near_talk=True)[0], 1 + 99 * 0.125)
    assert np.array_equal(choice.mix(loud, quiet, near_talk=True), loud)
    assert choice.linear_blocks == 4
