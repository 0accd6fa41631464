"""G.711 PCMU/PCMA with numpy lookup tables, and repeat-and-fade concealment.

The encoders follow the ITU-T G.191 STL reference (``ulaw_compress``/
``alaw_compress``: one's-complement magnitude of the 14-/13-bit input), computed
once for all 65536 16-bit inputs; encoding is then a single table lookup.
Concealment repeats the last good frame and fades it out: full level for the
first 10 ms of a gap, then -6 dB per further 10 ms (G.711 Appendix I keeps the
same shape, with pitch-synchronous repetition we do not attempt).
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import numpy.typing as npt

__all__ = [
    "G711Codec",
    "Law",
    "alaw_decode",
    "alaw_encode",
    "ulaw_decode",
    "ulaw_encode",
]

Int16Array = npt.NDArray[np.int16]
UInt8Array = npt.NDArray[np.uint8]

_FADE_START = 0.010  # seconds of a gap played at full level
_FADE_HALF = 0.010  # then the level halves (-6 dB) every 10 ms
_POWERS = 1 << np.arange(12)


def _all_int16() -> npt.NDArray[np.int32]:
    return np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)


def _ulaw_table() -> UInt8Array:
    x = _all_int16()
    # G.191 ulaw_compress: 14-bit one's complement magnitude plus the bias 33
    absno = np.minimum(np.where(x < 0, (~x) >> 2, x >> 2) + 33, 0x1FFF)
    segno = 1 + np.count_nonzero((absno >> 6)[:, None] >= _POWERS[None, :8], axis=1)
    high = 8 - segno
    low = 15 - ((absno >> segno) & 0xF)
    y = (high << 4) | low
    table: UInt8Array = np.where(x >= 0, y | 0x80, y).astype(np.uint8)
    return table


def _ulaw_decode_table() -> Int16Array:
    y = np.arange(256, dtype=np.int32)
    sign = np.where(y < 0x80, -1, 1)
    mantissa = ~y
    exponent = (mantissa >> 4) & 7
    step = 4 << (exponent + 1)
    x = sign * ((0x80 << exponent) + step * (mantissa & 0xF) + step // 2 - 4 * 33)
    table: Int16Array = x.astype(np.int16)
    return table


def _alaw_table() -> UInt8Array:
    x = _all_int16()
    # G.191 alaw_compress: 12-bit one's complement magnitude, segment search
    ix = np.where(x < 0, (~x) >> 4, x >> 4)
    bit_length = np.count_nonzero(ix[:, None] >= _POWERS[None, :], axis=1)
    iexp = 1 + np.maximum(bit_length - 5, 0)  # shifts until the mantissa fits 16..31
    y = np.where(ix > 15, (ix >> (iexp - 1)) - 16 + (iexp << 4), ix)
    y = np.where(x >= 0, y | 0x80, y)
    return (y ^ 0x55).astype(np.uint8)


def _alaw_decode_table() -> Int16Array:
    y = np.arange(256, dtype=np.int32)
    ix = (y ^ 0x55) & 0x7F
    iexp = ix >> 4
    mant = np.where(iexp > 0, (ix & 0xF) + 16, ix & 0xF)
    mant = (mant << 4) + 8
    mant = np.where(iexp > 1, mant << np.maximum(iexp - 1, 0), mant)
    return np.where(y > 127, mant, -mant).astype(np.int16)


_ULAW_ENC = _ulaw_table()
_ULAW_DEC = _ulaw_decode_table()
_ALAW_ENC = _alaw_table()
_ALAW_DEC = _alaw_decode_table()


def ulaw_encode(pcm: Int16Array) -> UInt8Array:
    """Encode 16-bit linear samples to μ-law octets (G.711, G.191 reference rounding)."""
    return _ULAW_ENC[pcm.astype(np.int16, copy=False).view(np.uint16)]


def ulaw_decode(data: UInt8Array) -> Int16Array:
    """Decode μ-law octets to 16-bit linear samples."""
    return _ULAW_DEC[data]


def alaw_encode(pcm: Int16Array) -> UInt8Array:
    """Encode 16-bit linear samples to A-law octets (G.711, G.191 reference rounding)."""
    return _ALAW_ENC[pcm.astype(np.int16, copy=False).view(np.uint16)]


def alaw_decode(data: UInt8Array) -> Int16Array:
    """Decode A-law octets to 16-bit linear samples."""
    return _ALAW_DEC[data]


class Law(Enum):
    """The two G.711 companding laws, by their RTP encoding names."""

    PCMU = "PCMU"
    PCMA = "PCMA"


class G711Codec:
    """PCMU or PCMA at 8 kHz, 20 ms frames, with repeat-and-fade concealment."""

    sample_rate = 8000
    channels = 1
    frame_samples = 160

    def __init__(self, law: Law) -> None:
        self.law = law
        self.name = law.value
        self._encode = ulaw_encode if law is Law.PCMU else alaw_encode
        self._decode = ulaw_decode if law is Law.PCMU else alaw_decode
        self._last: npt.NDArray[np.float64] | None = None
        self._concealed = 0  # samples concealed since the last good frame

    def encode(self, pcm: bytes) -> bytes:
        """Encode 16-bit LE mono PCM at 8 kHz to G.711 octets."""
        return self._encode(np.frombuffer(pcm, dtype="<i2")).tobytes()

    def decode(self, payload: bytes) -> bytes:
        """Decode G.711 octets to 16-bit LE mono PCM; remembers the frame for concealment."""
        pcm = self._decode(np.frombuffer(payload, dtype=np.uint8))
        self._last = pcm.astype(np.float64) if len(pcm) else self._last
        self._concealed = 0
        return pcm.astype("<i2").tobytes()

    def conceal(self, next_payload: bytes | None = None) -> bytes:
        """Return one frame repeating the last one with a fade (G.711 has no FEC)."""
        n = len(self._last) if self._last is not None else self.frame_samples
        if self._last is None:
            return bytes(2 * n)
        t = (self._concealed + np.arange(n)) / self.sample_rate
        gain = 0.5 ** np.maximum(0.0, (t - _FADE_START) / _FADE_HALF)
        self._concealed += n
        return np.rint(self._last * gain).astype("<i2").tobytes()

    def set_packet_loss(self, percent: int) -> None:
        """Accept the loss hint from RTCP (no effect: G.711 has no redundancy)."""
