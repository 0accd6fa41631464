"""Tell STUN, DTLS, RTP and RTCP apart on one socket by the first byte (RFC 7983 §7)."""

from __future__ import annotations

from enum import Enum

__all__ = ["PacketKind", "classify"]


class PacketKind(Enum):
    """What a datagram received on a media socket carries."""

    STUN = "stun"
    DTLS = "dtls"
    RTP = "rtp"
    RTCP = "rtcp"
    UNKNOWN = "unknown"


def classify(data: bytes) -> PacketKind:
    """Classify a datagram by its first byte; RTCP by packet type 192-223 (RFC 5761 §4)."""
    if not data:
        return PacketKind.UNKNOWN
    first = data[0]
    if first <= 3:
        return PacketKind.STUN
    if 20 <= first <= 63:
        return PacketKind.DTLS
    if 128 <= first <= 191:
        if len(data) < 2:
            return PacketKind.UNKNOWN
        # RFC 5761 §4: RTCP packet types 192-223 collide with RTP payload types 64-95
        # (marker set), which are therefore never used for RTP.
        return PacketKind.RTCP if 192 <= data[1] <= 223 else PacketKind.RTP
    return PacketKind.UNKNOWN
