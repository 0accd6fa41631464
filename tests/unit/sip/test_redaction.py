"""Secrets leave SIP message text; the rest of the message stays readable."""

from __future__ import annotations

from alexphone.sip.redaction import REDACTED, redact_secrets

RESPONSE = "6629fae49393a05397450978507c4ef1"
CNONCE = "0a4f113b"
ALEX_PWD = "bPIa84yRnBUbHoWC8FJowoRo"
ICE_PWD = "asd88fgpdd777uzjYhagZg"
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
MESSAGE = (
    "INVITE sip:bob@lab.test SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    'Authorization: Digest username="alice", realm="lab.test", nonce="n1",\r\n'
    f' uri="sip:bob@lab.test", response="{RESPONSE}", qop=auth, nc=00000001,'
    f' cnonce="{CNONCE}"\r\n'
    f'proxy-authorization: Digest username="alice", response={RESPONSE}\r\n'
    f"ALEX-session: v=1;ufrag=oL8g5ubb;pwd={ALEX_PWD};tb=63ff665f8706ae11\r\n"
    "Content-Type: application/sdp\r\n\r\n"
    "v=0\r\nm=audio 4000 RTP/SAVP 0\r\n"
    f"a=ice-ufrag:8hhY\r\na=ice-pwd:{ICE_PWD}\r\n"
    f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20|1:4\r\n"
)


def test_every_secret_is_replaced() -> None:
    text = redact_secrets(MESSAGE)

    for secret in (RESPONSE, CNONCE, ALEX_PWD, ICE_PWD, KEY):
        assert secret not in text
    assert text.count(REDACTED) == 6


def test_what_explains_a_failure_stays() -> None:
    text = redact_secrets(MESSAGE)

    for kept in ('username="alice"', 'realm="lab.test"', 'nonce="n1"', "ufrag=oL8g5ubb",
                 "tb=63ff665f8706ae11", "a=ice-ufrag:8hhY", "AES_CM_128_HMAC_SHA1_80",
                 "|2^20|1:4", "m=audio 4000 RTP/SAVP 0"):  # fmt: skip
        assert kept in text


def test_a_message_without_secrets_is_unchanged() -> None:
    plain = "OPTIONS sip:bob@lab.test SIP/2.0\r\nCall-ID: pwd=1\r\nContent-Length: 0\r\n\r\n"

    assert redact_secrets(plain) == plain
