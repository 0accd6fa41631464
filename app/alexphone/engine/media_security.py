"""The ``--media-encryption`` policy applied to a call's SDP side (SDES and DTLS-SRTP).

``off``: plain RTP; a=crypto and a=fingerprint in offers are ignored, RTP/SAVP and
UDP/TLS/RTP/SAVP offers are refused. ``optional`` (default): we answer SDES offers (RTP/SAVP,
or best-effort a=crypto on RTP/AVP) with SRTP and DTLS-SRTP offers (UDP/TLS/RTP/SAVP(F), or
a=fingerprint with a=setup on RTP/AVP) with DTLS-SRTP, and put a=crypto into our own offers
only when the INVITE leaves over TLS: SDES keys travel in the SDP, so over cleartext signaling
anyone on the path could read them (RFC 4568 §8.3). Our offers under ``optional`` do not carry
a=fingerprint yet: a best-effort DTLS offer would turn every call between two of our phones
into a DTLS handshake on the ALEX path before the first audio, which is not proven on every
path (relays, moves) yet. ``mandatory``: we offer RTP/SAVP, answer SDES and DTLS-SRTP offers
and refuse cleartext ones with 488. ``dtls``: we offer UDP/TLS/RTP/SAVP with our certificate's
fingerprint and refuse any offer without DTLS-SRTP with 488.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from alexphone.core.errors import ConfigError
from alexphone.sdp.crypto import MediaEncryption, local_crypto
from alexphone.sdp.dtls import Fingerprint
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sip.uri import SipUri

__all__ = ["media_encryption_option", "over_tls", "with_policy"]

_ALIASES = {"dtls-srtp": "dtls", "dtls_srtp": "dtls"}


def media_encryption_option(text: str) -> MediaEncryption:
    """Parse ``--media-encryption`` (off|optional|mandatory|dtls); ConfigError otherwise."""
    value = text.strip().lower()
    try:
        return MediaEncryption(_ALIASES.get(value, value))
    except ValueError:
        raise ConfigError(
            f"--media-encryption {text!r}: use off, optional, mandatory or dtls"
        ) from None


def with_policy(
    local: LocalMedia,
    policy: MediaEncryption,
    random: Callable[[int], bytes],
    fingerprint: Callable[[], Fingerprint],
) -> LocalMedia:
    """Give ``local`` fresh SDES keys and our DTLS fingerprint as the policy says."""
    if policy is MediaEncryption.OFF:
        return replace(local, crypto=(), crypto_required=False, offer_crypto=False, dtls=None)
    dtls_only = policy is MediaEncryption.DTLS
    return replace(
        local,
        crypto=() if dtls_only else local_crypto(random),
        crypto_required=policy is MediaEncryption.MANDATORY,
        offer_crypto=False,  # the caller turns it on when the INVITE goes over TLS
        dtls=fingerprint(),
        dtls_required=dtls_only,
        offer_dtls=dtls_only,
    )


def over_tls(first_hop: SipUri) -> bool:
    """Tell whether a request to ``first_hop`` leaves over TLS (sips: or transport=tls)."""
    return first_hop.scheme.lower() == "sips" or first_hop.transport == "tls"
