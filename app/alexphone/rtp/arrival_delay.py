"""How late packets arrive: a histogram of arrival delays and the delay that covers most of them.

Theory of operation. Each packet's *transit* is its arrival time minus its media time
(``arrival - timestamp / clock_rate``); only differences matter, so the clocks' offsets
cancel. The arrival time is read on the playout clock (audio consumed so far), not on
the wall clock: a packet that the event loop reads late but before the audio needing it is
pulled was on time, as far as the listener can tell.

The transit of a typical packet is a running mean over about ``window`` packets (it follows
a slow drift between the sender's clock and ours, and unlike a median it does not flip
between values when arrivals are quantised to whole frames). A packet's *relative delay* is
its transit minus that mean; relative delays go into a histogram with exponential
forgetting (``forget`` per packet, so old bursts fade over ~20 s, as NetEq's does), and
``target`` is the mean transit plus the ``quantile`` of that histogram: playing out that
long after the typical packet arrives leaves time for all but the slowest few percent.

Timeline jumps (a peer that restarts its timestamps without a new SSRC) would poison the
median and the histogram: a packet whose relative delay exceeds ``jump`` is held back
rather than counted. When ``confirm`` such packets in a row agree with each other (a burst
released after a stall does not: its packets differ by whole frames), or half a window of
them has piled up, the reference restarts from them (``jumps`` counts this). Held packets
are counted once the next ordinary one shows they were a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivalDelay", "ArrivalDelayConfig"]


@dataclass(frozen=True, slots=True)
class ArrivalDelayConfig:
    """Histogram shape and adaptation speeds."""

    bucket: float = 0.001  # seconds per histogram bucket
    span: float = 1.0  # relative delays above this are counted in the last bucket
    quantile: float = 0.95
    forget: float = 0.999  # per packet: a burst weighs half after ~700 packets (14 s)
    window: int = 32  # packets the reference averages over (its time constant)
    jump: float = 0.080  # a relative delay beyond this may be a timeline jump
    confirm: int = 3  # consecutive agreeing jumps that restart the reference
    agree: float = 0.010  # "agreeing": within this of each other (a burst differs by frames)


class ArrivalDelay:
    """Estimates the playout delay (in transit terms) that covers a quantile of arrivals."""

    def __init__(self, config: ArrivalDelayConfig | None = None) -> None:
        self.config = config or ArrivalDelayConfig()
        buckets = round(self.config.span / self.config.bucket) + 1
        self._histogram = np.zeros(buckets)
        self._count = 0
        self._averaged = 0  # transits in the reference since the last restart
        self._reference: float | None = None
        self._held: list[float] = []
        self.jumps = 0

    @property
    def observations(self) -> int:
        """Return how many arrivals went into the histogram."""
        return self._count

    @property
    def reference(self) -> float | None:
        """Return the mean transit of recent packets (None before the first)."""
        return self._reference

    def restart(self) -> None:
        """Forget the timeline (a new stream); the histogram of delays is kept."""
        self._averaged = 0
        self._reference = None
        self._held.clear()

    def observe(self, transit: float) -> None:
        """Account for one packet's transit (arrival on the playout clock minus media time)."""
        if self._reference is None:
            self._admit(transit)
            return
        relative = transit - self._reference
        if abs(relative) <= self.config.jump:
            for held in self._held:
                self._admit(held)  # they were spikes, not a jump
            self._held.clear()
            self._admit(transit)
            return
        self._held.append(transit)
        recent = self._held[-self.config.confirm :]
        spread = max(recent) - min(recent)
        agree = len(recent) == self.config.confirm and spread <= self.config.agree
        if agree or abs(relative) > 1.0 or len(self._held) > self.config.window // 2:
            self.jumps += 1  # the timeline moved (or the path did): a new reference
            self.restart()
            for value in recent:
                self._average(value)

    def _average(self, transit: float) -> float:
        self._averaged += 1
        if self._reference is None:
            self._reference = transit
        weight = 1.0 / min(self._averaged, self.config.window)
        self._reference += weight * (transit - self._reference)
        return self._reference

    def _admit(self, transit: float) -> None:
        before = self._reference if self._reference is not None else transit
        self._average(transit)
        relative = max(0.0, transit - before)
        bucket = min(round(relative / self.config.bucket), self._histogram.size - 1)
        forget = min(self.config.forget, 1.0 - 1.0 / (self._count + 2))
        self._histogram *= forget
        self._histogram[bucket] += 1.0 - forget
        self._count += 1

    def quantile_delay(self) -> float:
        """Return the relative delay below which ``quantile`` of arrivals fall (seconds)."""
        if self._count == 0:
            return 0.0
        cumulative = np.cumsum(self._histogram)
        index = int(np.searchsorted(cumulative, self.config.quantile * cumulative[-1]))
        return min(index, self._histogram.size - 1) * self.config.bucket

    def target(self) -> float | None:
        """Return the transit that ``quantile`` of packets beat (None before any packet)."""
        if self._reference is None:
            return None
        return self._reference + self.quantile_delay()
