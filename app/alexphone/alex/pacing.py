"""The process-wide probe budget: at most one probe per 5 ms (docs/ALEX.md, RFC 8445 §14).

Each check agent paces its own new checks at Ta (20 ms); this budget, shared by every agent of
the process and injected by whoever builds them, additionally spaces every probe it sends,
retransmissions included, by at least ``min_gap``. Responses to the peer's checks are never
held back: they answer traffic that already arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexphone.core.errors import ConfigError

TA = 0.020  # RFC 8445 §14.2 default pacing, docs/ALEX.md "Checks and pacing"
MIN_PROBE_GAP = 0.005  # never more than one probe per 5 ms per process


@dataclass(frozen=True, slots=True)
class PacingConfig:
    """Ta for each agent's new checks and the per-process probe gap."""

    ta: float = TA
    min_gap: float = MIN_PROBE_GAP

    def __post_init__(self) -> None:
        if self.ta <= 0 or self.min_gap < 0:
            raise ConfigError(f"invalid pacing Ta={self.ta} gap={self.min_gap}")


class ProbeBudget:
    """Grants at most one probe per ``min_gap`` seconds across all agents sharing it."""

    def __init__(self, min_gap: float = MIN_PROBE_GAP) -> None:
        self.min_gap = min_gap
        self._last: float | None = None
        self.granted = 0  # probes granted so far (for counters and tests)

    def next_allowed(self, now: float) -> float:
        """The earliest time not before ``now`` when a probe may go out."""
        if self._last is None:
            return now
        return max(now, self._last + self.min_gap)

    def try_take(self, now: float) -> bool:
        """Take the right to send one probe at ``now``; False if it is too soon."""
        if self.next_allowed(now) > now:
            return False
        self._last = now
        self.granted += 1
        return True
