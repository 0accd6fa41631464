"""The codec catalogue and codec matching (RFC 3551, RFC 4733, RFC 7587)."""

from __future__ import annotations

import pytest
from sdp_samples import LINPHONE_ICE_OFFER, crlf

from alexphone.core.errors import ConfigError
from alexphone.sdp.attribute import RtpMap
from alexphone.sdp.codec import (
    DEFAULT_CODECS,
    OPUS,
    PCMA,
    PCMU,
    TELEPHONE_EVENT,
    Codec,
    codec_by_name,
    parse_codec_list,
)
from alexphone.sdp.session import parse


def test_catalogue_rtpmaps() -> None:
    assert str(OPUS.rtpmap()) == "111 opus/48000/2"
    assert OPUS.fmtp == "useinbandfec=1"
    assert str(PCMU.rtpmap()) == "0 PCMU/8000"
    assert str(PCMA.rtpmap()) == "8 PCMA/8000"
    assert str(TELEPHONE_EVENT.rtpmap()) == "101 telephone-event/8000"
    assert TELEPHONE_EVENT.fmtp == "0-16"
    assert DEFAULT_CODECS == (OPUS, PCMU, PCMA)


def test_matching_is_case_insensitive_and_ignores_payload_type() -> None:
    assert PCMU.matches(Codec("pcmu", 8000, 1, 96))
    assert OPUS.matches(Codec("OPUS", 48000, 2, 96))
    assert not PCMU.matches(PCMA)
    assert not Codec("speex", 8000, 1, 98).matches(Codec("speex", 16000, 1, 97))
    assert not Codec("L16", 44100, 2, 10).matches(Codec("L16", 44100, 1, 11))


def test_opus_matches_even_if_the_peer_wrote_one_channel() -> None:
    assert OPUS.matches(Codec("opus", 48000, 1, 96))


def test_telephone_event_matches_at_any_rate() -> None:
    assert TELEPHONE_EVENT.matches(Codec("telephone-event", 48000, 1, 101))
    assert TELEPHONE_EVENT.matches(Codec("Telephone-Event", 16000, 1, 99))
    assert TELEPHONE_EVENT.is_telephone_event and not OPUS.is_telephone_event


def test_from_media_reads_rtpmap_fmtp_and_static_types() -> None:
    audio = parse(LINPHONE_ICE_OFFER).media[0]
    assert Codec.from_media(audio, 96) == Codec("opus", 48000, 2, 96, "useinbandfec=1")
    assert Codec.from_media(audio, 0) == PCMU  # static, no rtpmap
    assert Codec.from_media(audio, 18) == Codec("G729", 8000, 1, 18, "annexb=yes")
    assert Codec.from_media(audio, 101) == Codec("telephone-event", 48000, 1, 101)


def test_unknown_dynamic_type_without_rtpmap_is_none() -> None:
    sd = parse(crlf("v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "m=audio 1 RTP/AVP 96"))
    assert Codec.from_media(sd.media[0], 96) is None


def test_rtpmap_overrides_static_meaning() -> None:
    sd = parse(crlf("v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "m=audio 1 RTP/AVP 0",
                    "a=rtpmap:0 PCMA/8000"))  # fmt: skip
    assert Codec.from_media(sd.media[0], 0) == Codec("PCMA", 8000, 1, 0)


def test_from_rtpmap_defaults_to_one_channel() -> None:
    assert Codec.from_rtpmap(RtpMap(8, "PCMA", 8000)).channels == 1


def test_with_payload_type_and_dynamic_flag() -> None:
    moved = OPUS.with_payload_type(96, "stereo=1")
    assert (moved.payload_type, moved.fmtp, moved.name) == (96, "stereo=1", "opus")
    assert moved.is_dynamic and not PCMU.is_dynamic


def test_codec_list_from_the_command_line() -> None:
    assert parse_codec_list("opus,pcmu,pcma") == (OPUS, PCMU, PCMA)
    assert parse_codec_list(" PCMA , opus") == (PCMA, OPUS)
    assert codec_by_name("Telephone-Event") == TELEPHONE_EVENT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("opus,g729", "unknown codec 'g729'"),
        ("", "empty codec list"),
        ("pcmu,PCMU", "codec listed twice"),
    ],
)
def test_bad_codec_lists(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_codec_list(text)
