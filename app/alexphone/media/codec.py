"""The audio codec interface the media pipeline uses, and the factory from an SDP codec."""

from __future__ import annotations

from typing import Protocol

from alexphone.core.errors import ConfigError
from alexphone.media.g711 import G711Codec, Law
from alexphone.media.opus_codec import OpusCodec, parse_opus_fmtp
from alexphone.sdp.codec import Codec

__all__ = ["AudioCodec", "make_codec"]


class AudioCodec(Protocol):
    """One stream's encoder + decoder; PCM is 16-bit LE mono at ``sample_rate``."""

    name: str
    sample_rate: int
    channels: int
    frame_samples: int  # samples per 20 ms frame

    def encode(self, pcm: bytes) -> bytes:
        """Encode one frame of PCM to an RTP payload."""
        ...

    def decode(self, payload: bytes) -> bytes:
        """Decode one RTP payload to PCM."""
        ...

    def conceal(self, next_payload: bytes | None = None) -> bytes:
        """Return PCM for a lost frame: FEC from the next payload if possible, else PLC."""
        ...

    def set_packet_loss(self, percent: int) -> None:
        """Tell the encoder the loss rate the peer reports (RTCP), for FEC sizing."""
        ...


def make_codec(codec: Codec, *, complexity: int = 5, packet_loss_percent: int = 0) -> AudioCodec:
    """Build the encoder/decoder for a negotiated SDP codec; ConfigError if unsupported."""
    name = codec.name.lower()
    if name == "opus":
        params = parse_opus_fmtp(codec.fmtp)
        return OpusCodec(
            complexity=complexity, params=params, packet_loss_percent=packet_loss_percent
        )
    if name == "pcmu" and codec.clock_rate == 8000:
        return G711Codec(Law.PCMU)
    if name == "pcma" and codec.clock_rate == 8000:
        return G711Codec(Law.PCMA)
    raise ConfigError(f"no audio codec for {codec.name}/{codec.clock_rate}")
