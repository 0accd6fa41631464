"""ALEX cache lifetimes, ranking and network fingerprint (docs/ALEX.md "ALEX cache")."""

from __future__ import annotations

from alexphone.alex.cache import (
    CacheKey,
    CacheUse,
    endpoint,
    failure,
    network_fingerprint,
    parse_endpoint,
    rank,
    success,
)

KEY = CacheKey("<urn:uuid:b>", "m0.1", "10.0.1.10:5004/udp", "203.0.113.2:40000/udp", "net1")


def test_success_lifetimes() -> None:
    entry = success(KEY, 1000.0, 0.02)
    assert entry.use(1000.0 + 119) is CacheUse.NOMINATE
    assert entry.use(1000.0 + 121) is CacheUse.ORDER
    assert entry.use(1000.0 + 24 * 3600 + 1) is CacheUse.EXPIRED


def test_failure_lifetime_and_kept_success_time() -> None:
    entry = failure(KEY, 2000.0, success(KEY, 1000.0, 0.02))
    assert entry.last_success == 1000.0
    assert entry.use(2059.0) is CacheUse.AVOID
    assert entry.use(2061.0) is CacheUse.EXPIRED


def test_rank_orders_nominate_then_order_then_avoid() -> None:
    other = CacheKey(KEY.peer, KEY.flow, KEY.local, "198.51.100.2:50100/udp", KEY.network)
    third = CacheKey(KEY.peer, KEY.flow, KEY.local, "203.0.113.2:1/udp", KEY.network)
    entries = [failure(third, 990.0), success(other, 500.0, 0.1), success(KEY, 950.0, 0.02)]
    assert [e.key for e in rank(entries, 1000.0)] == [KEY, other, third]
    assert rank(entries, 1000.0 + 25 * 3600) == []


def test_fingerprint_changes_with_the_network_only() -> None:
    here = network_fingerprint(["10.0.1.10/24", "fd42:1::10/64"], ["10.0.1.1"])
    same = network_fingerprint(["fd42:1::11/64", "10.0.1.77/24"], ["10.0.1.1"])
    moved = network_fingerprint(["10.0.2.10/24", "fd42:2::10/64"], ["10.0.2.1"])
    assert here == same != moved
    assert network_fingerprint(["10.0.1.10/24"], ["10.0.1.254"]) != network_fingerprint(
        ["10.0.1.10/24"], ["10.0.1.1"]
    )


def test_endpoint_text_round_trips() -> None:
    for address in (("10.0.1.10", 5004), ("2001:db8::1", 5060)):
        assert parse_endpoint(endpoint(address, "UDP")) == (address, "udp")
