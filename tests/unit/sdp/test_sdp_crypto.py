"""The a=crypto attribute (RFC 4568 §9.1): parsing, writing and the choice of a suite."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sdp.crypto import (
    Crypto,
    CryptoSuite,
    KeyParam,
    choose_crypto,
    local_crypto,
    match_answer,
    parse_crypto_lines,
)

# RFC 4568 §9.1, the example line (key||salt of 30 bytes, lifetime 2^20, MKI 1 of 4 bytes)
RFC_EXAMPLE = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"


def counting(n: int) -> bytes:
    """A deterministic key source: bytes 0, 1, 2, ..."""
    return bytes(range(n))


def test_the_rfc_example_parses_into_its_parts() -> None:
    crypto = Crypto.parse(RFC_EXAMPLE)
    assert crypto.tag == 1
    assert crypto.known_suite is CryptoSuite.AES_CM_128_HMAC_SHA1_80
    assert len(crypto.master) == 30
    assert crypto.keys[0].lifetime == "2^20"
    assert crypto.keys[0].mki == (1, 4)
    assert str(crypto) == RFC_EXAMPLE


def test_a_gcm_key_is_28_bytes() -> None:
    (gcm,) = local_crypto(counting, (CryptoSuite.AEAD_AES_128_GCM,))
    assert len(gcm.master) == 28
    assert Crypto.parse(str(gcm)) == gcm


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1 AES_CM_128_HMAC_SHA1_80",
        "x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
        "1 AES_CM_128_HMAC_SHA1_80 uri:http://example.com/key",
        "1 AES_CM_128_HMAC_SHA1_80 inline:not*base64",
        "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD",  # 3 bytes, the suite needs 30
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|x",
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",
    ],
)
def test_malformed_lines_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        Crypto.parse(text)


def test_an_unknown_suite_parses_and_is_not_known() -> None:
    crypto = Crypto.parse("7 F8_128_HMAC_SHA1_80 inline:QUJD UNENCRYPTED_SRTP")
    assert crypto.known_suite is None
    assert crypto.session_params == ("UNENCRYPTED_SRTP",)


def test_our_lines_have_one_fresh_key_per_suite_in_preference_order() -> None:
    lines = local_crypto(counting)
    assert [c.tag for c in lines] == [1, 2, 3]
    assert [c.known_suite for c in lines] == list(CryptoSuite)
    assert lines[0].master == bytes(range(30))


def test_the_answerer_takes_the_first_offered_suite_it_knows() -> None:
    offered = parse_crypto_lines(
        [
            "1 F8_128_HMAC_SHA1_80 inline:QUJD",
            "2 AES_CM_128_HMAC_SHA1_32 inline:" + base64.b64encode(b"t" * 30).decode(),
            "3 AES_CM_128_HMAC_SHA1_80 inline:" + base64.b64encode(b"e" * 30).decode(),
        ]
    )
    ours = local_crypto(lambda n: b"o" * n)
    chosen = choose_crypto(offered, ours)
    assert chosen is not None
    answer, keys = chosen
    assert (answer.tag, answer.known_suite) == (2, CryptoSuite.AES_CM_128_HMAC_SHA1_32)
    assert (keys.local, keys.remote) == (b"o" * 30, b"t" * 30)
    assert "o" * 4 not in repr(keys)  # keys stay out of logs


def test_lines_with_mki_or_session_parameters_are_not_chosen() -> None:
    offered = parse_crypto_lines(
        [RFC_EXAMPLE, "2 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40 + " KDR=1"]
    )
    assert choose_crypto(offered, local_crypto(counting)) is None


def test_the_offerer_reads_the_answer_by_tag_and_suite() -> None:
    ours = local_crypto(counting)
    answer = Crypto(2, "AES_CM_128_HMAC_SHA1_32", (KeyParam(b"a" * 30),))
    keys = match_answer(ours, [answer])
    assert keys is not None
    assert (keys.suite, keys.local, keys.remote) == (
        CryptoSuite.AES_CM_128_HMAC_SHA1_32, ours[1].master, b"a" * 30,
    )  # fmt: skip
    wrong_suite = Crypto(2, "AES_CM_128_HMAC_SHA1_80", (KeyParam(b"a" * 30),))
    assert match_answer(ours, [wrong_suite]) is None


def test_malformed_lines_are_skipped_not_fatal() -> None:
    assert parse_crypto_lines(["garbage", RFC_EXAMPLE]) == (Crypto.parse(RFC_EXAMPLE),)


_lifetimes = st.one_of(
    st.none(), st.integers(0, 2**40).map(str), st.integers(1, 48).map(lambda n: f"2^{n}")
)
_mkis = st.one_of(st.none(), st.tuples(st.integers(0, 2**32), st.integers(1, 128)))


@st.composite
def cryptos(draw: st.DrawFn) -> Crypto:
    """Any well-formed a=crypto value, known suites at their key length, unknown ones at any."""
    suite = draw(st.sampled_from([*(s.value for s in CryptoSuite), "F8_128_HMAC_SHA1_80"]))
    known = CryptoSuite.named(suite)
    size = st.just(known.master_length) if known else st.integers(1, 64)
    keys = draw(
        st.lists(
            st.builds(
                KeyParam,
                size.flatmap(lambda n: st.binary(min_size=n, max_size=n)),
                _lifetimes,
                _mkis,
            ),
            min_size=1,
            max_size=3,
        )
    )
    params = draw(st.lists(st.sampled_from(["UNENCRYPTED_SRTCP", "KDR=10", "WSH=64"]), max_size=2))
    return Crypto(draw(st.integers(0, 999_999_999)), suite, tuple(keys), tuple(params))


@given(cryptos())
def test_every_value_round_trips(crypto: Crypto) -> None:
    assert Crypto.parse(str(crypto)) == crypto


@given(st.text(max_size=120))
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        Crypto.parse(text)
