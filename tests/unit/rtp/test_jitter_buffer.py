"""Jitter buffer as a reorder queue: order, loss, duplicates, late packets, restarts, wraps."""

from __future__ import annotations

import itertools

from alexphone.rtp.jitter_buffer import Frame, JitterBuffer, Missing, MissingReason, Payload
from alexphone.rtp.packet import RtpPacket

RATE = 8000
SAMPLES = 160


def pkt(seq: int, *, first_seq: int = 0, first_ts: int = 0, ssrc: int = 7) -> RtpPacket:
    index = seq - first_seq
    return RtpPacket(
        0, seq % 65536, (first_ts + SAMPLES * index) % (1 << 32), ssrc, index.to_bytes(4, "big")
    )


def feed(jb: JitterBuffer, packets: list[RtpPacket], start: float = 0.0) -> None:
    for i, packet in enumerate(packets):
        jb.put(packet, start + 0.02 * i)


def drain(jb: JitterBuffer, count: int) -> list[Frame]:
    return [jb.pop() for _ in range(count)]


def played(frames: list[Frame]) -> list[int]:
    return [f.packet.sequence for f in frames if isinstance(f, Payload)]


def test_nothing_yet_is_wait_and_packets_come_out_with_their_media_time() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    assert jb.pop() == Missing(None, MissingReason.WAIT)
    feed(jb, [pkt(0), pkt(1)])
    assert jb.head_time() == 0.0
    first, second = drain(jb, 2)
    assert isinstance(first, Payload) and isinstance(second, Payload)
    assert (first.media_time, second.media_time) == (0.0, 0.02)


def test_reordered_packets_come_out_in_order() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in (0, 2, 1, 4, 3, 5)])
    assert played(drain(jb, 6)) == list(range(6))
    assert jb.stats().lost == 0


def test_loss_gives_missing_with_the_next_packet_as_fec_hint() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in (10, 11, 13, 14)], start=0)
    frames = drain(jb, 4)
    assert frames[2] == Missing(pkt(13), MissingReason.LOST)
    assert played(frames) == [10, 11, 13]
    assert jb.stats().lost == 1


def test_burst_loss_gives_a_hint_only_for_the_frame_just_before_the_next_packet() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in (0, 1, 4)])
    frames = drain(jb, 5)
    assert frames[2:4] == [Missing(None, MissingReason.LOST), Missing(pkt(4), MissingReason.LOST)]


def test_underrun_stalls_on_the_head_until_it_comes() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(0)])
    drain(jb, 1)
    assert drain(jb, 3) == [Missing(None, MissingReason.LATE)] * 3
    jb.put(pkt(1), 0.1)
    assert played(drain(jb, 1)) == [1]
    assert jb.stats().underruns == 3


def test_duplicates_and_late_packets_are_dropped_and_counted() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(0), pkt(1), pkt(1), pkt(3)])
    drain(jb, 3)  # 0, 1, then 2 given up
    jb.put(pkt(0), 0.2)  # already played: a duplicate
    jb.put(pkt(2), 0.2)  # its slot was concealed: late
    stats = jb.stats()
    assert (stats.duplicates, stats.late, stats.lost) == (2, 1, 1)
    assert played(drain(jb, 1)) == [3]


def test_sequence_and_timestamp_wrap() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(65530 + i, first_seq=65530, first_ts=(1 << 32) - 480) for i in range(12)])
    frames = drain(jb, 12)
    assert played(frames) == [(65530 + i) % 65536 for i in range(12)]
    times = [f.media_time for f in frames if isinstance(f, Payload)]
    assert all(abs(b - a - 0.02) < 1e-9 for a, b in itertools.pairwise(times))


def test_new_ssrc_restarts_the_buffer_at_once() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in range(5)])
    drain(jb, 2)
    jb.put(pkt(5000, ssrc=9), 1.0)
    assert jb.generation == 1
    assert played(drain(jb, 1)) == [5000]
    assert jb.stats().resyncs == 1


def test_a_stray_far_packet_is_ignored_but_two_in_sequence_restart() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in range(5)])
    jb.put(pkt(30000), 0.2)  # stray: held, not queued
    jb.put(pkt(5), 0.2)
    assert played(drain(jb, 6)) == list(range(6)) and jb.generation == 0
    jb.put(pkt(40000, first_seq=40000, first_ts=12345), 0.3)
    jb.put(pkt(40001, first_seq=40000, first_ts=12345), 0.32)
    assert jb.generation == 1
    assert played(drain(jb, 2)) == [40000, 40001]


def test_a_restart_backwards_under_the_same_ssrc_is_followed() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s, first_seq=20000) for s in range(20000, 20010)])
    drain(jb, 10)
    feed(jb, [pkt(s) for s in range(4)], start=0.3)
    assert played(drain(jb, 4)) == [0, 1, 2, 3]
    assert jb.stats().late == 0


def test_arrivals_feed_the_delay_estimate() -> None:
    jb = JitterBuffer(RATE, SAMPLES)
    feed(jb, [pkt(s) for s in range(60)], start=0.5)
    target = jb.delay.target()
    assert target is not None and abs(target - 0.5) < 0.002
    assert jb.delay.observations == 60
