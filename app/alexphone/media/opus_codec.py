"""Opus through opuslib (RFC 7587): 48 kHz mono PCM, 20 ms frames, in-band FEC and PLC.

SDP always says ``opus/48000/2`` (RFC 7587 §7); we encode mono, which every
decoder accepts, and decode to mono whatever the peer sends. In-band FEC (LBRR)
is only produced when the encoder is told to expect loss, so the media session
should feed the RTCP fraction lost into ``set_packet_loss``.

The fmtp ``useinbandfec`` is what the *receiver* of a stream can use (RFC 7587 §6.1):
the peer's value decides whether our encoder spends bits on FEC, never whether our
decoder looks for it. The decoder always asks the next packet for its LBRR copy of a
lost frame; a packet without one (CELT-only, or a sender not expecting loss) makes
libopus run its own concealment instead, the same samples plain PLC gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import opuslib
import opuslib.api.ctl
import opuslib.api.decoder
import opuslib.api.encoder

from alexphone.core.errors import RemoteProtocolError

__all__ = ["MAX_FRAME_SAMPLES", "OpusCodec", "OpusParams", "parse_opus_fmtp"]

MAX_FRAME_SAMPLES = 5760  # 120 ms at 48 kHz, the longest Opus packet (RFC 6716 §3.2.1)
_BANDWIDTHS = (  # maxplaybackrate -> the widest audio bandwidth worth encoding
    (8000, opuslib.constants.BANDWIDTH_NARROWBAND),
    (12000, opuslib.constants.BANDWIDTH_MEDIUMBAND),
    (16000, opuslib.constants.BANDWIDTH_WIDEBAND),
    (24000, opuslib.constants.BANDWIDTH_SUPERWIDEBAND),
)


@dataclass(frozen=True, slots=True)
class OpusParams:
    """The fmtp parameters we honour (RFC 7587 §6.1)."""

    useinbandfec: bool = True
    maxplaybackrate: int = 48000
    maxaveragebitrate: int | None = None
    cbr: bool = False


def parse_opus_fmtp(fmtp: str | None) -> OpusParams:
    """Parse an Opus fmtp value like ``useinbandfec=1; maxplaybackrate=16000``."""
    values: dict[str, str] = {}
    for part in (fmtp or "").replace(" ", "").split(";"):
        name, _, value = part.partition("=")
        if name:
            values[name.lower()] = value
    try:
        return OpusParams(
            useinbandfec=values.get("useinbandfec", "1") != "0",
            maxplaybackrate=int(values.get("maxplaybackrate", "48000")),
            maxaveragebitrate=int(values["maxaveragebitrate"])
            if "maxaveragebitrate" in values
            else None,
            cbr=values.get("cbr", "0") == "1",
        )
    except ValueError:
        return OpusParams()  # a peer's odd fmtp must not stop the call: use the defaults


class OpusCodec:
    """Opus encoder + decoder for one stream, 16-bit mono PCM at 48 kHz."""

    name = "opus"
    sample_rate = 48000
    channels = 1
    frame_samples = 960

    def __init__(
        self,
        *,
        complexity: int = 5,
        bitrate: int = 32000,
        params: OpusParams | None = None,
        packet_loss_percent: int = 0,
    ) -> None:
        self.params = params or OpusParams()
        self._encoder = opuslib.Encoder(self.sample_rate, 1, opuslib.APPLICATION_VOIP)
        self._encoder.complexity = complexity
        cap = self.params.maxaveragebitrate
        self._encoder.bitrate = min(bitrate, cap) if cap else bitrate
        # opuslib's inband_fec setter drops its argument: issue the CTL directly
        opuslib.api.encoder.encoder_ctl(
            self._encoder.encoder_state,
            opuslib.api.ctl.set_inband_fec,
            1 if self.params.useinbandfec else 0,
        )
        self._encoder.packet_loss_perc = packet_loss_percent
        self._encoder.vbr = 0 if self.params.cbr else 1
        for rate, bandwidth in _BANDWIDTHS:
            if self.params.maxplaybackrate <= rate:
                self._encoder.max_bandwidth = bandwidth
                break
        self._decoder = opuslib.Decoder(self.sample_rate, 1)
        self._last_samples = self.frame_samples

    def set_packet_loss(self, percent: int) -> None:
        """Tell the encoder the expected loss (0-100), sizing its in-band FEC."""
        self._encoder.packet_loss_perc = max(0, min(100, percent))

    def set_complexity(self, complexity: int) -> None:
        """Set the encoder complexity, 0 (cheapest) to 10 (best)."""
        self._encoder.complexity = max(0, min(10, complexity))

    def encode(self, pcm: bytes) -> bytes:
        """Encode one frame of 16-bit LE mono PCM (960 samples for 20 ms)."""
        return bytes(self._encoder.encode(pcm, len(pcm) // 2))

    def decode(self, payload: bytes) -> bytes:
        """Decode one Opus packet to 16-bit LE mono PCM; RemoteProtocolError if corrupt."""
        try:
            pcm = bytes(self._decoder.decode(payload, MAX_FRAME_SAMPLES))
        except opuslib.OpusError as exc:
            raise RemoteProtocolError(f"undecodable Opus packet: {exc}") from None
        self._last_samples = len(pcm) // 2 or self._last_samples
        return pcm

    def conceal(self, next_payload: bytes | None = None) -> bytes:
        """Fill a lost frame: FEC from the following packet if given, else Opus PLC."""
        if next_payload is not None:
            try:
                # RFC 6716 §2.1.7 / opus_decode(decode_fec=1): the next packet's LBRR copy
                return bytes(self._decoder.decode(next_payload, self._last_samples, True))
            except opuslib.OpusError:
                pass
        pcm = opuslib.api.decoder.decode(
            self._decoder.decoder_state, None, 0, self._last_samples, False, channels=1
        )
        return bytes(pcm)
