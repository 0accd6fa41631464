"""A call's DTLS-SRTP on the loop: the handshake on the media socket, then the SRTP stage.

The handshake core (media/dtls.py) runs behind a CoreDriver. Its datagrams leave through the
same sender as the call's RTP (the ALEX media gate, then the RTP port), toward the peer's
media address, and the RTP socket hands back every datagram whose first byte says DTLS
(RFC 7983). Until the keys are there, ``PendingSrtp`` sends nothing and drops what arrives:
no audio ever goes out in clear on a call that agreed to DTLS-SRTP.

Whom we talk to: the first DTLS datagram from the peer's side (any source but the peer's
RTCP address, where a peer without RTCP multiplexing runs a second handshake we do not take)
fixes the peer, the way symmetric RTP latches; before that we send to the SDP or
ALEX-selected address. A stranger who gets in first only makes the handshake fail on the
fingerprint check, which ends the call; it never gets keys.

Under ALEX the media gate drops our first flight until a check has proven the pair, and
OpenSSL would send it again only a second later (RFC 6347 §4.2.4.1). So when ALEX puts the
media on a proven pair during the handshake (the same address as before or not), the last
flight goes again at once; a copy that the peer already has is a replayed record, which
DTLS drops (RFC 6347 §4.1.2.6).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.media.dtls import DtlsEndpoint, DtlsState, HandshakeCompleted, HandshakeFailed
from alexphone.media.srtp import SrtpProtection
from alexphone.net.core_driver import CoreDriver, Scheduler

__all__ = ["MEDIA_ENCRYPTION_FAILED", "DtlsLink", "PendingSrtp"]

log = logging.getLogger(__name__)
MEDIA_ENCRYPTION_FAILED = "media encryption failed"  # the call's end reason
Send = Callable[[bytes, Address], None]


class PendingSrtp:
    """A MediaProtection that is SRTP once keys are set, and drops everything before."""

    def __init__(self) -> None:
        self.srtp: SrtpProtection | None = None
        self.early = 0  # RTP/RTCP received before the keys, dropped

    def protect_rtp(self, packet: bytes) -> bytes | None:
        """SRTP-protect, or None (send nothing) before the keys."""
        return self.srtp.protect_rtp(packet) if self.srtp is not None else None

    def protect_rtcp(self, packet: bytes) -> bytes | None:
        """SRTCP-protect, or None (send nothing) before the keys."""
        return self.srtp.protect_rtcp(packet) if self.srtp is not None else None

    def unprotect_rtp(self, datagram: bytes) -> bytes | None:
        """SRTP-unprotect, or None (counted) before the keys."""
        if self.srtp is None:
            self.early += 1
            return None
        return self.srtp.unprotect_rtp(datagram)

    def unprotect_rtcp(self, datagram: bytes) -> bytes | None:
        """SRTCP-unprotect, or None (counted) before the keys."""
        if self.srtp is None:
            self.early += 1
            return None
        return self.srtp.unprotect_rtcp(datagram)


class DtlsLink:
    """Runs one call's handshake and installs its SRTP keys."""

    def __init__(
        self,
        endpoint: DtlsEndpoint,
        send: Send,
        *,
        remote: Address,
        peer_rtcp: Address | None,
        on_keys: Callable[[SrtpProtection], None],
        on_failed: Callable[[str], None],
        loop: Scheduler | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.protection = PendingSrtp()
        self.remote = remote  # where we send until the peer is known
        self.peer: Address | None = None
        self.ignored = 0  # DTLS datagrams from other sources
        self._flight: list[bytes] = []  # our last flight, sent again when the path moves
        self._peer_rtcp = peer_rtcp if peer_rtcp != remote else None
        self._send = send
        self._on_keys = on_keys
        self._on_failed = on_failed
        self._driver = CoreDriver(endpoint, self._flush, loop=loop)

    @property
    def suite(self) -> str | None:
        """The SRTP suite the handshake agreed, None before."""
        srtp = self.protection.srtp
        return srtp.suite.value if srtp is not None else None

    def start(self) -> None:
        """Start the handshake (the client speaks first) and its deadline."""
        self.endpoint.start(self._driver.now())
        self._driver.transmit()

    def receive(self, data: bytes, addr: Address) -> None:
        """Take a DTLS datagram the media socket received from ``addr``."""
        if self.peer is None and addr != self._peer_rtcp:
            self.peer = addr
        if addr != self.peer:
            self.ignored += 1
            return
        self.endpoint.receive_datagram(data, self._driver.now())
        self._driver.transmit()

    def move_to(self, remote: Address) -> None:
        """Follow the media to the ALEX-proven peer address; the flight goes again there."""
        moved, self.remote = remote != self.remote, remote
        if self.endpoint.state is not DtlsState.HANDSHAKING:
            return
        if moved:
            self.peer = None  # the handshake goes on from wherever the peer now is
        for datagram in self._flight:  # the gate may have dropped it: the pair is proven now
            self._send(datagram, self.peer or remote)

    def close(self) -> None:
        """Say close_notify if connected and stop the timer."""
        self.endpoint.close()
        self._driver.transmit()
        self._driver.close()

    def _flush(self, now: float) -> None:
        flight = self.endpoint.datagrams_to_send()
        if flight:
            self._flight = flight if self.endpoint.state is DtlsState.HANDSHAKING else []
        for datagram in flight:
            self._send(datagram, self.peer or self.remote)
        while (event := self.endpoint.next_event()) is not None:
            if isinstance(event, HandshakeCompleted):
                srtp = SrtpProtection(event.keys)
                self.protection.srtp = srtp
                self._on_keys(srtp)
            elif isinstance(event, HandshakeFailed):
                self._on_failed(event.reason)
