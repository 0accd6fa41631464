"""The stage between RTP packets and the media socket: SRTP or nothing (RFC 3711 §3).

Senders pass every RTP and RTCP datagram through ``protect_*`` just before the socket, and the
socket passes what it receives through ``unprotect_*`` before the stream sees it. A
``MediaProtection`` returns None for a datagram that must be dropped (failed authentication,
a replay, a packet it cannot protect); it never raises. ``Cleartext`` is the identity.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["CLEARTEXT", "Cleartext", "MediaProtection"]


class MediaProtection(Protocol):
    """Protects outgoing and unprotects incoming RTP/RTCP datagrams; None means drop."""

    def protect_rtp(self, packet: bytes) -> bytes | None:
        """Return the datagram to send for an RTP packet, None to send nothing."""
        ...

    def protect_rtcp(self, packet: bytes) -> bytes | None:
        """Return the datagram to send for an RTCP compound packet, None to send nothing."""
        ...

    def unprotect_rtp(self, datagram: bytes) -> bytes | None:
        """Return the RTP packet inside a received datagram, None to drop it."""
        ...

    def unprotect_rtcp(self, datagram: bytes) -> bytes | None:
        """Return the RTCP packet inside a received datagram, None to drop it."""
        ...


class Cleartext:
    """Plain RTP: every method returns its input."""

    __slots__ = ()

    def protect_rtp(self, packet: bytes) -> bytes | None:
        """Return ``packet`` unchanged."""
        return packet

    def protect_rtcp(self, packet: bytes) -> bytes | None:
        """Return ``packet`` unchanged."""
        return packet

    def unprotect_rtp(self, datagram: bytes) -> bytes | None:
        """Return ``datagram`` unchanged."""
        return datagram

    def unprotect_rtcp(self, datagram: bytes) -> bytes | None:
        """Return ``datagram`` unchanged."""
        return datagram


CLEARTEXT = Cleartext()
