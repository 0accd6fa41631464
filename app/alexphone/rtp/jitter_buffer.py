"""Adaptive jitter buffer: reorders RTP packets and hands out one frame per playout tick.

Theory of operation. Every packet gets a playout time:

    playout = ts / clock_rate + base_transit + target_delay

where ``base_transit`` is the smallest ``arrival - ts / clock_rate`` seen over the
last few seconds (the fastest path; a moving window follows sender clock drift)
and ``target_delay`` is how long the fastest packet waits. The target starts at
``initial_delay``, jumps up as soon as the interarrival jitter (RFC 3550 A.8)
asks for more (``min_delay + jitter_factor * jitter``), shrinks slowly when the
network calms down, and stays within [min_delay, max_delay].

The audio side calls ``pop(now)`` once per frame. The head frame (next sequence
number to play) is compared with its playout time:
- before its playout time: ``Missing(WAIT)``, nothing consumed (the delay grows);
- on time, packet here: ``Payload``; if we run over a frame late and more packets
  are queued, the head is dropped to catch up (the delay shrinks);
- on time, packet absent but a later one here: ``Missing(LOST)``, with the next
  packet as ``recover_from`` when it directly follows (Opus in-band FEC);
- packet absent and nothing later: ``Missing(LATE)``; we stall and wait for it.
Late packets (their slot already played) and duplicates are dropped and counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

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
    WAIT = "wait"  # buffering: before the first frame, or growing the delay


@dataclass(frozen=True, slots=True)
class Payload:
    """The next frame to decode."""

    packet: RtpPacket


@dataclass(frozen=True, slots=True)
class Missing:
    """No packet for this tick: conceal; ``recover_from`` is the next packet (FEC hint)."""

    recover_from: RtpPacket | None = None
    reason: MissingReason = MissingReason.LOST


Frame = Payload | Missing


@dataclass(frozen=True, slots=True)
class JitterBufferConfig:
    """Delay bounds (seconds) and adaptation speeds."""

    initial_delay: float = 0.040
    min_delay: float = 0.020
    max_delay: float = 0.200
    jitter_factor: float = 4.0  # ~ the span of transit times over the window, in A.8 units
    shrink_rate: float = 0.005  # seconds of target delay given back per second of playout
    transit_window: float = 2.0  # seconds over which the fastest transit is tracked
    max_ahead_frames: int = 100  # a jump further than this ahead restarts the buffer


@dataclass(frozen=True, slots=True)
class JitterBufferStats:
    """Counters and current delays, for ``call.stats`` and tests."""

    received: int
    played: int
    lost: int
    late: int
    duplicates: int
    dropped: int
    waits: int
    underruns: int
    resyncs: int
    target_delay: float
    jitter: float


@dataclass(slots=True)
class _Slot:
    packet: RtpPacket
    ts: int  # timestamp relative to the anchor packet, unwrapped


class JitterBuffer:
    """Reorders one RTP stream and paces it out (pure: time is passed in)."""

    def __init__(
        self, clock_rate: int, frame_samples: int, config: JitterBufferConfig | None = None
    ) -> None:
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self.config = config or JitterBufferConfig()
        self._frame = frame_samples / clock_rate
        self._counts = dict.fromkeys(
            ("received", "played", "lost", "late", "duplicates", "dropped", "waits", "underruns"), 0
        )
        self._resyncs = 0
        self._reset(None)

    def _reset(self, ssrc: int | None) -> None:
        self._ssrc = ssrc
        self._slots: dict[int, _Slot] = {}
        self._unwrap = SequenceUnwrapper()
        self._anchor_ts: int | None = None
        self._next: int | None = None  # extended sequence number of the head frame
        self._newest: tuple[int, int] | None = None  # (extended sequence, ts) of the newest
        self._started = False
        self._transits: deque[tuple[float, float]] = deque()  # monotonic min-queue
        self._last_transit: float | None = None
        self._jitter = 0.0
        self._target = self.config.initial_delay
        self._last_pop: float | None = None
        self._played: deque[int] = deque(maxlen=64)

    @property
    def target_delay(self) -> float:
        """Return the current target playout delay in seconds."""
        return self._target

    @property
    def jitter(self) -> float:
        """Return the interarrival jitter estimate in seconds (RFC 3550 A.8)."""
        return self._jitter

    def __len__(self) -> int:
        return len(self._slots)

    def stats(self) -> JitterBufferStats:
        """Return a snapshot of the counters."""
        c = self._counts
        return JitterBufferStats(
            c["received"], c["played"], c["lost"], c["late"], c["duplicates"], c["dropped"],
            c["waits"], c["underruns"], self._resyncs, self._target, self._jitter,
        )  # fmt: skip

    def put(self, packet: RtpPacket, now: float) -> None:
        """Queue a received packet (arrival time ``now``); late and duplicate ones are dropped."""
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                self._resyncs += 1
            self._reset(packet.ssrc)
        ext = self._unwrap.unwrap(packet.sequence)
        if self._next is not None and ext - self._next > self.config.max_ahead_frames:
            self._resyncs += 1  # the peer jumped far ahead: start over from this packet
            self._reset(packet.ssrc)
            ext = self._unwrap.unwrap(packet.sequence)
        if ext in self._slots or ext in self._played:
            self._counts["duplicates"] += 1
            return
        if self._next is not None and ext < self._next:
            self._counts["late"] += 1
            return
        if self._anchor_ts is None:
            self._anchor_ts = packet.timestamp
        ts = ts_delta(packet.timestamp, self._anchor_ts)
        self._slots[ext] = _Slot(packet, ts)
        if self._newest is None or ext >= self._newest[0]:
            self._newest = (ext, ts)
        self._counts["received"] += 1
        if self._next is None or (not self._started and ext < self._next):
            self._next = ext
        self._observe_transit(now - ts / self.clock_rate, now)

    def _observe_transit(self, transit: float, now: float) -> None:
        if self._last_transit is not None:
            # RFC 3550 A.8: J += (|D| - J) / 16
            self._jitter += (abs(transit - self._last_transit) - self._jitter) / 16
        self._last_transit = transit
        while self._transits and self._transits[-1][1] >= transit:
            self._transits.pop()
        self._transits.append((now, transit))
        while self._transits[0][0] < now - self.config.transit_window:
            self._transits.popleft()
        self._target = max(self._target, self._wanted())  # grow at once

    def _wanted(self) -> float:
        cfg = self.config
        wanted = cfg.min_delay + cfg.jitter_factor * self._jitter
        return min(max(wanted, cfg.min_delay), cfg.max_delay)

    def _shrink(self, now: float) -> None:
        if self._last_pop is not None:
            step = self.config.shrink_rate * max(0.0, now - self._last_pop)
            self._target = max(self._wanted(), self._target - step)  # give back slowly
        self._last_pop = now

    def _playout_time(self, ext: int) -> float:
        later = min((e for e in self._slots if e >= ext), default=None)
        if later is not None:
            ref_ext, ref_ts = later, self._slots[later].ts
        else:
            assert self._newest is not None
            ref_ext, ref_ts = self._newest
        ts = ref_ts - (ref_ext - ext) * self.frame_samples  # extrapolated when absent
        return ts / self.clock_rate + self._transits[0][1] + self._target

    def pop(self, now: float) -> Frame:
        """Return the frame to play at ``now`` (call once per frame period)."""
        self._shrink(now)
        if self._next is None:
            self._counts["waits"] += 1
            return Missing(None, MissingReason.WAIT)
        behind = now - self._playout_time(self._next)
        if behind < 0 or not (self._started or self._slots):
            self._counts["waits"] += 1
            return Missing(None, MissingReason.WAIT)
        if not self._slots:
            self._counts["underruns"] += 1
            return Missing(None, MissingReason.LATE)
        self._started = True
        head = self._slots.pop(self._next, None)
        if head is not None and behind > self._frame and len(self._slots) > 0:
            self._counts["dropped"] += 1  # running late: skip one frame to catch up
            self._played.append(self._next)
            self._next += 1
            head = self._slots.pop(self._next, None)
            if head is None:
                return self._gap()
        if head is None:
            return self._gap()
        self._played.append(self._next)
        self._next += 1
        self._counts["played"] += 1
        return Payload(head.packet)

    def _gap(self) -> Frame:
        assert self._next is not None
        if not self._slots:
            self._counts["underruns"] += 1
            return Missing(None, MissingReason.LATE)
        self._counts["lost"] += 1
        following = self._slots.get(self._next + 1)
        self._next += 1
        return Missing(following.packet if following else None, MissingReason.LOST)
