"""CoreDriver on a fake loop: flush after every input, one timer, re-armed only when it moves."""

from __future__ import annotations

import pytest

from alexphone.net.core_driver import CoreDriver
from fake_loop import FakeLoop


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
