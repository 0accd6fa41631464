"""Network changes come from the kernel (rtnetlink) to alexphone's monitor, in a lab namespace.

The probe program runs the engine's NetworkMonitor in a namespace the test creates; the test
adds and removes addresses there with ``ip`` and reads what the probe reported. How fast is
measured in tests/benchmarks/bench_network_change.py, not here.
"""

from __future__ import annotations

import time

import pytest
from lab import Lab
from lab_network_watch import WatchedNamespace

pytestmark = [pytest.mark.interop]


def test_an_added_then_removed_address_is_reported_each_time(lab: Lab) -> None:
    watched = WatchedNamespace(lab)
    assert watched.watching, "the monitor fell back to polling inside the namespace"

    _ms, addresses = watched.move("addr", "add", "10.61.0.5/24", "dev", "wan0")
    assert "10.61.0.5" in addresses.split(",")

    _ms, addresses = watched.move("addr", "del", "10.61.0.5/24", "dev", "wan0")
    assert "10.61.0.5" not in addresses.split(",")


def test_a_new_default_route_is_reported(lab: Lab) -> None:
    watched = WatchedNamespace(lab)
    watched.move("addr", "add", "10.62.0.5/24", "dev", "wan0")

    _ms, addresses = watched.move("route", "add", "default", "via", "10.62.0.1")

    assert "10.62.0.5" in addresses.split(",")  # same address, new gateway: still a move


def test_a_route_of_no_interest_is_not_reported(lab: Lab) -> None:
    watched = WatchedNamespace(lab, addresses=["10.63.0.5/24"])
    lab.ip(watched.ns, "route", "add", "10.200.0.0/16", "via", "10.63.0.1")
    time.sleep(0.3)  # settle + hold-down: room for a wrong report (an absence has no event)

    _ms, addresses = watched.move("addr", "add", "10.64.0.5/24", "dev", "wan0")

    assert watched.reported() == 1  # the address only, not the route before it
    assert "10.64.0.5" in addresses.split(",")
