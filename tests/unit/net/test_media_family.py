"""The IPv6 RTP pair beside a call's first pair: where it binds, and that it binds."""

from __future__ import annotations

import socket

from alexphone.net.interfaces import InterfaceAddress
from alexphone.net.media_family import add_ipv6_pair, has_routable_ipv6, ipv6_media_host
from alexphone.net.media_port import MediaPort

V4 = InterfaceAddress("eth0", 2, "192.0.2.2", 24)
ULA = InterfaceAddress("eth0", 2, "fd00::2", 64)
LINK_LOCAL = InterfaceAddress("eth0", 2, "fe80::1", 64, 2)


def test_only_global_or_unique_local_ipv6_counts() -> None:
    assert has_routable_ipv6([V4, ULA])
    assert not has_routable_ipv6([V4, LINK_LOCAL])
    assert not has_routable_ipv6([])


def test_an_ipv6_listener_gives_its_address() -> None:
    assert ipv6_media_host("10.0.0.1", ["10.0.0.1", "fd42:1::10"], []) == "fd42:1::10"
    assert ipv6_media_host("0.0.0.0", ["", "::"], []) == "::"


def test_a_wildcard_listener_needs_a_routable_ipv6_address() -> None:
    assert ipv6_media_host("0.0.0.0", ["0.0.0.0"], [V4, ULA]) == "::"
    assert ipv6_media_host("0.0.0.0", ["0.0.0.0"], [V4, LINK_LOCAL]) is None


def test_no_pair_for_ipv4_only_or_an_ipv6_first_pair() -> None:
    assert ipv6_media_host("10.0.0.1", ["10.0.0.1"], [V4, ULA]) is None
    assert ipv6_media_host("fd42:1::10", ["fd42:1::10", "10.0.0.1"], [ULA]) is None


def test_the_pair_binds_beside_the_first_with_the_same_port_and_closes_with_it() -> None:
    port = MediaPort("127.0.0.1", start=17000)
    try:
        v6 = add_ipv6_pair(port, ["127.0.0.1", "::1"])
        assert v6 is not None and port.v6 is v6
        assert (v6.host, v6.port) == ("::1", port.port)
        assert v6.sockets is not None
        assert v6.sockets[0].family == socket.AF_INET6
    finally:
        port.close()
    assert v6.sockets is None and port.sockets is None


def test_the_wildcard_pair_is_ipv6_only_so_both_families_share_a_port() -> None:
    first = MediaPort("0.0.0.0", start=17100)
    try:
        second = MediaPort("::", start=first.port)
        try:
            assert second.port == first.port  # V6ONLY: "::" leaves the IPv4 port alone
            assert second.sockets is not None
            v6only = second.sockets[0].getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
            assert v6only == 1
        finally:
            second.close()
    finally:
        first.close()


def test_an_ipv6_first_pair_gets_no_second() -> None:
    port = MediaPort("::1", start=17200)
    try:
        assert add_ipv6_pair(port, ["::1"]) is None and port.v6 is None
    finally:
        port.close()
