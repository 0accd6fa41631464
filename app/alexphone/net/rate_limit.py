"""Per-source and overall token buckets that shed a request flood before it is parsed.

Theory of operation: every SIP request that arrives on a datagram socket costs a parse,
a server transaction and, for an INVITE, candidate gathering (STUN/TURN) before the 180;
an attacker (or a spoofed flood) can make the phone do that work thousands of times a
second. ``RequestLimiter.admit(source, now)`` is asked first, with nothing but the
source's IP: each source has a token bucket (``per_source_rate`` a second, ``burst``
deep) and all sources together share one more (``total_rate``), so a thousand spoofed
sources are held to the total too. A refused request is dropped without an answer:
answering would reflect the flood. The table of sources is bounded (least recently
seen forgotten first) so the limiter's own memory cannot be flooded. Sans-I/O: time
is the ``now`` argument.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["RequestLimiter", "RequestLimits", "TokenBucket"]


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """How many requests a second the phone takes, from one source and from all."""

    per_source_rate: float = 60.0  # SIPp at 10 calls/s sends 30 requests/s
    per_source_burst: float = 120.0
    total_rate: float = 400.0
    total_burst: float = 800.0
    max_sources: int = 4096


@dataclass(slots=True)
class TokenBucket:
    """Holds up to ``burst`` tokens, refilled at ``rate`` a second; one per request."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        """Spend one token if there is one; tell whether there was."""
        elapsed = max(0.0, now - self.stamp)  # a clock that steps back refills nothing
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class RequestLimiter:
    """Admits or sheds requests by source address, before any parsing."""

    def __init__(self, limits: RequestLimits | None = None) -> None:
        self.limits = limits if limits is not None else RequestLimits()
        self._sources: OrderedDict[str, TokenBucket] = OrderedDict()
        self._total: TokenBucket | None = None
        self.shed = 0

    def admit(self, source: str, now: float) -> bool:
        """Tell whether a request from IP ``source`` may be handled now (False: drop it)."""
        limits = self.limits
        bucket = self._sources.get(source)
        if bucket is None:
            bucket = TokenBucket(limits.per_source_rate, limits.per_source_burst,
                                 limits.per_source_burst, now)  # fmt: skip
            self._sources[source] = bucket
            if len(self._sources) > limits.max_sources:
                self._sources.popitem(last=False)
        else:
            self._sources.move_to_end(source)
        if self._total is None:
            self._total = TokenBucket(limits.total_rate, limits.total_burst,
                                      limits.total_burst, now)  # fmt: skip
        # The source's own bucket first: a single noisy source never drains the total.
        if bucket.take(now) and self._total.take(now):
            return True
        self.shed += 1
        return False

    @property
    def sources(self) -> int:
        """How many sources the limiter remembers (at most ``max_sources``)."""
        return len(self._sources)
