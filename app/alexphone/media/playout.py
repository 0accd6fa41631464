"""Playout: turns the jitter buffer's packets into a steady flow of audio, on the audio clock.

Theory of operation (after WebRTC's NetEq). The sound card, or whatever stands in for it,
pulls audio with ``read(samples)``; the samples pulled so far are the *playout clock*, and
it is the only clock here: the decision to play, stretch or conceal never looks at when the
event loop happened to run. Packets are stamped on arrival with where that clock stood
when they came, as the caller maps it (a device that pulls through a FIFO: what it has
played plus the FIFO's lead; a file written on a fixed schedule: the schedule's position,
so a tick that runs late is not mistaken for a late packet), or not at all when the caller
cannot tell (a packet read late by a stalled loop): it is queued but not counted.

The playout *delay* is how long after its media time a sample is played (on the playout
clock). It is measured whenever a packet is decoded: the clock at which its first sample
will be played minus its media time. ``ArrivalDelay`` says what delay would catch all but
the slowest few percent of packets; the target adds one frame (a frame is pulled whole) and
a ``safety`` margin larger than ``low``, so steering never lets the delay fall below need.
The delay is steered towards that target only by time-scale modification:
- more than ``high`` above target: accelerate, one pitch period out (``time_stretch``), in
  a pause; in voiced speech too once ``voiced_excess`` further above (too much latency);
- more than ``low`` below target: preemptive expand, one period in, in a pause; in voiced
  speech too once more than ``safety`` below (the delay no longer covers the quantile: a
  stall, a whole concealed frame, is close). Between the two the pause is worth waiting
  for: a splice inside a word moves the delay where the listener (and PESQ) hears it;
each only where the audio is strongly periodic or quiet, at most once per ``stretch_gap``,
and not before ``settle`` packets have shaped the histogram. Whole frames are never dropped
or repeated to steer the delay, except beyond ``max_excess`` (a peer that flushed seconds of
audio at once).

When the next packet is missing: if a later one is here the missing one is concealed
(codec PLC, or Opus FEC from the next packet); if nothing is here the playout *stalls*:
it conceals a frame and waits, so the delay grows by what the network took. A stall that
filled a packet's slot stands in for it when that packet turns out lost. After
``max_stall`` of concealment the stream is considered paused and starts over.

Starting (and restarting: new SSRC, restarted sequence) waits until playing the first
packet would give the target delay, plays what the codec conceals meanwhile, and fades the
new stream in so the join never clicks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alexphone.media.resampler import to_pcm, to_samples
from alexphone.media.time_stretch import Samples, StretchConfig, accelerate, expand
from alexphone.rtp.jitter_buffer import JitterBuffer, Missing, MissingReason, Payload
from alexphone.rtp.packet import RtpPacket

__all__ = ["Playout", "PlayoutConfig", "PlayoutStats"]

log = logging.getLogger(__name__)

Decode = Callable[[RtpPacket], bytes | None]  # PCM at the playout rate, None: cannot
Conceal = Callable[[RtpPacket | None], bytes]  # PCM for a missing frame (FEC hint given)
FRAME_SECONDS = 0.020


@dataclass(frozen=True, slots=True)
class PlayoutConfig:
    """Delay steering; seconds unless said otherwise."""

    safety: float = 0.010  # above the quantile's delay and the frame pulled whole
    initial_margin: float = 0.012  # extra delay while the histogram has not settled
    high: float = 0.018  # accelerate above target + high
    low: float = 0.006  # expand below target - low (less than ``safety``)
    voiced_excess: float = 0.020  # accelerate in voiced speech only this far above high
    stretch_gap: float = 0.050  # at most one stretch per this much audio
    settle: int = 50  # packets observed before any stretch
    max_excess: float = 0.300  # further above target: drop whole frames to catch up
    max_stall: float = 0.200  # concealing longer than this: the stream paused
    fade_in: float = 0.005


@dataclass(frozen=True, slots=True)
class PlayoutStats:
    """What the playout did, for tests, benchmarks and ``call.stats``."""

    delay_ms: float  # playout delay beyond the typical packet's arrival
    target_ms: float
    accelerated: int
    expanded: int
    stretched_ms: float  # net change made by stretching (+ longer)
    stalls: int  # frames concealed while waiting for a late packet
    dropped: int  # whole frames dropped to catch up (max_excess)
    restarts: int  # playout (re)started on a new timeline


class Playout:
    """Decoded audio on demand for one received stream (pure: the clock is what is read)."""

    def __init__(
        self,
        rate: int,
        buffer: JitterBuffer,
        decode: Decode,
        conceal: Conceal,
        config: PlayoutConfig | None = None,
        stretch: StretchConfig | None = None,
    ) -> None:
        self.rate = rate
        self.buffer = buffer
        self._decode = decode
        self._conceal = conceal
        self.config = config or PlayoutConfig()
        self._stretch = stretch or StretchConfig()
        self.frame = round(rate * FRAME_SECONDS)
        self._clock = 0  # samples read so far: the playout clock
        self._future: Samples = np.zeros(0)
        self._history: Samples = np.zeros(0)
        self._keep = 2 * round(self._stretch.max_period * rate)
        self._delay: float | None = None
        self._playing = False
        self._audible = False  # something was played that concealment may continue
        self._generation = buffer.generation
        self._stall = 0  # samples concealed while waiting for the head
        self._last_stretch = -1.0
        self._fade = False
        self._counts = dict.fromkeys(
            ("accelerated", "expanded", "stalls", "dropped", "restarts", "stretched"), 0
        )

    @property
    def now(self) -> float:
        """Return the playout clock: seconds of audio read so far."""
        return self._clock / self.rate

    @property
    def delay(self) -> float | None:
        """Return the playout delay measured at the last decoded packet (transit terms)."""
        return self._delay

    def target(self) -> float | None:
        """Return the playout delay we steer to (None before the first packet)."""
        transit = self.buffer.delay.target()
        if transit is None:
            return None
        margin = self.config.initial_margin if not self._settled() else 0.0
        return transit + FRAME_SECONDS + self.config.safety + margin

    def _settled(self) -> bool:
        return self.buffer.delay.observations >= self.config.settle

    def put(self, packet: RtpPacket, at: float | None) -> None:
        """Take a packet that arrived at ``at`` on the playout clock (None: not known)."""
        self.buffer.put(packet, at)

    def read(self, samples: int) -> bytes:
        """Return the next ``samples`` samples to play (16-bit LE mono at ``rate``)."""
        while self._future.size < samples:
            self._fill()
        out, self._future = self._future[:samples], self._future[samples:]
        self._history = np.concatenate((self._history, out))[-self._keep :]
        self._clock += samples
        return to_pcm(out)

    def stats(self) -> PlayoutStats:
        """Return a snapshot of what the playout did."""
        c = self._counts
        target = self.target()
        reference = self.buffer.delay.reference
        delay = wanted = 0.0
        if reference is not None and target is not None and self._delay is not None:
            delay, wanted = self._delay - reference, target - reference
        return PlayoutStats(
            delay_ms=round(1000 * delay, 2),
            target_ms=round(1000 * wanted, 2),
            accelerated=c["accelerated"], expanded=c["expanded"],
            stretched_ms=round(1000 * c["stretched"] / self.rate, 2), stalls=c["stalls"],
            dropped=c["dropped"], restarts=c["restarts"],
        )  # fmt: skip

    # -- one frame more of audio --------------------------------------------------------------
    def _fill(self) -> None:
        play_at = (self._clock + self._future.size) / self.rate  # when the next sample plays
        if self._generation != self.buffer.generation:
            self._generation = self.buffer.generation
            self._playing = False
        if not self._playing:
            wait = self._wait(play_at)
            if wait > 0:
                self._idle(wait)
                return
        frame = self.buffer.pop()
        if isinstance(frame, Payload):
            self._play(frame, play_at)
        elif frame.reason is MissingReason.LOST:
            self._lost(frame)
        else:
            self._late()

    def _wait(self, play_at: float) -> int:
        """Samples to wait before the head may start at the target delay (0: start now)."""
        head, target = self.buffer.head_time(), self.target()
        if head is None or target is None:
            return self.frame
        while play_at - head > target + FRAME_SECONDS and len(self.buffer) > 1:
            self.buffer.drop_head()  # queued since before we could play: start at the target
            self._counts["dropped"] += 1
            head = self.buffer.head_time()
            if head is None:
                return self.frame
        wait = round((target - (play_at - head)) * self.rate)
        if wait > 0:
            return min(wait, self.frame)
        self._playing = True
        self._fade = self._audible or self._counts["restarts"] > 0
        self._counts["restarts"] += 1
        log.debug("playout starts at %.3f s, delay target %.1f ms", self.now, 1000 * target)
        return 0

    def _idle(self, samples: int) -> None:
        """Before (re)starting: the codec's concealment fades what played out, then silence."""
        if self._audible and self._stall < self.config.max_stall * self.rate:
            self._stall += samples
            self._append(to_samples(self._conceal(None))[:samples])
        else:
            self._audible = False
            self._append(np.zeros(samples))

    def _play(self, frame: Payload, play_at: float) -> None:
        delay = play_at - frame.media_time
        target = self.target()
        if self._queued() > self.config.max_excess and self._settled():
            self._counts["dropped"] += 1  # far too much queued: skip, the next one plays
            log.debug("playout drops a frame at %.3f s (%.0f ms queued)", self.now,
                      1000 * len(self.buffer) * FRAME_SECONDS)  # fmt: skip
            return
        pcm = self._decode(frame.packet)
        samples = to_samples(pcm if pcm is not None else self._conceal(None))
        if self._fade:
            ramp = min(samples.size, round(self.config.fade_in * self.rate))
            samples[:ramp] *= (np.arange(ramp) + 0.5) / ramp
            self._fade = False
        self._stall = 0
        self._audible = True
        self._delay = delay
        self._append(samples)
        if target is not None:
            self._steer(delay - target)

    def _queued(self) -> float:
        """Seconds of packets queued beyond what the target delay asks to keep."""
        target, reference = self.target(), self.buffer.delay.reference
        wanted = target - reference if target is not None and reference is not None else 0.0
        return len(self.buffer) * FRAME_SECONDS - wanted

    def _lost(self, frame: Missing) -> None:
        if self._stall >= self.frame:
            self._stall -= self.frame  # the stall already played something in its slot
            return
        self._append(to_samples(self._conceal(frame.recover_from)))

    def _late(self) -> None:
        if self._stall >= self.config.max_stall * self.rate:
            self._playing = False  # the peer went quiet: start over when it speaks again
            self._idle(self.frame)
            return
        self._stall += self.frame
        self._counts["stalls"] += 1
        log.debug("playout stalls at %.3f s waiting for a late packet", self.now)
        self._append(to_samples(self._conceal(None)))

    def _append(self, samples: Samples) -> None:
        self._future = np.concatenate((self._future, samples))

    # -- time-scale modification --------------------------------------------------------------
    def _steer(self, excess: float) -> None:
        cfg = self.config
        if not self._settled() or self.now - self._last_stretch < cfg.stretch_gap:
            return
        if excess > cfg.high:
            voiced = excess > cfg.high + cfg.voiced_excess  # else wait for a pause
            result = accelerate(self._future, self.rate, self._stretch, voiced=voiced)
            name = "accelerated"
        elif excess < -cfg.low:
            voiced = excess < -cfg.safety  # else wait for a pause
            result = expand(self._history, self._future, self.rate, self._stretch, voiced=voiced)
            name = "expanded"
        else:
            return
        if result is None:
            return
        self._future = result.samples
        assert self._delay is not None
        self._delay += result.change / self.rate
        self._last_stretch = self.now
        self._counts[name] += 1
        self._counts["stretched"] += result.change
        where = "pause" if result.quiet else "voiced"
        log.debug("playout %s by %d samples at %.3f s (delay %.1f ms off target, %s)", name,
                  abs(result.change), self.now, 1000 * excess, where)  # fmt: skip
