"""Reception statistics: loss (A.3), jitter (A.8) and RTT via LSR/DLSR (§6.4.1)."""

from __future__ import annotations

import pytest

from alexphone.rtp.packet import RtpPacket
from alexphone.rtp.rtcp import (
    ReceptionStats,
    ReportBlock,
    SenderReport,
    ntp_compact,
    ntp_from_seconds,
    round_trip_time,
)


def pkt(seq: int, ts: int) -> RtpPacket:
    return RtpPacket(0, seq % 65536, ts % (1 << 32), 42, b"\0" * 160)


def test_loss_and_fraction_lost() -> None:
    stats = ReceptionStats(42, 8000)
    for i in range(100):
        if i % 10 != 5:  # lose every tenth packet
            stats.update(pkt(i, 160 * i), 0.02 * i)
    assert stats.expected == 100
    assert stats.received == 90
    assert stats.lost == 10
    block = stats.report_block(2.0)
    assert block.fraction_lost == 10 * 256 // 100
    assert block.cumulative_lost == 10
    assert block.highest_sequence == 99
    # a new interval with no loss reports fraction 0 but keeps the cumulative count
    for i in range(100, 150):
        stats.update(pkt(i, 160 * i), 0.02 * i)
    block = stats.report_block(3.0)
    assert block.fraction_lost == 0
    assert block.cumulative_lost == 10


def test_sequence_wrap_extends_highest_sequence() -> None:
    stats = ReceptionStats(42, 8000)
    for i in range(20):
        stats.update(pkt(65530 + i, 160 * i), 0.02 * i)
    assert stats.extended_max_sequence == 65530 + 19
    assert stats.report_block(1.0).highest_sequence == (1 << 16) | (65530 + 19 - 65536)
    assert stats.lost == 0


def test_duplicates_make_loss_negative() -> None:
    stats = ReceptionStats(42, 8000)
    for i in (0, 1, 1, 2):
        stats.update(pkt(i, 160 * i), 0.02 * i)
    assert stats.duplicates == 1
    assert stats.lost == -1


def test_big_jump_needs_two_sequential_packets_to_resync() -> None:
    stats = ReceptionStats(42, 8000)
    for i in range(5):
        stats.update(pkt(i, 160 * i), 0.02 * i)
    assert not stats.update(pkt(30000, 0), 0.2)
    assert stats.bad == 1
    assert stats.update(pkt(30001, 160), 0.22)
    assert stats.expected == 1
    assert stats.received == 1


def test_jitter_zero_for_regular_arrivals() -> None:
    stats = ReceptionStats(42, 8000)
    for i in range(50):
        stats.update(pkt(i, 160 * i), 10.0 + 0.02 * i)
    assert stats.jitter == pytest.approx(0.0, abs=1e-6)


def test_jitter_follows_a8_for_alternating_delay() -> None:
    stats = ReceptionStats(42, 8000)
    for i in range(400):
        delay = 0.010 if i % 2 else 0.0
        stats.update(pkt(i, 160 * i), 0.02 * i + delay)
    # |D| is 10 ms for every pair, so J converges to 10 ms
    assert stats.jitter == pytest.approx(0.010, rel=0.01)
    assert stats.report_block(9.0).jitter == pytest.approx(80, abs=1)


def test_jitter_survives_timestamp_wrap() -> None:
    stats = ReceptionStats(42, 8000)
    base = (1 << 32) - 800
    for i in range(20):
        stats.update(pkt(i, base + 160 * i), 0.02 * i)
    assert stats.jitter == pytest.approx(0.0, abs=1e-6)


def test_ntp_conversion() -> None:
    assert ntp_from_seconds(0.0) == 2_208_988_800 << 32
    assert ntp_from_seconds(0.5) & 0xFFFFFFFF == 1 << 31
    assert ntp_compact(0x0123456789ABCDEF) == 0x456789AB


def test_lsr_dlsr_and_round_trip_time() -> None:
    wall_sent = 1_700_000_000.0
    sr_ntp = ntp_from_seconds(wall_sent)
    receiver = ReceptionStats(42, 8000)
    receiver.update(pkt(0, 0), 100.0)
    receiver.on_sender_report(SenderReport(42, sr_ntp, 0, 1, 160), now=100.04)  # 40 ms one way
    block = receiver.report_block(now=100.29)  # held 250 ms before reporting
    assert block.lsr == ntp_compact(sr_ntp)
    assert block.dlsr == pytest.approx(0.25 * 65536, abs=1)
    # the report travels 40 ms back: A = sent + 40 + 250 + 40 ms
    rtt = round_trip_time(block, ntp_from_seconds(wall_sent + 0.33))
    assert rtt == pytest.approx(0.080, abs=0.001)


def test_no_rtt_without_sender_report() -> None:
    assert round_trip_time(ReportBlock(1, 0, 0, 0, 0, 0, 0), ntp_from_seconds(5.0)) is None
    bogus = ReportBlock(1, 0, 0, 0, 0, ntp_compact(ntp_from_seconds(10.0)), 0)
    assert round_trip_time(bogus, ntp_from_seconds(9.0)) is None
