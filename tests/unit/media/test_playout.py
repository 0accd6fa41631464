"""Playout on simulated clocks: drift, a jittery event loop, restarts, wraps, duplicates.

Packets carry raw PCM (the "codec" is the identity), so what the playout decodes, conceals
and stretches can be counted exactly. Time is simulated: arrivals and reads are events on
a timeline, processed in order; nothing sleeps.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from alexphone.media.playout import Playout
from alexphone.rtp.jitter_buffer import JitterBuffer
from alexphone.rtp.packet import RtpPacket

RATE = 8000
FRAME = 160
PERIOD = 0.020


def speechlike(frames: int) -> np.ndarray:
    """Voiced 1.4 s talk spurts (150 Hz with harmonics) separated by 0.6 s pauses."""
    t = np.arange(frames * FRAME) / RATE
    talking = (t % 2.0) < 1.4
    tone = np.sin(2 * np.pi * 150 * t) + 0.4 * np.sin(2 * np.pi * 300 * t + 1)
    return 8000 * tone * talking


class Sim:
    """One sender's packets into a Playout; records what was decoded and concealed."""

    def __init__(self, frames: int) -> None:
        self.signal = speechlike(frames + 1)
        self.buffer = JitterBuffer(RATE, FRAME)
        self.playout = Playout(RATE, self.buffer, self._decode, self._conceal)
        self.decoded: list[tuple[int, int]] = []
        self.reads_at_decode: list[int] = []
        self.concealed = 0
        self.concealed_slots: list[tuple[int, int | None]] = []  # (slot, FEC hint's sequence)
        self._since_decode = 0
        self.out: list[bytes] = []
        self.excess: list[float] = []
        self.delays: list[float] = []

    def packet(self, k: int, *, ssrc: int = 1, seq0: int = 0, ts0: int = 0) -> RtpPacket:
        pcm = np.clip(self.signal[k * FRAME : (k + 1) * FRAME], -32768, 32767).astype("<i2")
        return RtpPacket(0, (seq0 + k) % 65536, (ts0 + k * FRAME) % (1 << 32), ssrc, pcm.tobytes())

    def _decode(self, packet: RtpPacket) -> bytes:
        self.decoded.append((packet.ssrc, packet.sequence))
        self._since_decode = 0
        self.reads_at_decode.append(len(self.out))
        return packet.payload

    def _conceal(self, following: RtpPacket | None) -> bytes:
        self.concealed += 1
        if self.decoded:  # a slot after the last packet decoded (not the wait before the first)
            slot = self.decoded[-1][1] + 1 + self._since_decode
            self.concealed_slots.append((slot, following.sequence if following else None))
            self._since_decode += 1
        return bytes(2 * FRAME)

    def run(
        self, arrivals: list[tuple[float, RtpPacket]], reads: Iterator[tuple[float, int]]
    ) -> None:
        """Deliver arrivals in time order, interleaved with reads of n frames at given times."""
        pending = sorted(arrivals, key=lambda a: a[0])
        i = 0
        for at, frames in reads:
            while i < len(pending) and pending[i][0] <= at:
                self.playout.put(pending[i][1], pending[i][0])  # the device clock is steady
                i += 1
            for _ in range(frames):
                self.out.append(self.playout.read(FRAME))
                delay, target = self.playout.delay, self.playout.target()
                if delay is not None and target is not None:
                    self.delays.append(delay)
                    self.excess.append(delay - target)
            if i == len(pending):
                return


def steady_reads(count: int, period: float = PERIOD) -> Iterator[tuple[float, int]]:
    return ((period * n, 1) for n in range(count))


def test_a_clean_stream_plays_every_frame_at_a_constant_delay() -> None:
    sim = Sim(500)
    sim.run([(0.003 + PERIOD * k, sim.packet(k)) for k in range(500)], steady_reads(600))
    stats = sim.playout.stats()
    assert sim.decoded == [(1, k) for k in range(len(sim.decoded))] and len(sim.decoded) >= 498
    assert (stats.stalls, stats.dropped, stats.accelerated, stats.expanded) == (0, 0, 0, 0)
    assert max(sim.delays) - min(sim.delays) < 1e-9


def _drift(ppm: float) -> Sim:
    """The sender's clock runs ``ppm`` fast against the device's, for 10 simulated minutes."""
    frames = 30000
    sim = Sim(frames)
    rng = random.Random(int(ppm))
    arrivals = [(0.003 + PERIOD * k / (1 + ppm * 1e-6) + rng.uniform(0, 0.004), sim.packet(k))
                for k in range(frames)]  # fmt: skip
    sim.run(arrivals, steady_reads(frames + 100))
    return sim


