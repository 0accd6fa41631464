"""The --media-encryption option and what it does to a call's LocalMedia."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ConfigError
from alexphone.engine.media_security import media_encryption_option, over_tls, with_policy
from alexphone.sdp.crypto import CryptoSuite, MediaEncryption
from alexphone.sdp.dtls import DtlsRole, Fingerprint
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia, NoCommonCodecError, make_offer
from alexphone.sdp.session import parse
from alexphone.sip.uri import parse_sip_uri

LOCAL = LocalMedia("192.0.2.1", 4000)
OURS = Fingerprint("sha-256", bytes(range(32)))
THEIRS = Fingerprint("sha-256", bytes(range(1, 33)))


def keys(n: int) -> bytes:
    return b"\x07" * n


def ours() -> Fingerprint:
    return OURS


def theirs() -> Fingerprint:
    return THEIRS


@pytest.mark.parametrize("text", ["off", "optional", "Mandatory ", "dtls"])
def test_the_four_policies_parse(text: str) -> None:
    assert media_encryption_option(text).value == text.strip().lower()


@pytest.mark.parametrize("text", ["dtls-srtp", "DTLS_SRTP"])
def test_dtls_has_the_names_other_phones_use(text: str) -> None:
    assert media_encryption_option(text) is MediaEncryption.DTLS


def test_nonsense_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="use off, optional, mandatory or dtls"):
        media_encryption_option("always")


def test_each_policy_sets_keys_and_requirement() -> None:
    off = with_policy(LOCAL, MediaEncryption.OFF, keys, ours)
    assert (off.crypto, off.crypto_required, off.dtls) == ((), False, None)
    optional = with_policy(LOCAL, MediaEncryption.OPTIONAL, keys, ours)
    assert [c.known_suite for c in optional.crypto] == list(CryptoSuite)
    assert not optional.crypto_required and not optional.offer_crypto
    assert optional.dtls == OURS and not optional.offers_dtls and not optional.dtls_required
    mandatory = with_policy(LOCAL, MediaEncryption.MANDATORY, keys, ours)
    assert mandatory.crypto_required and mandatory.offer_proto == "RTP/SAVP"
    dtls = with_policy(LOCAL, MediaEncryption.DTLS, keys, ours)
    assert dtls.crypto == () and dtls.dtls_required and dtls.offers_dtls
    assert dtls.offer_proto == "UDP/TLS/RTP/SAVP"


def test_the_default_answers_a_dtls_offer_and_re_offers_keep_it() -> None:
    offer = make_offer(
        with_policy(LocalMedia("192.0.2.9", 5000), MediaEncryption.DTLS, keys, theirs),
        session_id=1,
        session_version=0,
    )
    session = SdpSession(with_policy(LOCAL, MediaEncryption.OPTIONAL, keys, ours), session_id=2)
    answer = session.answer(parse(offer.to_bytes()))
    assert answer.media.dtls is not None and answer.media.dtls.role is DtlsRole.CLIENT
    assert answer.media.dtls.fingerprints == (THEIRS,) and answer.media.srtp is None
    hold = session.hold().media[0]
    assert hold.proto == "UDP/TLS/RTP/SAVP" and hold.attributes_named("crypto") == ()
    assert hold.attribute("fingerprint") == str(OURS) and hold.attribute("setup") == "actpass"


def test_a_dtls_phone_refuses_sdes_and_cleartext_offers() -> None:
    session = SdpSession(with_policy(LOCAL, MediaEncryption.DTLS, keys, ours), session_id=2)
    for policy in (MediaEncryption.OFF, MediaEncryption.MANDATORY):
        local = with_policy(LocalMedia("192.0.2.9", 5000), policy, keys, theirs)
        offer = make_offer(local, session_id=1, session_version=0)
        with pytest.raises(NoCommonCodecError, match="DTLS-SRTP is mandatory here"):
            session.answer(parse(offer.to_bytes()))


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
    offer = make_offer(
        with_policy(
            LocalMedia("192.0.2.9", 5000), MediaEncryption.MANDATORY, lambda n: b"t" * n, theirs
        ),
        session_id=1,
        session_version=0,
    )
    session = SdpSession(with_policy(LOCAL, MediaEncryption.OPTIONAL, keys, ours), session_id=2)
    session.answer(parse(offer.to_bytes()))
    hold = session.hold().media[0]
    assert hold.proto == "RTP/SAVP" and len(hold.attributes_named("crypto")) == 3
