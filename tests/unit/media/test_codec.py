"""The codec factory: SDP codec -> AudioCodec."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ConfigError
from alexphone.media.codec import AudioCodec, make_codec
from alexphone.media.g711 import G711Codec, Law
from alexphone.media.opus_codec import OpusCodec
from alexphone.sdp.codec import OPUS, PCMA, PCMU, TELEPHONE_EVENT, Codec


def test_opus_from_sdp_with_fmtp() -> None:
    codec = make_codec(OPUS.with_payload_type(96, "useinbandfec=1;maxplaybackrate=16000"))
    assert isinstance(codec, OpusCodec)
    assert (codec.sample_rate, codec.channels, codec.frame_samples) == (48000, 1, 960)
    assert codec.params.maxplaybackrate == 16000


@pytest.mark.parametrize(("sdp", "law"), [(PCMU, Law.PCMU), (PCMA, Law.PCMA)])
def test_g711_from_sdp(sdp: Codec, law: Law) -> None:
    codec: AudioCodec = make_codec(sdp)
    assert isinstance(codec, G711Codec)
    assert codec.law is law
    assert codec.name == sdp.name


@pytest.mark.parametrize(
    "sdp", [TELEPHONE_EVENT, Codec("G722", 8000, 1, 9), Codec("PCMU", 16000, 1, 0)]
)
def test_unsupported_codec_is_a_config_error(sdp: Codec) -> None:
    with pytest.raises(ConfigError):
        make_codec(sdp)


def test_complexity_and_loss_reach_the_encoder() -> None:
    codec = make_codec(OPUS, complexity=9, packet_loss_percent=7)
    assert isinstance(codec, OpusCodec)
    assert codec._encoder.complexity == 9
    assert codec._encoder.packet_loss_perc == 7
