"""Offer/answer of RTP/RTCP multiplexing (RFC 5761 §5.1.1, RFC 8035): a=rtcp-mux."""

from __future__ import annotations

from dataclasses import replace

from sdp_samples import BARESIP_OFFER, crlf

from alexphone.sdp.offer_answer import LocalMedia, apply_answer, make_answer, make_offer
from alexphone.sdp.session import parse

LOCAL = LocalMedia("192.168.1.50", 20000, username="alexphone")
NO_MUX = replace(LOCAL, rtcp_mux=False)
MUXED_OFFER = BARESIP_OFFER + "a=rtcp-mux\r\n"


def _answer(rtcp_mux: bool, *, rtcp: str | None = None) -> str:
    """baresip's answer: PCMU, with or without a=rtcp-mux (and a=rtcp)."""
    lines = ["v=0", "o=- 1 1 IN IP4 192.168.1.20", "s=-", "c=IN IP4 192.168.1.20", "t=0 0"]
    lines += ["m=audio 10922 RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]
    lines += [f"a=rtcp:{rtcp}"] if rtcp is not None else []
    lines += ["a=rtcp-mux"] if rtcp_mux else []
    return crlf(*lines)


def test_our_offer_carries_rtcp_mux_unless_turned_off() -> None:
    muxed = make_offer(LOCAL, session_id=1, session_version=1).media[0]
    separate = make_offer(NO_MUX, session_id=1, session_version=1).media[0]
    assert muxed.attribute("rtcp-mux") == "" and separate.attribute("rtcp-mux") is None


def test_an_answer_with_rtcp_mux_puts_rtcp_on_the_rtp_address() -> None:
    offer = make_offer(LOCAL, session_id=1, session_version=1)
    media = apply_answer(offer, parse(_answer(True, rtcp="10999")))
    # RFC 5761 §5.1.1: once multiplexed, a=rtcp no longer names where RTCP goes
    assert media.rtcp_mux and media.remote_rtcp == ("192.168.1.20", 10922) == media.remote


def test_an_answer_without_rtcp_mux_keeps_the_separate_rtcp_port() -> None:
    offer = make_offer(LOCAL, session_id=1, session_version=1)
    media = apply_answer(offer, parse(_answer(False)))
    assert not media.rtcp_mux and media.remote_rtcp == ("192.168.1.20", 10923)


def test_rtcp_mux_in_an_answer_to_an_offer_without_it_is_not_taken() -> None:
    offer = make_offer(NO_MUX, session_id=1, session_version=1)
    media = apply_answer(offer, parse(_answer(True)))
    assert not media.rtcp_mux and media.remote_rtcp == ("192.168.1.20", 10923)


def test_we_accept_rtcp_mux_in_an_offer_and_say_so() -> None:
    answer = make_answer(parse(MUXED_OFFER), LOCAL, session_id=2, session_version=1)
    assert answer.sdp.media[0].attribute("rtcp-mux") == ""
    assert answer.media.rtcp_mux
    assert answer.media.remote_rtcp == answer.media.remote == ("192.168.1.20", 10922)


def test_an_offer_without_rtcp_mux_gets_none_and_rtcp_goes_to_its_rtcp_port() -> None:
    answer = make_answer(parse(BARESIP_OFFER), LOCAL, session_id=2, session_version=1)
    assert answer.sdp.media[0].attribute("rtcp-mux") is None
    assert not answer.media.rtcp_mux and answer.media.remote_rtcp == ("192.168.1.20", 10923)


def test_a_phone_without_mux_declines_it_in_an_offer() -> None:
    answer = make_answer(parse(MUXED_OFFER), NO_MUX, session_id=2, session_version=1)
    assert answer.sdp.media[0].attribute("rtcp-mux") is None
    assert not answer.media.rtcp_mux and answer.media.remote_rtcp == ("192.168.1.20", 10923)
