"""A fake event loop for unit tests: its clock and ``call_at``, moved by hand (no sleeps)."""

from __future__ import annotations

from collections.abc import Callable


class FakeHandle:
    """A scheduled callback the fake loop runs when time passes ``when``."""

    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        """Stop it from running."""
        self.cancelled = True


class FakeLoop:
    """The loop's clock and ``call_at``; time moves only through ``advance``."""

    def __init__(self) -> None:
        self.now = 0.0
        self.handles: list[FakeHandle] = []

    def time(self) -> float:
        """Return the fake time."""
        return self.now

    def call_at(self, when: float, callback: Callable[[], object], /) -> FakeHandle:
        """Schedule ``callback`` at ``when``."""
        handle = FakeHandle(when, callback)
        self.handles.append(handle)
        return handle

    def pending(self) -> list[FakeHandle]:
        """Return the handles neither run nor cancelled."""
        return [h for h in self.handles if not h.cancelled]

    def advance(self, until: float, *, early: float = 0.0) -> int:
        """Run every due handle up to ``until`` (``early``: the loop's clock lags); count them."""
        ran = 0
        for _ in range(1000):  # bounded: a driver re-arming forever fails the test
            due = [h for h in self.pending() if h.when <= until]
            if not due:
                break
            handle = min(due, key=lambda h: h.when)
            handle.cancelled = True  # ran: no longer pending
            self.now = max(self.now, handle.when - early)
            handle.callback()
            ran += 1
        else:
            raise AssertionError("timer callbacks did not settle")
        self.now = max(self.now, until)
        return ran
