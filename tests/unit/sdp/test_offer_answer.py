"""Offer/answer for one audio stream (RFC 3264 §5, §6, §7)."""

from __future__ import annotations

import pytest
from sdp_samples import (
    BARE_PCMU_OFFER,
    BARESIP_OFFER,
    HOLD_SENDONLY_OFFER,
    HOLD_ZERO_ADDRESS_OFFER,
    IPV6_OFFER,
    LINPHONE_ICE_OFFER,
    SIPP_OFFER,
    crlf,
)

from alexphone.core.errors import LocalProtocolError
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import OPUS, PCMA, PCMU, TELEPHONE_EVENT, Codec
from alexphone.sdp.offer_answer import (
    InvalidAnswerError,
    LocalMedia,
    MediaRejectedError,
    NoCommonCodecError,
    OfferAnswerError,
    SdpAnswer,
    apply_answer,
    make_answer,
    make_offer,
)
from alexphone.sdp.session import SessionDescription, parse

LOCAL = LocalMedia("192.168.1.50", 20000, username="alexphone")


def answer_to(text: str, local: LocalMedia = LOCAL) -> tuple[SessionDescription, SdpAnswer]:
    """Answer an offer given as text; return the answer re-parsed from its bytes and the result."""
    result = make_answer(parse(text), local, session_id=42, session_version=1)
    return parse(result.sdp.to_bytes()), result


def offer_with(*media_lines: str, connection: str = "c=IN IP4 10.0.0.9") -> str:
    return crlf("v=0", "o=- 1 1 IN IP4 10.0.0.9", "s=-", connection, "t=0 0", *media_lines)


def test_offer_lists_our_codecs_in_order() -> None:
    offer = make_offer(LOCAL, session_id=42, session_version=7)
    assert str(offer) == crlf(
        "v=0",
        "o=alexphone 42 7 IN IP4 192.168.1.50",
        "s=-",
        "c=IN IP4 192.168.1.50",
        "t=0 0",
        "m=audio 20000 RTP/AVP 111 0 8 101",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=rtcp-mux",
        "a=sendrecv",
    )


def test_offer_options_ipv6_direction_rtcp_no_events() -> None:
    local = LocalMedia("2001:db8::50", 20000, codecs=(PCMA,), telephone_event=None,
                       direction=Direction.RECVONLY, ptime=None, rtcp_port=20011)  # fmt: skip
    offer = make_offer(local, session_id=1, session_version=1)
    assert offer.connection is not None and offer.connection.addr_type == "IP6"
    assert offer.origin.addr_type == "IP6"
    assert offer.media[0].formats == ("8",)
    assert [str(a) for a in offer.media[0].attributes] == [
        "rtpmap:8 PCMA/8000", "rtcp:20011", "rtcp-mux", "recvonly",
    ]  # fmt: skip


def test_answer_baresip_offer() -> None:
    answer, result = answer_to(BARESIP_OFFER)
    assert str(answer) == crlf(
        "v=0",
        "o=alexphone 42 1 IN IP4 192.168.1.50",
        "s=-",
        "c=IN IP4 192.168.1.50",
        "t=0 0",
        "m=audio 20000 RTP/AVP 111 0 8 101",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
    )
    media = result.media
    assert media.codec == Codec("opus", 48000, 2, 111, "stereo=1;sprop-stereo=1")
    assert media.codecs == (media.codec, PCMU, PCMA)
    assert media.telephone_event == 101 and media.telephone_event_rate == 8000
    assert media.remote == ("192.168.1.20", 10922)
    assert media.remote_rtcp == ("192.168.1.20", 10923)
    assert media.local == ("192.168.1.50", 20000)
    assert media.direction is Direction.SENDRECV
    assert media.ptime == 20


def test_answer_uses_the_offerers_dynamic_payload_types_and_rejects_video() -> None:
    answer, result = answer_to(LINPHONE_ICE_OFFER)
    audio, video = answer.media
    assert audio.formats == ("96", "0", "8", "101")
    assert audio.rtpmap(96) is not None and str(audio.rtpmap(96)) == "96 opus/48000/2"
    assert audio.fmtp(96) == "useinbandfec=1"
    # telephone-event at opus' rate (48000) chosen among 48000/16000/8000
    assert str(audio.rtpmap(101)) == "101 telephone-event/48000"
    assert (video.media, video.port, video.proto, video.formats) == (
        "video", 0, "RTP/AVP", ("96", "97"),
    )  # fmt: skip
    assert video.attributes == ()
    media = result.media
    assert media.codec.payload_type == 96
    assert media.telephone_event == 101 and media.telephone_event_rate == 48000
    assert media.remote == ("203.0.113.7", 7078)
    assert media.remote_rtcp == ("203.0.113.7", 7079)
    assert result.index == 0


