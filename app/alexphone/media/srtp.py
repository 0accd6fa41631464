"""SRTP and SRTCP for one call through libsrtp (``pylibsrtp``): RFC 3711, RFC 7714.

Two libsrtp sessions per call: the outbound one keyed with our SDES key (any SSRC we send),
the inbound one with the peer's (any SSRC it sends). libsrtp does the key derivation, the
authentication tag and the replay list (RFC 3711 §3.3.2, a window of ``REPLAY_WINDOW``
packets); a datagram that fails any of it is dropped and counted, never raised to the
receive path. Counters let tests and ``call.stats`` tell that media really was protected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pylibsrtp

from alexphone.sdp.crypto import CryptoSuite, SrtpKeys

__all__ = ["SrtpCounters", "SrtpProtection"]

log = logging.getLogger(__name__)
REPLAY_WINDOW = 1024  # packets; libsrtp's default is 128, too few for a jittery Wi-Fi burst

_PROFILES = {
    CryptoSuite.AES_CM_128_HMAC_SHA1_80: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    CryptoSuite.AES_CM_128_HMAC_SHA1_32: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    CryptoSuite.AEAD_AES_128_GCM: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}


@dataclass(slots=True)
class SrtpCounters:
    """Datagrams through one call's SRTP stage."""

    protected: int = 0  # RTP and RTCP sent encrypted
    unprotected: int = 0  # RTP and RTCP received, authenticated and decrypted
    auth_failed: int = 0  # received and dropped: bad tag, replay, wrong key, garbage
    protect_failed: int = 0  # not sent: libsrtp refused to protect


def _session(key: bytes, suite: CryptoSuite, ssrc_type: int) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(key=key, ssrc_type=ssrc_type, srtp_profile=_PROFILES[suite])
    policy.window_size = REPLAY_WINDOW
    return pylibsrtp.Session(policy=policy)


class SrtpProtection:
    """A MediaProtection with SDES keys: protects with ours, unprotects with the peer's."""

    def __init__(self, keys: SrtpKeys) -> None:
        self.suite = keys.suite
        self.counters = SrtpCounters()
        self._keys = keys
        self._out = _session(keys.local, keys.suite, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        self._in = _session(keys.remote, keys.suite, pylibsrtp.Policy.SSRC_ANY_INBOUND)

    def rekey(self, keys: SrtpKeys) -> None:
        """Take the keys of a new offer/answer; a direction whose key is unchanged keeps its
        session (its rollover counter and replay list, RFC 3711 §3.3.1)."""
        old, self._keys, self.suite = self._keys, keys, keys.suite
        if (keys.suite, keys.local) != (old.suite, old.local):
            self._out = _session(keys.local, keys.suite, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        if (keys.suite, keys.remote) != (old.suite, old.remote):
            self._in = _session(keys.remote, keys.suite, pylibsrtp.Policy.SSRC_ANY_INBOUND)

    def protect_rtp(self, packet: bytes) -> bytes | None:
        """Encrypt and authenticate an RTP packet (RFC 3711 §3.3); None if libsrtp refuses."""
        try:
            datagram = self._out.protect(packet)
        except (pylibsrtp.Error, ValueError) as exc:  # ValueError: longer than 1500 bytes
            self.counters.protect_failed += 1
            log.debug("SRTP protect failed: %s", exc)
            return None
        self.counters.protected += 1
        return datagram

    def protect_rtcp(self, packet: bytes) -> bytes | None:
        """Encrypt and authenticate an RTCP compound packet (RFC 3711 §3.4)."""
        try:
            datagram = self._out.protect_rtcp(packet)
        except (pylibsrtp.Error, ValueError) as exc:  # ValueError: longer than 1500 bytes
            self.counters.protect_failed += 1
            log.debug("SRTCP protect failed: %s", exc)
            return None
        self.counters.protected += 1
        return datagram

    def unprotect_rtp(self, datagram: bytes) -> bytes | None:
        """Authenticate, replay-check and decrypt an SRTP datagram; None (counted) if it fails."""
        try:
            packet = self._in.unprotect(datagram)
        except (pylibsrtp.Error, ValueError) as exc:
            self.counters.auth_failed += 1
            log.debug("SRTP datagram of %d bytes dropped: %s", len(datagram), exc)
            return None
        self.counters.unprotected += 1
        return packet

    def unprotect_rtcp(self, datagram: bytes) -> bytes | None:
        """Authenticate, replay-check and decrypt an SRTCP datagram; None (counted) if it fails."""
        try:
            packet = self._in.unprotect_rtcp(datagram)
        except (pylibsrtp.Error, ValueError) as exc:
            self.counters.auth_failed += 1
            log.debug("SRTCP datagram of %d bytes dropped: %s", len(datagram), exc)
            return None
        self.counters.unprotected += 1
        return packet
