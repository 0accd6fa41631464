"""G.711 tables against reference values, and repeat-and-fade concealment."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from alexphone.media.g711 import (
    G711Codec,
    Law,
    alaw_decode,
    alaw_encode,
    ulaw_decode,
    ulaw_encode,
)

ALL = np.arange(65536, dtype=np.uint16).view(np.int16)
ALL_SORTED = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)

# ITU-T G.191 STL reference encoder outputs (ulaw_compress / alaw_compress)
ULAW_ENCODE = {0: 0xFF, 1: 0xFF, -1: 0x7F, 4: 0xFE, 100: 0xF2, -100: 0x73, 32767: 0x80,
               -32768: 0x00, 8031: 0xA0, -8032: 0x20}  # fmt: skip
ALAW_ENCODE = {0: 0xD5, 1: 0xD5, -1: 0x55, 100: 0xD3, -100: 0x53, 32767: 0xAA, -32768: 0x2A}
# G.711 decoder outputs (table 1 and 2 reconstruction levels, 16-bit scaled)
ULAW_DECODE = {0xFF: 0, 0x7F: 0, 0x80: 32124, 0x00: -32124, 0xFE: 8, 0xF0: 120, 0xEF: 132}
ALAW_DECODE = {0xD5: 8, 0x55: -8, 0xAA: 32256, 0x2A: -32256, 0xD4: 24, 0xC5: 264}


def test_ulaw_reference_values() -> None:
    pcm = np.array(list(ULAW_ENCODE), dtype=np.int16)
    assert ulaw_encode(pcm).tolist() == list(ULAW_ENCODE.values())
    codes = np.array(list(ULAW_DECODE), dtype=np.uint8)
    assert ulaw_decode(codes).tolist() == list(ULAW_DECODE.values())


def test_alaw_reference_values() -> None:
    pcm = np.array(list(ALAW_ENCODE), dtype=np.int16)
    assert alaw_encode(pcm).tolist() == list(ALAW_ENCODE.values())
    codes = np.array(list(ALAW_DECODE), dtype=np.uint8)
    assert alaw_decode(codes).tolist() == list(ALAW_DECODE.values())


@pytest.mark.parametrize(
    ("encode", "decode"), [(ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)]
)
def test_full_range_is_monotonic_and_within_half_a_step(encode, decode) -> None:  # type: ignore[no-untyped-def]
    out = decode(encode(ALL_SORTED)).astype(np.int32)
    assert np.all(np.diff(out) >= 0)
    levels = np.unique(decode(np.arange(256, dtype=np.uint8)).astype(np.int32))
    assert len(levels) == (255 if encode is ulaw_encode else 256)  # μ-law has +0 and -0
    err = np.abs(out - ALL_SORTED.astype(np.int32))
    inside = np.abs(ALL_SORTED.astype(np.int32)) <= levels.max()
    # each input decodes to a level at most half a quantization step away
    steps = np.diff(levels)
    idx = np.clip(np.searchsorted(levels, out[inside]), 1, len(levels) - 1)
    assert np.all(
        err[inside] <= np.maximum(steps[idx - 1], steps[np.minimum(idx, len(steps) - 1)]) / 2 + 1
    )
    # beyond the largest level the codec saturates
    assert np.all(out[~inside] == np.sign(ALL_SORTED[~inside]) * levels.max())


def test_decode_encode_is_identity_on_levels() -> None:
    codes = np.arange(256, dtype=np.uint8)
    assert np.array_equal(alaw_encode(alaw_decode(codes)), codes)
    back = ulaw_encode(ulaw_decode(codes))
    assert np.array_equal(back[codes != 0x7F], codes[codes != 0x7F])  # -0 encodes as +0


def test_matches_audioop_where_python_still_has_it() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    data = ALL.astype("<i2").tobytes()
    assert alaw_encode(ALL).tobytes() == audioop.lin2alaw(data, 2)
    ours = ulaw_encode(ALL)
    theirs = np.frombuffer(audioop.lin2ulaw(data, 2), dtype=np.uint8)
    # audioop negates in two's complement, G.191 in one's complement: only negatives
    # on a step boundary differ, by one code
    differ = ours != theirs
    assert np.all(ALL[differ] < 0)
    assert np.all(np.abs(ours[differ].astype(int) - theirs[differ].astype(int)) == 1)
    codes = bytes(range(256))
    assert ulaw_decode(np.frombuffer(codes, np.uint8)).tobytes() == audioop.ulaw2lin(codes, 2)
    assert alaw_decode(np.frombuffer(codes, np.uint8)).tobytes() == audioop.alaw2lin(codes, 2)


def sine(freq: float, samples: int, rate: int = 8000, amp: float = 8000) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(samples) / rate)).astype(np.int16)


@pytest.mark.parametrize("law", list(Law))
def test_codec_round_trip_snr(law: Law) -> None:
    codec = G711Codec(law)
    assert (codec.name, codec.sample_rate, codec.frame_samples) == (law.value, 8000, 160)
    pcm = sine(440, 160)
    payload = codec.encode(pcm.tobytes())
    assert len(payload) == 160
    out = np.frombuffer(codec.decode(payload), dtype="<i2").astype(float)
    snr = 10 * np.log10(np.sum(pcm.astype(float) ** 2) / np.sum((out - pcm) ** 2))
    assert snr > 30  # G.711 gives ~38 dB on a loud tone


def rms(pcm: bytes, start: int = 0, stop: int | None = None) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(float)[start:stop]
    return float(np.sqrt(np.mean(x**2)))


def test_concealment_repeats_then_fades() -> None:
    codec = G711Codec(Law.PCMU)
    assert codec.conceal() == bytes(320)  # nothing heard yet: silence
    good = codec.decode(codec.encode(sine(400, 160).tobytes()))
    first = codec.conceal()
    assert first[:160] == good[:160]  # the first 10 ms repeat at full level
    assert rms(first, 80) < rms(good, 80) * 0.8
    levels = [rms(codec.conceal()) for _ in range(3)]
    assert levels[0] < rms(first) / 2
    assert levels == sorted(levels, reverse=True)
    assert levels[-1] < rms(good) / 30  # 70 ms into the gap it is nearly silent
    codec.decode(codec.encode(sine(400, 160).tobytes()))
    assert codec.conceal()[:160] == good[:160]  # a good frame resets the fade


def test_concealment_ignores_the_fec_hint() -> None:
    a, b = G711Codec(Law.PCMA), G711Codec(Law.PCMA)
    for codec in (a, b):
        codec.decode(codec.encode(sine(300, 160).tobytes()))
    assert a.conceal(b"\xd5" * 160) == b.conceal(None)