def test_telephone_event_falls_back_to_another_rate() -> None:
    offer = offer_with("m=audio 4000 RTP/AVP 0 100", "a=rtpmap:100 telephone-event/48000")
    _, result = answer_to(offer)
    assert result.media.telephone_event == 100
    assert result.media.telephone_event_rate == 48000


def test_telephone_event_left_out_when_we_do_not_support_it() -> None:
    answer, result = answer_to(BARESIP_OFFER, LocalMedia("10.0.0.1", 4000, telephone_event=None))
    assert answer.media[0].formats == ("111", "0", "8")
    assert result.media.telephone_event is None


def test_telephone_event_left_out_when_the_offer_lacks_it() -> None:
    answer, result = answer_to(SIPP_OFFER)
    assert answer.media[0].formats == ("0",)
    assert result.media.telephone_event is None
    assert result.media.codec == PCMU


def test_static_payload_type_without_rtpmap_is_accepted() -> None:
    answer, result = answer_to(BARE_PCMU_OFFER)
    assert answer.media[0].formats == ("0",)
    assert result.media.remote == ("127.0.0.1", 6000)


def test_answer_in_our_preference_order_by_default() -> None:
    local = LocalMedia("10.0.0.1", 4000, codecs=(PCMA, PCMU, OPUS))
    answer, result = answer_to(BARESIP_OFFER, local)
    assert answer.media[0].formats == ("8", "0", "111", "101")
    assert result.media.codec.name == "PCMA"


def test_answer_in_offer_order_when_configured() -> None:
    local = LocalMedia("10.0.0.1", 4000, codecs=(PCMA, PCMU, OPUS), prefer_offer_order=True)
    answer, result = answer_to(BARESIP_OFFER, local)
    assert answer.media[0].formats == ("111", "0", "8", "101")
    assert result.media.codec.name == "opus"


def test_codecs_we_lack_are_dropped() -> None:
    answer, _ = answer_to(LINPHONE_ICE_OFFER, LocalMedia("10.0.0.1", 4000, codecs=(PCMU,)))
    assert answer.media[0].formats == ("0", "100")  # telephone-event/8000 goes with PCMU


@pytest.mark.parametrize(
    ("offered", "wish", "answered"),
    [
        (Direction.SENDRECV, Direction.SENDRECV, Direction.SENDRECV),
        (Direction.SENDONLY, Direction.SENDRECV, Direction.RECVONLY),
        (Direction.RECVONLY, Direction.SENDRECV, Direction.SENDONLY),
        (Direction.INACTIVE, Direction.SENDRECV, Direction.INACTIVE),
        (Direction.SENDRECV, Direction.SENDONLY, Direction.SENDONLY),
        (Direction.SENDRECV, Direction.RECVONLY, Direction.RECVONLY),
        (Direction.SENDRECV, Direction.INACTIVE, Direction.INACTIVE),
        (Direction.SENDONLY, Direction.SENDONLY, Direction.INACTIVE),
        (Direction.RECVONLY, Direction.RECVONLY, Direction.INACTIVE),
    ],
)
def test_direction_table(offered: Direction, wish: Direction, answered: Direction) -> None:
    offer = offer_with("m=audio 4000 RTP/AVP 0", f"a={offered.value}")
    answer, result = answer_to(offer, LocalMedia("10.0.0.1", 4000, direction=wish))
    assert answer.media[0].direction is answered
    assert result.media.direction is answered


def test_session_level_direction_is_answered() -> None:
    offer = crlf("v=0", "o=- 1 1 IN IP4 h", "s=-", "c=IN IP4 10.0.0.9", "t=0 0", "a=sendonly",
                 "m=audio 4000 RTP/AVP 0")  # fmt: skip
    answer, _ = answer_to(offer)
    assert answer.media[0].direction is Direction.RECVONLY


def test_hold_offer_with_sendonly() -> None:
    answer, result = answer_to(HOLD_SENDONLY_OFFER)
    assert answer.media[0].direction is Direction.RECVONLY
    assert result.media.direction is Direction.RECVONLY


def test_rfc2543_hold_offer_with_zero_address() -> None:
    answer, result = answer_to(HOLD_ZERO_ADDRESS_OFFER)
    assert answer.media[0].direction is Direction.RECVONLY
    media = result.media
    assert media.direction is Direction.RECVONLY
    assert media.remote_on_hold_address
    assert answer.connection is not None and answer.connection.address == "192.168.1.50"


def test_media_level_connection_wins_over_session_level() -> None:
    offer = offer_with("m=audio 4000 RTP/AVP 0", "c=IN IP4 10.0.0.77")
    _, result = answer_to(offer)
    assert result.media.remote == ("10.0.0.77", 4000)


