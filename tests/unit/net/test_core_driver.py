"""CoreDriver on a fake loop: flush after every input, one timer, re-armed only when it moves."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alexphone.net.core_driver import CoreDriver


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
            pytest.fail("timer callbacks did not settle")
        self.now = max(self.now, until)
        return ran


class Core:
    """A core with a list of deadlines; each one that passes queues a datagram."""

    def __init__(self, deadlines: list[float]) -> None:
        self.deadlines = deadlines
        self.queue: list[str] = []
        self.fired_at: list[float] = []

    def get_timer(self) -> float | None:
        return self.deadlines[0] if self.deadlines else None

    def handle_timer(self, now: float) -> None:
        self.fired_at.append(now)
        while self.deadlines and self.deadlines[0] <= now:
            self.queue.append(f"t{self.deadlines.pop(0)}")


def driven(deadlines: list[float]) -> tuple[FakeLoop, Core, CoreDriver[Core], list[str]]:
    loop = FakeLoop()
    core = Core(deadlines)
    sent: list[str] = []

    def flush(now: float) -> None:
        sent.extend(core.queue)
        core.queue.clear()

    return loop, core, CoreDriver(core, flush, loop=loop), sent


def test_transmit_flushes_and_arms_one_timer_at_the_core_deadline() -> None:
    loop, core, driver, sent = driven([1.0, 2.5])
    core.queue.append("first")
    driver.transmit()
    assert sent == ["first"]
    assert [h.when for h in loop.pending()] == [1.0]
    assert driver.deadline == 1.0


def test_an_unchanged_deadline_keeps_its_handle() -> None:
    loop, _core, driver, _sent = driven([1.0])
    for _ in range(5):
        driver.transmit()
    assert len(loop.handles) == 1  # one call_at for five transmits


def test_a_moved_deadline_cancels_the_old_handle() -> None:
    loop, core, driver, _sent = driven([5.0])
    driver.transmit()
    core.deadlines.insert(0, 2.0)
    driver.transmit()
    assert [h.when for h in loop.pending()] == [2.0]
    core.deadlines.clear()
    driver.transmit()
    assert loop.pending() == [] and driver.deadline is None


def test_the_timer_feeds_the_core_and_re_arms_itself() -> None:
    loop, core, driver, sent = driven([1.0, 2.0, 4.0])
    driver.transmit()
    assert loop.advance(10.0) == 3
    assert sent == ["t1.0", "t2.0", "t4.0"]
    assert core.fired_at == [1.0, 2.0, 4.0]
    assert loop.pending() == []


def test_a_handle_run_a_tick_early_still_hands_the_core_its_deadline() -> None:
    loop, core, driver, sent = driven([1.0])
    driver.transmit()
    assert loop.advance(1.0, early=1e-9) == 1  # one run, not a busy re-arm loop
    assert core.fired_at == [1.0] and sent == ["t1.0"]


def test_close_cancels_the_timer_and_arms_nothing_more() -> None:
    loop, core, driver, sent = driven([1.0])
    driver.transmit()
    driver.close()
    assert loop.pending() == []
    core.queue.append("late")
    driver.transmit()
    assert sent == ["late"] and loop.pending() == []


def test_a_failing_flush_still_arms_the_timer() -> None:
    loop = FakeLoop()
    core = Core([3.0])

    def flush(now: float) -> None:
        raise RuntimeError("consumer broke")

    driver = CoreDriver(core, flush, loop=loop)
    with pytest.raises(RuntimeError):
        driver.transmit()
    assert [h.when for h in loop.pending()] == [3.0]


def test_transmit_from_inside_flush_arms_once() -> None:
    loop = FakeLoop()
    core = Core([2.0])
    depth: list[int] = []
    drivers: list[CoreDriver[Core]] = []

    def flush(now: float) -> None:
        depth.append(now)
        if len(depth) == 1:  # the consumer reacts with a new input, as a SIP TU does
            drivers[0].transmit()

    drivers.append(CoreDriver(core, flush, loop=loop))
    drivers[0].transmit()
    assert len(depth) == 2
    assert [h.when for h in loop.pending()] == [2.0]
