"""The --media-encryption option and what it does to a call's LocalMedia."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ConfigError
from alexphone.engine.media_security import media_encryption_option, over_tls, with_policy
from alexphone.sdp.crypto import CryptoSuite, MediaEncryption
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia, make_offer
from alexphone.sdp.session import parse
from alexphone.sip.uri import parse_sip_uri

LOCAL = LocalMedia("192.0.2.1", 4000)


def keys(n: int) -> bytes:
    return b"\x07" * n


@pytest.mark.parametrize("text", ["off", "optional", "Mandatory "])
def test_the_three_policies_parse(text: str) -> None:
    assert media_encryption_option(text).value == text.strip().lower()


def test_dtls_and_nonsense_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="DTLS-SRTP is not supported yet"):
        media_encryption_option("dtls")
    with pytest.raises(ConfigError, match="use off, optional or mandatory"):
        media_encryption_option("always")


def test_each_policy_sets_keys_and_requirement() -> None:
    off = with_policy(LOCAL, MediaEncryption.OFF, keys)
    assert (off.crypto, off.crypto_required) == ((), False)
    optional = with_policy(LOCAL, MediaEncryption.OPTIONAL, keys)
    assert [c.known_suite for c in optional.crypto] == list(CryptoSuite)
    assert not optional.crypto_required and not optional.offer_crypto
    mandatory = with_policy(LOCAL, MediaEncryption.MANDATORY, keys)
    assert mandatory.crypto_required and mandatory.offer_proto == "RTP/SAVP"


@pytest.mark.parametrize(
    ("uri", "tls"),
    [
        ("sips:bob@example.com", True),
        ("sip:bob@example.com;transport=TLS", True),
        ("sip:bob@example.com;transport=tcp", False),
        ("sip:bob@192.0.2.7", False),
    ],
)
def test_keys_are_offered_only_over_tls(uri: str, tls: bool) -> None:
    assert over_tls(parse_sip_uri(uri)) is tls


def test_after_answering_srtp_our_re_offers_keep_it() -> None:
    theirs = make_offer(
        with_policy(LocalMedia("192.0.2.9", 5000), MediaEncryption.MANDATORY, lambda n: b"t" * n),
        session_id=1,
        session_version=0,
    )
    session = SdpSession(with_policy(LOCAL, MediaEncryption.OPTIONAL, keys), session_id=2)
    session.answer(parse(theirs.to_bytes()))
    hold = session.hold().media[0]
    assert hold.proto == "RTP/SAVP" and len(hold.attributes_named("crypto")) == 3
