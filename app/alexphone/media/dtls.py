"""The DTLS-SRTP handshake of one call as a sans-I/O core (RFC 5763, RFC 5764, RFC 6347).

Theory of operation: OpenSSL (through pyOpenSSL) runs DTLS 1.2 on memory BIOs, so this class
never touches a socket. The owner feeds every DTLS datagram that arrives from the peer into
``receive_datagram(data, now)``, sends what ``datagrams_to_send()`` returns on the media path,
calls ``handle_timer(now)`` at ``get_timer()`` and reads ``next_event()``. The client (our
``a=setup:active``) speaks first when ``start(now)`` is called; the server waits.

When the handshake ends we check the peer's certificate against the ``a=fingerprint`` of its
SDP (RFC 5763 §6.2: the certificate is self-signed, its digest is what binds it to the
signaling), then export ``EXTRACTOR-dtls_srtp`` keying material (RFC 5764 §4.2) into
``SrtpKeys`` for the SRTP stage. A failed check, an alert, a broken record during the
handshake, or no handshake by ``handshake_timeout`` after ``start`` all end in
``HandshakeFailed``; after the handshake a bad record is dropped (RFC 6347 §4.1.2.7).

Time: the handshake deadline is kept on the injected clock. OpenSSL keeps its own flight
retransmission timer (RFC 6347 §4.2.4, 1 s doubling) on the system's clock; ``get_timer``
asks it how long is left and ``handle_timer`` lets it retransmit when that has passed.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from enum import Enum

from OpenSSL import SSL

from alexphone.core.errors import LocalProtocolError
from alexphone.media.dtls_certificate import DtlsCertificate, certificate_fingerprint
from alexphone.sdp.crypto import CryptoSuite, SrtpKeys
from alexphone.sdp.dtls import DtlsParams, DtlsRole

__all__ = [
    "DtlsEndpoint",
    "DtlsEvent",
    "DtlsState",
    "HandshakeCompleted",
    "HandshakeFailed",
    "split_records",
]

log = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT = 10.0  # s: OpenSSL has sent its first flight 4 times by then (0, 1, 3, 7 s)
MTU = 1200  # bytes of UDP payload; fits any path a call takes, TURN included
MIN_RECHECK = 0.01  # s: never ask OpenSSL again sooner (its clock and ours tick apart)
EXPORTER_LABEL = b"EXTRACTOR-dtls_srtp"  # RFC 5764 §4.2
_PROFILES = {  # RFC 5764 §4.1.2, RFC 7714 §14.2; our preference first
    b"SRTP_AES128_CM_SHA1_80": CryptoSuite.AES_CM_128_HMAC_SHA1_80,
    b"SRTP_AEAD_AES_128_GCM": CryptoSuite.AEAD_AES_128_GCM,
    b"SRTP_AES128_CM_SHA1_32": CryptoSuite.AES_CM_128_HMAC_SHA1_32,
}
RECORD_HEADER = 13  # content type, version, epoch, sequence number, length (RFC 6347 §4.1)


class DtlsState(Enum):
    """Where the handshake is."""

    NEW = "new"
    HANDSHAKING = "handshaking"
    CONNECTED = "connected"  # keys exported
    FAILED = "failed"
    CLOSED = "closed"  # the peer sent close_notify, or we closed


_ALLOWED = {  # the one table of allowed moves
    DtlsState.NEW: {DtlsState.HANDSHAKING, DtlsState.CLOSED},
    DtlsState.HANDSHAKING: {DtlsState.CONNECTED, DtlsState.FAILED, DtlsState.CLOSED},
    DtlsState.CONNECTED: {DtlsState.CLOSED},
    DtlsState.FAILED: set(),
    DtlsState.CLOSED: set(),
}


@dataclass(frozen=True, slots=True)
class HandshakeCompleted:
    """The handshake is done and the peer's certificate matches its fingerprint."""

    keys: SrtpKeys


@dataclass(frozen=True, slots=True)
class HandshakeFailed:
    """No SRTP keys: why, in words for a log line and the call's end."""

    reason: str


DtlsEvent = HandshakeCompleted | HandshakeFailed


