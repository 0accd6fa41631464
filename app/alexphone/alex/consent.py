"""Consent freshness on a selected pair (RFC 7675), as timers only; the agent sends the checks.

A consent check is an authenticated Binding request on the selected pair every 5 s, randomised
to 0.8–1.2 times the interval (RFC 7675 §5.1). Consent lasts 30 s past the last authenticated
answer; once it lapses, no more media goes to that address. The checks double as the
keepalives (docs/ALEX.md "Consent"): every 5 s, more often than NAT bindings need.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from alexphone.core.address import Address


@dataclass(frozen=True, slots=True)
class ConsentConfig:
    """RFC 7675 §5.1 timings in seconds."""

    interval: float = 5.0
    timeout: float = 30.0


class ConsentTimer:
    """When to send the next consent check and when consent runs out, for one pair."""

    def __init__(
        self,
        flow: str,
        base: Address,
        remote: Address,
        now: float,
        rng: random.Random,
        config: ConsentConfig | None = None,
    ) -> None:
        self.flow = flow
        self.base = base
        self.remote = remote
        self.config = config if config is not None else ConsentConfig()
        self._rng = rng
        self.last_success = now  # selection itself followed an authenticated answer
        self.next_check = now + self._interval()
        self.expired = False

    def _interval(self) -> float:
        # RFC 7675 §5.1: uniformly random in [0.8, 1.2] times the interval
        return self.config.interval * self._rng.uniform(0.8, 1.2)

    @property
    def expires_at(self) -> float:
        """When consent lapses unless an answer comes first."""
        return self.last_success + self.config.timeout

    def get_timer(self) -> float | None:
        """The next moment something happens, None once expired."""
        return None if self.expired else min(self.next_check, self.expires_at)

    def check_due(self, now: float) -> bool:
        """Tell whether a consent check should go out now."""
        return not self.expired and self.next_check <= now

    def check_sent(self, now: float) -> None:
        """Record that a check went out; schedule the next one."""
        self.next_check = now + self._interval()

    def answered(self, now: float) -> None:
        """An authenticated success response came: consent is fresh again."""
        if not self.expired:
            self.last_success = max(self.last_success, now)

    def expire_if_due(self, now: float) -> bool:
        """Mark consent lost if 30 s passed without an answer; True on the transition."""
        if not self.expired and self.expires_at <= now:
            self.expired = True
            return True
        return False
