"""Two MediaStreams joined in memory on a fake clock: audio, loss, latching, DTMF, RTCP."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from alexphone.core.clock import FakeClock
from alexphone.media.audio_endpoint import SilenceSource, ToneSource
from alexphone.media.resampler import to_samples
from alexphone.media.stream import FRAME_SECONDS, MediaStream
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import OPUS, PCMU, Codec
from alexphone.sdp.offer_answer import NegotiatedMedia

A = ("10.0.0.1", 4000)
B = ("10.0.0.2", 5000)


class CaptureSink:
    """Keeps every frame written."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frames: list[bytes] = []

    def write(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    def close(self) -> None:
        return

    def samples(self) -> np.ndarray:
        return to_samples(b"".join(self.frames))


def media(codec: Codec, local: tuple[str, int], remote: tuple[str, int]) -> NegotiatedMedia:
    return NegotiatedMedia(
        codec=codec,
        telephone_event=101,
        local=local,
        remote=remote,
        direction=Direction.SENDRECV,
        ptime=20,
        codecs=(codec,),
        telephone_event_rate=8000,
        remote_rtcp=(remote[0], remote[1] + 1),
    )


class Pair:
    """Stream a (tone) → b (capture) and b (silence) → a, with a lossy in-memory wire."""

    def __init__(self, codec: Codec, drop: Callable[[int], bool] = lambda _: False) -> None:
        """``drop(n)`` tells whether a's n-th RTP packet to b gets lost."""
        self.clock = FakeClock(100.0)
        self.drop = drop
        self.sent = 0
        self.wire: list[tuple[str, bytes, tuple[str, int]]] = []
        rate = 48000 if codec.name == "opus" else 8000
        self.a_sink, self.b_sink = CaptureSink(rate), CaptureSink(rate)
        self.a = MediaStream(
            media(codec, A, B), ToneSource(rate, 1000), self.a_sink,
            lambda d, addr: self._send("b", d, A), lambda d, addr: self._send("b-rtcp", d, A),
            rng=random.Random(1), ssrc=0x1111, cname="a@test",
        )  # fmt: skip
        self.b = MediaStream(
            media(codec, B, A), SilenceSource(rate), self.b_sink,
            lambda d, addr: self._send("a", d, B), lambda d, addr: self._send("a-rtcp", d, B),
            rng=random.Random(2), ssrc=0x2222, cname="b@test",
        )  # fmt: skip

    def _send(self, to: str, data: bytes, source: tuple[str, int]) -> None:
        if to == "b":
            self.sent += 1
            if self.drop(self.sent):
                return
        self.wire.append((to, data, source))

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / FRAME_SECONDS)):
            now = self.clock.advance(FRAME_SECONDS)
            self.a.tick(now)
            self.b.tick(now)
            for to, data, source in self.wire:
                if to == "b":
                    self.b.receive_rtp(data, source, now + 0.005)
                elif to == "a":
                    self.a.receive_rtp(data, source, now + 0.005)
                elif to == "b-rtcp":
                    self.b.receive_rtcp(data, source, now, 1.7e9 + now)
                else:
                    self.a.receive_rtcp(data, source, now, 1.7e9 + now)
            self.wire.clear()


def tone_fit(samples: np.ndarray, rate: int, hz: float) -> tuple[float, float]:
    """Return (amplitude of the hz component, rms of what is not that component)."""
    t = np.arange(samples.size) / rate
    basis = np.column_stack((np.sin(2 * np.pi * hz * t), np.cos(2 * np.pi * hz * t)))
    fit, *_ = np.linalg.lstsq(basis, samples, rcond=None)
    return float(np.hypot(*fit)), float(np.sqrt(np.mean((samples - basis @ fit) ** 2)))


