"""DTLS-SRTP in SDP: a=fingerprint and a=setup, roles, and offer/answer on UDP/TLS profiles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alexphone.core.errors import ParseError
from alexphone.sdp.dtls import (
    DtlsRole,
    Fingerprint,
    Setup,
    answer_setup,
    parse_fingerprints,
    role_of,
)
from alexphone.sdp.offer_answer import (
    InvalidAnswerError,
    LocalMedia,
    NoCommonCodecError,
    apply_answer,
    make_answer,
    make_offer,
)
from alexphone.sdp.session import parse

OURS = Fingerprint("sha-256", bytes(range(32)))
THEIRS = Fingerprint("sha-256", bytes(range(100, 132)))
HEX = ":".join(f"{b:02X}" for b in range(100, 132))


def baresip_style_offer(proto: str = "UDP/TLS/RTP/SAVPF", setup: str = "actpass") -> bytes:
    """Session-level a=setup and a=fingerprint, as baresip's dtls_srtp module writes them."""
    return (
        "v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
        f"a=setup:{setup}\r\na=fingerprint:SHA-256 {HEX}\r\n"
        f"m=audio 7000 {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    ).encode()


def test_a_fingerprint_round_trips_and_reads_any_case() -> None:
    text = f"SHA-256 {HEX.lower()}"
    assert Fingerprint.parse(text) == THEIRS
    assert Fingerprint.parse(str(THEIRS)) == THEIRS
    assert str(THEIRS) == f"sha-256 {HEX}"


@given(st.sampled_from(["sha-1", "sha-256", "sha-512"]), st.data())
def test_fingerprints_of_every_known_length_round_trip(algorithm: str, data: st.DataObject) -> None:
    size = {"sha-1": 20, "sha-256": 32, "sha-512": 64}[algorithm]
    digest = data.draw(st.binary(min_size=size, max_size=size))
    assert Fingerprint.parse(str(Fingerprint(algorithm, digest))) == Fingerprint(algorithm, digest)


@pytest.mark.parametrize(
    "bad",
    ["sha-256", "sha-256 zz:01", "sha-256 0102", "sha-256 01:02", "sha-256 01:02 03", ""],
)
def test_bad_fingerprints_are_parse_errors(bad: str) -> None:
    with pytest.raises(ParseError):
        Fingerprint.parse(bad)
    assert parse_fingerprints([bad, str(OURS)]) == (OURS,)


def test_setup_roles_follow_rfc_5763() -> None:
    assert answer_setup(Setup.ACTPASS) is Setup.ACTIVE  # the recommended answer
    assert answer_setup(Setup.PASSIVE) is Setup.ACTIVE
    assert answer_setup(Setup.ACTIVE) is Setup.PASSIVE
    assert answer_setup(Setup.HOLDCONN) is None
    assert role_of(Setup.ACTIVE) is DtlsRole.CLIENT and role_of(Setup.PASSIVE) is DtlsRole.SERVER
    with pytest.raises(ParseError):
        Setup.parse("sometimes")


def test_we_answer_baresips_offer_as_the_active_side() -> None:
    local = LocalMedia("192.0.2.1", 4000, dtls=OURS)
    answer = make_answer(parse(baresip_style_offer()), local, session_id=1, session_version=0)
    media = answer.sdp.media[0]
    assert media.proto == "UDP/TLS/RTP/SAVPF"
    assert media.attribute("setup") == "active" and media.attribute("fingerprint") == str(OURS)
    assert answer.media.dtls is not None and answer.media.dtls.role is DtlsRole.CLIENT
    assert answer.media.dtls.fingerprints == (THEIRS,)


def test_an_active_offerer_makes_us_the_server() -> None:
    local = LocalMedia("192.0.2.1", 4000, dtls=OURS)
    offer = parse(baresip_style_offer("UDP/TLS/RTP/SAVP", "active"))
    answer = make_answer(offer, local, session_id=1, session_version=0)
    assert answer.sdp.media[0].attribute("setup") == "passive"
    assert answer.media.dtls is not None and answer.media.dtls.role is DtlsRole.SERVER


def test_without_dtls_a_udp_tls_offer_is_refused() -> None:
    with pytest.raises(NoCommonCodecError):
        make_answer(
            parse(baresip_style_offer()), LocalMedia("192.0.2.1", 4000), session_id=1,
            session_version=0,
        )  # fmt: skip


def test_a_udp_tls_offer_without_fingerprint_is_refused_and_says_why() -> None:
    body = baresip_style_offer().replace(f"a=fingerprint:SHA-256 {HEX}\r\n".encode(), b"")
    with pytest.raises(NoCommonCodecError, match="without a readable a=fingerprint"):
        make_answer(parse(body), LocalMedia("192.0.2.1", 4000, dtls=OURS), session_id=1,
                    session_version=0)  # fmt: skip


def test_a_plain_peer_answers_our_best_effort_offer_with_cleartext() -> None:
    ours = LocalMedia("192.0.2.1", 4000, dtls=OURS, offer_dtls=True)
    offer = make_offer(ours, session_id=1, session_version=0)
    assert offer.media[0].proto == "RTP/AVP" and offer.media[0].attribute("setup") == "actpass"
    plain = make_answer(parse(offer.to_bytes()), LocalMedia("192.0.2.9", 5000), session_id=2,
                        session_version=0)  # fmt: skip
    assert plain.sdp.media[0].attribute("fingerprint") is None and plain.media.dtls is None
    assert apply_answer(offer, plain.sdp).dtls is None


def test_two_dtls_phones_agree_opposite_roles_and_each_others_fingerprint() -> None:
    offerer = LocalMedia("192.0.2.1", 4000, dtls=OURS, dtls_required=True)
    offer = make_offer(offerer, session_id=1, session_version=0)
    assert offer.media[0].proto == "UDP/TLS/RTP/SAVP"
    answer = make_answer(parse(offer.to_bytes()), LocalMedia("192.0.2.9", 5000, dtls=THEIRS),
                         session_id=2, session_version=0)  # fmt: skip
    ours = apply_answer(offer, parse(answer.sdp.to_bytes()))
    assert ours.dtls is not None and answer.media.dtls is not None
    assert {ours.dtls.role, answer.media.dtls.role} == {DtlsRole.CLIENT, DtlsRole.SERVER}
    assert ours.dtls.fingerprints == (THEIRS,) and answer.media.dtls.fingerprints == (OURS,)


def test_an_answer_to_a_udp_tls_offer_must_carry_a_fingerprint() -> None:
    offer = make_offer(LocalMedia("192.0.2.1", 4000, dtls=OURS, dtls_required=True),
                       session_id=1, session_version=0)  # fmt: skip
    answer = make_answer(parse(offer.to_bytes()), LocalMedia("192.0.2.9", 5000, dtls=THEIRS),
                         session_id=2, session_version=0).sdp  # fmt: skip
    stripped = parse(str(answer).replace(f"a=fingerprint:{THEIRS}\r\n", ""))
    with pytest.raises(InvalidAnswerError):
        apply_answer(offer, stripped)
    holdconn = parse(str(answer).replace("a=setup:active", "a=setup:holdconn"))
    with pytest.raises(InvalidAnswerError, match="holdconn"):
        apply_answer(offer, holdconn)
