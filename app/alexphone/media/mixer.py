"""One microphone and one speaker shared by every call: the conference mixer.

Theory of operation. The phone opens its sound card (or file, tone, ...) once, at the rate of
the first call, and gives each call's ``MediaStream`` a *leg*: a ``LegSource`` to capture from
and a ``LegSink`` to play into, both at the call's own codec rate. Nothing here keeps time:
the streams' 20 ms ticks pull and push, and the mixer moves audio as they do.

- **Capture.** The first leg to want the next 20 ms frame reads it from the microphone; the
  frame is kept (``KEPT_FRAMES``) for the other legs, which read the same frame when their
  own tick comes. A leg that falls further behind skips ahead to the oldest frame kept.
- **Playback.** Each leg's played audio waits in its own FIFO; when every live leg has a
  frame (or one leg is ``LAG_FRAMES`` ahead of a silent one, or the sound card is about to
  run dry) one frame of each is summed and written to the speaker. A leg reports as queued
  its own FIFO plus what the sound card holds, so each stream keeps the card's lead as it
  would alone.
- **Modes.** An ``ACTIVE`` leg hears the microphone and is heard on the speaker; a ``HELD``
  leg hears silence and is not heard; a ``CONFERENCE`` leg is active and also hears every
  other conference leg (mix-minus: each party gets the sum of the others, never itself).
  A *muted* leg is sent no microphone, but still the other conference legs.
- A *cue* (the call-waiting tone) can be laid over the speaker mix.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from alexphone.media.audio_endpoint import AudioSink, AudioSource, BufferedSink, CapturingSource
from alexphone.media.resampler import Resampler, Samples, to_pcm, to_samples

FRAME_SECONDS = 0.020
KEPT_FRAMES = 8  # microphone frames kept for legs whose tick comes later
MAX_BACKLOG = 5  # frames a leg's speaker FIFO (or a conference queue) keeps at most
LAG_FRAMES = 2  # one leg this far ahead: the silent ones are mixed as silence
MAX_PUMP = 10  # frames written to the speaker in one go at most


class LegMode(Enum):
    """What a call hears and whether it is heard."""

    ACTIVE = "active"
    HELD = "held"
    CONFERENCE = "conference"


def _empty() -> Samples:
    return np.zeros(0)


@dataclass(slots=True, eq=False)
class _Leg:
    key: str
    rate: int
    to_leg: Resampler
    from_leg: Resampler
    mode: LegMode = LegMode.ACTIVE
    muted: bool = False  # the microphone is left out; a conference still reaches the leg
    position: int = 0  # the next microphone frame this leg reads
    pending: Samples = field(default_factory=_empty)  # captured, at the leg's rate, not read
    fifo: Samples = field(default_factory=_empty)  # played by the leg, waiting for the mix
    heard: dict[str, Samples] = field(default_factory=dict)  # conference audio to send on


def _append(buffer: Samples, samples: Samples, limit: int) -> Samples:
    joined = np.concatenate((buffer, samples))
    return joined[-limit:] if joined.size > limit else joined


def _take(buffer: Samples, count: int) -> tuple[Samples, Samples]:
    """Return ``count`` samples from the front of ``buffer`` (zero-padded) and the rest."""
    head, rest = buffer[:count], buffer[count:]
    if head.size < count:
        head = np.concatenate((head, np.zeros(count - head.size)))
    return head, rest


class Mixer:
    """Shares one source and one sink (same rate) among the legs of several calls."""

    def __init__(
        self, source: AudioSource, sink: AudioSink, on_empty: Callable[[], None] | None = None
    ) -> None:
        if source.rate != sink.rate:
            raise ValueError("the mixer's source and sink must share one rate")
        self.source = source
        self.sink = sink
        self.rate = sink.rate
        self.frame = round(self.rate * FRAME_SECONDS)
        self.on_empty = on_empty
        self.cue: AudioSource | None = None  # laid over the speaker mix (call waiting)
        self.legs: dict[str, _Leg] = {}
        self.mixed = 0  # frames written to the sink
        self.captured = 0  # frames read from the source
        self._kept: deque[Samples] = deque(maxlen=KEPT_FRAMES)
        # the endpoints' clocks, looked up once (an isinstance on a runtime Protocol is slow)
        self._backlog = source.available if isinstance(source, CapturingSource) else None
        self._queued = sink.queued if isinstance(sink, BufferedSink) else None

    # -- legs ---------------------------------------------------------------------------------
    def join(self, key: str, rate: int) -> tuple[LegSource, LegSink]:
        """Add a leg ``key`` at ``rate``; return what its stream captures from and plays to."""
        if key in self.legs:
            raise ValueError(f"leg {key!r} is already in the mixer")
        leg = _Leg(key, rate, Resampler(self.rate, rate), Resampler(rate, self.rate))
        leg.position = self.captured
        self.legs[key] = leg
        return LegSource(self, leg), LegSink(self, leg)

    def leave(self, key: str) -> None:
        """Remove leg ``key`` (no-op if gone); the last one leaving closes the endpoints."""
        if self.legs.pop(key, None) is None:
            return
        for other in self.legs.values():
            other.heard.pop(key, None)
        if not self.legs:
            self.close()
            if self.on_empty is not None:
                self.on_empty()

    def set_mode(self, key: str, mode: LegMode) -> None:
        """Hold, resume or conference leg ``key``; what it had queued is dropped on a change."""
        leg = self.legs.get(key)
        if leg is None or leg.mode is mode:
            return
        leg.mode = mode
        leg.fifo, leg.heard = _empty(), {}
        leg.position = self.captured  # resumes with the microphone as it is now
        for other in self.legs.values():
            other.heard.pop(key, None)

    def set_muted(self, key: str, on: bool) -> None:
        """Leave the microphone out of what leg ``key`` sends (the conference still goes)."""
        leg = self.legs.get(key)
        if leg is not None:
            leg.muted = on

    def mode(self, key: str) -> LegMode | None:
        """Return the mode of leg ``key``, None if it is not in the mixer."""
        leg = self.legs.get(key)
        return leg.mode if leg is not None else None

    def close(self) -> None:
        """Close the shared source and sink."""
        self.source.close()
        self.sink.close()

    # -- capture ------------------------------------------------------------------------------
    def capture(self, leg: _Leg, samples: int) -> bytes:
        """Return the next ``samples`` at the leg's rate: silence if held, else the
        microphone, plus the other conference legs for a conference leg."""
        if leg.mode is LegMode.HELD:
            leg.pending = _empty()
            return bytes(2 * samples)
        if samples == self.frame and self._alone(leg) and not leg.pending.size:
            return self._capture_alone(leg)
        while leg.pending.size < samples:
            frame = self._next_frame(leg)
            leg.pending = np.concatenate((leg.pending, leg.to_leg.process(frame)))
        out, leg.pending = leg.pending[:samples], leg.pending[samples:]
        return to_pcm(out)

    def _alone(self, leg: _Leg) -> bool:
        """Tell whether ``leg`` is the only one, active, at the mixer's rate: PCM passes as is."""
        return len(self.legs) == 1 and leg.mode is LegMode.ACTIVE and leg.to_leg.passthrough

    def _capture_alone(self, leg: _Leg) -> bytes:
        """The next microphone frame for the only leg, as read (no float round trip)."""
        if leg.position < self.captured:  # frames kept from before it was alone: those first
            return to_pcm(self._next_frame(leg))
        pcm = self.source.read(self.frame)
        self._kept.clear()  # no other leg will read them; a later one starts at ``captured``
        self.captured += 1
        leg.position = self.captured
        return bytes(len(pcm)) if leg.muted else pcm

    def _next_frame(self, leg: _Leg) -> Samples:
        if leg.position >= self.captured:
            self._kept.append(to_samples(self.source.read(self.frame)))
            self.captured += 1
        oldest = self.captured - len(self._kept)
        leg.position = max(leg.position, oldest)
        frame = self._kept[leg.position - oldest]
        leg.position += 1
        if leg.muted:
            frame = np.zeros(self.frame)
        if leg.mode is LegMode.CONFERENCE:
            for key in list(leg.heard):
                other, leg.heard[key] = _take(leg.heard[key], self.frame)
                frame = frame + other
        return frame

    def available(self, leg: _Leg) -> int | None:
        """Return what leg ``leg`` can read (its rate) without waiting; None: no device clock."""
        device = self._backlog() if self._backlog is not None else None
        if device is None:
            return None
        ahead = (self.captured - leg.position) * self.frame + device
        return leg.pending.size + ahead * leg.rate // self.rate

    # -- playback -----------------------------------------------------------------------------
    def play(self, leg: _Leg, pcm: bytes) -> None:
        """Take what leg ``leg`` played; mix to the speaker once every live leg has a frame."""
        if leg.mode is LegMode.HELD:
            return
        whole = len(pcm) == 2 * self.frame and not leg.fifo.size and self.cue is None
        if whole and self._alone(leg):  # what the mix of one frame would write, as is
            self.sink.write(pcm)
            self.mixed += 1
            return
        samples = leg.from_leg.process(to_samples(pcm))
        limit = MAX_BACKLOG * self.frame
        leg.fifo = _append(leg.fifo, samples, limit)
        if leg.mode is LegMode.CONFERENCE:
            for other in self.legs.values():
                if other is not leg and other.mode is LegMode.CONFERENCE:
                    heard = other.heard.get(leg.key, _empty())
                    other.heard[leg.key] = _append(heard, samples, limit)
        self._pump()

    def queued(self, leg: _Leg) -> int | None:
        """Return what leg ``leg`` has waiting to be heard (its rate); None: no device clock."""
        device = self._device_queued()
        if device is None:
            return None
        return (leg.fifo.size + device) * leg.rate // self.rate

    def _device_queued(self) -> int | None:
        return self._queued() if self._queued is not None else None

    def _pump(self) -> None:
        live = [leg for leg in self.legs.values() if leg.mode is not LegMode.HELD]
        for _ in range(MAX_PUMP):
            if not live or not self._due(live):
                return
            mix = np.zeros(self.frame)
            for leg in live:
                frame, leg.fifo = _take(leg.fifo, self.frame)
                mix += frame
            if self.cue is not None:
                mix += to_samples(self.cue.read(self.frame))
            self.sink.write(to_pcm(mix))
            self.mixed += 1

    def _due(self, live: list[_Leg]) -> bool:
        """Tell whether a frame of the mix can go to the speaker now."""
        sizes = [leg.fifo.size for leg in live]
        if max(sizes) < self.frame:
            return False
        if min(sizes) >= self.frame or max(sizes) >= LAG_FRAMES * self.frame:
            return True
        device = self._device_queued()
        return device is not None and device < self.frame  # about to run dry


