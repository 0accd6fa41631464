"""The request limiter: per-source and total token buckets driven by a hand-moved clock."""

from __future__ import annotations

from alexphone.net.rate_limit import RequestLimiter, RequestLimits

LIMITS = RequestLimits(per_source_rate=10, per_source_burst=20, total_rate=100,
                       total_burst=200, max_sources=50)  # fmt: skip


def admitted(limiter: RequestLimiter, source: str, count: int, now: float) -> int:
    return sum(limiter.admit(source, now) for _ in range(count))


def test_one_source_gets_its_burst_then_its_rate() -> None:
    limiter = RequestLimiter(LIMITS)

    assert admitted(limiter, "192.0.2.1", 100, now=0.0) == 20
    assert admitted(limiter, "192.0.2.1", 100, now=1.0) == 10
    assert admitted(limiter, "192.0.2.1", 100, now=1.5) == 5
    assert limiter.shed == 80 + 90 + 95


def test_a_noisy_source_leaves_the_others_their_share() -> None:
    limiter = RequestLimiter(LIMITS)
    admitted(limiter, "192.0.2.66", 10_000, now=0.0)

    assert admitted(limiter, "192.0.2.7", 5, now=0.0) == 5


def test_many_sources_together_are_held_to_the_total() -> None:
    limiter = RequestLimiter(LIMITS)
    sources = [f"198.51.100.{n}" for n in range(40)]

    first = sum(admitted(limiter, s, 20, now=0.0) for s in sources)
    later = sum(admitted(limiter, s, 20, now=1.0) for s in sources)

    assert first == 200  # the total burst, though each source had 20 tokens
    assert later == 100  # one second of the total rate


def test_the_table_of_sources_is_bounded_and_forgets_the_oldest() -> None:
    limiter = RequestLimiter(LIMITS)
    admitted(limiter, "192.0.2.1", 20, now=0.0)  # its bucket is empty now
    for n in range(LIMITS.max_sources):
        limiter.admit(f"203.0.113.{n}", now=0.0)

    assert limiter.sources == LIMITS.max_sources
    assert limiter.admit("192.0.2.1", now=0.0)  # forgotten, so a fresh bucket


def test_a_clock_stepping_back_refills_nothing() -> None:
    limiter = RequestLimiter(LIMITS)
    admitted(limiter, "192.0.2.1", 20, now=100.0)

    assert admitted(limiter, "192.0.2.1", 5, now=50.0) == 0
