"""Arrival delay histogram: quantile of jitter, drift tracking, timeline jumps, spikes."""

from __future__ import annotations

import random

import pytest

from alexphone.rtp.arrival_delay import ArrivalDelay


def test_steady_arrivals_need_no_extra_delay() -> None:
    delay = ArrivalDelay()
    for _ in range(100):
        delay.observe(0.030)
    assert delay.target() == pytest.approx(0.030)
    assert delay.quantile_delay() == 0.0


def test_the_quantile_covers_all_but_the_slowest_few_percent() -> None:
    rng = random.Random(1)
    delay = ArrivalDelay()
    for _ in range(3000):
        delay.observe(rng.uniform(0.0, 0.040))
    # relative to the mean (20 ms) the 95th percentile of U(0, 40 ms) is 18 ms
    assert 0.015 <= delay.quantile_delay() <= 0.020
    assert delay.jumps == 0


def test_rare_late_bursts_are_remembered() -> None:
    delay = ArrivalDelay()
    for i in range(1000):
        delay.observe(0.060 if i % 10 == 0 else 0.0)  # one packet in ten 60 ms late
    assert delay.quantile_delay() == pytest.approx(0.054, abs=0.003)  # above the 6 ms mean


def test_the_reference_follows_clock_drift() -> None:
    delay = ArrivalDelay()
    for i in range(30000):  # 300 ppm over 10 minutes of 20 ms packets: 180 ms
        delay.observe(i * 0.020 * 300e-6)
    reference = delay.reference
    assert reference is not None and reference == pytest.approx(0.18, abs=0.002)
    assert delay.quantile_delay() <= 0.001
    assert delay.jumps == 0


@pytest.mark.parametrize("shift", [-0.5, 0.2, 5.0])
def test_a_timeline_jump_restarts_the_reference_without_polluting_the_histogram(
    shift: float,
) -> None:
    delay = ArrivalDelay()
    for _ in range(100):
        delay.observe(0.010)
    for _ in range(10):
        delay.observe(0.010 + shift)
    assert delay.jumps == 1
    assert delay.target() == pytest.approx(0.010 + shift, abs=0.002)


def test_a_burst_after_a_stall_is_jitter_not_a_jump() -> None:
    delay = ArrivalDelay()
    for i in range(1, 401):
        # every second the sender stalls 120 ms and then sends the held packets at once
        late = 0.120 - 0.020 * (i % 50) if i % 50 < 6 else 0.0
        delay.observe(late)
    assert delay.jumps == 0
    assert delay.quantile_delay() >= 0.040