def split_records(data: bytes, mtu: int = MTU) -> list[bytes]:
    """Pack the DTLS records in ``data`` into datagrams of at most ``mtu`` bytes each.

    A memory BIO hands over a flight as one run of bytes; records are never cut, and a
    record longer than ``mtu`` goes alone (RFC 6347 §4.1.1 allows several per datagram)."""
    datagrams: list[bytes] = []
    current = b""
    offset = 0
    while offset + RECORD_HEADER <= len(data):
        end = offset + RECORD_HEADER + int.from_bytes(data[offset + 11 : offset + 13], "big")
        record = data[offset:end]
        if current and len(current) + len(record) > mtu:
            datagrams.append(current)
            current = b""
        current += record
        offset = end
    if current:
        datagrams.append(current)
    return datagrams


def _context(certificate: DtlsCertificate) -> SSL.Context:
    context = SSL.Context(SSL.DTLS_METHOD)
    # the certificate is self-signed: accept any chain here, the fingerprint decides after
    context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *_: True)
    context.use_certificate(certificate.certificate)
    context.use_privatekey(certificate.key)
    context.set_cipher_list(b"ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES:!aNULL:!SHA1")
    context.set_tlsext_use_srtp(b":".join(_PROFILES))
    context.set_options(SSL.OP_NO_QUERY_MTU)
    return context


