"""RTCP: packets, reception statistics, RTT and the transmission interval (RFC 3550 §6).

This module is the public face of RTCP for the media adapter: packet classes
come from ``rtcp_packet``, ``ReceptionStats`` from ``reception``; the interval
computation (§6.3, A.7) lives here. Randomness is injected (``rng.random()``).
"""

from __future__ import annotations

from typing import Protocol

from alexphone.rtp.reception import (
    NTP_UNIX_OFFSET,
    ReceptionStats,
    ntp_compact,
    ntp_from_seconds,
    round_trip_time,
)
from alexphone.rtp.rtcp_packet import (
    PT_BYE,
    PT_RR,
    PT_SDES,
    PT_SR,
    SDES_CNAME,
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    UnknownRtcp,
    parse_compound,
    serialize_compound,
)

__all__ = [
    "NTP_UNIX_OFFSET",
    "PT_BYE",
    "PT_RR",
    "PT_SDES",
    "PT_SR",
    "RTCP_MIN_TIME",
    "SDES_CNAME",
    "Bye",
    "RandomSource",
    "ReceiverReport",
    "ReceptionStats",
    "ReportBlock",
    "RtcpPacket",
    "SdesChunk",
    "SenderReport",
    "SourceDescription",
    "UnknownRtcp",
    "average_rtcp_size",
    "ntp_compact",
    "ntp_from_seconds",
    "parse_compound",
    "round_trip_time",
    "rtcp_bandwidth",
    "rtcp_interval",
    "serialize_compound",
]

RTCP_MIN_TIME = 5.0  # seconds, RFC 3550 §6.2
RTCP_SENDER_BW_FRACTION = 0.25
RTCP_RCVR_BW_FRACTION = 1 - RTCP_SENDER_BW_FRACTION
COMPENSATION = 2.71828 - 1.5  # e - 3/2, RFC 3550 §6.3.1 / A.7


class RandomSource(Protocol):
    """Anything with ``random() -> float`` in [0, 1), e.g. ``random.Random(seed)``."""

    def random(self) -> float:
        """Return a uniform float in [0, 1)."""
        ...


def rtcp_bandwidth(session_bandwidth_bps: float) -> float:
    """Return the RTCP bandwidth in octets/s: 5 % of the session bandwidth (§6.2)."""
    return session_bandwidth_bps * 0.05 / 8


def average_rtcp_size(average: float, packet_size: int) -> float:
    """Update the average compound RTCP size with one packet, incl. UDP/IP headers (§6.3.3)."""
    return packet_size / 16 + average * 15 / 16


def rtcp_interval(
    members: int,
    senders: int,
    rtcp_bw: float,
    we_sent: bool,
    avg_rtcp_size: float,
    initial: bool,
    rng: RandomSource,
    *,
    min_time: float = RTCP_MIN_TIME,
) -> float:
    """Return the randomized seconds until the next RTCP report (RFC 3550 A.7)."""
    rtcp_min_time = min_time / 2 if initial else min_time
    n = members
    if senders <= members * RTCP_SENDER_BW_FRACTION:
        # A.7: senders get a quarter of the bandwidth when they are few
        if we_sent:
            rtcp_bw *= RTCP_SENDER_BW_FRACTION
            n = senders
        else:
            rtcp_bw *= RTCP_RCVR_BW_FRACTION
            n -= senders
    t = avg_rtcp_size * n / rtcp_bw if rtcp_bw > 0 else rtcp_min_time
    t = max(t, rtcp_min_time)
    # §6.3.1: randomize to [0.5, 1.5] x and compensate for timer reconsideration
    return t * (rng.random() + 0.5) / COMPENSATION
