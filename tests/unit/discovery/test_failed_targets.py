"""Failed-target memory (RFC 3263 §4.3) on a fake clock."""

from __future__ import annotations

from alexphone.core.clock import FakeClock
from alexphone.discovery.failed_targets import FailedTargets


def test_failed_target_goes_last_until_the_hold_ends() -> None:
    clock = FakeClock(0.0)
    memory = FailedTargets(hold=30.0)
    memory.mark("a", clock())
    assert memory.order(["a", "b", "c"], clock()) == ["b", "c", "a"]
    clock.advance(29.9)
    assert memory.is_failed("a", clock())
    clock.advance(0.1)
    assert memory.order(["a", "b", "c"], clock()) == ["a", "b", "c"]


def test_all_failed_keeps_order_and_clear_forgets() -> None:
    memory = FailedTargets(hold=10.0)
    memory.mark("a", 0.0)
    memory.mark("b", 0.0)
    assert memory.order(["a", "b"], 1.0) == ["a", "b"]
    memory.clear("b")
    assert memory.order(["a", "b"], 1.0) == ["b", "a"]
