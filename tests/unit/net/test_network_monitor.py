"""The network monitor reports a changed fingerprint once, and nothing when stable."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from alexphone.net.change_settler import SettleTimes
from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.netlink_watch import NetlinkUnavailable
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


def test_the_families_with_a_default_route_are_known_after_each_look() -> None:
    v6_only = ([InterfaceAddress("eth1", 4, "fd00:2::2", 64)], ["fd00:2::1"])
    current = [HOME]
    monitor = NetworkMonitor(lambda a, f: None, snapshot=lambda: current[0])

    monitor.check()
    assert monitor.families == {socket.AF_INET} and monitor.routed
    current[0] = v6_only
    monitor.check()
    assert monitor.families == {socket.AF_INET6} and monitor.routed
    current[0] = ([], [])
    monitor.check()
    assert monitor.families == frozenset() and not monitor.routed


class FakeWatch:
    """Stands in for rtnetlink: the test announces kernel messages by hand."""

    def __init__(self, available: bool = True) -> None:
        self.available = available
        self.announce: Callable[[str], None] | None = None

    async def __call__(
        self, on_message: Callable[[str], None], on_ready: Callable[[], None]
    ) -> None:
        if not self.available:
            raise NetlinkUnavailable("no rtnetlink here")
        self.announce = on_message
        on_ready()
        await asyncio.Event().wait()  # until cancelled


async def _a_kernel_message_leads_to_a_report_of_the_new_table() -> None:
    current = [HOME]
    changed = asyncio.Event()
    seen: list[str] = []

    def on_change(addresses: list[InterfaceAddress], fingerprint: str) -> None:
        seen.append(addresses[0].address)
        changed.set()

    watch = FakeWatch()
    monitor = NetworkMonitor(
        on_change, snapshot=lambda: current[0], watch=watch, times=SettleTimes(0.0, 0.0)
    )
    monitor.start()
    await monitor.watching.wait()
    current[0] = CAFE
    assert watch.announce is not None
    watch.announce("RTM_NEWADDR")
    await changed.wait()
    await monitor.stop()

    assert seen == ["10.9.8.7"]
    assert monitor.polling is False


async def _kernel_messages_without_a_table_change_report_nothing() -> None:
    seen: list[str] = []
    looks = [0]

    def snapshot() -> tuple[list[InterfaceAddress], list[str]]:
        looks[0] += 1
        return HOME

    watch = FakeWatch()
    monitor = NetworkMonitor(
        lambda a, f: seen.append(f), snapshot=snapshot, watch=watch, times=SettleTimes(0.0, 0.0)
    )
    monitor.start()
    await monitor.watching.wait()
    assert watch.announce is not None
    watch.announce("RTM_NEWROUTE")
    for _ in range(100):  # bounded: the settle timer runs on the next loop turns
        if looks[0] >= 3:
            break
        await asyncio.sleep(0)
    await monitor.stop()

    assert looks[0] == 3  # start, subscription, the announcement
    assert seen == []


async def _without_rtnetlink_the_monitor_polls() -> None:
    monitor = NetworkMonitor(lambda a, f: None, snapshot=lambda: HOME, watch=FakeWatch(False))
    monitor.start()
    for _ in range(100):
        if monitor.polling:
            break
        await asyncio.sleep(0)
    await monitor.stop()

    assert monitor.polling is True
    assert not monitor.watching.is_set()


def test_a_kernel_message_leads_to_a_report_of_the_new_table() -> None:
    asyncio.run(_a_kernel_message_leads_to_a_report_of_the_new_table())


def test_kernel_messages_without_a_table_change_report_nothing() -> None:
    asyncio.run(_kernel_messages_without_a_table_change_report_nothing())


def test_without_rtnetlink_the_monitor_polls() -> None:
    asyncio.run(_without_rtnetlink_the_monitor_polls())


async def _a_move_whose_route_comes_later_is_reported_once_whole() -> None:
    current = [HOME]
    seen: list[list[str]] = []
    changed = asyncio.Event()

    def on_change(addresses: list[InterfaceAddress], fingerprint: str) -> None:
        seen.append([a.address for a in addresses])
        changed.set()

    watch = FakeWatch()
    times = SettleTimes(0.0, 0.0, route_grace=3600.0)  # the grace never runs out here
    monitor = NetworkMonitor(on_change, snapshot=lambda: current[0], watch=watch, times=times)
    monitor.start()
    await monitor.watching.wait()
    assert watch.announce is not None
    current[0] = (CAFE[0], [])  # the new address, no default route yet
    watch.announce("RTM_NEWADDR")
    for _ in range(20):  # bounded: let the settle timer look (and defer)
        await asyncio.sleep(0)
    assert seen == []
    current[0] = CAFE
    watch.announce("RTM_NEWROUTE")
    await changed.wait()
    await monitor.stop()

    assert seen == [["10.9.8.7"]]


def test_a_move_whose_route_comes_later_is_reported_once_whole() -> None:
    asyncio.run(_a_move_whose_route_comes_later_is_reported_once_whole())
