"""Jitter buffer under scripted traces: reorder, loss, duplicates, late packets, jitter, drift."""

from __future__ import annotations

import random

import pytest

from alexphone.core.clock import FakeClock
from alexphone.rtp.jitter_buffer import (
    Frame,
    JitterBuffer,
    JitterBufferConfig,
    Missing,
    MissingReason,
    Payload,
)
from alexphone.rtp.packet import RtpPacket

FRAME = 0.020
RATE = 8000
SAMPLES = 160


def pkt(seq: int, *, first_seq: int = 0, first_ts: int = 0, ssrc: int = 7) -> RtpPacket:
    index = seq - first_seq
    return RtpPacket(
        0, seq % 65536, (first_ts + SAMPLES * index) % (1 << 32), ssrc, index.to_bytes(4, "big")
    )


def run(
    jb: JitterBuffer, arrivals: list[tuple[float, RtpPacket]], until: float, period: float = FRAME
) -> list[Frame]:
    """Feed arrivals in time order and pop every ``period`` on a fake clock."""
    clock = FakeClock(0.0)
    pending = sorted(arrivals, key=lambda a: a[0])
    frames: list[Frame] = []
    while clock() < until:
        frames.append(jb.pop(clock()))
        # deliver packets that arrive between ticks at their own arrival time
        next_tick = clock() + period
        while pending and pending[0][0] < next_tick:
            at, packet = pending.pop(0)
            jb.put(packet, at)
        clock.advance(period)
    return frames


def played(frames: list[Frame]) -> list[int]:
    return [f.packet.sequence for f in frames if isinstance(f, Payload)]


def regular(count: int, offset: float = 0.005, **kw: int) -> list[tuple[float, RtpPacket]]:
    first = kw.get("first_seq", 0)
    return [(offset + FRAME * i, pkt(first + i, **kw)) for i in range(count)]


def test_in_order_stream_starts_after_initial_delay_and_never_misses() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, regular(100), until=2.2)
    first = next(i for i, f in enumerate(frames) if isinstance(f, Payload))
    assert all(f == Missing(None, MissingReason.WAIT) for f in frames[:first])
    assert 0.040 <= first * FRAME - 0.005 < 0.040 + FRAME  # ~40 ms initial delay
    stats = jb.stats()
    assert (stats.lost, stats.late, stats.duplicates) == (0, 0, 0)
    # the delay walks down from 40 ms towards the 20 ms floor by skipping at most one frame
    assert stats.dropped <= 1
    assert len(played(frames)) + stats.dropped == 100
    assert played(frames) == sorted(played(frames))
    assert jb.target_delay < 0.040


def test_reordered_packets_come_out_in_order() -> None:
    arrivals = regular(50)
    for seq in (10, 20, 30):
        at, packet = arrivals[seq]
        arrivals[seq] = (at + 0.025, packet)  # arrives after its successor
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1.5)
    assert played(frames) == list(range(50))
    assert jb.stats().lost == 0


def test_loss_gives_missing_with_the_next_packet_as_fec_hint() -> None:
    arrivals = [a for a in regular(30) if a[1].sequence != 12]
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1.0)
    index = frames.index(Missing(pkt(13), MissingReason.LOST))
    assert isinstance(frames[index - 1], Payload)
    assert frames[index - 1].packet.sequence == 11
    assert played(frames) == [s for s in range(30) if s != 12]
    assert jb.stats().lost == 1


def test_burst_loss_gives_a_hint_only_for_the_frame_just_before_the_next_packet() -> None:
    arrivals = [a for a in regular(30) if a[1].sequence not in (12, 13)]
    frames = run(JitterBuffer(RATE, SAMPLES), arrivals, until=1.0)
    missing = [f for f in frames if isinstance(f, Missing) and f.reason is MissingReason.LOST]
    assert missing == [Missing(None, MissingReason.LOST), Missing(pkt(14), MissingReason.LOST)]


def test_duplicates_are_dropped_and_counted() -> None:
    arrivals = [*regular(30), (0.005 + FRAME * 5 + 0.001, pkt(5)), (0.5, pkt(3))]
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1.0)
    assert played(frames) == list(range(30))
    assert jb.stats().duplicates == 2