@pytest.mark.slow  # 2 x 10 simulated minutes of 8 kHz audio: ~7 s
def test_300_ppm_of_drift_either_way_is_absorbed_by_stretching_alone() -> None:
    for ppm, direction in ((300.0, "accelerated"), (-300.0, "expanded")):
        sim = _drift(ppm)
        stats = sim.playout.stats()
        assert (stats.stalls, stats.dropped, sim.concealed) == (0, 0, 0), (ppm, stats)
        assert getattr(stats, direction) >= 5, stats
        drift_ms = 30000 * PERIOD * ppm * 1e-3  # 180 ms over 10 minutes
        assert abs(stats.stretched_ms + drift_ms) < 20, stats
        settled = sim.excess[100:]
        assert max(abs(e) for e in settled) <= 0.020, (ppm, min(settled), max(settled))


def test_a_jittery_event_loop_tick_changes_nothing_when_the_device_is_steady() -> None:
    # The device consumes one frame every 20 ms. The loop tick that feeds it runs 0-30 ms
    # late (15 ms +- 15 ms; asyncio never fires early) and then reads every frame due since.
    rng = random.Random(7)
    sim = Sim(1000)
    arrivals = [(0.003 + PERIOD * k, sim.packet(k)) for k in range(1000)]

    def reads() -> Iterator[tuple[float, int]]:
        done, at = 0, 0.0
        for n in range(1100):
            at = max(at, PERIOD * n + rng.uniform(0.0, 0.030))
            due = max(0, int(at / PERIOD) + 1 - done)
            done += due
            yield at, due

    sim.run(arrivals, reads())
    stats = sim.playout.stats()
    assert (stats.stalls, stats.dropped, stats.accelerated, stats.expanded) == (0, 0, 0, 0)
    assert sim.concealed == 0
    assert max(sim.delays) - min(sim.delays) < 1e-9
    assert sim.decoded == [(1, k) for k in range(len(sim.decoded))]


def test_a_new_ssrc_with_new_sequence_and_timestamps_plays_within_100_ms() -> None:
    # the old stream ends as a pause begins; 100 ms later a new SSRC starts mid-vowel
    sim = Sim(400)
    old = [(0.003 + PERIOD * k, sim.packet(k)) for k in range(170)]
    switch = 0.003 + PERIOD * 175
    new = [(switch + PERIOD * k, sim.packet(100 + k, ssrc=2, seq0=31000, ts0=123456789))
           for k in range(200)]  # fmt: skip
    sim.run(old + new, steady_reads(450))
    stats = sim.playout.stats()
    assert stats.restarts == 2 and stats.dropped == 0
    assert [s for s, _ in sim.decoded] == [1] * 170 + [2] * (len(sim.decoded) - 170)
    first_new = sim.reads_at_decode[170]  # the read during which the new stream began
    assert 0 <= first_new * PERIOD - switch <= 0.100
    # no click: the new stream fades in, the output never steps more than the voice does
    audio = np.frombuffer(b"".join(sim.out), dtype="<i2").astype(float)
    assert np.max(np.abs(np.diff(audio))) <= 1.1 * np.max(np.abs(np.diff(sim.signal)))


def test_a_timestamp_wrap_is_seamless() -> None:
    sim = Sim(300)
    ts0 = (1 << 32) - 100 * FRAME  # wraps after two seconds
    arrivals = [(0.003 + PERIOD * k, sim.packet(k, ts0=ts0, seq0=65500)) for k in range(300)]
    sim.run(arrivals, steady_reads(350))
    stats = sim.playout.stats()
    assert (stats.stalls, stats.dropped, stats.restarts, stats.accelerated, stats.expanded) == (
        0, 0, 1, 0, 0,
    )  # fmt: skip
    assert max(sim.delays) - min(sim.delays) < 1e-9


def test_a_timestamp_jump_under_the_same_ssrc_resynchronises_quickly() -> None:
    sim = Sim(400)
    arrivals = [(0.003 + PERIOD * k, sim.packet(k)) for k in range(200)]
    arrivals += [(0.003 + PERIOD * k, sim.packet(k, ts0=80000 * 1000)) for k in range(200, 400)]
    sim.run(arrivals, steady_reads(450))
    stats = sim.playout.stats()
    assert stats.stalls == 0 and stats.dropped == 0
    assert len(sim.decoded) >= 398 and sim.concealed == 0
    # within 100 ms (5 frames) of the jump the delay is back within its band
    after = sim.excess[205:]
    assert all(-0.006 <= e <= 0.020 for e in after), (min(after), max(after))


def test_duplicate_and_reordered_bursts_decode_each_packet_once() -> None:
    sim = Sim(400)
    arrivals = [(0.003 + PERIOD * k, sim.packet(k)) for k in range(400)]
    rng = random.Random(3)
    burst = [(at + rng.uniform(0, 0.004), p) for at, p in arrivals[100:110] for _ in range(3)]
    swapped = [(arrivals[k + 1][0], arrivals[k][1]) if k % 2 == 0 else (arrivals[k - 1][0],
               arrivals[k][1]) for k in range(200, 210)]  # fmt: skip
    trace = arrivals[:100] + burst + arrivals[110:200] + swapped + arrivals[210:]
    sim.run(trace, steady_reads(450))
    sequences = [seq for _, seq in sim.decoded]
    assert sequences == list(range(len(sequences))) and len(sequences) >= 398
    assert sim.buffer.stats().duplicates == 20
    assert sim.playout.stats().dropped == 0


