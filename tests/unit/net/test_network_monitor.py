"""The network monitor reports a changed fingerprint once, and nothing when stable."""

from __future__ import annotations

from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.network_monitor import NetworkMonitor

HOME = ([InterfaceAddress("wlan0", 3, "192.168.1.20", 24)], ["192.168.1.1"])
CAFE = ([InterfaceAddress("wlan0", 3, "10.9.8.7", 16)], ["10.9.0.1"])


def test_change_is_reported_once_with_the_new_addresses() -> None:
    current = [HOME]
    seen: list[tuple[list[InterfaceAddress], str]] = []
    monitor = NetworkMonitor(lambda a, f: seen.append((a, f)), snapshot=lambda: current[0])

    assert monitor.check() is False  # first look: nothing to compare with
    assert monitor.check() is False
    current[0] = CAFE
    assert monitor.check() is True
    assert monitor.check() is False

    assert len(seen) == 1
    assert seen[0][0][0].address == "10.9.8.7"
    assert seen[0][1] == monitor.fingerprint


def test_unreadable_interfaces_are_not_a_change() -> None:
    def broken() -> tuple[list[InterfaceAddress], list[str]]:
        raise OSError("no netlink")

    monitor = NetworkMonitor(lambda a, f: None, snapshot=broken)

    assert monitor.check() is False
    assert monitor.fingerprint is None


def test_renumbering_inside_the_same_prefix_is_a_change() -> None:
    current = [HOME]
    seen: list[str] = []
    monitor = NetworkMonitor(lambda a, f: seen.append(a[0].address), snapshot=lambda: current[0])
    monitor.check()

    current[0] = ([InterfaceAddress("wlan0", 3, "192.168.1.99", 24)], ["192.168.1.1"])

    assert monitor.check() is True
    assert seen == ["192.168.1.99"]