def test_session_level_connection_used_when_media_has_none() -> None:
    _, result = answer_to(offer_with("m=audio 4000 RTP/AVP 0"))
    assert result.media.remote == ("10.0.0.9", 4000)


def test_ipv6_offer_answered_from_our_ipv6_address() -> None:
    local = LocalMedia("192.168.1.50", 20000, alt_address="2001:db8::50")
    answer, result = answer_to(IPV6_OFFER, local)
    assert answer.connection is not None
    assert (answer.connection.addr_type, answer.connection.address) == ("IP6", "2001:db8::50")
    assert answer.origin.addr_type == "IP6"
    media = result.media
    assert media.local == ("2001:db8::50", 20000)
    assert media.remote == ("2001:db8::10", 40000)
    assert media.ptime == 30  # the peer asked for 30 ms packets
    assert media.codec == PCMU


def test_ipv6_offer_answered_from_ipv4_when_we_have_no_ipv6() -> None:
    answer, _ = answer_to(IPV6_OFFER)
    assert answer.connection is not None and answer.connection.addr_type == "IP4"


def test_ipv4_offer_answered_from_ipv4_when_ipv6_is_our_main_address() -> None:
    local = LocalMedia("2001:db8::50", 20000, alt_address="192.168.1.50")
    answer, _ = answer_to(SIPP_OFFER, local)
    assert answer.connection is not None and answer.connection.address == "192.168.1.50"


def test_no_common_codec_raises_488() -> None:
    offer = offer_with("m=audio 4000 RTP/AVP 18 101", "a=rtpmap:101 telephone-event/8000")
    with pytest.raises(NoCommonCodecError) as info:
        make_answer(parse(offer), LOCAL, session_id=1, session_version=1)
    assert info.value.status == 488
    assert str(info.value) == "no acceptable audio stream in offer (audio RTP/AVP 18 101)"


def test_video_only_offer_raises_no_common_codec() -> None:
    with pytest.raises(NoCommonCodecError):
        make_answer(parse(offer_with("m=video 4000 RTP/AVP 96")), LOCAL,
                    session_id=1, session_version=1)  # fmt: skip


def test_unsupported_profile_is_rejected() -> None:
    offer = offer_with("m=audio 4000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x",
                       "m=audio 4002 RTP/AVP 0")  # fmt: skip
    answer, result = answer_to(offer)
    assert [m.port for m in answer.media] == [0, 20000]
    assert answer.media[0].proto == "RTP/SAVP"
    assert result.index == 1
    with pytest.raises(NoCommonCodecError):
        make_answer(parse(offer_with("m=audio 4000 RTP/SAVP 0")), LOCAL,
                    session_id=1, session_version=1)  # fmt: skip


def test_disabled_stream_stays_disabled_and_second_audio_is_rejected() -> None:
    offer = offer_with("m=audio 0 RTP/AVP 0", "m=audio 4000 RTP/AVP 8", "m=audio 4002 RTP/AVP 0")
    answer, result = answer_to(offer)
    assert [m.port for m in answer.media] == [0, 20000, 0]
    assert result.media.codec == PCMA


def test_first_audio_without_common_codec_falls_through_to_next() -> None:
    offer = offer_with("m=audio 4000 RTP/AVP 18", "m=audio 4002 RTP/AVP 0")
    answer, result = answer_to(offer)
    assert [m.port for m in answer.media] == [0, 20000]
    assert result.index == 1


def test_local_media_validation() -> None:
    with pytest.raises(LocalProtocolError, match="share a payload type"):
        LocalMedia("h", 1, codecs=(PCMU, PCMU.with_payload_type(0)))
    with pytest.raises(LocalProtocolError, match="share a payload type"):
        LocalMedia("h", 1, codecs=(OPUS.with_payload_type(101),))
    with pytest.raises(LocalProtocolError, match="at least one codec"):
        LocalMedia("h", 1, codecs=())
    with pytest.raises(LocalProtocolError, match="bad RTP port"):
        LocalMedia("h", 70000)


# --- the offerer's side -------------------------------------------------------------------


def our_offer() -> SessionDescription:
    return make_offer(LOCAL, session_id=9, session_version=1)


def answer_body(*media_lines: str, connection: str = "c=IN IP4 10.0.0.2") -> SessionDescription:
    return parse(crlf("v=0", "o=- 5 5 IN IP4 10.0.0.2", "s=-", connection, "t=0 0", *media_lines))


