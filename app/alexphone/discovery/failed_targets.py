"""Memory of targets that failed recently, so the next request tries them last (RFC 3263 §4.3)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

DEFAULT_HOLD = 60.0  # seconds a failed target stays at the back of the list


class FailedTargets:
    """Remembers failures for ``hold`` seconds; time is passed in."""

    def __init__(self, hold: float = DEFAULT_HOLD) -> None:
        self.hold = hold
        self._until: dict[Hashable, float] = {}

    def mark(self, target: Hashable, now: float) -> None:
        """Record that ``target`` failed at ``now``."""
        self._until[target] = now + self.hold

    def clear(self, target: Hashable) -> None:
        """Forget a failure (the target answered)."""
        self._until.pop(target, None)

    def is_failed(self, target: Hashable, now: float) -> bool:
        """Tell whether ``target`` failed less than ``hold`` seconds before ``now``."""
        until = self._until.get(target)
        if until is None:
            return False
        if until <= now:
            del self._until[target]
            return False
        return True

    def order(self, targets: Iterable[T], now: float) -> list[T]:
        """Return ``targets`` with the recently failed ones moved to the end, order kept."""
        items = list(targets)
        good = [t for t in items if not self.is_failed(t, now)]
        return good + [t for t in items if t not in good]
