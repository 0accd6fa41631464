"""The audio codec catalogue and how codecs in an SDP body are recognised (RFC 3551, RFC 7587)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Self

from alexphone.core.errors import ConfigError
from alexphone.sdp.attribute import RtpMap
from alexphone.sdp.session import Media

__all__ = [
    "DEFAULT_CODECS",
    "OPUS",
    "PCMA",
    "PCMU",
    "STATIC_PAYLOAD_TYPES",
    "TELEPHONE_EVENT",
    "Codec",
    "codec_by_name",
    "parse_codec_list",
]

TELEPHONE_EVENT_NAME = "telephone-event"
FIRST_DYNAMIC_PT = 96  # RFC 3551 §3: 96-127 are dynamic


@dataclass(frozen=True, slots=True)
class Codec:
    """An RTP payload format: encoding name, clock rate, channels, payload type, fmtp."""

    name: str
    clock_rate: int
    channels: int
    payload_type: int
    fmtp: str | None = None

    @classmethod
    def from_rtpmap(cls, rtpmap: RtpMap, fmtp: str | None = None) -> Self:
        """Build a codec from an rtpmap (channels default to 1, RFC 8866 §6.6)."""
        channels = rtpmap.channels if rtpmap.channels is not None else 1
        return cls(rtpmap.encoding, rtpmap.clock_rate, channels, rtpmap.payload_type, fmtp)

    @classmethod
    def from_media(cls, media: Media, payload_type: int) -> Codec | None:
        """Return the codec a stream maps ``payload_type`` to; static types need no rtpmap."""
        rtpmap = media.rtpmap(payload_type)
        fmtp = media.fmtp(payload_type)
        if rtpmap is not None:
            return cls.from_rtpmap(rtpmap, fmtp)
        static = STATIC_PAYLOAD_TYPES.get(payload_type)
        return None if static is None else replace(static, fmtp=fmtp)

    @property
    def is_telephone_event(self) -> bool:
        """Tell whether this is the RFC 4733 DTMF event payload."""
        return self.name.lower() == TELEPHONE_EVENT_NAME

    @property
    def is_dynamic(self) -> bool:
        """Tell whether the payload type is from the dynamic range (RFC 3551 §3)."""
        return self.payload_type >= FIRST_DYNAMIC_PT

    def rtpmap(self) -> RtpMap:
        """Return the rtpmap describing this codec (channels written only when not 1)."""
        channels = self.channels if self.channels != 1 else None
        return RtpMap(self.payload_type, self.name, self.clock_rate, channels)

    def matches(self, other: Codec) -> bool:
        """Tell whether two codecs are the same format, whatever their payload types."""
        if self.name.lower() != other.name.lower():
            return False
        if self.is_telephone_event:
            return True  # RFC 4733 §7.1.1: events run at the audio codec's rate, any of them
        if self.name.lower() == "opus":
            return self.clock_rate == other.clock_rate  # RFC 7587 §7: always opus/48000/2
        return self.clock_rate == other.clock_rate and self.channels == other.channels

    def with_payload_type(self, payload_type: int, fmtp: str | None = None) -> Codec:
        """Return this codec under another payload type with the given fmtp."""
        return replace(self, payload_type=payload_type, fmtp=fmtp)


OPUS = Codec("opus", 48000, 2, 111, "useinbandfec=1")
PCMU = Codec("PCMU", 8000, 1, 0)
PCMA = Codec("PCMA", 8000, 1, 8)
TELEPHONE_EVENT = Codec(TELEPHONE_EVENT_NAME, 8000, 1, 101, "0-16")
DEFAULT_CODECS: tuple[Codec, ...] = (OPUS, PCMU, PCMA)

# RFC 3551 §6 table 4: audio payload types with a fixed meaning, usable without rtpmap
STATIC_PAYLOAD_TYPES: dict[int, Codec] = {
    c.payload_type: c
    for c in (
        PCMU,
        Codec("GSM", 8000, 1, 3),
        Codec("G723", 8000, 1, 4),
        Codec("DVI4", 8000, 1, 5),
        Codec("DVI4", 16000, 1, 6),
        Codec("LPC", 8000, 1, 7),
        PCMA,
        Codec("G722", 8000, 1, 9),
        Codec("L16", 44100, 2, 10),
        Codec("L16", 44100, 1, 11),
        Codec("QCELP", 8000, 1, 12),
        Codec("CN", 8000, 1, 13),
        Codec("MPA", 90000, 1, 14),
        Codec("G728", 8000, 1, 15),
        Codec("DVI4", 11025, 1, 16),
        Codec("DVI4", 22050, 1, 17),
        Codec("G729", 8000, 1, 18),
    )
}

_BY_NAME = {c.name.lower(): c for c in (OPUS, PCMU, PCMA, TELEPHONE_EVENT)}


def codec_by_name(name: str) -> Codec:
    """Return the catalogue codec called ``name`` (case-insensitive); ConfigError if unknown."""
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"unknown codec {name!r} (known: {known})") from None


def parse_codec_list(text: str) -> tuple[Codec, ...]:
    """Parse a ``--codecs opus,pcmu,pcma`` list into catalogue codecs, in that order."""
    names = [n for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError("empty codec list")
    codecs = tuple(codec_by_name(n) for n in names)
    if len({c.name.lower() for c in codecs}) != len(codecs):
        raise ConfigError(f"codec listed twice in {text!r}")
    return codecs
