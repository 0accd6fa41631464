"""Opus through opuslib: frequency kept, FEC recovery, PLC, fmtp parameters."""

from __future__ import annotations

import numpy as np
import opuslib
import pytest

from alexphone.core.errors import RemoteProtocolError
from alexphone.media.opus_codec import OpusCodec, OpusParams, parse_opus_fmtp

RATE = 48000
FRAME = 960


def tone(freq: float, frames: int, amp: float = 10000) -> np.ndarray:
    t = np.arange(frames * FRAME) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def chunks(pcm: np.ndarray) -> list[bytes]:
    return [pcm[i : i + FRAME].tobytes() for i in range(0, len(pcm), FRAME)]


def peak_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(float) * np.hanning(len(pcm))))
    return float(np.fft.rfftfreq(len(pcm), 1 / RATE)[np.argmax(spectrum)])


def pcm_of(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2")


@pytest.mark.parametrize("freq", [440.0, 1000.0, 3150.0])
def test_sine_keeps_its_frequency(freq: float) -> None:
    codec = OpusCodec(complexity=5)
    out = np.concatenate([pcm_of(codec.decode(codec.encode(c))) for c in chunks(tone(freq, 50))])
    assert len(out) == 50 * FRAME
    steady = out[10 * FRAME :]
    assert abs(peak_hz(steady) - freq) < 5
    assert np.sqrt(np.mean(steady.astype(float) ** 2)) > 5000  # not attenuated to nothing


def test_encoded_frames_are_small() -> None:
    codec = OpusCodec(bitrate=32000)
    sizes = [len(codec.encode(c)) for c in chunks(tone(440, 20))]
    assert max(sizes) < 32000 / 8 / 50 * 2  # ~80 bytes a frame at 32 kbit/s, VBR slack


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(float), b.astype(float))[0, 1])


def test_fec_recovers_a_lost_frame_better_than_plc() -> None:
    # speech-like: a chirp the PLC cannot simply extrapolate
    t = np.arange(30 * FRAME) / RATE
    pcm = (8000 * np.sin(2 * np.pi * (300 * t + 400 * t**2))).astype(np.int16)
    encoder = OpusCodec(packet_loss_percent=20)
    packets = [encoder.encode(c) for c in chunks(pcm)]
    reference = OpusCodec()
    decoded = [pcm_of(reference.decode(p)) for p in packets]
    lost = 20
    with_fec, with_plc = OpusCodec(), OpusCodec()
    for p in packets[:lost]:
        with_fec.decode(p)
        with_plc.decode(p)
    fec = pcm_of(with_fec.conceal(packets[lost + 1]))
    plc = pcm_of(with_plc.conceal(None))
    assert len(fec) == len(plc) == FRAME
    assert correlation(fec, decoded[lost]) > 0.8
    assert correlation(fec, decoded[lost]) > correlation(plc, decoded[lost])
    # decoding goes on normally after the gap
    assert len(with_fec.decode(packets[lost + 1])) == 2 * FRAME


def test_plc_fills_a_frame_and_fades() -> None:
    codec = OpusCodec()
    for c in chunks(tone(500, 10)):
        codec.decode(codec.encode(c))
    energies = [
        float(np.sqrt(np.mean(pcm_of(codec.conceal()).astype(float) ** 2))) for _ in range(10)
    ]
    assert energies[0] > 1000  # continues the tone
    assert energies[-1] < energies[0] / 4  # then fades out


def test_fec_is_recovered_whatever_the_peer_asked_to_receive() -> None:
    # useinbandfec=0 in the peer's fmtp is about what the peer decodes (RFC 7587 §6.1):
    # a sender that codes LBRR anyway (its own loss estimate) is still recovered
    t = np.arange(30 * FRAME) / RATE
    pcm = (8000 * np.sin(2 * np.pi * (300 * t + 400 * t**2))).astype(np.int16)
    encoder = OpusCodec(packet_loss_percent=20)
    packets = [encoder.encode(c) for c in chunks(pcm)]
    decoded = [pcm_of(d) for d in map(OpusCodec().decode, packets)]
    lost = 20
    codec = OpusCodec(params=OpusParams(useinbandfec=False))
    for p in packets[:lost]:
        codec.decode(p)
    assert correlation(pcm_of(codec.conceal(packets[lost + 1])), decoded[lost]) > 0.8


def test_a_next_packet_without_lbrr_gives_exactly_the_plc() -> None:
    # a CELT-only stream (what baresip sends at its default 99 kb/s) carries no FEC
    t = np.arange(20 * FRAME) / RATE
    pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    encoder = opuslib.Encoder(RATE, 1, opuslib.APPLICATION_RESTRICTED_LOWDELAY)  # CELT only
    encoder.bitrate = 96000
    encoder.packet_loss_perc = 20
    packets = [bytes(encoder.encode(c, FRAME)) for c in chunks(pcm)]
    assert all(p[0] >> 3 >= 16 for p in packets)  # TOC configs 16-31: CELT (RFC 6716 §3.1)
    with_hint, plain = OpusCodec(), OpusCodec()
    for p in packets[:10]:
        with_hint.decode(p)
        plain.decode(p)
    concealed = with_hint.conceal(packets[11])
    assert concealed == plain.conceal(None)
    assert np.sqrt(np.mean(pcm_of(concealed).astype(float) ** 2)) > 1000  # not silence


def test_corrupt_packet_raises_remote_protocol_error() -> None:
    with pytest.raises(RemoteProtocolError):
        OpusCodec().decode(b"\x03")  # code 3 without its frame count byte (RFC 6716 §3.2.5)


def test_loss_and_complexity_are_settable() -> None:
    codec = OpusCodec(complexity=2)
    codec.set_packet_loss(150)
    codec.set_complexity(10)
    assert codec._encoder.packet_loss_perc == 100
    assert codec._encoder.complexity == 10
    assert codec._encoder.inband_fec == 1
    assert OpusCodec(params=OpusParams(useinbandfec=False))._encoder.inband_fec == 0


def test_fmtp_parsing() -> None:
    assert parse_opus_fmtp(None) == OpusParams()
    params = parse_opus_fmtp("useinbandfec=0; maxplaybackrate=16000;maxaveragebitrate=20000")
    assert params == OpusParams(False, 16000, 20000, False)
    assert parse_opus_fmtp("maxplaybackrate=abc") == OpusParams()
    codec = OpusCodec(params=params)
    assert codec._encoder.bitrate == 20000