class LegSource:
    """What one call's stream captures from: the shared microphone, as its mode allows."""

    def __init__(self, mixer: Mixer, leg: _Leg) -> None:
        self.mixer = mixer
        self.leg = leg
        self.rate = leg.rate

    def read(self, samples: int) -> bytes:
        """Return ``samples`` samples (16-bit LE mono at ``rate``)."""
        return self.mixer.capture(self.leg, samples)

    def available(self) -> int | None:
        """Return the samples ready without waiting on the microphone (None: no device)."""
        return self.mixer.available(self.leg)

    def close(self) -> None:
        """Leave the mixer."""
        self.mixer.leave(self.leg.key)


class LegSink:
    """What one call's stream plays into: the shared speaker, as its mode allows."""

    def __init__(self, mixer: Mixer, leg: _Leg) -> None:
        self.mixer = mixer
        self.leg = leg
        self.rate = leg.rate

    def write(self, pcm: bytes) -> None:
        """Play ``pcm`` (16-bit LE mono at ``rate``) in the mix."""
        self.mixer.play(self.leg, pcm)

    def queued(self) -> int | None:
        """Return the samples written and not yet played (None: the speaker has no clock)."""
        return self.mixer.queued(self.leg)

    def close(self) -> None:
        """Leave the mixer."""
        self.mixer.leave(self.leg.key)
