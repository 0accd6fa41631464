"""Offer/answer with SDES keys: RTP/SAVP, best-effort a=crypto on RTP/AVP, and refusals."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from sdp_samples import BARESIP_OFFER, crlf

from alexphone.sdp.crypto import CryptoSuite, local_crypto, parse_crypto_lines
from alexphone.sdp.offer_answer import (
    InvalidAnswerError,
    LocalMedia,
    NegotiatedMedia,
    NoCommonCodecError,
    apply_answer,
    make_answer,
    make_offer,
)
from alexphone.sdp.session import SessionDescription, parse

THEIR_KEY = base64.b64encode(b"k" * 30).decode()
OURS = local_crypto(lambda n: b"o" * n)
PLAIN = LocalMedia("192.168.1.50", 20000, username="alexphone")
OPTIONAL = replace(PLAIN, crypto=OURS, offer_crypto=False)
MANDATORY = replace(PLAIN, crypto=OURS, crypto_required=True)

# what baresip with mediaenc=srtp-mand offers (the 488 that started this)
SAVP_OFFER = crlf(
    "v=0",
    "o=- 1826512713 3215414561 IN IP4 192.168.1.20",
    "s=-",
    "c=IN IP4 192.168.1.20",
    "t=0 0",
    "m=audio 10922 RTP/SAVP 0 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    f"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:{THEIR_KEY}",
    f"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:{THEIR_KEY}",
    "a=sendrecv",
)
BEST_EFFORT_OFFER = SAVP_OFFER.replace("RTP/SAVP", "RTP/AVP")


def answer(text: str, local: LocalMedia) -> tuple[SessionDescription, NegotiatedMedia]:
    result = make_answer(parse(text), local, session_id=1, session_version=1)
    return parse(result.sdp.to_bytes()), result.media


def test_an_savp_offer_is_answered_savp_with_our_key_under_its_first_tag() -> None:
    sdp, media = answer(SAVP_OFFER, OPTIONAL)
    (m,) = sdp.media
    assert m.proto == "RTP/SAVP" and m.port == 20000
    (line,) = parse_crypto_lines(m.attributes_named("crypto"))
    assert (line.tag, line.known_suite, line.master) == (
        1,
        CryptoSuite.AES_CM_128_HMAC_SHA1_32,
        b"o" * 30,
    )
    srtp = media.srtp
    assert srtp is not None
    assert (srtp.suite, srtp.local, srtp.remote) == (
        CryptoSuite.AES_CM_128_HMAC_SHA1_32,
        b"o" * 30,
        b"k" * 30,
    )


def test_best_effort_crypto_on_avp_is_taken_when_we_have_keys() -> None:
    sdp, media = answer(BEST_EFFORT_OFFER, OPTIONAL)
    assert sdp.media[0].proto == "RTP/AVP"
    assert len(sdp.media[0].attributes_named("crypto")) == 1
    assert media.srtp is not None


def test_with_encryption_off_best_effort_is_answered_in_cleartext_and_savp_refused() -> None:
    sdp, media = answer(BEST_EFFORT_OFFER, PLAIN)
    assert sdp.media[0].attributes_named("crypto") == ()
    assert media.srtp is None
    with pytest.raises(NoCommonCodecError, match=r"no acceptable audio stream.*RTP/SAVP 0 101"):
        answer(SAVP_OFFER, PLAIN)


def test_mandatory_refuses_a_cleartext_offer_and_says_why() -> None:
    with pytest.raises(NoCommonCodecError, match="encryption is mandatory") as caught:
        answer(BARESIP_OFFER, MANDATORY)
    assert caught.value.status == 488
    _, media = answer(SAVP_OFFER, MANDATORY)
    assert media.srtp is not None


def test_an_offer_with_only_unknown_suites_is_refused_naming_ours() -> None:
    offer = SAVP_OFFER.replace("AES_CM_128_HMAC_SHA1_32", "F8_128_HMAC_SHA1_80").replace(
        "AES_CM_128_HMAC_SHA1_80", "NULL_HMAC_SHA1_80"
    )
    with pytest.raises(
        NoCommonCodecError, match=r"F8_128_HMAC_SHA1_80.*we support AES_CM_128_HMAC_SHA1_80"
    ):
        answer(offer, OPTIONAL)


def test_offers_carry_crypto_by_policy() -> None:
    assert (
        make_offer(PLAIN, session_id=1, session_version=0).media[0].attributes_named("crypto") == ()
    )
    quiet = make_offer(OPTIONAL, session_id=1, session_version=0).media[0]
    assert (quiet.proto, quiet.attributes_named("crypto")) == ("RTP/AVP", ())
    over_tls = make_offer(
        replace(OPTIONAL, offer_crypto=True), session_id=1, session_version=0
    ).media[0]
    assert over_tls.proto == "RTP/AVP" and len(over_tls.attributes_named("crypto")) == 3
    required = make_offer(MANDATORY, session_id=1, session_version=0).media[0]
    assert required.proto == "RTP/SAVP" and len(required.attributes_named("crypto")) == 3


def test_two_of_us_agree_on_mirrored_keys() -> None:
    theirs = replace(PLAIN, crypto=local_crypto(lambda n: b"t" * n))
    offer = make_offer(MANDATORY, session_id=1, session_version=0)
    result = make_answer(parse(offer.to_bytes()), theirs, session_id=2, session_version=0)
    ours = apply_answer(offer, parse(result.sdp.to_bytes()))
    assert ours.srtp is not None and result.media.srtp is not None
    assert ours.srtp.suite is result.media.srtp.suite is CryptoSuite.AES_CM_128_HMAC_SHA1_80
    assert (ours.srtp.local, ours.srtp.remote) == (
        result.media.srtp.remote,
        result.media.srtp.local,
    )


def test_a_cleartext_answer_to_best_effort_is_plain_rtp_but_to_savp_is_invalid() -> None:
    best_effort = make_offer(replace(OPTIONAL, offer_crypto=True), session_id=1, session_version=0)
    plain_answer = make_answer(
        parse(best_effort.to_bytes()), PLAIN, session_id=2, session_version=0
    )
    assert apply_answer(best_effort, plain_answer.sdp).srtp is None
    savp = make_offer(MANDATORY, session_id=1, session_version=0)
    stripped = str(savp).replace("\r\n", "\n").split("\n")
    bare = parse("\r\n".join(line for line in stripped if not line.startswith("a=crypto")))
    with pytest.raises(InvalidAnswerError, match="no usable a=crypto"):
        apply_answer(savp, bare)
