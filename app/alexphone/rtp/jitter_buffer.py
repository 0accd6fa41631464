"""Jitter buffer: puts one RTP stream back in order and hands out its packets one by one.

Theory of operation. The buffer is a reorder queue keyed by extended sequence number; it
does not decide *when* to play (the playout, ``media.playout``, asks for the next packet
when the audio it has decoded runs low, on the audio clock). ``pop()`` returns the head:
- ``Payload`` when the next packet in sequence is here (with its media time, seconds on
  the stream's unwrapped timestamp line);
- ``Missing(LOST, recover_from)`` when it is absent but a later one is queued: it is given
  up and the packet after it is offered for Opus in-band FEC;
- ``Missing(LATE)`` when nothing newer is queued: the head stays expected (the playout
  conceals and waits for it), ``Missing(WAIT)`` before the first packet.

Every arriving packet's transit (arrival on the playout clock minus media time) feeds an
``ArrivalDelay``, which says how long after the typical packet a frame should be played.

Bad input (RFC 3550 A.1 in spirit): duplicates and packets whose slot was already played
are dropped and counted (a late packet still counts as a delay observation). A new SSRC
restarts the buffer at once; a sequence number far from the expected one (a peer that
restarted its stream under the same SSRC) is held as a probe, and the packet that follows
it in sequence confirms the restart. Timestamps are unwrapped packet to packet, so the
2^32 wrap is invisible; a timestamp jump is the delay estimator's business.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

from alexphone.rtp.arrival_delay import ArrivalDelay
from alexphone.rtp.packet import RtpPacket, SequenceUnwrapper, ts_delta

__all__ = [
    "Frame",
    "JitterBuffer",
    "JitterBufferConfig",
    "JitterBufferStats",
    "Missing",
    "MissingReason",
    "Payload",
]


class MissingReason(Enum):
    """Why ``pop`` had no packet to give."""

    LOST = "lost"  # a later packet arrived, this one is given up
    LATE = "late"  # nothing newer queued: stalling for it (underrun)
    WAIT = "wait"  # no packet yet since the stream (re)started


@dataclass(frozen=True, slots=True)
class Payload:
    """The next frame to decode and its media time (seconds, unwrapped timestamp)."""

    packet: RtpPacket
    media_time: float = 0.0


@dataclass(frozen=True, slots=True)
class Missing:
    """No packet for this slot: conceal; ``recover_from`` is the next packet (FEC hint)."""

    recover_from: RtpPacket | None = None
    reason: MissingReason = MissingReason.LOST


Frame = Payload | Missing


@dataclass(frozen=True, slots=True)
class JitterBufferConfig:
    """Limits of the reorder queue."""

    max_ahead: int = 100  # a packet further ahead than this (2 s) may be a restart
    max_behind: int = 100  # ... or this far behind the head
    max_packets: int = 250  # beyond this the oldest queued packet is dropped (5 s)


@dataclass(frozen=True, slots=True)
class JitterBufferStats:
    """Counters, for ``call.stats`` and tests."""

    received: int
    played: int
    lost: int
    late: int
    duplicates: int
    dropped: int
    underruns: int
    resyncs: int


@dataclass(slots=True)
class _Slot:
    packet: RtpPacket
    ts: int  # unwrapped timestamp


class JitterBuffer:
    """Reorders one RTP stream; pure: arrival times are passed in."""

    def __init__(
        self,
        clock_rate: int,
        frame_samples: int,
        config: JitterBufferConfig | None = None,
        delay: ArrivalDelay | None = None,
    ) -> None:
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self.config = config or JitterBufferConfig()
        self.delay = delay or ArrivalDelay()
        self._counts = dict.fromkeys(
            ("received", "played", "lost", "late", "duplicates", "dropped", "underruns"), 0
        )
        self.generation = 0  # bumped at every restart: the media timeline starts over
        self._reset(None)

    def _reset(self, ssrc: int | None) -> None:
        self._ssrc = ssrc
        self._slots: dict[int, _Slot] = {}
        self._unwrap = SequenceUnwrapper()
        self._last_ts: tuple[int, int] | None = None  # (raw, unwrapped) of the last arrival
        self._next: int | None = None  # extended sequence number of the head
        self._played: deque[int] = deque(maxlen=64)  # recently played: repeats are duplicates
        self._probe: tuple[int, RtpPacket] | None = None  # (sequence expected next, packet)
        self.delay.restart()

    def _restart(self, ssrc: int) -> None:
        self.generation += 1
        self._reset(ssrc)

    def __len__(self) -> int:
        return len(self._slots)

    def stats(self) -> JitterBufferStats:
        """Return a snapshot of the counters."""
        c = self._counts
        return JitterBufferStats(
            c["received"], c["played"], c["lost"], c["late"], c["duplicates"], c["dropped"],
            c["underruns"], self.generation,
        )  # fmt: skip

    def head_time(self) -> float | None:
        """Return the media time of the head packet if it is here, else None."""
        if self._next is None or self._next not in self._slots:
            return None
        return self._slots[self._next].ts / self.clock_rate

    def put(self, packet: RtpPacket, now: float | None) -> None:
        """Queue a packet that arrived at ``now`` (playout clock, seconds; None: unknown)."""
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                self.generation += 1
            self._reset(packet.ssrc)
        ext = self._unwrap.unwrap(packet.sequence)
        if self._next is not None and not (
            -self.config.max_behind <= ext - self._next <= self.config.max_ahead
        ):
            probe, self._probe = self._probe, ((packet.sequence + 1) % 65536, packet)
            if probe is None or probe[0] != packet.sequence:
                return  # held: the next packet tells a restart from a stray one
            self._restart(packet.ssrc)  # two in a row: the peer restarted its stream
            self._store(probe[1], now)
            self._store(packet, now)
            return
        self._probe = None
        if ext in self._slots or ext in self._played:
            self._counts["duplicates"] += 1
            return
        self._store(packet, now, ext)

    def _store(self, packet: RtpPacket, now: float | None, ext: int | None = None) -> None:
        if ext is None:
            ext = self._unwrap.unwrap(packet.sequence)
        ts = packet.timestamp
        if self._last_ts is not None:
            ts = self._last_ts[1] + ts_delta(packet.timestamp, self._last_ts[0])
        self._last_ts = (packet.timestamp, ts)
        if now is not None:
            self.delay.observe(now - ts / self.clock_rate)
        if self._next is not None and ext < self._next:
            self._counts["late"] += 1
            return
        self._slots[ext] = _Slot(packet, ts)
        self._counts["received"] += 1
        if self._next is None:
            self._next = ext
        if len(self._slots) > self.config.max_packets:
            self.drop_head()

    def pop(self) -> Frame:
        """Return the next frame in sequence (see the module docstring)."""
        if self._next is None:
            return Missing(None, MissingReason.WAIT)
        head = self._slots.pop(self._next, None)
        if head is not None:
            self._played.append(self._next)
            self._advance()
            self._counts["played"] += 1
            return Payload(head.packet, head.ts / self.clock_rate)
        if not self._slots:
            self._counts["underruns"] += 1
            return Missing(None, MissingReason.LATE)
        self._counts["lost"] += 1
        self._advance()
        following = self._slots.get(self._next) if self._next is not None else None
        return Missing(following.packet if following else None, MissingReason.LOST)

    def drop_head(self) -> None:
        """Discard the head slot (played too far behind: catching up)."""
        if self._next is None:
            return
        if self._slots.pop(self._next, None) is not None:
            self._played.append(self._next)
            self._counts["dropped"] += 1
        self._advance()

    def _advance(self) -> None:
        assert self._next is not None
        self._next += 1
        if not self._slots:
            return
        first = min(self._slots)
        if first > self._next and first - self._next > self.config.max_ahead:
            self._next = first  # nothing can fill so wide a gap