class DtlsEndpoint:
    """One side of a call's DTLS-SRTP handshake, on memory BIOs."""

    def __init__(
        self,
        certificate: DtlsCertificate,
        params: DtlsParams,
        *,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
    ) -> None:
        self.role = params.role
        self.state = DtlsState.NEW
        self.dropped = 0  # datagrams refused, records OpenSSL refused after the handshake
        self._fingerprints = params.fingerprints
        self._timeout = handshake_timeout
        self._deadline: float | None = None
        self._recheck: float | None = None  # when OpenSSL's retransmission timer runs out
        self._out: deque[bytes] = deque()
        self._events: deque[DtlsEvent] = deque()
        self._conn = SSL.Connection(_context(certificate), None)
        self._conn.set_ciphertext_mtu(MTU)
        if params.role is DtlsRole.CLIENT:
            self._conn.set_connect_state()
        else:
            self._conn.set_accept_state()

    # -- inputs -------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Begin: the client sends its ClientHello, the server waits; the deadline starts."""
        self._move(DtlsState.HANDSHAKING)
        self._deadline = now + self._timeout
        if self.role is DtlsRole.CLIENT:
            self._handshake(now)

    def receive_datagram(self, data: bytes, now: float) -> None:
        """Take one DTLS datagram from the peer."""
        if self.state not in (DtlsState.HANDSHAKING, DtlsState.CONNECTED):
            return
        try:
            self._conn.bio_write(data)
        except SSL.Error:  # an empty datagram: OpenSSL's memory BIO refuses it (found by fuzzing)
            self.dropped += 1
            return
        if self.state is DtlsState.HANDSHAKING:
            self._handshake(now)
        else:
            self._read_records()
        self._drain()

    def handle_timer(self, now: float) -> None:
        """Give up at the deadline; let OpenSSL retransmit its flight when its timer ran out."""
        if self.state is not DtlsState.HANDSHAKING:
            return
        if self._deadline is not None and now >= self._deadline:
            self._fail(f"no DTLS handshake within {self._timeout:g} s")
            return
        if self._recheck is not None and now >= self._recheck:
            try:
                self._conn.DTLSv1_handle_timeout()
            except SSL.Error as exc:  # too many retransmissions
                self._fail(f"DTLS handshake gave up: {_words(exc)}")
                return
            self._drain()
            self._arm(now)

    def close(self) -> None:
        """Send close_notify if connected, and stop."""
        if self.state is DtlsState.CONNECTED:
            with contextlib.suppress(SSL.Error):  # a broken association has nothing to close
                self._conn.shutdown()
            self._drain()
        if self.state in _ALLOWED and DtlsState.CLOSED in _ALLOWED[self.state]:
            self._move(DtlsState.CLOSED)

    # -- outputs ------------------------------------------------------------------------------
    def datagrams_to_send(self) -> list[bytes]:
        """Return the datagrams queued for the peer, oldest first, and forget them."""
        out = list(self._out)
        self._out.clear()
        return out

    def next_event(self) -> DtlsEvent | None:
        """Return the next event, None when there is none."""
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must run next, None when nothing is due."""
        if self.state is not DtlsState.HANDSHAKING:
            return None
        times = [t for t in (self._deadline, self._recheck) if t is not None]
        return min(times) if times else None

    # -- inside -------------------------------------------------------------------------------
    def _move(self, state: DtlsState) -> None:
        if state not in _ALLOWED[self.state]:
            raise LocalProtocolError(f"DTLS {self.state.value} cannot become {state.value}")
        self.state = state

    def _handshake(self, now: float) -> None:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            self._drain()
            self._arm(now)
            return
        except SSL.Error as exc:  # an alert from the peer, a broken or forged record
            self._drain()  # our alert, if OpenSSL wrote one
            self._fail(f"DTLS handshake failed: {_words(exc)}")
            return
        self._drain()  # the server's last flight
        self._completed()

    def _completed(self) -> None:
        peer = self._conn.get_peer_certificate(as_cryptography=True)
        if peer is None:
            self._fail("the peer showed no DTLS certificate")
            return
        digests = [certificate_fingerprint(peer, f.algorithm) for f in self._fingerprints]
        if not any(d is not None and d in self._fingerprints for d in digests):
            self._fail("the peer's DTLS certificate does not match its a=fingerprint")
            return
        suite = _PROFILES.get(self._conn.get_selected_srtp_profile())
        if suite is None:
            self._fail("the peer agreed no SRTP protection profile we know (RFC 5764 §4.1.2)")
            return
        self._move(DtlsState.CONNECTED)
        self._recheck = None
        self._events.append(HandshakeCompleted(self._keys(suite)))
        log.debug("DTLS-SRTP keys agreed (%s)", suite.value)

    def _keys(self, suite: CryptoSuite) -> SrtpKeys:
        """Cut the exported material into client and server master keys (RFC 5764 §4.2)."""
        k, s = suite.key_length, suite.salt_length
        material = self._conn.export_keying_material(EXPORTER_LABEL, 2 * (k + s))
        client = material[:k] + material[2 * k : 2 * k + s]
        server = material[k : 2 * k] + material[2 * k + s :]
        if self.role is DtlsRole.CLIENT:
            return SrtpKeys(suite, client, server)
        return SrtpKeys(suite, server, client)

    def _read_records(self) -> None:
        """After the handshake: let OpenSSL read (and answer retransmitted flights)."""
        for _ in range(8):  # bounded: one datagram holds a few records at most
            try:
                self._conn.recv(2048)  # application data has no use here; dropped
            except SSL.WantReadError:
                return
            except SSL.ZeroReturnError:  # close_notify
                self._move(DtlsState.CLOSED)
                return
            except SSL.Error as exc:
                self.dropped += 1
                log.debug("DTLS record dropped: %s", _words(exc))
                return

    def _drain(self) -> None:
        """Move what OpenSSL wrote into datagrams for the peer."""
        data = b""
        for _ in range(64):  # bounded: a flight is a few kB
            try:
                chunk = self._conn.bio_read(65536)
            except SSL.WantReadError:
                break
            if not chunk:
                break
            data += chunk
        self._out.extend(split_records(data))

    def _arm(self, now: float) -> None:
        left = self._conn.DTLSv1_get_timeout()
        self._recheck = None if left is None else now + max(left, MIN_RECHECK)

    def _fail(self, reason: str) -> None:
        self._move(DtlsState.FAILED)
        self._recheck = self._deadline = None
        self._events.append(HandshakeFailed(reason))
        log.info("%s", reason)


def _words(exc: SSL.Error) -> str:
    """OpenSSL's error list as one short line."""
    found = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    parts = [str(p[2]) for p in found if isinstance(p, tuple) and len(p) == 3]
    return "; ".join(parts) if parts else (str(exc) or type(exc).__name__)