@pytest.mark.parametrize("codec", [PCMU, OPUS])
def test_a_tone_crosses_the_pair_intact(codec: Codec) -> None:
    pair = Pair(codec)
    pair.run(1.0)
    rate = pair.b_sink.rate
    heard = pair.b_sink.samples()
    assert heard.size == pytest.approx(rate, rel=0.03)  # one frame out per tick
    amplitude, noise = tone_fit(heard[rate // 2 :], rate, 1000)
    assert amplitude == pytest.approx(0.25 * 32767, rel=0.15)
    assert noise < 0.1 * amplitude
    stats = pair.b.stats()
    assert stats.received == 50 and stats.lost == 0 and stats.sent == 50  # b sends silence
    assert not pair.a_sink.samples()[-4000:].any() or codec.name == "opus"


def test_a_lost_opus_packet_is_concealed_not_silent() -> None:
    pair = Pair(OPUS, drop=lambda n: n in (21, 31, 41))
    pair.run(1.0)
    stats = pair.b.stats()
    assert stats.lost == 3 and pair.b.concealed == 3
    assert pair.b.fec_recovered == 3  # each gap had its next packet queued
    heard = pair.b_sink.samples().reshape(-1, 960)
    # concealment fades a little but never drops to silence (a 0.25 FS tone is ~5800 RMS)
    quiet = [i for i, frame in enumerate(heard[10:], 10) if np.sqrt(np.mean(frame**2)) < 1000]
    assert quiet == []


def test_garbage_and_unknown_payload_types_are_counted_and_dropped() -> None:
    pair = Pair(PCMU)
    pair.b.receive_rtp(b"\x80\x00\x00", A, 100.0)  # truncated header
    pair.b.receive_rtp(bytes([0x80, 99]) + bytes(10) + b"x" * 20, A, 100.0)  # PT 99 unknown
    pair.b.receive_rtcp(b"\x81\xc9\x00\x09garbage", A, 100.0, 1.7e9)
    assert pair.b.stats().bad == 2 and pair.b.ignored == 1
    assert pair.b.last_received is None  # nothing usable arrived


def test_sending_latches_to_the_peers_actual_address() -> None:
    pair = Pair(PCMU)
    nat = ("198.51.100.7", 31000)
    pair.b.update(replace(pair.b.media, remote=("192.168.1.10", 5000)))  # private, unreachable
    pair.b.receive_rtp(bytes(RtpPacket(0, 1, 160, 0x1111, bytes(160))), nat, 101.0)
    assert pair.b.remote == nat and pair.b.latched
    assert pair.b.remote_rtcp == (nat[0], nat[1] + 1)
    pair.b.receive_rtp(bytes(RtpPacket(0, 2, 320, 0x1111, bytes(160))), A, 101.02)
    assert pair.b.remote == nat  # latched once: a stray source does not take the stream


def test_dtmf_digits_arrive_once_each_between_audio() -> None:
    pair = Pair(PCMU)
    pair.a.send_dtmf("1#")
    pair.run(1.0)
    assert list(pair.b.dtmf_received) == ["1", "#"]
    with pytest.raises(ValueError):
        pair.a.send_dtmf("x")
    no_events = Pair(PCMU)
    no_events.a.media = replace(no_events.a.media, telephone_event=None)
    with pytest.raises(ValueError):
        no_events.a.send_dtmf("1")


def test_mute_sends_silence_and_hold_stops_sending() -> None:
    pair = Pair(PCMU)
    pair.a.muted = True
    pair.run(0.5)
    assert np.max(np.abs(pair.b_sink.samples())) < 50
    sent = pair.a.stats().sent
    pair.a.update(replace(pair.a.media, direction=Direction.RECVONLY))
    pair.run(0.2)
    assert pair.a.stats().sent == sent


class CountingSource(SilenceSource):
    """Silence that counts the frames read from it."""

    reads = 0

    def read(self, samples: int) -> bytes:
        self.reads += 1
        return super().read(samples)


def test_a_stream_awaiting_dtls_keys_sends_nothing_and_its_file_source_waits() -> None:
    pair = Pair(PCMU)
    source = CountingSource(8000)
    pair.a.source = source
    pair.a.awaiting_keys = True
    pair.run(0.5)
    assert pair.sent == 0 and pair.a.stats().sent == 0 and source.reads == 0
    pair.a.awaiting_keys = False
    pair.run(0.2)
    assert pair.sent == source.reads == 10


def test_rtcp_reports_give_rtt_and_loss() -> None:
    pair = Pair(PCMU, drop=lambda n: n % 10 == 0)
    pair.run(1.0)
    pair.b.send_report(pair.clock(), 1.7e9 + pair.clock())  # SR from b, RR block about a
    pair.run(0.02)
    pair.a.send_report(pair.clock(), 1.7e9 + pair.clock())  # a's SR: block about b, DLSR
    pair.run(0.02)
    assert pair.a.rtcp.peer_fraction_lost == pytest.approx(0.1, abs=0.03)
    pair.b.send_report(pair.clock(), 1.7e9 + pair.clock())
    pair.run(0.02)
    assert pair.a.stats().rtt_ms is not None
    assert 1 < pair.a.rtcp.interval() < 10  # RFC 3550 A.7: 5 s minimum, randomised


def test_jitter_is_reported_in_milliseconds() -> None:
    pair = Pair(PCMU)
    for n in range(200):  # packets every 20 ms, arriving alternately 0 and 10 ms late
        packet = RtpPacket(0, n, 160 * n, 0x1111, bytes(160))
        pair.b.receive_rtp(bytes(packet), A, 100.0 + 0.02 * n + 0.01 * (n % 2))
    # RFC 3550 A.8: J converges to the mean |D| = 10 ms
    assert pair.b.stats().jitter_ms == pytest.approx(10.0, abs=0.5)


class FifoDevice:
    """A sound card: a FIFO the stream fills and a callback drains on the device's clock."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.fifo = bytearray()
        self.underruns = 0
        self.started = False

    def queued(self) -> int | None:
        return len(self.fifo) // 2

    def write(self, pcm: bytes) -> None:
        self.fifo += pcm

    def callback(self, samples: int) -> None:
        """The device plays ``samples``; an empty FIFO once playing is a glitch."""
        if len(self.fifo) < 2 * samples and self.started:
            self.underruns += 1
        self.started = self.started or len(self.fifo) > 0
        del self.fifo[: 2 * samples]

    def close(self) -> None:
        return


def test_a_late_event_loop_never_starves_the_device_nor_moves_the_delay() -> None:
    # The device pulls 20 ms every 20 ms on its own clock. The loop's frame tick runs 0-30 ms
    # late (and catches up on the frames it missed, as the driver does); packets from the
    # peer arrive every 20 ms. Nothing may slip: no stall, no stretch, no device underrun.
    rng = random.Random(5)
    pair = Pair(PCMU)
    device = FifoDevice(8000)
    pair.b.sink = device
    events: list[tuple[float, int, str]] = []
    for n in range(1500):
        events.append((100.0 + 0.02 * n, 0, "send"))  # the peer's clock
        events.append((100.0 + 0.02 * n + 0.013, 1, "device"))
    at = 100.0
    for n in range(1500):
        at = max(at, 100.0 + 0.02 * n + rng.uniform(0.0, 0.030))
        events.append((at, 2, f"tick {100.0 + 0.02 * n}"))
    delays = []
    for at, _, what in sorted(events):
        if what == "send":
            pair.a.tick(at)
            for _, data, source in [w for w in pair.wire if w[0] == "b"]:
                pair.b.receive_rtp(data, source, at + 0.003)
            pair.wire.clear()
        elif what == "device":
            device.callback(160)
        else:
            pair.b.tick(float(what.split()[1]))
            if pair.b.playout.delay is not None:
                delays.append(pair.b.playout.delay)
    stats = pair.b.playout.stats()
    assert (stats.stalls, stats.dropped, stats.accelerated, stats.expanded) == (0, 0, 0, 0)
    assert device.underruns == 0 and pair.b.concealed == 0
    assert len(delays) > 1400 and max(delays) - min(delays) < 1e-9


class DriftingMicrophone:
    """A microphone whose clock runs ``ppm`` fast: it captures at its own pace."""

    def __init__(self, rate: int, ppm: float) -> None:
        self.rate, self.ppm = rate, ppm
        self.captured = 0.0
        self.read_samples = 0
        self.underruns = 0
        self.overruns = 0

    def run_for(self, seconds: float) -> None:
        self.captured += seconds * self.rate * (1 + self.ppm * 1e-6)

    def available(self) -> int | None:
        return int(self.captured) - self.read_samples

    def read(self, samples: int) -> bytes:
        if self.available() < samples:
            self.underruns += 1  # a device source would pad with silence: a glitch
        self.read_samples += samples
        if self.available() > 4 * samples:
            self.overruns += 1  # a device source would trim its backlog: a glitch
        return bytes(2 * samples)

    def close(self) -> None:
        return


@pytest.mark.slow  # 10 simulated minutes each: ~2 s
@pytest.mark.parametrize("ppm", [300.0, -300.0])
def test_a_drifting_microphone_stays_centred(ppm: float) -> None:
    pair = Pair(PCMU)
    mic = DriftingMicrophone(8000, ppm)
    pair.a.source = mic
    mic.run_for(0.03)  # the first callback came just before the first tick
    for _ in range(30000):  # 10 minutes
        now = pair.clock.advance(FRAME_SECONDS)
        mic.run_for(FRAME_SECONDS)
        pair.a.tick(now)
        pair.wire.clear()
    assert (mic.underruns, mic.overruns) == (0, 0)
    sent = pair.a.stats().sent
    assert abs(sent - 30000 * (1 + ppm * 1e-6)) <= 3  # RTP follows the microphone's clock


def test_a_stalling_event_loop_is_not_taken_for_network_jitter() -> None:
    # Every 2 s the loop stalls for 120 ms: the packets that came meanwhile are read at its
    # end, then the missed frame ticks run back to back (as the driver does). The file sink
    # still gets one frame per scheduled tick, and nothing slips.
    pair = Pair(PCMU)
    delays = []
    pending: list[tuple[float, bytes]] = []
    for n in range(1500):
        scheduled = 100.0 + 0.02 * n
        pair.a.tick(scheduled)
        pending += [(scheduled + 0.003, d) for to, d, _ in pair.wire if to == "b"]
        pair.wire.clear()
        stalled = 50 <= n % 100 < 56  # the loop is busy from tick 50 to 55 of every hundred
        if stalled:
            continue
        for at, data in pending:
            pair.b.receive_rtp(data, A, max(at, scheduled - 0.0001))
        pending.clear()
        first = n - 6 if n % 100 == 56 else n
        for missed in range(first, n + 1):
            pair.b.tick(100.0 + 0.02 * missed)
        if pair.b.playout.delay is not None:
            delays.append(pair.b.playout.delay)
    stats = pair.b.playout.stats()
    assert (stats.stalls, stats.dropped, stats.accelerated, stats.expanded) == (0, 0, 0, 0)
    assert pair.b.concealed == 0 and len(pair.b_sink.frames) == 1500
    assert max(delays) - min(delays) < 1e-9


def test_multiplexed_rtcp_follows_the_rtp_address_and_leaves_it_when_mux_ends() -> None:
    pair = Pair(PCMU)
    muxed = replace(pair.b.media, remote=("192.168.1.10", 5000), rtcp_mux=True)
    pair.b.update(replace(muxed, remote_rtcp=muxed.remote))
    assert pair.b.remote_rtcp == ("192.168.1.10", 5000)
    nat = ("198.51.100.7", 31000)
    pair.b.receive_rtp(bytes(RtpPacket(0, 1, 160, 0x1111, bytes(160))), nat, 101.0)
    assert pair.b.remote_rtcp == nat  # RFC 5761: RTCP goes where RTP goes
    pair.b.update(replace(pair.b.media, rtcp_mux=False, remote_rtcp=("192.168.1.10", 5001)))
    assert pair.b.remote == nat and pair.b.remote_rtcp == ("192.168.1.10", 5001)