def test_late_packet_is_dropped_and_counted_after_being_concealed() -> None:
    arrivals = regular(30)
    at, packet = arrivals[8]
    arrivals[8] = (at + 0.150, packet)
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1.0)
    assert Missing(pkt(9), MissingReason.LOST) in frames
    assert 8 not in played(frames)
    assert jb.stats().late == 1


def test_underrun_stalls_instead_of_skipping() -> None:
    arrivals = [a for a in regular(40) if not 10 <= a[1].sequence < 15]
    arrivals += [(0.005 + FRAME * 14.5 + 0.2, pkt(s)) for s in range(10, 15)]  # 200 ms outage
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=2.0)
    assert Missing(None, MissingReason.LATE) in frames
    assert jb.stats().underruns > 0
    assert played(frames)[:10] == list(range(10))
    assert played(frames)[-1] == 39


def test_sequence_and_timestamp_wrap() -> None:
    kw = {"first_seq": 65530, "first_ts": (1 << 32) - 480}
    frames = run(JitterBuffer(RATE, SAMPLES), regular(20, **kw), until=1.0)
    assert played(frames) == [(65530 + i) % 65536 for i in range(20)]


def test_new_ssrc_restarts_the_buffer() -> None:
    arrivals = regular(10) + [(0.4 + FRAME * i, pkt(5000 + i, ssrc=9)) for i in range(10)]
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1.0)
    assert played(frames)[-10:] == list(range(5000, 5010))
    assert jb.stats().resyncs == 1


def jittery(count: int, spread: float, seed: int) -> list[tuple[float, RtpPacket]]:
    rng = random.Random(seed)
    return [(0.005 + FRAME * i + rng.uniform(0, spread), pkt(i)) for i in range(count)]


def test_delay_grows_with_jitter_and_keeps_late_losses_rare() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, jittery(500, 0.060, seed=3), until=10.5)
    stats = jb.stats()
    assert stats.target_delay > 0.080
    assert stats.target_delay <= 0.200
    assert stats.late + stats.lost < 500 * 0.03
    assert played(frames) == sorted(played(frames))


def test_delay_is_bounded_by_max_delay() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    run(jb, jittery(200, 1.0, seed=4), until=6.0)
    assert jb.target_delay == pytest.approx(0.200)


def test_delay_shrinks_slowly_when_the_network_calms_down() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    arrivals = jittery(250, 0.060, seed=5)
    calm_start = 0.005 + FRAME * 250 + 0.1
    arrivals += [(calm_start + FRAME * i, pkt(250 + i)) for i in range(1500)]
    clock_end = calm_start + FRAME * 1500
    run(jb, arrivals[:250], until=5.0)
    high = jb.target_delay
    jb2 = JitterBuffer(RATE, SAMPLES)
    run(jb2, arrivals, until=calm_start + 1.0)
    assert jb2.target_delay > high - 0.010  # one calm second gives back little
    jb3 = JitterBuffer(RATE, SAMPLES)
    frames = run(jb3, arrivals, until=clock_end)
    assert jb3.target_delay < 0.030
    assert jb3.stats().dropped > 0  # the delay really came down by skipping frames
    assert played(frames) == sorted(played(frames))


@pytest.mark.parametrize("speed", [1.01, 0.99])
def test_clock_drift_is_absorbed(speed: float) -> None:
    # the sender's clock runs 1 % fast or slow against our playout clock
    arrivals = [(0.005 + FRAME * i / speed, pkt(i)) for i in range(1000)]
    jb = JitterBuffer(RATE, SAMPLES)
    frames = run(jb, arrivals, until=1000 * FRAME / speed - 0.1)
    stats = jb.stats()
    assert (stats.lost, stats.underruns) == (0, 0)
    assert len(jb) <= 6
    if speed > 1:
        assert stats.dropped >= 5
    else:
        assert stats.waits >= 5
    assert played(frames) == sorted(played(frames))


def test_config_initial_delay() -> None:
    jb = JitterBuffer(RATE, SAMPLES, JitterBufferConfig(initial_delay=0.100))
    frames = run(jb, regular(20), until=0.5)
    first = next(i for i, f in enumerate(frames) if isinstance(f, Payload))
    assert 0.100 <= first * FRAME - 0.005 < 0.100 + FRAME