def test_full_exchange_between_two_ends() -> None:
    bob = LocalMedia("10.0.0.2", 30000, codecs=(PCMA, OPUS), prefer_offer_order=False)
    offer = our_offer()
    answer = make_answer(parse(offer.to_bytes()), bob, session_id=5, session_version=5)
    alice_view = apply_answer(offer, parse(answer.sdp.to_bytes()))
    bob_view = answer.media
    assert alice_view.codec == Codec("PCMA", 8000, 1, 8)
    assert bob_view.codec == Codec("PCMA", 8000, 1, 8)
    assert alice_view.remote == bob_view.local == ("10.0.0.2", 30000)
    assert bob_view.remote == alice_view.local == ("192.168.1.50", 20000)
    assert alice_view.telephone_event == bob_view.telephone_event == 101
    assert alice_view.direction is bob_view.direction is Direction.SENDRECV


def test_apply_answer_first_offered_format_wins() -> None:
    answer = answer_body("m=audio 5000 RTP/AVP 9 0 8 101", "a=rtpmap:101 telephone-event/8000",
                         "a=ptime:40")  # fmt: skip
    media = apply_answer(our_offer(), answer)
    assert media.codec == PCMU  # G722 (9) was never offered
    assert media.codecs == (PCMU, PCMA)
    assert media.telephone_event == 101
    assert media.remote == ("10.0.0.2", 5000)
    assert media.remote_rtcp == ("10.0.0.2", 5001)
    assert media.ptime == 40


def test_apply_answer_takes_the_answerers_payload_type() -> None:
    answer = answer_body("m=audio 5000 RTP/AVP 96", "a=rtpmap:96 OPUS/48000/2",
                         "a=fmtp:96 maxplaybackrate=16000")  # fmt: skip
    media = apply_answer(our_offer(), answer)
    assert media.codec == Codec("OPUS", 48000, 2, 96, "maxplaybackrate=16000")
    assert media.telephone_event is None
    assert media.ptime == 20  # from our own offer


def test_apply_answer_reads_dynamic_type_without_rtpmap_as_ours() -> None:
    media = apply_answer(our_offer(), answer_body("m=audio 5000 RTP/AVP 111"))
    assert media.codec == Codec("opus", 48000, 2, 111, None)


@pytest.mark.parametrize(
    ("answered", "ours"),
    [
        ("sendrecv", Direction.SENDRECV),
        ("recvonly", Direction.SENDONLY),
        ("sendonly", Direction.RECVONLY),
        ("inactive", Direction.INACTIVE),
    ],
)
def test_apply_answer_direction(answered: str, ours: Direction) -> None:
    media = apply_answer(our_offer(), answer_body("m=audio 5000 RTP/AVP 0", f"a={answered}"))
    assert media.direction is ours


def test_apply_answer_to_our_hold_offer() -> None:
    offer = make_offer(LocalMedia("10.0.0.1", 4000, direction=Direction.SENDONLY),
                       session_id=1, session_version=2)  # fmt: skip
    media = apply_answer(offer, answer_body("m=audio 5000 RTP/AVP 0", "a=recvonly"))
    assert media.direction is Direction.SENDONLY


def test_apply_answer_with_zero_address_stops_our_sending() -> None:
    answer = answer_body("m=audio 5000 RTP/AVP 0", connection="c=IN IP4 0.0.0.0")
    assert apply_answer(our_offer(), answer).direction is Direction.RECVONLY


def test_apply_answer_rejected_stream() -> None:
    with pytest.raises(MediaRejectedError, match="port 0"):
        apply_answer(our_offer(), answer_body("m=audio 0 RTP/AVP 0"))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "answer has 0 m= lines, the offer had 1"),
        (("m=audio 5000 RTP/AVP 0", "m=video 0 RTP/AVP 96"), "answer has 2 m= lines"),
        (("m=video 5000 RTP/AVP 0",), "answer m= line 1 is 'video', offered audio"),
        (("m=audio 5000 RTP/AVP 9 101",), "answer formats 9 101 are none we offered"),
        (("m=audio 5000 RTP/AVP 97", "a=rtpmap:97 speex/8000"), "none we offered"),
    ],
)
def test_apply_answer_invalid(lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidAnswerError, match=message) as info:
        apply_answer(our_offer(), answer_body(*lines))
    assert isinstance(info.value, OfferAnswerError)


def test_apply_answer_needs_an_audio_stream_in_our_offer() -> None:
    offer = parse(crlf("v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "m=audio 0 RTP/AVP 0"))
    with pytest.raises(LocalProtocolError):
        apply_answer(offer, answer_body("m=audio 0 RTP/AVP 0"))


def test_telephone_event_codec_constant_used_in_offer() -> None:
    offer = our_offer()
    assert Codec.from_media(offer.media[0], 101) == TELEPHONE_EVENT