def _lossy_jittery(frames: int, loss: float, jitter: float, seed: int) -> tuple[Sim, set[int]]:
    """Random ``loss`` and uniform 0..``jitter`` s of delay per packet (packets overtake)."""
    rng = random.Random(seed)
    sim = Sim(frames)
    dropped = {k for k in range(frames) if rng.random() < loss}
    arrivals = [(0.003 + PERIOD * k + rng.uniform(0.0, jitter), sim.packet(k))
                for k in range(frames) if k not in dropped]  # fmt: skip
    sim.run(arrivals, steady_reads(frames + 50))
    return sim, dropped


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loss_under_40_ms_of_jitter_conceals_each_lost_frame_once_and_nothing_else(
    seed: int,
) -> None:
    sim, dropped = _lossy_jittery(1500, 0.05, 0.040, seed)
    sequences = [seq for _, seq in sim.decoded]
    played = range(sequences[0], max(sequences[-1], sim.concealed_slots[-1][0]) + 1)
    # every packet that came is played once, in order, however it was overtaken on the way
    assert sequences == [k for k in played if k not in dropped][: len(sequences)]
    lost = [k for k in played if k in dropped]
    buffer, stats = sim.buffer.stats(), sim.playout.stats()
    assert (buffer.late, buffer.lost, stats.dropped) == (0, len(lost), 0)
    # each lost slot is concealed once; the FEC hint is the next packet when it was queued
    # (not when the slot was decided before it came: a stall, or a packet overtaken)
    assert [k for k, _ in sim.concealed_slots] == lost
    assert all(hint in (k + 1, None) for k, hint in sim.concealed_slots)
    unhinted = [k for k, hint in sim.concealed_slots if hint is None and k + 1 not in dropped]
    assert len(unhinted) <= len(lost) // 4 and stats.stalls <= len(lost) // 4
    # the jitter is absorbed by the target, not chased: no frame's worth of delay change
    assert stats.accelerated + stats.expanded <= 3, stats
    assert max(sim.delays[200:]) - min(sim.delays[200:]) < 0.015


def test_a_burst_of_three_lost_packets_in_jitter_gets_fec_only_for_the_last() -> None:
    rng = random.Random(5)
    sim = Sim(600)
    arrivals = [(0.003 + PERIOD * k + rng.uniform(0.0, 0.040), sim.packet(k))
                for k in range(600) if k not in (300, 301, 302)]  # fmt: skip
    sim.run(arrivals, steady_reads(650))
    assert sim.concealed_slots == [(300, None), (301, None), (302, 303)]
    assert sim.buffer.stats().late == 0


def _stretches_after_a_path_step(step: float, at: float = 4.2) -> tuple[list[float], Sim]:
    """A clean path that gets ``step`` s slower at ``at`` (mid-word): the source time of
    each stretch, modulo the 2 s talk/pause cycle of ``speechlike``."""
    sim = Sim(500)
    arrivals = [(0.003 + PERIOD * k + (step if PERIOD * k >= at else 0.0), sim.packet(k))
                for k in range(500)]  # fmt: skip
    stretches: list[float] = []
    done = 0
    for n in range(500):
        for when, packet in arrivals:
            if PERIOD * (n - 1) < when <= PERIOD * n:
                sim.playout.put(packet, when)
        sim.playout.read(FRAME)
        stats = sim.playout.stats()
        if stats.accelerated + stats.expanded > done and sim.playout.delay is not None:
            done = stats.accelerated + stats.expanded
            stretches.append((sim.playout.now - sim.playout.delay) % 2.0)
    return stretches, sim


def test_a_path_14_ms_slower_mid_word_is_followed_by_an_expansion_in_the_next_pause() -> None:
    # the delay falls between ``low`` and ``safety`` below target: the quantile still holds
    stretches, sim = _stretches_after_a_path_step(0.014)
    stats = sim.playout.stats()
    assert (stats.expanded, stats.accelerated, stats.stalls) == (1, 0, 0), stats
    assert stretches[0] >= 1.4  # in the pause after the word, not inside it


def test_a_path_22_ms_slower_is_followed_at_once_even_inside_a_word() -> None:
    # more than ``safety`` below target: a stall is close, waiting for a pause is not worth it
    stretches, sim = _stretches_after_a_path_step(0.022)
    assert sim.playout.stats().stalls == 0
    assert 0.2 <= stretches[0] < 0.7  # within half a second of the step, in speech
