"""The ``--media-encryption`` policy applied to a call's SDP side (SDES-SRTP, RFC 4568).

``off``: plain RTP; a=crypto in offers is ignored and RTP/SAVP offers are refused.
``optional`` (default): we answer SDES offers (RTP/SAVP, or best-effort a=crypto on RTP/AVP)
with SRTP, and put a=crypto into our own offers only when the INVITE leaves over TLS: SDES
keys travel in the SDP, so over cleartext signaling anyone on the path could read them
(RFC 4568 §8.3). ``mandatory``: we offer RTP/SAVP and refuse cleartext offers with 488.
DTLS-SRTP is not implemented; asking for it is a configuration error that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from alexphone.core.errors import ConfigError
from alexphone.sdp.crypto import MediaEncryption, local_crypto
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sip.uri import SipUri

__all__ = ["media_encryption_option", "over_tls", "with_policy"]


def media_encryption_option(text: str) -> MediaEncryption:
    """Parse ``--media-encryption`` (off|optional|mandatory); ConfigError otherwise."""
    value = text.strip().lower()
    if value in ("dtls", "dtls-srtp", "dtls_srtp"):
        raise ConfigError(
            "--media-encryption dtls: DTLS-SRTP is not supported yet; "
            "use off, optional or mandatory"
        )
    try:
        return MediaEncryption(value)
    except ValueError:
        raise ConfigError(f"--media-encryption {text!r}: use off, optional or mandatory") from None


def with_policy(
    local: LocalMedia, policy: MediaEncryption, random: Callable[[int], bytes]
) -> LocalMedia:
    """Give ``local`` fresh SDES keys per the policy; offers carry them only if mandatory."""
    if policy is MediaEncryption.OFF:
        return replace(local, crypto=(), crypto_required=False, offer_crypto=False)
    return replace(
        local,
        crypto=local_crypto(random),
        crypto_required=policy is MediaEncryption.MANDATORY,
        offer_crypto=False,  # the caller turns it on when the INVITE goes over TLS
    )


def over_tls(first_hop: SipUri) -> bool:
    """Tell whether a request to ``first_hop`` leaves over TLS (sips: or transport=tls)."""
    return first_hop.scheme.lower() == "sips" or first_hop.transport == "tls"
